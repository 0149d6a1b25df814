"""Mixed halls: racks of several generations in one design (a template's or inline rack's own `generation`).

Each rack is checked against its own generation, the hall (facility power and water, supply chain) against the
design's; the facility models take every rack's load from the power model of its generation.
"""
import copy
import csv
import io

import pytest
import yaml

from rackforge.engine import Context, Options, load_design, validate
from rackforge.model.findings import Severity
from tests.conftest import ROOT

MIXED = str(ROOT / "seeds" / "hall" / "mixed-gb300-vr-hall.yaml")


def _small() -> dict:
    """The mixed seed's two templates, two racks of each, without the facility (fast)."""
    d = yaml.safe_load(open(MIXED))
    d.pop("facility")
    d.pop("waivers")
    d["rows"] = [{"id": "G", "template": "gb300", "count": 2}, {"id": "V", "template": "vr", "count": 2}]
    return d


def _codes(res, code):
    return [f for f in res.findings if f.code == code]


def test_small_mixed_design_is_clean(write_design):
    res = validate(str(write_design(_small())))
    assert res.findings == []
    gs = res.loaded.groups
    assert [(g.generation_id, [d.key for d in g.defs]) for g in gs] == [("gb300-nvl72", ["gb300"]),
                                                                       ("vr-nvl72", ["vr"])]


def test_vr_rack_is_held_to_vr_requirements(write_design):
    """Three GB300 compute trays (ConnectX-8, 800 Gb/s per GPU) added to the VR racks: Vera Rubin asks for
    1.6 Tb/s of scale-out per accelerator (RF416), GB300 for 800 Gb/s, which the same trays meet in the GB300
    racks next to them."""
    d = _small()
    d["templates"]["vr"]["mounts"] += [{"id": f"cx{i}", "part": "GB300-NVL72-CT", "u": 42 + i} for i in range(3)]
    res = validate(str(write_design(d)))
    hits = _codes(res, "RF416")
    n_vr = len(d["templates"]["vr"]["mounts"]) - 3
    assert sorted(f.pointer for f in hits) == [f"/templates/vr/mounts/{n_vr + i}" for i in range(3)]
    assert all("generation 'vr-nvl72' needs 1.6 Tb/s" in f.message for f in hits)
    # the GB300 racks' own trays (the same part) are not reported: GB300 asks for 800 Gb/s
    assert not [f for f in res.findings if f.pointer.startswith("/templates/gb300")]
    # control: the same racks checked against GB300 pass RF416
    d["templates"]["vr"]["generation"] = "gb300-nvl72"
    assert _codes(validate(str(write_design(d))), "RF416") == []


def test_gb300_rack_is_held_to_gb300_requirements(write_design):
    """Three more compute trays in the GB300 racks: 21 x 6.6 + 9 x 0.4 + 2 x 0.12 = 142.44 kW IT, over GB300's
    132 kW envelope (RF200), under Vera Rubin's 219 kW."""
    d = _small()
    d["templates"]["gb300"]["mounts"] += [{"id": f"cx{i}", "part": "GB300-NVL72-CT", "u": 39 + i, "busbar": "bb-hi"}
                                          for i in range(3)]
    res = validate(str(write_design(d)))
    hits = _codes(res, "RF200")
    assert [f.pointer for f in hits] == ["/templates/gb300"]
    assert "142.4 kW; generation 'gb300-nvl72' allows 132 kW" in hits[0].message
    assert res.findings[0].line is not None      # located in the file
    assert not [f for f in res.findings if f.pointer.startswith("/templates/vr")]
    # control: the same rack checked against Vera Rubin is inside its envelope
    d["templates"]["gb300"]["generation"] = "vr-nvl72"
    assert _codes(validate(str(write_design(d))), "RF200") == []


