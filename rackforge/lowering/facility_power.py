"""Facility power lowering: the design's ``facility.power`` into the arrays of :func:`rackforge.solvers.facility.
chain_flow`, the outage sweep, and the figures the RF25x rules read (``ctx.facility_power``).

Model (SI units; equations in :mod:`rackforge.solvers.facility`)
-------------------------------------------------------------------
* **Elements.** Sources (utility MV feeds, generators), then ``elements`` (transformers, switchgear, UPS, STS,
  RPP) and one busway run per ``racks_per_busway`` racks of each ``distribution`` entry, in topological order.
  ``repeat`` copies are expanded first (see :mod:`rackforge.model.schema.facility`).
* **Rack load.** Each rack draws the input power the rack power model computed for its definition at the
  operating point (``ctx.power``: PSU inputs, i.e. IT load plus PSU and busbar losses), split over its feeds as
  that model splits it in the base case. A rack whose power model is empty draws its IT power / 0.95
  (``rack_power_assumed``). Racks of one definition on the same busway runs form one *group*.
* **Limits.** Transformers: apparent power against the rating. UPS: output against its rating (with
  ``modules`` installed: ``modules x module_rating``); one module lost is checked at the operating point.
  Switchgear, STS, RPP, busway runs: input current ``P / (sqrt(3) V pf)`` against the rated current; the
  breaker feeding an element: input current against ``breaker x derating`` (NEC 215.3: a standard breaker
  carries 80 % continuously). Sources: apparent power against their capacity.
* **Scenarios.** The base case; every single element out (each source, transformer, switchgear, UPS, STS,
  RPP and busway run); with ``facility.power_fault_tolerance: maintenance_plus_fault`` every element of the
  chain above the busways out for maintenance together with any one more element that shares racks with it
  (pairs that share no rack group, directly or through a transfer alternate, cannot interact on a radial chain
  beyond their common sources, which are included).
* **Tap-offs.** One per rack feed; its current is the feed's share in the worst scenario. Its rating must be at
  least the rack feed's breaker, and the worst current at most 80 % of its rating.
* **Selectivity basics.** For every element and busway feeder, against each upstream candidate at the same
  voltage: the upstream breaker must be larger; between two thermal-magnetic breakers by at least
  ``selectivity_ratio`` (current selectivity in the overload zone, Schneider Electric Electrical Installation
  Guide ch. H: Ir upstream / Ir downstream > 1.6). Electronic (LSI) trip units are made selective by their
  time settings, which the design does not state, so only the ordering is checked for them.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SQRT3 = math.sqrt(3.0)
DEFAULT_LEAD_IN_M = 5.0
DEFAULT_RACK_PITCH_M = 0.6
ASSUMED_RACK_EFFICIENCY = 0.95
TAP_OFF_CONTINUOUS = 0.8
CHUNK = 2048
#: element x scenario products from which the outage sweep takes the numba kernel (its one-time load, ~0.5 s, then
#: pays): the 12-rack block seed (700) stays on numpy, a 1,000-rack hall (280,000) goes to numba.
NUMBA_MIN_WORK = 100_000

_KIND_CODE = {"transformer": 1, "ups": 2, "switchgear": 3, "sts": 3, "rpp": 3}
ELEMENT_KINDS = ("transformer", "switchgear", "ups", "sts", "rpp")


@dataclass
class Elem:
    id: str
    kind: str                  # source | transformer | switchgear | ups | sts | rpp | busway
    ptr: str
    part: Any = None
    spec: Any = None           # schema Source / Element / Distribution
    ups_: list = field(default_factory=list)     # upstream ids
    up: list = field(default_factory=list)       # upstream indices
    voltage_v: float = float("nan")             # output (secondary) voltage
    breaker_a: float | None = None
    breaker_type: str = "electronic"
    derating: float = 0.8
    lim_out_w: float = math.inf
    lim_in_w: float = math.inf
    lim_breaker_w: float = math.inf
    # busway runs
    row: str | None = None
    feed: str | None = None
    racks: int = 0
    length_m: float = 0.0
    r_loss: float = 0.0
    r_drop: float = 0.0


@dataclass
class FacilityPowerAnalysis:
    empty: bool = True
    problems: list = field(default_factory=list)        # (pointer, message, hint)
    elems: list = field(default_factory=list)
    topology: str | None = None
    pf: float = 0.99
    labels: list = field(default_factory=list)
    base_p_in: np.ndarray | None = None
    base_p_out: np.ndarray | None = None
    base_loading: np.ndarray | None = None
    single_worst: np.ndarray | None = None              # (E,) worst loading over single losses
    single_worst_label: list = field(default_factory=list)
    mf_worst: np.ndarray | None = None
    mf_worst_label: list = field(default_factory=list)
    mf_checked: bool = False
    mf_scenarios: int = 0
    single_drops: list = field(default_factory=list)    # (label, dropped W, racks, ptr)
    mf_drops: list = field(default_factory=list)
    module_loss: list = field(default_factory=list)     # (elem idx, loading with one module lost)
    taps: list = field(default_factory=list)            # dicts per (definition, feed)
    selectivity: list = field(default_factory=list)     # (ptr, message, hint, severity)
    topology_issues: list = field(default_factory=list)
    ups_runtime: list = field(default_factory=list)     # dicts
    busway_drop: list = field(default_factory=list)     # (elem idx, drop fraction, label)
    max_voltage_drop: float = 0.02
    selectivity_ratio: float = 1.6
    breakdown: dict = field(default_factory=dict)
    racks: int = 0
    rack_power_assumed: bool = False
    scenarios: int = 0
    seconds: float = 0.0
    path: str = "numpy"
    single_max_out: np.ndarray | None = None
    base_chosen: np.ndarray | None = None

    def to_json(self) -> dict:
        if self.empty:
            return {"modelled": False}
        r6 = _r6
        out: dict = {"modelled": True, "solver": self.path, "topology": self.topology, "racks": self.racks, "scenarios": self.scenarios,
                     "maintenance_plus_fault_scenarios": self.mf_scenarios,
                     "rack_power_assumed": self.rack_power_assumed, **{k: r6(v) for k, v in self.breakdown.items()}}
        by_kind: dict[str, dict] = {}
        for i, e in enumerate(self.elems):
            k = by_kind.setdefault(e.kind, {"count": 0, "loading_max": 0.0, "single_loss_loading_max": 0.0,
                                            "loss_w": 0.0})
            k["count"] += 1
            k["loading_max"] = max(k["loading_max"], float(self.base_loading[i]))
            k["single_loss_loading_max"] = max(k["single_loss_loading_max"], float(self.single_worst[i]))
            k["loss_w"] += float(self.base_p_in[i] - self.base_p_out[i])
        out["by_kind"] = {k: {kk: r6(vv) if isinstance(vv, float) else vv for kk, vv in v.items()}
                          for k, v in by_kind.items()}
        out["elements"] = [
            {"id": e.id, "kind": e.kind, "part": getattr(e.part, "pn", None), "output_w": r6(self.base_p_out[i]),
             "input_w": r6(self.base_p_in[i]), "loading": r6(self.base_loading[i]),
             "single_loss_loading": r6(self.single_worst[i]), "single_loss_worst": self.single_worst_label[i]}
            for i, e in enumerate(self.elems) if e.kind != "busway"]
        bw = [i for i, e in enumerate(self.elems) if e.kind == "busway"]
        if bw:
            i = max(bw, key=lambda j: self.single_worst[j])
            out["busway_runs"] = len(bw)
            out["busway_worst"] = {"id": self.elems[i].id, "loading": r6(self.base_loading[i]),
                                   "single_loss_loading": r6(self.single_worst[i]),
                                   "single_loss_worst": self.single_worst_label[i]}
        if self.busway_drop:
            i, drop, lbl = max(self.busway_drop, key=lambda x: x[1])
            out["busway_voltage_drop_max"] = {"id": self.elems[i].id, "fraction": r6(drop), "scenario": lbl}
        out["tap_offs"] = [{k: (r6(v) if isinstance(v, float) else v) for k, v in t.items() if k != "ptr"}
                           for t in self.taps]
        out["ups_runtime"] = [{k: (r6(v) if isinstance(v, float) else v) for k, v in u.items() if k != "ptr"}
                              for u in self.ups_runtime]
        out["single_loss_dropping_racks"] = [{"scenario": d[0], "dropped_w": r6(d[1]), "racks": d[2]}
                                             for d in self.single_drops[:20]]
        if self.mf_checked:
            out["maintenance_plus_fault_dropping_racks"] = [{"scenario": d[0], "dropped_w": r6(d[1]), "racks": d[2]}
                                                            for d in self.mf_drops[:20]]
        out["seconds"] = r6(self.seconds)
        return out


def _r6(x):
    if x is None:
        return None
    x = float(x)
    return round(x, 6) if math.isfinite(x) else None


# ---------------------------------------------------------------------------------------------------------------
def expand(items, ptr: str, problems: list) -> list[tuple[Any, str, dict]]:
    """``repeat`` copies of schema entries: (entry, pointer, format values). Format errors go to ``problems``."""
    out = []
    for i, it in enumerate(items):
        p = f"{ptr}/{i}"
        rep = getattr(it, "repeat", None)
        if not rep:
            out.append((it, p, {}))
            continue
        names = list(rep)
        for combo in itertools.product(*(range(rep[n][0], rep[n][1] + 1) for n in names)):
            out.append((it, p, dict(zip(names, combo))))
    return out


def fmt(text: str, values: dict, ptr: str, problems: list) -> str:
    if not values:
        return text
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        problems.append((ptr, f"cannot format {text!r} with {values}: {exc}",
                         "use the repeat names in braces, e.g. 'UPS{k:02d}'"))
        return text


def rows_of(ctx) -> dict[str, list]:
    """Rack instances per row id, in row order (``index``)."""
    rows: dict[str, list] = {}
    for r in ctx.r.racks:
        rows.setdefault(r.row, []).append(r)
    for v in rows.values():
        v.sort(key=lambda r: r.index)
    return rows


def rack_pitch(ctx) -> float:
    p = ctx.design.site.rack_pitch
    return float(p) if p is not None else DEFAULT_RACK_PITCH_M


def _rack_loads(ctx, fa: FacilityPowerAnalysis) -> dict[str, tuple[float, dict[str, float], float, float]]:
    """Per rack definition: (input power [W], feed id -> share, IT load [W], rack conversion loss [W])."""
    from rackforge.model.resolved import IT_KINDS, mount_power

    out: dict[str, tuple] = {}
    # a mixed hall: each rack's load from the power model of its own generation (its fault cases, its operating
    # point), ``ctx.by_generation()``; one generation: ``[ctx]``
    for gctx in ctx.by_generation():
        pa = gctx.power
        totals = {} if pa is None or pa.empty else {rt["definition"]: rt for rt in pa.rack_totals}
        feed_in: dict[str, float] = {}
        if pa is not None and not pa.empty:
            for f in pa.feeds:
                feed_in[f["name"]] = f["p_in_w"]
        for d in gctx.r.defs:
            if not d.instances:
                continue
            feeds = [f.id for f in d.body.power.feeds]
            rt = totals.get(d.key)
            if rt is not None and rt["facility_input_w"] > 0:
                p = float(rt["facility_input_w"])
                it = float(rt["it_load_w"])
                first = d.instances[0].id
                w = {f: feed_in.get(f"{first}/{f}", 0.0) for f in feeds}
                tot = sum(w.values())
                shares = {f: (v / tot if tot > 0 else 1.0 / max(len(feeds), 1)) for f, v in w.items()}
            else:
                it = sum(mount_power(mi.part, gctx.op) for mi in d.mounts
                         if mi.part is not None and mi.kind in IT_KINDS)
                p = it / ASSUMED_RACK_EFFICIENCY
                shares = {f: 1.0 / max(len(feeds), 1) for f in feeds}
                fa.rack_power_assumed = fa.rack_power_assumed or p > 0
            out[d.key] = (p, shares, it, p - it)
    return out


def _limits(e: Elem, pf: float) -> None:
    part = e.part
    if e.kind == "source":
        e.voltage_v = float(e.spec.voltage)
        e.lim_in_w = float(e.spec.capacity) * pf
        return
    if e.kind == "transformer":
        e.voltage_v = float(part.secondary_voltage)
        e.lim_out_w = float(part.rating) * pf
    elif e.kind == "ups":
        e.voltage_v = float(part.voltage)
        mods = e.spec.modules or part.modules
        mr = float(part.module_rating) if part.module_rating is not None else float(part.rating) / part.modules
        e.lim_out_w = min(float(part.rating), mods * mr) if e.spec.modules else float(part.rating)
    else:
        e.voltage_v = float(part.voltage)
        e.lim_in_w = SQRT3 * e.voltage_v * pf * float(part.rated_current)
    if e.breaker_a is not None and e.kind != "transformer":
        e.lim_breaker_w = SQRT3 * e.voltage_v * pf * e.breaker_a * e.derating


def _lower(ctx, fa: FacilityPowerAnalysis):
    fp = ctx.design.facility.power
    probs = fa.problems
    cat = ctx.catalog
    elems: list[Elem] = []
    by_id: dict[str, int] = {}

    def add(e: Elem) -> None:
        if e.id in by_id:
            probs.append((e.ptr + "/id", f"facility id {e.id!r} is used twice", "give every source and element "
                          "its own id"))
            return
        by_id[e.id] = len(elems)
        elems.append(e)

    for src, p, vals in expand(fp.sources, "/facility/power/sources", probs):
        add(Elem(fmt(src.id, vals, p + "/id", probs), "source", p, None, src))
    for el, p, vals in expand(fp.elements, "/facility/power/elements", probs):
        part = cat.get(el.part)
        eid = fmt(el.id, vals, p + "/id", probs)
        if part is None:
            probs.append((p + "/part", f"unknown part {el.part!r} for facility element {eid!r}",
                          "use a catalog part of kind transformer, switchgear, ups, sts or rpp"))
            continue
        if part.kind not in ELEMENT_KINDS:
            probs.append((p + "/part", f"part {el.part!r} is a {part.kind}, not a facility chain element",
                          "use a part of kind transformer, switchgear, ups, sts or rpp (busways and tap-offs go "
                          "in distribution)"))
            continue
        e = Elem(eid, part.kind, p, part, el, [fmt(u, vals, p + "/from", probs) for u in el.from_])
        e.breaker_a = float(el.breaker) if el.breaker is not None else (
            float(part.rated_current) if hasattr(part, "rated_current") else None)
        e.breaker_type, e.derating = el.breaker_type, float(el.derating)
        add(e)
    # busway runs from the distribution
    rows = rows_of(ctx)
    pitch = rack_pitch(ctx)
    mapping: dict[tuple[str, str], int] = {}      # (rack id, feed id) -> busway elem index
    seen_rowfeed: dict[tuple[str, str], str] = {}
    dist_ptrs: dict[int, str] = {}
    fa.dist_parts = {}
    for dist, p, vals in expand(fp.distribution, "/facility/power/distribution", probs):
        bw = cat.get(dist.busway)
        to = cat.get(dist.tap_off)
        ok = True
        if bw is None or bw.kind != "busway":
            probs.append((p + "/busway", f"{dist.busway!r} is not a busway part" if bw else
                          f"unknown busway part {dist.busway!r}", "name a catalog part of kind busway"))
            ok = False
        if to is None or to.kind != "tap_off":
            probs.append((p + "/tap_off", f"{dist.tap_off!r} is not a tap-off part" if to else
                          f"unknown tap-off part {dist.tap_off!r}", "name a catalog part of kind tap_off"))
            ok = False
        if not ok:
            continue
        froms = [fmt(u, vals, p + "/from", probs) for u in dist.from_]
        run = 0
        lead = float(dist.lead_in) if dist.lead_in is not None else DEFAULT_LEAD_IN_M
        for row_t in dist.rows:
            row = fmt(row_t, vals, p + "/rows", probs)
            if row not in rows:
                probs.append((p + "/rows", f"row {row!r} has no racks in this design",
                              f"rows are: {', '.join(sorted(rows)[:8])}{' ...' if len(rows) > 8 else ''}"))
                continue
            key = (row, dist.feed)
            if key in seen_rowfeed:
                probs.append((p, f"feed {dist.feed!r} of row {row!r} is mapped twice (also at {seen_rowfeed[key]})",
                              "map each row's feed once"))
                continue
            seen_rowfeed[key] = p
            racks = rows[row]
            if any(dist.feed not in {f.id for f in r.rdef.body.power.feeds} for r in racks):
                probs.append((p + "/feed", f"racks of row {row!r} have no feed {dist.feed!r}",
                              "name a feed id of the racks' power.feeds"))
                continue
            for j in range(0, len(racks), dist.racks_per_busway):
                chunk = racks[j:j + dist.racks_per_busway]
                e = Elem(f"{row}/{dist.feed}/bw{j // dist.racks_per_busway + 1}", "busway", p, bw, dist,
                         [froms[run % len(froms)]], row=row, feed=dist.feed, racks=len(chunk))
                run += 1
                e.breaker_a = float(dist.breaker) if dist.breaker is not None else float(bw.rated_current)
                e.breaker_type, e.derating = dist.breaker_type, float(dist.derating)
                e.r_loss, e.r_drop = _busway(len(chunk), pitch, lead, float(bw.resistance_per_length))
                e.length_m = lead + pitch * len(chunk)
                e.tap_off = to
                add(e)
                bi = by_id.get(e.id)
                if bi is None:
                    continue
                for r in chunk:
                    mapping[(r.id, dist.feed)] = bi
    # resolve upstream ids
    for e in elems:
        for u in e.ups_:
            j = by_id.get(u)
            if j is None:
                probs.append((e.ptr + "/from", f"{e.id!r} hangs from {u!r}, which is no source or element",
                              "name a source or element id"))
            else:
                e.up.append(j)
    order = _topo(elems, probs)
    return elems, order, mapping


def _busway(n, pitch, lead, r):
    from rackforge.solvers.facility import busway_run

    return busway_run(n, pitch, lead, r)


def _topo(elems: list[Elem], probs: list) -> list[int] | None:
    n = len(elems)
    state = [0] * n
    order: list[int] = []
    for s in range(n):
        if state[s]:
            continue
        stack = [(s, 0)]
        state[s] = 1
        while stack:
            v, k = stack[-1]
            if k < len(elems[v].up):
                stack[-1] = (v, k + 1)
                u = elems[v].up[k]
                if state[u] == 1:
                    probs.append((elems[v].ptr + "/from", f"the chain loops back through {elems[u].id!r}",
                                  "a power chain runs one way, from the sources down"))
                    return None
                if state[u] == 0:
                    state[u] = 1
                    stack.append((u, 0))
            else:
                state[v] = 2
                order.append(v)
                stack.pop()
    return order


def _reduce(scen: list, E: int, red, path: str):
    """Worst loading per element (and its scenario index in ``scen``), largest output, largest power per group
    feed (and scenario), dropped load and racks per scenario: numba kernel or numpy ``chain_flow`` in chunks."""
    arrays, g_power, g_count, gf, lim_out, lim_in = red
    S = len(scen)
    ptr = np.zeros(S + 1, np.int64)
    ptr[1:] = np.cumsum([len(x[1]) for x in scen])
    idx = np.array([i for x in scen for i in x[1]], np.int64)
    if path == "numba":
        from rackforge.solvers.facility_kernels import sweep

        return sweep(ptr, idx, *arrays, g_power, g_count, *gf, lim_out, lim_in)
    from rackforge.solvers.facility import chain_flow

    GF = gf[1].shape[0]
    worst, worst_s, max_out = np.zeros(E), np.zeros(E, np.int64), np.zeros(E)
    gfm, gfs = np.zeros(GF), np.zeros(GF, np.int64)
    dw, dr = np.zeros(S), np.zeros(S, np.int64)
    for a in range(0, S, CHUNK):
        b = min(a + CHUNK, S)
        failed = np.zeros((b - a, E), bool)
        for s in range(a, b):
            failed[s - a, list(scen[s][1])] = True
        res = chain_flow(failed, *arrays, g_power, *gf)
        ld = np.maximum(res["p_out_w"] / lim_out, res["p_in_w"] / lim_in)
        k = ld.argmax(axis=0)
        v = ld[k, np.arange(E)]
        upd = v > worst
        worst[upd], worst_s[upd] = v[upd], k[upd] + a
        max_out = np.maximum(max_out, res["p_out_w"].max(axis=0))
        g = res["gf_power_w"]
        if GF:
            kg = g.argmax(axis=0)
            vg = g[kg, np.arange(GF)]
            u2 = vg > gfm
            gfm[u2], gfs[u2] = vg[u2], kg[u2] + a
        dw[a:b] = res["dropped_w"]
        dr[a:b] = (~res["group_live"] * g_count[None, :]).sum(axis=1)
    return worst, worst_s, max_out, gfm, gfs, dw, dr


def analyze(ctx, force_path: str | None = None) -> FacilityPowerAnalysis:
    """Lower, solve and sweep the facility chain (``ctx.facility_power``). ``force_path``: ``numba`` or ``numpy``
    for the outage sweep (default: numba from :data:`NUMBA_MIN_WORK` element-scenarios)."""
    import time

    t0 = time.perf_counter()
    fa = FacilityPowerAnalysis()
    if ctx.design is None or ctx.design.facility is None or ctx.design.facility.power is None:
        return fa
    fp = ctx.design.facility.power
    fa.topology, fa.pf, fa.max_voltage_drop = fp.topology, float(fp.power_factor), float(fp.max_voltage_drop)
    fa.selectivity_ratio = float(fp.selectivity_ratio)
    pf = max(fa.pf, 1e-3)
    for gctx in ctx.by_generation():
        gctx.power   # the rack model first: its time is not the facility model's
    t0 = time.perf_counter()
    elems, order, mapping = _lower(ctx, fa)
    if fa.problems or order is None:
        return fa
    # renumber in topological order
    old2new = {o: i for i, o in enumerate(order)}
    elems = [elems[o] for o in order]
    for e in elems:
        e.up = [old2new[u] for u in e.up]
        _limits(e, pf)
    fa.elems = elems
    E = len(elems)
    # rack groups
    loads = _rack_loads(ctx, fa)
    groups: dict[tuple, list] = {}
    unmapped: dict[tuple[str, str], int] = {}
    for r in ctx.r.racks:
        d = r.rdef
        feeds = [f.id for f in d.body.power.feeds]
        leaves = []
        for f in feeds:
            b = mapping.get((r.id, f))
            if b is None:
                unmapped[(r.row, f)] = unmapped.get((r.row, f), 0) + 1
            leaves.append(b)
        if not feeds:
            unmapped[(r.row, "(no feeds)")] = unmapped.get((r.row, "(no feeds)"), 0) + 1
            continue
        key = (d.key, tuple(old2new[b] if b is not None else -1 for b in leaves))
        groups.setdefault(key, []).append(r)
    for (row, f), n in sorted(unmapped.items()):
        fa.problems.append(("/facility/power/distribution", f"feed {f!r} of the {n} rack(s) of row {row!r} is not on "
                            "the facility chain", f"add a distribution entry for row {row!r}, feed {f!r}"))
    if fa.problems:
        return fa
    fa.racks = len(ctx.r.racks)
    gkeys = list(groups)
    g_power = np.array([loads[k[0]][0] * len(groups[k]) for k in gkeys])
    gf_ptr, gf_leaf, gf_share, gf_meta = [0], [], [], []
    for gi, k in enumerate(gkeys):
        d = groups[k][0].rdef
        feeds = [f for f in d.body.power.feeds]
        shares = loads[k[0]][1]
        for f, leaf in zip(feeds, k[1]):
            gf_leaf.append(leaf)
            gf_share.append(shares.get(f.id, 0.0))
            gf_meta.append((gi, f))
        gf_ptr.append(len(gf_leaf))
    arrays = _arrays(elems, pf)
    gf = (np.array(gf_ptr, np.int64), np.array(gf_leaf, np.int64), np.array(gf_share, float))
    fa.bench_inputs = {"arrays": arrays, "g_power": g_power, "gf": gf}   # the solver's inputs (benches/hall.py)

    # scenarios: base + each element out
    single = [(f"loss of {e.id}", (i,)) for i, e in enumerate(elems)]
    want_mf = ctx.req("facility.power_fault_tolerance") == "maintenance_plus_fault"
    mf: list = []
    if want_mf:
        mf = _mf_pairs(elems, gf, gkeys)
    fa.mf_checked, fa.mf_scenarios = want_mf, len(mf)
    scen = [("base", ())] + single + mf
    fa.labels = [s[0] for s in scen]
    fa.scenarios = len(scen)
    lim_out = np.array([e.lim_out_w for e in elems])
    lim_in = np.array([min(e.lim_in_w, e.lim_breaker_w) for e in elems])
    g_count = np.array([len(groups[k]) for k in gkeys], np.int64)
    from rackforge.solvers.facility import chain_flow

    base = chain_flow(np.zeros((1, E), bool), *arrays, g_power, *gf)
    fa.base_p_in, fa.base_p_out = base["p_in_w"][0], base["p_out_w"][0]
    fa.base_loading = np.maximum(fa.base_p_out / lim_out, fa.base_p_in / lim_in)
    fa.base_chosen = base["chosen"][0]
    work = E * (len(single) + len(mf))
    path = force_path or ("numba" if work >= NUMBA_MIN_WORK or getattr(ctx, "prefer_numba", False) else "numpy")
    fa.path = path
    red = (arrays, g_power, g_count, gf, lim_out, lim_in)
    worst, worst_s, max_out, gf_worst, gf_worst_s, drop_w, drop_racks = _reduce(single, E, red, path)
    gf_worst_s = np.where(gf_worst > base["gf_power_w"][0], gf_worst_s + 1, 0)
    gf_worst = np.maximum(gf_worst, base["gf_power_w"][0])
    fa.single_worst = np.maximum(worst, fa.base_loading)
    fa.single_max_out = np.maximum(max_out, fa.base_p_out)
    fa.single_worst_label = [single[int(k)][0] if worst[i] > fa.base_loading[i] else "base"
                             for i, k in enumerate(worst_s)]
    for k in np.flatnonzero(drop_w > 0):
        fa.single_drops.append((single[k][0], float(drop_w[k]), int(drop_racks[k]), elems[single[k][1][-1]].ptr))
    fa.mf_worst = np.zeros(E)
    fa.mf_worst_label = ["-"] * E
    if mf:
        mw, mws, _mo, _g, _gs, mdw, mdr = _reduce(mf, E, red, path)
        fa.mf_worst = mw
        fa.mf_worst_label = [mf[int(k)][0] if mw[i] > 0 else "-" for i, k in enumerate(mws)]
        for k in np.flatnonzero(mdw > 0):
            fa.mf_drops.append((mf[k][0], float(mdw[k]), int(mdr[k]), elems[mf[k][1][-1]].ptr))
    fa.single_drops.sort(key=lambda d: -d[1])
    fa.mf_drops.sort(key=lambda d: -d[1])

    # UPS: one module lost at the operating point; battery runtime at the worst single-loss load
    from rackforge.solvers.facility import ups_runtime_s

    need = ctx.req("facility.ups_runtime")
    for i, e in enumerate(elems):
        if e.kind != "ups":
            continue
        part = e.part
        mods = e.spec.modules or part.modules
        mr = float(part.module_rating) if part.module_rating is not None else float(part.rating) / part.modules
        cap = min(float(part.rating), mods * mr)
        if mods > 1:
            fa.module_loss.append((i, float(fa.base_p_out[i]) / ((mods - 1) * mr), mods))
        rt = e.spec.battery_runtime if e.spec.battery_runtime is not None else part.battery_runtime
        worst_load = float(fa.single_max_out[i])
        t = float(ups_runtime_s(float(rt), cap, worst_load)) if rt is not None else None
        fa.ups_runtime.append({"id": e.id, "ptr": e.ptr, "rated_runtime_s": float(rt) if rt is not None else None,
                               "worst_load_w": worst_load, "runtime_s": t,
                               "required_s": float(need) if need is not None else None,
                               "scenario": fa.single_worst_label[i]})
    # tap-offs: per (definition, feed), worst over groups
    taps: dict[tuple[str, str], dict] = {}
    for j, (gi, f) in enumerate(gf_meta):
        k = gkeys[gi]
        leaf = elems[k[1][[x.id for x in groups[k][0].rdef.body.power.feeds].index(f.id)]]
        per_rack = gf_worst[j] / len(groups[k])
        cur = per_rack / (SQRT3 * leaf.voltage_v * pf)
        key = (k[0], f.id)
        t = taps.get(key)
        if t is None or cur > t["current_a"]:
            taps[key] = {"definition": k[0], "feed": f.id, "tap_off": leaf.tap_off.pn,
                         "rated_current_a": float(leaf.tap_off.rated_current), "rack_breaker_a": float(f.breaker),
                         "current_a": cur, "loading": cur / (TAP_OFF_CONTINUOUS * float(leaf.tap_off.rated_current)),
                         "scenario": single[int(gf_worst_s[j]) - 1][0] if gf_worst_s[j] else "base", "ptr": leaf.ptr}
    fa.taps = list(taps.values())
    # busway voltage drop in the worst single loss
    for i, e in enumerate(elems):
        if e.kind == "busway":
            cur = float(fa.single_max_out[i]) / (SQRT3 * e.voltage_v * pf)
            fa.busway_drop.append((i, SQRT3 * cur * e.r_drop / e.voltage_v, fa.single_worst_label[i]))
    _selectivity(fa, elems, groups, gkeys)
    _topology_check(fa, elems, gkeys, groups)
    fa.seconds = time.perf_counter() - t0   # the facility model only (the rack model and water before and after)
    _breakdown(ctx, fa, loads, groups, gkeys)
    fa.empty = False
    return fa


def _arrays(elems: list[Elem], pf: float):
    from rackforge.solvers.facility import K_BUSWAY, K_SOURCE

    E = len(elems)
    up_ptr = np.zeros(E + 1, np.int64)
    up_idx = []
    kind = np.zeros(E, np.int64)
    tx_p0, tx_pk, tx_sr = np.zeros(E), np.zeros(E), np.ones(E)
    ups_rating = np.ones(E)
    fixed = np.ones(E)
    bus_r, bus_v = np.zeros(E), np.ones(E)
    eff_ptr, eff_x, eff_y = [0], [], []
    for i, e in enumerate(elems):
        up_idx.extend(e.up)
        up_ptr[i + 1] = len(up_idx)
        if e.kind == "source":
            kind[i] = K_SOURCE
        elif e.kind == "busway":
            kind[i] = K_BUSWAY
            bus_r[i], bus_v[i] = e.r_loss, e.voltage_v
        else:
            kind[i] = _KIND_CODE[e.kind]
            p = e.part
            if e.kind == "transformer":
                tx_p0[i], tx_pk[i], tx_sr[i] = float(p.no_load_loss), float(p.load_loss), float(p.rating)
            elif e.kind == "ups":
                ups_rating[i] = float(p.rating)
                pts = sorted((float(x.load), float(x.efficiency)) for x in p.efficiency)
                eff_x.extend(x for x, _ in pts)
                eff_y.extend(max(y, 1e-3) for _, y in pts)
            else:
                fixed[i] = max(float(p.efficiency), 1e-3)
        eff_ptr.append(len(eff_x))
    return (up_ptr, np.array(up_idx, np.int64), kind, pf, tx_p0, tx_pk, tx_sr, ups_rating,
            np.array(eff_ptr, np.int64), np.array(eff_x, float), np.array(eff_y, float), fixed, bus_r, bus_v)


def _ancestors(elems: list[Elem]) -> list[set[int]]:
    anc: list[set[int]] = []
    for i, e in enumerate(elems):
        s = {i}
        for u in e.up:
            s |= anc[u]
        anc.append(s)
    return anc


def _mf_pairs(elems, gf, gkeys) -> list:
    """(label, (maintained, faulted)) pairs that can interact: both in the ancestry of one rack group."""
    anc = _ancestors(elems)
    gf_ptr, gf_leaf, _ = gf
    zone: dict[int, set[int]] = {}
    for g in range(len(gkeys)):
        s: set[int] = set()
        for leaf in gf_leaf[gf_ptr[g]:gf_ptr[g + 1]]:
            s |= anc[int(leaf)]
        for m in s:
            zone.setdefault(m, set()).update(s)
    out = []
    for m, e in enumerate(elems):
        if e.kind == "busway":
            continue
        for f in sorted(zone.get(m, ())):
            if f != m:
                out.append((f"maintenance on {e.id} + loss of {elems[f].id}", (m, f)))
    return out


def _selectivity(fa, elems, groups, gkeys) -> None:
    for e in elems:
        if e.breaker_a is None or e.kind in ("source", "transformer"):
            continue
        for u in e.up:
            up = elems[u]
            if up.breaker_a is None or up.kind in ("source", "transformer"):
                continue
            if abs(up.voltage_v - e.voltage_v) > 1e-6 * e.voltage_v:
                continue
            ptr = e.ptr + ("/breaker" if e.spec.breaker is not None else "")
            if up.breaker_a <= e.breaker_a:
                fa.selectivity.append((ptr, f"{e.id}: its breaker ({e.breaker_a:.0f} A) is not below the one "
                                       f"upstream at {up.id} ({up.breaker_a:.0f} A): a fault on {e.id} can trip "
                                       f"{up.id} and everything it feeds", "size the upstream breaker above the "
                                       "downstream one (or the downstream one lower)", "error"))
            elif e.breaker_type == up.breaker_type == "thermal_magnetic":
                r = up.breaker_a / e.breaker_a
                lim = fa.selectivity_ratio
                if r < lim:
                    fa.selectivity.append((ptr, f"{e.id}: thermal-magnetic breakers {up.breaker_a:.0f} A upstream / "
                                           f"{e.breaker_a:.0f} A here, ratio {r:.2f} < {lim:g}: overload "
                                           "selectivity is not assured", "raise the ratio, or use electronic trip "
                                           "units with time-graded settings", "warning"))
    # rack feed breakers against their busway feeder and tap-off
    for k in gkeys:
        d = groups[k][0].rdef
        for f, leaf in zip(d.body.power.feeds, k[1]):
            bw = elems[leaf]
            if float(f.breaker) >= (bw.breaker_a or math.inf):
                fa.selectivity.append((bw.ptr, f"rack feed {f.id!r} of {d.key!r} ({float(f.breaker):.0f} A) is not "
                                       f"below its busway feeder breaker ({bw.breaker_a:.0f} A)",
                                       "size the busway feeder above the rack breakers", "error"))


def _topology_check(fa, elems, gkeys, groups) -> None:
    anc = _ancestors(elems)
    ups = [i for i, e in enumerate(elems) if e.kind == "ups"]
    if fa.topology == "N" or not ups:
        if fa.topology != "N" and not ups:
            fa.topology_issues.append(("/facility/power/topology", f"topology {fa.topology} declared but the chain "
                                       "has no UPS", "add the UPS systems, or declare topology N"))
        return
    ups_set = set(ups)
    pairs: set[tuple[int, int]] = set()
    single = []
    for k in gkeys:
        per_feed = [anc[leaf] & ups_set for leaf in k[1]]
        distinct = set().union(*per_feed) if per_feed else set()
        if len(distinct) < 2:
            single.append(k[0])
        fl = [sorted(s) for s in per_feed]
        for a in range(len(fl)):
            for b in range(a + 1, len(fl)):
                for x in fl[a]:
                    for y in fl[b]:
                        if x != y:
                            pairs.add((min(x, y), max(x, y)))
    transfer = any(len(e.up) > 1 for e in elems if e.kind != "source")
    topo = fa.topology
    if single and topo in ("2N", "distributed_redundant"):
        fa.topology_issues.append(("/facility/power/topology", f"topology {topo}: racks of {sorted(set(single))[:3]} "
                                   "reach only one UPS through all their feeds", "put each rack's feeds on two UPS "
                                   "systems"))
    if topo == "2N":
        # the UPS pair graph must be bipartite: two sides, every rack across them
        side: dict[int, int] = {}
        adj: dict[int, set] = {}
        for x, y in pairs:
            adj.setdefault(x, set()).add(y)
            adj.setdefault(y, set()).add(x)
        ok = True
        for s0 in adj:
            if s0 in side:
                continue
            side[s0] = 0
            stack = [s0]
            while stack:
                v = stack.pop()
                for w in adj[v]:
                    if w not in side:
                        side[w] = 1 - side[v]
                        stack.append(w)
                    elif side[w] == side[v]:
                        ok = False
        if not ok:
            fa.topology_issues.append(("/facility/power/topology", "topology 2N: the UPS systems do not split into two "
                                       "sides with every rack across them (some rack pairs UPS of one side)",
                                       "map feed A of every rack to side A and feed B to side B, or declare "
                                       "distributed_redundant"))
    elif topo == "distributed_redundant" and len(ups) < 3:
        fa.topology_issues.append(("/facility/power/topology", f"topology distributed_redundant with {len(ups)} UPS "
                                   "systems: it needs at least three (e.g. 4-to-make-3)", "declare 2N, or add "
                                   "UPS systems"))
    elif topo == "block_redundant" and not transfer:
        fa.topology_issues.append(("/facility/power/topology", "topology block_redundant but no element transfers to "
                                   "an alternate source (no STS/ATS with two 'from')", "feed each block's load "
                                   "through a transfer switch with the reserve UPS as its alternate"))


def _breakdown(ctx, fa, loads, groups, gkeys) -> None:
    it = rack_loss = rack_in = 0.0
    for k in gkeys:
        n = len(groups[k])
        p, _s, i, l = loads[k[0]]
        it += n * i
        rack_loss += n * l
        rack_in += n * p
    by_kind: dict[str, float] = {}
    for i, e in enumerate(fa.elems):
        by_kind[e.kind] = by_kind.get(e.kind, 0.0) + float(fa.base_p_in[i] - fa.base_p_out[i])
    src = [i for i, e in enumerate(fa.elems) if e.kind == "source"]
    grid = float(sum(fa.base_p_in[i] for i in src))
    cooling = 0.0
    fw = getattr(ctx, "facility_water", None)
    if fw is not None and not fw.empty:
        cooling = fw.cooling_power_w
    total = grid + cooling
    b = {"it_load_w": it, "rack_conversion_loss_w": rack_loss, "it_equipment_input_w": rack_in,
         **{f"{k}_loss_w": v for k, v in sorted(by_kind.items()) if k != "source"},
         "facility_conversion_loss_w": grid - rack_in, "grid_input_w": grid, "cooling_power_w": cooling,
         "total_facility_power_w": total, "pue": total / rack_in if rack_in > 0 else None}
    fa.breakdown = b
