"""Bill of materials: counts written out by hand from each seed and its catalog parts, costs and supply-chain
figures by hand, derived parts (shelf PSUs, server PSUs, cold plates, QDs, hoses, cables, transceivers, blanks,
in-row CDUs), per-definition scaling for a hall, and the formats."""
import copy
import json

import pytest

from rackforge.features import bom as B
from rackforge.engine import Context, Options, load_design
from tests.conftest import ROOT, load_seed

SEEDS = ROOT / "seeds"


def build(path, **opts):
    ld = load_design(str(path))
    assert ld.design is not None, ld.problems
    return B.build(Context(ld, Options(**opts)))


def per_rack(b, scope=None):
    """{(pn, included): qty per rack} of the one rack group (or the named one)."""
    groups = [g for g in b.groups if g.racks is not None and (scope is None or g.scope == scope)]
    assert len(groups) == 1
    return {(ln.pn, ln.included): ln.qty for ln in groups[0].lines}


def shared(b):
    g = [g for g in b.groups if g.racks is None]
    return {(ln.pn, ln.included): ln.qty for ln in g[0].lines} if g else {}


# --- counts by hand, one seed at a time -------------------------------------------------------------------------

def test_gb200_counts_by_hand():
    b = build(SEEDS / "gb200-nvl72.json")
    ct, st, shelves = 18, 9, 8
    assert per_rack(b) == {
        ("ORV3-HPR-48RU", False): 1,
        ("GB200-NVL72-CT", False): ct,
        ("GB200-NVL72-ST", False): st,
        ("SN2201-DC", False): 2,
        ("PS-33K-ORV3-HPR", False): shelves,
        ("PSU-5K5-ORV3-HPR", False): shelves * 6,             # shelf default fill: 6 x 5.5 kW
        ("BUSBAR-ORV3-1400A-HALF", False): 2,                # power.busbars bb-lo, bb-hi
        ("MANIFOLD-MGX-44RU", False): 1,
        ("CP-GPU-1K4", True): ct * 4,                        # 72 accelerators, one plate each, in the tray
        ("CP-CPU-500", True): ct * 2 + st * 2,               # 2 Grace per compute tray, 2 NVSwitch per switch tray
        ("UQD04-PAIR", False): (ct + st) * 2,                # supply + return per liquid-cooled tray
        ("HOSE-EPDM-10MM-1M", False): (ct + st) * 2,
        ("NVL5-CARTRIDGE-LINK", False): 72 * 18,             # scale-up pattern: 72 GPUs x 18 NVLinks = 1,296
        ("CAT6-RJ45-3M", False): ct + st,                    # management pattern over [cs]t*: one BMC port each
        ("BLANK-1RU", False): 48 - (shelves + ct + st + 2),  # 48 RU frame, 37 RU used by 1 RU parts
    }
    assert shared(b) == {("CDU-ROW-1MW", False): 1}          # 0.15 of an in-row CDU, a whole one bought


def test_gb200_cable_count_is_the_expanded_link_count():
    ld = load_design(str(SEEDS / "gb200-nvl72.json"))
    ctx = Context(ld, Options())
    b = B.build(ctx)
    cables = sum(q for (pn, _), q in per_rack(b).items() if ctx.catalog.get(pn).kind == "cable")
    assert cables == int(ctx.network.m.valid.sum()) == 1296 + 27


def test_h100_counts_by_hand():
    b = build(SEEDS / "hgx-h100-air.yaml")
    # PDUs are listed mounts (the power arrangement of this seed is still changing): count them in the design
    pdus = sum(m["part"] == "PDU-3P-415V-63A" for m in load_seed("hgx-h100-air.yaml")["templates"]["h100-rack"]
               ["mounts"])
    assert pdus in (2, 4)
    assert per_rack(b) == {
        ("EIA-48U-600x1200", False): 1,
        ("DGX-H100", False): 4,
        ("PSU-3K3-AC", True): 4 * 6,       # six 3.3 kW PSUs ship inside each DGX H100 (4+2)
        ("SN2201-AC", False): 1,
        ("PDU-3P-415V-63A", False): pdus,  # 0U side mounts: no slots used
        ("CAT6-RJ45-3M", False): 4,        # management pattern over node*
        ("BLANK-1RU", False): 48 - (4 * 8 + 1),
    }
    assert shared(b) == {}                 # air-cooled: no CDU, no design-level links