def test_every_rack_of_another_generation_than_the_design(write_design):
    """A design whose only template names another generation is checked against that one, not the design's."""
    d = yaml.safe_load(open(ROOT / "seeds" / "gb300-nvl72.yaml"))
    d["templates"]["nvl72"]["generation"] = "vr-nvl72"
    res = validate(str(write_design(d)))
    # NVLink 5 links give 1.8 TB/s per GPU; Vera Rubin asks for 3.6 TB/s
    hits = _codes(res, "RF413")
    assert hits and all("generation 'vr-nvl72'" in f.message and f.pointer.startswith("/templates/nvl72")
                        for f in hits)
    assert validate(str(ROOT / "seeds" / "gb300-nvl72.yaml")).findings == []


def test_design_level_finding_said_alike_by_both_generations_is_kept_once(write_design):
    """A site air inlet of 40 degC is outside class A2, which both generations ask for (RF311, at /site): two
    groups, one finding."""
    d = _small()
    d["site"]["air_inlet_temperature"] = "40 degC"
    res = validate(str(write_design(d)))
    hits = _codes(res, "RF311")
    assert len(hits) == 1 and hits[0].pointer.startswith("/site")


def test_unknown_template_generation_is_located(write_design):
    d = _small()
    d["templates"]["vr"]["generation"] = "vr-nvl999"
    res = validate(str(write_design(d)))
    hits = _codes(res, "RF007")
    assert [f.pointer for f in hits] == ["/templates/vr/generation"]
    assert "'vr-nvl999'" in hits[0].message and hits[0].line is not None
    # the GB300 racks are still checked, and the design's generation is fine
    assert all(f.severity < Severity.ERROR or f.code == "RF007" for f in res.findings)


def test_subset_keeps_pointers_and_instances():
    ld = load_design(MIXED)
    r = ld.resolved
    sub = r.subset([d for d in r.defs if d.key == "vr"])
    assert [d.key for d in sub.defs] == ["vr"]
    assert len(sub.racks) == 60 and all(x.rdef.key == "vr" for x in sub.racks)
    assert sub.racks[0].ptr == "/rows/4" and sub.defs[0].ptr == "/templates/vr"
    assert sub.rack_by_id["V01a-000"] is r.rack_by_id["V01a-000"]
    assert [d.generation for d in r.defs] == ["gb300-nvl72", "vr-nvl72"]


def test_single_generation_design_has_no_groups():
    ld = load_design(str(ROOT / "seeds" / "hall" / "gb200-hall-block.yaml"))
    assert ld.groups == [] and Context(ld, Options()).groups == []
    assert {d.generation for d in ld.resolved.defs} == {"gb200-nvl72"}


@pytest.fixture(scope="module")
def mixed_ctx():
    return Context(load_design(MIXED), Options())


def test_mixed_facility_loads_are_the_groups_rack_loads(mixed_ctx):
    """The facility chain carries every rack at its own generation's load. Hand: GB300 rack 18 x 6.6 + 9 x 0.4 +
    2 x 0.12 = 122.64 kW IT, Vera Rubin rack 18 x 11.0 + 9 x 1.0 + 2 x 0.12 = 207.24 kW (catalog max figures)."""
    ctx = mixed_ctx
    assert [(g.gen.id, len(g.r.racks)) for g in ctx.groups] == [("gb300-nvl72", 96), ("vr-nvl72", 60)]
    b = ctx.facility_power.breakdown
    it_gb = 18 * 6600 + 9 * 400 + 2 * 120
    it_vr = 18 * 11000 + 9 * 1000 + 2 * 120
    assert it_gb == 122640 and it_vr == 207240
    assert b["it_load_w"] == pytest.approx(96 * it_gb + 60 * it_vr, rel=1e-12)
    # rack input (IT + PSU and busbar losses) as each group's own power model computed it, per rack
    p_in = {}
    for g in ctx.groups:
        (rt,) = g.power.rack_totals
        assert rt["it_load_w"] == pytest.approx(it_gb if g.gen.id == "gb300-nvl72" else it_vr, rel=1e-12)
        p_in[rt["definition"]] = rt["facility_input_w"]
    assert b["it_equipment_input_w"] == pytest.approx(96 * p_in["gb300"] + 60 * p_in["vr"], rel=1e-12)
    # and the chain delivers it: the base-case output of the busway runs (before their own loss) sums to it
    fa = ctx.facility_power
    bus = [i for i, e in enumerate(fa.elems) if e.kind == "busway"]
    assert float(sum(fa.base_p_out[i] for i in bus)) == pytest.approx(b["it_equipment_input_w"], rel=1e-9)


