"""Power lowering: a resolved design into the solver's plain arrays, the fault sweep, and the figures rules read.

``analyze(ctx)`` is computed once per design (``ctx.power``). It lowers every rack definition ONCE into a template
network (local arrays), replicates it for the definition's instances with index offsets (numpy, no Python loop
per PSU), solves the base case and a batch of fault scenarios, and returns a :class:`PowerAnalysis` with the
figures the RF2xx rules read and ``to_json()`` for ``rackforge analyze``. The lowering of one rack definition
lives in :mod:`rackforge.lowering.power_template`, :class:`PowerAnalysis` in :mod:`rackforge.lowering.power_result`.

Model (SI units throughout; the equations are those of :mod:`rackforge.solvers.power_ref`)
------------------------------------------------------------------------------------------
* **Networks.** Every busbar of every rack is one DC network; its nodes are the distinct tap points of the
  mounts wired to it (power shelves and DC trays), at the centre height of the mount,
  ``z = (u - 1 + slots / 2) x slot pitch`` [m]; consecutive taps are joined by a segment of resistance
  ``R = r' x dz`` [ohm] (``r'`` the busbar part's loop resistance per length) rated at the part's
  ``rated_current``. A rack with power shelves but no busbar gets one ideal bus (one node). Every server with
  its own PSUs (``psus`` in its part: DGX H100, an 800 VDC pod with its converters) is a one-node network of
  its own: its PSUs share its load by droop.
* **PSUs.** Set-point = ``output_voltage`` (no load), droop, current limit, rating, efficiency curve from the
  catalog. A three-phase PSU is modelled as three equal single-phase elements (one per line pair, each with a
  third of the rating and current limit and three times the droop): the same DC behaviour, balanced line
  currents. A PSU whose droop is 0 gets 1 micro-ohm (the solver needs a positive droop). A PSU's
  ``no_load_loss`` (input at zero output while in service) raises its input below its curve's first point
  (rackforge.solvers.power_ref.psu_input_power).
* **Phases** (``phase: auto``): the PSUs of a shelf, and the PSUs a PDU feeds, take phases a, b, c in turn,
  continuing the count per feed across the rack, so three-phase feeds stay balanced. Connection convention:
  a single-phase PSU connects line-to-neutral when the feed's line-to-neutral voltage ``V_LL / sqrt(3)`` is in
  its input range (ORv3 PSUs at 415/240 V), otherwise line-to-line when ``V_LL`` is (208 V North-American
  shelves); a three-phase PSU connects line-to-line (delta) when ``V_LL`` is in its range. An explicit
  ``phase: a|b|c`` or ``ab|bc|ca`` on the mount overrides this. An ``ac1`` feed's voltage is line-to-neutral.
* **Regional systems.** A PSU's ``input.connection`` fixes how it connects (single-phase: ``line_to_neutral``
  or ``line_to_line``; three-phase: ``wye``, each internal element line-to-neutral, or ``delta``); a
  three-phase input's range is line-to-line either way. A feed's ``wiring: delta`` has no neutral, so nothing
  connects line-to-neutral on it. Common systems: 208Y/120, 415Y/240, 480Y/277 V (North America, 60 Hz),
  400Y/230 V (Europe, 50 Hz; IEC 60038), 380 V and 800 V DC. A feed's ``frequency`` is checked against each
  AC input's ``frequency_min``..``frequency_max`` (RF216). A load's power figure is turned into the DC load
  its PSUs carry by its ``power.basis`` (``ac_input``: ``P_dc = P x eta``, see
  :func:`~rackforge.lowering.power_template.dc_load_from_ac_input`; ``dc_output``, ``chip_tdp``: as given).
* **Loads** are constant power at the operating point (idle/typical/max, or peak = max x ``peak_factor``),
  served when their tap voltage is at least the part's ``input.voltage_min``; below 80 % of it a load is
  modelled as a constant impedance (so a collapsing bus still has a solution). A server behind its own PSUs
  is served when its internal bus is at least 90 % of its PSUs' set-point (below it the PSUs are in current
  limit and cannot carry it). An IT part on PDUs without PSUs of its own draws its power straight from the
  PDU through one ideal "direct" element per PDU it names (efficiency 1, each able to carry it alone).
* **Supply.** Facility feeds (rack-level per rack instance; design-level shared by every rack that uses them);
  PDUs pass their feed through and their input current is checked against their rating.
* **Faults.** Each PSU, each power shelf, each PDU, each feed (feeds with the same ``source`` fail together),
  each BBU; ``power.fault_depth: 2`` adds every pair of these within a rack (pairs that remove every source of
  the rack are left to the battery hold-up check); ``psu_redundancy: N+2`` adds every pair of PSUs within one
  network. Instances of one rack definition are identical, so faults are enumerated in the first instance only:
  the other instances' results are the same by symmetry, and shared feeds see the fault's change on top of
  the whole row's base load, which the solver computes exactly.
* **Solver path.** Small sweeps use the numpy/scipy reference solver (no numba import: a fresh process pays
  about 0.5 s to import numba and load its cached kernels); above ``NUMBA_MIN_SOLVES`` network solves the
  numba batch solver. See :data:`NUMBA_MIN_SOLVES` for how the threshold was chosen. When the process is
  about to analyse many designs (:func:`rackforge.engine.expect_designs`, ``Context.prefer_numba``) numba for
  every design.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rackforge.lowering.power_result import F_BBU, F_FEED, F_PDU, F_PSU, F_SHELF, PowerAnalysis
from rackforge.lowering.power_template import (
    SQRT3,
    RackTemplate,
    connection,
    frequency_mismatch,
    input_mismatch,
    lower_definition,
)

# the names tests/test_power_regional.py imports
_connection, _input_mismatch, _frequency_mismatch = connection, input_mismatch, frequency_mismatch

# Network solves (base networks + (scenario, network) jobs) above which the numba path is used. Measured on
# this project's 2-core machine (load ~1.6), analysis of each seed after warm-up, reference (dense numpy Newton
# with the jobs of a network stacked, stacked assembly; power_ref.DENSE_MAX_NODES) against numba: NVL72 62
# solves 7.7 / 4.1 ms, HGX 125 solves 11.5 / 6.0 ms, Kyber 201 solves 27.1 / 11.5 ms, i.e. the reference costs
# ~45-80 us more per network solve; the numba path costs about 0.5 s once per process (import numba, load the
# cached kernels). Break-even ~0.5 s / 70 us ~ 7,000 solves; 5,000 keeps every seed on the fast start-up path
# and sends rows of racks (thousands of solves) to numba. Over many designs in one process see
# rackforge.engine.NUMBA_MIN_DESIGNS.
NUMBA_MIN_SOLVES = 5000


# ---------------------------------------------------------------------------------------------------------------
# replication: templates -> one PowerNetwork for the whole design
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class _Block:
    """Where a definition's instances sit in the global arrays: global = base + k * size + local."""

    rd: Any
    t: RackTemplate
    m: int
    node: int = 0
    net: int = 0
    seg: int = 0
    elem: int = 0
    load: int = 0
    bbu: int = 0
    feed: int = 0
    group: int = 0
    pdu: int = 0
    psu: int = 0