def test_gb300_counts_by_hand():
    b = build(SEEDS / "gb300-nvl72.yaml")
    ct, st = 18, 9
    got = per_rack(b)
    assert got[("GB300-NVL72-CT", False)] == ct and got[("GB200-NVL72-ST", False)] == st
    assert got[("PS-33K-ORV3-HPR-ES", False)] == 8 and got[("PSU-5K5-ORV3-HPR-ES", False)] == 48
    assert got[("CP-GPU-1K4", True)] == ct * 4 and got[("CP-CPU-500", True)] == ct * 2 + st * 2
    assert got[("UQD04-PAIR", False)] == 54 and got[("HOSE-EPDM-10MM-1M", False)] == 54
    assert got[("NVL5-CARTRIDGE-LINK", False)] == 1296 and got[("CAT6-RJ45-3M", False)] == 27
    assert got[("BLANK-1RU", False)] == 11
    assert len(got) == 15


def test_vr_counts_by_hand():
    b = build(SEEDS / "vr-nvl72.yaml")
    ct, st = 18, 9
    assert per_rack(b) == {
        ("ORV3-HPR-48RU", False): 1,
        ("VR-NVL72-CT", False): ct,
        ("VR-NVL72-ST", False): st,
        ("SN2201-DC", False): 2,
        ("PS-110K-3RU", False): 4,
        ("PSU-18K3-VR", False): 4 * 6,
        ("BUSBAR-LC-5000A", False): 1,
        ("MANIFOLD-MGX-DN50", False): 1,
        ("CP-GPU-2K3", True): ct * 4,
        ("CP-CPU-500", True): ct * (2 + 1),                  # 2 on the Vera CPUs + 1 on the NICs, per tray
        ("CP-GPU-1K4", True): st * 2,
        ("UQD08-PAIR", False): ct * 2,                       # compute trays: UQD08; switch trays: UQD04
        ("UQD04-PAIR", False): st * 2,
        ("HOSE-EPDM-16MM-1M", False): ct * 2,
        ("HOSE-EPDM-10MM-1M", False): st * 2,
        ("NVL6-CARTRIDGE-LINK", False): 72 * 18,
        ("CAT6-RJ45-3M", False): ct + st,
        ("BLANK-1RU", False): 48 - (4 * 3 + ct + st + 2),   # 3 RU shelves
    }
    assert shared(b) == {("CDU-ROW-2MW", False): 1}


def test_kyber_counts_by_hand():
    b = build(SEEDS / "rubin-ultra-kyber.yaml")
    pods, blades = 4, 9
    assert per_rack(b) == {
        ("ORW-44OU", False): 1,
        ("KYBER-CPOD-RU", False): pods,
        ("KYBER-NVL-SWB", False): blades,
        ("SN2201-800V", False): 2,
        ("DCX-800V-50V-12K", True): pods * 14,               # in-pod 800 V -> 50 V converters (N+1)
        ("DCX-800V-50V-12K", False): pods * (26 - 14),       # the seed's 2N override: 26 per pod, 12 bought extra
        ("DCDC-800V-50V-2K", True): blades * 2 + 2 * 2,      # 2 per switch blade and per management switch
        ("PDU-800VDC-1000A", False): 2,
        ("MANIFOLD-ORW-DN100", False): 1,
        ("CP-GPU-3K6", True): pods * 36,
        ("CP-CPU-500", True): pods * 18,
        ("CP-GPU-1K4", True): blades * 2,
        ("LQC-V2-PAIR", False): pods * 2,
        ("HOSE-EPDM-50MM-1M", False): pods * 2,
        ("UQD04-PAIR", False): blades * 2,
        ("HOSE-EPDM-10MM-1M", False): blades * 2,
        ("NVL-KYBER-MIDPLANE-LINK", False): 144 * 18,        # 144 packages x 18 links
        ("CAT6-RJ45-3M", False): pods + blades,              # two management patterns
        # 44 OU frame: pods 6 OU, blades 1 OU, a 1 RU switch takes one 48 mm slot
        ("BLANK-1RU", False): 44 - (pods * 6 + blades + 2),
    }
    assert shared(b) == {("CDU-ROW-2MW", False): 1}


