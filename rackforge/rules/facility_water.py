"""RF350-RF369: facility water (design.facility.water, read from ctx.facility_water)."""
from __future__ import annotations

import math

from rackforge.rules import Hit, rule


def _fw(ctx, need_model: bool = True):
    if ctx.design is None or ctx.design.facility is None or ctx.design.facility.water is None:
        return None
    fw = ctx.facility_water
    if need_model and fw.empty:
        return None
    return fw


def _once(loops):
    """One finding per loop entry (repeats share a pointer): the first loop of each, and how many."""
    seen: dict[str, list] = {}
    for lr in loops:
        seen.setdefault(lr.ptr, [lr, 0])[1] += 1
    return list(seen.values())


def _kpa(pa: float) -> str:
    return f"{pa / 1e3:.0f} kPa"


@rule("RF350", "facility-water-invalid", "error", "The facility water loops cannot be built: an unknown or wrong "
      "CDU part, a row on two loops or on none, a rack that cannot hang on a row header.")
def rf350(ctx):
    """
    **What**: `facility.water` names a CDU that is not a catalog CDU (or an in-rack one), a coolant the CDU is
    not rated for, more redundant CDUs than installed, a row with no racks or on two loops, a liquid-cooled rack
    in a loop whose liquid loop is not on an in-row style manifold (an in-rack CDU), a loop row without any
    liquid-cooled rack, rows of liquid-cooled racks on no loop, a heat-rejection part of the wrong kind, or no
    facility supply temperature. An air-cooled rack (no liquid loop at all, like the switch racks a hall fabric
    places at the end of a row) in a loop's row is left off the row header: it is not an error.

    **Why**: the hall's water model connects every liquid-cooled rack to a CDU through its row header; a rack
    on no loop is uncooled, and a wrong part leaves the loop without pumps or heat exchangers to model.

    **Fix**: follow the message: name catalog parts of the right kind, give each row of liquid-cooled racks
    exactly one loop, and set `facility.water.supply_temperature` or `site.facility_water_supply_temperature`.
    """
    fw = _fw(ctx, need_model=False)
    if fw is None:
        return
    for ptr, msg, hint in fw.problems:
        yield Hit(ptr, msg, hint)


@rule("RF351", "rack-differential-pressure-short", "error", "The worst-placed rack on a row header gets less "
      "differential pressure (and flow) than it needs, with every CDU running.")
def rf351(ctx):
    """
    **What**: the loop is solved as a network of manifolds (CDU pumps and heat exchangers, the main pipe, each
    row's supply and return headers, each rack's connection hoses and its own loop). A rack needs the flow
    at which its worst tray just gets its `min_flow`; the rack with the least flow against that need (the
    worst-placed rack: usually far along a direct-return header) gets less.

    **Why**: the pressure the CDU makes is spent along the main and the headers; the far racks of a long row
    on a narrow header see what is left. Their trays then run short of flow and hot.

    **Fix**: larger headers or main, reverse-return headers, shorter rows per loop, more CDUs (pumps) on the
    loop, or a CDU with more head.
    """
    fw = _fw(ctx)
    if fw is None:
        return
    for lr, n in _once(fw.loops):
        b = lr.base
        i = int(b.ratio.argmin())
        if b.ratio[i] < 1 - 1e-6:
            rk = lr.racks[i]
            need = [h for line in lr.rows_rh for h in line][i].dp_need   # the rack's dp at its needed flow
            more = f" (the same in {n - 1} more loops of this entry)" if n > 1 else ""
            yield Hit(lr.ptr, f"loop {lr.id}: rack {rk.id} gets {b.flows[i] * 6e4:.0f} L/min at {_kpa(b.dps[i])}, "
                      f"{b.ratio[i]:.0%} of the flow it needs ({_kpa(need)} needed){more}", "larger headers, "
                      "reverse return, or more pump head", value=float(b.ratio[i]), limit=1.0, unit="")


@rule("RF352", "cdu-loss-starves-racks", "error", "With the loop's redundant CDUs lost, a rack gets less flow than "
      "it needs.")
