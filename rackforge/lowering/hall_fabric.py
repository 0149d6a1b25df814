"""Hall scale-out fabric lowering: the design's ``hall_fabric`` section into switch racks and links.

Two steps, both deterministic:

1. :func:`place` (run by the engine right after the design is resolved, so the physical, power, cooling and
   BOM checks see the switch racks like any other rack): count the compute nodes, cut them into scalable units
   (``racks_per_su`` consecutive compute racks in rack order: rows by name, racks by index), plan the fabric
   (:func:`rackforge.topology.hallfabric.plan_fabric`) and add the switch racks, instances of the tier
   templates:

   * leaf racks of SU ``s``, and in three tiers the racks of its pod's spines, go at the end of the row that
     holds the SU's first rack (after the row's last rack), SU by SU: the node-leaf runs stay inside a row;
   * spines of a two-tier fabric and the cores of a three-tier one go in ``core_row``, from index 0;
   * a tier's ``row`` puts its racks in that row instead (appended in order).

   Rack ids: ``SU001-LF1`` (leaf racks), ``SU001-SP1`` (pod spine racks), ``SPINE-001``, ``CORE-001``.

2. :func:`expand` (run by the network lowering after the design-level patterns): lay the node-leaf,
   leaf-spine and spine-core links on the global port table (rails: NIC ``i`` of a node to the rail-``i``
   leaf of its block), compute every route with the tray model of
   :mod:`rackforge.topology.geometry` (up to the tray, Manhattan along and across rows, down, slack at both
   ends), choose the media by reach (the first ``media`` option whose ``max_length`` covers the route, made
   uniform per twin-port cage), cut cables to length, and register one link source per (option, cut length)
   so the RF4xx checks (ports, media, reach, speeds, rails, oversubscription, bisection by max-flow) run on
   the hall fabric unchanged.

Switch ports are taken as the logical ports of twin-port cages: ports ``2k`` and ``2k + 1`` of a switch (in
port order) share cage ``k`` and one module. A switch's downlinks are its first ports, its uplinks the next.
"""
from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from rackforge.model.resolved import RackInst
from rackforge.topology import hallfabric as thf
from rackforge.topology.codes import Role

STAGES = ("node_leaf", "leaf_spine", "spine_core")


@dataclass
class HallLayout:
    spec: Any
    plan: thf.FabricPlan | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)   # (pointer, message)
    compute: list[int] = field(default_factory=list)       # indices into r.racks, rack order
    rack_su: list[int] = field(default_factory=list)       # SU of each compute rack
    tier_racks: dict[str, list[int]] = field(default_factory=dict)  # tier -> indices into r.racks
    tier_slots: dict[str, list[int]] = field(default_factory=dict)  # tier -> switch mount indices of its template
    radix: dict[str, int] = field(default_factory=dict)
    spines_per_rack: int = 0


def _so_ports(part) -> int:
    return sum(g.count for g in (getattr(part, "ports", None) or []) if g.role == "scale_out")


def _split_sel(sel: str) -> tuple[str, str]:
    rack, _, mount = sel.rpartition("/")
    return rack or "*", mount


