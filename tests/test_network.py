"""Network lowering, RF4xx figures and `rackforge expand`, against hand calculations."""
import json
import shutil

import numpy as np
import pytest
import yaml

from rackforge.api import validate
from rackforge.engine import Context, Options, load_design
from rackforge.topology.codes import Role
from tests.conftest import ROOT, seed_files

DATA = ROOT / "tests" / "data" / "network"
RU = 0.04445  # EIA-310 rack unit [m]


def network(path):
    return Context(load_design(str(path)), Options()).network


def fabric(tmp_path, **changes):
    """The fixture fabric (4 DGX H100, 16 rail leaves, 2 spines) written to tmp_path, with changes applied."""
    d = yaml.safe_load((DATA / "fabric.yaml").read_text())
    for k, v in changes.items():
        d["patterns"][1][k] = v
    shutil.copy(DATA / "fabric-catalog.yaml", tmp_path / "fabric-catalog.yaml")
    p = tmp_path / "fabric.json"
    p.write_text(json.dumps(d))
    return p


# --- scale-up ------------------------------------------------------------------------------------------------

def test_gb200_scale_up_by_hand():
    net = network(ROOT / "seeds" / "gb200-nvl72.json")
    m = net.m
    role = m.ports.role[m.links.port_a]
    # 72 GPUs x 18 NVLink ports, each to one port of one of the 18 NVSwitch chips; 18 + 9 trays to the BMC switch
    assert int((role == Role.SCALE_UP).sum()) == 72 * 18 == 1296
    assert int((role == Role.MANAGEMENT).sum()) == 18 + 9
    su = net.scale_up
    assert su["accelerator"].size == 72 and list(su["domain_sizes"]) == [72]
    assert (su["link_count"] == 18).all()
    # one direction: 18 x 50 GB/s = 18 x 400 Gb/s = 7.2 Tb/s; both ways 14.4 Tb/s = NVIDIA's "1.8 TB/s"
    assert su["bandwidth_bps"] == pytest.approx(np.full(72, 18 * 400e9), rel=1e-12)
    assert su["bandwidth_bidir_bps"][0] == pytest.approx(1.8e12 * 8, rel=1e-12)
    assert (su["unreachable_peers"] == 0).all()
    # each GPU has exactly one link to each of the 18 chips (GPU i port j -> chip j)
    sel = role == Role.SCALE_UP
    gpu = m.ports.device[m.links.port_a[sel]]
    chip = m.ports.device[m.links.port_b[sel]]
    pairs = np.unique(gpu * 100000 + chip)
    assert pairs.size == 72 * 18
    # 72 x 186 GB of HBM3e
    assert su["domain_memory_bits"][0] == pytest.approx(72 * 186e9 * 8)


def test_h100_internal_nvswitch_is_the_domain():
    net = network(ROOT / "seeds" / "hgx-h100-air.yaml")
    su = net.scale_up
    assert list(su["domain_sizes"]) == [8, 8, 8, 8]
    assert (su["link_count"] == 18).all()
    assert su["bandwidth_bidir_bps"] == pytest.approx(np.full(32, 900e9 * 8))   # 900 GB/s NVLink 4
    assert net.to_json()["scale_out"]["fabric"] is False
    # provisioned scale-out: 8 x 400G per 8 GPUs
    assert net.scale_out["provisioned_per_acc_bps"] == pytest.approx(np.full(4, 400e9))


# --- geometry ------------------------------------------------------------------------------------------------

def test_in_rack_route_by_hand():
    net = network(ROOT / "seeds" / "hgx-h100-air.yaml")
    m = net.m
    # node1 (u1, 8 RU: centre 4 RU, BMC at the rear) to the management switch (u40, 1 RU: centre 39.5 RU, front):
    # the height difference plus one crossing of the 1,200 mm deep frame
    names = m.port_names(m.links.port_a)
    i = names.index("r01/node1:bmc0")
    assert m.route_m[i] == pytest.approx((39.5 - 4.0) * RU + 1.2, abs=1e-12)


def test_inter_rack_route_by_hand(h100, write_design):
    h100["racks"].append({"id": "r02", "template": "h100-rack", "position": {"row": "B", "index": 3}})
    h100["links"] = [{"a": "r01/node1:cx0", "b": "r02/node2:cx0", "cable": "MPO12-SM-30M",
                      "transceivers": ["OSFP-400G-DR4"]}]
    m = network(write_design(h100)).m
    row = np.flatnonzero(m.link_src == len(m.sources) - 1)[0]
    tray = 2.277 + 0.3                      # default: 300 mm above the 2,277 mm frame
    za, zb = 4.0 * RU, 12.0 * RU            # node1 centre (u1-8), node2 centre (u9-16)
    xa, xb = 0.5 * 0.6, 3.5 * 0.6           # index 0 and 3 at 600 mm pitch
    ya, yb = 0 * 2.4 + 0.6, 1 * 2.4 + 0.6   # rows A and B at 2,400 mm; rear faces half a depth behind
    expected = (tray - za) + abs(xa - xb) + abs(ya - yb) + (tray - zb) + 2 * 0.5
    assert m.route_m[row] == pytest.approx(expected, abs=1e-12)


