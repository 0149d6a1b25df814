"""The hall scale-out fabric: the planner against published reference-architecture tables, the generated links
against max-flow, the lowering end to end on a small hall, and the 1,008-rack hall seed.

Published tables (every count must come out of :func:`plan_fabric` unchanged):

* NVIDIA DGX SuperPOD H100 RA, "Network Fabrics" (docs.nvidia.com/dgx-superpod/reference-architecture-scalable-
  infrastructure-h100/latest/network-fabrics.html; also the project leads' reference figures, public-figures.md): 32 nodes per
  SU (31 DGX + the UFM appliance's ports), 8 rails, QM9700 (64 x 400G NDR). Leaves 8/16/24/32, spines 4/8/16/16,
  leaf-spine cables 256/512/768/1,024 for 1-4 SUs. (Its node cables, 252..1,020, count 31 DGX x 8 + 4 UFM
  ports per SU; the planner counts 32 full nodes, so node cables are not compared.)
* NVIDIA DGX SuperPOD B200 RA, "DGX SuperPOD Architecture", component-count table (docs.nvidia.com/dgx-superpod/
  reference-architecture-scalable-infrastructure-b200/latest/dgx-superpod-architecture.html): 32 DGX B200 per
  SU, 8 rails, 64-port NDR switches; 2-8 SUs in two tiers, 16-64 SUs in three (core tier).
* NVIDIA DGX SuperPOD B300 XDR RA, Table 3 (docs.nvidia.com/dgx-superpod/reference-architecture/scalable-
  infrastructure-b300-xdr/latest/dgx-superpod-architecture.html): 72 DGX B300 per SU, 8 rails, Quantum-X800
  Q3400 (144 x 800G XDR); 1-18 SUs, two tiers (4 SUs: 18 spines, 8 SUs: 36: spine counts divide the 72 uplinks).

No GB200 SuperPOD compute-fabric count table was found in the public RA pages searched (the GB200 RA gives
8 racks = 576 GPUs per SU and "up to 128 racks"); the GB200 hall seed's counts are derived by the same rules and
checked here by hand.
"""
from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

from rackforge.topology import hallfabric as thf
from rackforge.topology.codes import Role
from rackforge.topology.graph import aggregate_device_links, bisection_bandwidth_bps
from rackforge.topology.tables import LinkTable, PortTable

H100 = [  # SUs, leaves, spines, leaf-spine cables
    (1, 8, 4, 256), (2, 16, 8, 512), (3, 24, 16, 768), (4, 32, 16, 1024)]
B200 = [  # SUs, nodes, leaves, spines, cores, node-leaf, leaf-spine, spine-core
    (2, 64, 16, 8, 0, 512, 512, 0), (4, 128, 32, 16, 0, 1024, 1024, 0), (8, 256, 64, 32, 0, 2048, 2048, 0),
    (16, 512, 128, 128, 64, 4096, 4096, 4096), (32, 1024, 256, 256, 128, 8192, 8192, 8192),
    (64, 2048, 512, 512, 256, 16384, 16384, 16384)]
B300_XDR = [  # SUs, nodes, leaves, spines, node-leaf, leaf-spine
    (1, 72, 8, 4, 576, 576), (2, 144, 16, 8, 1152, 1152), (4, 288, 32, 18, 2304, 2304),
    (8, 576, 64, 36, 4608, 4608), (18, 1296, 144, 72, 10368, 10368)]


@pytest.mark.parametrize("sus,leaves,spines,ls", H100)
def test_superpod_h100_counts(sus, leaves, spines, ls):
    p = thf.plan_fabric(32 * sus, 8, 32, 64, 64)
    assert (p.tiers, p.leaves, p.spines, p.leaf_spine_links) == (2, leaves, spines, ls)


@pytest.mark.parametrize("sus,nodes,leaves,spines,cores,nl,ls,sc", B200)
def test_superpod_b200_counts_two_and_three_tiers(sus, nodes, leaves, spines, cores, nl, ls, sc):
    p = thf.plan_fabric(nodes, 8, 32, 64, 64, 64)
    assert (p.leaves, p.spines, p.cores, p.node_leaf_links, p.leaf_spine_links, p.spine_core_links) == \
        (leaves, spines, cores, nl, ls, sc)
    assert p.tiers == (3 if cores else 2)


