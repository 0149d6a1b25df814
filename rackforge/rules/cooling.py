"""RF3xx: cooling (liquid loops, temperatures, the air side). They read ``ctx.cooling``
(:mod:`rackforge.lowering.cooling`), computed once per design; every finding points at the rack definition."""
from __future__ import annotations

from rackforge.model.findings import Severity
from rackforge.rules import Hit, rule


def _lmin(q: float) -> str:
    return f"{q * 6e4:.2f} L/min"


def _c(t_k_or_c: float) -> str:
    return f"{t_k_or_c:.1f} degC"


def _kw(w: float) -> str:
    return f"{w / 1000:.1f} kW"


def _solved(ctx):
    return [lr for lr in ctx.cooling.loops if lr.solved and lr.branches]


@rule("RF300", "liquid-tray-unconnected", "error", "A liquid-cooled part has no loop to connect to, a loop has no "
      "manifold, or a manifold has fewer taps than the loop's parts.")
def rf300(ctx):
    """
    **What**: a mounted part with cold plates (a `liquid` interface in its catalog entry) is in a rack with no
    liquid loop, or in a rack with several loops without naming one (`loop`); a loop names no `manifold`; or a
    loop has more liquid-cooled parts than its manifold has taps.

    **Why**: the part's cold plates would get no coolant: its accelerators throttle or shut down within seconds
    at load. Its heat is counted as air heat meanwhile, which the room was not sized for.

    **Fix**: add a loop under the rack's `cooling.loops` (an in-rack CDU mount or an in-row `cdu_part`, the
    coolant and the manifold mount), name the loop on the mount, or use a manifold with enough taps.
    """
    for u in ctx.cooling.unconnected:
        yield Hit(u.ptr, u.message, u.hint)


@rule("RF301", "coolant-flow-below-minimum", "error", "A liquid-cooled part, or one of its cold plates, gets less "
      "coolant flow than its minimum.")
def rf301(ctx):
    """
    **What**: the solved flow through a tray's branch (CDU pumps, manifold headers, hoses, quick disconnects and
    cold plates, at the loop's coolant properties) is below the tray's `liquid.min_flow`, or the share of it a
    cold plate gets is below the plate's `min_flow`.

    **Why**: below its minimum flow a cold plate cannot carry its heat at the rated case temperature; the
    coolant also heats more than the tray was qualified for.

    **Fix**: use a CDU (or a larger `cdu_share`) whose pumps give more head, fewer trays per loop, larger hoses or
    quick disconnects (higher Cv), or cold plates with a lower pressure drop.
    """
    for lr in _solved(ctx):
        for br in lr.branches:
            if br.flow < br.min_flow * (1 - 1e-9):
                yield Hit(br.mi.ptr, f"{br.mi.id} ({br.part.pn}) gets {_lmin(br.flow)} on loop {lr.loop.id!r}; it "
                          f"needs {_lmin(br.min_flow)}", "raise the loop's pressure head or lower its resistance",
                          value=br.flow, limit=br.min_flow, unit="m^3/s")
                continue
            for p in br.plates:
                if p.part is None:
                    continue
                q = br.flow * p.share
                if q < float(p.part.min_flow) * (1 - 1e-9):
                    yield Hit(br.mi.ptr, f"cold plate {p.use.part} ({p.use.cools}) in {br.mi.id} gets {_lmin(q)}; "
                              f"it needs {_lmin(float(p.part.min_flow))}", "balance the tray's plates or raise "
                              "the tray's flow", value=q, limit=float(p.part.min_flow), unit="m^3/s")
                    break


@rule("RF302", "case-temperature-over-maximum", "error", "A cold-plated component's case temperature exceeds its "
      "maximum.")