def rf352(ctx):
    """
    **What**: the loop is solved again with `redundant` CDUs (N+1: one) lost, their pumps and heat exchangers
    with them; the worst-placed rack then gets less flow than it needs (as in RF351).

    **Why**: N+1 CDUs promise the hall keeps cooling through a CDU failure or service; the pumps left must
    still push the racks' flow through the main and the headers.

    **Fix**: add a CDU, choose CDUs with more head or flow, or reduce the pressure drop of the headers.
    """
    fw = _fw(ctx)
    if fw is None:
        return
    for lr, n in _once(fw.loops):
        b, l = lr.base, lr.lost
        if l is None or b.ratio.min() < 1 - 1e-6:
            continue
        i = int(l.ratio.argmin())
        if l.ratio[i] < 1 - 1e-6:
            more = f" (the same in {n - 1} more loops of this entry)" if n > 1 else ""
            yield Hit(lr.ptr + "/cdus", f"loop {lr.id} with {lr.cdus_lost} of {lr.spec.cdus} CDUs lost: rack "
                      f"{lr.racks[i].id} gets {l.ratio[i]:.0%} of the flow it needs{more}", "add a CDU or head",
                      value=float(l.ratio[i]), limit=1.0, unit="")


@rule("RF353", "facility-cdu-capacity-short", "error", "A loop's heat exceeds the capacity of its CDUs, all running "
      "or with the redundant ones lost.")
def rf353(ctx):
    """
    **What**: the heat the loop's racks put into the liquid at the operating point exceeds `cdus x capacity`,
    or `(cdus - redundant) x capacity` with the redundant CDUs lost.

    **Why**: above its capacity a CDU cannot hold its approach to the facility water: the secondary supply
    temperature rises by the deficit over the loop's heat capacity flow, and the cold plates with it.

    **Fix**: add CDUs, use larger ones, or move racks to another loop.
    """
    fw = _fw(ctx)
    if fw is None:
        return
    for lr, n in _once(fw.loops):
        more = f" (the same in {n - 1} more loops of this entry)" if n > 1 else ""
        if lr.heat_w > lr.base.capacity_w * (1 + 1e-9):
            yield Hit(lr.ptr + "/cdus", f"loop {lr.id}: {lr.heat_w / 1e6:.2f} MW of heat on {lr.spec.cdus} CDUs of "
                      f"{lr.base.capacity_w / lr.spec.cdus / 1e6:.2f} MW{more}", "add CDUs",
                      value=lr.heat_w, limit=lr.base.capacity_w, unit="W")
        elif lr.lost is not None and lr.heat_w > lr.lost.capacity_w * (1 + 1e-9):
            yield Hit(lr.ptr + "/cdus", f"loop {lr.id}: {lr.heat_w / 1e6:.2f} MW of heat; with {lr.cdus_lost} CDU(s) "
                      f"lost the rest remove {lr.lost.capacity_w / 1e6:.2f} MW{more}", "add a CDU",
                      value=lr.heat_w, limit=lr.lost.capacity_w, unit="W")


@rule("RF354", "facility-supply-above-water-class", "error", "The facility water supply temperature is above the "
      "maximum of its ASHRAE liquid class, or outside what the CDUs accept.",
      requires=["cooling.facility_water_class"])