# --- costs and supply-chain figures by hand ---------------------------------------------------------------------

GB200_RACK_USD = (9000 + 18 * 280000 + 9 * 60000 + 2 * 6000 + 8 * 4000 + 48 * 900 + 2 * 1700 + 6000
                  + 54 * 120 + 54 * 30 + 27 * 6 + 1296 * 25 + 11 * 8)
GB200_US_USD = 9000 + 2 * 1700 + 54 * 120 + 54 * 30 + 11 * 8 + 250000   # frame, busbars, QDs, hoses, blanks, CDU


def test_gb200_costs_and_figures_by_hand():
    b = build(SEEDS / "gb200-nvl72.json")
    rack = next(g for g in b.groups if g.racks == 1)
    assert B.totals(rack.lines)["cost_usd"] == pytest.approx(GB200_RACK_USD, rel=1e-12)
    assert GB200_RACK_USD == 5_726_350
    f = B.figures(b)
    total = GB200_RACK_USD + 250000
    assert f["total_cost_usd"] == pytest.approx(total, rel=1e-12)
    assert f["domestic_countries"] == ["US"]                 # inherited from ai-base
    assert f["domestic_share"] == pytest.approx(GB200_US_USD / total, rel=1e-8)
    tw = 18 * 280000 + 9 * 60000 + 8 * 4000 + 48 * 900 + 6000 + 1296 * 25
    assert f["cost_by_country_usd"]["TW"] == pytest.approx(tw, rel=1e-12)
    assert f["cost_by_country_usd"]["CN"] == pytest.approx(12000, rel=1e-12)
    assert f["cost_by_country_usd"]["MX"] == pytest.approx(162, rel=1e-12)
    assert list(f["cost_by_country_usd"]) == ["TW", "US", "CN", "MX"]   # largest first
    assert sum(f["cost_share_by_country"].values()) == pytest.approx(1.0, abs=1e-8)
    assert f["critical_path"]["lead_time_weeks"] == 30
    assert f["critical_path"]["parts"] == ["GB200-NVL72-CT", "GB200-NVL72-ST"]
    assert {p["pn"] for p in f["single_source_parts"]} == {"SN2201-DC", "NVL5-CARTRIDGE-LINK"}
    assert f["missing_data"] == []


def test_mass_matches_the_physical_analysis_plus_derived_parts():
    """The BOM's rack mass = analyze's rack mass (frame, mounts, shelf PSUs, busbars) + parts only the BOM sees."""
    from rackforge.api import analyze

    b = build(SEEDS / "gb200-nvl72.json")
    rack = next(g for g in b.groups if g.racks == 1)
    extra = 54 * 0.15 + 54 * 0.25 + 1296 * 0.05 + 27 * 0.12 + 11 * 0.3    # QDs, hoses, cables, blanks
    assert B.totals(rack.lines)["mass_kg"] == pytest.approx(analyze(str(SEEDS / "gb200-nvl72.json"))
                                                            ["racks"][0]["mass_kg"] + extra, rel=1e-12)