def _tile(local, base, size, m, dtype=np.int64):
    local = np.asarray(local, dtype=dtype).reshape(-1)
    return ((base + np.arange(m, dtype=dtype) * size)[:, None] + local[None, :]).reshape(-1)


def _rep(local_n, base):
    return base + np.arange(local_n, dtype=np.int64)


def _build(ctx):
    from rackforge.solvers.power_ref import PowerNetwork

    dfeeds = list(ctx.design.feeds)
    dfi: dict[str, int] = {}
    for i, f in enumerate(dfeeds):
        dfi.setdefault(f.id, i)
    blocks: list[_Block] = []
    cur = dict(node=0, net=0, seg=0, elem=0, load=0, bbu=0, feed=len(dfeeds), group=0, pdu=0, psu=0)
    for rd in ctx.r.defs:
        if not rd.instances:
            continue
        t = lower_definition(rd, ctx, dfi)
        b = _Block(rd, t, len(rd.instances), **cur)
        blocks.append(b)
        m = b.m
        cur["node"] += m * t.n_node
        cur["net"] += m * len(t.net_names)
        cur["seg"] += m * len(t.seg)
        cur["elem"] += m * len(t.elems)
        cur["load"] += m * len(t.loads)
        cur["bbu"] += m * len(t.bbus)
        cur["feed"] += m * len(t.rack_feeds)
        cur["group"] += m * len(t.groups)
        cur["pdu"] += m * len(t.pdus)
        cur["psu"] += m * len(t.psus)

    # feeds: design-level first (shared), then per block and instance its rack-level feeds
    feed_models, feed_names, feed_ptrs, feed_src, feed_inst = [], [], [], [], []
    for i, f in enumerate(dfeeds):
        feed_models.append(f)
        feed_names.append(f.id)
        feed_ptrs.append(f"/feeds/{i}")
        feed_src.append(("src", f.source) if f.source else ("df", i))
        feed_inst.append(None)
    for b in blocks:
        for k, inst in enumerate(b.rd.instances):
            for j, (f, ptr) in enumerate(b.t.rack_feeds):
                feed_models.append(f)
                feed_names.append(f"{inst.id}/{f.id}")
                feed_ptrs.append(ptr)
                feed_src.append(("src", f.source) if f.source else ("rf", b.rd.key, k, j))
                feed_inst.append((b, k))

    curves: dict[str, int] = {}
    eff_x, eff_y, eff_ptr = [], [], [0]
    for b in blocks:
        for key, (xs, ys) in b.t.curves.items():
            if key not in curves:
                curves[key] = len(curves)
                eff_x.extend(xs)
                eff_y.extend(ys)
                eff_ptr.append(len(eff_x))

    net_sizes, parts = [], {k: [] for k in (
        "seg_from", "seg_to", "seg_r", "seg_i", "psu_node", "E", "r", "ilim", "prated", "curve", "feed", "conn",
        "shelf", "load_node", "load_p", "load_vmin", "load_vc", "bbu_node", "bbu_e", "bbu_p", "idle")}
    for b in blocks:
        t, m = b.t, b.m
        sizes = np.diff(np.asarray(t.net_ptr_node, dtype=np.int64))
        net_sizes.append(np.tile(sizes, m))
        if t.seg:
            s = np.array([(a, c) for a, c, *_ in t.seg], dtype=np.int64)
            parts["seg_from"].append(_tile(s[:, 0], b.node, t.n_node, m))
            parts["seg_to"].append(_tile(s[:, 1], b.node, t.n_node, m))
            parts["seg_r"].append(np.tile([x[2] for x in t.seg], m))
            parts["seg_i"].append(np.tile([x[3] for x in t.seg], m))
        if t.elems:
            e = t.elems
            parts["psu_node"].append(_tile([x[1] for x in e], b.node, t.n_node, m))
            for key, col in (("E", 2), ("r", 3), ("ilim", 4), ("prated", 5), ("idle", 10)):
                parts[key].append(np.tile([float(x[col]) for x in e], m))
            parts["curve"].append(np.tile([curves[x[6]] for x in e], m))
            is_rack = np.array([x[7][0] == "r" for x in e])
            loc = np.array([x[7][1] for x in e], dtype=np.int64)
            rack_f = _tile(loc, b.feed, len(t.rack_feeds), m)
            parts["feed"].append(np.where(np.tile(is_rack, m), rack_f, np.tile(loc, m)))
            parts["conn"].append(np.tile([x[8] for x in e], m))
            parts["shelf"].append(_tile([x[9] for x in e], b.group, len(t.groups), m))
        if t.loads:
            parts["load_node"].append(_tile([x["node"] for x in t.loads], b.node, t.n_node, m))
            parts["load_p"].append(np.tile([x["p_w"] for x in t.loads], m))
            parts["load_vmin"].append(np.tile([x["v_min"] for x in t.loads], m))
            parts["load_vc"].append(np.tile([x["v_c"] for x in t.loads], m))
        if t.bbus:
            parts["bbu_node"].append(_tile([x["node"] for x in t.bbus], b.node, t.n_node, m))
            parts["bbu_e"].append(np.tile([x["energy_j"] for x in t.bbus], m))
            parts["bbu_p"].append(np.tile([x["p_w"] for x in t.bbus], m))

    def cat_(key, dtype=np.float64):
        return np.concatenate(parts[key]).astype(dtype) if parts[key] else np.zeros(0, dtype)

    sizes = np.concatenate(net_sizes) if net_sizes else np.zeros(0, np.int64)
    node_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    fv = np.array([float(f.voltage) * (SQRT3 if f.type == "ac1" else 1.0) for f in feed_models])
    net = PowerNetwork(
        node_ptr=node_ptr, seg_from=cat_("seg_from", np.int64), seg_to=cat_("seg_to", np.int64),
        seg_r_ohm=cat_("seg_r"), seg_i_rated_a=cat_("seg_i"), psu_node=cat_("psu_node", np.int64),
        psu_v_set_v=cat_("E"), psu_r_droop_ohm=cat_("r"), psu_i_lim_a=cat_("ilim"), psu_p_rated_w=cat_("prated"),
        psu_curve=cat_("curve", np.int64), psu_feed=cat_("feed", np.int64), psu_conn=cat_("conn", np.int64),
        psu_shelf=cat_("shelf", np.int64), eff_ptr=np.array(eff_ptr, np.int64), eff_load_frac=np.array(eff_x),
        eff_eta=np.array(eff_y), load_node=cat_("load_node", np.int64), load_p_w=cat_("load_p"),
        load_v_min_v=cat_("load_vmin"), load_v_collapse_v=cat_("load_vc"),
        feed_voltage_v=fv.reshape(-1), feed_is_dc=np.array([f.type == "dc" for f in feed_models], bool),
        feed_pf=np.array([1.0 if f.type == "dc" else max(float(f.power_factor), 1e-3) for f in feed_models]),
        feed_breaker_a=np.array([float(f.breaker) for f in feed_models]),
        feed_derating=np.array([min(max(float(f.derating), 1e-6), 1.0) for f in feed_models]),
        bbu_node=cat_("bbu_node", np.int64), bbu_energy_j=cat_("bbu_e"), bbu_p_rated_w=cat_("bbu_p"),
        psu_p_idle_w=cat_("idle"),
    )
    feeds = dict(models=feed_models, names=feed_names, ptrs=feed_ptrs, src=feed_src, inst=feed_inst)
    return net, blocks, feeds