def place(r, catalog) -> HallLayout | None:
    """Plan the hall fabric of resolved design ``r`` and add its switch racks to ``r`` (see the module text)."""
    spec = getattr(r.design, "hall_fabric", None)
    if spec is None:
        return None
    lay = HallLayout(spec)
    r.hall_fabric = lay
    rack_glob, mount_glob = _split_sel(spec.nodes)
    # compute racks and their nodes, in rack order
    order = sorted(range(len(r.racks)), key=lambda i: (r.racks[i].row, r.racks[i].index))
    per_def: dict[int, list[int]] = {}
    rack_nodes = []
    rails = []
    for i in order:
        inst = r.racks[i]
        if not fnmatch.fnmatchcase(inst.id, rack_glob):
            continue
        key = id(inst.rdef)
        if key not in per_def:
            per_def[key] = [k for k, mi in enumerate(inst.rdef.mounts) if mi.part is not None
                            and fnmatch.fnmatchcase(mi.id, mount_glob) and _so_ports(mi.part) > 0]
        mounts = per_def[key]
        if not mounts:
            continue
        lay.compute.append(i)
        rack_nodes.append(len(mounts))
        rails.extend(_so_ports(inst.rdef.mounts[k].part) for k in mounts)
    if not lay.compute:
        lay.problems.append(("/hall_fabric/nodes", f"hall fabric: selector {spec.nodes!r} matches no mount with "
                             "scale-out ports"))
        return lay
    R = spec.rails or min(rails)
    if R > min(rails):
        lay.problems.append(("/hall_fabric/rails", f"hall fabric: {R} rails, but a node has only {min(rails)} "
                             "scale-out ports"))
        return lay
    n_su = math.ceil(len(lay.compute) / spec.racks_per_su)
    lay.rack_su = [k // spec.racks_per_su for k in range(len(lay.compute))]
    su_nodes = np.bincount(lay.rack_su, weights=rack_nodes, minlength=n_su).astype(int)
    # tier templates
    tiers = {"leaf": spec.leaf, "spine": spec.spine, "core": spec.core}
    defs = {d.key: d for d in r.defs if d.ptr.startswith("/templates/")}
    for t, sr in tiers.items():
        if sr is None:
            continue
        d = defs.get(sr.template)
        if d is None:
            lay.problems.append((f"/hall_fabric/{t}/template", f"hall fabric: {t} template {sr.template!r} is "
                                 "not defined under templates"))
            return lay
        slots = [k for k, mi in enumerate(d.mounts) if mi.part is not None and _so_ports(mi.part) > 0]
        if not slots:
            lay.problems.append((f"/hall_fabric/{t}/template", f"hall fabric: {t} template {sr.template!r} has no "
                                 "switch with scale-out ports"))
            return lay
        lay.tier_slots[t] = slots
        lay.radix[t] = min(_so_ports(d.mounts[k].part) for k in slots)
    want = None if spec.tiers == "auto" else int(spec.tiers)
    if want == 3 and spec.core is None or (want is None and spec.core is None):
        want = 2 if want is None else want
    try:
        plan = thf.plan_fabric(int(su_nodes.sum()), R, int(su_nodes.max()), lay.radix["leaf"], lay.radix["spine"],
                               lay.radix.get("core"), float(spec.oversubscription), want)
    except ValueError as exc:
        lay.problems.append(("/hall_fabric", f"hall fabric cannot be built: {exc}"))
        return lay
    if plan.tiers == 3 and spec.core is None:
        lay.problems.append(("/hall_fabric/core", "hall fabric: three tiers are needed but no core racks are "
                             "given"))
        return lay
    lay.plan = plan
    # placement
    row_end: dict[str, int] = {}
    for inst in r.racks:
        row_end[inst.row] = max(row_end.get(inst.row, -1), inst.index)

    def add(tier: str, rid: str, row: str) -> None:
        d = defs[tiers[tier].template]
        idx = row_end.get(row, -1) + 1
        row_end[row] = idx
        inst = RackInst(rid, d, f"/hall_fabric/{tier}", row, idx)
        d.instances.append(inst)
        r.racks.append(inst)
        r.rack_by_id.setdefault(rid, inst)
        lay.tier_racks.setdefault(tier, []).append(len(r.racks) - 1)

    first_rack = {}
    for k, s in enumerate(lay.rack_su):
        first_rack.setdefault(s, lay.compute[k])
    n_leaf_racks = math.ceil(plan.leaves_per_su / len(lay.tier_slots["leaf"]))
    n_pod_racks = math.ceil(plan.spines_per_pod / len(lay.tier_slots["spine"])) if plan.tiers == 3 else 0
    for s in range(plan.sus):
        home = r.racks[first_rack[s]].row
        for j in range(n_leaf_racks):
            add("leaf", f"SU{s + 1:03d}-LF{j + 1}", spec.leaf.row or home)
        for j in range(n_pod_racks):
            add("spine", f"SU{s + 1:03d}-SP{j + 1}", spec.spine.row or home)
    if plan.tiers == 2:
        for j in range(math.ceil(plan.spines / len(lay.tier_slots["spine"]))):
            add("spine", f"SPINE-{j + 1:03d}", spec.spine.row or spec.core_row)
        lay.spines_per_rack = min(len(lay.tier_slots["spine"]), plan.spines)
    else:
        for j in range(math.ceil(plan.cores / len(lay.tier_slots["core"]))):
            add("core", f"CORE-{j + 1:03d}", spec.core.row or spec.core_row)
        lay.spines_per_rack = min(len(lay.tier_slots["spine"]), plan.spines_per_pod)
    return lay


# ---------------------------------------------------------------------------------------------------------------
# links


def _switch_ports(net, tier: str, lay: HallLayout, count: int, groups: int = 1,
                  racks_per_group: int | None = None) -> tuple[np.ndarray, np.ndarray, list]:
    """(device ids, port matrix [switch, port] by port order, padded -1) of the first ``count`` switches of a
    tier, rack by rack, slot by slot; with ``groups``, the first ``count`` of each group's ``racks_per_group``
    racks (the leaf racks of one SU, the spine racks of one pod), group by group, so a group whose switches do
    not fill its last rack leaves the spare slots idle instead of lending them to the next group."""
    devs, rows = [], []
    racks = lay.tier_racks.get(tier, [])
    rpg = len(racks) if racks_per_group is None else racks_per_group
    for g in range(groups):
        n = 0
        for i in racks[g * rpg:(g + 1) * rpg]:
            dn = net.defnets[int(net.inst_def[i])]
            for k in lay.tier_slots[tier]:
                loc = int(dn.mount_main[k])
                if loc < 0:
                    continue
                devs.append(int(net.dev_base[i]) + loc)
                rows.append(int(net.port_base[i]) + dn.ports_of(loc, Role.SCALE_OUT))
                n += 1
                if n == count:
                    break
            if n == count:
                break
    w = max((x.size for x in rows), default=0)
    mat = np.full((len(rows), w), -1, np.int64)
    for j, x in enumerate(rows):
        mat[j, :x.size] = x
    return np.asarray(devs, np.int64), mat, rows


def expand(net, space, cat, make_source) -> None:
    """Lay the hall fabric's links on the global tables of ``net`` (a NetworkModel), into ``space``."""
    lay = getattr(net.ctx.r, "hall_fabric", None)
    net.hall = None
    if lay is None or lay.plan is None:
        return
    plan, spec = lay.plan, lay.spec
    _, mount_glob = _split_sel(spec.nodes)
    R = plan.rails
    nic, su = [], []
    rank_in_su: dict[int, int] = {}
    rank = []
    node_dev = []
    for k, i in enumerate(lay.compute):
        dn = net.defnets[int(net.inst_def[i])]
        s = lay.rack_su[k]
        for m in dn.select(mount_glob):
            loc = int(dn.mount_main[m])
            if loc < 0:
                continue
            p = dn.ports_of(loc, Role.SCALE_OUT)
            if p.size == 0:
                continue
            nic.append(int(net.port_base[i]) + p[:R])
            su.append(s)
            rank.append(rank_in_su.get(s, 0))
            rank_in_su[s] = rank[-1] + 1
            node_dev.append(int(net.dev_base[i]) + loc)
    nic_m = np.stack(nic) if nic else np.zeros((0, R), np.int64)
    # leaves SU by SU from the SU's leaf racks; pod spines (three tiers) pod by pod from the pod's spine racks
    n_leaf_racks = math.ceil(plan.leaves_per_su / len(lay.tier_slots["leaf"]))
    leaf_dev, leaf_p, _ = _switch_ports(net, "leaf", lay, plan.leaves_per_su, plan.sus, n_leaf_racks)
    n_sp = plan.spines
    if plan.tiers == 3:
        n_pod_racks = math.ceil(plan.spines_per_pod / len(lay.tier_slots["spine"]))
        sp_dev, sp_p, _ = _switch_ports(net, "spine", lay, plan.spines_per_pod, plan.sus, n_pod_racks)
    else:
        sp_dev, sp_p, _ = _switch_ports(net, "spine", lay, n_sp)
    d, u = plan.nodes_per_leaf, plan.uplinks_per_leaf
    per_spine_down = plan.leaves * u // plan.spines if plan.tiers == 2 else plan.leaves_per_su * u // \
        plan.spines_per_pod
    need = {"leaf": (leaf_p, plan.leaves, d + u), "spine": (sp_p, n_sp, per_spine_down + plan.spine_uplinks)}
    if plan.tiers == 3:
        co_dev, co_p, _ = _switch_ports(net, "core", lay, plan.cores)
        need["core"] = (co_p, plan.cores, plan.sus * plan.spine_uplinks // plan.cores_per_group)
    for t, (mat, n, w) in need.items():
        if mat.shape[0] < n or (n and (mat[:, :w] < 0).any()):
            lay.problems.append((f"/hall_fabric/{t}", f"hall fabric: the {t} racks give {mat.shape[0]} "
                                     f"switches with {mat.shape[1] if mat.size else 0} scale-out ports; the plan "
                                     f"needs {n} with {w}"))
            return
    # node-leaf: SU and rank per node, as laid out by rail_links
    node_su = np.asarray(su, np.int64)
    node_rank = np.asarray(rank, np.int64)
    a0, b0 = thf.rail_links(plan, nic_m, node_su, node_rank, leaf_p[:, :d])
    a1, b1, st1 = thf.clos_links(plan, leaf_p[:, d:d + u], sp_p[:, :per_spine_down],
                                 sp_p[:, per_spine_down:per_spine_down + plan.spine_uplinks] if plan.tiers == 3
                                 else None, co_p if plan.tiers == 3 else None)
    a = np.r_[a0, a1]
    b = np.r_[b0, b1]
    stage = np.r_[np.full(a0.size, thf.STAGE_NODE_LEAF, np.int64), st1]
    # routes (the same tray model the network lowering applies to every link)
    route = net.route_of(a, b)
    # cages: switch ends, two logical ports per cage
    rank_col = net.pcols["rank"]
    pdev = net.p_device
    is_sw = np.zeros(net.n_dev, bool)
    is_sw[leaf_dev] = True
    is_sw[sp_dev] = True
    if plan.tiers == 3:
        is_sw[co_dev] = True

    def cage(p):
        return np.where(is_sw[pdev[p]], pdev[p] * 65536 + rank_col[p] // 2, -1)

    ca, cb = cage(a), cage(b)
    _, inv = np.unique(np.r_[ca, cb], return_inverse=True)
    neg = np.r_[ca, cb] < 0
    inv = np.where(neg, -1, inv)
    ca, cb = inv[:a.size], inv[a.size:]
    # media by reach, per stage among the options that serve it
    opts = spec.media
    option = np.full(a.size, -1, np.int64)
    unreached: list[np.ndarray] = []
    for sg in range(3):
        sel = np.flatnonzero(stage == sg)
        if sel.size == 0:
            continue
        ok = [k for k, o in enumerate(opts) if STAGES[sg] in (getattr(o, "stages", None) or STAGES)]
        if not ok:
            lay.problems.append(("/hall_fabric/media", f"hall fabric: no media option serves the "
                                     f"{STAGES[sg].replace('_', '-')} links"))
            return
        ml = np.array([float(opts[k].max_length) for k in ok])
        o = thf.choose_media(route[sel], ml, ca[sel], cb[sel])
        over = o >= len(ok)
        o = np.minimum(o, len(ok) - 1)   # beyond every option: the longest one; RF406 reports the reach
        option[sel] = np.asarray(ok)[o]
        unreached.append(sel[over])
    # cut lengths and sources: one per (option, cut length)
    cut = np.full(a.size, np.nan)
    for k, o in enumerate(opts):
        sel = option == k
        if not sel.any():
            continue
        cab = cat.get(o.cable)
        if o.cut_step is not None:
            step = float(o.cut_step)
            cut[sel] = np.ceil(route[sel] / step - 1e-9) * step
        elif cab is not None and getattr(cab, "length", None) is not None:
            cut[sel] = float(cab.length)
    key = option * 100000 + np.round(np.nan_to_num(cut, nan=0.0) * 10).astype(np.int64)
    uk, src_inv = np.unique(key, return_inverse=True)
    base = len(net.sources)
    for kk in uk.tolist():
        k, c10 = divmod(kk, 100000)
        o = opts[k]
        item = SimpleNamespace(cable=o.cable, transceivers=list(o.transceivers),
                               length=(c10 / 10.0 if o.cut_step is not None else None))
        s = make_source(f"/hall_fabric/media/{k}", "hall_fabric", item, cat, net.ffs)
        s.fanout = 1   # a splitter's legs sit on the two logical ports of a cage: straight links here
        net.sources.append(s)
    src = (base + src_inv).astype(np.int32)
    space.out_a.append(a)
    space.out_b.append(b)
    space.out_src.append(src)
    space.used[a] = True
    space.used[b] = True
    # rails of the leaves
    leaf_rail = (np.arange(plan.leaves) // plan.leaves_per_rail_per_su) % R
    leaf_grp = np.arange(plan.leaves) // (R * plan.leaves_per_rail_per_su) * plan.leaves_per_rail_per_su + \
        np.arange(plan.leaves) % plan.leaves_per_rail_per_su
    for dv, rl, gp in zip(leaf_dev.tolist(), leaf_rail.tolist(), leaf_grp.tolist()):
        space.device_rail[dv] = rl
        space.tier_hint[dv] = 1
        space.leaf_group[dv] = (1 << 40) + gp
    for devs, t in ((sp_dev, 2), (co_dev if plan.tiers == 3 else np.zeros(0, np.int64), 3)):
        for dv in devs.tolist():
            space.tier_hint[dv] = t
    # BOM: cables per (part, cut), modules per part (a twin-port module per cage)
    lines: list[tuple[str, int, str, str, float | None]] = []
    for kk_i, kk in enumerate(uk.tolist()):
        k, c10 = divmod(kk, 100000)
        o = opts[k]
        rows = src_inv == kk_i
        cab = cat.get(o.cable)
        brk = int(getattr(cab, "breakout", 1) or 1) if cab is not None else 1
        n = int(np.unique(cb[rows]).size) if brk > 1 else int(rows.sum())
        how = f"hall fabric, media option {k} ({', '.join(sorted({STAGES[x] for x in stage[rows].tolist()}))})"
        lines.append((o.cable, n, f"/hall_fabric/media/{k}", how, c10 / 10.0 if o.cut_step is not None else None))
    for k, o in enumerate(opts):
        rows = option == k
        if not rows.any() or not o.transceivers:
            continue
        xs = list(o.transceivers) * (2 if len(o.transceivers) == 1 else 1)
        for end, pn, cg in (("lower", xs[0], ca), ("upper", xs[1], cb)):
            part = cat.get(pn)
            ch = int(getattr(part, "channels", 1) or 1) if part is not None else 1
            c = cg[rows]
            if ch > 1:
                n = int(np.unique(c[c >= 0]).size) + int((c < 0).sum())
                how = f"hall fabric, media option {k}, {end} ends: one {ch}-port module per switch cage"
            else:
                n = int(rows.sum())
                how = f"hall fabric, media option {k}, {end} ends: one module per port"
            lines.append((pn, n, f"/hall_fabric/media/{k}", how, None))
    by_stage = {STAGES[sg]: int((stage == sg).sum()) for sg in range(3) if (stage == sg).any()}
    by_option = {k: int((option == k).sum()) for k in range(len(opts)) if (option == k).any()}
    net.hall = dict(plan=plan, layout=lay, bom=lines, links_by_stage=by_stage, links_by_option=by_option,
                    leaf_dev=leaf_dev, spine_dev=sp_dev, core_dev=co_dev if plan.tiers == 3 else
                    np.zeros(0, np.int64), node_dev=np.asarray(node_dev, np.int64), unreached=np.concatenate(unreached) if unreached else np.zeros(0, np.int64),
                    link_offset=sum(x.size for x in net._a) + sum(x.size for x in space.out_a[:-1]), route_max_m=float(route.max())
                    if route.size else 0.0, failure=thf.failure_domains(plan, lay.spines_per_rack))
