"""The fast bisection and single-point-of-failure paths give the same findings as the networkx reference paths
on small halls with a generated fabric.

``ctx.network`` computes the bisection on the contracted graph (sides merged into source and sink, scipy's
Dinic in integers) and the articulation points and bridges by one iterative Tarjan search over the edge arrays
(rackforge.topology.graph). The reference paths: networkx preflow-push on the whole scale-out device graph with
two super-terminals, and networkx's ``articulation_points`` / ``bridges`` on the networkx device graph. Each
hall is validated twice, once with the reference paths patched in; the findings (code, pointer, message), the
bisection value and the articulation points and bridges must be identical. The halls are chosen so that the
rules these paths feed fire: a 3:1 hall misses a full-bisection requirement (RF420), a single-rail hall has a
leaf per node group as a single point of failure (RF422), a four-rail hall of several SUs meets both.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.cases.fabric import _hall
from tests.conftest import load_seed

GEN = {"generations": [{
    "id": "hall-fast-test", "name": "gb200-nvl72 with a bisection requirement and a redundant fabric",
    "extends": "gb200-nvl72",
    "scale_out": {"min_bisection_per_accelerator": "400 Gbit/s", "redundant": True, "max_oversubscription": 3.0}}]}


def _design(rows: int, per_row: int, **hall_kw) -> dict:
    d = load_seed("gb200-nvl72.json")
    rack = d.pop("racks")[0]
    d["rows"] = [{"id": f"R{r + 1:02d}", "template": rack["template"], "count": per_row} for r in range(rows)]
    _hall(d, min_bandwidth_after_failure=0.0, **hall_kw)
    d["generation"] = "hall-fast-test"
    d["catalogs"] = ["gens.json"]
    d["waivers"] = [{"rule": "RF308", "target": "/templates/netrack", "reason": "air-cooled switch racks"},
                    {"rule": "RF107", "target": "/templates/netrack/frame", "reason": "EIA switch racks"}]
    return d


def _run(path):
    from rackforge.engine import Context, Options, load_design, run_rules

    ld = load_design(str(path))
    ctx = Context(ld, Options())
    found = [(f.code, f.pointer, f.message) for f in run_rules(ld, Options(), ctx)]
    return found, ctx.network


HALLS = {
    "3to1-two-rows": (2, 4, dict(racks_per_su=2, oversubscription=3.0)),
    "single-rail": (2, 2, dict(racks_per_su=1, rails=1)),
    "four-rails-three-rows": (3, 2, dict(racks_per_su=2)),
}


@pytest.mark.parametrize("name", sorted(HALLS))
def test_fast_paths_give_the_reference_findings(name, tmp_path, monkeypatch):
    from rackforge.topology import graph as tgraph

    rows, per_row, kw = HALLS[name]
    (tmp_path / "gens.json").write_text(json.dumps(GEN))
    path = tmp_path / "hall.json"
    path.write_text(json.dumps(_design(rows, per_row, **kw)))
    fast, net = _run(path)
    bis, spof = net.bisection["bandwidth_bps"], net.spof

    calls = {"bisection": 0, "spof": 0}
    fast_bis = tgraph.bisection_bandwidth_bps

    def ref_bisection(edges, a, b, **_):
        calls["bisection"] += 1
        return fast_bis(edges, a, b, contract=False)

    def ref_spof(edges, nodes=None):
        calls["spof"] += 1
        return tgraph.single_points_of_failure(tgraph.device_graph(edges, nodes=nodes))

    monkeypatch.setattr(tgraph, "bisection_bandwidth_bps", ref_bisection)
    monkeypatch.setattr(tgraph, "single_points_of_failure_arrays", ref_spof)
    ref, rnet = _run(path)
    assert calls == {"bisection": 1, "spof": 1}
    assert fast == ref
    assert bis == rnet.bisection["bandwidth_bps"]
    for k in ("articulation_points", "bridges", "bridge_n_links"):
        assert np.array_equal(spof[k], rnet.spof[k]), k
    assert spof["n_components"] == rnet.spof["n_components"]
    codes = {c for c, _, _ in fast}
    if name == "3to1-two-rows":
        assert "RF420" in codes
    if name == "single-rail":
        assert "RF422" in codes and spof["articulation_points"].size > 0
    if name == "four-rails-three-rows":
        assert not {"RF420", "RF422"} & codes


@pytest.mark.parametrize("tiers", [2, 3])
def test_each_su_is_cabled_to_its_own_switch_racks(tiers, tmp_path):
    """Four one-rack SUs of 18 nodes x 4 rails, non-blocking: 4 leaves per SU in racks of 12 switches. The nodes
    of SU s land on the leaves of rack SU00s-LF1 (the spare 8 slots of each leaf rack stay idle, RF423), and in
    three tiers each leaf's uplinks on the spines of its own pod's rack SU00s-SP1."""
    kw = dict(racks_per_su=1)
    if tiers == 3:
        kw.update(tiers=3, core={"template": "netrack"})
    d = _design(2, 2, **kw)
    (tmp_path / "gens.json").write_text(json.dumps(GEN))
    path = tmp_path / "hall.json"
    path.write_text(json.dumps(d))
    found, net = _run(path)
    m = net.m
    h = m.hall
    assert h["plan"].tiers == tiers and h["plan"].sus == 4 and h["plan"].leaves_per_su == 4
    off, nl = h["link_offset"], h["links_by_stage"]["node_leaf"]
    rack_of = m.device_rack[m.ports.device]
    racks = [r.id for r in m.racks]
    # node racks in rack order: rows R01, R02 by name, racks by index -> SU 1..4
    node_rack = [racks[i] for i in rack_of[m.links.port_a[off:off + nl]]]
    leaf_rack = [racks[i] for i in rack_of[m.links.port_b[off:off + nl]]]
    su_of = {r: k + 1 for k, r in enumerate(sorted(set(node_rack), key=lambda x: (x.split("-")[0], x)))}
    assert all(lr == f"SU{su_of[nr]:03d}-LF1" for nr, lr in zip(node_rack, leaf_rack))
    if tiers == 3:
        ls = h["links_by_stage"]["leaf_spine"]
        a = [racks[i] for i in rack_of[m.links.port_a[off + nl:off + nl + ls]]]
        b = [racks[i] for i in rack_of[m.links.port_b[off + nl:off + nl + ls]]]
        assert all(x.replace("-LF1", "") == y.replace("-SP1", "") for x, y in zip(a, b))
    assert not {"RF406", "RF451", "RF450"} & {c for c, _, _ in found}