# --- scale-out fabric ----------------------------------------------------------------------------------------

def test_fabric_expansion_counts_and_rails(tmp_path):
    net = network(fabric(tmp_path))
    m = net.m
    so = m.ports.role[np.where(m.valid, m.links.port_a, 0)] == Role.SCALE_OUT
    # rail: 4 nodes x 8 NICs; leaf-spine: 16 leaves x 2 uplinks
    assert int(so.sum()) == 4 * 8 + 16 * 2
    names = m.port_names(m.links.port_b[so][:16])
    # NIC i of node1 and node2 (group 0) on leaf0i; of node3 and node4 (group 1) on leaf1i, downlinks in order
    assert names[:3] == ["net/leaf00:p0", "net/leaf01:p0", "net/leaf02:p0"]
    assert names[8:10] == ["net/leaf00:p1", "net/leaf01:p1"]
    assert net.scale_out["rail_misaligned_links"].size == 0


def test_non_blocking_fabric_by_hand(tmp_path):
    net = network(fabric(tmp_path))
    ov = net.scale_out["oversubscription"]
    # each leaf: 2 nodes x 400G down, 2 x 400G up
    assert ov["oversubscription"] == pytest.approx(np.ones(16))
    # node1+node2 against node3+node4: 16 GPUs x 400G must cross; group-0 leaves have 8 x 2 x 400G of uplink
    assert net.bisection["bandwidth_bps"] == pytest.approx(16 * 400e9)
    assert net.to_json()["scale_out"]["bisection_bandwidth_per_accelerator_bps"] == pytest.approx(400e9)
    assert validate(str(fabric(tmp_path)), Options(select=("RF4", "RF005"))).findings == []


def test_oversubscribed_fabric_by_hand(tmp_path):
    p = fabric(tmp_path, uplinks_per_leaf=1)
    net = network(p)
    # 2 x 400G down, 1 x 400G up: 2:1
    assert net.scale_out["oversubscription"]["oversubscription"] == pytest.approx(np.full(16, 2.0))
    # leaf k -> spine k mod 2: each spine has 4 group-0 and 4 group-1 leaves; the 8 group-0 uplinks bound the cut
    assert net.bisection["bandwidth_bps"] == pytest.approx(8 * 400e9)
    res = validate(str(p), Options(select=("RF419",)))
    assert len(res.findings) == 16
    f = res.findings[0]
    assert (f.requirement, f.value, f.limit) == ("scale_out.max_oversubscription", 2.0, 1.0)


def test_bisection_against_brute_force(tmp_path):
    """The halves-by-order cut is a real cut: no smaller than the exact minimum over balanced partitions."""
    from rackforge.topology.graph import bisection_bandwidth_bruteforce_bps

    net = network(fabric(tmp_path, uplinks_per_leaf=1))
    so = net.scale_out
    nodes = so["nodes"]
    best, _ = bisection_bandwidth_bruteforce_bps(so["edges"], nodes)
    assert best <= net.bisection["bandwidth_bps"] + 1e-6
    # by hand: every balanced split of 4 nodes cuts 8 leaves' worth of NIC or uplink capacity at 400G
    assert best == pytest.approx(8 * 400e9)


def test_rail_misalignment_from_explicit_links(tmp_path):
    d = yaml.safe_load((DATA / "fabric.yaml").read_text())
    d["patterns"] = [d["patterns"][1]]  # leaf-spine only; rails cabled by hand below, all 4 nodes on leaf0i
    d["links"] = [{"a": f"r01/node{n}:cx{i}", "b": f"net/leaf0{i}:p{n - 1}", "cable": "MPO12-SM-30M",
                   "transceivers": ["OSFP-400G-DR4"]} for n in range(1, 5) for i in range(8)]
    d["links"][0]["b"] = "net/leaf01:p4"  # node1's NIC 0 on the rail-1 leaf
    shutil.copy(DATA / "fabric-catalog.yaml", tmp_path / "fabric-catalog.yaml")
    p = tmp_path / "d.json"
    p.write_text(json.dumps(d))
    res = validate(str(p), Options(select=("RF418",)))
    # leaf01's rail is the NIC index most of its links come from (1: four of five)
    assert [f.pointer for f in res.findings] == ["/links/0"]
    assert "NIC 0 lands on a leaf of rail 1" in res.findings[0].message


