"""Coolant properties against direct CoolProp calls and the water-per-kW rule of thumb."""
import pytest

CP = pytest.importorskip("CoolProp.CoolProp")

from rackforge.solvers import coolant  # noqa: E402


@pytest.mark.parametrize("t_k", [288.15, 303.15, 318.15])
def test_water_matches_coolprop(t_k):
    props = coolant.coolant_properties("water", t_k, 2e5)
    for value, key in zip(props[:4], ("D", "C", "V", "L")):
        assert value == pytest.approx(CP.PropsSI(key, "T", t_k, "P", 2e5, "Water"), rel=1e-12)
    incomp = coolant.coolant_properties("INCOMP::Water", t_k)
    assert incomp.rho == pytest.approx(props.rho, rel=2e-3)  # two independent water models


def test_pg25_is_converted_from_volume_to_mass_fraction():
    # hand calculation: 25 vol% of PG (1036 kg/m^3) in water (998.2 kg/m^3) at 20 degC
    w = 0.25 * 1036.0 / (0.25 * 1036.0 + 0.75 * 998.2)
    assert coolant.volume_to_mass_fraction(0.25, "PG") == pytest.approx(w, rel=1e-12)
    assert w == pytest.approx(0.2570, abs=1e-4)
    props = coolant.coolant_properties("PG25", 303.15)
    assert props.fluid == f"INCOMP::MPG[{w:.6f}]"
    for value, key in zip(props[:4], ("D", "C", "V", "L")):
        assert value == pytest.approx(CP.PropsSI(key, "T", 303.15, "P", 2e5, props.fluid), rel=1e-12)
    # mass-based names go straight through
    assert coolant.coolprop_fluid("MPG-25%") == "INCOMP::MPG[0.250000]"
    assert coolant.coolprop_fluid("EG30").startswith("INCOMP::MEG[")


def test_litres_per_minute_per_kw_rule():
    # public figures sec. 6: L/min/kW = 60 / (rho cp dT) -> water 1.44, PG25 1.49 at 10 K [D]
    for name, expected in (("water", 1.44), ("PG25", 1.49)):
        p = coolant.coolant_properties(name, 308.15)
        lpm_per_kw = 1000.0 / (p.rho * p.cp * 10.0) * 60000.0
        assert lpm_per_kw == pytest.approx(expected, rel=0.015)


def test_bad_states_raise_value_error():
    with pytest.raises(ValueError):
        coolant.coolant_properties("PG25", 240.0)  # below the mixture's freezing point
    with pytest.raises(ValueError):
        coolant.coolant_properties("NotAFluid", 300.0)
    with pytest.raises(ValueError):
        coolant.volume_to_mass_fraction(1.5)
