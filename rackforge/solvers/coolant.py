"""Coolant properties (water, propylene- and ethylene-glycol mixes) from CoolProp.

Pure layer: SI floats in, SI floats out. CoolProp is imported lazily inside the functions.

Coolant names accepted by :func:`coolant_properties`:

* ``"water"`` (CoolProp's reference equation of state ``Water``, IAPWS-95) or ``"INCOMP::Water"``;
* ``"PG25"``, ``"PG30"``, ``"EG25"``... : glycol share **by volume** [%], the convention of OCP
  coolant guidance (PG25 = 25 vol% propylene glycol); converted to CoolProp's mass fraction by
  :func:`volume_to_mass_fraction`;
* ``"MPG-25%"``, ``"MEG-30%"`` (or ``"INCOMP::MPG[0.25]"``): glycol share **by mass**, CoolProp's
  own incompressible mixtures ``MPG`` (propylene glycol) and ``MEG`` (ethylene glycol).

References
----------
Bell, I. H., Wronski, J., Quoilin, S., Lemort, V. (2014). Pure and pseudo-pure fluid
  thermophysical property evaluation and the open-source thermophysical property library CoolProp.
  Ind. Eng. Chem. Res. 53(6), 2498-2508.
Melinder, A. (2010). Properties of secondary working fluids for indirect systems. IIR
  (source of CoolProp's MPG/MEG fits).
Haynes, W. M. (ed.) (2016). CRC Handbook of Chemistry and Physics, 97th ed. (densities of
  propylene glycol 1036 kg/m^3, ethylene glycol 1113.5 kg/m^3 and water 998.2 kg/m^3 at 20 degC).
"""
from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "CoolantProperties",
    "GLYCOL_DENSITY_20C",
    "WATER_DENSITY_20C",
    "volume_to_mass_fraction",
    "coolprop_fluid",
    "coolant_properties",
]

#: Pure glycol densities at 20 degC [kg/m^3] (CRC Handbook).
GLYCOL_DENSITY_20C = {"PG": 1036.0, "EG": 1113.5}
#: Water density at 20 degC [kg/m^3] (CRC Handbook).
WATER_DENSITY_20C = 998.2


class CoolantProperties(NamedTuple):
    """Coolant properties at one state.

    Attributes
    ----------
    rho : float
        Density [kg/m^3].
    cp : float
        Isobaric specific heat [J/(kg K)].
    mu : float
        Dynamic viscosity [Pa s].
    k : float
        Thermal conductivity [W/(m K)].
    fluid : str
        The CoolProp fluid string used.
    """

    rho: float
    cp: float
    mu: float
    k: float
    fluid: str


def volume_to_mass_fraction(volume_fraction, glycol="PG"):
    """Glycol mass fraction of a mix given by volume fraction (ideal mixing of the pure liquids).

    .. math:: w = \\frac{\\phi\\,\\rho_g}{\\phi\\,\\rho_g + (1-\\phi)\\,\\rho_w}

    with pure densities at 20 degC. The volume contraction on mixing (< 1 %) is neglected, so
    PG25 (25 vol%) -> w = 0.257.

    Parameters
    ----------
    volume_fraction : float
        Glycol volume fraction [-] (0..1).
    glycol : {"PG", "EG"}
        Propylene or ethylene glycol.

    Returns
    -------
    float
        Glycol mass fraction [-].

    References
    ----------
    CRC Handbook of Chemistry and Physics, 97th ed. (pure-component densities).
    """
    rg = GLYCOL_DENSITY_20C[glycol]
    phi = float(volume_fraction)
    if not 0.0 <= phi <= 1.0:
        raise ValueError(f"volume fraction {phi} outside 0..1")
    return phi * rg / (phi * rg + (1.0 - phi) * WATER_DENSITY_20C)


_VOL = re.compile(r"^(PG|EG)\s*(\d+(?:\.\d+)?)$", re.IGNORECASE)
_MASS = re.compile(r"^(MPG|MEG)\s*-?\s*(\d+(?:\.\d+)?)\s*%?$", re.IGNORECASE)


def coolprop_fluid(name):
    """Map a coolant name to a CoolProp fluid string.

    Parameters
    ----------
    name : str
        ``"water"``, ``"PG25"`` (vol%), ``"EG30"`` (vol%), ``"MPG-25%"`` (mass%), ``"MEG-30%"``, or any
        string that already starts with ``"INCOMP::"`` or names a CoolProp fluid.

    Returns
    -------
    str
        e.g. ``"Water"`` or ``"INCOMP::MPG[0.2571]"``.

    References
    ----------
    CoolProp documentation, "Incompressible fluids" (mass-based MPG and MEG mixtures).
    """
    s = name.strip()
    if s.lower() == "water":
        return "Water"
    if s.upper().startswith("INCOMP::"):
        return s
    m = _VOL.match(s)
    if m:
        glycol = m.group(1).upper()
        w = volume_to_mass_fraction(float(m.group(2)) / 100.0, glycol)
        return f"INCOMP::M{glycol}[{w:.6f}]"
    m = _MASS.match(s)
    if m:
        return f"INCOMP::{m.group(1).upper()}[{float(m.group(2)) / 100.0:.6f}]"
    return s


def coolant_properties(name, t_k, p_pa=2.0e5):
    """Density, specific heat, viscosity and conductivity of a coolant from CoolProp.

    Parameters
    ----------
    name : str
        Coolant name (see :func:`coolprop_fluid`).
    t_k : float
        Temperature [K] (e.g. the mean loop temperature).
    p_pa : float
        Absolute pressure [Pa]; liquids are nearly incompressible, default 2 bar.

    Returns
    -------
    CoolantProperties
        ``rho`` [kg/m^3], ``cp`` [J/(kg K)], ``mu`` [Pa s], ``k`` [W/(m K)].

    Raises
    ------
    ValueError
        Unknown fluid, or a state outside the fit's validity (e.g. below freezing).

    References
    ----------
    Bell et al. (2014), CoolProp, Ind. Eng. Chem. Res. 53(6), 2498-2508; Melinder (2010) for the
    glycol mixtures.
    """
    from CoolProp.CoolProp import PropsSI

    fluid = coolprop_fluid(name)
    try:
        rho, cp, mu, k = (PropsSI(key, "T", float(t_k), "P", float(p_pa), fluid) for key in ("D", "C", "V", "L"))
    except Exception as exc:  # CoolProp raises ValueError or RuntimeError
        raise CoolantRangeError(f"coolant {name!r} ({fluid}) at T={t_k} K, p={p_pa} Pa: {exc}") from exc
    return CoolantProperties(float(rho), float(cp), float(mu), float(k), fluid)


class CoolantRangeError(ValueError):
    """A coolant state outside the property library's range (a loop driven to 500 K by absurd heat)."""