@pytest.mark.parametrize("sus,nodes,leaves,spines,nl,ls", B300_XDR)
def test_superpod_b300_xdr_counts(sus, nodes, leaves, spines, nl, ls):
    p = thf.plan_fabric(nodes, 8, 72, 144, 144)
    assert (p.tiers, p.leaves, p.spines, p.node_leaf_links, p.leaf_spine_links) == (2, leaves, spines, nl, ls)


def test_gb200_hall_counts_by_hand():
    # 1,008 NVL72 racks x 18 trays = 18,144 nodes, 4 rails, SU = 8 racks = 144 nodes, 128 x 400G switches.
    # non-blocking: at most 64 down per leaf -> ceil(144/64) = 3 leaves per rail per SU, 48 nodes each, 48 up;
    # 126 SUs x 12 leaves = 1,512 leaves; two tiers would need >= 1,512 x 48 / 128 = 567 spines > 48: three.
    # pod: 576 uplinks on spines of 64 down: >= 9, smallest divisor of 48 -> 12 spines, 48 up each;
    # core group j: 126 pods x 48 / c <= 128 -> c >= 47.25, divisor of 48 -> 48; 12 x 48 = 576 cores.
    p = thf.plan_fabric(18144, 4, 144, 128, 128, 128)
    assert (p.tiers, p.sus, p.leaves_per_rail_per_su, p.nodes_per_leaf, p.uplinks_per_leaf) == (3, 126, 3, 48, 48)
    assert (p.leaves, p.spines, p.spines_per_pod, p.cores_per_group, p.cores) == (1512, 1512, 12, 48, 576)
    assert p.node_leaf_links == p.leaf_spine_links == p.spine_core_links == 72576


def test_two_tiers_refused_when_too_big():
    with pytest.raises(ValueError, match="three tiers"):
        thf.plan_fabric(512, 8, 32, 64, 64, tiers=2)


# ---------------------------------------------------------------------------------------------------------------
# generated links, judged by max-flow (networkx) on the topology layer's own tables

B = 400e9


def _build(plan, leaf_ports, spine_ports, core_ports=0):
    """Port and link tables of a generated fabric: nodes, then leaves, spines, cores; all ports 400G."""
    N, R = plan.nodes, plan.rails
    devs = [(N, R)] + [(plan.leaves, leaf_ports), (plan.spines, spine_ports)] + \
        ([(plan.cores, core_ports)] if plan.tiers == 3 else [])
    dev, base, mats, d0 = [], 0, [], 0
    for n, k in devs:
        mats.append(base + np.arange(n * k).reshape(n, k))
        dev.append(np.repeat(np.arange(d0, d0 + n), k))
        base += n * k
        d0 += n
    dev = np.concatenate(dev)
    ports = PortTable(dev, np.full(dev.size, Role.SCALE_OUT), np.zeros(dev.size), np.full(dev.size, B),
                      np.full(dev.size, 4))
    k = np.arange(N)
    a0, b0 = thf.rail_links(plan, mats[0], k // plan.nodes_per_su, k % plan.nodes_per_su,
                            mats[1][:, :plan.nodes_per_leaf])
    d, u = plan.nodes_per_leaf, plan.uplinks_per_leaf
    per = plan.leaves * u // plan.spines if plan.tiers == 2 else plan.leaves_per_su * u // plan.spines_per_pod
    a1, b1, _ = thf.clos_links(plan, mats[1][:, d:d + u], mats[2][:, :per],
                               mats[2][:, per:per + plan.spine_uplinks] if plan.tiers == 3 else None,
                               mats[3] if plan.tiers == 3 else None)
    links = LinkTable(np.r_[a0, a1], np.r_[b0, b1], speed_bps=np.full(a0.size + a1.size, B))
    return ports, links, mats