# ---------------------------------------------------------------------------------------------------------------
# fault scenarios (first instance of every definition)
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class _Scen:
    labels: list
    kinds: list            # tuple of fault kinds per scenario, () for the base case
    block: list            # block index per scenario (-1: shared / base)
    same_net_psu_pair: list
    removes_all_sources: list
    psu_rows: list
    feed_rows: list
    bbu_rows: list


def _scenarios(net, blocks, feeds, depth: int, psu_pairs: bool) -> tuple[Any, _Scen]:
    from rackforge.solvers.power_scenarios import KIND_BASE, KIND_CUSTOM, KIND_PAIR, Scenarios

    empty = np.zeros(0, np.int64)
    group_of_src: dict = {}
    for i, key in enumerate(feeds["src"]):
        group_of_src.setdefault(key, []).append(i)
    singles: list = []     # (kind, label, psu elems, feeds, bbus, block, net or None, src key)
    single_key: dict = {}
    per_block: list[list[int]] = []
    for bi, b in enumerate(blocks):
        t = b.t
        inst = b.rd.instances[0].id
        mine = []
        e_logical = np.array([x[0] for x in t.elems], dtype=np.int64)
        e_group = np.array([x[9] for x in t.elems], dtype=np.int64)
        e_glob = b.elem + np.arange(len(t.elems), dtype=np.int64)
        for li, p in enumerate(t.psus):
            if p["virtual"]:
                continue
            net_local = t.groups[p["group"]]["net"]
            singles.append((F_PSU, f"{inst}: PSU {p['name']}", e_glob[e_logical == li], empty, empty, bi,
                            net_local, None))
            mine.append(len(singles) - 1)
        for gi, g in enumerate(t.groups):
            if g["kind"] != "shelf":
                continue
            singles.append((F_SHELF, f"{inst}: shelf {g['name']}", e_glob[e_group == gi], empty, empty, bi, None,
                            None))
            mine.append(len(singles) - 1)
        for pi, pdu in enumerate(t.pdus):
            on = np.array([t.psus[x[0]].get("pdu") == pi for x in t.elems], dtype=bool)
            if not on.any():
                continue
            singles.append((F_PDU, f"{inst}: PDU {pdu['name']}", e_glob[on], empty, empty, bi, None, None))
            mine.append(len(singles) - 1)
        # feed (source) groups this rack draws from, in the first instance
        srcs = []
        for x in t.elems:
            ref = x[7]
            f = (b.feed + ref[1]) if ref[0] == "r" else ref[1]
            key = feeds["src"][f]
            if key not in srcs:
                srcs.append(key)
        for key in srcs:
            if key not in single_key:
                members = group_of_src[key]
                if key[0] == "src":
                    lbl = f"source {key[1]}"
                else:
                    lbl = f"feed {feeds['names'][members[0]]}"
                singles.append((F_FEED, lbl, empty, np.array(members, np.int64), empty, -1, None, key))
                single_key[key] = len(singles) - 1
            mine.append(single_key[key])
        for j, bb in enumerate(t.bbus):
            singles.append((F_BBU, f"{inst}: BBU {bb['name']}", empty, empty, np.array([b.bbu + j]), bi, None,
                            None))
            mine.append(len(singles) - 1)
        per_block.append((mine, srcs))

    labels, kinds, blk, snp, ras = ["base"], [()], [-1], [False], [False]
    prow, frow, brow = [empty], [empty], [empty]

    def add(lbl, ks, bi, pr, fr, br, same_net=False, all_src=False):
        labels.append(lbl)
        kinds.append(ks)
        blk.append(bi)
        snp.append(same_net)
        ras.append(all_src)
        prow.append(np.unique(pr))
        frow.append(np.unique(fr))
        brow.append(np.unique(br))

    for s in singles:
        add(s[1], (s[0],), s[5], s[2], s[3], s[4])
    seen = set()
    for bi, (mine, srcs) in enumerate(per_block):
        # depth 1 keeps only the N+2 pairs of PSUs in one group: visit just those (same order as the full x < y
        # sweep, which was ~k^2/2 Python steps for k single faults: 30,000 PSUs in one rack never finished)
        group_pos: dict = {}
        if depth < 2:
            for x, m in enumerate(mine):
                if singles[m][0] == F_PSU:
                    group_pos.setdefault(singles[m][6], []).append(x)
        for x in range(len(mine)):
            if depth >= 2:
                ys = range(x + 1, len(mine))
            elif psu_pairs and singles[mine[x]][0] == F_PSU:
                ys = [y for y in group_pos.get(singles[mine[x]][6], ()) if y > x]
            else:
                continue
            for y in ys:
                a, c = singles[mine[x]], singles[mine[y]]
                key = (min(mine[x], mine[y]), max(mine[x], mine[y]))
                if key in seen:
                    continue
                same = a[0] == F_PSU and c[0] == F_PSU and a[6] == c[6]
                if depth < 2 and not (psu_pairs and same):
                    continue
                fail_src = {s[7] for s in (a, c) if s[0] == F_FEED}
                all_src = bool(srcs) and set(srcs) <= fail_src
                if all_src:
                    continue
                seen.add(key)
                add(f"{a[1]} + {c[1].split(': ', 1)[-1] if c[5] == a[5] and c[5] >= 0 else c[1]}", (a[0], c[0]),
                    bi, np.concatenate([a[2], c[2]]), np.concatenate([a[3], c[3]]),
                    np.concatenate([a[4], c[4]]), same_net=same)

    def csr(rows):
        ptr = np.zeros(len(rows) + 1, np.int64)
        ptr[1:] = np.cumsum([r.size for r in rows])
        idx = np.concatenate(rows).astype(np.int64) if rows else empty
        return ptr, idx

    pp, pi = csr(prow)
    fp, fi = csr(frow)
    bp, bix = csr(brow)
    kind = np.array([KIND_BASE] + [KIND_PAIR if len(k) == 2 else KIND_CUSTOM for k in kinds[1:]], np.int8)
    sc = Scenarios(n_psu=net.n_psu, n_feed=net.n_feed, n_bbu=net.n_bbu, kind=kind,
                   members=np.full((len(labels), 4), -1, np.int64), labels=tuple(labels), psu_ptr=pp,
                   psu_idx=pi, feed_ptr=fp, feed_idx=fi, bbu_ptr=bp, bbu_idx=bix)
    return sc, _Scen(labels, kinds, blk, snp, ras, prow, frow, brow)