def test_analyze_json_has_the_supply_chain_section():
    from rackforge.api import analyze

    sc = analyze(str(SEEDS / "gb200-nvl72.json"))["supply_chain"]
    assert sc["total_cost_usd"] == pytest.approx(GB200_RACK_USD + 250000, rel=1e-12)
    assert sc["domestic_share"] == pytest.approx(GB200_US_USD / (GB200_RACK_USD + 250000), rel=1e-8)
    assert sc["critical_path"]["lead_time_s"] == pytest.approx(30 * 7 * 86400)
    assert sc["parts_bought"] == 14 and sc["parts"] == 16    # 2 included lines (cold plates)


# --- derived parts under changes ----------------------------------------------------------------------------------

def test_shelf_override_and_a_hall_scale_per_definition(write_design, gb200):
    d = copy.deepcopy(gb200)
    ps1 = next(m for m in d["templates"]["nvl72"]["mounts"] if m["id"] == "ps1")
    ps1["psus"] = {"part": "PSU-5K5-ORV3-HPR", "count": 4}
    d["racks"] = []
    d["rows"] = [{"id": "A", "template": "nvl72", "count": 1000}]
    b = build(write_design(d))
    assert [g.racks for g in b.groups] == [1000, None]       # one rack definition, x 1000
    got = per_rack(b)
    assert got[("PSU-5K5-ORV3-HPR", False)] == 7 * 6 + 4
    line = next(ln for ln in b.groups[0].lines if ln.pn == "PSU-5K5-ORV3-HPR")
    assert "4 in ps1 (mount override)" in line.derived_text()
    parts = {(ln.pn, ln.included): ln.qty for ln in b.parts()}
    assert parts[("GB200-NVL72-CT", False)] == 18_000
    assert parts[("NVL5-CARTRIDGE-LINK", False)] == 1_296_000
    assert parts[("CDU-ROW-1MW", False)] == 150              # 1,000 x 0.15, whole units


def test_optical_links_transceivers_and_cut_lengths(write_design, gb200):
    """A design-level rail pattern over a second rack's leaves and an explicit link cut to length."""
    from tests.cases.network import FABRIC, _fabric

    d = copy.deepcopy(gb200)
    write_design(FABRIC, name="extra.json")
    d["catalogs"] = ["extra.json"]
    _fabric(d)
    d["templates"]["nvl72"]["links"] = [{"a": "ct01:bf0", "b": "ct02:bf0", "cable": "MPO12-SM-30M",
                                         "transceivers": ["OSFP-400G-DR4", "OSFP-400G-DR4"], "length": "12 m"}]
    b = build(write_design(d))
    sh = shared(b)
    nodes, rails = 18, 4
    uplinks = 4 * 18                                         # 4 leaves x 18 uplinks to 2 spines
    assert sh[("MPO12-SM-30M", False)] == nodes * rails + uplinks
    assert sh[("OSFP-400G-DR4", False)] == 2 * (nodes * rails + uplinks)   # one module at each end
    rack = next(g for g in b.groups if g.scope == "nvl72")
    cut = [ln for ln in rack.lines if ln.pn == "MPO12-SM-30M"]
    assert len(cut) == 1 and cut[0].length_m == 12.0 and cut[0].qty == 1
    assert cut[0].unit_cost_usd == pytest.approx(90 * 12 / 30)     # catalog 30 m cord at 90 USD, pro rata
    assert [ln.qty for ln in rack.lines if ln.pn == "OSFP-400G-DR4"] == [2]
    net = next(g for g in b.groups if g.scope == "net")
    assert per_rack(b, "net") == {("EIA-48U-600x1200", False): 1, ("TEST-LEAF-64", False): 6,
                                  ("BLANK-1RU", False): 42}
    assert net.racks == 1