def rf354(ctx):
    """
    **What**: the facility water supply temperature is above the maximum of the liquid class the plant is built
    for (`facility.water.water_class`, else the generation's `cooling.facility_water_class`: W17, W27, W32,
    W40, W45), or outside the `facility_supply_min`..`facility_supply_max` range of a loop's CDU.

    **Why**: the IT equipment of a generation is specified for a liquid class; warmer facility water means
    warmer secondary supply and hotter cold plates than the racks were checked for.

    **Fix**: lower the supply temperature (more heat-rejection capacity, or chillers for the hottest hours),
    or build for, and check against, a warmer class. Reference: ASHRAE TC 9.9, Water-Cooled Servers (2021).
    """
    fw = _fw(ctx, need_model=False)
    if fw is None or fw.t_fws_c != fw.t_fws_c:
        return
    if fw.class_max_c is not None and fw.t_fws_c > fw.class_max_c + 1e-9:
        yield Hit(fw.t_fws_ptr, f"facility water supply {fw.t_fws_c:.1f} degC is above the {fw.water_class} maximum "
                  f"of {fw.class_max_c:.0f} degC", "lower the supply temperature or change class",
                  requirement="cooling.facility_water_class" if fw.class_from_generation else None,
                  value=fw.t_fws_c, limit=fw.class_max_c, unit="degC")
    for lr, _n in _once(fw.loops):
        lo, hi = lr.cdu.facility_supply_min, lr.cdu.facility_supply_max
        if (lo is not None and fw.t_fws_c < float(lo) - 273.15 - 1e-9) or \
                (hi is not None and fw.t_fws_c > float(hi) - 273.15 + 1e-9):
            yield Hit(lr.ptr + "/cdu", f"CDU {lr.cdu.pn} accepts facility water "
                      f"{'' if lo is None else f'from {float(lo) - 273.15:.0f} '}"
                      f"{'' if hi is None else f'to {float(hi) - 273.15:.0f} '}degC; the supply is "
                      f"{fw.t_fws_c:.1f} degC", "choose a CDU rated for the supply temperature")


@rule("RF355", "heat-rejection-short", "error", "The heat rejection plant cannot reject the hall's liquid heat with "
      "its redundant units out, or is rated for a warmer supply than the design asks.")
def rf355(ctx):
    """
    **What**: the heat the CDUs pass to the facility water (the racks' liquid heat plus the CDU pump power)
    exceeds `(count - redundant) x capacity` of the heat rejection units; or the facility supply temperature
    is below the temperature the units are rated to deliver their capacity at.

    **Why**: the heat rejection plant is the end of the chain: short of capacity, the facility water warms
    until the heat balance closes, at a temperature above the class the racks were checked for.

    **Fix**: add units, or raise the facility supply temperature (if the class allows) to the units' rating.
    """
    fw = _fw(ctx)
    if fw is None or fw.rejection is None:
        return
    r = fw.rejection
    ptr = "/facility/water/heat_rejection"
    if r["loading"] > 1 + 1e-9:
        yield Hit(ptr + "/count", f"{r['load_w'] / 1e6:.1f} MW to reject; {r['units'] - r['redundant']} of "
                  f"{r['units']} units of {r['part']} give {r['capacity_w'] / 1e6:.1f} MW", "add units",
                  value=r["load_w"], limit=r["capacity_w"], unit="W")
    if fw.t_fws_c < r["rated_supply_temperature_c"] - 1e-9:
        yield Hit(ptr + "/part", f"{r['part']} is rated at a {r['rated_supply_temperature_c']:.0f} degC supply; the "
                  f"design asks for {fw.t_fws_c:.1f} degC", "choose units rated for the supply temperature")


@rule("RF356", "header-velocity-high", "warning", "The water velocity in a loop's main or row header is above the "
      "allowed velocity.")
def rf356(ctx):
    """
    **What**: the mean velocity ``Q / (pi D^2 / 4)`` in the main pipe at the CDUs or in the first segment of the
    most loaded row header exceeds `facility.water.max_velocity` (default 3 m/s).

    **Why**: high velocity erodes fittings and valves, makes noise, and costs pump head (pressure drop grows
    with the square of the velocity). Common design practice keeps large chilled-water pipes at 1.2-3 m/s.

    **Fix**: a larger main or header diameter, or fewer racks per loop. Reference: ASHRAE Handbook,
    Fundamentals (2021), ch. 22, pipe sizing.
    """
    fw = _fw(ctx)
    if fw is None:
        return
    for lr, n in _once(fw.loops):
        b = lr.base
        more = f" (the same in {n - 1} more loops)" if n > 1 else ""
        if b.main_velocity > fw.max_velocity:
            yield Hit(lr.ptr + "/main/diameter", f"loop {lr.id}: {b.main_velocity:.1f} m/s in the main, above "
                      f"{fw.max_velocity:.1f} m/s{more}", "a larger main", value=b.main_velocity,
                      limit=fw.max_velocity, unit="m/s")
        if b.header_velocity > fw.max_velocity:
            yield Hit(lr.ptr + "/header/diameter", f"loop {lr.id}: {b.header_velocity:.1f} m/s in a row header, "
                      f"above {fw.max_velocity:.1f} m/s{more}", "larger headers", value=b.header_velocity,
                      limit=fw.max_velocity, unit="m/s")