def rf302(ctx):
    """
    **What**: coolant temperature at the plate's inlet (CDU supply, plus the heat of the plates before it on a
    series branch) plus the plate's heat at the operating point times its thermal resistance (at the plate's
    solved flow) exceeds the `max_case_temperature` of the tray's `cold_plates` entry.

    **Why**: above its case limit the accelerator throttles, and its reliability falls with every degree.

    **Fix**: lower the facility water temperature or the CDU approach, raise the flow, or use a cold plate with a
    lower thermal resistance.
    """
    for lr in _solved(ctx):
        for br in lr.branches:
            worst = None
            for p, t, m in zip(br.plates, br.plate_t_case, br.plate_margin):
                if m < 0 and (worst is None or m < worst[2]):
                    worst = (p, t, m)
            if worst is not None:
                p, t, m = worst
                tmax = float(p.use.max_case_temperature) - 273.15
                yield Hit(br.mi.ptr, f"{p.use.cools} under {p.use.part} in {br.mi.id} reaches {_c(t)}, above its "
                          f"{_c(tmax)} maximum ({-m:.1f} K over)", "cooler or more coolant, or a better cold plate",
                          value=t + 273.15, limit=tmax + 273.15, unit="K")


@rule("RF303", "cdu-capacity-exceeded", "error", "The heat a loop brings to its CDU exceeds the CDU's capacity (its "
      "share of an in-row CDU).")
def rf303(ctx):
    """
    **What**: the plates' heat on a loop, at the operating point, exceeds the capacity of its CDU: the in-rack
    CDU's `capacity`, or `cdu_share` x the capacity of an in-row CDU.

    **Why**: the heat exchanger cannot pass the heat to facility water at its rated approach; the supply
    temperature climbs until the trays throttle.

    **Fix**: a larger CDU, a larger share of the in-row CDU (fewer racks on it), or less liquid heat per loop.
    """
    for lr in _solved(ctx):
        if lr.heat_w > lr.capacity_w * (1 + 1e-9):
            share = f" ({lr.share:g} of {lr.cdu.pn})" if lr.loop.cdu is None else f" ({lr.cdu.pn})"
            yield Hit(lr.ptr, f"loop {lr.loop.id!r} brings {_kw(lr.heat_w)} to a CDU capacity of "
                      f"{_kw(lr.capacity_w)}{share}", "use a larger CDU or share, or split the load",
                      value=lr.heat_w, limit=lr.capacity_w, unit="W")


@rule("RF304", "pump-redundancy-not-met", "error", "With one CDU pump lost, the pumps cannot hold the flow the "
      "trays need.", requires=["cooling.pump_redundancy"])
def rf304(ctx):
    """
    **What**: the generation asks for redundant CDU pumps (`cooling.pump_redundancy`) and the loop's CDU has no
    pump beyond the `required` ones, or, with one pump lost (the standby takes over when there is one), some
    tray's flow falls below its `min_flow` or some case temperature above its maximum.

    **Why**: a pump is the part of a CDU most likely to fail; without a spare that carries the load, one pump
    failure takes the whole rack (or row) down.

    **Fix**: a CDU with N+1 pumps, or pumps whose curve holds the loop's flow with one of them lost.
    """
    if not ctx.req("cooling.pump_redundancy"):
        return
    for lr in _solved(ctx):
        pumps = lr.cdu.pumps
        if pumps.count < pumps.required + 1:
            yield Hit(lr.cdu_ptr, f"CDU {lr.cdu.pn} has {pumps.count} pump(s) for {pumps.required} required: no "
                      "spare", "use a CDU with N+1 pumps", requirement="cooling.pump_redundancy",
                      value=float(pumps.count), limit=float(pumps.required + 1), unit="")
        lost = lr.pump_lost
        if lost is None:
            continue
        if lost["min_flow_ratio"] < 1 - 1e-9:
            yield Hit(lr.ptr, f"with one pump of {lr.cdu.pn} lost, {lost['min_flow_mount']} gets "
                      f"{lost['min_flow_ratio']:.0%} of its minimum flow", "use pumps that hold the flow with "
                      "one lost", requirement="cooling.pump_redundancy", value=lost["min_flow_ratio"], limit=1.0,
                      unit="")
        elif lost["case_temperature_margin_k"] < 0:
            yield Hit(lr.ptr, f"with one pump of {lr.cdu.pn} lost, a case temperature is "
                      f"{-lost['case_temperature_margin_k']:.1f} K over its maximum", "use pumps that hold the "
                      "flow with one lost", requirement="cooling.pump_redundancy")


