"""RF2xx: power distribution."""
from __future__ import annotations

from rackforge.rules import Hit, rule


def _kw(w: float) -> str:
    return f"{w / 1000:.1f} kW"


@rule("RF200", "nameplate-power-over-envelope", "error", "A rack's IT power at the operating point exceeds the "
      "generation's envelope.", requires=["power.rack_power_max", "power.operating_point"])
def rf200(ctx):
    """
    **What**: the sum of the IT power of every compute and switch tray in a rack, at the design's operating
    point (idle, typical, max, or peak = max x the part's peak factor), exceeds the generation's
    `rack_power_max`.

    **Why**: the generation's envelope is what the hall's power and cooling are provisioned for, per rack. A
    rack above it overloads its feeds and its share of the cooling.

    **Fix**: remove or swap trays, lower the operating point only if the trays are capped at it (power
    capping), or move the design to a generation with a larger envelope.
    """
    lim = ctx.req("power.rack_power_max")
    if lim is None:
        return
    for rd in ctx.r.defs:
        p = ctx.physical[rd.key].it_power_w[ctx.op]
        if p > float(lim) * (1 + 1e-9):
            yield Hit(rd.ptr, f"IT power at {ctx.op} is {_kw(p)}; generation {ctx.gen.id!r} allows {lim} per rack "
                      f"({_kw(p - float(lim))} over)", "remove trays, cap their power, or change generation",
                      requirement="power.rack_power_max", value=p, limit=float(lim), unit="W")


# ---------------------------------------------------------------------------------------------------------------
# RF201+: from the lowered power network and its fault sweep (rackforge.lowering.power, read as ctx.power)
# ---------------------------------------------------------------------------------------------------------------
def _pa(ctx):
    pa = ctx.power
    return None if pa is None or pa.empty else pa


def _psu_scenarios(pa, red):
    """Scenarios a PSU redundancy requirement covers: N+1 any PSU; N+2 any PSU and any two PSUs of one network;
    N+N any PSU and either side (any feed or source) lost."""
    if red in (None, "N"):
        return pa.mask()
    return pa.mask(psu=True, psu_pairs=red == "N+2") | (pa.mask(feed=True) if red == "N+N" else pa.mask())


def _feed_scenarios(pa, red):
    return pa.mask(feed=True) | pa.mask(pdu=True) if red == "dual" else pa.mask()


def _depth_scenarios(pa, depth):
    if not depth:
        return pa.mask()
    return pa.mask(psu=True, shelf=True, pdu=True, feed=True, bbu=True, pairs=depth >= 2)


def _required(ctx, pa):
    """Every scenario some requirement of the generation asks the rack to ride through."""
    return (_psu_scenarios(pa, ctx.req("power.psu_redundancy")) | _feed_scenarios(pa, ctx.req("power.feed_redundancy"))
            | _depth_scenarios(pa, ctx.req("power.fault_depth")))


def _checked(ctx, pa):
    m = _required(ctx, pa) if ctx.gen is not None else pa.mask()
    m[0] = True
    return m


def _worst(values, mask):
    """(scenario, value) of the largest value among the masked scenarios."""
    import numpy as np

    v = np.where(mask, values, -np.inf)
    s = int(np.argmax(v))
    return s, float(v[s])


def _redundancy_hit(pa, mask, requirement, what):
    bad = pa.redundancy_failures(mask)
    if not bad:
        return None
    s = max(bad, key=pa.severity_of)
    probs = pa.scenario_problems(s)
    blk = pa.scen_block[s]
    ptr = pa.blocks[blk].rd.ptr if blk >= 0 else pa.blocks[0].rd.ptr
    real = [i for i, p in enumerate(pa.psus) if not p["virtual"]]
    lf = max((float(pa.psu_lf[s, i]) for i in real), default=0.0)
    more = f" ({len(bad) - 1} more failing scenario(s))" if len(bad) > 1 else ""
    return Hit(ptr, f"{what} is not met: under fault {pa.labels[s]!r} " + "; ".join(p[0] for p in probs[:3])
               + (f" and {len(probs) - 3} more" if len(probs) > 3 else "") + more,
               "add PSUs or shelves, spread them over more feeds, or lower the operating point",
               requirement=requirement, value=lf if not pa.unserved_w[s] else float(pa.unserved_w[s]),
               limit=1.0 if not pa.unserved_w[s] else 0.0, unit="1" if not pa.unserved_w[s] else "W")