def _bisection(ports, links, plan, drop=()):
    keep = ~np.isin(ports.device[links.port_a], drop) & ~np.isin(ports.device[links.port_b], drop)
    edges = aggregate_device_links(ports, links.take(keep))
    nodes = np.arange(plan.nodes)
    return bisection_bandwidth_bps(edges, nodes[:plan.nodes // 2], nodes[plan.nodes // 2:])


def test_two_tier_links_every_port_once_full_bisection_and_spine_loss():
    # 4 SUs of 4 nodes, 2 rails, 8-port switches: d = u = 4, 8 leaves, 4 spines (4 | 4, 4 x 8 >= 32)
    plan = thf.plan_fabric(16, 2, 4, 8, 8)
    assert (plan.tiers, plan.leaves, plan.spines) == (2, 8, 4)
    ports, links, mats = _build(plan, 8, 8)
    used = np.r_[links.port_a, links.port_b]
    assert np.unique(used).size == used.size                     # no port used twice
    assert links.n == 16 * 2 + 8 * 4
    # rails: NIC i of every node on a rail-i leaf: leaf index (su * R + i) * g + b
    leaf_of = ports.device[links.port_b[:32]] - 16
    assert np.array_equal(leaf_of % 2, np.tile([0, 1], 16))
    # each leaf reaches every spine u / s = 1 time
    ls = links.take(np.arange(32, links.n))
    pairs = np.unique(np.c_[ports.device[ls.port_a], ports.device[ls.port_b]], axis=0)
    assert pairs.shape[0] == 8 * 4
    # max-flow across the halves (SU 0-1 against SU 2-3): all 16 x 2 x 400G / 2 (non-blocking)
    full = _bisection(ports, links, plan)
    assert full == pytest.approx(16 * 2 * B / 2)
    # one spine lost: (s - 1) / s left, as failure_domains says
    f = thf.failure_domains(plan, spines_per_rack=2)
    spine0 = 16 + 8
    assert _bisection(ports, links, plan, drop=[spine0]) / full == pytest.approx(f["spine"]) == 0.75
    assert _bisection(ports, links, plan, drop=[spine0, spine0 + 1]) / full == pytest.approx(f["spine_group"])


def test_three_tier_links_full_bisection_and_core_group_loss():
    # forced three tiers: pods of 2 leaves (R = 2, g = 1), p = 2 spines per pod, v = 4, core groups of c = 2
    plan = thf.plan_fabric(16, 2, 4, 8, 8, 8, tiers=3)
    assert (plan.spines_per_pod, plan.spine_uplinks, plan.cores_per_group, plan.cores) == (2, 4, 2, 4)
    ports, links, mats = _build(plan, 8, 8, 8)
    used = np.r_[links.port_a, links.port_b]
    assert np.unique(used).size == used.size
    full = _bisection(ports, links, plan)
    assert full == pytest.approx(16 * 2 * B / 2)
    f = thf.failure_domains(plan)
    core0 = 16 + plan.leaves + plan.spines                      # cores group-major: group 0 = cores 0, 1
    assert _bisection(ports, links, plan, drop=[core0, core0 + 1]) / full == pytest.approx(f["core_group"]) == 0.5


def test_choose_media_by_reach_uniform_per_cage():
    # options up to 5 m, 50 m, 100 m; links 0 and 1 share switch cage 0 (2 m and 30 m): both take option 1
    route = np.array([2.0, 30.0, 4.0, 70.0, 300.0])
    cage_b = np.array([0, 0, 1, 2, 3])
    opt = thf.choose_media(route, [5.0, 50.0, 100.0], np.full(5, -1), cage_b)
    assert opt.tolist() == [1, 1, 0, 2, 3]                     # 3: beyond every option


# ---------------------------------------------------------------------------------------------------------------
# lowering end to end: the GB200 rack of the rule cases with a one-rack-SU hall fabric


def test_small_hall_end_to_end(write_design):
    from rackforge.engine import Context, Options, load_design
    from rackforge.lowering.bom import build
    from tests.cases.fabric import _hall
    from tests.conftest import load_seed

    d = load_seed("gb200-nvl72.json")
    _hall(d, min_bandwidth_after_failure=0.0)
    ld = load_design(str(write_design(d)))
    ctx = Context(ld, Options())
    net = ctx.network
    h = net.m.hall
    p = h["plan"]
    # 18 trays x 4 rails; 4 leaves (one per rail) with 18 down, 18 up; 1 spine (divisor of 18, 72 <= 128 ports)
    assert (p.tiers, p.leaves, p.spines, p.nodes_per_leaf, p.uplinks_per_leaf) == (2, 4, 1, 18, 18)
    assert h["links_by_stage"] == {"node_leaf": 72, "leaf_spine": 72}
    so = net.scale_out
    assert so["n_tiers"] == 2 and so["rail_misaligned_links"].size == 0
    assert so["oversubscription"]["oversubscription"].tolist() == [1.0] * 4
    assert net.bisection["bandwidth_bps"] == pytest.approx(72 * B / 2)   # 9 of 18 trays x 4 x 400G
    assert all(v.size == 0 for k, v in net.link_checks.items() if k != "reach_m")
    # the switch racks: one leaf rack at the end of row A, one spine rack in the core row
    racks = {r.id: (r.row, r.index) for r in ctx.r.racks}
    assert racks["SU001-LF1"] == ("A", 1) and racks["SPINE-001"] == ("CORE", 0)
    # BOM by hand: 72 NIC modules; twin-port modules one per cage: leaf downlinks 18 ports = 9 cages x 4 leaves,
    # leaf uplinks 9 x 4, spine 72 ports = 36 cages -> 108
    lines = {(ln.pn, ln.length_m): ln.qty for g in build(ctx).groups for ln in g.lines}
    assert lines[("OSFP-400G-SR4", None)] == 72
    assert lines[("OSFP-800G-2xSR4", None)] == 108
    assert sum(q for (pn, _), q in lines.items() if pn == "MPO12-MM-FIBRE") == 144
    # cut lengths: route rounded up to 5 m, never shorter than the route
    m = net.m
    rows = m.link_src >= 0
    hall_rows = np.array([m.sources[s].what == "hall_fabric" for s in m.link_src.tolist()])
    assert (m.links.length_m[hall_rows] >= m.route_m[hall_rows] - 1e-9).all()
    assert rows.sum() >= 144


HALL_SEED = "seeds/halls/hall-gb200-fabric.yaml"


def test_hall_seed_validates_clean_and_bom_is_current(capsys):
    """The 1,008-rack hall seed: no finding; its committed BOM is what `rackforge bom` makes of it now
    (regenerate with `rackforge bom -o seeds/halls/hall-gb200-fabric.bom.csv seeds/halls/hall-gb200-fabric.yaml`)."""
    import os

    from rackforge.cli.app import main
    from tests.conftest import ROOT

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with pytest.raises(SystemExit) as e:
            main(["validate", HALL_SEED])
        out = capsys.readouterr().out
        assert (e.value.code or 0) == 0, out
        assert "0 error(s), 0 warning(s)" in out
        bom = HALL_SEED.replace(".yaml", ".bom.csv")
        with pytest.raises(SystemExit) as e:
            main(["bom", "--check", bom, HALL_SEED])
        assert (e.value.code or 0) == 0, capsys.readouterr().out
        rows = list(csv.DictReader(io.StringIO(open(bom).read())))
        q = {(r["pn"], r["length_m"]): int(r["qty"]) for r in rows if r["line"] == "part" and r["qty"]}
        # hand: 72,576 NIC ports -> 72,576 single-port modules; 3 x 72,576 links, every switch end in a twin cage
        assert q[("OSFP-400G-SR4", "")] == 72576
        twin = sum(v for (pn, _), v in q.items() if pn.startswith("OSFP-800G"))
        assert twin == (72576 + 2 * 72576 * 2) // 2
        netracks = next(r for r in rows if r["scope"] == "netrack" and r["line"] == "subtotal")
        assert "x 300" in netracks["description"]     # 126 leaf + 126 pod-spine + 48 core racks
    finally:
        os.chdir(cwd)