def test_single_points_of_failure_by_hand(tmp_path):
    p = fabric(tmp_path)
    d = json.loads(p.read_text())
    d["patterns"][0]["leaves"] = ["net/leaf?0"]  # one rail: each node hangs off one leaf
    d["generation"] = "test-redundant"
    d["catalogs"].append("gen.json")
    (tmp_path / "gen.json").write_text(json.dumps({"generations": [
        {"id": "test-redundant", "name": "redundant fabric", "extends": "hgx-h100-air",
         "scale_out": {"redundant": True}}]}))
    p.write_text(json.dumps(d))
    sp = network(p).spof
    # node1, node2 on leaf00; node3, node4 on leaf10: both leaves are articulation points, the 4 node links bridges
    assert sp["articulation_points"].size == 2
    assert sp["bridges"].shape[0] == 4
    res = validate(str(p), Options(select=("RF422",)))
    # one finding per place: the two leaf mounts, and the node-leaf bridge at each of the four node mounts
    assert len(res.findings) == 2 + 4
    assert sum("single point of failure" in f.message for f in res.findings) == 2


# --- rules on the seeds and patterns that cannot expand --------------------------------------------------------

@pytest.mark.parametrize("path", seed_files(), ids=lambda p: p.name)
def test_network_rules_silent_on_seeds(path):
    res = validate(str(path), Options(select=("RF4", "RF005")))
    assert [f"{f.code} {f.message}" for f in res.findings] == []


def test_pattern_too_big_for_its_switches(gb200, write_design):
    gb200["templates"]["nvl72"]["patterns"][0]["switches"] = "st[1-4]"
    res = validate(str(write_design(gb200)))
    codes = {f.code for f in res.findings}
    # reported once, as a missing-ports problem, not again as a broken domain of every accelerator
    assert "RF005" in codes and not codes & {"RF410", "RF411", "RF413", "RF414"}
    msg = next(f.message for f in res.findings if f.code == "RF005")
    assert "72 accelerators x 18 ports" in msg and "8 switch chips" in msg


def test_design_level_selector_matching_nothing(tmp_path):
    p = fabric(tmp_path, spines="net/core*")
    res = validate(str(p), Options(select=("RF005",)))
    assert [f.pointer for f in res.findings] == ["/patterns/1/spines"]


def test_findings_grouped_per_pattern_in_a_row_of_racks(gb200, write_design):
    gb200["racks"] = []
    gb200["rows"] = [{"id": "A", "template": "nvl72", "count": 50}]
    gb200["templates"]["nvl72"]["patterns"][1]["length"] = "0.5 m"
    res = validate(str(write_design(gb200)), Options(select=("RF405",)))
    assert len(res.findings) == 1
    f = res.findings[0]
    assert f.pointer == "/templates/nvl72/patterns/1"
    # mg1 sits at u37 (centre 36.5 RU), BMC ports on the same face: a route is |36.5 - centre| RU; it fits 0.5 m
    # (11.25 RU) only from the trays centred at 25.5..31.5 RU (ct04..ct10, u26..u32): 27 - 7 = 20 per rack
    assert f.message.startswith(f"{20 * 50:,} links of this management pattern")
    assert (f.value, f.limit) == (0.5, pytest.approx((36.5 - 5.5) * RU))  # worst: ct11 at u6


# --- expand --------------------------------------------------------------------------------------------------

def _network_json(path):
    return network(path).to_json()


@pytest.mark.parametrize("name", ["seeds/gb200-nvl72.json", "seeds/hgx-h100-air.yaml", "fabric"])
def test_expand_round_trip(name, tmp_path):
    from rackforge.cli.app import main

    src = fabric(tmp_path) if name == "fabric" else ROOT / name
    out = tmp_path / ("expanded" + (".json" if str(src).endswith(".json") else ".yaml"))
    with pytest.raises(SystemExit) as exc:
        main(["expand", str(src), "-o", str(out)])
    assert exc.value.code in (0, None)
    text = out.read_text()
    assert "patterns" not in text
    assert validate(str(out)).findings == validate(str(src)).findings or \
        [f.code for f in validate(str(out)).findings] == [f.code for f in validate(str(src)).findings]
    a, b = _network_json(src), _network_json(out)
    assert a == b