@rule("RF201", "psu-overloaded", "error", "A PSU runs above its rating, or a power shelf above its output "
      "rating, in normal operation.")
def rf201(ctx):
    """
    **What**: with every PSU and feed in service, at the design's operating point, a PSU delivers more than
    its continuous rating (the busbar network is solved with droop sharing and current limits), or a power
    shelf's output current exceeds its output connector/clip rating (`output_current_max`).

    **Why**: an overloaded PSU runs hot, current-limits and lets the bus sag; an output clip above its rating
    overheats. Either fails before any fault has happened.

    **Fix**: add PSUs or shelves, move loads to a less loaded busbar segment, or lower the operating point.
    Reference: OCP ORv3 HPR power shelf (33 kW, 700 A clip).
    """
    pa = _pa(ctx)
    if pa is None:
        return
    for i, p in enumerate(pa.psus):
        if not p["virtual"] and pa.psu_lf[0, i] > 1 + 1e-9:
            yield Hit(p["ptr"], f"PSU {p['name']} ({p['pn']}) delivers {pa.psu_p_out_w[0, i] / 1000:.2f} kW, "
                      f"{pa.psu_lf[0, i]:.0%} of its {p['rating'] / 1000:g} kW rating", "add PSUs or shed load")
    for i, g in enumerate(pa.groups):
        if pa.group_i_a[0, i] > g["clip_a"] * (1 + 1e-9):
            yield Hit(g["ptr"], f"power shelf {g['name']} ({g['pn']}) delivers {pa.group_i_a[0, i]:.0f} A; its "
                      f"output is rated {g['clip_a']:.0f} A", "add a shelf on this busbar or move loads")


@rule("RF202", "psu-redundancy-not-met", "error", "A single (or, as the generation asks, double) failure of PSUs, "
      "shelves or feeds leaves load unserved or PSUs over their rating.",
      requires=["power.psu_redundancy", "power.fault_depth"])
def rf202(ctx):
    """
    **What**: every fault the generation asks the rack to ride through is solved: `psu_redundancy` N+1 (any
    one PSU lost), N+2 (any one or two PSUs of one busbar or server lost), N+N (any PSU, or either feed side,
    lost); `fault_depth` 1 (any single PSU, shelf, PDU, feed or BBU lost) or 2 (any pair of those within a
    rack, except pairs that remove every source of the rack: that is the battery's job, RF208). The rule fires
    when such a fault leaves a load below its minimum voltage, or a PSU or shelf above its rating. The message
    names the worst scenario.

    **Why**: redundancy that holds only on paper fails on the first PSU swap or breaker trip; a fault that
    puts the surviving PSUs into current limit sags the bus and trips trays.

    **Fix**: add PSUs or shelves on the segment the message names, spread a server's PSUs over more PDUs or
    feeds, or lower the operating point. Reference: IEC 62040-3 and Uptime Institute tier topology (N+1,
    2N, concurrent maintainability).
    """
    pa = _pa(ctx)
    if pa is None:
        return
    red = ctx.req("power.psu_redundancy")
    depth = ctx.req("power.fault_depth")
    m = _psu_scenarios(pa, red)
    h = _redundancy_hit(pa, m, "power.psu_redundancy", f"PSU redundancy {red}") if red else None
    if h is None and depth:
        h = _redundancy_hit(pa, _depth_scenarios(pa, depth) & ~_feed_scenarios(pa, ctx.req("power.feed_redundancy")),
                            "power.fault_depth", f"fault depth {depth}")
    if h is not None:
        yield h


@rule("RF203", "feed-redundancy-not-met", "error", "Losing one feed (or one PDU) leaves load unserved or PSUs over "
      "their rating.", requires=["power.feed_redundancy"])