def test_analyze_names_each_rack_generation(mixed_ctx):
    from rackforge.engine.analysis import analyze_summary

    a = analyze_summary(mixed_ctx)
    assert a["generation"] == "gb300-nvl72"
    assert [(r["definition"], r["instances"], r["generation"]) for r in a["racks"]] == [
        ("gb300", 96, "gb300-nvl72"), ("vr", 60, "vr-nvl72")]
    # a design of one generation keeps its output as before (no per-rack generation)
    single = analyze_summary(Context(load_design(str(ROOT / "seeds" / "gb300-nvl72.yaml")), Options()))
    assert "generation" not in single["racks"][0]


def test_mixed_water_takes_each_generation_loop(mixed_ctx):
    """Heat to liquid on the facility loops: each rack's loop as its own generation's cooling model solved it."""
    fw = mixed_ctx.facility_water
    want = sum(len(g.r.racks) // len(g.r.defs) * sum(lr.heat_w for lr in g.cooling.loops) for g in mixed_ctx.groups)
    assert fw.heat_w == pytest.approx(want, rel=1e-9)


def test_mixed_seed_validates_clean_analyzes_and_bom_is_current(capsys):
    """`validate`, `analyze` and `bom --check` on the mixed seed (regenerate its BOM with `rackforge bom -o
    seeds/hall/mixed-gb300-vr-hall.bom.csv seeds/hall/mixed-gb300-vr-hall.yaml`)."""
    from rackforge.cli.app import main

    for argv in (["validate", "--no-cache", MIXED], ["analyze", MIXED],
                 ["bom", "--check", MIXED.replace(".yaml", ".bom.csv"), MIXED]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        out = capsys.readouterr().out
        assert (e.value.code or 0) == 0, (argv, out)
    rows = list(csv.DictReader(io.StringIO(open(MIXED.replace(".yaml", ".bom.csv")).read())))
    q = {r["pn"]: int(r["qty"]) for r in rows if r["line"] == "part" and r["scope"] == "(facility)"}
    # hand: one tap-off per rack feed (2 feeds): 96 GB300 racks on 250 A, 60 VR racks on 400 A
    assert q["TAPOFF-250A-415V"] == 2 * 96 and q["TAPOFF-400A-415V"] == 2 * 60
    assert q["UPS-2500KW-MOD"] == 4 * 4 and q["CDU-FAC-2MW"] == 2 * 4 + 2 * 5


def test_inline_rack_with_its_own_generation(write_design):
    """An inline rack's `body.generation` works as a template's: the VR rack as an inline rack next to a GB300 row,
    a GB300 tray added to it is reported against Vera Rubin at the inline body's pointer."""
    d = _small()
    vr = d["templates"].pop("vr")
    d["rows"] = [{"id": "G", "template": "gb300", "count": 1}]
    d["racks"] = [{"id": "v1", "body": vr, "position": {"row": "V", "index": 0}}]
    res = validate(str(write_design(d)))
    assert res.findings == []
    assert [(g.generation_id, [x.key for x in g.defs]) for g in res.loaded.groups] == [
        ("gb300-nvl72", ["gb300"]), ("vr-nvl72", ["v1"])]
    vr["mounts"].append({"id": "cx", "part": "GB300-NVL72-CT", "u": 44})
    hits = _codes(validate(str(write_design(d))), "RF416")
    assert [f.pointer for f in hits] == [f"/racks/0/body/mounts/{len(vr['mounts']) - 1}"]
    assert "generation 'vr-nvl72'" in hits[0].message
