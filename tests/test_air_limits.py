"""Altitude derating of the ASHRAE classes and of parts' own inlet limits, and the airflow the air side uses.

Expected values are worked by hand from ASHRAE TC 9.9 (2021) Table 2.1 footnotes: the allowable maximum dry
bulb falls 1 K per 300 m (A1/A2), 175 m (A3), 125 m (A4) above 900 m.
"""
import copy

import pytest

from rackforge.api import validate
from rackforge.engine import Options
from rackforge.model.schema.catalog import Airflow
from rackforge.solvers.air import M3_S_PER_CFM, class_allowable_max_c, derated_max_c, fan_law_flow
from tests.conftest import load_seed


@pytest.mark.parametrize("cls, alt, expected", [
    ("A2", 0.0, 35.0),                        # below 900 m: no derating
    ("A2", 900.0, 35.0),
    ("A2", 2500.0, 35.0 - 1600.0 / 300.0),    # 29.667 degC
    ("A1", 3050.0, 32.0 - 2150.0 / 300.0),    # 24.833 degC
    ("A3", 2000.0, 40.0 - 1100.0 / 175.0),    # 33.714 degC
    ("A4", 3050.0, 45.0 - 2150.0 / 125.0),    # 27.8 degC
])
def test_class_derating(cls, alt, expected):
    assert class_allowable_max_c(cls, alt) == pytest.approx(expected, abs=1e-12)


def test_part_derating_own_figures():
    # a part rated 35 degC, derated 1 K per 200 m above 1,000 m, at 2,000 m: 30 degC
    assert float(derated_max_c(35.0, 2000.0, 1000.0, 200.0)) == pytest.approx(30.0, abs=1e-12)


def test_fan_law():
    # first fan law: 1,100 CFM at 80 % duty is 1,375 CFM at 100 %
    assert float(fan_law_flow(1100.0, 0.8, 1.0)) == pytest.approx(1375.0, rel=1e-12)


def test_airflow_capacity_prefers_rated():
    a = Airflow.model_validate({"rated": "1100 CFM", "rated_duty": 0.8, "max": "1600 CFM"})
    assert a.capacity / M3_S_PER_CFM == pytest.approx(1100.0, rel=1e-9)
    assert Airflow.model_validate({"max": "60 CFM"}).capacity / M3_S_PER_CFM == pytest.approx(60.0, rel=1e-9)
    with pytest.raises(ValueError):
        Airflow.model_validate({"direction": "front_to_back"})


def _codes(res):
    return sorted({f.code for f in res.findings if f.severity.name == "ERROR"})


def test_dgx_inlet_32c_fails_on_its_own_rating(write_design):
    d = load_seed("hgx-h100-air.yaml")
    d["site"]["air_inlet_temperature"] = "32 degC"   # legal for class A2 (35 degC), not for the DGX (30 degC)
    res = validate(str(write_design(d)), Options())
    assert _codes(res) == ["RF331"]
    msg = next(f.message for f in res.findings if f.code == "RF331")
    assert "30 degC" in msg and "32 degC" in msg


def test_hot_inlet_legal_at_sea_level_fails_at_altitude(write_design):
    d = load_seed("hgx-h100-air.yaml")
    d["site"]["air_inlet_temperature"] = "30 degC"
    assert "RF311" not in _codes(validate(str(write_design(d)), Options(select=("RF311",))))
    d2 = copy.deepcopy(d)
    d2["site"]["altitude"] = "2500 m"                # A2 allows 29.67 degC there
    res = validate(str(write_design(d2)), Options(select=("RF311",)))
    msg = next(f.message for f in res.findings if f.code == "RF311")
    assert "29.67" in msg and "2,500 m" in msg


def test_dgx_air_capacity_is_the_published_figure(write_design):
    from rackforge.api import analyze

    out = analyze(str(write_design(load_seed("hgx-h100-air.yaml"))))
    rack = out["cooling"]["racks"][0]
    nodes = [d for d in rack["devices"] if d["device"].startswith("node")]
    # NVIDIA: ~1,100 CFM at 80 % PWM per DGX H100 (was 1,612 CFM, a derived need, before)
    for d in nodes:
        assert d["airflow_available_m3_s"] / M3_S_PER_CFM == pytest.approx(1100.0, rel=1e-9)
    # 4 x 1,100 + SN2201's 60 CFM
    assert rack["airflow_available_m3_s"] / M3_S_PER_CFM == pytest.approx(4460.0, rel=1e-9)


def test_site_humidity_reaches_the_air_side(write_design):
    """Moist air is lighter than dry air at the same temperature and pressure (water vapour's R 461.5 against dry
    air's 287.0 J/(kg K)), so carrying the same heat needs more volume: at 24 degC, 100 m and 60 % RH the vapour
    pressure is 0.6 x 2,985 Pa = 1,791 Pa and the density falls by ~0.7 %."""
    from rackforge.api import analyze

    d = load_seed("hgx-h100-air.yaml")
    dry = analyze(str(write_design(d)))["cooling"]["racks"][0]["airflow_needed_m3_s"]
    d["site"]["air_relative_humidity"] = 0.6
    wet = analyze(str(write_design(d)))["cooling"]["racks"][0]["airflow_needed_m3_s"]
    pw = 0.6 * 610.94 * 2.718281828459045 ** (17.625 * 24 / (24 + 243.04))
    p = 101325 * (1 - 2.25577e-5 * 100) ** 5.2559
    t = 297.15
    rho_dry, rho_wet = p / (287.042 * t), (p - pw) / (287.042 * t) + pw / (461.524 * t)
    w = 0.621945 * pw / (p - pw)
    cp_wet = (1006 + 1860 * w) / (1 + w)
    assert wet / dry == pytest.approx((rho_dry * 1006) / (rho_wet * cp_wet), rel=1e-9)