def rf203(ctx):
    """
    **What**: with `feed_redundancy: dual`, each feed is lost in turn (feeds naming the same upstream `source`
    are lost together) and each PDU in turn; the rule fires when such a loss leaves a load unserved or a PSU or
    shelf over its rating. A server's PSUs sit on its PDUs in turn (PSU 1 on the first PDU listed, PSU 2 on
    the second, ...), so a server whose surviving PSUs cannot carry it fails here.

    **Why**: A/B feeds exist so that maintenance or a failure upstream of one feed does not stop the rack.

    **Fix**: put the shelves of every busbar on both feeds with enough capacity on each side; give servers
    enough PSUs per PDU, or a third PDU on an independent source; check that A and B do not share a source.
    """
    pa = _pa(ctx)
    if pa is None:
        return
    red = ctx.req("power.feed_redundancy")
    if red != "dual":
        return
    srcs = {f["model"].source or f["name"] for f in pa.feeds}
    if len(srcs) < 2:
        yield Hit(pa.blocks[0].rd.ptr, f"dual feeds are required but the rack draws from {len(srcs)} "
                  "independent source(s)", "add a second feed from another source", requirement="power.feed_redundancy",
                  value=float(len(srcs)), limit=2.0, unit="1")
        return
    h = _redundancy_hit(pa, _feed_scenarios(pa, red), "power.feed_redundancy", "feed redundancy (dual)")
    if h is not None:
        yield h


@rule("RF204", "feed-over-limit", "error", "A feed's line current exceeds its breaker's continuous (derated) "
      "limit, or a PDU its rated input current, in normal operation or a required fault.")
def rf204(ctx):
    """
    **What**: the largest line current of a facility feed (phasor sum of its PSUs' input currents, power
    factor included) exceeds breaker x derating (0.8 by default, NEC 210.20(A) continuous load), or a PDU's
    line current exceeds its rated input current. Checked in normal operation and in every fault scenario the
    generation's redundancy requirements cover (a feed must carry the other feed's load after it is lost).

    **Why**: a breaker loaded above its continuous rating trips on a long job; after a feed loss that takes
    the whole rack down.

    **Fix**: raise the breaker and conductor size, add a feed, or move shelves to a less loaded feed.
    Reference: NEC 210.20(A), 215.3; IEC 60364-4-43.
    """
    pa = _pa(ctx)
    if pa is None:
        return
    m = _checked(ctx, pa)
    for i, f in enumerate(pa.feeds):
        s, v = _worst(pa.feed_loading[:, i], m)
        if v > 1 + 1e-9:
            yield Hit(f["ptr"], f"feed {f['name']} carries {pa.feed_i_a[s, i]:.0f} A per line "
                      f"({'normal operation' if s == 0 else 'under fault ' + repr(pa.labels[s])}); its "
                      f"{f['breaker_a']:g} A breaker allows {f['limit_a']:.0f} A continuous",
                      "raise the breaker, add a feed or move shelves", value=float(pa.feed_i_a[s, i]),
                      limit=f["limit_a"], unit="A")
    for i, p in enumerate(pa.pdus):
        s, v = _worst(pa.pdu_loading[:, i], m)
        if v > 1 + 1e-9:
            yield Hit(p["ptr"], f"PDU {p['name']} carries {pa.pdu_line_a[s, i].max():.0f} A per line "
                      f"({'normal operation' if s == 0 else 'under fault ' + repr(pa.labels[s])}); it is rated "
                      f"{p['rated_a']:g} A", "use a larger PDU or spread the load", value=float(
                          pa.pdu_line_a[s, i].max()), limit=p["rated_a"], unit="A")


@rule("RF205", "phase-imbalance", "error", "A three-phase feed's line currents differ by more than the generation "
      "allows.", requires=["power.max_phase_imbalance"])
def rf205(ctx):
    """
    **What**: in normal operation, a three-phase feed's current unbalance, `max |I_k - mean| / mean` over its
    three line currents (NEMA MG 1 definition), exceeds `max_phase_imbalance`. With `phase: auto` the PSUs of a
    shelf and the PSUs on a PDU take phases a, b, c in turn.

    **Why**: unbalance loads one phase of the upstream transformer and UPS more than the others, drives
    neutral current, and strands capacity: the feed trips on its worst phase.

    **Fix**: spread single-phase PSUs evenly over the phases (`phase: auto`, or set `phase` per mount).
    """
    pa = _pa(ctx)
    lim = ctx.req("power.max_phase_imbalance")
    if pa is None or lim is None:
        return
    for i, f in enumerate(pa.feeds):
        if f["type"] == "ac3" and pa.feed_imbalance[0, i] > float(lim) + 1e-9:
            la = ", ".join(f"{x:.0f}" for x in pa.feed_line_a[0, i])
            yield Hit(f["ptr"], f"feed {f['name']} line currents {la} A are {pa.feed_imbalance[0, i]:.1%} "
                      f"unbalanced; generation {ctx.gen.id!r} allows {float(lim):.0%}",
                      "spread PSUs evenly over phases a, b and c", requirement="power.max_phase_imbalance",
                      value=float(pa.feed_imbalance[0, i]), limit=float(lim), unit="1")


