"""The coolant table the cooling lowering reads: generated from CoolProp, not stale, and interpolated within 5e-4
(viscosity; 2e-5 for the other properties) of CoolProp between its 1 K grid points."""
import pytest

from rackforge.lowering import coolants


def test_table_is_not_stale():
    pytest.importorskip("CoolProp")
    assert coolants.TABLE_PATH.read_text(encoding="utf-8") == coolants.generate_table(), \
        "run `python -m rackforge.lowering.coolants`"


@pytest.mark.parametrize("coolant", sorted(coolants.SOLVER_NAMES))
@pytest.mark.parametrize("t_c", [0.5, 17.3, 30.5, 36.58, 47.25, 64.9, 99.5])
def test_interpolation_against_coolprop(coolant, t_c):
    pytest.importorskip("CoolProp")
    from rackforge.solvers.coolant import coolant_properties

    got = coolants.coolant_props(coolant, t_c)
    ref = coolant_properties(coolants.SOLVER_NAMES[coolant], t_c + 273.15, coolants.PRESSURE_PA)
    assert got.source == "table"
    assert got.rho == pytest.approx(ref.rho, rel=5e-6)
    assert got.cp == pytest.approx(ref.cp, rel=2e-5)
    assert got.mu == pytest.approx(ref.mu, rel=5e-4)
    assert got.k == pytest.approx(ref.k, rel=2e-5)


def test_outside_the_table_asks_coolprop():
    pytest.importorskip("CoolProp")
    p = coolants.coolant_props("water", 105.0)
    assert p.source == "coolprop" and 940 < p.rho < 960
