"""Air side: airflow rule, barometric pressure, moist-air properties, RDHx, ASHRAE classes."""
import math

import numpy as np
import pytest

from rackforge.solvers import air

CP = pytest.importorskip("CoolProp.CoolProp")


def test_one_kw_at_11_1_k_is_about_158_cfm():
    # public figures sec. 6: 1 kW at 11.1 K (20 degF) = 158 CFM with rho 1.2, cp 1.005 [D].
    # Dry air at 20 degC and sea level has rho 1.204, cp 1.006 -> 157.6 CFM; tolerance 1 %.
    v = air.required_airflow(1000.0, 11.1, 20.0)
    assert v / air.M3_S_PER_CFM == pytest.approx(158.0, rel=0.01)
    # the IP rule CFM = 3.16 W / dT(degF) agrees within 1.5 %
    assert v / air.M3_S_PER_CFM == pytest.approx(3.16 * 1000 / 20.0, rel=0.015)


def test_barometric_pressure_matches_ashrae_table():
    # ASHRAE Fundamentals 2017, ch. 1, Table 1: 101.325 kPa (0 m), 84.556 (1500 m), 70.109 (3000 m)
    p = air.barometric_pressure(np.array([0.0, 1500.0, 3000.0]))
    assert np.allclose(p, [101325.0, 84556.0, 70109.0], rtol=2e-4)


def test_density_at_altitude_and_against_coolprop():
    rho0 = air.moist_air_density(20.0, air.barometric_pressure(0.0), 0.0)
    assert rho0 == pytest.approx(CP.PropsSI("D", "T", 293.15, "P", 101325.0, "Air"), rel=1e-3)
    rho_alt = air.moist_air_density(20.0, air.barometric_pressure(2000.0), 0.0)
    p_ratio = air.barometric_pressure(2000.0) / 101325.0
    assert rho_alt / rho0 == pytest.approx(p_ratio, rel=1e-12)  # ideal gas at equal temperature
    # more airflow is needed at altitude in exactly that ratio
    assert air.required_airflow(1000, 10, 20, altitude_m=2000.0) == pytest.approx(
        air.required_airflow(1000, 10, 20) / p_ratio, rel=1e-12)


def test_moist_air_against_coolprop_humid_air():
    t, rh = 25.0, 0.5
    rho = air.moist_air_density(t, 101325.0, rh)
    v_ha = CP.HAPropsSI("Vha", "T", t + 273.15, "P", 101325.0, "R", rh)  # m^3 per kg humid air
    assert rho == pytest.approx(1.0 / v_ha, rel=1e-3)
    w = air.humidity_ratio(t, 101325.0, rh)
    # CoolProp adds the enhancement factor (~1.004) and Hyland-Wexler saturation; Magnus is within
    # 0.4 % of it, so the humidity ratio agrees to about 1 %
    assert w == pytest.approx(CP.HAPropsSI("W", "T", t + 273.15, "P", 101325.0, "R", rh), rel=1e-2)
    cp = air.moist_air_cp(w)
    assert cp == pytest.approx(CP.HAPropsSI("cp_ha", "T", t + 273.15, "P", 101325.0, "R", rh), rel=2e-3)


def test_exhaust_temperature_inverts_required_airflow():
    v = air.required_airflow(17e3, 15.0, 27.0, altitude_m=500.0, rh=0.4)
    assert air.exhaust_temperature(17e3, v, 27.0, altitude_m=500.0, rh=0.4) == pytest.approx(42.0)


def test_rear_door_hx_by_hand():
    # 20 kW into 1.2 m^3/s at 25 degC, door water 18 degC, effectiveness 0.6, water side larger
    rho, cp = air.moist_air_density(25.0), air.moist_air_cp(0.0)
    c_air = rho * cp * 1.2
    t_ex = 25.0 + 20e3 / c_air
    res = air.rear_door_hx(20e3, 1.2, 25.0, 18.0, 0.6)
    assert res.heat_removed_w == pytest.approx(0.6 * c_air * (t_ex - 18.0))
    assert res.t_air_out_c == pytest.approx(t_ex - res.heat_removed_w / c_air)
    assert res.share == pytest.approx(res.heat_removed_w / 20e3)
    # perfect door: air leaves at the water temperature
    assert air.rear_door_hx(20e3, 1.2, 25.0, 18.0, 1.0).t_air_out_c == pytest.approx(18.0)
    # with a water flow, the water warms by q / C_w
    r2 = air.rear_door_hx(20e3, 1.2, 25.0, 18.0, 0.6, water_flow_m3_s=1e-3)
    assert r2.t_water_out_c == pytest.approx(18.0 + r2.heat_removed_w / (997.0 * 4180.0 * 1e-3))


def test_crossflow_effectiveness_limits():
    # Cr -> 0: every exchanger tends to 1 - exp(-NTU) (Incropera eq. 11.35a)
    for ntu in (0.5, 1.0, 3.0):
        assert air.crossflow_effectiveness(ntu, 1e-6) == pytest.approx(1 - math.exp(-ntu), rel=1e-4)
    # NTU = 1, Cr = 1, both unmixed: 1 - exp(e^-1 - 1) = 0.4685 by hand
    assert air.crossflow_effectiveness(1.0, 1.0) == pytest.approx(1 - math.exp(math.exp(-1) - 1), rel=1e-12)


def test_ashrae_air_classes():
    # public figures sec. 5g
    assert air.AIR_CLASSES["A1"].allowable_max_c == 32.0
    assert air.AIR_CLASSES["A4"].allowable_max_c == 45.0
    assert air.AIR_CLASSES["H1"].recommended_max_c == 22.0
    assert air.check_air_inlet(27.0, "A1") == (True, True)
    assert air.check_air_inlet(33.0, "A1") == (False, False)
    assert air.check_air_inlet(33.0, "A2") == (True, False)
    assert air.check_air_inlet(26.0, "H1") == (False, False)
    assert air.air_classes_containing(24.0) == ["A1", "H1", "A2", "A3", "A4"]  # narrowest first
    assert air.air_classes_containing(12.0) == ["H1", "A2", "A3", "A4"]
    assert air.air_classes_containing(50.0) == []
    with pytest.raises(ValueError):
        air.check_air_inlet(20.0, "A9")


def test_facility_water_classes():
    assert air.facility_water_class_max("W32") == 32.0
    assert air.classify_facility_water(30.0) == "W32"
    assert air.classify_facility_water(17.0) == "W17"
    assert air.classify_facility_water(50.0) == "W+"
    assert air.facility_water_class_max("W+", 55.0) == 55.0
    with pytest.raises(ValueError):
        air.facility_water_class_max("W+", 40.0)