@rule("RF206", "busbar-overcurrent", "error", "A busbar segment carries more than its rated current, in normal "
      "operation or a required fault.")
def rf206(ctx):
    """
    **What**: the current in a busbar segment between two tap points (from the nodal solution of the busbar:
    segment resistance = loop resistance per length x distance between taps at the frame's slot pitch)
    exceeds the busbar part's `rated_current`, in normal operation or in a fault the generation's redundancy
    requirements cover (shelves lost on one side push current along the bar from the other).

    **Why**: an overloaded bar overheats its joints and clips.

    **Fix**: place shelves closer to their loads (interleave shelves and trays), split the busbar, or use a
    higher-rated bar. Reference: NVIDIA/OCP ORv3 1,400 A busbar.
    """
    pa = _pa(ctx)
    if pa is None:
        return
    m = _checked(ctx, pa)
    done = set()
    for i, sg in enumerate(pa.segs):
        s, v = _worst(pa.seg_loading[:, i], m)
        if v > 1 + 1e-9 and sg["ptr"] not in done:
            done.add(sg["ptr"])
            yield Hit(sg["ptr"], f"busbar segment {sg['name']} carries {abs(pa.seg_i_a[s, i]):.0f} A "
                      f"({'normal operation' if s == 0 else 'under fault ' + repr(pa.labels[s])}); rated "
                      f"{sg['rated_a']:.0f} A", "move shelves next to their loads or use a larger bar",
                      value=float(abs(pa.seg_i_a[s, i])), limit=sg["rated_a"], unit="A")


@rule("RF207", "tap-voltage-below-minimum", "error", "In normal operation a load's tap voltage is below its "
      "minimum input voltage.")
def rf207(ctx):
    """
    **What**: in normal operation, the voltage at a tray's busbar tap (PSU set-point less droop and the
    busbar's resistive drop) is below the tray's `input.voltage_min`, or a server's own PSUs cannot hold its
    internal bus (they are in current limit).

    **Why**: a tray below its minimum input voltage browns out or shuts down.

    **Fix**: add shelves near the tray, shorten the path, use a lower-resistance bar, or raise the set-point.
    """
    pa = _pa(ctx)
    if pa is None:
        return
    for i, ld in enumerate(pa.loads):
        if ld["p_w"] > 0 and not pa.load_served[0, i] and not _no_source(pa, ld):
            yield Hit(ld["ptr"], f"{ld['name']} ({ld['pn']}) sees {pa.load_v[0, i]:.2f} V; it needs at least "
                      f"{ld['v_min']:.2f} V", "add PSUs near it or reduce the drop", value=float(pa.load_v[0, i]),
                      limit=ld["v_min"], unit="V")


def _no_source(pa, ld):
    return not any(g["block"] == ld["block"] and g["net"] == ld["net"] and any(
        p["block"] == ld["block"] and p["group"] == g["local"] for p in pa.psus) for g in pa.groups)


@rule("RF208", "battery-holdup-short", "error", "After a feed loss the batteries cannot carry the load they must "
      "carry for the required hold-up time.", requires=["power.battery_holdup"])
def rf208(ctx):
    """
    **What**: for every fault that loses a feed (or source), the busbars left with unserved load must be
    carried by their healthy BBUs: their power rating must cover the load and their energy must last
    `battery_holdup` (t = E / P). A busbar whose loads the surviving feed carries needs no battery.

    **Why**: the batteries bridge the gap until the generator or the other source takes over; a short hold-up
    drops the rack.

    **Fix**: add BBUs (or larger ones) to the shelves of the busbar named, or make the rack feed-redundant.
    Reference: OCP ORv3 BBU (90 s at rated load, end of life).
    """
    pa = _pa(ctx)
    req = ctx.req("power.battery_holdup")
    if pa is None or req is None:
        return
    bad = [h for h in pa.holdup if not h["power_ok"] or h["holdup_s"] < float(req) * (1 - 1e-9)]
    if bad:
        h = min(bad, key=lambda x: x["holdup_s"] if x["power_ok"] else -1.0)
        ptr = pa.blocks[h["block"]].rd.ptr
        why = (f"the BBUs deliver {h['bbu_power_w'] / 1000:.1f} kW for {h['carried_w'] / 1000:.1f} kW of load"
               if not h["power_ok"] else f"they last {h['holdup_s']:.1f} s")
        yield Hit(ptr, f"after fault {h['scenario']!r} the batteries must carry {h['carried_w'] / 1000:.1f} kW for "
                  f"{float(req):g} s; {why}", "add BBUs or make the rack feed-redundant",
                  requirement="power.battery_holdup", value=h["holdup_s"] if h["power_ok"] else 0.0,
                  limit=float(req), unit="s")


