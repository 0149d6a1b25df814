"""The network analysis a design's rules read (``ctx.network``) and ``analyze`` prints: device facts, scale-up
reachability, scale-out bandwidth and bisection, management, single points of failure, per-link checks and the
JSON summary, computed lazily over the port/link tables :class:`rackforge.lowering.network.NetworkModel` builds.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

from rackforge.lowering.network import LENGTH_BINS_M, MEDIA_NAME, ROLE_NAME, SWITCH_KINDS, NetworkModel
from rackforge.model.findings import Hit
from rackforge.topology import checks as tchecks
from rackforge.topology import graph as tgraph
from rackforge.topology.codes import Role
from rackforge.topology.tables import LinkTable, PortTable


class NetworkResult:
    """What the RF4xx rules read (``ctx.network``) and what ``analyze`` prints (:meth:`to_json`).

    Heavy figures (scale-up reachability, bisection max-flow, single points of failure) are computed on first
    use, so a rule that is not selected, or a generation that does not ask, costs nothing.
    """

    #: compute the scale-up report once per rack definition and tile it (:func:`scale_up_tiled`) when every
    #: scale-up link lies inside a rack definition; False: always on the global tables (the reference path)
    tile_scale_up = True

    def __init__(self, ctx, model: NetworkModel | None = None) -> None:
        self.ctx = ctx
        #: ``model``: an existing network model to read with this context's generation (a mixed hall's
        #: generation groups share the whole design's; see ``rackforge.engine.Context``)
        self.m = model if model is not None else NetworkModel(ctx)

    @property
    def pattern_problems(self) -> list[Hit]:
        return self.m.problems

    # -- devices ----------------------------------------------------------------------------------------------
    @functools.cached_property
    def devices(self) -> dict:
        """Per-device facts: accelerator packages, switch chips, nodes (compute trays), managed devices."""
        m = self.m
        nd = m.n_dev
        is_acc = m.dev_kind == 1
        is_chip = m.dev_kind == 2
        is_node = np.zeros(nd, bool)
        is_switch = np.zeros(nd, bool)
        needs_mgmt = np.zeros(nd, bool)
        acc_mem = np.zeros(nd)
        acc_dies = np.zeros(nd, np.int64)
        acc_internal = np.zeros(nd, bool)
        acc_int_links = np.zeros(nd, np.int64)
        acc_int_bw = np.zeros(nd)
        packages = np.zeros(nd, np.int64)   # per node: packages it hosts
        for k, dn in enumerate(m.defnets):
            inst = np.flatnonzero(m.inst_def == k)
            if inst.size == 0 or dn.n_dev == 0:
                continue
            loc = np.zeros((12, dn.n_dev))
            for d in range(dn.n_dev):
                mi = dn.rdef.mounts[int(dn.dev_mount[d])]
                part = mi.part
                acc = getattr(part, "accelerators", None)
                kind = int(dn.dev_kind[d])
                groups = list(getattr(part, "ports", None) or [])
                if kind == 0:
                    if part.kind == "compute_tray" and acc is not None:
                        loc[0, d] = 1
                        loc[8, d] = acc.packages
                    if part.kind in SWITCH_KINDS:
                        loc[1, d] = 1
                    mgmt_sw = part.kind in SWITCH_KINDS and groups and all(g.role == "management" for g in groups)
                    if any(g.role == "management" for g in groups) and not mgmt_sw:
                        loc[2, d] = 1
                elif kind == 1:
                    loc[3, d] = float(acc.memory_per_package)
                    loc[4, d] = acc.dies_per_package
                    loc[5, d] = acc.scale_up_switch == "internal"
                    loc[6, d] = acc.scale_up_links_per_package
                    loc[7, d] = float(acc.scale_up_bandwidth_per_package)
            pos = (m.dev_base[inst][:, None] + np.arange(dn.n_dev)[None, :]).ravel()
            is_node[pos] = np.tile(loc[0] > 0, inst.size)
            is_switch[pos] = np.tile(loc[1] > 0, inst.size)
            needs_mgmt[pos] = np.tile(loc[2] > 0, inst.size)
            acc_mem[pos] = np.tile(loc[3], inst.size)
            acc_dies[pos] = np.tile(loc[4], inst.size).astype(np.int64)
            acc_internal[pos] = np.tile(loc[5] > 0, inst.size)
            acc_int_links[pos] = np.tile(loc[6], inst.size).astype(np.int64)
            acc_int_bw[pos] = np.tile(loc[7], inst.size)
            packages[pos] = np.tile(loc[8], inst.size).astype(np.int64)
        # the node (tray device) of each accelerator: the main device of its mount
        node_of = np.full(nd, -1, np.int64)
        for k, dn in enumerate(m.defnets):
            inst = np.flatnonzero(m.inst_def == k)
            if inst.size == 0 or dn.n_dev == 0:
                continue
            main = dn.mount_main[dn.dev_mount]
            pos = (m.dev_base[inst][:, None] + np.arange(dn.n_dev)[None, :]).ravel()
            node_of[pos] = (m.dev_base[inst][:, None] + main[None, :]).ravel()
        return dict(is_acc=is_acc, is_chip=is_chip, is_node=is_node, is_switch=is_switch, needs_mgmt=needs_mgmt,
                    acc_mem_bits=acc_mem, acc_dies=acc_dies, acc_internal=acc_internal,
                    acc_int_links=acc_int_links, acc_int_bw_bidir=acc_int_bw, packages=packages, node_of=node_of)

    # -- per-link checks --------------------------------------------------------------------------------------
    @functools.cached_property
    def link_checks(self) -> dict[str, np.ndarray]:
        m = self.m
        P, L = m.ports, m.links
        # reach: the cable's and the catalog transceivers' figures are folded into reach_m by the lowering, so
        # the family defaults of the topology layer are not applied on top of them
        out = tchecks.run_link_checks(P, L, m.route_m)
        out["missing_transceiver_links"] = tchecks.links_missing_transceivers(L, m.xa, m.xb)
        out["mismatched_transceiver_links"] = tchecks.links_with_mismatched_transceivers(L, m.xa, m.xb)
        ok = m.valid
        a = np.where(ok, L.port_a, 0)
        b = np.where(ok, L.port_b, 0)
        # a cable slower than the ports it joins; a transceiver of another speed than its port
        slow = ok & (m._cable_speed < P.speed_bps[b] * (1 - 1e-9))
        xs_a, xs_b = m._xspeed
        xbad = ok & ((~np.isnan(xs_a) & ~_close(xs_a, P.speed_bps[a])) |
                     (~np.isnan(xs_b) & ~_close(xs_b, P.speed_bps[b])))
        out["speed_mismatch_links"] = np.union1d(out["speed_mismatch_links"], np.flatnonzero(slow | xbad))
        out["reach_m"] = tchecks.effective_reach_m(L)
        return out

    # -- scale-up ---------------------------------------------------------------------------------------------
    @functools.cached_property
    def scale_up(self) -> dict:
        """Per accelerator package: domain, domain size, links, bandwidth (one way and both ways), reachability."""
        m, dv = self.m, self.devices
        acc = np.flatnonzero(dv["is_acc"])
        internal = dv["acc_internal"][acc]
        ext = acc[~internal]
        n = acc.size
        dom = np.full(n, -1, np.int64)
        size = np.zeros(n, np.int64)
        links = np.zeros(n, np.int64)
        bw1 = np.zeros(n)
        unreach = np.zeros(n, np.int64)
        if ext.size:
            hops = self.ctx.req("scale_up.max_switch_hops")
            rep = scale_up_tiled(m, ext, dv["is_chip"], hops == 0) if self.tile_scale_up else None
            if rep is None:
                rep = tgraph.scale_up_report(m.ports, m.links, ext, dv["is_chip"])
                if hops == 0:  # only direct links count: no switch is a hop
                    rep["unreachable_peers"] = tgraph.scale_up_report(
                        m.ports, m.links, ext, np.zeros(m.n_dev, bool), domain=rep["domain"])["unreachable_peers"]
            e = ~internal
            dom[e] = rep["domain"]
            size[e] = rep["domain_size"]
            links[e] = rep["link_count"]
            bw1[e] = rep["bandwidth_bps"]
            unreach[e] = rep["unreachable_peers"]
        if internal.any():
            i = np.flatnonzero(internal)
            node = dv["node_of"][acc[i]]
            base = int(dom.max()) + 1 if n else 0
            _, inv = np.unique(node, return_inverse=True)
            dom[i] = base + inv
            size[i] = np.bincount(inv)[inv]
            links[i] = dv["acc_int_links"][acc[i]]
            bw1[i] = dv["acc_int_bw_bidir"][acc[i]] / 2.0
        dom_ids, dinv = np.unique(dom, return_inverse=True) if n else (np.zeros(0, np.int64), np.zeros(0, np.int64))
        mem = np.bincount(dinv, weights=dv["acc_mem_bits"][acc], minlength=dom_ids.size) if n else np.zeros(0)
        judged = ~m.unjudged[acc]
        dom_judged = (np.bincount(dinv, weights=~judged, minlength=dom_ids.size) == 0) if n else np.zeros(0, bool)
        return dict(accelerator=acc, domain=dinv, domain_size=size, link_count=links, bandwidth_bps=bw1,
                    bandwidth_bidir_bps=2.0 * bw1, unreachable_peers=unreach, internal=internal,
                    domain_memory_bits=mem, domain_sizes=np.bincount(dinv) if n else np.zeros(0, np.int64),
                    dies=dv["acc_dies"][acc], judged=judged & dom_judged[dinv] if n else judged,
                    domain_judged=dom_judged)

    # -- scale-out --------------------------------------------------------------------------------------------
    @functools.cached_property
    def scale_out(self) -> dict:
        """Provisioned and cabled scale-out bandwidth per accelerator, tiers, rails, oversubscription."""
        m, dv = self.m, self.devices
        P, L = m.ports, m.links
        so_port = P.role == Role.SCALE_OUT
        nodes = np.flatnonzero(dv["is_node"])
        pk = dv["packages"][nodes].astype(np.float64)
        prov = np.bincount(P.device[so_port], weights=P.speed_bps[so_port], minlength=m.n_dev)[nodes]
        with np.errstate(divide="ignore", invalid="ignore"):
            prov_acc = np.where(pk > 0, prov / np.maximum(pk, 1), np.nan)
        role = tgraph.link_role(P, L)
        so_links = m.valid & (role == Role.SCALE_OUT)
        has_fabric = bool(so_links.any())
        out = dict(nodes=nodes, packages=pk, provisioned_per_acc_bps=prov_acc, has_fabric=has_fabric,
                   scale_out_links=int(so_links.sum()), judged=~m.unjudged[nodes],
                   fabric_judged=not ({"rail", "leaf_spine"} & m.failed))
        if not has_fabric:
            return out
        # the scale-out links alone (a hall's 1.2 M among 14.5 M): every figure below is over them only, in the
        # same order, so the sums are the same as over the whole table
        so_rows = np.flatnonzero(so_links)
        L = L.take(so_rows)
        cab = tgraph.bandwidth_per_owner_bps(P, L, n_owners=m.n_dev)[nodes]
        with np.errstate(divide="ignore", invalid="ignore"):
            out["cabled_per_acc_bps"] = np.where(pk > 0, cab / np.maximum(pk, 1), np.nan)
        ends = np.concatenate([L.port_a, L.port_b])
        cabled = np.zeros(P.n, bool)
        cabled[ends] = True
        node_port = so_port & dv["is_node"][P.device]
        out["uncabled_node_ports"] = np.flatnonzero(node_port & ~cabled)
        edges = tgraph.aggregate_device_links(P, L, roles=(Role.SCALE_OUT,), n_devices=m.n_dev)
        out["edges"] = edges
        # tiers: BFS from the nodes over the scale-out device graph (leaf 1, spine 2, ...)
        tier = np.full(m.n_dev, -1, np.int64)
        tier[nodes[np.isin(nodes, np.r_[edges.u, edges.v])]] = 0
        frontier = tier == 0
        level = 0
        while frontier.any():
            level += 1
            nxt = np.zeros(m.n_dev, bool)
            fu, fv = frontier[edges.u], frontier[edges.v]
            nxt[edges.v[fu]] = True
            nxt[edges.u[fv]] = True
            nxt &= tier < 0
            tier[nxt] = level
            frontier = nxt
        out["tier"] = tier
        out["n_tiers"] = int(tier.max())
        # rails: NIC i of a node (its i-th scale-out port) must land on a rail-i leaf
        port_rail = np.where(node_port, m.port_rank, -1)
        drail = m.device_rail.copy()
        leaf = np.flatnonzero((tier == 1) & (drail < 0))
        if leaf.size:  # leaves no rail pattern declared: their rail is the NIC index most of their nodes use
            a, b = L.port_a, L.port_b
            for near, far in ((a, b), (b, a)):
                sel = (port_rail[near] >= 0) & (tier[P.device[far]] == 1) & (m.device_rail[P.device[far]] < 0)
                if sel.any():
                    k = P.device[far[sel]] * 64 + np.minimum(port_rail[near[sel]], 63)
                    uk, cnt = np.unique(k, return_counts=True)
                    order = np.lexsort((-cnt, uk // 64))
                    uk = uk[order]
                    first = np.r_[True, (uk[1:] // 64) != (uk[:-1] // 64)]
                    drail[uk[first] // 64] = uk[first] % 64
        out["port_rail"] = port_rail
        out["device_rail"] = drail
        out["rail_misaligned_links"] = so_rows[tgraph.rail_misaligned_links(P, L, port_rail, drail)]
        ov = tgraph.oversubscription(edges, tier, tier=1)
        out["oversubscription"] = ov
        return out

    @functools.cached_property
    def bisection(self) -> dict | None:
        """Max-flow between the first and second half of the cabled nodes in rack order (None without fabric)."""
        so = self.scale_out
        if not so["has_fabric"]:
            return None
        tier = so["tier"]
        nodes = so["nodes"][tier[so["nodes"]] == 0]
        a, b = tgraph.halves_by_order(nodes)
        bw = tgraph.bisection_bandwidth_bps(so["edges"], a, b)
        pk = self.devices["packages"]
        return dict(bandwidth_bps=bw, side_a=a, side_b=b, accelerators=int(pk[nodes].sum()),
                    partition="the first half of the cabled compute nodes in rack order (rows by name, racks by "
                              "index, mounts in file order) against the rest")

    @functools.cached_property
    def spof(self) -> dict | None:
        """Articulation points and bridges of the scale-out fabric (nodes and switches), None without fabric."""
        so = self.scale_out
        if not so["has_fabric"]:
            return None
        members = np.flatnonzero(so["tier"] >= 0)
        return tgraph.single_points_of_failure_arrays(so["edges"], nodes=members)

    @functools.cached_property
    def unmanaged(self) -> np.ndarray:
        dv = self.devices
        return tchecks_devices_without_management(self.m, np.flatnonzero(dv["needs_mgmt"] & ~self.m.unjudged))

    # -- output -----------------------------------------------------------------------------------------------
    def to_json(self) -> dict:
        m = self.m
        L = m.links
        ok = m.valid
        med = L.media[ok]
        role = tgraph.link_role(m.ports, L)[ok]
        length = L.length_m[ok]
        route = m.route_m[ok]
        edges = np.r_[-np.inf, LENGTH_BINS_M, np.inf]
        labels = [f"le_{LENGTH_BINS_M[0]:g}_m"] + [f"{lo:g}_to_{hi:g}_m" for lo, hi in
                                                   zip(LENGTH_BINS_M[:-1], LENGTH_BINS_M[1:])] + \
                 [f"gt_{LENGTH_BINS_M[-1]:g}_m"]
        known = ~np.isnan(length)
        hist = np.histogram(length[known], bins=edges)[0] if known.any() else np.zeros(len(labels), int)
        by_media = {MEDIA_NAME.get(int(k), str(k)): int(c) for k, c in zip(*np.unique(med, return_counts=True))}
        by_role = {ROLE_NAME.get(int(k), str(k)): int(c) for k, c in zip(*np.unique(role, return_counts=True))}
        su = self.scale_up
        so = self.scale_out
        out: dict[str, Any] = {
            "ports": int(m.ports.n),
            "ports_cabled": int(m.used.sum()),
            "links": int(ok.sum()),
            "links_by_media": by_media,
            "links_by_role": by_role,
            "links_by_cable_length": dict(zip(labels, (int(x) for x in hist))),
            "cable_length_m": _stats(length),
            "route_length_m": _stats(route),
            "cable_length_total_m": round(float(np.nansum(length)), 6),
            "geometry": {"rack_pitch_m": m.rack_pitch_m, "row_pitch_m": m.row_pitch_m,
                         "cable_tray_height_m": m.tray_height_m, "slack_per_end_m": m.slack_m},
            "pattern_problems": len(m.problems),
        }
        sizes = su["domain_sizes"]
        out["scale_up"] = {
            "accelerators": int(su["accelerator"].size),
            "domains": int(sizes.size),
            "domain_size_packages": {str(int(k)): int(c) for k, c in zip(*np.unique(sizes, return_counts=True))},
            "links_per_accelerator": _stats(su["link_count"].astype(float)),
            "bandwidth_per_accelerator_one_way_bps": _stats(su["bandwidth_bps"]),
            "bandwidth_per_accelerator_bidirectional_bps": _stats(su["bandwidth_bidir_bps"]),
            "memory_per_domain_bytes": _stats(su["domain_memory_bits"] / 8.0),
            "accelerators_not_single_switch_hop": int((su["unreachable_peers"] > 0).sum()),
        }
        sj: dict[str, Any] = {
            "nodes": int(so["nodes"].size),
            "provisioned_bandwidth_per_accelerator_bps": _stats(so["provisioned_per_acc_bps"]),
            "fabric": so["has_fabric"],
            "links": so["scale_out_links"],
        }
        if so["has_fabric"]:
            ov = so["oversubscription"]["oversubscription"]
            sj["cabled_bandwidth_per_accelerator_bps"] = _stats(so["cabled_per_acc_bps"])
            sj["uncabled_node_ports"] = int(so["uncabled_node_ports"].size)
            sj["tiers"] = so["n_tiers"]
            sj["leaves"] = int(ov.size)
            sj["leaf_oversubscription_ratio"] = _stats(ov[np.isfinite(ov)]) if np.isfinite(ov).any() else None
            sj["rail_misaligned_links"] = int(so["rail_misaligned_links"].size)
            bis = self.bisection
            sj["bisection_bandwidth_bps"] = bis["bandwidth_bps"]
            sj["bisection_bandwidth_per_accelerator_bps"] = (
                2.0 * bis["bandwidth_bps"] / bis["accelerators"] if bis["accelerators"] else None)
            sj["bisection_partition"] = bis["partition"]
            sp = self.spof
            sj["articulation_points"] = int(sp["articulation_points"].size)
            sj["bridges"] = int(sp["bridges"].shape[0])
        out["scale_out"] = sj
        hall = getattr(m, "hall", None)
        if hall:
            p = hall["plan"]
            out["hall_fabric"] = {
                "tiers": p.tiers, "scalable_units": p.sus, "rails": p.rails, "nodes": p.nodes,
                "leaves_per_rail_per_su": p.leaves_per_rail_per_su, "nodes_per_leaf": p.nodes_per_leaf,
                "uplinks_per_leaf": p.uplinks_per_leaf, "leaves": p.leaves, "spines": p.spines,
                "spines_per_pod": p.spines_per_pod if p.tiers == 3 else None, "cores": p.cores,
                "links_by_stage": hall["links_by_stage"],
                "links_by_media_option": {str(k): v for k, v in hall["links_by_option"].items()},
                "links_beyond_media": int(hall["unreached"].size),
                "bandwidth_left_after_failure": {k: round(float(v), 6) for k, v in hall["failure"].items()
                                                 if k != "isolated_nodes_spine_group"},
                "nodes_cut_off_by_one_spine_group": int(hall["failure"]["isolated_nodes_spine_group"]),
                "switch_racks": {t: len(v) for t, v in hall["layout"].tier_racks.items()},
            }
        out["management"] = {"devices": int(self.devices["needs_mgmt"].sum()), "unmanaged": int(self.unmanaged.size)}
        return out


_SU_KEYS = ("domain", "domain_size", "link_count", "bandwidth_bps", "unreachable_peers")


def scale_up_tiled(m: NetworkModel, ext: np.ndarray, is_chip: np.ndarray, direct_only: bool) -> dict | None:
    """:func:`rackforge.topology.graph.scale_up_report` of accelerators ``ext`` computed once per rack
    definition on its rack-local tables and tiled over its instances; None when it does not apply.

    It applies when no design-level link (explicit link, design pattern, hall fabric) touches a scale-up port:
    then every scale-up link is a rack definition's own, repeated with the instance's port offset, so each
    instance's scale-up graph is its definition's, shifted, and no domain spans two racks. Per accelerator the
    link count, bandwidth, domain size and unreachable peers are the definition's; the domain ids, numbered by
    the smallest device of each domain in :func:`~rackforge.topology.graph.scale_up_domains`, are the
    definition's plus the number of domains in the instances before (instances occupy consecutive device
    ranges in instance order). A hall of 10,000 NVL72 racks has 13 million NVLink links and one definition.
    ``direct_only``: unreachable peers counted over direct links only (``scale_up.max_switch_hops: 0``).
    """
    P, L = m.ports, m.links
    d0 = m.n_def_links
    if L.n > d0:
        a, b = L.port_a[d0:], L.port_b[d0:]
        ok = m.valid[d0:]
        su = (P.role[np.where(ok, a, 0)] == Role.SCALE_UP) | (P.role[np.where(ok, b, 0)] == Role.SCALE_UP)
        if (su & ok).any():
            return None
    inst_of = m.inst_of_dev(ext)
    k_of = m.inst_def[inst_of]
    out = {k: np.zeros(ext.size, np.float64 if k == "bandwidth_bps" else np.int64) for k in _SU_KEYS}
    n_inst = m.inst_def.size
    dom_count = np.zeros(n_inst, np.int64)
    local_dom = np.zeros(ext.size, np.int64)
    for k in np.unique(k_of).tolist():
        dn = m.defnets[k]
        sel = np.flatnonzero(k_of == k)
        inst = np.flatnonzero(m.inst_def == k)
        first = int(inst[0])
        loc_all = ext[sel] - m.dev_base[inst_of[sel]]
        # the definition's accelerators (those of its first instance; every instance has the same)
        loc = np.unique(loc_all)
        n_loc = loc.size
        if n_loc == 0 or sel.size != n_loc * inst.size:
            return None
        ports = _local_ports(m, dn, first)
        links = _local_links(m, dn)
        chip = is_chip[m.dev_base[first]:m.dev_base[first] + dn.n_dev]
        rep = tgraph.scale_up_report(ports, links, loc, chip)
        if direct_only:
            rep["unreachable_peers"] = tgraph.scale_up_report(
                ports, links, loc, np.zeros(dn.n_dev, bool), domain=rep["domain"])["unreachable_peers"]
        pos = np.searchsorted(loc, loc_all)
        for key in _SU_KEYS:
            out[key][sel] = rep[key][pos]
        local_dom[sel] = rep["domain"][pos]
        dom_count[inst] = int(rep["domain"].max()) + 1
    offset = np.r_[0, np.cumsum(dom_count)[:-1]]
    out["domain"] = offset[inst_of] + local_dom
    return out


def _local_ports(m: NetworkModel, dn, inst: int) -> PortTable:
    """Rack-local port table of definition ``dn`` (the ports of its instance ``inst``: every instance has the
    same), device ids local."""
    p0 = int(m.port_base[inst])
    sl = slice(p0, p0 + dn.n_ports)
    P = m.ports
    return PortTable(P.device[sl] - int(m.dev_base[inst]), P.role[sl], P.form_factor[sl], P.speed_bps[sl],
                     P.lanes[sl])


def _local_links(m: NetworkModel, dn) -> LinkTable:
    """Rack-local link table of definition ``dn`` (its explicit links and rack-level patterns), with fan-outs."""
    if not dn.links_a:
        return LinkTable(np.zeros(0, np.int64), np.zeros(0, np.int64))
    la, lb = np.concatenate(dn.links_a), np.concatenate(dn.links_b)
    src = np.concatenate(dn.links_src)
    fan = np.array([x.fanout for x in m.sources], np.int32)[src] if m.sources else np.ones(la.size, np.int32)
    return LinkTable(la, lb, fanout=fan)


def tchecks_devices_without_management(m: NetworkModel, devices: np.ndarray) -> np.ndarray:
    if devices.size == 0 or m.ports.n == 0:
        return devices
    return tgraph.devices_without_management(m.ports, m.links, devices)


def _close(x, y):
    return np.abs(x - y) <= 1e-9 * np.maximum(np.abs(x), np.abs(y))


def _stats(x: np.ndarray) -> dict | None:
    x = np.asarray(x, dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return None
    return {"min": float(x.min()), "mean": round(float(x.mean()), 9), "max": float(x.max())}
