"""Device-graph checks on fabrics whose figures are known by hand."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from rackforge.topology import graph as G
from rackforge.topology.codes import FormFactor as F
from rackforge.topology.codes import Role as R
from rackforge.topology.patterns import links_from_pairs, scale_up_links
from rackforge.topology.tables import LinkTable
from tests.topology.fabrics import clos, ports_of

GB = 1e9


# --- aggregation -------------------------------------------------------------------------

def test_parallel_links_aggregate_into_one_edge():
    ports = ports_of([(0, R.SCALE_OUT, F.OSFP, 400 * GB, 4)] * 3 + [(1, R.SCALE_OUT, F.OSFP, 400 * GB, 4)] * 3)
    links = LinkTable([0, 4, 2], [3, 1, 5])  # three cables between devices 0 and 1, one written reversed
    e = G.aggregate_device_links(ports, links)
    assert (e.u.tolist(), e.v.tolist(), e.n_links.tolist()) == ([0], [1], [3])
    assert e.capacity_bps[0] == pytest.approx(1200 * GB)


# --- bisection and oversubscription ------------------------------------------------------

def test_two_leaf_two_spine_bisection_and_oversubscription():
    # 4 hosts x 100G, 2 per leaf; each leaf 1 x 100G to each of 2 spines.
    # Halves by order {h0,h1} | {h2,h3} sit on leaf 0 | leaf 1: the cut is leaf 0's two
    # uplinks = 200G (equal to the hosts' 2 x 100G, so the fabric is non-blocking).
    ports, links, hosts, leaves, spines, tier = clos(2, 2, 2)
    e = G.aggregate_device_links(ports, links)
    a, b = G.halves_by_order(hosts)
    assert G.bisection_bandwidth_bps(e, a, b) == pytest.approx(200 * GB)
    ov = G.oversubscription(e, tier, tier=1)
    assert ov["device"].tolist() == leaves.tolist()
    assert ov["downlink_bps"] == pytest.approx([200 * GB, 200 * GB])
    assert ov["uplink_bps"] == pytest.approx([200 * GB, 200 * GB])
    assert ov["oversubscription"] == pytest.approx([1.0, 1.0])
    # spines: 2 x 100G down, nothing up
    assert np.all(np.isinf(G.oversubscription(e, tier, tier=2)["oversubscription"]))


def test_three_to_one_leaf():
    # 2 leaves x 3 hosts x 100G, one 100G uplink each to a single spine: 300G down / 100G up = 3:1.
    # The rack-order cut {h0,h1,h2} | {h3,h4,h5} crosses only the two uplinks in series: 100G.
    ports, links, hosts, leaves, spines, tier = clos(3, 2, 1)
    e = G.aggregate_device_links(ports, links)
    assert G.oversubscription(e, tier)["oversubscription"] == pytest.approx([3.0, 3.0])
    a, b = G.halves_by_order(hosts)
    assert G.bisection_bandwidth_bps(e, a, b) == pytest.approx(100 * GB)
    # brute force over all 10 balanced partitions agrees: the rack-order cut is the minimum here
    best, side = G.bisection_bandwidth_bruteforce_bps(e, hosts)
    assert best == pytest.approx(100 * GB)
    assert sorted(side.tolist()) in ([0, 1, 2], [3, 4, 5])


def test_interleaved_order_is_not_the_minimum_and_bruteforce_finds_it():
    # Same 3:1 fabric, endpoints listed interleaved: halves {h0,h3,h1} | {h4,h2,h5}.
    # By hand: h0->h2 inside leaf 0 (100G), h3->h4 inside leaf 1 (100G), h1->spine->h5 (100G) = 300G.
    ports, links, hosts, leaves, spines, tier = clos(3, 2, 1)
    e = G.aggregate_device_links(ports, links)
    order = hosts[[0, 3, 1, 4, 2, 5]]
    a, b = G.halves_by_order(order)
    assert G.bisection_bandwidth_bps(e, a, b) == pytest.approx(300 * GB)
    assert G.bisection_bandwidth_bruteforce_bps(e, order)[0] == pytest.approx(100 * GB)


@pytest.mark.parametrize(
    "hosts_per_leaf, n_leaves, n_spines, up", [(2, 2, 2, 1), (2, 4, 2, 1), (4, 2, 1, 2), (1, 4, 2, 1)]
)
def test_rack_order_cut_matches_bruteforce_on_small_clos(hosts_per_leaf, n_leaves, n_spines, up):
    ports, links, hosts, leaves, spines, tier = clos(hosts_per_leaf, n_leaves, n_spines, up)
    e = G.aggregate_device_links(ports, links)
    a, b = G.halves_by_order(hosts)
    got = G.bisection_bandwidth_bps(e, a, b)
    # independent check: networkx minimum cut on a separately built graph
    g = nx.Graph()
    for u, v, c in zip(e.u.tolist(), e.v.tolist(), e.capacity_bps.tolist()):
        g.add_edge(u, v, capacity=c)
    d = g.to_directed()
    for x in a.tolist():
        d.add_edge("S", x)
    for x in b.tolist():
        d.add_edge(x, "T")
    cut, _ = nx.minimum_cut(d, "S", "T", flow_func=nx.algorithms.flow.edmonds_karp)
    assert got == pytest.approx(cut)
    assert got == pytest.approx(G.bisection_bandwidth_bruteforce_bps(e, hosts)[0])
    # hand formula (n_leaves even, so the halves are whole leaves): min(hosts of one side x 100G,
    # uplinks of that side's leaves x 100G)
    side_leaves = n_leaves // 2
    hand = min(hosts_per_leaf * side_leaves, side_leaves * n_spines * up) * 100 * GB
    assert got == pytest.approx(hand)


def test_bisection_rejects_overlapping_sides():
    ports, links, hosts, *_ = clos(2, 2, 2)
    e = G.aggregate_device_links(ports, links)
    with pytest.raises(ValueError):
        G.bisection_bandwidth_bps(e, hosts[:2], hosts[1:])


# --- scale-up ----------------------------------------------------------------------------

def nvl72(drop=None):
    """One NVL72 domain: GPU devices 0..71 (18 x 400G ports), chips 72..89 (72 ports)."""
    n_gpu_ports, n_chip_ports = 72 * 18, 18 * 72
    dev = np.r_[np.repeat(np.arange(72), 18), 72 + np.repeat(np.arange(18), 72)]
    ports = ports_of([(d, R.SCALE_UP, F.BACKPLANE, 400 * GB, 2) for d in dev])
    a, b = scale_up_links(np.arange(n_gpu_ports).reshape(72, 18), n_gpu_ports + np.arange(n_chip_ports).reshape(18, 72))
    links = links_from_pairs(ports, a, b)
    if drop is not None:
        links = links.take(np.setdiff1d(np.arange(links.n), drop))
    is_switch = np.r_[np.zeros(72, bool), np.ones(18, bool)]
    return ports, links, is_switch


def test_nvl72_scale_up_report():
    ports, links, is_switch = nvl72()
    r = G.scale_up_report(ports, links, np.arange(72), is_switch)
    assert r["domain_sizes"].tolist() == [72]
    assert np.all(r["link_count"] == 18)
    # 18 links x 400 Gb/s = 7.2 Tb/s = 900 GB/s per direction: NVIDIA's 1.8 TB/s bidirectional per GPU
    assert r["bandwidth_bps"] == pytest.approx(np.full(72, 18 * 400 * GB))
    assert r["bandwidth_bps"][0] * 2 / 8 == pytest.approx(1.8e12)
    assert np.all(r["unreachable_peers"] == 0)
    assert r["domain_all_pairs_single_hop"].tolist() == [True]


def test_nvl72_missing_link_lowers_count_but_keeps_single_hop():
    ports, links, is_switch = nvl72(drop=[0])  # GPU 0 loses its link to chip 0
    r = G.scale_up_report(ports, links, np.arange(72), is_switch)
    assert r["link_count"][0] == 17 and r["bandwidth_bps"][0] == pytest.approx(17 * 400 * GB)
    assert np.all(r["unreachable_peers"] == 0)  # still shares chips 1..17 with everyone


def test_single_hop_violation_and_component_domains():
    # 4 GPUs with one port each, 2 chips: GPU i -> chip i mod 2. GPUs 0,2 share chip 0; 1,3 chip 1.
    ports = ports_of([(d, R.SCALE_UP, F.BACKPLANE, 400 * GB, 2) for d in [0, 1, 2, 3, 4, 4, 5, 5]])
    links = LinkTable([0, 1, 2, 3], [4, 6, 5, 7])
    is_switch = np.array([0, 0, 0, 0, 1, 1], bool)
    # intended one domain of 4: every GPU misses the 2 GPUs on the other chip
    r = G.scale_up_report(ports, links, np.arange(4), is_switch, domain=np.zeros(4, int))
    assert r["unreachable_peers"].tolist() == [2, 2, 2, 2]
    assert r["domain_all_pairs_single_hop"].tolist() == [False]
    # from the cabling, there are two domains of 2, each whole
    d = G.scale_up_domains(ports, links, np.array([1, 1, 1, 1, 0, 0], bool))
    assert d["n_domains"] == 2 and d["domain_size"].tolist() == [2, 2]
    assert d["domain"].tolist() == [0, 1, 0, 1, 0, 1]
    r2 = G.scale_up_report(ports, links, np.arange(4), is_switch)
    assert r2["domain_all_pairs_single_hop"].tolist() == [True, True]


def test_direct_accelerator_links_count_as_reachable():
    ports = ports_of([(d, R.SCALE_UP, F.BACKPLANE, 400 * GB, 2) for d in [0, 1]])
    r = G.scale_up_report(ports, LinkTable([0], [1]), np.arange(2), np.zeros(2, bool), domain=[0, 0])
    assert r["unreachable_peers"].tolist() == [0, 0]


def _partition(labels):
    """A labelling as a set of frozensets of nodes (independent of the label values)."""
    groups = {}
    for i, x in enumerate(np.asarray(labels).tolist()):
        groups.setdefault(x, set()).add(i)
    return {frozenset(g) for g in groups.values()}


@pytest.mark.parametrize("seed", range(6))
def test_connected_components_match_networkx(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    m = int(rng.integers(0, 2 * n))
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    label = G.connected_components(n, u, v)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(u.tolist(), v.tolist()))
    expected = {frozenset(c) for c in nx.connected_components(g)}
    assert _partition(label) == expected
    # each node is labelled with the smallest node of its component
    for comp in expected:
        assert set(label[list(comp)].tolist()) == {min(comp)}


def test_connected_components_long_shuffled_path():
    # a path through 2,000 nodes visited in random order: one component labelled 0
    rng = np.random.default_rng(7)
    order = rng.permutation(2000)
    label = G.connected_components(2000, order[:-1], order[1:])
    assert np.all(label == 0)
    assert G.connected_components(3, [], []).tolist() == [0, 1, 2]


@pytest.mark.parametrize("drop", [None, [0, 5, 300]])
def test_scale_up_report_dense_and_sparse_agree(monkeypatch, drop):
    ports, links, is_switch = nvl72(drop=drop)
    # intended domains of 36 GPUs each: only pairs inside a half count (the direct term: test below)
    dense = G.scale_up_report(ports, links, np.arange(72), is_switch, domain=np.r_[np.zeros(36), np.ones(36)])
    monkeypatch.setattr(G, "DENSE_REACH_MAX", 0)
    sparse = G.scale_up_report(ports, links, np.arange(72), is_switch, domain=np.r_[np.zeros(36), np.ones(36)])
    for k in dense:
        np.testing.assert_array_equal(dense[k], sparse[k], err_msg=k)


def test_reach_pairs_dense_and_sparse_agree(monkeypatch):
    rng = np.random.default_rng(3)
    n_acc, n_dev = 30, 50
    rows, cols = rng.integers(0, n_acc, 60), rng.integers(0, n_dev, 60)
    da, db = rng.integers(0, n_acc, 5), rng.integers(0, n_acc, 5)
    dense = G._reach_pairs(rows, cols, np.r_[da, db], np.r_[db, da], n_acc, n_dev)
    monkeypatch.setattr(G, "DENSE_REACH_MAX", 0)
    sparse = G._reach_pairs(rows, cols, np.r_[da, db], np.r_[db, da], n_acc, n_dev)
    # independently: i and j share a column, or are joined directly
    inc = np.zeros((n_acc, n_dev), bool)
    inc[rows, cols] = True
    want = {(i, j) for i in range(n_acc) for j in range(n_acc) if (inc[i] & inc[j]).any()}
    want |= {(int(a), int(b)) for a, b in zip(np.r_[da, db], np.r_[db, da])}
    for r, c in (dense, sparse):
        assert set(zip(r.tolist(), c.tolist())) == want
        assert len(r) == len(want)


# --- scale-out bandwidth and rails -------------------------------------------------------

def rail_fabric(swap=False):
    """2 nodes x 2 NICs (400G) to 2 rail leaves; NIC i -> leaf i (or crossed on node 1)."""
    ports = ports_of(
        [(0, R.SCALE_OUT, F.OSFP, 400 * GB, 4), (0, R.SCALE_OUT, F.OSFP, 400 * GB, 4),
         (1, R.SCALE_OUT, F.OSFP, 400 * GB, 4), (1, R.SCALE_OUT, F.OSFP, 400 * GB, 4),
         (2, R.SCALE_OUT, F.OSFP, 400 * GB, 4), (2, R.SCALE_OUT, F.OSFP, 400 * GB, 4),
         (3, R.SCALE_OUT, F.OSFP, 400 * GB, 4), (3, R.SCALE_OUT, F.OSFP, 400 * GB, 4),
         (0, R.MANAGEMENT, F.RJ45, 1 * GB, 1), (4, R.MANAGEMENT, F.RJ45, 1 * GB, 1)]
    )
    b = [4, 6, 7, 5] if swap else [4, 6, 5, 7]
    links = LinkTable([0, 1, 2, 3, 8], b + [9])
    port_rail = np.array([0, 1, 0, 1, -1, -1, -1, -1, -1, -1])
    device_rail = np.array([-1, -1, 0, 1, -1])
    return ports, links, port_rail, device_rail


def test_rail_alignment():
    ports, links, pr, dr = rail_fabric()
    assert G.rail_misaligned_links(ports, links, pr, dr).size == 0
    ports, links, pr, dr = rail_fabric(swap=True)
    assert G.rail_misaligned_links(ports, links, pr, dr).tolist() == [2, 3]


def test_scale_out_bandwidth_per_node_and_per_accelerator():
    ports, links, *_ = rail_fabric()
    bw = G.bandwidth_per_owner_bps(ports, links, n_owners=5)
    assert bw == pytest.approx([800 * GB, 800 * GB, 800 * GB, 800 * GB, 0.0])  # management not counted
    owner = np.array([10, 11, 12, 13, -1, -1, -1, -1, -1, -1])  # one NIC per accelerator
    per_acc = G.bandwidth_per_owner_bps(ports, links, owner=owner)
    assert per_acc[10:] == pytest.approx([400 * GB] * 4)


def test_devices_without_management():
    ports, links, *_ = rail_fabric()
    assert G.devices_without_management(ports, links, [0, 1]).tolist() == [1]
    assert G.devices_without_management(ports, links.take([4]), [0]).size == 0


# --- single points of failure -----------------------------------------------------------

def test_articulation_points_and_bridges_in_a_tiny_graph():
    # path 0 - 1 - 2 then triangle 2 - 3 - 4 - 2; 0 - 1 is two parallel cables.
    # By hand: articulation points {1, 2}; bridges (0,1) with 2 cables and (1,2) with 1.
    pairs = [(0, 1), (0, 1), (1, 2), (2, 3), (3, 4), (4, 2)]
    devs = [d for p in pairs for d in p]
    ports = ports_of([(d, R.SCALE_OUT, F.OSFP, 100 * GB, 4) for d in devs])
    links = LinkTable(np.arange(0, 12, 2), np.arange(1, 12, 2))
    g = G.device_graph(G.aggregate_device_links(ports, links))
    s = G.single_points_of_failure(g)
    assert s["articulation_points"].tolist() == [1, 2]
    assert s["bridges"].tolist() == [[0, 1], [1, 2]]
    assert s["bridge_n_links"].tolist() == [2, 1]
    assert s["n_components"] == 1
    # the triangle alone has none
    t = G.single_points_of_failure(g, nodes=[2, 3, 4])
    assert t["articulation_points"].size == 0 and t["bridges"].shape == (0, 2)


def test_dual_homed_clos_has_no_spof_among_switches():
    ports, links, hosts, leaves, spines, tier = clos(2, 2, 2)
    g = G.device_graph(G.aggregate_device_links(ports, links))
    s = G.single_points_of_failure(g)
    # single-homed hosts make each leaf an articulation point; spines are not
    assert s["articulation_points"].tolist() == leaves.tolist()
    assert s["bridges"].shape[0] == 4  # one access edge per host
    assert G.single_points_of_failure(g, nodes=np.r_[leaves, spines])["articulation_points"].size == 0