def test_unknown_part_is_listed_not_costed(write_design, gb200):
    d = copy.deepcopy(gb200)
    d["templates"]["nvl72"]["mounts"].append({"id": "x", "part": "NO-SUCH-PART", "u": 40})
    b = build(write_design(d))
    ln = next(ln for ln in b.groups[0].lines if ln.pn == "NO-SUCH-PART")
    assert ln.kind == "unknown" and ln.extended_cost is None
    assert B.figures(b)["missing_data"] == []                # RF002's business, not RF503's


# --- formats --------------------------------------------------------------------------------------------------

def test_csv_is_deterministic_and_totals_add_up():
    b1 = build(SEEDS / "gb200-nvl72.json")
    b2 = build(SEEDS / "hgx-h100-air.yaml")
    text = B.to_csv([b1, b2])
    assert text == B.to_csv([build(SEEDS / "gb200-nvl72.json"), build(SEEDS / "hgx-h100-air.yaml")])
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(B.COLUMNS)
    totals = [r for r in rows if r["line"] == "total"]
    assert [r["description"] for r in totals] == ["design total", "design total", "total over 2 designs"]
    pdus = sum(m["part"] == "PDU-3P-415V-63A" for m in load_seed("hgx-h100-air.yaml")["templates"]["h100-rack"]
               ["mounts"])
    h100 = 3500 + 4 * 300000 + 6000 + pdus * 2200 + 4 * 6 + 15 * 8
    assert float(totals[1]["extended_cost_usd"]) == pytest.approx(h100)
    assert float(totals[2]["extended_cost_usd"]) == pytest.approx(GB200_RACK_USD + 250000 + h100)
    included = [r for r in rows if r["included"] == "yes"]
    assert included and all(r["extended_cost_usd"] == "0" and r["total_mass_kg"] == "0" for r in included)