# ---------------------------------------------------------------------------------------------------------------
# solve and gather the first-instance (representative) figures of every scenario
# ---------------------------------------------------------------------------------------------------------------
def _solve(net, sc, force: str | None = None):
    """Base solution, per-scenario dense arrays over all nodes/PSU elements of the representative networks."""
    # work estimate: base networks + one job per (scenario, touched network)
    touched = 0
    for s in range(sc.n_scen):
        pe = sc.psu_idx[sc.psu_ptr[s]:sc.psu_ptr[s + 1]]
        fe = sc.feed_idx[sc.feed_ptr[s]:sc.feed_ptr[s + 1]]
        nets = set(net.psu_net[pe].tolist())
        if fe.size:
            nets |= set(net.psu_net[np.isin(net.psu_feed, fe)].tolist())
        touched += len(nets)
    solves = net.n_net + touched
    path = force or ("numba" if solves > NUMBA_MIN_SOLVES else "reference")
    if path == "reference":
        from rackforge.solvers.power_ref import solve_power_ref, solve_scenarios_ref

        base = solve_power_ref(net)
        results = solve_scenarios_ref(net, sc, base)
        return path, solves, base, results, None
    from rackforge.solvers.power import solve_power, solve_scenarios

    base = solve_power(net)
    sr = solve_scenarios(net, sc, base)
    return path, solves, base, None, sr


