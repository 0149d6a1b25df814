"""RF423-RF439 scale-out fabric sanity and RF450-RF469 generated hall fabric. Rules read ``ctx.network``.

Fabric sanity holds for any scale-out fabric (patterns, explicit links, or the generated hall fabric): a switch
that carries no node traffic, a rail group whose rails are unevenly populated, a twin-port cage used by half.
The hall-fabric rules judge what :mod:`rackforge.lowering.hall_fabric` generated: whether it could be built,
whether every route has a media option, and what one failure leaves.
"""
from __future__ import annotations

import numpy as np

from rackforge.rules import Hit, rule
from rackforge.rules.network import by_mount
from rackforge.topology.codes import Role

_TIER = {1: "leaf", 2: "spine", 3: "core"}


def _n(k: int, what: str) -> str:
    if k == 1:
        return f"{k:,} {what}"
    plural = {"switch": "switches", "leaf": "leaves"}
    head, _, last = what.rpartition(" ")
    return f"{k:,} {(head + ' ') if head else ''}{plural.get(last, last + 's')}"


def _hints(m) -> np.ndarray:
    h = np.zeros(m.n_dev, np.int64)
    th = getattr(m, "tier_hint", None) or {}
    if th:
        k = np.fromiter(th.keys(), np.int64, len(th))
        h[k] = np.fromiter(th.values(), np.int64, len(th))
    return h


def idle_switches(net) -> tuple[np.ndarray, np.ndarray]:
    """Scale-out switches that carry no node traffic, and their tier hint (0: no pattern placed them).

    Active devices, built up tier by tier: the compute nodes; a switch with a scale-out link to a node (a leaf
    a pattern or the generator declared a spine or core does not count as a node's leaf); a declared spine with
    a link to an active leaf; a declared core with a link to an active spine; a switch no pattern placed is
    active when it links to any active device (found by repeated passes). A scale-out switch (one with scale-out
    ports) that is not active is idle.
    """
    m = net.m
    dv = net.devices
    so = net.scale_out
    P = m.ports
    has_so = np.bincount(P.device[P.role == Role.SCALE_OUT], minlength=m.n_dev)[:m.n_dev] > 0
    cand = dv["is_switch"] & has_so & ~m.unjudged
    hint = _hints(m)
    edges = so.get("edges")
    active = dv["is_node"].copy()
    if edges is None or edges.u.size == 0:
        bad = np.flatnonzero(cand)
        return bad, hint[bad]
    u, v = edges.u, edges.v

    def touch(src_mask, dst_mask):
        out = np.zeros(m.n_dev, bool)
        sel = src_mask[u] & dst_mask[v]
        out[v[sel]] = True
        sel = src_mask[v] & dst_mask[u]
        out[u[sel]] = True
        return out

    active |= touch(dv["is_node"], cand & (hint <= 1))
    leaf_act = active & cand & (hint == 1)
    active |= touch(leaf_act | (active & cand & (hint == 0)), cand & (hint == 2))
    active |= touch(active & cand & (hint == 2), cand & (hint == 3))
    for _ in range(8):
        new = active | touch(active, cand & (hint == 0))
        if (new == active).all():
            break
        active = new
    bad = np.flatnonzero(cand & ~active)
    return bad, hint[bad]


@rule("RF423", "scale-out-switch-idle", "warning", "A scale-out switch carries no node traffic: a leaf without "
      "nodes, a spine without leaves that serve nodes, a core without such spines, or an uncabled switch.")
def rf423(ctx):
    """
    **What**: in a design with a scale-out fabric, a switch with scale-out ports that no compute node's traffic
    can reach the way the fabric is built: a leaf (as a `rail`/`leaf_spine` pattern or the hall fabric placed
    it) with no node link, a spine whose links reach no leaf that serves nodes, a core whose spines serve no
    leaves, or a switch with no scale-out link at all. (A partly filled last scalable unit leaves its spare
    blocks' leaves idle; NVIDIA builds full-SU leaves for growth: waive it when that is the intent.)

    **Why**: a switch that carries nothing costs its price, power, rack space and optics, and is usually a sign
    of a selector or count that went wrong.

    **Fix**: remove the switch, or cable nodes (or lower-tier switches) to it.
    Reference: NVIDIA DGX SuperPOD reference architectures (leaves serve the nodes of their SU).
    """
    net = ctx.network
    if not net.scale_out["has_fabric"]:
        return
    bad, hint = idle_switches(net)
    if bad.size == 0:
        return
    why = {1: "a leaf with no node link", 2: "a spine with no link to a leaf that serves nodes",
           3: "a core with no link to a spine that serves nodes",
           0: "a scale-out switch with no link that node traffic can use"}
    for h in (1, 2, 3, 0):
        devs = bad[hint == h]
        yield from by_mount(net, devs, lambda d, c, n, h=h: f"{net.m.dev_name(d)}: {why[h]}"
                             + (f" ({_n(c, 'such switch')} here)" if c > 1 else ""),
                             "remove it, or cable nodes or lower-tier switches to it")