@rule("RF305", "pressure-over-rating", "error", "A loop part sees more pressure than its rating.")
def rf305(ctx):
    """
    **What**: the solved gauge pressure a part sees (pump suction held at 100 kPa at the CDU's height, plus the
    pump's rise, less the drops on the way, plus the static head down to the part) exceeds its `max_pressure`:
    the CDU at its outlet, the manifold at the CDU outlet or its lowest tap, whichever is higher; a tray's hose,
    quick disconnects and cold plates at its supply tap, as a gauge at the tap's height would read.

    **Why**: above its rating a fitting or a cold plate may leak onto live electronics; quick disconnects are
    rated for their operating pressure, not their burst pressure.

    **Fix**: lower the pump head (a CDU with a flatter curve or a differential-pressure set point) or use parts
    rated for the pressure.
    """
    for lr in _solved(ctx):
        p_out = lr.cdu_outlet_pressure
        if p_out > float(lr.cdu.max_pressure):
            yield Hit(lr.cdu_ptr, f"CDU {lr.cdu.pn} outlet at {p_out / 1e3:.0f} kPa, rated {lr.cdu.max_pressure}",
                      "lower the pump head", value=p_out, limit=float(lr.cdu.max_pressure), unit="Pa")
        if lr.manifold is not None and lr.supply_pressure_max > float(lr.manifold.max_pressure):
            yield Hit(lr.manifold_mi.ptr, f"manifold {lr.manifold.pn} at {lr.supply_pressure_max / 1e3:.0f} kPa, "
                      f"rated {lr.manifold.max_pressure}", "lower the pump head or use a higher-rated manifold",
                      value=lr.supply_pressure_max, limit=float(lr.manifold.max_pressure), unit="Pa")
        for br in lr.branches:
            parts = [("quick disconnect", br.qd), ("hose", br.hose)] + [("cold plate", p.part) for p in br.plates]
            seen = set()
            for what, part in parts:
                if part is None or part.pn in seen:
                    continue
                seen.add(part.pn)
                if br.inlet_pressure > float(part.max_pressure):
                    yield Hit(br.mi.ptr, f"{what} {part.pn} in {br.mi.id} at {br.inlet_pressure / 1e3:.0f} kPa, "
                              f"rated {part.max_pressure}", "lower the loop pressure or use higher-rated parts",
                              value=br.inlet_pressure, limit=float(part.max_pressure), unit="Pa")


@rule("RF306", "return-temperature-over-limit", "error", "A loop's mixed return temperature exceeds the "
      "generation's limit.", requires=["cooling.max_return_temperature"])
def rf306(ctx):
    """
    **What**: the flow-weighted mix of the branches' outlet temperatures (energy balance dT = P / (m_dot cp) per
    branch, on top of the CDU supply) exceeds the generation's `cooling.max_return_temperature`.

    **Why**: the return temperature bounds what the CDU, the quick disconnects (rated to 65 degC) and the
    facility's heat-rejection plant were specified for.

    **Fix**: more flow (less dT per branch), cooler supply water, or less heat per loop.
    """
    lim = ctx.req("cooling.max_return_temperature")
    if lim is None:
        return
    lim_c = float(lim) - 273.15
    for lr in _solved(ctx):
        if lr.t_return_c > lim_c + 1e-9:
            yield Hit(lr.ptr, f"loop {lr.loop.id!r} returns at {_c(lr.t_return_c)}; generation {ctx.gen.id!r} allows "
                      f"{lim}", "raise the flow or lower the supply temperature",
                      requirement="cooling.max_return_temperature", value=lr.t_return_c + 273.15,
                      limit=float(lim), unit="K")


@rule("RF307", "coolant-not-accepted", "error", "A loop's coolant is not one its CDU, a tray or a cold plate "
      "accepts.")
def rf307(ctx):
    """
    **What**: the loop's `coolant` is not in the CDU's `coolants`, in a tray's `liquid.coolants` or in one of its
    cold plates' `coolants`.

    **Why**: wetted materials, corrosion inhibitors and the parts' thermal ratings are qualified per coolant;
    glycol also changes the flow and heat transfer the parts were rated at.

    **Fix**: change the loop's coolant, or use parts qualified for it.
    """
    for lr in ctx.cooling.loops:
        c = lr.coolant
        if lr.cdu is not None and c not in lr.cdu.coolants:
            yield Hit(f"{lr.ptr}/coolant", f"CDU {lr.cdu.pn} does not accept {c!r} (accepts "
                      f"{', '.join(lr.cdu.coolants)})", "change the coolant or the CDU")
        for br in lr.branches:
            if c not in br.part.liquid.coolants:
                yield Hit(br.mi.ptr, f"{br.mi.id} ({br.part.pn}) does not accept {c!r} on loop {lr.loop.id!r} "
                          f"(accepts {', '.join(br.part.liquid.coolants)})", "change the coolant or the tray")
                continue
            for pn in dict.fromkeys(p.part.pn for p in br.plates if p.part is not None and c not in p.part.coolants):
                yield Hit(br.mi.ptr, f"cold plate {pn} in {br.mi.id} does not accept {c!r}",
                          "change the coolant or the cold plate")


