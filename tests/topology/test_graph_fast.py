"""The fast paths of the device-graph checks against the networkx reference paths.

* bisection: max-flow on the graph with each side contracted into its terminal (scipy Dinic in integers, or
  networkx on the contracted graph) against networkx preflow-push on the whole device graph with two
  super-terminals;
* single points of failure: one iterative Tarjan search over the edge arrays against networkx's
  ``articulation_points``, ``bridges`` and ``number_connected_components`` on the device graph.

Graphs: the hand-checked fabrics of test_graph.py, then random multigraphs and random Clos fabrics with
failed links (seeded), where the two paths must agree exactly.
"""
from __future__ import annotations

import numpy as np
import pytest

from rackforge.topology import graph as G
from rackforge.topology.codes import FormFactor as F
from rackforge.topology.codes import Role as R
from rackforge.topology.tables import LinkTable
from tests.topology.fabrics import clos, ports_of

GB = 1e9


def _random_edges(rng, n, m, speeds=(100 * GB, 200 * GB, 400 * GB)):
    u = rng.integers(0, n, m)
    v = rng.integers(0, n, m)
    devs = np.r_[u, v]
    sp = rng.choice(np.asarray(speeds), m)
    ports = ports_of([(int(d), R.SCALE_OUT, F.OSFP, float(s), 4) for d, s in zip(devs, np.r_[sp, sp])])
    links = LinkTable(np.arange(m), m + np.arange(m))
    return G.aggregate_device_links(ports, links, n_devices=n)


def _same_spof(e, nodes=None):
    ref = G.single_points_of_failure(G.device_graph(e, nodes=nodes))
    got = G.single_points_of_failure_arrays(e, nodes=nodes)
    assert got["articulation_points"].tolist() == ref["articulation_points"].tolist()
    assert got["bridges"].tolist() == ref["bridges"].tolist()
    assert got["bridge_n_links"].tolist() == ref["bridge_n_links"].tolist()
    assert got["n_components"] == ref["n_components"]
    return got


def test_contracted_bisection_equals_the_whole_graph_on_a_clos():
    ports, links, hosts, leaves, spines, tier = clos(2, 2, 2)
    e = G.aggregate_device_links(ports, links)
    a, b = G.halves_by_order(hosts)
    # by hand (test_graph.py): leaf 0's two 100G uplinks
    assert G.bisection_bandwidth_bps(e, a, b) == 200 * GB
    assert G.bisection_bandwidth_bps(e, a, b, contract=False) == 200 * GB


def test_contraction_merges_sides_and_sums_parallel_edges():
    # hosts 0, 1 (side a) both on leaf 4, host 2 (side b) on leaf 4 and 5, host 3 (side b) on leaf 5;
    # leaf 4 - leaf 5 one link. By hand: source-leaf4 = 2 x 100G, sink-leaf4 100G, sink-leaf5 200G,
    # leaf4-leaf5 100G; max flow = 100G (to host 2 directly) + 100G (via leaf 5) = 200G.
    pairs = [(0, 4), (1, 4), (2, 4), (2, 5), (3, 5), (4, 5)]
    devs = [d for p in pairs for d in p]
    ports = ports_of([(d, R.SCALE_OUT, F.OSFP, 100 * GB, 4) for d in devs])
    e = G.aggregate_device_links(ports, LinkTable(np.arange(0, 12, 2), np.arange(1, 12, 2)), n_devices=6)
    u, v, cap, n = G.contract_sides(e, [0, 1], [2, 3])
    assert n == 4  # source, sink, leaf 4, leaf 5
    assert sorted(zip(u.tolist(), v.tolist(), cap.tolist())) == [
        (0, 2, 200 * GB), (1, 2, 100 * GB), (1, 3, 200 * GB), (2, 3, 100 * GB)]
    assert G.bisection_bandwidth_bps(e, [0, 1], [2, 3]) == 200 * GB
    assert G.bisection_bandwidth_bps(e, [0, 1], [2, 3], contract=False) == 200 * GB


@pytest.mark.parametrize("seed", range(12))
def test_bisection_fast_equals_reference_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 40))
    e = _random_edges(rng, n, int(rng.integers(n, 4 * n)))
    perm = rng.permutation(n)
    k = int(rng.integers(1, n // 2 + 1))
    a, b = perm[:k], perm[k:2 * k]
    ref = G.bisection_bandwidth_bps(e, a, b, contract=False)
    assert G.bisection_bandwidth_bps(e, a, b) == ref
    # the networkx fallback on the contracted graph (capacities that are not whole bit/s)
    e2 = G.DeviceEdges(e.u, e.v, e.capacity_bps + 0.25, e.n_links, e.n_devices)
    assert G.bisection_bandwidth_bps(e2, a, b) == pytest.approx(G.bisection_bandwidth_bps(e2, a, b, contract=False),
                                                                rel=1e-12)


def test_spof_fast_equals_reference_on_hand_checked_graphs():
    pairs = [(0, 1), (0, 1), (1, 2), (2, 3), (3, 4), (4, 2)]
    devs = [d for p in pairs for d in p]
    ports = ports_of([(d, R.SCALE_OUT, F.OSFP, 100 * GB, 4) for d in devs])
    e = G.aggregate_device_links(ports, LinkTable(np.arange(0, 12, 2), np.arange(1, 12, 2)))
    s = _same_spof(e)
    # by hand (test_graph.py): articulation points {1, 2}; bridges (0,1) of 2 cables and (1,2) of 1
    assert s["articulation_points"].tolist() == [1, 2] and s["bridge_n_links"].tolist() == [2, 1]
    _same_spof(e, nodes=[2, 3, 4])
    ports, links, hosts, leaves, spines, tier = clos(2, 2, 2)
    e = G.aggregate_device_links(ports, links)
    assert _same_spof(e)["articulation_points"].tolist() == leaves.tolist()
    _same_spof(e, nodes=np.r_[leaves, spines])


@pytest.mark.parametrize("seed", range(20))
def test_spof_fast_equals_reference_on_random_graphs(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 60))
    # sparse graphs (trees, paths, several components) and denser ones
    e = _random_edges(rng, n, int(rng.integers(1, 2 * n)))
    _same_spof(e)
    _same_spof(e, nodes=rng.choice(n, size=max(1, n // 2), replace=False))
