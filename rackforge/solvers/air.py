"""Air side of a rack: moist-air properties at altitude, airflow, exhaust, rear-door heat exchanger,
ASHRAE inlet classes and facility water classes.

Pure functions on SI floats / numpy arrays: flows [m^3/s], temperatures [degC], differences [K],
pressures [Pa], heat [W]. CFM belongs at the edges (the units layer); ``M3_S_PER_CFM`` is given for
convenience only.

References
----------
ASHRAE (2017). ASHRAE Handbook - Fundamentals, ch. 1 "Psychrometrics" (standard atmosphere eq. 3,
  humidity ratio eq. 20, moist-air enthalpy eq. 32, ideal-gas density).
NOAA/NASA/USAF (1976). U.S. Standard Atmosphere, 1976 (troposphere lapse rate 6.5 K/km).
Alduchov, O. A., Eskridge, R. E. (1996). Improved Magnus form approximation of saturation vapor
  pressure. J. Appl. Meteor. 35, 601-609.
Incropera, F. P. et al. (2007). Fundamentals of Heat and Mass Transfer, 6th ed., sec. 11.4-11.5
  (effectiveness-NTU method, Table 11.3).
ASHRAE TC 9.9 (2021). Thermal Guidelines for Data Processing Environments, 5th ed., Table 2.1
  (classes A1-A4, H1; its footnotes: altitude derating of the allowable maximum dry bulb above 900 m,
  1 degC per 300 m for A1/A2, per 175 m for A3, per 125 m for A4; maximum elevation 3,050 m) and the
  liquid-cooling classes W17-W45, W+.
Moran, M. J., Shapiro, H. N. (2006). Fundamentals of Engineering Thermodynamics, 5th ed.; and
  ASHRAE Handbook - HVAC Systems and Equipment (2016), ch. 21 "Fans", fan laws (flow proportional to speed).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = [
    "M3_S_PER_CFM",
    "P_SEA_LEVEL",
    "AirEnvelope",
    "AIR_CLASSES",
    "FACILITY_WATER_CLASSES",
    "barometric_pressure",
    "saturation_vapor_pressure",
    "humidity_ratio",
    "moist_air_density",
    "moist_air_cp",
    "required_airflow",
    "exhaust_temperature",
    "crossflow_effectiveness",
    "RdhxResult",
    "rear_door_hx",
    "air_classes_containing",
    "check_air_inlet",
    "ALTITUDE_DERATING",
    "ASHRAE_MAX_ELEVATION_M",
    "derated_max_c",
    "class_allowable_max_c",
    "fan_law_flow",
    "facility_water_class_max",
    "classify_facility_water",
]

#: One cubic foot per minute in [m^3/s] (0.3048^3 / 60).
M3_S_PER_CFM = 0.3048**3 / 60.0
#: Standard sea-level pressure [Pa].
P_SEA_LEVEL = 101325.0
_R_DRY = 287.042  # J/(kg K), ASHRAE Fundamentals ch. 1
_R_VAP = 461.524  # J/(kg K)
_CP_DRY = 1006.0  # J/(kg K)
_CP_VAP = 1860.0  # J/(kg K)


def barometric_pressure(altitude_m):
    """Standard-atmosphere pressure at an altitude (troposphere, below 11 km).

    .. math:: p = 101325\\,(1 - 2.25577\\times10^{-5} Z)^{5.2559}

    (the U.S. Standard Atmosphere 1976 with a 6.5 K/km lapse rate from 15 degC at sea level).

    Parameters
    ----------
    altitude_m : array_like
        Altitude above sea level [m].

    Returns
    -------
    ndarray or float
        Pressure [Pa].

    References
    ----------
    ASHRAE Handbook - Fundamentals (2017), ch. 1, eq. 3; U.S. Standard Atmosphere, 1976.
    """
    z = np.asarray(altitude_m, dtype=float)
    return P_SEA_LEVEL * (1.0 - 2.25577e-5 * z) ** 5.2559


def saturation_vapor_pressure(t_c):
    """Saturation vapour pressure of water over liquid (Magnus form).

    .. math:: p_{ws} = 610.94\\,\\exp\\left(\\frac{17.625\\,t}{t + 243.04}\\right)

    Parameters
    ----------
    t_c : array_like
        Temperature [degC] (-40..50 degC, error < 0.4 %).

    Returns
    -------
    ndarray or float
        Pressure [Pa].

    References
    ----------
    Alduchov & Eskridge (1996), J. Appl. Meteor. 35, 601-609, eq. 21.
    """
    t = np.asarray(t_c, dtype=float)
    return 610.94 * np.exp(17.625 * t / (t + 243.04))


def humidity_ratio(t_c, p_pa, rh):
    """Humidity ratio of moist air.

    .. math:: W = 0.621945\\,\\frac{p_w}{p - p_w},\\quad p_w = RH\\,p_{ws}(t)

    Parameters
    ----------
    t_c : array_like
        Dry-bulb temperature [degC].
    p_pa : array_like
        Total pressure [Pa].
    rh : array_like
        Relative humidity [-] (0..1).

    Returns
    -------
    ndarray or float
        Humidity ratio [kg water / kg dry air].

    References
    ----------
    ASHRAE Handbook - Fundamentals (2017), ch. 1, eq. 20 and 22.
    """
    pw = np.asarray(rh, dtype=float) * saturation_vapor_pressure(t_c)
    return 0.621945 * pw / (np.asarray(p_pa, dtype=float) - pw)


def moist_air_density(t_c, p_pa=P_SEA_LEVEL, rh=0.0):
    """Density of moist air as an ideal mixture of dry air and water vapour.

    .. math:: \\rho = \\frac{p - p_w}{R_d T} + \\frac{p_w}{R_v T},\\quad
        R_d = 287.042,\\ R_v = 461.524\\ J/(kg\\,K)

    Parameters
    ----------
    t_c : array_like
        Dry-bulb temperature [degC].
    p_pa : array_like
        Total pressure [Pa] (see :func:`barometric_pressure`).
    rh : array_like
        Relative humidity [-].

    Returns
    -------
    ndarray or float
        Density [kg/m^3] of the moist air.

    References
    ----------
    ASHRAE Handbook - Fundamentals (2017), ch. 1 (perfect-gas relations for moist air).
    """
    t = np.asarray(t_c, dtype=float) + 273.15
    pw = np.asarray(rh, dtype=float) * saturation_vapor_pressure(t_c)
    return (np.asarray(p_pa, dtype=float) - pw) / (_R_DRY * t) + pw / (_R_VAP * t)


def moist_air_cp(w):
    """Specific heat of moist air per kilogram of the mixture.

    From ``h = 1.006 t + W (2501 + 1.86 t)`` kJ/kg dry air:
    ``cp = (1006 + 1860 W) / (1 + W)`` [J/(kg K)] per kg of moist air.

    Parameters
    ----------
    w : array_like
        Humidity ratio [kg/kg dry air].

    Returns
    -------
    ndarray or float
        cp [J/(kg K)].

    References
    ----------
    ASHRAE Handbook - Fundamentals (2017), ch. 1, eq. 32.
    """
    w = np.asarray(w, dtype=float)
    return (_CP_DRY + _CP_VAP * w) / (1.0 + w)


def _rho_cp(t_c, altitude_m, rh):
    p = barometric_pressure(altitude_m)
    return moist_air_density(t_c, p, rh), moist_air_cp(humidity_ratio(t_c, p, rh))


def required_airflow(power_w, dt_k, t_inlet_c, altitude_m=0.0, rh=0.0):
    """Volumetric airflow that carries a heat load at a given air temperature rise.

    .. math:: \\dot V = \\frac{P}{\\rho(t_{in}, p(z), RH)\\,c_p\\,\\Delta T}

    with the density at the inlet temperature and the barometric pressure of the altitude, so the
    flow is the one a fan moves at the inlet.

    Parameters
    ----------
    power_w : array_like
        Heat to air [W].
    dt_k : array_like
        Allowed air temperature rise [K].
    t_inlet_c : array_like
        Inlet dry-bulb temperature [degC].
    altitude_m : array_like
        Site altitude [m].
    rh : array_like
        Inlet relative humidity [-].

    Returns
    -------
    ndarray or float
        Airflow [m^3/s].

    References
    ----------
    ASHRAE Handbook - Fundamentals (2017), ch. 1; Incropera et al. (2007), eq. 1.11e.
    """
    rho, cp = _rho_cp(t_inlet_c, altitude_m, rh)
    return np.asarray(power_w, dtype=float) / (rho * cp * np.asarray(dt_k, dtype=float))


def exhaust_temperature(power_w, airflow_m3_s, t_inlet_c, altitude_m=0.0, rh=0.0):
    """Exhaust temperature for a heat load and an airflow (inverse of :func:`required_airflow`).

    .. math:: t_{ex} = t_{in} + \\frac{P}{\\rho\\,c_p\\,\\dot V}

    Parameters
    ----------
    power_w : array_like
        Heat to air [W].
    airflow_m3_s : array_like
        Airflow at the inlet [m^3/s].
    t_inlet_c : array_like
        Inlet temperature [degC].
    altitude_m : array_like
        Site altitude [m].
    rh : array_like
        Inlet relative humidity [-].

    Returns
    -------
    ndarray or float
        Exhaust temperature [degC] (``inf`` at zero airflow with heat).

    References
    ----------
    Incropera et al. (2007), eq. 1.11e.
    """
    rho, cp = _rho_cp(t_inlet_c, altitude_m, rh)
    with np.errstate(divide="ignore"):
        return np.asarray(t_inlet_c, dtype=float) + np.asarray(power_w, dtype=float) / (rho * cp * np.asarray(airflow_m3_s, dtype=float))


def crossflow_effectiveness(ntu, cr):
    """Effectiveness of a single-pass cross-flow exchanger, both fluids unmixed (coil in a door).

    .. math:: \\varepsilon = 1 - \\exp\\left[\\frac{NTU^{0.22}}{C_r}\\left(\\exp(-C_r NTU^{0.78}) - 1\\right)\\right]

    Parameters
    ----------
    ntu : array_like
        Number of transfer units ``UA / C_min`` [-].
    cr : array_like
        Capacity-rate ratio ``C_min / C_max`` [-] (> 0).

    Returns
    -------
    ndarray or float
        Effectiveness [-].

    References
    ----------
    Incropera et al. (2007), Table 11.3, eq. 11.32.
    """
    ntu = np.asarray(ntu, dtype=float)
    cr = np.asarray(cr, dtype=float)
    return 1.0 - np.exp(ntu**0.22 / cr * (np.exp(-cr * ntu**0.78) - 1.0))


class RdhxResult(NamedTuple):
    """Rear-door heat exchanger operating point.

    Attributes
    ----------
    heat_removed_w : float or ndarray
        Heat moved from the air to the water [W].
    t_air_out_c : float or ndarray
        Air temperature leaving the door [degC].
    t_water_out_c : float or ndarray
        Water return temperature [degC] (``t_water_in`` when no water flow is given).
    share : float or ndarray
        Share of the rack's air heat removed [-] (can exceed 1 when the door cools the air below
        the rack inlet).
    """

    heat_removed_w: np.ndarray
    t_air_out_c: np.ndarray
    t_water_out_c: np.ndarray
    share: np.ndarray


def rear_door_hx(air_heat_w, airflow_m3_s, t_inlet_c, t_water_in_c, effectiveness,
                 water_flow_m3_s=None, water_rho=997.0, water_cp=4180.0, altitude_m=0.0, rh=0.0):
    """Rear-door heat exchanger on a rack's exhaust, effectiveness model.

    .. math::
        q = \\varepsilon\\,C_{min}\\,(t_{ex} - t_{w,in}),\\quad C_{air} = \\rho c_p \\dot V,\\quad
        C_w = \\rho_w c_{p,w} \\dot V_w,\\quad t_{ex} = t_{in} + P_{air}/C_{air}

    With no water flow given the water side is taken as the larger capacity rate
    (``C_min = C_air``), the usual case for a door coil.

    Parameters
    ----------
    air_heat_w : array_like
        Heat the rack puts into the air [W].
    airflow_m3_s : array_like
        Rack airflow [m^3/s].
    t_inlet_c : array_like
        Rack air inlet [degC].
    t_water_in_c : array_like
        Door water supply [degC].
    effectiveness : array_like
        Heat-exchanger effectiveness [-] (rated, or from :func:`crossflow_effectiveness`).
    water_flow_m3_s : array_like, optional
        Door water flow [m^3/s].
    water_rho : float
        Water density [kg/m^3].
    water_cp : float
        Water specific heat [J/(kg K)].
    altitude_m : float
        Site altitude [m].
    rh : float
        Air relative humidity [-].

    Returns
    -------
    RdhxResult

    References
    ----------
    Incropera et al. (2007), sec. 11.4, eqs. 11.18-11.20 (effectiveness-NTU method).
    """
    rho, cp = _rho_cp(t_inlet_c, altitude_m, rh)
    c_air = rho * cp * np.asarray(airflow_m3_s, dtype=float)
    p_air = np.asarray(air_heat_w, dtype=float)
    t_ex = np.asarray(t_inlet_c, dtype=float) + p_air / c_air
    if water_flow_m3_s is None:
        c_min = c_air
        c_w = np.inf
    else:
        c_w = water_rho * water_cp * np.asarray(water_flow_m3_s, dtype=float)
        c_min = np.minimum(c_air, c_w)
    q = np.asarray(effectiveness, dtype=float) * c_min * (t_ex - np.asarray(t_water_in_c, dtype=float))
    t_air_out = t_ex - q / c_air
    t_w_out = np.asarray(t_water_in_c, dtype=float) + q / c_w
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(p_air > 0, q / np.where(p_air > 0, p_air, 1.0), 0.0)
    return RdhxResult(q, t_air_out, t_w_out, share)


class AirEnvelope(NamedTuple):
    """Dry-bulb envelope of an ASHRAE air-cooling class [degC]."""

    allowable_min_c: float
    allowable_max_c: float
    recommended_min_c: float
    recommended_max_c: float
    max_dew_point_c: float


#: ASHRAE TC 9.9 (2021) air classes, Thermal Guidelines 5th ed., Table 2.1 (A1-A4: recommended
#: 18-27 degC), and H1 (new in 2021, high-density air-cooled equipment: recommended 18-22 degC,
#: allowable 5-25 degC). H1's dew-point limit is not in our sources; A1's 17 degC is used [U].
AIR_CLASSES = {
    "H1": AirEnvelope(5.0, 25.0, 18.0, 22.0, 17.0),
    "A1": AirEnvelope(15.0, 32.0, 18.0, 27.0, 17.0),
    "A2": AirEnvelope(10.0, 35.0, 18.0, 27.0, 21.0),
    "A3": AirEnvelope(5.0, 40.0, 18.0, 27.0, 24.0),
    "A4": AirEnvelope(5.0, 45.0, 18.0, 27.0, 24.0),
}

#: Altitude derating of the allowable maximum dry bulb, ASHRAE TC 9.9 (2021) Table 2.1 footnotes:
#: ``(start [m], metres per 1 K)``: A1/A2 1 degC per 300 m above 900 m; A3 1 degC per 175 m; A4 1 degC per
#: 125 m. The maximum elevation (3,050 m) is in the TC 9.9 reference card as transcribed in the project's
#: public-figures.md, sec. 5g [P]; the derating slopes are the Table 2.1 footnotes as issue 17 quotes them and
#: the search tool did not surface the footnote text to re-read [U] (the 2011 TC 9.9 white paper started them
#: at 950 m; the 2015 and later editions at 900 m). H1's footnote was not in our sources: A1/A2's 300 m is
#: used for it [U].
ALTITUDE_DERATING = {
    "H1": (900.0, 300.0),
    "A1": (900.0, 300.0),
    "A2": (900.0, 300.0),
    "A3": (900.0, 175.0),
    "A4": (900.0, 125.0),
}
#: Maximum elevation of the A1-A4 classes, ASHRAE TC 9.9 (2021) Table 2.1 [m].
ASHRAE_MAX_ELEVATION_M = 3050.0


def derated_max_c(t_max_c, altitude_m, start_m=900.0, metres_per_k=300.0):
    """Allowable maximum dry bulb at an altitude, derated linearly above a start altitude.

    .. math:: t_{max}(z) = t_{max} - \\frac{\\max(0, z - z_0)}{m}

    Parameters
    ----------
    t_max_c : array_like
        Sea-level allowable maximum [degC].
    altitude_m : array_like
        Site altitude [m].
    start_m : float
        Altitude the derating starts at [m] (ASHRAE: 900 m).
    metres_per_k : float
        Altitude per kelvin of derating [m/K] (ASHRAE: 300 for A1/A2, 175 for A3, 125 for A4).

    Returns
    -------
    ndarray or float
        Derated maximum [degC].

    References
    ----------
    ASHRAE TC 9.9 (2021), Thermal Guidelines 5th ed., Table 2.1, footnotes on altitude derating.
    """
    z = np.asarray(altitude_m, dtype=float)
    return np.asarray(t_max_c, dtype=float) - np.maximum(z - start_m, 0.0) / metres_per_k


def class_allowable_max_c(air_class, altitude_m=0.0):
    """Allowable maximum dry bulb of an ASHRAE class at a site altitude [degC] (see :func:`derated_max_c`).

    Parameters
    ----------
    air_class : str
        ``"A1"``..``"A4"`` or ``"H1"``.
    altitude_m : float
        Site altitude [m].

    Returns
    -------
    float
        Derated allowable maximum [degC].

    References
    ----------
    ASHRAE TC 9.9 (2021), Thermal Guidelines 5th ed., Table 2.1 and its footnotes.
    """
    key = air_class.upper()
    if key not in AIR_CLASSES:
        raise ValueError(f"unknown ASHRAE air class {air_class!r}; known: {sorted(AIR_CLASSES)}")
    start, per = ALTITUDE_DERATING[key]
    return float(derated_max_c(AIR_CLASSES[key].allowable_max_c, altitude_m, start, per))


def fan_law_flow(flow_ref_m3_s, duty_ref, duty):
    """Fan airflow at another speed by the first fan law (flow proportional to speed).

    .. math:: \\dot V_2 = \\dot V_1 \\, \\frac{N_2}{N_1}

    PWM duty is taken as proportional to fan speed, which holds for the linear part of a fan's
    PWM-to-speed curve (typically 20-100 % duty) and a fixed system resistance.

    Parameters
    ----------
    flow_ref_m3_s : array_like
        Published airflow at the reference duty [m^3/s].
    duty_ref : array_like
        Reference duty [-] (0..1].
    duty : array_like
        Duty to scale to [-].

    Returns
    -------
    ndarray or float
        Airflow [m^3/s].

    References
    ----------
    ASHRAE Handbook - HVAC Systems and Equipment (2016), ch. 21 "Fans", fan laws.
    """
    return np.asarray(flow_ref_m3_s, dtype=float) * np.asarray(duty, dtype=float) / np.asarray(duty_ref, dtype=float)


#: ASHRAE liquid-cooling facility water classes (2021 naming): maximum facility supply [degC].
#: ``W+`` is above 45 degC with no fixed upper bound (``inf``; pass the site's figure instead).
FACILITY_WATER_CLASSES = {"W17": 17.0, "W27": 27.0, "W32": 32.0, "W40": 40.0, "W45": 45.0, "W+": math.inf}


def air_classes_containing(t_inlet_c):
    """ASHRAE air classes whose *allowable* dry-bulb range contains an inlet temperature.

    Parameters
    ----------
    t_inlet_c : float
        Inlet dry-bulb temperature [degC].

    Returns
    -------
    list of str
        Class names, narrowest allowable range first (``[]`` if none).

    References
    ----------
    ASHRAE TC 9.9 (2021), Thermal Guidelines 5th ed., Table 2.1.
    """
    t = float(t_inlet_c)
    hits = [(e.allowable_max_c - e.allowable_min_c, name) for name, e in AIR_CLASSES.items()
            if e.allowable_min_c <= t <= e.allowable_max_c]
    return [name for _, name in sorted(hits)]


def check_air_inlet(t_inlet_c, air_class):
    """Check an inlet temperature against an ASHRAE class.

    Parameters
    ----------
    t_inlet_c : array_like
        Inlet dry-bulb temperature [degC].
    air_class : str
        ``"A1"``..``"A4"`` or ``"H1"``.

    Returns
    -------
    tuple of ndarray of bool
        ``(within_allowable, within_recommended)``.

    References
    ----------
    ASHRAE TC 9.9 (2021), Thermal Guidelines 5th ed., Table 2.1.
    """
    try:
        e = AIR_CLASSES[air_class.upper()]
    except KeyError:
        raise ValueError(f"unknown ASHRAE air class {air_class!r}; known: {sorted(AIR_CLASSES)}") from None
    t = np.asarray(t_inlet_c, dtype=float)
    return ((t >= e.allowable_min_c) & (t <= e.allowable_max_c),
            (t >= e.recommended_min_c) & (t <= e.recommended_max_c))


def facility_water_class_max(water_class, w_plus_max_c=None):
    """Maximum facility water supply temperature of an ASHRAE liquid class.

    Parameters
    ----------
    water_class : str
        ``"W17"``, ``"W27"``, ``"W32"``, ``"W40"``, ``"W45"`` or ``"W+"``.
    w_plus_max_c : float, optional
        Site figure for ``W+`` (above 45 degC) [degC].

    Returns
    -------
    float
        Temperature [degC].

    References
    ----------
    ASHRAE TC 9.9 (2021) liquid-cooling classes.
    """
    key = water_class.upper().replace(" ", "")
    if key not in FACILITY_WATER_CLASSES:
        raise ValueError(f"unknown facility water class {water_class!r}; known: {list(FACILITY_WATER_CLASSES)}")
    if key == "W+" and w_plus_max_c is not None:
        if w_plus_max_c <= 45.0:
            raise ValueError("W+ means a facility supply above 45 degC")
        return float(w_plus_max_c)
    return FACILITY_WATER_CLASSES[key]


def classify_facility_water(t_supply_c):
    """Lowest ASHRAE liquid class whose maximum supply temperature is not exceeded.

    Parameters
    ----------
    t_supply_c : float
        Facility water supply [degC].

    Returns
    -------
    str
        Class name (``"W+"`` above 45 degC).

    References
    ----------
    ASHRAE TC 9.9 (2021) liquid-cooling classes.
    """
    t = float(t_supply_c)
    for name, tmax in FACILITY_WATER_CLASSES.items():
        if t <= tmax:
            return name
    return "W+"
