"""`rackforge export netbox`: NetBox bulk-import files of the GB200 NVL72 and HGX H100 seeds, device types valid
against a strict device-type schema, a round trip through `catalog import-netbox`, atomic folder writes, and the
`--push` path against a stand-in for pynetbox (no network)."""
import csv
import io
import json
import math
import os
import sys

import pytest
import yaml

from rackforge.cli.app import main
from rackforge.engine import load_design
from rackforge.features.netbox.exporter import export_design, write_folder
from rackforge.features.netbox.importer import import_files
from rackforge.features.netbox.push import push
from tests.conftest import ROOT

G = str(ROOT / "seeds" / "gb200-nvl72.json")
H = str(ROOT / "seeds" / "hgx-h100-air.yaml")
SCHEMA = json.loads((ROOT / "tests" / "data" / "netbox" / "devicetype.schema.json").read_text())
IT_KINDS = ("compute_tray", "switch", "switch_tray")


def run(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    return (exc.value.code or 0), out.out, out.err


def rows(folder, name):
    return list(csv.DictReader(io.StringIO((folder / name).read_text())))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    base = tmp_path_factory.mktemp("nb")
    out = {}
    for key, seed in (("gb200", G), ("h100", H)):
        folder = base / key
        with pytest.raises(SystemExit) as exc:
            main(["export", "netbox", seed, "-o", str(folder)])
        assert (exc.value.code or 0) == 0
        out[key] = folder
    return out


def test_files_in_import_order(exported):
    names = sorted(p.name for p in exported["gb200"].iterdir())
    assert names == ["01-manufacturers.csv", "02-device-roles.csv", "03-device-types", "04-sites.csv",
                     "05-locations.csv", "06-rack-types.csv", "07-racks.csv", "08-power-panels.csv",
                     "09-power-feeds.csv", "10-devices.csv", "11-cables.csv", "README.txt"]


def test_device_types_are_valid(exported):
    import jsonschema

    v = jsonschema.Draft202012Validator(SCHEMA)
    n = 0
    for key in exported:
        for p in sorted((exported[key] / "03-device-types").rglob("*.yaml")):
            errs = list(v.iter_errors(yaml.safe_load(p.read_text())))
            assert errs == [], (p.name, [e.message for e in errs[:3]])
            n += 1
    assert n == 5 + 3   # GB200: tray, switch tray, shelf, SN2201-DC, manifold; H100: DGX, PDU, SN2201-AC


def test_gb200_racks_devices_and_cables(exported):
    f = exported["gb200"]
    seed = json.loads(open(G).read())
    mounts = seed["templates"]["nvl72"]["mounts"]
    racks = rows(f, "07-racks.csv")
    assert [(r["name"], r["u_height"], r["width"], r["rack_type"], r["location"]) for r in racks] == [
        ("r01", "48", "21", "ORV3-HPR-48RU", "Row A")]          # ORv3: 21-inch bay, 48 x 1 RU slots
    devs = {d["name"]: d for d in rows(f, "10-devices.csv")}
    assert len(devs) == len(mounts) == 38
    for m in mounts:
        d = devs[f"r01-{m['id']}"]
        assert d["device_type"] == m["part"] and d["rack"] == "r01"
        if "u" in m:
            assert (d["position"], d["face"]) == (str(m["u"]), m.get("face", "front"))
        else:
            assert d["position"] == "" and d["face"] == ""
    cables = rows(f, "11-cables.csv")
    # scale-up: 18 trays x 72 NVLink ports = 1,296 links; management: 18 compute + 9 switch trays = 27 BMC links
    nvl = [c for c in cables if c["label"] == "NVL5-CARTRIDGE-LINK"]
    mgmt = [c for c in cables if c["label"] == "CAT6-RJ45-3M"]
    assert (len(nvl), len(mgmt), len(cables)) == (1296, 27, 1323)
    assert {(c["type"], c["length"], c["length_unit"]) for c in mgmt} == {("cat6", "3.0", "m")}
    assert {c["type"] for c in nvl} == {""}   # NetBox has no cable type for a backplane link
    assert all(c["side_a_type"] == c["side_b_type"] == "dcim.interface" for c in cables)
    ends = [(c["side_a_device"], c["side_a_name"]) for c in cables] + [(c["side_b_device"], c["side_b_name"])
                                                                         for c in cables]
    assert len(ends) == len(set(ends))           # each interface cabled once
    assert ("r01-ct01", "nvl0") in ends and ("r01-mg1", "ge0") in ends
    feeds = rows(f, "09-power-feeds.csv")
    assert [(x["name"], x["power_panel"], x["supply"], x["phase"], x["voltage"], x["amperage"],
             x["max_utilization"]) for x in feeds] == [
        ("r01-A", "UPS-A", "ac", "three-phase", "415", "250", "80"),
        ("r01-B", "UPS-B", "ac", "three-phase", "415", "250", "80")]
    assert [p["name"] for p in rows(f, "08-power-panels.csv")] == ["UPS-A", "UPS-B"]


def test_gb200_tray_device_type(exported):
    dt = yaml.safe_load((exported["gb200"] / "03-device-types" / "NVIDIA" / "nvidia-gb200-nvl72-ct.yaml").read_text())
    assert (dt["u_height"], dt["weight"], dt["weight_unit"], dt["is_full_depth"]) == (1, 33, "kg", True)
    # one DC input from the busbar: maximum_draw = 6.3 kW max, allocated = 5.4 kW typical
    assert dt["power-ports"] == [{"name": "PWR", "type": "dc-terminal", "maximum_draw": 6300,
                                  "allocated_draw": 5400}]
    types = {}
    for it in dt["interfaces"]:
        types[it["type"]] = types.get(it["type"], 0) + 1
    assert types == {"other": 72, "400gbase-x-osfp": 4, "400gbase-x-qsfp112": 2, "1000base-t": 1}
    assert [it for it in dt["interfaces"] if it.get("mgmt_only")] == [
        {"name": "bmc0", "type": "1000base-t", "mgmt_only": True,
         "description": "rackforge: role=management ff=RJ45 speed_bps=1000000000 lanes=1 face=front"}]


def test_h100_pdus_and_servers(exported):
    f = exported["h100"]
    devs = {d["name"]: d for d in rows(f, "10-devices.csv")}
    assert devs["r01-node2"]["position"] == "9" and devs["r01-pdu-a"]["position"] == ""
    dgx = yaml.safe_load((f / "03-device-types" / "NVIDIA" / "nvidia-dgx-h100.yaml").read_text())
    # six 3.3 kW supplies (C20 inlets: above the 10 A of a C14) sharing 10.2 kW max / 7.5 kW typical
    assert [(p["type"], p["maximum_draw"], p["allocated_draw"]) for p in dgx["power-ports"]] == [
        ("iec-60320-c20", 1700, 1250)] * 6
    pdu = yaml.safe_load((f / "03-device-types" / "Generic" / "generic-pdu-3p-415v-63a.yaml").read_text())
    assert pdu["u_height"] == 0 and len(pdu["power-outlets"]) == 36
    assert {o["feed_leg"] for o in pdu["power-outlets"]} == {"A", "B", "C"}
    # sqrt(3) x 397.5 V (mean of 380-415 V) x 63 A = 43,375 W
    assert pdu["power-ports"][0]["maximum_draw"] == round(math.sqrt(3) * 397.5 * 63)
    assert len(rows(f, "09-power-feeds.csv")) == 4 and len(rows(f, "11-cables.csv")) == 4


@pytest.mark.parametrize("seed", [G, H], ids=["gb200", "h100"])
def test_round_trip_keeps_the_key_figures(tmp_path, seed):
    ld = load_design(seed)
    ex = export_design(ld)
    write_folder(ex.files(), tmp_path / "out")
    files = sorted(str(p) for p in (tmp_path / "out" / "03-device-types").rglob("*.yaml"))
    it_files = [p for p in files if any(f"kind {k})" in open(p).read() for k in IT_KINDS)]
    cat, _, errors = import_files(it_files)
    assert errors == []
    back = {p["pn"]: p for p in cat["parts"]}
    checked = 0
    for pn, got in back.items():
        part = ld.catalog.get(pn)
        assert got["kind"] == part.kind
        assert float(got["height"].split()[0]) == pytest.approx(float(part.height) / 0.04445)
        assert float(got["mass"].split()[0]) == pytest.approx(float(part.mass))
        n = part.psus.count if part.psus is not None else 1
        # per-supply draws are whole watts: max rounded up, typical to the nearest watt
        mx = _watts(got["power"]["max"])
        assert 0 <= mx - float(part.power.max) < n
        assert abs(_watts(got["power"]["typical"]) - float(part.power.typical)) <= n / 2
        want = [(g.name, g.role, g.form_factor, float(g.speed), g.lanes, g.count, g.face) for g in part.ports]
        have = [(g["name"], g["role"], g["form_factor"], _bps(g["speed"]), g["lanes"], g["count"], g["face"])
                for g in got["ports"]]
        assert have == want
        checked += 1
    assert checked == (3 if seed == G else 2)


def _watts(s):
    v, u = s.split()
    return float(v) * (1000 if u == "kW" else 1)


def _bps(s):
    v, u = s.split()
    return float(v) * {"Tbit/s": 1e12, "Gbit/s": 1e9, "Mbit/s": 1e6}[u]


# --- atomic writes -------------------------------------------------------------------------------------------------

def test_failed_write_leaves_no_folder(capsys, tmp_path, monkeypatch):
    calls = []

    def disk_full(fd):
        calls.append(fd)
        if len(calls) > 3:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    code, _, err = run(capsys, "export", "netbox", G, "-o", str(tmp_path / "nb"))
    assert code == 2 and "No space left on device" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []        # neither the folder nor its temporary twin


def test_earlier_export_is_replaced_whole_and_kept_on_failure(capsys, tmp_path, monkeypatch):
    out = tmp_path / "nb"
    assert run(capsys, "export", "netbox", G, "-o", str(out))[0] == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    assert run(capsys, "export", "netbox", H, "-o", str(out))[0] == 2
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    monkeypatch.undo()
    assert run(capsys, "export", "netbox", H, "-o", str(out))[0] == 0
    assert not (out / "03-device-types" / "NVIDIA" / "nvidia-gb200-nvl72-ct.yaml").exists()
    assert (out / "03-device-types" / "NVIDIA" / "nvidia-dgx-h100.yaml").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb"]


def test_other_folders_are_not_replaced(capsys, tmp_path):
    (tmp_path / "mine.txt").write_text("keep")
    code, _, err = run(capsys, "export", "netbox", G, "-o", str(tmp_path))
    assert code == 2 and "not an earlier 'rackforge export netbox' folder" in err
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_bad_designs_exit_2(capsys, tmp_path, write_design, h100):
    code, _, err = run(capsys, "export", "netbox", str(tmp_path / "none.yaml"), "-o", str(tmp_path / "o"))
    assert code == 2 and "file not found" in err
    h100["templates"]["h100-rack"]["mounts"][2]["part"] = "NO-SUCH-PART"
    code, _, err = run(capsys, "export", "netbox", str(write_design(h100)), "-o", str(tmp_path / "o"))
    assert code == 2 and "unknown part(s) NO-SUCH-PART" in err and "Traceback" not in err
    del h100["templates"]["h100-rack"]["frame"]
    code, _, err = run(capsys, "export", "netbox", str(write_design(h100)), "-o", str(tmp_path / "o"))
    assert code == 2 and "does not match the schema" in err
    assert not (tmp_path / "o").exists()
    code, _, err = run(capsys, "export", "netbox", G)
    assert code == 2 and "--output DIR, --push URL" in err


# --- push ----------------------------------------------------------------------------------------------------

class Endpoint:
    def __init__(self, api, name):
        self.api, self.name, self.rows = api, name, []

    def get(self, **kw):
        hits = [r for r in self.rows if all(_match(r, k, v) for k, v in kw.items())]
        assert len(hits) <= 1
        return hits[0] if hits else None

    def filter(self, **kw):
        return [r for r in self.rows if all(_match(r, k, v) for k, v in kw.items())]

    def create(self, data):
        items = data if isinstance(data, list) else [data]
        out = []
        for it in items:
            row = dict(it, id=len(self.rows) + 1)
            self.rows.append(row)
            out.append(row)
            self.api.on_create(self.name, row)
        return out if isinstance(data, list) else out[0]


def _match(row, key, value):
    if key.endswith("_id"):
        return row.get(key[:-3]) == value
    return row.get(key) == value


class FakeNetBox:
    """The part of pynetbox's surface the push uses; like NetBox, a device gets its type's interfaces, and a
    cable marks its interfaces."""

    def __init__(self):
        self.dcim = self
        self.eps = {}

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self.eps.setdefault(name, Endpoint(self, name))

    def on_create(self, ep, row):
        if ep == "devices":
            for t in self.interface_templates.filter(device_type_id=row["device_type"]):
                self.interfaces.create({"device": row["id"], "name": t["name"], "type": t["type"], "cable": None})
        if ep == "cables":
            for side in ("a_terminations", "b_terminations"):
                for t in row[side]:
                    next(i for i in self.interfaces.rows if i["id"] == t["object_id"])["cable"] = row["id"]


def test_push_creates_everything_once():
    ex = export_design(load_design(G))
    api = FakeNetBox()
    res = push(ex, api)
    assert res.created["devices"] == 38 and res.created["cables"] == 1323 and res.created["device_types"] == 5
    assert res.created["racks"] == 1 and res.created["power_feeds"] == 2 and res.created["rack_types"] == 1
    # the first NVLink cable joins ct11:nvl0 and st1:nvl0 (pattern order), by interface id
    dev = {d["name"]: d["id"] for d in api.devices.rows}
    first = api.cables.rows[0]
    a = next(i for i in api.interfaces.rows if i["id"] == first["a_terminations"][0]["object_id"])
    b = next(i for i in api.interfaces.rows if i["id"] == first["b_terminations"][0]["object_id"])
    assert (a["device"], a["name"], b["device"], b["name"]) == (dev["r01-ct11"], "nvl0", dev["r01-st1"], "nvl0")
    assert first["length"] == 1.5 and first["label"] == "NVL5-CARTRIDGE-LINK" and "type" not in first
    ct = next(d for d in api.devices.rows if d["name"] == "r01-ct01")
    assert (ct["position"], ct["face"], ct["rack"]) == (23, "front", api.racks.rows[0]["id"])
    again = push(ex, api)
    assert again.created == {} and again.existing["cables"] == 1323 and len(api.cables.rows) == 1323


def test_push_needs_a_token_and_pynetbox(capsys, monkeypatch):
    monkeypatch.delenv("NETBOX_TOKEN", raising=False)
    code, _, err = run(capsys, "export", "netbox", H, "--push", "https://netbox.example")
    assert code == 2 and "NETBOX_TOKEN" in err
    monkeypatch.setenv("NETBOX_TOKEN", "0123")
    monkeypatch.setitem(sys.modules, "pynetbox", None)     # import pynetbox -> ImportError
    code, _, err = run(capsys, "export", "netbox", H, "--push", "https://netbox.example")
    assert code == 2 and "pip install 'rackforge[netbox]'" in err and "Traceback" not in err


def test_push_uses_pynetbox_with_the_token(capsys, monkeypatch):
    seen = {}
    api = FakeNetBox()

    class FakeModule:
        @staticmethod
        def api(url, token):
            seen.update(url=url, token=token)
            return api

    monkeypatch.setenv("NETBOX_TOKEN", "0123")
    monkeypatch.setitem(sys.modules, "pynetbox", FakeModule)
    code, _, err = run(capsys, "export", "netbox", H, "--push", "https://netbox.example")
    assert code == 0 and seen == {"url": "https://netbox.example", "token": "0123"}
    assert "created" in err and len(api.devices.rows) == 9 and len(api.cables.rows) == 4


def test_pynetbox_is_not_imported_by_export():
    import subprocess

    code = ("import sys; from rackforge.cli.app import main\n"
            "try:\n    main(['export', 'netbox', %r, '-o', %r])\nexcept SystemExit: pass\n"
            "print('pynetbox' in sys.modules)")
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([sys.executable, "-c", code % (H, os.path.join(d, "nb"))], capture_output=True,
                             text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr


def test_rows_and_links_between_racks(capsys, tmp_path, write_design, h100):
    """A row of three racks from one template: one rack per instance, feeds per rack, and a design-level link
    between racks with its own length."""
    h100["racks"] = []
    h100["rows"] = [{"id": "B", "template": "h100-rack", "count": 3}]
    h100["links"] = [{"a": "B-000/node1:cx0", "b": "B-002/node1:cx0", "cable": "OSFP-400G-DAC-2M", "length": "4 m"}]
    out = tmp_path / "nb"
    assert run(capsys, "export", "netbox", str(write_design(h100)), "-o", str(out))[0] == 0
    assert [r["name"] for r in rows(out, "07-racks.csv")] == ["B-000", "B-001", "B-002"]
    assert len(rows(out, "10-devices.csv")) == 3 * 9 and len(rows(out, "09-power-feeds.csv")) == 3 * 4
    cables = rows(out, "11-cables.csv")
    assert len(cables) == 3 * 4 + 1
    last = cables[-1]
    assert (last["side_a_device"], last["side_b_device"], last["type"], last["length"]) == (
        "B-000-node1", "B-002-node1", "dac-passive", "4.0")