@rule("RF424", "rail-half-populated", "warning", "The leaves of one rail group carry different numbers of nodes: "
      "some rails of the group are only partly populated.")
def rf424(ctx):
    """
    **What**: in a rail-optimised fabric the leaves of one rail group (one leaf per rail serving the same nodes,
    as a `rail` pattern or the hall fabric laid them) carry different numbers of node links: rail i of the group
    has fewer nodes than rail j.

    **Why**: collectives run at the pace of the slowest rail; a half-populated rail means some nodes' NIC i is
    missing or cabled elsewhere, so their traffic crosses the spines or stalls.

    **Fix**: cable every NIC of the group's nodes to its rail's leaf (the `rail` pattern does it).
    Reference: NVIDIA DGX SuperPOD reference architecture (rail-aligned compute fabric).
    """
    net = ctx.network
    so = net.scale_out
    if not so["has_fabric"]:
        return
    m = net.m
    lg = getattr(m, "leaf_group", None) or {}
    if not lg:
        return
    P, L = m.ports, m.links
    ok = m.valid & (P.role[np.where(m.valid, L.port_a, 0)] == Role.SCALE_OUT)
    a, b = L.port_a[ok], L.port_b[ok]
    node = net.devices["is_node"]
    da, db = P.device[a], P.device[b]
    cnt = np.bincount(np.r_[db[node[da]], da[node[db]]], minlength=m.n_dev)[:m.n_dev]
    leaves = np.fromiter(lg.keys(), np.int64, len(lg))
    grp = np.fromiter(lg.values(), np.int64, len(lg))
    c = cnt[leaves]
    _, inv = np.unique(grp, return_inverse=True)
    gmax = np.zeros(inv.max() + 1, np.int64)
    np.maximum.at(gmax, inv, c)
    short = (c < gmax[inv]) & ~m.unjudged[leaves]
    if not short.any():
        return
    top = dict(zip(leaves[short].tolist(), gmax[inv][short].tolist()))
    have = dict(zip(leaves[short].tolist(), c[short].tolist()))
    rail = m.device_rail
    yield from by_mount(net, leaves[short], lambda d, k, n: f"{m.dev_name(d)} (rail {int(rail[d])}) carries "
                         f"{have[d]} node link(s); another rail of its group carries {top[d]}"
                         + (f" ({_n(k, 'such leaf')} here)" if k > 1 else ""),
                         "cable the missing NICs to their rail's leaf")


def half_used_cages(net) -> np.ndarray:
    """Global port ids of the free halves of twin-port cages whose other half is cabled (port groups with
    ``per_cage`` > 1)."""
    m = net.m
    out = []
    for k, dn in enumerate(m.defnets):
        inst = np.flatnonzero(m.inst_def == k)
        if inst.size == 0:
            continue
        for mi_idx, groups in enumerate(dn.mount_groups):
            part = dn.rdef.mounts[mi_idx].part
            if part is None:
                continue
            for g in getattr(part, "ports", None) or []:
                pc = int(getattr(g, "per_cage", 1) or 1)
                if pc <= 1 or g.name not in groups:
                    continue
                base, count = groups[g.name]
                n_cage = count // pc
                local = base + np.arange(n_cage * pc)
                glob = (m.port_base[inst][:, None] + local[None, :]).reshape(inst.size, n_cage, pc)
                used = m.used[glob]
                half = used.any(axis=2) & ~used.all(axis=2)
                if half.any():
                    free = glob[half[:, :, None] & ~used]
                    out.append(free.ravel())
    return np.concatenate(out) if out else np.zeros(0, np.int64)


@rule("RF425", "twin-port-cage-half-used", "warning", "A twin-port cage has one port cabled and the other "
      "free: the module's second port is stranded.")
def rf425(ctx):
    """
    **What**: a switch port group with `per_cage: 2` (the two 400G halves of a twin-port OSFP cage) has a cage
    with one logical port cabled and the other not.

    **Why**: a twin-port module is one part serving both ports (a 2x400G OSFP transceiver costs and draws power
    for both); with one half unused the module's second port and the switch capacity behind it are stranded,
    and the cage cannot take a different module for the other half.

    **Fix**: pair links in cages (cable ports 2k and 2k+1 together), or use the free halves.
    Reference: NVIDIA MMS4X00-NS / MMA4Z00-NS twin-port OSFP overviews (one module, two 400G ports).
    """
    net = ctx.network
    free = half_used_cages(net)
    if free.size == 0:
        return
    m = net.m
    devs = m.ports.device[free]
    per_dev = np.bincount(devs, minlength=m.n_dev)
    yield from by_mount(net, np.unique(devs), lambda d, c, n: f"{m.dev_name(d)}: {int(per_dev[d])} twin-port "
                         "cage(s) with one half cabled and the other free"
                         + (f" ({_n(c, 'such switch')} here)" if c > 1 else ""),
                         "cable ports in pairs per cage")


# ---------------------------------------------------------------------------------------------------------------
# generated hall fabric


def _hall(ctx):
    lay = getattr(ctx.r, "hall_fabric", None)
    return lay, (getattr(ctx.network.m, "hall", None) if lay is not None and lay.plan is not None else None)


