"""RF250-RF269: the facility power chain (design.facility.power, read from ctx.facility_power)."""
from __future__ import annotations

from rackforge.model.findings import Severity
from rackforge.rules import Hit, rule


def _fa(ctx, need_model: bool = True):
    if ctx.design is None or ctx.design.facility is None or ctx.design.facility.power is None:
        return None
    fa = ctx.facility_power
    if need_model and fa.empty:
        return None
    return fa


def _mw(w: float) -> str:
    return f"{w / 1e6:.2f} MW" if abs(w) >= 1e6 else f"{w / 1e3:.1f} kW"


def _per_ptr(items):
    """The first (worst) item per pointer, and how many there were: findings stay few on a hall of repeats."""
    seen: dict[str, list] = {}
    for it in items:
        seen.setdefault(it[0], [it, 0])[1] += 1
    return [(v[0], v[1]) for v in seen.values()]


@rule("RF250", "facility-power-chain-invalid", "error", "The facility power chain cannot be built: an unknown or "
      "wrong part, an id used twice, a dangling 'from', a loop, a rack feed on no busway.")
def rf250(ctx):
    """
    **What**: `facility.power` names something that does not exist or does not fit: a part that is not in the
    catalog or is of the wrong kind (a busway where a transformer belongs), an id used twice, a `from` that
    names no source or element, a chain that loops back on itself, a row with no racks, a rack feed id the
    racks do not have, or rack feeds no `distribution` entry maps onto the chain.

    **Why**: the facility model follows every rack feed up to its sources. A feed that hangs from nothing, or
    a chain that cannot be ordered from the sources down, leaves the loading and outage analysis meaningless,
    so none of the other RF25x rules runs until this is fixed.

    **Fix**: follow the message: name catalog parts of the right kind, give ids once, point `from` at an
    existing source or element, and give every row's rack feeds a `distribution` entry (rows, feed id,
    busway, tap-off, racks per busway, the element each run hangs from).
    """
    fa = _fa(ctx, need_model=False)
    if fa is None:
        return
    for ptr, msg, hint in fa.problems:
        yield Hit(ptr, msg, hint)


@rule("RF251", "facility-element-overloaded", "error", "A facility element (transformer, switchgear, UPS, busway, "
      "breaker, source) is above its rating at the operating point.")
def rf251(ctx):
    """
    **What**: at the design's operating point, with everything in service, an element of the chain carries
    more than it is rated for: a transformer above its kVA, a UPS above its kW (with the modules installed),
    switchgear, an STS, an RPP or a busway run above its rated current, a source above its capacity, or the
    breaker feeding an element above `breaker x derating` (a standard breaker carries 80 % continuously,
    NEC 215.3).

    **Why**: a continuously overloaded element overheats or trips; the racks it feeds go dark.

    **Fix**: add capacity (a larger part, more UPS modules, another lineup), move racks to less loaded runs,
    or use a 100 %-rated breaker (`derating: 1.0`) where the equipment is listed for it.
    """
    fa = _fa(ctx)
    if fa is None:
        return
    hits = [(e.ptr, i) for i, e in enumerate(fa.elems) if fa.base_loading[i] > 1 + 1e-9]
    hits.sort(key=lambda h: -fa.base_loading[h[1]])
    for (ptr, i), n in _per_ptr(hits):
        e = fa.elems[i]
        more = f" (and {n - 1} more from this entry)" if n > 1 else ""
        yield Hit(ptr, f"{e.kind} {e.id} at {fa.base_loading[i]:.0%} of its rating at the operating point "
                  f"({_mw(fa.base_p_out[i])} out){more}", "add capacity or move load",
                  value=float(fa.base_loading[i]), limit=1.0, unit="")


@rule("RF252", "facility-single-loss-overload", "error", "With one element of the facility chain lost, another "
      "element is driven above its rating.")