@rule("RF308", "liquid-share-below-minimum", "error", "The share of a rack's IT heat taken by liquid is below the "
      "generation's minimum.", requires=["cooling.liquid_share_min"])
def rf308(ctx):
    """
    **What**: the heat the cold plates carry (at the operating point) over the rack's IT power is below the
    generation's `cooling.liquid_share_min`.

    **Why**: the hall's air handling is sized for the rest; a rack that puts more into the air than the
    generation allows overloads it.

    **Fix**: liquid-cool more components (trays with more cold plates), or move air-only parts to another rack.
    """
    lim = ctx.req("cooling.liquid_share_min")
    if lim is None:
        return
    for ra in ctx.cooling.racks:
        s = ra.liquid_share
        if s is not None and s < float(lim) - 1e-9:
            yield Hit(ra.rdef.ptr, f"liquid takes {s:.1%} of the rack's {_kw(ra.it_w)}; generation "
                      f"{ctx.gen.id!r} asks for {float(lim):.0%}", "liquid-cool more of the heat",
                      requirement="cooling.liquid_share_min", value=s, limit=float(lim), unit="")


@rule("RF309", "facility-water-above-class", "error", "The facility water supply is warmer than the generation's "
      "ASHRAE liquid class allows.", requires=["cooling.facility_water_class"])
def rf309(ctx):
    """
    **What**: `site.facility_water_supply_temperature` is above the top of the generation's ASHRAE facility water
    class (`cooling.facility_water_class`: W17, W27, W32, W40, W45 are the maximum supply in degC; W+ is above
    45 degC).

    **Why**: the generation's parts (cold plates, CDU approach) are sized for water of that class; warmer water
    eats the case-temperature margin.

    **Fix**: supply cooler water, or design for a generation of a warmer class.
    """
    wc = ctx.req("cooling.facility_water_class")
    t = ctx.design.site.facility_water_supply_temperature
    if wc is None or t is None or wc == "W+":
        return
    from rackforge.solvers.air import facility_water_class_max

    top = facility_water_class_max(wc)
    if float(t) - 273.15 > top + 1e-9:
        yield Hit("/site/facility_water_supply_temperature", f"facility water at {t} is above class {wc} "
                  f"({top:g} degC max) of generation {ctx.gen.id!r}", "supply cooler water",
                  requirement="cooling.facility_water_class", value=float(t), limit=top + 273.15, unit="K")


@rule("RF310", "facility-water-outside-cdu-range", "error", "The facility water supply is outside the range a CDU "
      "accepts.")
def rf310(ctx):
    """
    **What**: `site.facility_water_supply_temperature` is below a loop CDU's `facility_supply_min` or above its
    `facility_supply_max`.

    **Why**: below the range the secondary loop can drop below the dew point and condense on cold plates; above
    it the CDU cannot hold its supply temperature at rated capacity.

    **Fix**: a CDU rated for the site's water, or water within the CDU's range.
    """
    t = ctx.design.site.facility_water_supply_temperature
    if t is None:
        return
    seen = set()
    for lr in ctx.cooling.loops:
        cdu = lr.cdu
        if cdu is None or cdu.pn in seen:
            continue
        seen.add(cdu.pn)
        lo, hi = cdu.facility_supply_min, cdu.facility_supply_max
        if lo is not None and float(t) < float(lo) - 1e-9:
            yield Hit("/site/facility_water_supply_temperature", f"facility water at {t} is below {cdu.pn}'s "
                      f"minimum {lo}", "warmer water or another CDU", value=float(t), limit=float(lo), unit="K")
        if hi is not None and float(t) > float(hi) + 1e-9:
            yield Hit("/site/facility_water_supply_temperature", f"facility water at {t} is above {cdu.pn}'s "
                      f"maximum {hi}", "cooler water or another CDU", value=float(t), limit=float(hi), unit="K")