@rule("RF209", "power-input-mismatch", "error", "A shelf, PSU or PDU is wired to a feed of the wrong type or "
      "voltage.")
def rf209(ctx):
    """
    **What**: an AC power shelf, PSU or PDU on a DC feed (or the reverse), a three-phase PSU on a single-phase
    feed, a feed voltage outside the part's input range as the part is connected, or a line-to-neutral
    connection on a feed without a neutral (`wiring: delta`). Voltages are compared the way the part is
    connected: a three-phase input's range is line-to-line (an ORv3 shelf's 346-480 V takes 400/230 V,
    415/240 V and 480/277 V feeds); a single-phase PSU on a three-phase feed connects as its
    `input.connection` says, or line-to-neutral when that voltage is in its range (ORv3 PSUs at 400/230,
    415/240 or 480/277 V), otherwise line-to-line (208 V North-American shelves). A mount's `phase: a|b|c` is
    line-to-neutral, `ab|bc|ca` line-to-line.

    **Why**: the part will not start, or will be damaged.

    **Fix**: use the part variant for the feed, or a feed of the right type and voltage.
    """
    pa = ctx.power
    if pa is None:
        return
    seen = set()
    for ptr, msg, hint in pa.mismatches:
        if (ptr, msg) not in seen:
            seen.add((ptr, msg))
            yield Hit(ptr, msg, hint)


@rule("RF210", "feed-not-allowed-by-generation", "error", "A feed's type or voltage is not what the generation "
      "specifies.", requires=["power.feed_type", "power.feed_voltage_min", "power.feed_voltage_max",
                              "power.feed_frequency"])
def rf210(ctx):
    """
    **What**: a feed's type (AC or DC) differs from the generation's `feed_type`, its voltage (line-to-line
    for three-phase AC) is outside `feed_voltage_min`..`feed_voltage_max`, or an AC feed states a frequency
    other than the generation's `feed_frequency` (50 Hz in Europe, 60 Hz in North America).

    **Why**: the generation's feed is what the target halls distribute; a rack built for another feed cannot
    be installed there.

    **Fix**: change the feed (and the shelves or PDUs on it), or the generation.
    """
    want = ctx.req("power.feed_type")
    lo, hi = ctx.req("power.feed_voltage_min"), ctx.req("power.feed_voltage_max")
    feeds = [(f"/feeds/{i}", f) for i, f in enumerate(ctx.design.feeds)]
    for rd in ctx.r.defs:
        feeds += [(f"{rd.ptr}/power/feeds/{i}", f) for i, f in enumerate(rd.body.power.feeds)]
    for ptr, f in feeds:
        kind = "dc" if f.type == "dc" else "ac"
        v = float(f.voltage)
        if want is not None and kind != want:
            yield Hit(f"{ptr}/type", f"feed {f.id!r} is {f.type}; generation {ctx.gen.id!r} specifies {want} feeds",
                      "use the generation's feed type", requirement="power.feed_type")
        elif lo is not None and v < float(lo) - 1e-9:
            yield Hit(f"{ptr}/voltage", f"feed {f.id!r} is {v:g} V; generation {ctx.gen.id!r} needs at least "
                      f"{float(lo):g} V", "use the generation's feed voltage", requirement="power.feed_voltage_min",
                      value=v, limit=float(lo), unit="V")
        elif hi is not None and v > float(hi) + 1e-9:
            yield Hit(f"{ptr}/voltage", f"feed {f.id!r} is {v:g} V; generation {ctx.gen.id!r} allows at most "
                      f"{float(hi):g} V", "use the generation's feed voltage", requirement="power.feed_voltage_max",
                      value=v, limit=float(hi), unit="V")
        hz = ctx.req("power.feed_frequency")
        if hz is not None and f.type != "dc" and f.frequency is not None and \
                abs(float(f.frequency) - float(hz)) > 1e-9 * float(hz):
            yield Hit(f"{ptr}/frequency", f"feed {f.id!r} is {float(f.frequency):g} Hz; generation {ctx.gen.id!r} "
                      f"specifies {float(hz):g} Hz", "use the generation's mains frequency, or a generation for "
                      "the region", requirement="power.feed_frequency", value=float(f.frequency), limit=float(hz),
                      unit="Hz")