def test_xlsx_holds_the_same_lines_as_csv(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    import csv
    import io

    boms = [build(SEEDS / "gb200-nvl72.json"), build(SEEDS / "rubin-ultra-kyber.yaml")]
    p = tmp_path / "b.xlsx"
    p.write_bytes(B.to_xlsx(boms))
    wb = openpyxl.load_workbook(p)
    cells = [[B._cell(v) for v in r] for r in wb["BOM"].iter_rows(values_only=True)]
    assert cells == list(csv.reader(io.StringIO(B.to_csv(boms))))
    assert "Supply chain" in wb.sheetnames


def test_json_rows_match_csv():
    b = build(SEEDS / "vr-nvl72.yaml")
    data = json.loads(B.to_json([b]))
    assert [[B._cell(r[c]) for c in data["columns"]] for r in data["rows"]] == B.current_rows([b], "csv")[1:]
    assert data["designs"][0]["supply_chain"]["critical_path"]["lead_time_weeks"] == 36


# --- RF5xx beyond their cases -------------------------------------------------------------------------------------

SOLE_PSU = {"catalog": "test-sole", "parts": [{
    "pn": "TEST-PSU-SOLE", "kind": "psu", "name": "5.5 kW PSU from one supplier", "source": "test fixture",
    "rating": "5.5 kW", "input": {"type": "ac", "voltage_min": "200 V", "voltage_max": "277 V", "phases": 1},
    "output_voltage": "50 V", "droop": "8.9 mOhm", "current_limit": "124 A",
    "efficiency": [{"load": 0.1, "efficiency": 0.92}, {"load": 1.0, "efficiency": 0.965}],
    "cost": "900 USD", "origin": "US", "suppliers": ["OnlyCo"], "lead_time": "60 week", "mass": "2.8 kg"}]}


def test_rf501_rf502_judge_derived_shelf_psus(write_design, gb200):
    """ai-base (inherited by gb200-nvl72) names psu critical and allows 52 weeks: a shelf filled through a mount
    override with a single-sourced, 60-week PSU is reported at that override."""
    from rackforge.api import validate

    write_design(SOLE_PSU, name="extra.json")
    d = copy.deepcopy(gb200)
    d["catalogs"] = ["extra.json"]
    mounts = d["templates"]["nvl72"]["mounts"]
    i = next(k for k, m in enumerate(mounts) if m["id"] == "ps1")
    mounts[i]["psus"] = {"part": "TEST-PSU-SOLE", "count": 6}
    res = validate(str(write_design(d)), Options(select=("RF501", "RF502")))
    got = sorted((f.code, f.pointer) for f in res.findings)
    ptr = f"/templates/nvl72/mounts/{i}/psus"
    assert got == [("RF501", ptr), ("RF502", ptr)]
    rf502 = next(f for f in res.findings if f.code == "RF502")
    assert rf502.value == pytest.approx(60 * 7 * 86400) and rf502.limit == pytest.approx(52 * 7 * 86400)
    assert "only 'OnlyCo'" in next(f for f in res.findings if f.code == "RF501").message


def test_python_api(tmp_path):
    b = B.for_file(str(SEEDS / "gb200-nvl72.json"), Options(operating_point="idle"))
    assert b.operating_point == "idle"
    ct = next(ln for ln in b.groups[0].lines if ln.pn == "GB200-NVL72-CT")
    assert ct.unit_power_w == 1500.0                          # the tray's idle power
    bad = tmp_path / "bad.json"
    bad.write_text('{"rackforge": 1}')
    with pytest.raises(ValueError, match="does not match the schema"):
        B.for_file(str(bad))


# --- one source of truth for counts -----------------------------------------------------------------------------

def _model_counts(ctx):
    """Counts of parts as the models use them, independent of the BOM code: PSUs and BBUs in the power network
    (each block is one rack definition, ``m`` its instances), mounts, frames and busbars from the resolved
    design, cables from the network's expanded links."""
    from collections import Counter

    out = Counter()
    pw = ctx.power
    for p in pw.psus:
        if not p["virtual"] and p.get("pn"):
            out[p["pn"]] += pw.blocks[p["block"]].m
    for b in pw.bbus:
        if b.get("pn"):
            out[b["pn"]] += pw.blocks[b["block"]].m
    for rd in ctx.r.defs:
        n = len(rd.instances)
        out[rd.body.frame] += n
        for mi in rd.mounts:
            out[mi.m.part] += n
        for bb in rd.body.power.busbars:
            out[bb.part] += n
    return out


def _bom_counts(b, kinds):
    from collections import Counter

    out = Counter()
    for ln in b.parts():
        if ln.kind in kinds:
            out[ln.pn] += ln.qty
    return out


def _configured(gen, tmp_path):
    from rackforge.features.configure import configure

    [cfg] = configure(gen)
    p = tmp_path / f"{gen}.json"
    p.write_text(cfg.text)
    return p


@pytest.mark.parametrize("src", [*sorted(p.name for p in SEEDS.glob("*.json")),
                                 *sorted(p.name for p in SEEDS.glob("*.yaml")),
                                 "configured:gb200-nvl72", "configured:hgx-h100-air", "configured:rubin-ultra-kyber"])
def test_bom_quantities_equal_the_models_counts(src, tmp_path):
    """Issue 18: the BOM and the power model read the same resolved counts (a server's PSU override, a shelf's
    fill), for every seed and for configured designs."""
    path = _configured(src.split(":")[1], tmp_path) if src.startswith("configured:") else SEEDS / src
    ld = load_design(str(path))
    ctx = Context(ld, Options())
    model = _model_counts(ctx)
    kinds = {"psu", "bbu", "rack_frame", "compute_tray", "switch_tray", "switch", "power_shelf", "pdu", "cdu",
             "manifold", "busbar"}
    bom = _bom_counts(B.build(ctx), kinds)
    model = {pn: n for pn, n in model.items() if ld.catalog.get(pn) is not None and ld.catalog.get(pn).kind in kinds}
    in_rack_cdus = {pn for pn in bom if ld.catalog.get(pn).kind == "cdu" and pn not in model}
    assert {pn: n for pn, n in bom.items() if pn not in in_rack_cdus} == model
