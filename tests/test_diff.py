"""`rackforge diff`: parts, figures, cost and findings between two designs, checked by hand."""
import json

import pytest

from rackforge.cli.app import main
from rackforge.features.diff import diff, figures_of
from tests.conftest import ROOT

GB200 = str(ROOT / "seeds" / "gb200-nvl72.json")
GB300 = str(ROOT / "seeds" / "gb300-nvl72.yaml")


def test_gb200_to_gb300_by_hand():
    d = diff(figures_of(GB200), figures_of(GB300))
    parts = {p["pn"]: (p["a"], p["b"]) for p in d["parts"]}
    assert parts == {"GB200-NVL72-CT": (18, 0), "GB300-NVL72-CT": (0, 18),
                     "PS-33K-ORV3-HPR": (8, 0), "PS-33K-ORV3-HPR-ES": (0, 8),
                     "PSU-5K5-ORV3-HPR": (48, 0), "PSU-5K5-ORV3-HPR-ES": (0, 48)}
    fig = {f["figure"]: f for f in d["figures"]}
    assert fig["it_power_max_w"]["change"] == pytest.approx(18 * (6600 - 6300))
    assert fig["scale_out_bandwidth_per_accelerator_bps"]["a"] == 400e9
    assert fig["scale_out_bandwidth_per_accelerator_bps"]["b"] == 800e9
    assert fig["memory_bytes"]["change"] == pytest.approx(72 * (288e9 - 186e9))
    # trays 35 vs 33 kg; PSUs 3.2 vs 2.8 kg
    assert fig["mass_kg"]["change"] == pytest.approx(18 * 2 + 48 * 0.4)
    assert fig["accelerator_packages"]["change"] == 0
    # trays 300k vs 280k USD, PSUs 1,300 vs 900 USD, shelves the same
    assert d["cost"]["change_usd"] == pytest.approx(18 * 20000 + 48 * 400)
    assert d["findings"] == {"appeared": [], "gone": [], "unchanged": 0}


def test_same_design_no_change():
    d = diff(figures_of(GB200), figures_of(GB200))
    assert d["parts"] == [] and all(f["change"] == 0 for f in d["figures"])
    assert d["cost"]["change_usd"] == 0


def test_findings_appear_and_go(gb200, write_design):
    gb200["templates"]["nvl72"]["frame"] = "EIA-48U-600x1200"
    bad = str(write_design(gb200))
    d = diff(figures_of(GB200), figures_of(bad))
    codes = {f["code"] for f in d["findings"]["appeared"]}
    assert "RF107" in codes and d["findings"]["gone"] == []
    back = diff(figures_of(bad), figures_of(GB200))
    assert {f["code"] for f in back["findings"]["gone"]} == codes
    assert {p["pn"]: p["change"] for p in d["parts"]} == {"ORV3-HPR-48RU": -1, "EIA-48U-600x1200": 1}


def test_cli_formats(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["diff", GB200, GB300, "-f", "json"])
    assert exc.value.code == 0
    assert json.loads(capsys.readouterr().out)["cost"]["change_usd"] == pytest.approx(379200)
    with pytest.raises(SystemExit):
        main(["diff", GB200, GB300, "-f", "markdown"])
    md = capsys.readouterr().out
    assert "| `GB300-NVL72-CT` | compute_tray | 0 | 18 | +18 |" in md
    with pytest.raises(SystemExit):
        main(["diff", GB200, GB300])
    assert "scale out bandwidth per accelerator" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["diff", GB200, str(tmp_path / "nope.yaml")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "nope.yaml" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exc:
        main(["diff", "-", "-"])
    assert exc.value.code == 2


def test_a_server_psu_override_is_a_change(tmp_path):
    """Issue 18: the PSUs a mount override puts in a server are counted by diff as by the power model and BOM.
    The Kyber seed's pods hold 26 converters each (override of the pod's 14); one pod back to 14 is 12 fewer."""
    import yaml

    src = ROOT / "seeds" / "rubin-ultra-kyber.yaml"
    d = yaml.safe_load(src.read_text())
    pod = next(m for t in d["templates"].values() for m in t["mounts"] if m["id"] == "pod1")
    pod["psus"]["count"] = 14
    p = tmp_path / "k.yaml"
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    out = diff(figures_of(str(src)), figures_of(str(p)))
    parts = {x["pn"]: (x["a"], x["b"]) for x in out["parts"]}
    assert parts == {"DCX-800V-50V-12K": (4 * 26, 3 * 26 + 14)}