@rule("RF311", "air-inlet-outside-class", "error", "The air inlet temperature is outside the generation's ASHRAE "
      "class, derated for the site's altitude (outside the recommended range: a warning).",
      requires=["cooling.air_inlet_class"])
def rf311(ctx):
    """
    **What**: `site.air_inlet_temperature` is outside the allowable dry-bulb range of the generation's ASHRAE
    class (`cooling.air_inlet_class`: A1 15-32, A2 10-35, A3 5-40, A4 5-45, H1 5-25 degC) with its maximum
    derated for `site.altitude` above 900 m (1 degC per 300 m for A1/A2, per 175 m for A3, per 125 m for A4;
    H1 is taken as A1/A2): an error; inside the allowable but outside the recommended range (18-27 degC,
    H1 18-22 degC): a warning. The message gives the derated limit.

    **Why**: the equipment is specified for its class; outside the recommended envelope failure rates and fan
    power rise, outside the allowable one the equipment is out of specification. Thinner air at altitude
    carries less heat per unit volume, which is why the class's maximum falls with altitude.

    **Fix**: change the room's supply air temperature, or design for a generation of another class.

    **Reference**: ASHRAE TC 9.9, *Thermal Guidelines for Data Processing Environments*, 5th ed. (2021),
    Table 2.1 and its footnotes (altitude derating, maximum elevation 3,050 m).
    """
    cls = ctx.req("cooling.air_inlet_class")
    t = ctx.design.site.air_inlet_temperature
    if cls is None or t is None:
        return
    from rackforge.solvers.air import AIR_CLASSES, class_allowable_max_c

    alt = ctx.design.site.altitude
    alt_m = float(alt) if alt is not None else 0.0
    tc = float(t) - 273.15
    e = AIR_CLASSES[cls]
    top = class_allowable_max_c(cls, alt_m)
    at = f" at {alt_m:,.0f} m (derated from {e.allowable_max_c:g} degC)" if top < e.allowable_max_c - 1e-9 else ""
    if tc > top + 1e-9 or tc < e.allowable_min_c - 1e-9:
        lim = top if tc > top else e.allowable_min_c
        yield Hit("/site/air_inlet_temperature", f"air inlet {t} is outside class {cls}'s allowable "
                  f"{e.allowable_min_c:g}-{top:.4g} degC{at}", "change the supply air temperature",
                  requirement="cooling.air_inlet_class", value=float(t), limit=lim + 273.15, unit="K")
    elif tc > min(e.recommended_max_c, top) + 1e-9 or tc < e.recommended_min_c - 1e-9:
        lim = e.recommended_max_c if tc > e.recommended_max_c else e.recommended_min_c
        yield Hit("/site/air_inlet_temperature", f"air inlet {t} is outside class {cls}'s recommended "
                  f"{e.recommended_min_c:g}-{e.recommended_max_c:g} degC", "bring the supply air into the "
                  "recommended range", severity=Severity.WARNING, requirement="cooling.air_inlet_class",
                  value=float(t), limit=lim + 273.15, unit="K")


@rule("RF312", "airflow-insufficient", "error", "A part's fans (or a rack's) cannot move the air its heat needs at the "
      "allowed temperature rise.")
def rf312(ctx):
    """
    **What**: the airflow a part needs to carry its air heat (power at the operating point less what its cold
    plates take) at the allowed rise (`site.air_temperature_rise`, default 20 K; air density at the inlet
    temperature and the site's altitude) exceeds what its fans move (`air.rated`, the vendor's airflow at its stated duty, else `air.max`); or the rack's total need
    exceeds all its fans, fan units included.

    **Why**: the part's exhaust runs hotter than the allowed rise, and its components past their limits.

    **Fix**: parts with more airflow, fan units, more heat to liquid, or a larger allowed rise where the hot aisle
    permits it.
    """
    for ra in ctx.cooling.racks:
        for d in ra.devices:
            if d.needed > d.available * (1 + 1e-9) and d.available > 0:
                yield Hit(d.mi.ptr, f"{d.mi.id} puts {_kw(d.air_w)} into air: it needs {d.needed / 4.719474e-4:,.0f}"
                          f" CFM at a {ra.rise_k:g} K rise, its fans move {d.available / 4.719474e-4:,.0f} CFM",
                          "more airflow or more heat to liquid", value=d.needed, limit=d.available, unit="m^3/s")
        if ra.needed > ra.available * (1 + 1e-9):
            yield Hit(ra.rdef.ptr, f"the rack puts {_kw(ra.air_w)} into air: it needs "
                      f"{ra.needed / 4.719474e-4:,.0f} CFM at a {ra.rise_k:g} K rise, its fans move "
                      f"{ra.available / 4.719474e-4:,.0f} CFM", "add airflow or move heat to liquid",
                      value=ra.needed, limit=ra.available, unit="m^3/s")


