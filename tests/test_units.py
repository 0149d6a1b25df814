"""Units: parsing, dimensions, traps of pint's default file, and the generated table against pint."""
import math

import pytest

from rackforge.model.units import UnitError, parse, pint_unit_info, TABLE_SPELLINGS
from rackforge.model._unit_table import UNITS


@pytest.mark.parametrize("text,dim,si", [
    ("33 kW", "power", 33_000.0),
    ("1.5 L/min", "volumetric_flow", 1.5e-3 / 60),               # 1 L = 1e-3 m^3, 1 min = 60 s
    ("45 degC", "temperature", 45 + 273.15),
    ("113 degF", "temperature", (113 - 32) * 5 / 9 + 273.15),    # = 45 degC
    ("10 K", "temperature_difference", 10.0),
    ("18 delta_degF", "temperature_difference", 10.0),           # 18 F-degrees = 10 K
    ("800 Gbit/s", "data_rate", 800e9),
    ("1.8 TB/s", "data_rate", 1.8e12 * 8),
    ("1 RU", "length", 0.04445),                                 # EIA-310: 1.75 in
    ("1 OU", "length", 0.048),                                   # Open Rack OpenU
    ("1612 CFM", "volumetric_flow", 1612 * 0.3048 ** 3 / 60),
    ("1612 cfm", "volumetric_flow", 1612 * 0.3048 ** 3 / 60),    # not centi-femto-metre
    ("100 psi", "pressure", 100 * 4.4482216152605 / 0.0254 ** 2),
    ("2.5 kWh", "energy", 2.5 * 3.6e6),
    ("29 uOhm/m", "resistance_per_length", 29e-6),
    ("52 week", "time", 52 * 7 * 86400),
    ("12000 USD", "currency", 12000.0),
    ("1.5 L/min/kW", "flow_per_power", 1.5e-3 / 60 / 1000),
    ("96 %", "dimensionless", 0.96),
])
def test_parse_to_si(text, dim, si):
    q = parse(text, dim)
    assert math.isclose(float(q), si, rel_tol=1e-12)
    assert str(q) == text


@pytest.mark.parametrize("text,dim,needle", [
    ("12 kg", "power", "is a mass, not a power"),
    ("5", "power", "has no unit"),
    (5, "power", "has no unit"),
    ("3 furlong", "length", "unknown unit"),
    ("NaN W", "power", "not a number"),
    ("10 degC", "temperature_difference", "absolute temperature"),
    ("800 GHz", "data_rate", "is a frequency, not a data rate"),   # bit has its own dimension here
    ("1 U", "length", "unknown unit"),                             # pint's enzyme unit is not defined here
])
def test_parse_errors(text, dim, needle):
    with pytest.raises(UnitError) as exc:
        parse(text, dim)
    assert needle in str(exc.value)


def test_table_matches_pint():
    for spelling in TABLE_SPELLINGS:
        f, o, s = pint_unit_info(spelling)
        tf, to, ts = UNITS[spelling]
        assert ts == s and math.isclose(tf, f, rel_tol=1e-15) and math.isclose(to, o, abs_tol=1e-12), spelling


def test_unlisted_spelling_goes_to_pint():
    q = parse("3 kOhm", "resistance")
    assert float(q) == pytest.approx(3000.0)