def rf252(ctx):
    """
    **What**: each source, transformer, switchgear lineup, UPS, STS, RPP and busway run is taken out in turn;
    the racks' live feeds pick up the load the lost path carried (dual-corded racks share their load over
    their live cords), transfer switches move to their alternate. An element that ends above its rating (as
    in RF251) in such a scenario is reported with the worst scenario.

    **Why**: 2N, distributed-redundant and block-redundant designs promise to ride through any single
    failure. In a 4-to-make-3 arrangement each UPS must carry a third of the block after a loss, not a
    quarter; a busway run must carry both halves of its racks when the partner run is lost.

    **Fix**: size the elements for the loss case (UPS rating >= block load / (k - 1) for k-to-make-(k-1)),
    spread the partner runs of one UPS over more UPS systems, or reduce the load per run.
    """
    fa = _fa(ctx)
    if fa is None:
        return
    hits = [(e.ptr, i) for i, e in enumerate(fa.elems)
            if fa.single_worst[i] > 1 + 1e-9 and fa.base_loading[i] <= 1 + 1e-9]
    hits.sort(key=lambda h: -fa.single_worst[h[1]])
    for (ptr, i), n in _per_ptr(hits):
        e = fa.elems[i]
        more = f" (and {n - 1} more from this entry)" if n > 1 else ""
        yield Hit(ptr, f"{e.kind} {e.id} at {fa.single_worst[i]:.0%} of its rating after {fa.single_worst_label[i]}"
                  f"{more}", "size it for the single-loss case or spread the transferred load",
                  value=float(fa.single_worst[i]), limit=1.0, unit="")


@rule("RF253", "facility-single-loss-drops-racks", "error", "Losing one element of the facility chain leaves racks "
      "with no live feed.")
def rf253(ctx):
    """
    **What**: in some single-element outage (a source, transformer, switchgear, UPS, STS, RPP or busway run)
    every feed of some racks is dead: both cords of a rack trace back to the element lost.

    **Why**: a rack with both feeds on one UPS (or one transformer, one busway) is not redundant whatever its
    own PSUs are: the element is a single point of failure for it.

    **Fix**: map the racks' feeds onto runs that hang from different UPS systems (check the `distribution`
    entries' `from` lists), or add a transfer switch with an alternate source.
    """
    fa = _fa(ctx)
    if fa is None:
        return
    for (ptr, d), n in _per_ptr([(d[3], d) for d in fa.single_drops]):
        more = f" (and {n - 1} more outages of this entry)" if n > 1 else ""
        yield Hit(ptr, f"{d[0]} drops {d[2]} rack(s), {_mw(d[1])}{more}", "put each rack's feeds on independent "
                  "paths")


@rule("RF254", "facility-maintenance-plus-fault-fails", "error", "With one element out for maintenance and one "
      "more lost, racks go dark or an element is overloaded.", requires=["facility.power_fault_tolerance"])
def rf254(ctx):
    """
    **What**: the generation asks for `facility.power_fault_tolerance: maintenance_plus_fault` (concurrently
    maintainable and fault tolerant): every element above the busways is taken out for maintenance together
    with any one more element that shares racks with it; some pair drops racks or overloads an element.

    **Why**: a UPS or transformer is out for hours during maintenance; a fault during that window must not
    take the hall down. 2N with a single path per side does not give this; distributed redundancy with
    enough headroom, or N+2, can.

    **Fix**: add a redundant lineup (e.g. 5-to-make-3), add transfer switches to a reserve, or size the
    UPS systems to carry the load with two of them out.
    """
    fa = _fa(ctx)
    if fa is None or not fa.mf_checked:
        return
    for (ptr, d), n in _per_ptr([(d[3], d) for d in fa.mf_drops]):
        more = f" (and {n - 1} more pairs)" if n > 1 else ""
        yield Hit(ptr, f"{d[0]} drops {d[2]} rack(s), {_mw(d[1])}{more}", "add a redundant path",
                  requirement="facility.power_fault_tolerance")
    hits = [(e.ptr, i) for i, e in enumerate(fa.elems)
            if fa.mf_worst[i] > 1 + 1e-9 and fa.single_worst[i] <= 1 + 1e-9]
    for (ptr, i), n in _per_ptr(hits):
        e = fa.elems[i]
        yield Hit(ptr, f"{e.kind} {e.id} at {fa.mf_worst[i]:.0%} of its rating after {fa.mf_worst_label[i]}",
                  "size it for maintenance plus a fault", requirement="facility.power_fault_tolerance",
                  value=float(fa.mf_worst[i]), limit=1.0, unit="")


@rule("RF255", "ups-battery-runtime-short", "error", "A UPS's battery runtime at its worst single-loss load is "
      "below the generation's requirement.", requires=["facility.ups_runtime"])