@rule("RF211", "busbar-voltage-out-of-range", "error", "The busbar voltage leaves the generation's range in normal "
      "operation or a required fault.", requires=["power.busbar_voltage_min", "power.busbar_voltage_max"])
def rf211(ctx):
    """
    **What**: the lowest busbar node voltage (normal operation and every fault the redundancy requirements
    cover) is below `busbar_voltage_min`, or the highest (normal operation: PSU set-points less droop) above
    `busbar_voltage_max`.

    **Why**: the generation's busbar range is what its trays are designed for (ORv3: 46-52 V at the IT input).

    **Fix**: change the PSU set-point, shorten the path or use a lower-resistance bar, or add shelves.
    """
    pa = _pa(ctx)
    if pa is None or pa.bus_node_v.shape[1] == 0:
        return
    lo, hi = ctx.req("power.busbar_voltage_min"), ctx.req("power.busbar_voltage_max")
    m = _checked(ctx, pa)
    import numpy as np

    ptr = pa.blocks[0].rd.ptr
    if lo is not None:
        vmin = np.where(m, pa.bus_node_v.min(axis=1), np.inf)
        s = int(np.argmin(vmin))
        if vmin[s] < float(lo) - 1e-9:
            yield Hit(ptr, f"busbar voltage falls to {vmin[s]:.2f} V ({'normal operation' if s == 0 else 'under fault ' + repr(pa.labels[s])}); "
                      f"generation {ctx.gen.id!r} needs at least {float(lo):g} V", "add shelves or reduce the drop",
                      requirement="power.busbar_voltage_min", value=float(vmin[s]), limit=float(lo), unit="V")
    if hi is not None:
        vmax = float(pa.bus_node_v[0].max())
        if vmax > float(hi) + 1e-9:
            yield Hit(ptr, f"busbar voltage reaches {vmax:.2f} V in normal operation; generation {ctx.gen.id!r} "
                      f"allows at most {float(hi):g} V", "lower the PSU set-point",
                      requirement="power.busbar_voltage_max", value=vmax, limit=float(hi), unit="V")


@rule("RF212", "psu-poor-efficiency-point", "warning", "A shelf's or server's PSUs run far from the efficient part "
      "of their curve.")
def rf212(ctx):
    """
    **What**: in normal operation a shelf's (or server's) PSUs run more than 2 percentage points below the
    peak of their efficiency curve, while the shelf carries at least 1 % of its rack's load (auxiliary
    loads such as a management switch on a large converter are left alone).

    **Why**: a PSU at light load wastes power as heat: typical when too many shelves share a small load
    (over-provisioned N+N) or when the operating point is far below the design point.

    **Fix**: use fewer or smaller PSUs on that segment (keeping redundancy), or consolidate loads.
    """
    pa = _pa(ctx)
    if pa is None:
        return
    import numpy as np

    it = {bi: max(rt["it_load_w"], 1e-9) for bi, rt in enumerate(pa.rack_totals)}
    for gi, g in enumerate(pa.groups):
        mine = [i for i, p in enumerate(pa.psus) if p["block"] == g["block"] and p["group"] == g["local"]
                and not p["virtual"]]
        if not mine or pa.group_p_w[0, gi] < 0.01 * it[g["block"]]:
            continue
        eta = np.nanmean(pa.psu_eta[0, mine])
        peak = float(pa.psu_eta_peak[mine].max())
        if np.isfinite(eta) and eta < peak - 0.02:
            yield Hit(g["ptr"], f"{g['name']}: PSUs run at {pa.psu_lf[0, mine].mean():.0%} load and "
                      f"{eta:.1%} efficiency, {100 * (peak - eta):.1f} points below their {peak:.1%} peak",
                      "use fewer or smaller PSUs, keeping the redundancy")


@rule("RF213", "energy-storage-missing", "error", "The generation asks for PSUs with energy storage; the rack has "
      "none.", requires=["power.energy_storage"])
