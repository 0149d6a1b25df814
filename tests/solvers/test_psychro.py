"""Dew point (Magnus form) against CoolProp's humid-air model, an independent implementation (ASHRAE RP-1485
virial-based), and the room dew point the condensation rule uses."""
import numpy as np
import pytest

from rackforge.solvers.psychro import dew_point


@pytest.mark.parametrize("t_c", [10.0, 18.0, 25.0, 32.0, 40.0])
@pytest.mark.parametrize("rh", [0.2, 0.5, 0.8, 1.0])
def test_dew_point_against_coolprop(t_c, rh):
    # The Magnus form is good to about 0.4% in vapour pressure from -40 to 50 degC; CoolProp adds the
    # enhancement factor of moist air at 1 atm. 0.25 K covers both over this range.
    HAPropsSI = pytest.importorskip("CoolProp.HumidAirProp").HAPropsSI
    ref = HAPropsSI("D", "T", t_c + 273.15, "P", 101325.0, "R", rh) - 273.15
    if ref < 0.0:
        pytest.skip("below 0 degC CoolProp gives the frost point (over ice); the Magnus form here is over water, "
                    "and coolant is never supplied below 0 degC")
    assert dew_point(t_c, rh) == pytest.approx(ref, abs=0.25)


def test_saturated_air_is_at_its_dew_point_and_arrays_work():
    assert dew_point(21.0, 1.0) == pytest.approx(21.0, abs=1e-12)   # ln(1) = 0: exact by construction
    td = dew_point(np.array([25.0, 25.0]), np.array([0.8, 0.0]))
    # by hand: gamma = ln 0.8 + 17.625*25/268.04 = -0.22314 + 1.64386 = 1.42072; Td = 243.04*1.42072/16.20428
    assert td[0] == pytest.approx(243.04 * 1.42072 / (17.625 - 1.42072), abs=1e-3)
    assert np.isnan(td[1])
