"""`rackforge catalog import-netbox`: the NetBox interface-type table, the parts written from device-type files of
real devices (tests/data/netbox/device-types, facts cited in tests/data/SOURCES.md), a design built from them that
validates, and clear errors for bad files."""
import json
import math
import re
from pathlib import Path

import pytest
import yaml

from rackforge.cli.app import main
from rackforge.features.netbox import iftypes
from rackforge.features.netbox.importer import import_files
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "netbox"
TYPES = DATA / "device-types"
SCHEMA = json.loads((DATA / "devicetype.schema.json").read_text())
NETBOX_INTERFACE_TYPES = SCHEMA["properties"]["interfaces"]["items"]["properties"]["type"]["enum"]
G = 1e9


def run(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    return (exc.value.code or 0), out.out, out.err


# --- the table -----------------------------------------------------------------------------------------------
# expected figures from NetBox's own labels of each type (netbox/dcim/choices.py, InterfaceTypeChoices:
# "OSFP (800GE)", "QSFP28 (50GE)", "NDR 4X (400 Gbps)", "FDR (13.5 Gbps)") and the MSA lane counts
TABLE = [
    ("1000base-t", "RJ45", 1, 1), ("100base-tx", "RJ45", 0.1, 1), ("2.5gbase-t", "RJ45", 2.5, 1),
    ("10gbase-t", "RJ45", 10, 1), ("1000base-x-sfp", "SFP", 1, 1), ("10gbase-x-sfpp", "SFP+", 10, 1),
    ("25gbase-x-sfp28", "SFP28", 25, 1), ("50gbase-x-sfp56", "SFP56", 50, 1), ("50gbase-x-sfp28", "QSFP28", 50, 2),
    ("40gbase-x-qsfpp", "QSFP+", 40, 4), ("100gbase-x-qsfp28", "QSFP28", 100, 4),
    ("100gbase-x-sfp112", "SFP112", 100, 1), ("100gbase-x-sfpdd", "SFP-DD", 100, 2),
    ("200gbase-x-qsfp56", "QSFP56", 200, 4), ("200gbase-x-qsfpdd", "QSFP-DD", 200, 8),
    ("400gbase-x-qsfp112", "QSFP112", 400, 4), ("400gbase-x-qsfpdd", "QSFP-DD", 400, 8),
    ("400gbase-x-osfp", "OSFP", 400, 4), ("400gbase-x-osfp-rhs", "OSFP-RHS", 400, 4),
    ("800gbase-x-qsfpdd", "QSFP-DD", 800, 8), ("800gbase-x-osfp", "OSFP", 800, 8),
    ("1.6tbase-x-osfp1600", "OSFP", 1600, 8), ("1.6tbase-x-qsfpdd1600", "QSFP-DD", 1600, 8),
    ("infiniband-hdr", "QSFP56", 50, 1), ("infiniband-ndr", "OSFP", 100, 1), ("infiniband-fdr", "QSFP+", 13.5, 1),
    ("infiniband-edr-4x", "QSFP28", 100, 4), ("infiniband-hdr-4x", "QSFP56", 200, 4),
    ("infiniband-ndr-4x", "OSFP", 400, 4), ("infiniband-xdr-4x", "OSFP", 800, 4),
    ("400gbase-dr4", "QSFP-DD", 400, 4), ("800gbase-dr8", "OSFP", 800, 8), ("100gbase-sr4", "QSFP28", 100, 4),
    ("100gbase-kr4", "BACKPLANE", 100, 4), ("32gfc-sfp28", "SFP28", 32, 1),
]


@pytest.mark.parametrize("slug,ff,gbps,lanes", TABLE, ids=[t[0] for t in TABLE])
def test_interface_type_table(slug, ff, gbps, lanes):
    got = iftypes.lookup(slug)
    assert (got.form_factor, got.lanes) == (ff, lanes)
    assert got.speed_bps == pytest.approx(gbps * G, rel=1e-12)


def test_table_covers_netbox_vocabulary():
    """Every NetBox interface type of a physical Ethernet, InfiniBand, Fibre Channel or backplane port maps; the
    rest (virtual, wireless, cellular, SONET, PON, serial, stacking) is named as skipped; the table holds no slug
    NetBox does not have."""
    unmapped = [t for t in NETBOX_INTERFACE_TYPES
                if iftypes.lookup(t) is None and not iftypes.is_skipped(t) and t != "other"]
    assert unmapped == []
    assert set(iftypes.all_types()) <= set(NETBOX_INTERFACE_TYPES)
    mapped = [t for t in NETBOX_INTERFACE_TYPES if iftypes.lookup(t) is not None]
    assert len(mapped) >= 150   # 228 NetBox types; the physical data ports among them


@pytest.mark.parametrize("slug", iftypes.all_types())
def test_table_runs_both_ways(slug):
    """rackforge port -> NetBox type is the inverse of the table: the same slug for every Ethernet cage, and a type
    of the same cage and speed for the others (a rackforge port names no protocol, so a 1G SFP port is
    exported as 1000base-x-sfp, not 1gfc-sfp; NetBox's InfiniBand types name no cage)."""
    t = iftypes.lookup(slug)
    back = iftypes.netbox_type(t.form_factor, t.speed_bps, t.lanes)
    if t.family == "ethernet":
        assert back == slug
    elif back != "other":
        u = iftypes.lookup(back)
        assert (u.form_factor, u.speed_bps) == (t.form_factor, t.speed_bps)   # XDR 4X: 4 x 200G; NetBox's 800G
        # OSFP type is read as 8 lanes, which is why the export tags each interface with the port's own lanes


def test_rackforge_spellings_map_to_netbox():
    assert iftypes.netbox_type("OSFP112", 800 * G) == "800gbase-x-osfp"
    assert iftypes.netbox_type("QSFPDD", 400 * G, 8) == "400gbase-x-qsfpdd"
    assert iftypes.netbox_type("RJ45", 1 * G, 1) == "1000base-t"
    assert iftypes.netbox_type("NVLINK-BP", 400 * G, 2) == "other"


# --- the fixtures ----------------------------------------------------------------------------------------------

def test_fixtures_are_valid_device_types():
    import jsonschema

    v = jsonschema.Draft202012Validator(SCHEMA)
    for p in sorted(TYPES.glob("*.yaml")):
        errs = list(v.iter_errors(yaml.safe_load(p.read_text())))
        assert errs == [], (p.name, [e.message for e in errs[:3]])


@pytest.fixture(scope="module")
def imported():
    cat, warnings, errors = import_files(sorted(str(p) for p in TYPES.glob("*.yaml")))
    assert errors == []
    return {p["pn"]: p for p in cat["parts"]}, warnings


def test_dgx_h100(imported):
    parts, _ = imported
    p = parts["DGXH-G640F+P2EDI36"]
    assert p["kind"] == "compute_tray" and p["height"] == "8 RU" and p["mass"] == "130.45 kg"
    # 6 supplies x 1,700 W maximum_draw = 10.2 kW (the datasheet's max); 6 x 1,250 W allocated = 7.5 kW
    assert p["power"] == {"idle": "3060 W", "typical": "7.5 kW", "max": "10.2 kW"}
    assert p["sources"]["power.typical"].startswith("assumed")
    assert p["sources"]["power.idle"].startswith("estimate")
    assert p["sources"]["kind"].startswith("guessed")
    assert p["input"] == {"type": "ac", "voltage_min": "200 V", "voltage_max": "240 V", "phases": 1}
    assert p["sources"]["input"].startswith("assumed")
    ports = {g["name"]: g for g in p["ports"]}
    assert (ports["ibp"]["count"], ports["ibp"]["form_factor"], ports["ibp"]["speed"]) == (8, "OSFP", "400 Gbit/s")
    assert (ports["cx"]["count"], ports["cx"]["form_factor"]) == (4, "QSFP112")
    assert ports["bmc"]["role"] == "management" and ports["bmc"]["speed"] == "1 Gbit/s"
    # airflow estimate: 10,200 W / (rho cp dT) with rho = 1.184 kg/m^3, cp = 1006 J/(kg K) at 25 degC, dT = 20 K
    # = 0.4282 m^3/s = 907 CFM (1 CFM = 4.719e-4 m^3/s); the solver's moist-air properties agree within 1 %
    cfm = float(p["air"]["max"].split()[0])
    assert cfm == pytest.approx(10200 / (1.184 * 1006 * 20) / 4.719474e-4, rel=0.01)
    assert p["air"]["direction"] == "front_to_back" and p["sources"]["air"].startswith("estimate")
    assert "datasheet https://" in p["source"]
    assert "console-ports" in p["notes"] and "assumed or estimated" in p["notes"]


def test_64_port_800g_switch_without_power_is_marked(imported):
    parts, warnings = imported
    p = parts["SN5600"]
    assert p["kind"] == "switch" and p["height"] == "2 RU" and p["mass"] == "23.5 kg"
    swp = next(g for g in p["ports"] if g["name"] == "swp")
    assert (swp["count"], swp["form_factor"], swp["speed"], swp["lanes"]) == (64, "OSFP", "800 Gbit/s", 8)
    assert p["power"]["max"] == "0 W" and "placeholder" in p["sources"]["power.max"]
    assert any("SN5600" in w and "placeholder" in w for w in warnings)
    assert "air" not in p and "back_to_front" in p["notes"]
    assert "module-bays" in p["notes"]


def test_infiniband_switch(imported):
    parts, _ = imported
    p = parts["QM9700"]
    ports = {g["name"]: g for g in p["ports"]}
    assert (ports["P"]["count"], ports["P"]["speed"], ports["P"]["lanes"]) == (64, "400 Gbit/s", 4)
    assert "form factor assumed for infiniband-ndr-4x" in p["sources"]["ports"]
    assert "P0.0..P31.1 -> ports P0..P63" in p["notes"]


def test_three_phase_pdu(imported):
    parts, _ = imported
    p = parts["AP8886"]
    assert p["kind"] == "pdu" and p["height"] == "0 RU" and p["outlets"] == 42
    assert p["input"]["phases"] == 3
    # 22,000 W / (sqrt(3) x 397.5 V) = 31.95 A -> 32 A, the datasheet's 32 A
    assert p["input_current"] == "32 A"
    assert 22000 / (math.sqrt(3) * 397.5) == pytest.approx(31.95, abs=0.01)


# --- the command -----------------------------------------------------------------------------------------------

def test_imported_catalog_validates_a_design(capsys, tmp_path):
    cat = tmp_path / "netbox.yaml"
    code, out, err = run(capsys, "catalog", "import-netbox", str(TYPES), "-o", str(cat))
    from rackforge.model.catalog import default_catalog

    known = default_catalog()
    # device types the default catalog has already (the SN5600 of the hall fabric) keep its entry, not imported
    dup = [pn for pn in ("DGXH-G640F+P2EDI36", "AP8886", "QM9700", "SN5600") if known.get(pn) is not None]
    assert code == 0 and out == "" and f"imported {4 - len(dup)} part(s)" in err
    assert "SN5600 is in the default catalog already" in err
    code, out, err = run(capsys, "validate", "-f", "json", "-c", str(cat), str(DATA / "imported-rack.yaml"))
    found = json.loads(out)["files"][0]["findings"]
    # the one error is the QM9700's 0 W placeholder (its device type gives no power draw; the importer warned):
    # RF009 asks for a real figure before the design can pass
    errors = [f for f in found if f["severity"] == "error"]
    assert code == 1 and [(f["code"], "QM9700" in f["message"]) for f in errors] == [("RF009", True)], out
    # otherwise only warnings: imported parts carry no cost/origin/lead time (RF503), and the rack's QM9700 has no
    # cables yet (RF423, a scale-out switch that carries no traffic)
    assert {f["code"] for f in found} <= {"RF503", "RF423", "RF009"}
    code, out, _ = run(capsys, "analyze", "-f", "json", "-c", str(cat), str(DATA / "imported-rack.yaml"))
    data = json.loads(out)
    # 3 DGX x 10.2 kW + SN2201 120 W + QM9700 (0 W placeholder when imported; the default catalog's figure when
    # the default catalog has it) = 30.72 kW + QM9700
    qm = known.get("QM9700")
    qm_w = float(qm.power.max) if qm is not None else 0.0
    assert data["totals"]["it_power_max_w"] == pytest.approx(3 * 10200 + 120 + qm_w, rel=1e-9)


def test_stdout_and_kind_override(capsys):
    code, out, _ = run(capsys, "catalog", "import-netbox", str(TYPES / "nvidia-qm9700.yaml"), "--kind",
                       "QM9700=switch_tray")
    assert code == 0
    part = yaml.safe_load(out)["parts"][0]
    assert part["kind"] == "switch_tray" and part["sources"]["kind"].startswith("given")


def test_bad_kind_is_a_usage_error(capsys):
    code, _, err = run(capsys, "catalog", "import-netbox", str(TYPES / "nvidia-qm9700.yaml"), "--kind", "QM9700=gpu")
    assert code == 2 and "PN=KIND" in err and "Traceback" not in err


GOOD = """manufacturer: Acme
model: X1
slug: acme-x1
u_height: 1
is_full_depth: true
interfaces:
  - name: eth0
    type: 100gbase-x-qsfp28
"""
BAD = [
    ("no-height.yaml", GOOD.replace("u_height: 1\n", ""), r"no-height\.yaml:1:1: error: missing 'u_height'"),
    ("half.yaml", GOOD.replace("u_height: 1", "u_height: 1.3"), r"half\.yaml:4:\d+: error: 'u_height' must be a "
     r"multiple of 0\.5"),
    ("iftype.yaml", GOOD.replace("100gbase-x-qsfp28", "100gbase-x-qsfp29"),
     r"iftype\.yaml:8:\d+: error: unknown NetBox interface type '100gbase-x-qsfp29' on 'eth0' "
     r"\(at /interfaces/0/type\)"),
    ("draw.yaml", GOOD + "power-ports:\n  - name: p1\n    type: iec-60320-c14\n    maximum_draw: 500\n"
     "    allocated_draw: 900\n", r"draw\.yaml:13:\d+: error: allocated_draw 900 W is above maximum_draw 500 W"),
    ("drawtype.yaml", GOOD + "power-ports:\n  - name: p1\n    maximum_draw: '500 W'\n",
     r"drawtype\.yaml:11:\d+: error: 'maximum_draw' must be an integer"),
    ("weight.yaml", GOOD + "weight: 12\n", r"weight\.yaml:9:\d+: error: 'weight' and 'weight_unit' go together"),
    ("unit.yaml", GOOD + "weight: 12\nweight_unit: stone\n", r"unit\.yaml:10:\d+: error: unknown weight_unit"),
    ("list.yaml", GOOD.replace("interfaces:\n  - name: eth0\n    type: 100gbase-x-qsfp28\n", "interfaces: eth0\n"),
     r"list\.yaml:6:\d+: error: 'interfaces' must be a list"),
    ("noname.yaml", GOOD.replace("  - name: eth0\n    type:", "  - type:"),
     r"noname\.yaml:7:\d+: error: interfaces entry has no 'name'"),
    ("yaml.yaml", GOOD + "  - name: [\n", r"yaml\.yaml:\d+:\d+: error: (malformed|truncated) YAML"),
    ("dup.yaml", GOOD + "u_height: 2\n", r"dup\.yaml:9:\d+: error: key .u_height. appears twice.*\(at /u_height\)"),
    ("scalar.yaml", "just a string\n", r"scalar\.yaml:1:1: error: a NetBox device type is a mapping"),
    ("nothing.yaml", "manufacturer: Acme\nmodel: Panel\nu_height: 1\n",
     r"nothing\.yaml:1:1: error: cannot tell what part this is.*\n  hint: pass --kind Panel=KIND"),
]


@pytest.mark.parametrize("name,text,pattern", BAD, ids=[b[0] for b in BAD])
def test_bad_file_is_one_clear_error(capsys, tmp_path, name, text, pattern):
    p = tmp_path / name
    p.write_text(text)
    out = tmp_path / "cat.yaml"
    code, stdout, err = run(capsys, "catalog", "import-netbox", str(p), "-o", str(out))
    assert code == 2 and "Traceback" not in err
    assert re.search(pattern, err), err
    assert not out.exists() and stdout == ""


def test_all_bad_files_are_reported_and_nothing_is_written(capsys, tmp_path):
    for name, text, _ in BAD[:3]:
        (tmp_path / name).write_text(text)
    (tmp_path / "good.yaml").write_text(GOOD)
    out = tmp_path / "out" / "cat.yaml"
    code, _, err = run(capsys, "catalog", "import-netbox", str(tmp_path), "-o", str(out))
    assert code == 2 and err.count(": error: ") == 3 and "3 file(s) not imported" in err
    assert not out.exists()


def test_duplicate_part_numbers(capsys, tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    code, _, err = run(capsys, "catalog", "import-netbox", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"))
    assert code == 2 and re.search(r"b\.yaml:2:\d+: error: part number 'X1' is also imported from", err)


def test_missing_file_and_empty_folder(capsys, tmp_path):
    code, _, err = run(capsys, "catalog", "import-netbox", str(tmp_path / "none.yaml"))
    assert code == 2 and "none.yaml: error: file not found" in err
    code, _, err = run(capsys, "catalog", "import-netbox", str(tmp_path))
    assert code == 2 and "holds no .yaml/.yml files" in err


def test_unknown_keys_warn(capsys, tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD + "colour: red\n")
    code, _, err = run(capsys, "catalog", "import-netbox", str(tmp_path / "a.yaml"))
    assert code == 0 and "key 'colour' is not a device-type field; ignored" in err