@rule("RF450", "hall-fabric-not-generated", "error", "The hall fabric cannot be generated from the design's "
      "hall_fabric section.")
def rf450(ctx):
    """
    **What**: the `hall_fabric` section names no compute nodes, more rails than the nodes have ports, a
    template that is missing or holds no scale-out switch, a fabric that fits in none of the tiers asked for
    (two tiers: every leaf must reach every spine, so spines are at most a leaf's uplinks; three tiers: the core
    groups must hold every pod's spine uplinks), switch racks whose switches have fewer ports than the plan
    uses, or a fabric stage no media option serves.

    **Why**: without the fabric the hall has no scale-out network to judge or to buy.

    **Fix**: follow the message: bigger switches, three tiers (give `core`), more oversubscription, fewer
    rails, or a media option for every stage. The counting rules are in docs/hall-fabric.md.
    Reference: C. Clos 1953; M. Al-Fares et al., SIGCOMM 2008; NVIDIA DGX SuperPOD reference architectures.
    """
    lay = getattr(ctx.r, "hall_fabric", None)
    if lay is None:
        return
    ctx.network  # the link stage adds its own problems
    for ptr, msg in lay.problems:
        yield Hit(ptr, msg)


@rule("RF451", "hall-fabric-route-beyond-media", "error", "A hall-fabric route is longer than every media "
      "option for its stage reaches.")
def rf451(ctx):
    """
    **What**: a generated link's cable route (up to the tray, Manhattan along and across rows, down, slack at
    both ends) is longer than the `max_length` of every `media` option that serves its stage; the generator
    gave it the longest option, which cannot reach.

    **Why**: the link cannot be built with the media the design allows.

    **Fix**: add a longer-reach option (single-mode FR4 reaches 2 km), or move the switch racks closer
    (`leaf.row`, `core_row`).
    Reference: NVIDIA LinkX twin-port OSFP overviews (SR 50 m, DR 100 m, FR4 2 km).
    """
    lay, h = _hall(ctx)
    if h is None or h["unreached"].size == 0:
        return
    m = ctx.network.m
    rows = h["unreached"] + h["link_offset"]
    worst = rows[np.argmax(m.route_m[rows])]
    yield Hit("/hall_fabric/media", f"{_n(int(rows.size), 'link')} of the hall fabric have routes beyond every "
              f"media option, e.g. {m.link_desc(int(worst))}: {m.route_m[worst]:.1f} m",
              "add a longer-reach media option or move the switch racks closer")


@rule("RF452", "hall-fabric-failure-domain-short", "error", "Losing one leaf, one spine, one spine group or one "
      "core group leaves less of the hall fabric's bandwidth than the design asks.")
def rf452(ctx):
    """
    **What**: with the generated fabric's counts (leaves ``L``, spines ``s`` or ``p`` per pod, cores in groups
    of ``c``), the share of the hall's fabric bandwidth left after one failure is below
    `hall_fabric.min_bandwidth_after_failure` (default 0.9). Failures: one leaf (``1 - 1/L`` of the node
    bandwidth left; its nodes keep ``(R-1)/R`` of theirs over the other rails), one spine (two tiers
    ``(s-1)/s``; three tiers ``1 - 1/(S p)``), one spine group (the spines of one switch rack, ``m`` of them:
    ``1 - m/spines``; a three-tier group holding a whole pod's spines cuts that pod off) and one core group
    (``(p-1)/p``). Equal-cost multipath spreads traffic over what is left. The message says what is lost.

    **Why**: a fabric whose single failure removes a large share of its capacity stalls every job spanning it.

    **Fix**: more spines (each a smaller share), spread a tier's spines over more racks, three tiers.
    Reference: M. Al-Fares et al., SIGCOMM 2008 (fat-tree path diversity).
    """
    lay, h = _hall(ctx)
    if h is None:
        return
    lim = float(lay.spec.min_bandwidth_after_failure)
    f, plan = h["failure"], h["plan"]
    cases = [("leaf_hall", "one leaf", f"its {plan.nodes_per_leaf} nodes keep {plan.rails - 1} of "
              f"{plan.rails} rails ({f['leaf']:.0%} of their bandwidth)"),
             ("spine_hall", "one spine", f"the leaves it serves keep {f['spine']:.0%} of their uplinks"),
             ("spine_group", f"one spine group ({lay.spines_per_rack} spines of one rack)",
              f"{f['isolated_nodes_spine_group']:,} nodes cut off" if f["isolated_nodes_spine_group"]
              else "no node cut off")]
    if "core_group" in f:
        cases.append(("core_group", f"one core group ({plan.cores_per_group} cores)",
                      "every pod loses one of its spines' core uplinks"))
    for key, what, lost in cases:
        if f[key] < lim * (1 - 1e-12):
            yield Hit("/hall_fabric/min_bandwidth_after_failure",
                      f"losing {what} leaves {f[key]:.1%} of the hall fabric's bandwidth ({lost}); the design asks "
                      f"for {lim:.0%}", "add spines, spread them over more racks, or use three tiers",
                      value=f[key], limit=lim, unit="1")
