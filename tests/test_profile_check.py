"""`rackforge generations check`: every profile's power envelope is deliverable by the redundancy it demands with
its seed's parts (RF903), and its air class is reviewed against the parts' own inlet limits (RF904).

Expected figures by hand from the catalog: GB200/GB300 shelves 6 x 5.5 kW = 33 kW, 8 shelves = 264 kW, four per
feed: one side alone 132 kW. DGX H100: 6 x 3.3 kW, N+2 leaves 4 x 3.3 = 13.2 kW per server, x 4 = 52.8 kW.
"""
import shutil

import pytest
import yaml

from rackforge.cli.app import main
from rackforge.features.profilecheck import check
from tests.conftest import ROOT


def test_every_profile_is_consistent_with_its_seed():
    items, unseeded = check(ROOT / "seeds")
    assert unseeded == []
    errors = [i for i in items if i.severity == "error"]
    assert errors == [], [i.message for i in errors]
    power = {i.generation: i for i in items if i.code == "RF903"}
    assert set(power) == {"hgx-h100-air", "gb200-nvl72", "gb200-nvl72-eu", "gb300-nvl72", "amd-helios", "vr-nvl72",
                          "rubin-ultra-kyber"}
    assert power["gb200-nvl72"].value == pytest.approx(4 * 6 * 5500.0)
    assert power["hgx-h100-air"].value == pytest.approx(4 * 4 * 3300.0 + 120.0)   # + the SN2201 on its own supply


def test_air_class_wider_than_the_dgx_is_a_warning():
    items, _ = check(ROOT / "seeds")
    w = [i for i in items if i.code == "RF904"]
    assert [(i.generation, i.value, i.limit) for i in w] == [("hgx-h100-air", pytest.approx(30.0), 35.0)]


def test_envelope_beyond_n_plus_n_fails(tmp_path, capsys):
    """The GB300 profile before this change: 142 kW with N+N on 8 x 33 kW shelves (132 kW on one side)."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(ROOT / "seeds" / "gb300-nvl72.yaml", seeds)
    gen = {"generations": [{"id": "gb300-142", "name": "GB300 at NVIDIA's 142 kW", "extends": "gb300-nvl72",
                            "year": 2025, "power": {"rack_power_max": "142 kW"}}]}
    (tmp_path / "g.yaml").write_text(yaml.safe_dump(gen))
    d = yaml.safe_load((seeds / "gb300-nvl72.yaml").read_text())
    d["generation"] = "gb300-142"
    (seeds / "gb300-nvl72.yaml").write_text(yaml.safe_dump(d))
    with pytest.raises(SystemExit) as exc:
        main(["generations", "check", "--seeds", str(seeds), "-c", str(tmp_path / "g.yaml")])
    out = capsys.readouterr().out
    assert exc.value.code == 1
    assert "gb300-142" in out and "RF903 error" in out and "132.0 kW for the 142 kW envelope" in out