def test_expand_names_every_link(tmp_path):
    from rackforge.engine import load_design
    from rackforge.features.expand import expand_design

    data = expand_design(load_design(str(ROOT / "seeds" / "gb200-nvl72.json")))
    links = data["templates"]["nvl72"]["links"]
    assert len(links) == 1296 + 27
    assert links[0] == {"a": "ct11:nvl0", "b": "st1:nvl0", "cable": "NVL5-CARTRIDGE-LINK"}
    # package 0 of ct11 (ports 0-17) reaches the 18 chips in order: port j -> chip j (st(j//2+1), port 72*(j%2))
    assert links[1] == {"a": "ct11:nvl1", "b": "st1:nvl72", "cable": "NVL5-CARTRIDGE-LINK"}
    assert links[2]["b"] == "st2:nvl0"
    d = expand_design(load_design(str(fabric(tmp_path))))
    assert len(d["links"]) == 64 and d["links"][0]["a"] == "r01/node1:cx0"
    assert d["links"][0]["transceivers"] == ["OSFP-400G-DR4"]


def test_expand_refuses_a_pattern_that_does_not_fit(gb200, write_design, capsys):
    from rackforge.cli.app import main

    gb200["templates"]["nvl72"]["patterns"][0]["switches"] = "st[1-4]"
    with pytest.raises(SystemExit) as exc:
        main(["expand", str(write_design(gb200))])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "RF005" in err and "/templates/nvl72/patterns/0/switches" in err


def _repo_with_catalog(root, gb200):
    """A design repository: design.json naming cat/extra.json (one extra part, used by no mount)."""
    (root / ".git").mkdir(parents=True)
    (root / "cat").mkdir()
    (root / "cat" / "extra.json").write_text(json.dumps({"catalog": "x", "parts": [{
        "pn": "EXTRA-QD", "kind": "quick_disconnect", "name": "an extra QD", "source": "test fixture",
        "size": "UQD04", "cv": 0.8, "max_pressure": "100 psi"}]}))
    gb200["catalogs"] = ["cat/extra.json"]
    p = root / "design.json"
    p.write_text(json.dumps(gb200))
    return p


def test_expand_to_another_folder_keeps_catalog_references(tmp_path, gb200):
    from rackforge.cli.app import main

    src = _repo_with_catalog(tmp_path / "repo", gb200)
    out = tmp_path / "repo" / "build" / "deep" / "x.json"
    out.parent.mkdir(parents=True)
    with pytest.raises(SystemExit) as exc:
        main(["expand", str(src), "-o", str(out)])
    assert exc.value.code in (0, None)
    assert json.loads(out.read_text())["catalogs"] == ["../../cat/extra.json"]
    assert validate(str(out)).findings == []


def test_expand_refuses_to_strand_catalog_references(tmp_path, gb200, capsys):
    from rackforge.cli.app import main

    src = _repo_with_catalog(tmp_path / "repo", gb200)
    (tmp_path / "other" / ".git").mkdir(parents=True)
    out = tmp_path / "other" / "x.json"
    with pytest.raises(SystemExit) as exc:
        main(["expand", str(src), "-o", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "outside that file's repository" in err and "/catalogs" in err
    assert not out.exists()


def test_expand_into_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    from rackforge.cli.app import main

    out = tmp_path / "no" / "such" / "x.json"
    with pytest.raises(SystemExit) as exc:
        main(["expand", str(ROOT / "seeds" / "gb200-nvl72.json"), "-o", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "its folder does not exist" in err and "Traceback" not in err


def _two_rack_fabric(tmp_path, per):
    d = yaml.safe_load((DATA / "fabric.yaml").read_text())
    d["racks"].insert(1, {"id": "r02", "template": "h100-rack", "position": {"row": "A", "index": 2}})
    rail = d["patterns"][0]
    rail["nodes"] = "r0?/node*"
    rail["nodes_per_group"] = per
    shutil.copy(DATA / "fabric-catalog.yaml", tmp_path / "fabric-catalog.yaml")
    p = tmp_path / "fabric2.json"
    p.write_text(json.dumps(d))
    return p


def test_a_rack_split_across_scalable_units(tmp_path):
    """Issue 18: 8 nodes in two racks of 4, two leaf groups (scalable units). Groups of 4 follow the racks;
    groups of 5 put r01's four nodes and r02's first in unit 0, r02's other three in unit 1: r02 is split."""
    clean = validate(str(_two_rack_fabric(tmp_path, 4)), Options(select=("RF440",)))
    assert clean.findings == []
    bad = validate(str(_two_rack_fabric(tmp_path, 5)), Options(select=("RF440", "RF005")))
    assert [f.code for f in bad.findings] == ["RF440"]
    f = bad.findings[0]
    assert "rack 'r02'" in f.message and "2 scalable units (0, 1)" in f.message and f.pointer == "/patterns/0/nodes"
