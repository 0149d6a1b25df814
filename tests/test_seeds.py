"""Every seed validates clean against its own generation; analyze figures checked by hand."""
import json

import pytest

from rackforge.api import analyze, validate
from rackforge.model.findings import Severity
from tests.conftest import seed_files


@pytest.mark.parametrize("path", seed_files(), ids=lambda p: p.name)
def test_seed_is_clean(path):
    res = validate(str(path))
    assert [f"{f.code} {f.message}" for f in res.findings if f.severity >= Severity.WARNING] == []


def test_gb200_analysis_by_hand():
    a = analyze("seeds/gb200-nvl72.json")
    rack = a["racks"][0]
    # 18 compute trays x 6.3 kW + 9 switch trays x 0.4 kW + 2 management switches x 0.12 kW
    assert rack["it_power_max_w"] == pytest.approx(18 * 6300 + 9 * 400 + 2 * 120, rel=1e-12)
    # peak: compute trays carry a 1.2 peak factor, the others 1.0
    assert rack["it_power_peak_w"] == pytest.approx(18 * 6300 * 1.2 + 9 * 400 + 2 * 120, rel=1e-12)
    assert rack["accelerator_packages"] == 72 and rack["accelerator_dies"] == 144
    # 8 shelves x (12 kg + 6 PSUs x 2.8 kg), 18 x 33 kg, 9 x 30 kg, 2 x 7 kg, manifold 35 kg, busbar 25 kg
    payload = 8 * (12 + 6 * 2.8) + 18 * 33 + 9 * 30 + 2 * 7 + 35 + 25
    assert rack["payload_kg"] == pytest.approx(payload, rel=1e-12)
    assert rack["mass_kg"] == pytest.approx(payload + 180, rel=1e-12)
    # rack units: 8 shelves + 18 + 9 + 2 switches, all 1 RU; the manifold is 0U
    assert rack["rack_units_used"] == 37 and rack["rack_units_total"] == 48
    assert rack["parts_by_kind"] == {"compute_tray": 18, "manifold": 1, "power_shelf": 8, "switch": 2,
                                     "switch_tray": 9}


def test_h100_analysis_by_hand():
    a = analyze("seeds/hgx-h100-air.yaml")
    rack = a["racks"][0]
    assert rack["it_power_max_w"] == pytest.approx(4 * 10200 + 120)
    assert rack["rack_units_used"] == 4 * 8 + 1
    assert rack["mass_kg"] == pytest.approx(160 + 4 * 130 + 7 + 4 * 9)   # four 9 kg PDUs (feeds A-D)
    assert a["totals"]["accelerator_packages"] == 32


def test_analyze_json_keys_carry_units(capsys):
    from rackforge.cli.app import main

    with pytest.raises(SystemExit) as exc:
        main(["analyze", "--format", "json", "seeds/gb200-nvl72.json"])
    assert exc.value.code in (0, None)
    data = json.loads(capsys.readouterr().out)
    for k, v in data["racks"][0].items():
        if isinstance(v, float):
            assert k.endswith(("_w", "_kg")), k


def test_rows_of_templates_stay_short(tmp_path, gb200):
    gb200["racks"] = []
    gb200["rows"] = [{"id": "A", "template": "nvl72", "count": 1000}]
    p = tmp_path / "hall.json"
    p.write_text(json.dumps(gb200))
    res = validate(str(p))
    assert res.findings == []
    assert len(res.loaded.resolved.racks) == 1000
    assert res.loaded.resolved.racks[999].id == "A-999"
    a = analyze(str(p))
    assert a["totals"]["accelerator_packages"] == 72_000