def rf255(ctx):
    """
    **What**: the runtime of each UPS's battery at the largest load it carries in any single-element outage,
    from its rated runtime at full load with constant stored energy (``t = t_r P_r / P``, conservative at part
    load), is below the generation's `facility.ups_runtime`. A UPS with no battery runtime given fails too.

    **Why**: after a utility loss the UPS batteries carry the hall until the generators are on line and
    loaded; a battery sized for the normal load falls short when the UPS also carries a failed partner's load.

    **Fix**: add battery cabinets (a longer `battery_runtime`), or reduce the worst-case load of the UPS.
    """
    fa = _fa(ctx)
    need = ctx.req("facility.ups_runtime")
    if fa is None or need is None:
        return
    need = float(need)
    bad = [(u["ptr"], u) for u in fa.ups_runtime if u["runtime_s"] is None or u["runtime_s"] < need * (1 - 1e-9)]
    for (ptr, u), n in _per_ptr(bad):
        more = f" (and {n - 1} more UPS from this entry)" if n > 1 else ""
        if u["runtime_s"] is None:
            yield Hit(ptr, f"UPS {u['id']} has no battery runtime; the generation asks for {need:.0f} s{more}",
                      "give battery_runtime on the element or the part", requirement="facility.ups_runtime")
        else:
            yield Hit(ptr, f"UPS {u['id']}: {u['runtime_s']:.0f} s of battery at {_mw(u['worst_load_w'])} "
                      f"({u['scenario']}); the generation asks for {need:.0f} s{more}", "add battery",
                      requirement="facility.ups_runtime", value=u["runtime_s"], limit=need, unit="s")


@rule("RF256", "breakers-not-selective", "error", "A breaker is not smaller than the one upstream of it (or a "
      "thermal-magnetic pair is below the selectivity ratio).")
def rf256(ctx):
    """
    **What**: for each element, busway feeder and rack feed, against the breaker upstream of it at the same
    voltage: the downstream breaker's rating must be below the upstream one's (error otherwise); between two
    thermal-magnetic breakers the ratio must be at least `selectivity_ratio` (default 1.6: current
    selectivity in the overload zone) (warning otherwise). Electronic (LSI) trip units are graded by their
    time settings, which the design does not state; only their order is checked.

    **Why**: selectivity keeps a fault local: the breaker nearest the fault must open first. An upstream
    breaker no larger than a downstream one trips with it, and takes everything else it feeds down.

    **Fix**: size the upstream breaker above the downstream one, or the downstream one smaller; between
    thermal-magnetic breakers keep a ratio of 1.6 or more, or use electronic trip units with time grading.
    Reference: Schneider Electric, Electrical Installation Guide, ch. H (discrimination); NEC 240.12.
    """
    fa = _fa(ctx)
    if fa is None:
        return
    for (ptr, s), n in _per_ptr([(s[0], s) for s in fa.selectivity]):
        more = f" (and {n - 1} more from this entry)" if n > 1 else ""
        yield Hit(ptr, s[1] + more, s[2], severity=Severity.parse(s[3]))


@rule("RF257", "tap-off-underrated", "error", "A busway tap-off box is rated below the rack feed's breaker, or "
      "carries more than 80 % of its rating in the worst single loss.")
def rf257(ctx):
    """
    **What**: every rack feed draws from one tap-off box on its busway run. The box's rated current must be at
    least the rack feed's `breaker` (the box holds that breaker), and the feed's current in the worst
    single-element outage (when the partner feed is lost and this one carries the whole rack) at most 80 %
    of it (continuous load, NEC 215.3).

    **Why**: an undersized tap-off overheats at the plug-in contacts, or cannot hold the breaker the rack
    needs.

    **Fix**: choose a larger tap-off part, or a rack feed with a smaller breaker and more feeds.
    """
    fa = _fa(ctx)
    if fa is None:
        return
    for t in fa.taps:
        if t["rated_current_a"] < t["rack_breaker_a"] - 1e-9:
            yield Hit(t["ptr"] + "/tap_off", f"tap-off {t['tap_off']} ({t['rated_current_a']:.0f} A) is below the "
                      f"{t['rack_breaker_a']:.0f} A breaker of rack feed {t['feed']!r} of {t['definition']!r}",
                      "use a tap-off rated for the rack's breaker")
        elif t["loading"] > 1 + 1e-9:
            yield Hit(t["ptr"] + "/tap_off", f"tap-off {t['tap_off']} carries {t['current_a']:.0f} A for rack feed "
                      f"{t['feed']!r} after {t['scenario']}: {t['loading']:.0%} of 80 % of its "
                      f"{t['rated_current_a']:.0f} A", "use a larger tap-off", value=t["loading"], limit=1.0, unit="")


@rule("RF258", "facility-topology-mismatch", "warning", "The chain does not have the shape of the redundancy "
      "topology it declares (2N, distributed redundant, block redundant).")