@rule("RF357", "case-temperature-over-maximum-in-hall", "error", "At the flow and TCS supply temperature the "
      "hall's water gives a rack, a cold-plated component's case temperature exceeds its maximum.")
def rf357(ctx):
    """
    **What**: the rack-level rules (RF301, RF302) judge a rack's cold plates at the flow and supply temperature of
    the CDU its liquid loop names. On a facility water loop the rack gets instead the flow its place on the row
    header gives it and the loop's TCS supply temperature (facility supply plus the facility CDUs' approach at
    their load, more with the redundant CDUs lost). The rack model's branch flows are scaled to the rack's flow in
    the hall and every plate's case temperature recomputed at the loop's supply, for the least-fed rack of each
    rack definition, with all CDUs running and with the redundant ones lost; a case above its maximum is this
    finding.

    **Why**: a rack that passes on its own can still overheat in the hall: the worst-placed rack on a long row
    header gets less flow than the in-row CDU share gave it, and a facility CDU lost raises the supply temperature
    of every rack on the loop.

    **Fix**: colder facility water, CDUs of a smaller approach or more of them, wider headers or shorter rows (more
    flow to the worst-placed rack), or cold plates of a lower thermal resistance.
    """
    fw = _fw(ctx)
    if fw is None:
        return
    worst: dict[str, list] = {}   # per loop entry (repeats share a pointer): the worst plate, loops failing
    for lr in fw.loops:
        failing = False
        for label, s in (("all CDUs running", lr.base),
                         (f"{lr.cdus_lost} of {lr.spec.cdus} CDUs lost", lr.lost)):
            if s is None:
                continue
            for pl in lr.plates(s):
                if pl["margin_k"] < 0:
                    failing = True
                    w = worst.get(lr.ptr)
                    if w is None or pl["margin_k"] < w[0]["margin_k"]:
                        worst[lr.ptr] = [pl, label, lr, s, w[4] if w else 0]
        if failing:
            worst[lr.ptr][4] += 1
    for ptr, (pl, label, lr, s, n) in worst.items():
        more = f" (and {n - 1} more loops of this entry)" if n > 1 else ""
        if not math.isfinite(pl["case_temperature_c"]) or pl["flow_scale"] < 0.01:   # starved (RF351 too)
            yield Hit(ptr, f"loop {lr.id}, {label}: rack {pl['rack']} gets {max(pl['flow_scale'], 0.0):.1%} of its "
                      f"own loop's flow from its row header, so the {pl['cools']} under {pl['plate']} in "
                      f"{pl['mount']} cannot shed its heat{more}",
                      "more flow to the worst-placed rack: wider headers, shorter rows, more pump head")
            continue
        yield Hit(ptr, f"loop {lr.id}, {label}: {pl['cools']} under {pl['plate']} in {pl['mount']} of rack "
                  f"{pl['rack']} reaches {pl['case_temperature_c']:.1f} degC, above its "
                  f"{pl['max_case_temperature_c']:.1f} degC maximum, at a TCS supply of {s.t_supply_c:.1f} degC and "
                  f"{pl['flow_scale']:.0%} of the rack's own loop flow{more}",
                  "colder facility water, CDUs of a smaller approach, more flow to the worst-placed rack",
                  value=pl["case_temperature_c"], limit=pl["max_case_temperature_c"], unit="degC")
