"""Psychrometrics: dew point of moist air.

Pure functions, SI-adjacent units stated per parameter (temperatures in degC, as the rules read them).
"""
from __future__ import annotations

import numpy as np

#: Magnus-form constants over water of Alduchov & Eskridge (1996), "Improved Magnus form approximation of
#: saturation vapor pressure", J. Appl. Meteor. 35, 601-609: e_s(T) = 6.1094 hPa * exp(17.625 T / (T + 243.04)),
#: T in degC; relative error under 0.4% from -40 to 50 degC.
MAGNUS_B = 17.625
MAGNUS_C = 243.04  # [degC]


def dew_point(t_air_c, relative_humidity):
    """Dew point of air at ``t_air_c`` and ``relative_humidity``, by inverting the Magnus form.

    gamma = ln(RH) + b T / (c + T);   T_d = c gamma / (b - gamma)

    Parameters
    ----------
    t_air_c : float or array_like
        Dry-bulb air temperature [degC].
    relative_humidity : float or array_like
        Relative humidity over water, 0 < RH <= 1 [-].

    Returns
    -------
    ndarray or float
        Dew-point temperature [degC]; NaN where RH <= 0.

    References
    ----------
    Alduchov, O. A. and Eskridge, R. E. (1996), J. Appl. Meteor. 35, 601-609 (constants b = 17.625,
    c = 243.04 degC). Checked against CoolProp's humid-air model (HAPropsSI) in tests.
    """
    t = np.asarray(t_air_c, dtype=float)
    rh = np.asarray(relative_humidity, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.log(np.where(rh > 0, rh, np.nan)) + MAGNUS_B * t / (MAGNUS_C + t)
        td = MAGNUS_C * g / (MAGNUS_B - g)
    return float(td) if td.ndim == 0 else td