def rf258(ctx):
    """
    **What**: `topology` declares the intent; the chain is checked for its shape: 2N needs every rack on two
    UPS systems, with the UPS systems splitting into two sides (no rack on two UPS of one side);
    distributed redundant needs every rack on two UPS systems and at least three UPS in all; block redundant
    needs a transfer element (an STS or ATS with two `from`) to reach the reserve. Any topology but N needs
    UPS systems.

    **Why**: the outage analysis (RF252, RF253) says whether the chain rides through; this rule says whether
    it is the chain the design says it is, which is what operations and maintenance procedures rely on.

    **Fix**: correct the `distribution` mapping, or declare the topology the chain actually has.
    """
    fa = _fa(ctx)
    if fa is None:
        return
    for ptr, msg, hint in fa.topology_issues:
        yield Hit(ptr, msg, hint)


@rule("RF259", "busway-voltage-drop-high", "warning", "The voltage drop along a busway run exceeds the allowed "
      "fraction in the worst single loss.")
def rf259(ctx):
    """
    **What**: the resistive voltage drop from the busway's feeder to its far tap, with the run's taps equal and
    equally spaced one rack pitch apart after its lead-in (``dV = sqrt(3) I r' (l0 + p (n+1)/2)``), at the
    run's largest current in any single-element outage, exceeds `max_voltage_drop` (default 2 %).

    **Why**: the NEC's informational notes recommend at most 3 % on a feeder and 5 % in all; rack PSUs have a
    minimum input voltage, and a long heavily loaded run eats the margin.

    **Fix**: shorten the runs (fewer racks per busway), use a larger busway, or feed from the middle.
    Reference: NEC 215.2(A)(1) Informational Note 2; Schneider Electric Electrical Installation Guide ch. E.
    """
    fa = _fa(ctx)
    if fa is None:
        return
    hits = [(fa.elems[i].ptr, (i, d, lbl)) for i, d, lbl in fa.busway_drop if d > fa.max_voltage_drop]
    hits.sort(key=lambda h: -h[1][1])
    for (ptr, (i, d, lbl)), n in _per_ptr(hits):
        more = f" (and {n - 1} more runs)" if n > 1 else ""
        yield Hit(ptr, f"busway run {fa.elems[i].id}: {d:.2%} voltage drop after {lbl}, above "
                  f"{fa.max_voltage_drop:.2%}{more}", "fewer racks per run, or a larger busway",
                  value=d, limit=fa.max_voltage_drop, unit="")


@rule("RF260", "ups-module-loss-overload", "error", "With one power module of a UPS lost, the UPS is above the "
      "rating of the modules left, at the operating point.")
def rf260(ctx):
    """
    **What**: a modular UPS with `modules` installed is checked with one module out: its output at the
    operating point must fit in `(modules - 1) x module_rating`.

    **Why**: a module failure is the most frequent UPS fault; a UPS without a spare module goes to bypass
    (raw utility) or drops its load when one fails.

    **Fix**: install one more module (N+1 inside the UPS), or reduce the UPS's load.
    """
    fa = _fa(ctx)
    if fa is None:
        return
    hits = [(fa.elems[i].ptr, (i, ld, m)) for i, ld, m in fa.module_loss if ld > 1 + 1e-9]
    for (ptr, (i, ld, m)), n in _per_ptr(hits):
        more = f" (and {n - 1} more UPS)" if n > 1 else ""
        yield Hit(ptr, f"UPS {fa.elems[i].id} with one of its {m} modules lost: {ld:.0%} of the modules left{more}",
                  "install a spare module", value=ld, limit=1.0, unit="")


@rule("RF261", "hall-pue-over-limit", "error", "The hall's power usage effectiveness at the operating point is "
      "above the generation's limit.", requires=["facility.max_pue"])
def rf261(ctx):
    """
    **What**: PUE = total facility power / IT equipment power (ISO/IEC 30134-2), where IT equipment power is
    what the racks draw at their inputs, and total facility power adds the chain's conversion losses
    (transformers, UPS, switchgear, busways) and the cooling power (CDU pumps and heat rejection, from
    `facility.water`). It is above the generation's `facility.max_pue`.

    **Why**: at tens of MW every hundredth of PUE is hundreds of kW of grid capacity that cannot go to IT.

    **Fix**: more efficient UPS (or eco mode where allowed), lower-loss transformers, warmer facility water
    (less heat-rejection power), fewer or right-sized pumps.
    """
    fa = _fa(ctx)
    lim = ctx.req("facility.max_pue")
    if fa is None or lim is None:
        return
    pue = fa.breakdown.get("pue")
    if pue is not None and pue > lim + 1e-9:
        yield Hit("/facility/power", f"PUE {pue:.3f} at {ctx.op}; the generation allows {lim:g}",
                  "cut conversion or cooling losses", requirement="facility.max_pue", value=pue, limit=float(lim),
                  unit="")