@rule("RF313", "mixed-airflow-directions", "error", "Parts in one rack blow air in opposite directions.")
def rf313(ctx):
    """
    **What**: the parts of a rack with fans do not all move air the same way: front-to-back against
    back-to-front, counting a part mounted on the rear face as reversed.

    **Why**: a part blowing the wrong way takes in the hot aisle's exhaust and blows into the cold aisle,
    heating its neighbours' inlets.

    **Fix**: use the part's reversed-airflow variant, or mount it on the other face.
    """
    for ra in ctx.cooling.racks:
        dirs = [d for d in ra.devices if d.direction != "none"]
        fb = [d for d in dirs if d.direction == "front_to_back"]
        bf = [d for d in dirs if d.direction == "back_to_front"]
        if fb and bf:
            minority, major = (bf, "front-to-back") if len(fb) >= len(bf) else (fb, "back-to-front")
            for d in minority:
                yield Hit(d.mi.ptr, f"{d.mi.id} blows {d.direction.replace('_', '-')} in a rack whose other "
                          f"parts blow {major}", "use the reversed-airflow variant or the other face")


@rule("RF314", "room-air-capacity-exceeded", "error", "A rack puts more heat into the room air than the room can "
      "take per rack.")
def rf314(ctx):
    """
    **What**: the rack's heat to air (IT power less the cold plates' heat, less what a rear-door heat exchanger
    removes) exceeds `site.room_air_capacity_per_rack`.

    **Why**: the room's air handlers are sized per rack position; the excess raises every neighbour's inlet.

    **Fix**: more liquid cooling, a rear-door heat exchanger, fewer air-cooled parts per rack, or spread the load.
    """
    for ra in ctx.cooling.racks:
        cap = ra.room_capacity_w
        if cap is not None and ra.room_w > cap * (1 + 1e-9):
            yield Hit(ra.rdef.ptr, f"the rack puts {_kw(ra.room_w)} into the room air; the room takes {_kw(cap)} per "
                      "rack", "move heat to liquid or add a rear-door heat exchanger", value=ra.room_w, limit=cap,
                      unit="W")


def _lmin_kw(x: float) -> str:
    return f"{x * 6e7:.2f} L/min/kW"


@rule("RF315", "coolant-flow-per-heat-below-range", "warning", "A loop delivers less coolant flow per kW of liquid "
      "heat than the generation's range.", requires=["cooling.flow_per_heat_min"])
def rf315(ctx):
    """
    **What**: the loop's delivered flow (the CDU's pumps at the solved operating point, this rack's share) over
    the heat its cold plates put into it is below the generation's `cooling.flow_per_heat_min`.

    **Why**: flow per heat sets the coolant temperature rise, dT = 1 / (rho cp x flow per heat): the OCP OAI
    liquid-cooling guideline (v1.0 sec. 3.2) sizes cold-plate loops at 1.25-2.0 L/min/kW, 1.5 typical, for a rise
    of about 10 K with PG25. Below it the return runs hotter than the trays and the CDU were qualified for and
    the plates lose margin as the coolant heats along the loop.

    **Fix**: raise the loop's flow (more CDU share, a CDU with more head, lower-resistance hoses, quick disconnects
    or plates) or lower the heat per loop (split the trays over two loops).

    Reference: OCP OAI Liquid Cooling Guidelines v1.0 sec. 3.2, as quoted by ProphetStor, "Why fixed-flow GPU rack
    cooling wastes energy" (white paper, 2025).
    """
    lim = ctx.req("cooling.flow_per_heat_min")
    if lim is None:
        return
    lim = float(lim)
    for lr in _solved(ctx):
        x = lr.flow_per_heat
        if x == x and x < lim * (1 - 1e-9):
            yield Hit(lr.ptr, f"loop {lr.loop.id!r} delivers {_lmin_kw(x)} ({_lmin(lr.pump_flow)} for "
                      f"{_kw(lr.heat_w)}); generation {ctx.gen.id!r} asks for at least {_lmin_kw(lim)}",
                      "raise the loop's flow or split its heat", requirement="cooling.flow_per_heat_min",
                      value=x, limit=lim, unit="m^3/s/W")