def _dense(net, base, results, sr, R_node, R_elem, R_feed, n_scen):
    S = n_scen
    V = np.tile(base.node_voltage_v[R_node], (S, 1))
    I = np.tile(base.psu_current_a[R_elem], (S, 1))
    Pin = np.tile(base.psu_p_in_w[R_elem], (S, 1))
    FL = np.tile(base.feed_line_current_a[R_feed], (S, 1, 1))
    if results is not None:
        for s, r in enumerate(results):
            V[s] = r.node_voltage_v[R_node]
            I[s] = r.psu_current_a[R_elem]
            Pin[s] = r.psu_p_in_w[R_elem]
            FL[s] = r.feed_line_current_a[R_feed]
        scal = {k: np.array([getattr(r, k) for r in results]) for k in (
            "facility_input_w", "load_total_w", "psu_loss_total_w", "busbar_loss_total_w", "unserved_w",
            "converged")}
        return V, I, Pin, FL, scal
    node_pos = np.full(net.n_node, -1, np.int64)
    node_pos[R_node] = np.arange(R_node.size)
    elem_pos = np.full(net.n_psu, -1, np.int64)
    elem_pos[R_elem] = np.arange(R_elem.size)
    rep_net = np.zeros(net.n_net, bool)
    rep_net[net.node_net[R_node]] = True
    for j in np.flatnonzero(rep_net[sr.job_net]):
        s, k = sr.job_scen[j], sr.job_net[j]
        n0, n1 = net.node_ptr[k], net.node_ptr[k + 1]
        V[s, node_pos[n0:n1]] = sr.job_v[sr.job_node_off[j]:sr.job_node_off[j + 1]]
        p0, p1 = net.psu_ptr[k], net.psu_ptr[k + 1]
        I[s, elem_pos[p0:p1]] = sr.job_psu_current_a[sr.job_psu_off[j]:sr.job_psu_off[j + 1]]
        Pin[s, elem_pos[p0:p1]] = sr.job_psu_p_in_w[sr.job_psu_off[j]:sr.job_psu_off[j + 1]]
    feed_pos = np.full(net.n_feed, -1, np.int64)
    feed_pos[R_feed] = np.arange(R_feed.size)
    sf_scen = np.repeat(np.arange(S), np.diff(sr.sf_ptr))
    keep = feed_pos[sr.sf_feed] >= 0
    FL[sf_scen[keep], feed_pos[sr.sf_feed[keep]]] = sr.sf_line_current_a[keep]
    scal = {k: np.asarray(getattr(sr, k)) for k in (
        "facility_input_w", "load_total_w", "psu_loss_total_w", "busbar_loss_total_w", "unserved_w", "converged")}
    return V, I, Pin, FL, scal