def rf213(ctx):
    """
    **What**: the generation sets `energy_storage: true` and no PSU in the rack (shelf PSUs or a server's
    own) has `energy_storage`.

    **Why**: synchronous training steps swing a rack's load by tens of kilowatts in milliseconds; storage in
    the PSUs smooths the grid draw (NVIDIA GB300 power shelves).

    **Fix**: use the PSU variant with energy storage.
    """
    if not ctx.req("power.energy_storage"):
        return
    pa = ctx.power
    if pa is None or pa.empty:
        return
    for bi, b in enumerate(pa.blocks):
        real = [p for p in pa.psus if p["block"] == bi and not p["virtual"]]
        if real and not any(p["energy_storage"] > 0 for p in real):
            yield Hit(b.rd.ptr, f"no PSU of rack {b.rd.key!r} has energy storage; generation {ctx.gen.id!r} "
                      "requires it", "use PSUs with energy storage", requirement="power.energy_storage")


@rule("RF214", "load-unpowered", "error", "A tray or server has no power source: no busbar with shelves, no PDU, or "
      "its shelf or PDU has no feed.")
def rf214(ctx):
    """
    **What**: a compute or switch tray is on no busbar fed by a power shelf and lists no PDUs, names no busbar
    in a rack with several, or the shelf or PDU it depends on names no feed.

    **Why**: the part is installed but cannot be switched on.

    **Fix**: wire it: `busbar` for a DC tray, `feeds` (PDU mounts) for a server, `feed` for shelves and PDUs.
    """
    pa = ctx.power
    if pa is None:
        return
    for ptr, msg, hint in pa.unpowered:
        yield Hit(ptr, msg, hint)
    if pa.empty:
        return
    for i, ld in enumerate(pa.loads):
        if ld["p_w"] > 0 and _no_source(pa, ld) and not any(u[0] == ld["ptr"] for u in pa.unpowered):
            yield Hit(ld["ptr"], f"{ld['name']} is on a bus no PSU feeds", "add a power shelf on its busbar")


@rule("RF215", "power-figure-is-chip-tdp", "warning", "A part's power figure is a sum of chip TDPs: the rack's power "
      "is understated.")
def rf215(ctx):
    """
    **What**: an IT part in the design declares `power.basis: chip_tdp`: its figures are a sum of chip TDPs
    (GPUs, CPUs, switch ASICs) without memory, NICs, fans, voltage-regulator and board losses. rackforge models
    the figure as the DC load its PSUs or busbar carry, so every total built on it (feed currents, PSU loading,
    heat) is low.

    **Why**: a tray draws well above its chips' TDP sum (voltage regulators alone lose several percent); sizing
    feeds, shelves and cooling on the chip sum under-provisions them.

    **Fix**: give the part's published input figure (`basis: ac_input` for a server's AC input rating,
    `dc_output` for a tray's DC draw at the busbar), or a derived figure that adds the other loads and losses
    (cite it in `sources`). Reference: rackforge.schema.catalog.PowerDraw.
    """
    seen = set()
    for rd, mi in ctx.r.iter_mounts():
        part = mi.part
        pw = getattr(part, "power", None)
        if pw is None or getattr(pw, "basis", None) != "chip_tdp" or mi.ptr in seen:
            continue
        seen.add(mi.ptr)
        yield Hit(mi.ptr, f"{mi.id} ({part.pn}): power figure {float(pw.max) / 1000:.2f} kW max is a chip TDP sum; "
                  "memory, NICs, fans and conversion losses are not in it", "give the part's input power figure")


@rule("RF216", "input-frequency-mismatch", "error", "An AC feed's frequency is outside the input frequency range "
      "of a shelf, PSU or PDU on it.")
def rf216(ctx):
    """
    **What**: a feed states its `frequency` (50 Hz in Europe, 60 Hz in North America) and a power shelf, PSU,
    PDU or directly fed part on it has an input frequency range (`input.frequency_min`..`frequency_max`) that
    does not include it.

    **Why**: a PSU outside its rated input frequency may not start or may run its power-factor stage out of
    specification; region-specific parts (a 60 Hz-only unit in a 50 Hz hall) are a common ordering mistake.

    **Fix**: use the part variant rated for the region's mains frequency (most server PSUs take 47-63 Hz), or
    correct the feed's frequency. Reference: IEC 60038 (standard voltages), IEC 60196 (standard frequencies).
    """
    pa = ctx.power
    if pa is None:
        return
    seen = set()
    for ptr, msg, hint in pa.freq_mismatches:
        if (ptr, msg) not in seen:
            seen.add((ptr, msg))
            yield Hit(ptr, msg, hint)
