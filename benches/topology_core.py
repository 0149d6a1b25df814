"""Bench: topology checks on synthetic halls of NVL72-class racks.

Run ``python benches/topology_core.py [--sizes 1 10 100 1000] [--granularity cable]``.

For each hall size a fresh subprocess generates, at array level, a hall of
NVL72-class racks (72 GPUs, 18 compute trays with 4 x 400G NICs, 18 NVSwitch
chips in 9 trays, 2 management switches per rack) with

* the scale-up fabric (each GPU to each of the 18 chips of its rack);
  ``--granularity link`` gives one row per NVLink port (1,296 per rack),
  ``cable`` (default) one row per twinax cable of the NVLink cartridge,
  4 per NVLink port (5,184 per rack, NVIDIA's "up to 5,000 copper cables"),
* a rail-optimised scale-out fabric (NIC i of each tray to leaf i of its
  two-rack group, 36 down / 36 up per leaf, leaves striped over 72-port spines),
* a management network (every tray to a ToR management switch),

then runs every check of ``rackforge.topology`` (per-link checks, route
lengths, device aggregation, scale-up report, scale-out bandwidth, rails,
oversubscription, bisection max-flow, management, single points of failure)
and reports wall time and peak memory (peak RSS of the subprocess, minus the
RSS after imports). The baseline, run in the same way on the small sizes, is
a pure-networkx port-level graph: one node per port and per device, one edge
per link, and the same checks answered by graph traversals.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

try:  # run from a checkout without installing
    import rackforge  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rackforge.topology.codes import Face, FormFactor, Media, Role, Transceiver
from rackforge.topology.tables import LinkTable, PortTable, concat_links

GPUS, CTRAYS, CHIPS, STRAYS, MGMT_SW = 72, 18, 18, 9, 2
DEV_PER_RACK = GPUS + CTRAYS + CHIPS + STRAYS + MGMT_SW
NICS = 4
RAILS = NICS
NVLINK_PORTS = 18
RACKS_PER_GROUP = 2
LEAF_DOWN = CTRAYS * RACKS_PER_GROUP
LEAF_UP = LEAF_DOWN
SPINE_PORTS = 72
RACKS_PER_ROW = 10
TOR_PORTS = 24
GEOM = dict(rack_width_m=0.6, row_pitch_m=2.4, rack_depth_m=1.2, tray_height_m=2.6,
            base_offset_m=0.1, slack_intra_m=0.3, slack_per_end_m=0.5)


def build_hall(n_racks: int, pairs: int):
    """Port table, link table, and metadata of a synthetic hall (arrays only)."""
    n_groups = math.ceil(n_racks / RACKS_PER_GROUP)
    n_leaves = n_groups * RAILS
    n_spines = math.ceil(n_leaves * LEAF_UP / SPINE_PORTS)
    n_rows = math.ceil(n_racks / RACKS_PER_ROW)
    # devices
    r = np.arange(n_racks)[:, None]
    gpu = r * DEV_PER_RACK + np.arange(GPUS)
    ctray = r * DEV_PER_RACK + GPUS + np.arange(CTRAYS)
    chip = r * DEV_PER_RACK + GPUS + CTRAYS + np.arange(CHIPS)
    stray = r * DEV_PER_RACK + GPUS + CTRAYS + CHIPS + np.arange(STRAYS)
    msw = r * DEV_PER_RACK + GPUS + CTRAYS + CHIPS + STRAYS + np.arange(MGMT_SW)
    leaf0 = n_racks * DEV_PER_RACK
    leaf = leaf0 + np.arange(n_leaves)
    spine = leaf0 + n_leaves + np.arange(n_spines)
    n_dev = int(spine[-1]) + 1
    # racks: compute racks, then one network rack per row at the row's end
    rack_row = np.r_[np.arange(n_racks) // RACKS_PER_ROW, np.arange(n_rows)]
    rack_slot = np.r_[np.arange(n_racks) % RACKS_PER_ROW,
                      np.minimum(RACKS_PER_ROW, n_racks - np.arange(n_rows) * RACKS_PER_ROW)]
    device_rack = np.empty(n_dev, np.int64)
    device_rack[:leaf0] = np.repeat(np.arange(n_racks), DEV_PER_RACK)
    leaf_row = (np.arange(n_leaves) // RAILS * RACKS_PER_GROUP) // RACKS_PER_ROW
    device_rack[leaf] = n_racks + leaf_row
    device_rack[spine] = n_racks + np.arange(n_spines) % n_rows
    # heights (rack units): 8 compute trays low, 9 switch trays, 10 compute trays high
    ctray_ru = np.r_[np.arange(2, 10), np.arange(19, 29)].astype(float)
    stray_ru = np.arange(10, 19).astype(float)
    blocks = []  # (device, role, ff, speed, lanes, face, ru)

    def block(dev, role, ff, speed, lanes, face, ru):
        shape = np.shape(dev)
        dev = np.asarray(dev).ravel()
        n = dev.size
        blocks.append((dev, np.full(n, role, np.int8), np.full(n, ff, np.int8), np.full(n, speed),
                       np.full(n, lanes, np.int32), np.full(n, face, np.int8), np.broadcast_to(ru, shape).ravel()))
        return sum(b[0].size for b in blocks) - n + np.arange(n)

    p_up = NVLINK_PORTS * pairs
    su_speed, su_lanes = 400e9 / pairs, max(2 // pairs, 1)
    gpu_ports = block(np.repeat(gpu, p_up, axis=1), Role.SCALE_UP, FormFactor.BACKPLANE, su_speed, su_lanes,
                      Face.REAR, np.repeat(np.repeat(ctray_ru, 4)[None, :], n_racks, 0).repeat(p_up, 1))
    chip_ru = np.repeat(np.repeat(stray_ru, 2)[None, :], n_racks, 0).repeat(GPUS * pairs, 1)
    chip_ports = block(np.repeat(chip, GPUS * pairs, axis=1), Role.SCALE_UP, FormFactor.BACKPLANE, su_speed,
                       su_lanes, Face.REAR, chip_ru)
    nic_ports = block(np.repeat(ctray, NICS, axis=1), Role.SCALE_OUT, FormFactor.OSFP, 400e9, 4, Face.FRONT,
                      np.repeat(ctray_ru[None, :], n_racks, 0).repeat(NICS, 1))
    tray_mgmt = block(np.c_[ctray, stray], Role.MANAGEMENT, FormFactor.RJ45, 1e9, 1, Face.FRONT,
                      np.repeat(np.r_[ctray_ru, stray_ru][None, :], n_racks, 0))
    tor_ports = block(np.repeat(msw, TOR_PORTS, axis=1), Role.MANAGEMENT, FormFactor.RJ45, 1e9, 1, Face.FRONT,
                      np.repeat(np.array([40.0, 41.0])[None, :], n_racks, 0).repeat(TOR_PORTS, 1))
    leaf_ru = (np.arange(n_leaves) % (RAILS * RACKS_PER_ROW // RACKS_PER_GROUP)).astype(float)
    leaf_ports = block(np.repeat(leaf, LEAF_DOWN + LEAF_UP), Role.SCALE_OUT, FormFactor.OSFP, 400e9, 4, Face.FRONT,
                       np.repeat(leaf_ru, LEAF_DOWN + LEAF_UP)).reshape(n_leaves, LEAF_DOWN + LEAF_UP)
    spine_ru = (30 + np.arange(n_spines) // n_rows).astype(float)
    spine_ports = block(np.repeat(spine, SPINE_PORTS), Role.SCALE_OUT, FormFactor.OSFP, 400e9, 4, Face.FRONT,
                        np.repeat(spine_ru, SPINE_PORTS)).reshape(n_spines, SPINE_PORTS)
    ports = PortTable(*(np.concatenate(c) for c in zip(*blocks)))
    blocks.clear()

    from rackforge.topology.patterns import (
        leaf_spine_links,
        links_from_pairs,
        management_links,
        rail_optimized_links,
        scale_up_links,
    )
    a, b = scale_up_links(gpu_ports.reshape(n_racks, GPUS, p_up), chip_ports.reshape(n_racks, CHIPS, GPUS * pairs))
    su = links_from_pairs(ports, a, b, media=Media.BACKPLANE)
    del a, b
    node_group = np.arange(n_racks * CTRAYS) // LEAF_DOWN
    a, b = rail_optimized_links(nic_ports.reshape(-1, NICS), node_group,
                                leaf_ports[:, :LEAF_DOWN].reshape(n_groups, RAILS, LEAF_DOWN))
    so = links_from_pairs(ports, a, b, media=Media.FIBER_MM)
    a, b = leaf_spine_links(leaf_ports[:, LEAF_DOWN:], spine_ports, uplinks_per_leaf=LEAF_UP)
    ls = links_from_pairs(ports, a, b, media=Media.FIBER_SM)
    mg_dev = np.c_[ctray, stray].ravel()
    mg_ports = np.full(n_dev, -1)
    mg_ports[mg_dev] = tray_mgmt
    a, b = management_links(mg_ports, device_rack, tor_ports.reshape(n_racks, MGMT_SW * TOR_PORTS))
    mg = links_from_pairs(ports, a, b, media=Media.TWISTED_PAIR, reach_m=100.0)
    links = concat_links(su, so, ls, mg)
    n_su, n_so, n_ls = su.n, so.n, ls.n
    del su, so, ls, mg
    xa = np.zeros(links.n, np.int8)
    xa[n_su:n_su + n_so] = Transceiver.SR
    xa[n_su + n_so:n_su + n_so + n_ls] = Transceiver.FR
    is_acc = np.zeros(n_dev, bool)
    is_acc[gpu.ravel()] = True
    is_chip = np.zeros(n_dev, bool)
    is_chip[chip.ravel()] = True
    tier = np.full(n_dev, -1)
    tier[ctray.ravel()] = 0
    tier[leaf] = 1
    tier[spine] = 2
    port_rail = np.full(ports.n, -1)
    port_rail[nic_ports] = np.tile(np.arange(NICS), n_racks * CTRAYS)
    device_rail = np.full(n_dev, -1)
    device_rail[leaf] = np.arange(n_leaves) % RAILS
    owner = np.full(ports.n, -1)  # NIC i of tray t serves GPU 4t + i
    owner[nic_ports] = gpu.ravel()
    meta = dict(n_dev=n_dev, device_rack=device_rack, rack_row=rack_row, rack_slot=rack_slot, xcvr=xa,
                is_acc=is_acc, is_chip=is_chip, gpus=gpu.ravel(), trays=ctray.ravel(), tier=tier,
                port_rail=port_rail, device_rail=device_rail, owner=owner,
                managed=np.c_[ctray, stray].ravel(), fabric=np.r_[ctray.ravel(), leaf, spine])
    return ports, links, meta


def run_checks(ports: PortTable, links: LinkTable, meta: dict, timings: dict):
    """Every rackforge.topology check on one hall; fills ``timings`` [s]."""
    from rackforge.topology import checks, geometry, graph

    def timed(name, fn):
        t = time.perf_counter()
        out = fn()
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - t
        return out

    route = timed("geometry", lambda: geometry.link_route_lengths(
        ports, links, meta["device_rack"], meta["rack_row"], meta["rack_slot"], **GEOM))
    # standard cable lengths: route rounded up to 0.5 m (backplane cut to length)
    links = dataclasses.replace(links, length_m=np.where(links.media == Media.BACKPLANE, route, np.ceil(route * 2) / 2))
    res = timed("link_checks", lambda: checks.run_link_checks(ports, links, route, meta["xcvr"], meta["xcvr"]))
    su = timed("scale_up", lambda: graph.scale_up_report(ports, links, meta["gpus"], meta["is_chip"],
                                                         domain=meta["device_rack"][meta["gpus"]]))
    bw = timed("scale_out_bw", lambda: graph.bandwidth_per_owner_bps(ports, links, meta["owner"],
                                                                    n_owners=meta["n_dev"]))
    rail = timed("rails", lambda: graph.rail_misaligned_links(ports, links, meta["port_rail"], meta["device_rail"]))
    edges = timed("aggregate", lambda: graph.aggregate_device_links(ports, links, roles=(Role.SCALE_OUT,),
                                                                    n_devices=meta["n_dev"]))
    ov = timed("oversubscription", lambda: graph.oversubscription(edges, meta["tier"]))
    a, b = graph.halves_by_order(meta["trays"])
    bis = timed("bisection", lambda: graph.bisection_bandwidth_bps(edges, a, b))
    mgmt = timed("management", lambda: graph.devices_without_management(ports, links, meta["managed"]))
    g = timed("nx_graph", lambda: graph.device_graph(edges, nodes=meta["fabric"]))
    spof = timed("spof", lambda: graph.single_points_of_failure(g))
    return {
        "findings": {k: int(v.size) for k, v in res.items()},
        "gpu_scale_up_bw_bps": float(su["bandwidth_bps"][0]),
        "domains_all_single_hop": bool(su["domain_all_pairs_single_hop"].all()),
        "gpu_scale_out_bw_bps": float(bw[meta["gpus"][0]]),
        "rail_misaligned": int(rail.size),
        "leaf_oversubscription_max": float(ov["oversubscription"].max()),
        "bisection_bps": bis,
        "unmanaged": int(mgmt.size),
        "articulation_points": int(spof["articulation_points"].size),
        "bridges": int(spof["bridges"].shape[0]),
        "route_max_m": float(np.nanmax(route)),
    }


def baseline_networkx(ports: PortTable, links: LinkTable, meta: dict, timings: dict):
    """Pure-networkx port-level baseline answering the same questions."""
    import networkx as nx

    t0 = time.perf_counter()
    g = nx.Graph()
    dev = ports.device.tolist()
    role = ports.role.tolist()
    g.add_nodes_from(("d", d) for d in range(meta["n_dev"]))
    for p in range(ports.n):
        g.add_edge(("p", p), ("d", dev[p]), kind="owns", capacity=float("inf"))
    speed = links.speed_bps.tolist()
    for i, (a, b) in enumerate(zip(links.port_a.tolist(), links.port_b.tolist())):
        g.add_edge(("p", a), ("p", b), kind="link", capacity=speed[i], role=role[a])
    # port used at most once: count link edges per port node
    over = [p for p in range(ports.n) if sum(1 for _, _, k in g.edges(("p", p), data="kind") if k == "link") > 1]
    # scale-up: per GPU the set of chips reached; every pair shares a chip
    chips_of = {}
    for d in meta["gpus"].tolist():
        s = set()
        for _, p in g.edges(("d", d)):
            for _, q in g.edges(p):
                if q[0] == "p" and g.edges[p, q]["kind"] == "link":
                    s.add(dev[q[1]])
        chips_of[d] = s
    gpus = meta["gpus"].tolist()
    rack = meta["device_rack"]
    bad_pairs = sum(1 for i in gpus for j in gpus if i < j and rack[i] == rack[j] and not (chips_of[i] & chips_of[j]))
    # scale-out bisection on the port-level graph (scale-out link edges + ownership)
    h = nx.DiGraph()
    for u, v, d in g.edges(data=True):
        if d["kind"] == "owns":
            p = u if u[0] == "p" else v
            if role[p[1]] != Role.SCALE_OUT or g.degree(p) < 2:  # skip other roles and unused ports
                continue
        if d["kind"] == "link" and d["role"] != Role.SCALE_OUT:
            continue
        h.add_edge(u, v, capacity=d["capacity"])
        h.add_edge(v, u, capacity=d["capacity"])
    a, b = np.array_split(meta["trays"], [meta["trays"].size // 2])
    for x in a.tolist():
        h.add_edge("s", ("d", x))
    for x in b.tolist():
        h.add_edge(("d", x), "t")
    bis = nx.maximum_flow_value(h, "s", "t")
    ap = len(list(nx.articulation_points(h.to_undirected())))
    timings["baseline_total"] = time.perf_counter() - t0
    return {"overused": len(over), "bad_pairs": bad_pairs, "bisection_bps": bis, "articulation_points": ap}


def child(n_racks: int, pairs: int, baseline: bool) -> dict:
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    import networkx  # noqa: F401  (import cost outside the measurement)
    import scipy.sparse  # noqa: F401

    from rackforge.topology import checks, geometry, graph  # noqa: F401

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    timings: dict = {}
    t = time.perf_counter()
    ports, links, meta = build_hall(n_racks, pairs)
    timings["generate"] = time.perf_counter() - t
    if baseline:
        out = baseline_networkx(ports, links, meta, timings)
    else:
        t = time.perf_counter()
        out = run_checks(ports, links, meta, timings)
        timings["checks_total"] = time.perf_counter() - t
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"n_racks": n_racks, "n_ports": ports.n, "n_links": links.n, "timings": timings, "result": out,
            "peak_rss_mib": rss1 / 1024, "peak_delta_mib": (rss1 - rss0) / 1024}


def spawn(n_racks: int, pairs: int, baseline: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", str(n_racks), "--pairs", str(pairs)]
    if baseline:
        cmd.append("--baseline")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100, 1000])
    ap.add_argument("--baseline-sizes", type=int, nargs="*", default=[1, 10])
    ap.add_argument("--granularity", choices=["link", "cable"], default="cable")
    ap.add_argument("--child", type=int)
    ap.add_argument("--pairs", type=int, default=4)
    ap.add_argument("--baseline", action="store_true")
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.pairs, args.baseline)))
        return
    pairs = 4 if args.granularity == "cable" else 1
    print(f"rackforge.topology bench: NVL72-class halls, scale-up granularity = {args.granularity}")
    rows, base = [], {}
    for n in args.sizes:
        rows.append(spawn(n, pairs, False))
    for n in args.baseline_sizes:
        base[n] = spawn(n, pairs, True)
    hdr = (f"{'racks':>6} {'ports':>11} {'links':>11} {'gen s':>7} {'checks s':>9} {'peak MiB':>9} "
           f"{'dMiB':>8} {'t exp':>6} {'m exp':>6} {'nx s':>8} {'nx/ours':>8}")
    print(hdr)
    print("-" * len(hdr))
    prev = None
    for r in rows:
        t = r["timings"]["checks_total"]
        m = r["peak_delta_mib"]
        te = me = ""
        if prev is not None:
            k = math.log(r["n_links"] / prev["n_links"])
            te = f"{math.log(t / prev['timings']['checks_total']) / k:6.2f}"
            me = f"{math.log(max(m, 1) / max(prev['peak_delta_mib'], 1)) / k:6.2f}"
        b = base.get(r["n_racks"])
        bs = f"{b['timings']['baseline_total']:8.2f}" if b else f"{'-':>8}"
        ratio = f"{b['timings']['baseline_total'] / t:8.1f}" if b else f"{'-':>8}"
        print(f"{r['n_racks']:>6} {r['n_ports']:>11,} {r['n_links']:>11,} {r['timings']['generate']:7.2f} "
              f"{t:9.2f} {r['peak_rss_mib']:9.0f} {m:8.0f} {te:>6} {me:>6} {bs} {ratio}")
        prev = r
    print("\n(t exp / m exp: growth exponent of check time / peak-memory delta against link count, "
          "from the previous size; nx/ours: pure-networkx port-level baseline time / rackforge check time)")
    print("\nper-check time [s]:")
    keys = [k for k in rows[-1]["timings"] if k not in ("generate", "checks_total")]
    print(f"{'racks':>6} " + " ".join(f"{k[:11]:>11}" for k in keys))
    for r in rows:
        print(f"{r['n_racks']:>6} " + " ".join(f"{r['timings'].get(k, 0.0):11.3f}" for k in keys))
    print("\nresults (same in every size if the fabric scales cleanly):")
    for r in rows:
        res = r["result"]
        print(f"{r['n_racks']:>6} racks: findings={sum(res['findings'].values())} "
              f"GPU scale-up {res['gpu_scale_up_bw_bps'] / 1e12:.1f} Tb/s single-hop={res['domains_all_single_hop']} "
              f"GPU scale-out {res['gpu_scale_out_bw_bps'] / 1e9:.0f} Gb/s rails-bad={res['rail_misaligned']} "
              f"leaf oversub {res['leaf_oversubscription_max']:.2f} bisection {res['bisection_bps'] / 1e12:.1f} Tb/s "
              f"unmanaged={res['unmanaged']} AP={res['articulation_points']} bridges={res['bridges']} "
              f"longest route {res['route_max_m']:.1f} m")
    for n, b in base.items():
        res = b["result"]
        print(f"{n:>6} racks baseline: overused={res['overused']} GPU pairs without a common chip={res['bad_pairs']} "
              f"bisection {res['bisection_bps'] / 1e12:.1f} Tb/s AP={res['articulation_points']}")


if __name__ == "__main__":
    main()