def analyze(ctx, force_path: str | None = None) -> PowerAnalysis:
    """Lower, solve and sweep the design's power (computed once per design as ``ctx.power``)."""
    import time

    t0 = time.perf_counter()
    if ctx.design is None:
        return PowerAnalysis(empty=True)
    net, blocks, feeds = _build(ctx)
    mismatches = [x for b in blocks for x in b.t.mismatches]
    freq_mismatches = [x for b in blocks for x in b.t.freq_mismatches]
    unpowered = [x for b in blocks for x in b.t.unpowered]
    if net.n_net == 0 or (net.n_psu == 0 and net.n_load == 0):
        return PowerAnalysis(empty=True, mismatches=mismatches, unpowered=unpowered, blocks=blocks,
                             freq_mismatches=freq_mismatches)
    depth = int(ctx.req("power.fault_depth") or 1)
    psu_pairs = ctx.req("power.psu_redundancy") == "N+2"
    sc, meta = _scenarios(net, blocks, feeds, depth, psu_pairs)
    if force_path is None and getattr(ctx, "prefer_numba", False):
        force_path = "numba"  # many designs in this process (rackforge.engine.expect_designs)
    path, solves, base, results, sr = _solve(net, sc, force_path)
    S = sc.n_scen

    # representative (first-instance) elements, with metadata
    R = {k: [] for k in ("node", "elem", "seg", "load", "bbu", "net")}
    psus, groups, segs, loads, pdus, bbus, bus_nodes = [], [], [], [], [], [], []
    elem_logical, elem_group, elem_pdu = [], [], []
    for bi, b in enumerate(blocks):
        t = b.t
        R["node"].append(_rep(t.n_node, b.node))
        R["elem"].append(_rep(len(t.elems), b.elem))
        R["seg"].append(_rep(len(t.seg), b.seg))
        R["load"].append(_rep(len(t.loads), b.load))
        R["bbu"].append(_rep(len(t.bbus), b.bbu))
        R["net"].append(_rep(len(t.net_names), b.net))
        p_off, g_off, pdu_off = len(psus), len(groups), len(pdus)
        n_off = sum(x.size for x in R["node"][:-1])
        for li, p in enumerate(t.psus):
            ref = p["feed"]
            fg = (b.feed + ref[1]) if ref[0] == "r" else ref[1]
            psus.append({**p, "block": bi, "local": li, "feed_name": feeds["names"][fg]})
        for gi, g in enumerate(t.groups):
            groups.append({**g, "block": bi, "local": gi})
        for si, sg in enumerate(t.seg):
            segs.append({"name": f"{t.busbars[sg[4]]['name']}@{sg[5]:.3f}-{sg[6]:.3f}m", "ptr": t.busbars[sg[4]]["ptr"],
                         "block": bi, "r": sg[2], "rated_a": sg[3], "z0": sg[5], "z1": sg[6],
                         "from": n_off + sg[0], "to": n_off + sg[1]})
        for ld in t.loads:
            loads.append({**ld, "block": bi, "node_rep": n_off + ld["node"]})
        for pi, p in enumerate(t.pdus):
            pdus.append({**p, "block": bi, "local": pi})
        for bb in t.bbus:
            bbus.append({**bb, "block": bi, "net_rep": sum(x.size for x in R["net"][:-1]) + bb["net"]})
        bus_net_local = {i for i, nm in enumerate(t.net_names) if i < len(t.net_names)
                         and all(g["net"] != i or g["kind"] == "shelf" for g in t.groups)}
        for k in bus_net_local:
            bus_nodes.extend(range(n_off + t.net_ptr_node[k], n_off + t.net_ptr_node[k + 1]))
        for x in t.elems:
            elem_logical.append(p_off + x[0])
            elem_group.append(g_off + x[9])
            pp = t.psus[x[0]].get("pdu")
            elem_pdu.append(pdu_off + pp if pp is not None else -1)
    R = {k: (np.concatenate(v) if v else np.zeros(0, np.int64)) for k, v in R.items()}
    elem_logical = np.array(elem_logical, np.int64)
    elem_group = np.array(elem_group, np.int64)
    elem_pdu = np.array(elem_pdu, np.int64)
    R_feed = np.unique(np.concatenate([np.arange(len(ctx.design.feeds)), net.psu_feed[R["elem"]]])).astype(np.int64)
    R_feed = R_feed[R_feed < net.n_feed]

    V, I, Pin, FL, scal = _dense(net, base, results, sr, R["node"], R["elem"], R_feed, S)

    # PSU elements -> logical PSUs, groups (shelves, servers), PDUs
    e_node_rep = np.searchsorted(R["node"], net.psu_node[R["elem"]])
    rating_e = net.psu_p_rated_w[R["elem"]]
    p_out_e = V[:, e_node_rep] * I
    lf_e = p_out_e / rating_e
    n_psu, n_grp = len(psus), len(groups)
    first = np.full(n_psu, -1, np.int64)
    for e in range(elem_logical.size - 1, -1, -1):
        first[elem_logical[e]] = e
    onehot_psu = np.zeros((elem_logical.size, n_psu))
    onehot_psu[np.arange(elem_logical.size), elem_logical] = 1.0
    psu_p_out = p_out_e @ onehot_psu
    psu_p_in = Pin @ onehot_psu
    psu_lf = lf_e[:, first] if n_psu else np.zeros((S, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        psu_eta = np.where(psu_p_in > 0, psu_p_out / np.where(psu_p_in > 0, psu_p_in, 1.0), np.nan)
    curve_e = net.psu_curve[R["elem"]]
    peak = np.array([float(net.eff_eta[net.eff_ptr[c]:net.eff_ptr[c + 1]].max()) for c in curve_e[first]]) \
        if n_psu else np.zeros(0)
    onehot_grp = np.zeros((elem_group.size, n_grp))
    onehot_grp[np.arange(elem_group.size), elem_group] = 1.0
    group_i = I @ onehot_grp
    group_p = p_out_e @ onehot_grp
    group_lf = np.zeros((S, n_grp))
    for gi in range(n_grp):
        m = elem_group == gi
        if m.any():
            group_lf[:, gi] = lf_e[:, m].max(axis=1)

    # segments, loads, bus voltages
    if segs:
        fr = np.array([s["from"] for s in segs])
        to = np.array([s["to"] for s in segs])
        seg_i = (V[:, fr] - V[:, to]) / np.array([s["r"] for s in segs])
        seg_loading = np.abs(seg_i) / np.array([s["rated_a"] for s in segs])
    else:
        seg_i = seg_loading = np.zeros((S, 0))
    if loads:
        lv = V[:, [x["node_rep"] for x in loads]]
        served = lv >= np.array([x["v_min"] for x in loads]) * (1 - 1e-12)
        pw = np.array([x["p_w"] for x in loads])
        unserved = ((~served) & (pw > 0)) @ pw
    else:
        lv = served = np.zeros((S, 0))
        unserved = np.zeros(S)

    # feeds (facility side) and PDUs
    from rackforge.solvers.power_ref import feed_imbalance, psu_line_phasors

    lim = (net.feed_breaker_a * net.feed_derating)[R_feed]
    feed_i = FL.max(axis=2) if R_feed.size else np.zeros((S, 0))
    feed_loading = feed_i / lim
    is_dc = net.feed_is_dc[R_feed]
    is_ac3 = np.array([feeds["models"][f].type == "ac3" for f in R_feed], bool)
    feed_imb = np.stack([np.where(is_ac3, feed_imbalance(FL[s], is_dc, lim), 0.0) for s in range(S)]) \
        if R_feed.size else np.zeros((S, 0))
    ef = net.psu_feed[R["elem"]]
    n_pdu = len(pdus)
    pdu_line = np.zeros((S, n_pdu, 3))
    if n_pdu:
        onehot_pdu = np.zeros((elem_pdu.size, n_pdu))
        ok = elem_pdu >= 0
        onehot_pdu[np.flatnonzero(ok), elem_pdu[ok]] = 1.0
        conn = net.psu_conn[R["elem"]]
        for s in range(S):
            ph = psu_line_phasors(Pin[s], conn, net.feed_pf[ef], net.feed_voltage_v[ef])
            pdu_line[s] = np.abs(onehot_pdu.T @ ph)
    pdu_rated = np.array([p["rated_a"] for p in pdus]) if pdus else np.zeros(0)
    pdu_loading = pdu_line.max(axis=2) / pdu_rated if n_pdu else np.zeros((S, 0))

    feed_meta = []
    for i, f in enumerate(R_feed):
        fm = feeds["models"][f]
        feed_meta.append({"name": feeds["names"][f], "ptr": feeds["ptrs"][f], "type": fm.type,
                          "voltage_v": float(fm.voltage), "limit_a": float(lim[i]), "breaker_a": float(fm.breaker),
                          "derating": float(fm.derating), "model": fm, "global": int(f),
                          "p_in_w": float(base.feed_p_in_w[f]), "shared": feeds["inst"][f] is None})

    conservation = scal["facility_input_w"] - scal["load_total_w"] - scal["psu_loss_total_w"] - \
        scal["busbar_loss_total_w"]

    # per rack-definition totals (first instance) and design totals
    node_cum = np.cumsum([b.t.n_node for b in blocks])
    bus_block = [int(np.searchsorted(node_cum, n, side="right")) for n in bus_nodes]
    rack_totals = []
    for bi, b in enumerate(blocks):
        el = R["elem"][np.array([psus[elem_logical[e]]["block"] == bi for e in range(elem_logical.size)], bool)] \
            if elem_logical.size else np.zeros(0, np.int64)
        lo = _rep(len(b.t.loads), b.load)
        sg = _rep(len(b.t.seg), b.seg)
        it = float(base.load_p_drawn_w[lo].sum())
        pl = float(base.psu_loss_w[el].sum())
        bl = float(base.seg_loss_w[sg].sum())
        bv = [V[0, n] for n, nb in zip(bus_nodes, bus_block) if nb == bi]
        rack_totals.append({"definition": b.rd.key, "instances": b.m, "it_load_w": it, "psu_loss_w": pl,
                            "busbar_loss_w": bl, "facility_input_w": float(base.psu_p_in_w[el].sum()),
                            "psus": sum(1 for p in psus if p["block"] == bi and not p["virtual"]),
                            "bus_voltage_min_v": float(min(bv)) if bv else None})
    totals = {"facility_input_w": base.facility_input_w, "it_load_w": base.load_total_w,
              "psu_loss_w": base.psu_loss_total_w, "busbar_loss_w": base.busbar_loss_total_w,
              "unserved_w": base.unserved_w,
              "conservation_max_w": float(np.abs(conservation).max()) if conservation.size else 0.0,
              "converged": bool(np.all(scal["converged"]))}

    pa = PowerAnalysis(
        empty=False, path=path, solves=solves, blocks=blocks, labels=meta.labels, kinds=meta.kinds,
        scen_block=meta.block, same_net_psu_pair=np.array(meta.same_net_psu_pair, bool), psus=psus,
        groups=groups, segs=segs, loads=loads, feeds=feed_meta, pdus=pdus, bbus=bbus, mismatches=mismatches,
        freq_mismatches=freq_mismatches,
        unpowered=unpowered, psu_lf=psu_lf, psu_p_out_w=psu_p_out, psu_eta=psu_eta, psu_eta_peak=peak,
        psu_p_in_w=psu_p_in, group_i_a=group_i, group_p_w=group_p, group_psu_lf_max=group_lf, seg_i_a=seg_i,
        seg_loading=seg_loading, load_v=lv, load_served=served, bus_node_v=V[:, bus_nodes] if bus_nodes else
        np.zeros((S, 0)), bus_nodes=bus_nodes, feed_line_a=FL, feed_i_a=feed_i, feed_loading=feed_loading,
        feed_imbalance=feed_imb, pdu_line_a=pdu_line, pdu_loading=pdu_loading, unserved_w=unserved,
        conservation_w=conservation, converged=np.asarray(scal["converged"], bool), totals=totals,
        rack_totals=rack_totals)
    pa.bus_node_block = bus_block
    _holdup(pa, ctx, net, R, V)
    pa.seconds = time.perf_counter() - t0
    return pa


def _holdup(pa: PowerAnalysis, ctx, net, R, V) -> None:
    """BBU hold-up after every feed loss: the BBUs of a busbar carry all of its loads once any load on it is
    unserved (they take over the whole bus when it sags: OCP ORv3 BBU discharges at 48.5 V), for
    ``t = E / P`` [s] with ``E`` the healthy BBUs' usable energy [J] and ``P`` the carried load [W], provided
    their power rating covers ``P`` (same energy balance as ``rackforge.solvers.power.battery_holdup``)."""
    req = ctx.req("power.battery_holdup")
    pa.holdup_required_s = float(req) if req is not None else None
    n_net = R["net"].size
    pw = np.array([x["p_w"] for x in pa.loads]) if pa.loads else np.zeros(0)
    lnet = np.searchsorted(R["net"], net.node_net[net.load_node[R["load"]]]) if pa.loads else np.zeros(0, int)
    bnet = np.array([b["net_rep"] for b in pa.bbus], np.int64)
    be = np.array([b["energy_j"] for b in pa.bbus])
    bp = np.array([b["p_w"] for b in pa.bbus])
    sc_bbu = getattr(pa, "_bbu_rows", None)
    for s, ks in enumerate(pa.kinds):
        if F_FEED not in ks:
            continue
        uns = ~pa.load_served[s] & (pw > 0)
        hit = np.zeros(n_net, bool)
        hit[lnet[uns]] = True
        carry = np.bincount(lnet, np.where(hit[lnet], pw, 0.0), minlength=n_net)
        failed = np.zeros(bnet.size, bool)
        if sc_bbu is not None:
            failed[sc_bbu[s]] = True
        e = np.bincount(bnet, np.where(failed, 0.0, be), minlength=n_net) if bnet.size else np.zeros(n_net)
        p = np.bincount(bnet, np.where(failed, 0.0, bp), minlength=n_net) if bnet.size else np.zeros(n_net)
        for k in np.flatnonzero(carry > 0):
            t_hold = float(e[k] / carry[k])
            blk = next((ld["block"] for j, ld in enumerate(pa.loads) if lnet[j] == k), 0)
            pa.holdup.append({"scenario": pa.labels[s], "scenario_index": s, "block": blk,
                              "network": int(k), "carried_w": float(carry[k]), "bbu_power_w": float(p[k]),
                              "bbu_energy_j": float(e[k]), "holdup_s": t_hold,
                              "power_ok": bool(carry[k] <= p[k] * (1 + 1e-12))})