@rule("RF316", "coolant-flow-per-heat-above-range", "warning", "A loop delivers more coolant flow per kW of liquid "
      "heat than the generation's range.", requires=["cooling.flow_per_heat_max"])
def rf316(ctx):
    """
    **What**: the loop's delivered flow over its liquid heat is above the generation's `cooling.flow_per_heat_max`.
    The model runs the CDU pumps at full speed on their catalog curve, so this is the flow without a speed or
    differential-pressure set point.

    **Why**: flow beyond the guideline's range (OCP OAI: 1.25-2.0 L/min/kW) buys little temperature margin and
    costs pump power (which grows with the cube of flow by the affinity laws), higher velocities in hoses and
    quick disconnects (erosion) and higher loop pressures.

    **Fix**: give the CDU a flow or differential-pressure set point (variable-speed pumps), a smaller share of an
    in-row CDU, or a CDU sized for the heat.

    Reference: OCP OAI Liquid Cooling Guidelines v1.0 sec. 3.2 (as quoted by ProphetStor, 2025); Karassik et al.
    (2008), Pump Handbook, 4th ed., sec. 2.3 (affinity laws).
    """
    lim = ctx.req("cooling.flow_per_heat_max")
    if lim is None:
        return
    lim = float(lim)
    for lr in _solved(ctx):
        x = lr.flow_per_heat
        if x == x and x > lim * (1 + 1e-9):
            yield Hit(lr.ptr, f"loop {lr.loop.id!r} delivers {_lmin_kw(x)} ({_lmin(lr.pump_flow)} for "
                      f"{_kw(lr.heat_w)}) at full pump speed; generation {ctx.gen.id!r} allows at most "
                      f"{_lmin_kw(lim)}", "set the CDU's flow or pressure set point, or size it for the heat",
                      requirement="cooling.flow_per_heat_max", value=x, limit=lim, unit="m^3/s/W")


@rule("RF317", "pump-curve-rises-from-shut-off", "warning", "A CDU's pump curve rises with flow from shut-off (a "
      "drooping curve).")
def rf317(ctx):
    """
    **What**: the catalog pump curve of a loop's CDU (per pump, `pumps.curve`) gains pressure as flow grows
    between two of its points (sorted by flow). The quadratic the solver fits through three points may bulge a
    little above shut-off even when the points fall (CDU-ROW-2MW: 1.3 %); that is not reported.

    **Why**: on a drooping curve two flows share one head near the peak. Identical pumps in parallel (duty and
    standby, N+1) can then hunt or push one pump back towards shut-off, where it overheats; the solved operating
    point may be one of two. It is a warning, not a catalog error: some centrifugal pumps have such curves and
    run stably alone or far out on the falling part; but it needs checking against the pump maker's data (a
    mistyped point looks the same).

    **Fix**: check the catalog points against the datasheet; use pumps with a steadily falling (stable) curve for
    parallel duty.

    Reference: Karassik, I. J. et al. (2008), Pump Handbook, 4th ed., sec. 2.3 (unstable head-capacity curves,
    parallel operation).
    """
    from rackforge.solvers.hydraulic_network import pump_curve_rises

    seen = set()
    for lr in ctx.cooling.loops:
        cdu = lr.cdu
        if cdu is None or (cdu.pn, lr.cdu_ptr) in seen:
            continue
        seen.add((cdu.pn, lr.cdu_ptr))
        why = pump_curve_rises([float(p.flow) for p in cdu.pumps.curve],
                               [float(p.pressure) for p in cdu.pumps.curve])
        if why:
            yield Hit(lr.cdu_ptr, f"CDU {cdu.pn}'s pump curve rises from shut-off: {why}",
                      "check the curve against the pump datasheet")
