"""Liquid-loop hydraulic solver: one CDU, a supply and a return manifold, one branch per tray.

Pure layer: numpy arrays and SI floats in, arrays out. The iteration runs inside one
``numba`` call (``@njit(cache=True)``); the batch of fault scenarios runs in one parallel call.

Network and array conventions
-----------------------------
A loop with ``n`` branches has ``n`` supply taps ``S_0..S_{n-1}`` and ``n`` return taps
``R_0..R_{n-1}``; branch ``i`` runs from ``S_i`` to ``R_i``. Tap 0 is the tap nearest the CDU on
the supply header.

* Supply segment ``i`` feeds tap ``S_i`` from upstream (``S_{i-1}``, or the CDU outlet ``D`` for
  ``i = 0``); its flow is ``sum(q[i:])``.
* Direct return (``reverse_return=False``, outlet at the tap-0 end): return segment ``i`` carries
  the flow from ``R_i`` towards ``R_{i-1}`` (``i = 0``: to the CDU inlet); its flow is ``sum(q[i:])``.
* Reverse return (``reverse_return=True``, outlet at the far end): return segment ``i`` carries the
  flow from ``R_i`` towards ``R_{i+1}`` (``i = n-1``: to the CDU inlet); its flow is ``sum(q[:i+1])``.
* The CDU link runs from the CDU inlet (pump suction, held at ``p_suction`` [Pa], the expansion
  tank) to ``D``: pressure rise of ``n_active`` identical parallel pumps minus the CDU's internal
  pressure drop (heat exchanger, strainer, piping).
* A branch is a series of pipes (hoses, with their minor-loss K) plus a lumped component term
  ``dp = a*q + b*q*|q|`` (quick-disconnect pairs and cold plates, see :func:`qd_pair_coefficient`,
  :func:`fit_component_curve`, :func:`parallel_identical`).

Flows are [m^3/s], pressures [Pa] (gauge, relative to the loop's static reference), lengths,
diameters and roughness [m]. Hydrostatic head cancels around every closed loop of a
constant-density fluid and is left out. Links are numbered ``0`` (CDU), ``1..n`` (supply segments),
``n+1..2n`` (branches), ``2n+1..3n`` (return segments); unknown node pressures are ordered
``D, S_0, R_0, S_1, R_1, ...`` so that the Newton system is a symmetric pentadiagonal matrix solved
in O(n) per iteration.

References
----------
Todini, E., Pilati, S. (1988). A gradient algorithm for the analysis of pipe networks. In
  *Computer Applications in Water Supply*, Vol. 1, pp. 1-20. Research Studies Press.
Churchill, S. W. (1977). Friction-factor equation spans all fluid-flow regimes. *Chemical
  Engineering* 84(24), 91-92.
White, F. M. (2011). *Fluid Mechanics*, 7th ed., McGraw-Hill, sec. 6.6-6.9 (Darcy-Weisbach, minor
  losses).
ANSI/ISA-75.01.01-2012, *Flow Equations for Sizing Control Valves* (flow coefficient Cv).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

__all__ = [
    "GPM_M3_S",
    "PSI_PA",
    "CV_REFERENCE_DENSITY",
    "HydraulicNetwork",
    "HydraulicSolution",
    "build_network",
    "uniform_manifold",
    "friction_factor",
    "pipe_pressure_drop",
    "qd_pair_coefficient",
    "k_factor_coefficient",
    "fit_component_curve",
    "parallel_identical",
    "fit_pump_curve",
    "pump_pressure_rise",
    "solve",
    "solve_batch",
]

#: One US gallon per minute in [m^3/s] (1 gal = 3.785411784 L exactly).
GPM_M3_S = 3.785411784e-3 / 60.0
#: One pound-force per square inch in [Pa].
PSI_PA = 6894.757293168361
#: Density of water at 60 degF (15.6 degC) [kg/m^3]; specific gravity in the Cv equation is
#: relative to it (ANSI/ISA-75.01.01).
CV_REFERENCE_DENSITY = 999.0


class HydraulicNetwork(NamedTuple):
    """Arrays describing one liquid loop (see the module docstring for the numbering).

    Attributes
    ----------
    rho, mu : float
        Coolant density [kg/m^3] and dynamic viscosity [Pa s] at the loop temperature.
    pump_c : ndarray, shape (3,)
        Per-pump pressure rise ``dp = c0 + c1*q + c2*q**2`` [Pa], ``q`` the flow of one pump [m^3/s].
    n_pumps : int
        Installed identical pumps.
    n_running : int
        Pumps running in the base case (``n_pumps`` when all share the flow, ``n_pumps - 1`` with a
        standby).
    cdu_a, cdu_b : float
        CDU internal pressure drop ``a*Q + b*Q*|Q|`` [Pa] at total flow Q [m^3/s].
    sup_d, sup_len, sup_eps, sup_k : ndarray, shape (n,)
        Supply segments: diameter [m], length [m], absolute roughness [m], minor-loss K [-].
    ret_d, ret_len, ret_eps, ret_k : ndarray, shape (n,)
        Return segments, same units.
    reverse_return : bool
        Return outlet at the far end (tap ``n-1``) instead of the tap-0 end.
    br_ptr : ndarray of int64, shape (n+1,)
        Branch ``i`` owns pipes ``br_ptr[i]:br_ptr[i+1]`` of the ``bp_*`` arrays.
    bp_d, bp_len, bp_eps, bp_k : ndarray, shape (n_pipes,)
        Branch pipes (hoses): diameter [m], length [m], roughness [m], minor-loss K [-].
    br_a, br_b : ndarray, shape (n,)
        Lumped component term of each branch ``a*q + b*q*|q|``: a [Pa s/m^3], b [Pa s^2/m^6].
    p_suction : float
        Pressure at the pump suction / expansion tank [Pa].
    """

    rho: float
    mu: float
    pump_c: np.ndarray
    n_pumps: int
    n_running: int
    cdu_a: float
    cdu_b: float
    sup_d: np.ndarray
    sup_len: np.ndarray
    sup_eps: np.ndarray
    sup_k: np.ndarray
    ret_d: np.ndarray
    ret_len: np.ndarray
    ret_eps: np.ndarray
    ret_k: np.ndarray
    reverse_return: bool
    br_ptr: np.ndarray
    bp_d: np.ndarray
    bp_len: np.ndarray
    bp_eps: np.ndarray
    bp_k: np.ndarray
    br_a: np.ndarray
    br_b: np.ndarray
    p_suction: float

    @property
    def n_branches(self) -> int:
        """Number of branches (= taps per header)."""
        return int(self.br_a.shape[0])


class HydraulicSolution(NamedTuple):
    """Result of :func:`solve` (1-D arrays) or :func:`solve_batch` (a leading scenario axis).

    Attributes
    ----------
    branch_flow : ndarray (..., n)
        Branch flows [m^3/s] (0 for a blocked branch).
    supply_flow, return_flow : ndarray (..., n)
        Header segment flows [m^3/s], numbered as in the module docstring.
    supply_pressure, return_pressure : ndarray (..., n)
        Tap pressures ``p(S_i)``, ``p(R_i)`` [Pa].
    branch_dp : ndarray (..., n)
        ``p(S_i) - p(R_i)`` [Pa].
    cdu_outlet_pressure : float or ndarray (...)
        Pressure at the CDU outlet D [Pa].
    pump_flow : float or ndarray (...)
        Total CDU flow [m^3/s] (per pump: ``pump_flow / n_active``).
    pump_rise : float or ndarray (...)
        Pressure rise of the running pumps at that flow [Pa].
    n_active : int or ndarray (...)
        Running pumps.
    converged : bool or ndarray (...)
    iterations : int or ndarray (...)
    link_flow : ndarray (..., 3n+1)
        All link flows (CDU, supply, branches, return) for warm starts [m^3/s].
    """

    branch_flow: np.ndarray
    supply_flow: np.ndarray
    return_flow: np.ndarray
    supply_pressure: np.ndarray
    return_pressure: np.ndarray
    branch_dp: np.ndarray
    cdu_outlet_pressure: np.ndarray
    pump_flow: np.ndarray
    pump_rise: np.ndarray
    n_active: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    link_flow: np.ndarray


# ----------------------------------------------------------------------------------------------
# Friction factor and element laws (scalar kernels)
# ----------------------------------------------------------------------------------------------


@njit(cache=True, inline='always')
def _churchill_phi(re, rel_rough):
    """Churchill (1977) written as ``f = 64*phi/Re``; returns ``(phi, Re*dphi/dRe)``.

    ``phi = (1 + (Re/8)^12 (A+B)^-1.5)^(1/12)`` with ``A = (-2.457 ln((7/Re)^0.9 + 0.27 e/D))^16``
    and ``B = (37530/Re)^16``; this form is finite at Re -> 0 (phi -> 1, Hagen-Poiseuille).
    """
    if re < 1e-9:
        return 1.0, 0.0
    t = (7.0 / re) ** 0.9
    u = t + 0.27 * rel_rough
    lg = -2.457 * math.log(u)
    lg2 = lg * lg
    lg4 = lg2 * lg2
    lg8 = lg4 * lg4
    a = lg8 * lg8
    lg15 = lg8 * lg4 * lg2 * lg
    w = 37530.0 / re
    w2 = w * w
    w4 = w2 * w2
    w8 = w4 * w4
    b = w8 * w8
    s = a + b
    r8 = re / 8.0
    r2 = r8 * r8
    r4 = r2 * r2
    r12 = r4 * r4 * r4
    x = r12 / (s * math.sqrt(s))
    phi = (1.0 + x) ** (1.0 / 12.0)
    re_ds = 16.0 * lg15 * (2.457 * 0.9) * t / u - 16.0 * b
    re_dx = x * (12.0 - 1.5 * re_ds / s)
    re_dphi = phi * re_dx / (12.0 * (1.0 + x))
    return phi, re_dphi


@njit(cache=True, inline='always')
def _pipe(q, d, length, eps, k, rho, mu):
    """Darcy-Weisbach + minor loss of one pipe: ``(dp [Pa], d(dp)/dq [Pa s/m^3])``."""
    area = 0.25 * math.pi * d * d
    v = q / area
    av = abs(v)
    re = rho * av * d / mu
    phi, re_dphi = _churchill_phi(re, eps / d)
    cf = 32.0 * mu * length / (d * d)
    dp = cf * v * phi + 0.5 * k * rho * v * av
    ddp = (cf * (phi + re_dphi) + k * rho * av) / area
    return dp, ddp


@njit(cache=True)
def _churchill_f_vec(re, rel_rough, out):
    for i in range(re.shape[0]):
        phi, _ = _churchill_phi(re[i], rel_rough[i])
        out[i] = 64.0 * phi / re[i] if re[i] > 0.0 else np.inf


@njit(cache=True)
def _pipe_vec(q, d, length, eps, k, rho, mu, dp, ddp):
    for i in range(q.shape[0]):
        dp[i], ddp[i] = _pipe(q[i], d[i], length[i], eps[i], k[i], rho, mu)


def friction_factor(re, rel_roughness=0.0):
    """Darcy friction factor, Churchill (1977), continuous across laminar, transition, turbulent.

    .. math::
        f = 8\\left[(8/Re)^{12} + (A+B)^{-3/2}\\right]^{1/12},\\quad
        A = \\left[-2.457\\ln\\left((7/Re)^{0.9} + 0.27\\,\\varepsilon/D\\right)\\right]^{16},\\quad
        B = (37530/Re)^{16}

    It tends to the laminar ``64/Re`` for Re < ~2000 and to Colebrook-White within about 1-2 %
    in turbulent flow.

    Parameters
    ----------
    re : array_like
        Reynolds number ``rho*v*D/mu`` [-] (> 0).
    rel_roughness : array_like
        Relative roughness ``eps/D`` [-].

    Returns
    -------
    ndarray
        Darcy friction factor [-].

    References
    ----------
    Churchill, S. W. (1977). Friction-factor equation spans all fluid-flow regimes. Chemical
    Engineering 84(24), 91-92.
    """
    re_a, rr_a = np.broadcast_arrays(np.asarray(re, dtype=float), np.asarray(rel_roughness, dtype=float))
    flat_re = np.ascontiguousarray(re_a, dtype=float).ravel()
    flat_rr = np.ascontiguousarray(rr_a, dtype=float).ravel()
    out = np.empty_like(flat_re)
    _churchill_f_vec(flat_re, flat_rr, out)
    return out.reshape(re_a.shape) if re_a.shape else float(out[0])


def pipe_pressure_drop(q, d, length, eps, k, rho, mu, derivative=False):
    """Pressure drop of a pipe (hose, header segment) by Darcy-Weisbach with minor losses.

    .. math::
        \\Delta p = \\left(f_D(Re, \\varepsilon/D)\\,\\frac{L}{D} + K\\right)\\frac{\\rho v|v|}{2},
        \\quad v = \\frac{4Q}{\\pi D^2},\\quad Re = \\frac{\\rho |v| D}{\\mu}

    with ``f_D`` from :func:`friction_factor` (Churchill 1977); the sign follows the flow.

    Parameters
    ----------
    q : array_like
        Volumetric flow [m^3/s].
    d, length, eps : array_like
        Inner diameter [m], length [m], absolute roughness [m].
    k : array_like
        Sum of minor-loss coefficients [-] (fittings, bends, entries, exits).
    rho : float
        Density [kg/m^3].
    mu : float
        Dynamic viscosity [Pa s].
    derivative : bool
        Also return ``d(dp)/dq`` [Pa s/m^3].

    Returns
    -------
    ndarray or tuple of ndarray
        ``dp`` [Pa] (and its derivative).

    References
    ----------
    White, F. M. (2011). Fluid Mechanics, 7th ed., eqs. 6.10 and 6.78.
    """
    arrs = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (q, d, length, eps, k)))
    shape = arrs[0].shape
    flat = [np.ascontiguousarray(a).ravel() for a in arrs]
    dp = np.empty_like(flat[0])
    ddp = np.empty_like(flat[0])
    _pipe_vec(*flat, float(rho), float(mu), dp, ddp)
    dp, ddp = dp.reshape(shape), ddp.reshape(shape)
    if not shape:
        dp, ddp = float(dp), float(ddp)
    return (dp, ddp) if derivative else dp


def qd_pair_coefficient(cv, rho, n_pairs=1):
    """Quadratic coefficient of quick-disconnect pairs from their flow coefficient Cv.

    The Cv relation ``dp[psi] = SG * (Q[gpm] / Cv)^2`` (ANSI/ISA-75.01.01) in SI units:

    .. math::
        \\Delta p\\,[Pa] = b\\,Q\\,|Q|,\\quad
        b = n_{pairs}\\,\\frac{\\rho}{999.0}\\,\\frac{6894.757}{(C_v \\cdot 6.30902\\times10^{-5})^2}

    where 1 gpm = 6.30902e-5 m^3/s, 1 psi = 6894.757 Pa and SG = rho / 999.0 (water at 60 degF).

    Parameters
    ----------
    cv : float or array_like
        Flow coefficient of one coupled pair [gpm/psi^0.5].
    rho : float
        Coolant density [kg/m^3].
    n_pairs : int
        Pairs in series on the branch (usually 2: supply and return side).

    Returns
    -------
    float or ndarray
        ``b`` [Pa s^2/m^6] for ``dp = b*Q*|Q|``.

    References
    ----------
    ANSI/ISA-75.01.01-2012, Flow Equations for Sizing Control Valves.
    """
    sg = rho / CV_REFERENCE_DENSITY
    return n_pairs * sg * PSI_PA / (np.asarray(cv, dtype=float) * GPM_M3_S) ** 2


def k_factor_coefficient(k, d, rho):
    """Quadratic coefficient of a component given by a loss coefficient K on a diameter.

    .. math:: \\Delta p = K\\frac{\\rho v^2}{2} = b Q^2,\\quad b = \\frac{8 K \\rho}{\\pi^2 D^4}

    Parameters
    ----------
    k : float
        Loss coefficient [-].
    d : float
        Reference diameter [m].
    rho : float
        Density [kg/m^3].

    Returns
    -------
    float
        ``b`` [Pa s^2/m^6].

    References
    ----------
    Idelchik, I. E. (2008). Handbook of Hydraulic Resistance, 4th ed., ch. 1.
    """
    return 8.0 * k * rho / (math.pi**2 * d**4)


def fit_component_curve(q, dp):
    """Least-squares fit ``dp = a*q + b*q**2`` (a, b >= 0) through catalog pressure-flow points.

    Parameters
    ----------
    q : array_like
        Catalog flows [m^3/s] (> 0).
    dp : array_like
        Catalog pressure drops [Pa].

    Returns
    -------
    tuple of float
        ``a`` [Pa s/m^3], ``b`` [Pa s^2/m^6].

    Notes
    -----
    Non-negative least squares (Lawson & Hanson 1974, *Solving Least Squares Problems*, ch. 23) on
    the design matrix ``[q, q^2]``. With one point, a pure quadratic ``b = dp/q^2`` is returned.
    """
    q = np.asarray(q, dtype=float).ravel()
    dp = np.asarray(dp, dtype=float).ravel()
    if q.size == 1:
        return 0.0, float(dp[0] / q[0] ** 2)
    from scipy.optimize import nnls

    # scale columns so the problem is well conditioned
    s1, s2 = q.max(), q.max() ** 2
    coef, _ = nnls(np.column_stack([q / s1, q**2 / s2]), dp)
    return float(coef[0] / s1), float(coef[1] / s2)


def parallel_identical(a, b, n):
    """Equivalent lumped curve of ``n`` identical components in parallel (flow splits equally).

    Each carries ``Q/n``: ``dp = a (Q/n) + b (Q/n)^2``, so ``a_eq = a/n`` and ``b_eq = b/n^2``.

    Parameters
    ----------
    a : float
        Linear coefficient of one component [Pa s/m^3].
    b : float
        Quadratic coefficient of one component [Pa s^2/m^6].
    n : int
        Number of identical components in parallel.

    Returns
    -------
    tuple of float
        ``(a_eq, b_eq)`` in the same units.

    References
    ----------
    White, F. M. (2011). Fluid Mechanics, 7th ed., sec. 6.9 (pipes in parallel).
    """
    return a / n, b / n**2


def fit_pump_curve(q, dp, form="h0-kq2"):
    """Fit a pump's pressure-rise curve through catalog points by least squares.

    ``form="h0-kq2"``: ``dp = h0 - k q^2`` (two parameters); ``form="quadratic"``:
    ``dp = c0 + c1 q + c2 q^2`` (three parameters, exact through three points).

    Parameters
    ----------
    q : array_like
        Flow of one pump at the catalog points [m^3/s].
    dp : array_like
        Pressure rise at those points [Pa] (``rho*g*H`` for a head H in metres).
    form : {"h0-kq2", "quadratic"}

    Returns
    -------
    ndarray, shape (3,)
        ``(c0, c1, c2)`` [Pa, Pa s/m^3, Pa s^2/m^6] for ``dp = c0 + c1 q + c2 q^2``.

    References
    ----------
    Karassik, I. J. et al. (2008). Pump Handbook, 4th ed., sec. 2.3 (affinity laws; parallel
    operation adds flows at equal head).
    """
    q = np.asarray(q, dtype=float).ravel()
    dp = np.asarray(dp, dtype=float).ravel()
    if form == "h0-kq2":
        m = np.column_stack([np.ones_like(q), q**2])
        (h0, c2), *_ = np.linalg.lstsq(m, dp, rcond=None)
        return np.array([h0, 0.0, c2])
    if form == "quadratic":
        m = np.column_stack([np.ones_like(q), q, q**2])
        return np.linalg.lstsq(m, dp, rcond=None)[0].astype(float)
    raise ValueError(f"unknown pump curve form {form!r}")


def pump_pressure_rise(pump_c, q_total, n_active):
    """Pressure rise of ``n_active`` identical pumps in parallel at total flow ``q_total``.

    .. math:: \\Delta p = c_0 + c_1 (Q/n) + c_2 (Q/n)^2

    Parameters
    ----------
    pump_c : array_like, shape (3,)
        Per-pump curve coefficients (see :func:`fit_pump_curve`).
    q_total : array_like
        Total flow [m^3/s].
    n_active : array_like of int
        Running pumps.

    Returns
    -------
    ndarray
        Pressure rise [Pa].

    References
    ----------
    Karassik, I. J. et al. (2008). Pump Handbook, 4th ed., sec. 2.3.
    """
    qn = np.asarray(q_total, dtype=float) / np.asarray(n_active, dtype=float)
    return pump_c[0] + pump_c[1] * qn + pump_c[2] * qn * qn


# ----------------------------------------------------------------------------------------------
# Network construction
# ----------------------------------------------------------------------------------------------


def _f64(x, n=None, name=""):
    a = np.asarray(x, dtype=np.float64)
    if n is not None:
        if a.ndim == 0:
            a = np.full(n, float(a))
        if a.shape != (n,):
            raise ValueError(f"{name}: expected shape ({n},), got {a.shape}")
    return np.ascontiguousarray(a)


def build_network(
    *,
    rho,
    mu,
    pump_c,
    n_pumps,
    sup_d,
    sup_len,
    sup_eps,
    sup_k,
    ret_d,
    ret_len,
    ret_eps,
    ret_k,
    br_ptr,
    bp_d,
    bp_len,
    bp_eps,
    bp_k,
    br_a,
    br_b,
    n_running=None,
    cdu_a=0.0,
    cdu_b=0.0,
    reverse_return=False,
    p_suction=0.0,
):
    """Validate and pack the arrays of one loop into a :class:`HydraulicNetwork`.

    Scalars given for per-segment or per-branch arrays are broadcast. Units as in
    :class:`HydraulicNetwork`: [m], [kg/m^3], [Pa s], [Pa], flows [m^3/s].

    Parameters
    ----------
    rho : float
        Coolant density [kg/m^3].
    mu : float
        Coolant dynamic viscosity [Pa s].
    pump_c : array_like, shape (3,)
        Per-pump curve ``c0 + c1 q + c2 q^2`` [Pa].
    n_pumps : int
        Installed pumps.
    sup_d, sup_len, sup_eps, sup_k, ret_d, ret_len, ret_eps, ret_k : array_like, shape (n,)
        Header segments: diameter [m], length [m], roughness [m], minor-loss K [-].
    br_ptr : array_like of int, shape (n+1,)
        CSR offsets of each branch's pipes.
    bp_d, bp_len, bp_eps, bp_k : array_like, shape (br_ptr[-1],)
        Branch pipes [m], [m], [m], [-].
    br_a : array_like, shape (n,)
        Lumped linear coefficient [Pa s/m^3].
    br_b : array_like, shape (n,)
        Lumped quadratic coefficient [Pa s^2/m^6].
    n_running : int, optional
        Pumps running in the base case; default ``n_pumps``.
    cdu_a, cdu_b : float
        CDU internal pressure drop coefficients [Pa s/m^3], [Pa s^2/m^6].
    reverse_return : bool
        Reverse-return manifold (outlet at tap ``n-1``).
    p_suction : float
        Suction (expansion-tank) pressure [Pa].

    Returns
    -------
    HydraulicNetwork

    References
    ----------
    Todini & Pilati (1988), network formulation (links, nodes, incidence).
    """
    br_a = _f64(br_a)
    n = br_a.shape[0]
    if n < 1:
        raise ValueError("a loop needs at least one branch")
    br_ptr = np.ascontiguousarray(np.asarray(br_ptr, dtype=np.int64))
    if br_ptr.shape != (n + 1,) or br_ptr[0] != 0 or np.any(np.diff(br_ptr) < 0):
        raise ValueError("br_ptr must be non-decreasing CSR offsets of shape (n+1,) starting at 0")
    npipe = int(br_ptr[-1])
    pump_c = _f64(pump_c)
    if pump_c.shape != (3,):
        raise ValueError("pump_c must have 3 coefficients")
    net = HydraulicNetwork(
        rho=float(rho),
        mu=float(mu),
        pump_c=pump_c,
        n_pumps=int(n_pumps),
        n_running=int(n_pumps if n_running is None else n_running),
        cdu_a=float(cdu_a),
        cdu_b=float(cdu_b),
        sup_d=_f64(sup_d, n, "sup_d"),
        sup_len=_f64(sup_len, n, "sup_len"),
        sup_eps=_f64(sup_eps, n, "sup_eps"),
        sup_k=_f64(sup_k, n, "sup_k"),
        ret_d=_f64(ret_d, n, "ret_d"),
        ret_len=_f64(ret_len, n, "ret_len"),
        ret_eps=_f64(ret_eps, n, "ret_eps"),
        ret_k=_f64(ret_k, n, "ret_k"),
        reverse_return=bool(reverse_return),
        br_ptr=br_ptr,
        bp_d=_f64(bp_d, npipe, "bp_d"),
        bp_len=_f64(bp_len, npipe, "bp_len"),
        bp_eps=_f64(bp_eps, npipe, "bp_eps"),
        bp_k=_f64(bp_k, npipe, "bp_k"),
        br_a=br_a,
        br_b=_f64(br_b, n, "br_b"),
        p_suction=float(p_suction),
    )
    if net.rho <= 0 or net.mu <= 0:
        raise ValueError("rho and mu must be positive")
    for name in ("sup_d", "ret_d", "bp_d"):
        if np.any(getattr(net, name) <= 0):
            raise ValueError(f"{name}: diameters must be positive")
    if net.pump_c[0] <= 0:
        raise ValueError("pump shut-off pressure c0 must be positive")
    if not 0 <= net.n_running <= net.n_pumps:
        raise ValueError("n_running must be between 0 and n_pumps")
    return net


def uniform_manifold(
    n,
    *,
    rho=997.0,
    mu=8.9e-4,
    pump_c=None,
    n_pumps=2,
    n_running=None,
    cdu_a=0.0,
    cdu_b=None,
    header_d=0.0525,
    header_seg_len=0.0445,
    header_eps=1.5e-6,
    header_k=0.2,
    hose_d=0.0127,
    hose_len=1.2,
    hose_eps=1.5e-6,
    hose_k=2.0,
    br_a=2.0e7,
    br_b=2.0e12,
    reverse_return=False,
    p_suction=1.5e5,
    header_velocity=None,
    design_branch_flow=None,
):
    """A loop of ``n`` identical branches on uniform headers (tests, benchmarks, examples).

    Defaults: water at ~25 degC, 2-inch (52.5 mm) headers with one 1RU (44.45 mm) segment per tap,
    a 1/2-inch hose of 1.2 m per branch (supply and return hoses merged: equal diameter and
    roughness carry the same flow, so their lengths and K add), a lumped cold-plate +
    quick-disconnect curve of ~48 kPa at 9 L/min, and a CDU sized for the design flow
    ``Q_d = n * design_branch_flow``: pumps with a 200 kPa shut-off giving 120 kPa at ``Q_d``
    (``pump_c=None``), internal drop 50 kPa at ``Q_d`` (``cdu_b=None``).

    Parameters
    ----------
    n : int
        Number of branches.
    rho, mu, pump_c, n_pumps, n_running, cdu_a, cdu_b, reverse_return, p_suction
        As in :func:`build_network` ([kg/m^3], [Pa s], [Pa], ...).
    header_d, header_seg_len, header_eps : float
        Header diameter [m], segment length [m], roughness [m].
    header_k : float
        Minor loss per header segment (tee run) [-].
    hose_d, hose_len, hose_eps : float
        Branch hose diameter [m], length [m], roughness [m].
    hose_k : float
        Minor losses of the hose run (tee branch, bends) [-].
    br_a, br_b : float
        Lumped component curve [Pa s/m^3], [Pa s^2/m^6].
    header_velocity : float, optional
        If given, taper the headers: each segment's diameter is sized for
        ``design_branch_flow`` times the number of branches it carries at this mean velocity [m/s]
        (``D = sqrt(4 Q / (pi v))``, never below ``header_d``).
    design_branch_flow : float, optional
        Design flow per branch for the taper and the CDU sizing [m^3/s]; default 1.5 L/min/kW at
        6 kW (1.5e-4).

    Returns
    -------
    HydraulicNetwork

    References
    ----------
    EIA-310 (1RU = 44.45 mm) for the default tap spacing.
    """
    sup_d = ret_d = header_d
    qb = 1.5e-4 if design_branch_flow is None else design_branch_flow
    n_run = n_pumps if n_running is None else n_running
    q_design = n * qb
    if pump_c is None:
        pump_c = (2.0e5, 0.0, -(2.0e5 - 1.2e5) / (q_design / max(n_run, 1)) ** 2)
    if cdu_b is None:
        cdu_b = 5.0e4 / q_design**2
    if header_velocity is not None:
        carried_sup = qb * np.arange(n, 0, -1)
        sup_d = np.maximum(np.sqrt(4.0 * carried_sup / (math.pi * header_velocity)), header_d)
        ret_d = sup_d[::-1].copy() if reverse_return else sup_d
    return build_network(
        rho=rho,
        mu=mu,
        pump_c=pump_c,
        n_pumps=n_pumps,
        n_running=n_running,
        cdu_a=cdu_a,
        cdu_b=cdu_b,
        sup_d=sup_d,
        sup_len=header_seg_len,
        sup_eps=header_eps,
        sup_k=header_k,
        ret_d=ret_d,
        ret_len=header_seg_len,
        ret_eps=header_eps,
        ret_k=header_k,
        br_ptr=np.arange(n + 1),
        bp_d=np.full(n, hose_d),
        bp_len=np.full(n, hose_len),
        bp_eps=np.full(n, hose_eps),
        bp_k=np.full(n, hose_k),
        br_a=np.full(n, br_a),
        br_b=np.full(n, br_b),
        reverse_return=reverse_return,
        p_suction=p_suction,
    )


# ----------------------------------------------------------------------------------------------
# Newton (global gradient) kernel
# ----------------------------------------------------------------------------------------------

_FM = {"contract", "arcp", "afn", "reassoc", "nsz"}  # no nnan/ninf: overflow to inf is relied on


@njit(cache=True)
def _pipe_consts(rho, mu, d, length, eps, k, out, row0):
    """Per-pipe constants ``1/A, rho D/mu, 32 mu L/D^2, K rho/2, eps/D`` into ``out[row0:]``."""
    for i in range(d.shape[0]):
        di = d[i]
        area = 0.25 * math.pi * di * di
        r = row0 + i
        out[r, 0] = 1.0 / area
        out[r, 1] = rho * di / mu
        out[r, 2] = 32.0 * mu * length[i] / (di * di)
        out[r, 3] = 0.5 * k[i] * rho
        out[r, 4] = eps[i] / di


@njit(cache=True)
def _all_consts(n, rho, mu, sup_d, sup_len, sup_eps, sup_k, ret_d, ret_len, ret_eps, ret_k, bp_d,
                bp_len, bp_eps, bp_k):
    """Constants of all pipes: rows ``0..n-1`` supply, ``n..2n-1`` return, then branch pipes."""
    pk = np.empty((2 * n + bp_d.shape[0], 5))
    _pipe_consts(rho, mu, sup_d, sup_len, sup_eps, sup_k, pk, 0)
    _pipe_consts(rho, mu, ret_d, ret_len, ret_eps, ret_k, pk, n)
    _pipe_consts(rho, mu, bp_d, bp_len, bp_eps, bp_k, pk, 2 * n)
    return pk


@njit(cache=True, inline="always", fastmath=_FM)
def _pipe_fast(q, pk, r):
    """Pipe law from precomputed constants (same equations as :func:`_pipe`)."""
    v = q * pk[r, 0]
    av = abs(v)
    phi, re_dphi = _churchill_phi(pk[r, 1] * av, pk[r, 4])
    cf = pk[r, 2]
    kq = pk[r, 3]
    return cf * v * phi + kq * v * av, (cf * (phi + re_dphi) + 2.0 * kq * av) * pk[r, 0]


@njit(cache=True)
def _initial_flows(n, c0, c1, c2, n_active, cdu_a, cdu_b, br_ptr, pk, br_a, br_b, is_open,
                   reverse, q):
    """Cold start: total flow where the pumps meet the CDU plus one representative branch.

    Solves the scalar equation ``rise(Q/n_p) = cdu(Q) + branch(Q/n_open)`` (headers neglected)
    by a bracketed Newton iteration, then splits ``Q`` equally over the open branches.
    """
    qmax = _runout(c0, c1, c2) * n_active
    n_open = 0
    rep = -1
    for i in range(n):
        if is_open[i]:
            n_open += 1
            if rep < 0:
                rep = i
    qt = 0.6 * qmax
    if rep >= 0:
        lo = 0.0
        hi = qmax
        for _ in range(60):
            qn = qt / n_active
            qb = qt / n_open
            g = c0 + c1 * qn + c2 * qn * qn - cdu_a * qt - cdu_b * qt * qt
            gp = (c1 + 2.0 * c2 * qn) / n_active - cdu_a - 2.0 * cdu_b * qt
            g -= br_a[rep] * qb + br_b[rep] * qb * qb
            gp -= (br_a[rep] + 2.0 * br_b[rep] * qb) / n_open
            for k in range(br_ptr[rep], br_ptr[rep + 1]):
                dp, ddp = _pipe_fast(qb, pk, 2 * n + k)
                g -= dp
                gp -= ddp / n_open
            if g > 0.0:
                lo = qt
            else:
                hi = qt
            qnew = qt - g / gp if gp < 0.0 else 0.5 * (lo + hi)
            if not (lo < qnew < hi):
                qnew = 0.5 * (lo + hi)
            done = abs(qnew - qt) <= 1e-6 * qt
            qt = qnew
            if done:
                break
    qb = qt / max(n_open, 1)
    q[0] = qt
    for i in range(n):
        q[1 + n + i] = qb if is_open[i] else 0.0
    _fill_headers(n, reverse, q)


@njit(cache=True)
def _runout(c0, c1, c2):
    """Flow of one pump at zero pressure rise [m^3/s] (a fallback of 1e-3 for odd curves)."""
    if c2 < 0.0:
        return (-c1 - math.sqrt(c1 * c1 - 4.0 * c2 * c0)) / (2.0 * c2)
    if c1 < 0.0:
        return -c0 / c1
    return 1e-3


@njit(cache=True)
def _fill_headers(n, reverse, q):
    """Header segment flows by mass conservation from the branch flows (in place)."""
    acc = 0.0
    for i in range(n - 1, -1, -1):
        acc += q[1 + n + i]
        q[1 + i] = acc
        if not reverse:
            q[1 + 2 * n + i] = acc
    if reverse:
        acc = 0.0
        for i in range(n):
            acc += q[1 + n + i]
            q[1 + 2 * n + i] = acc


@njit(cache=True, fastmath=_FM)
def _laws(n, c0, c1, c2, n_act, cdu_a, cdu_b, br_ptr, pk, br_a, br_b, is_open, qref, q, cond, y):
    """Linearise every link: ``cond = 1/f'(q)``, ``y = q - f(q)/f'(q)`` (Todini & Pilati 1988).

    Link laws ``p_from - p_to = f(q)``; slopes are safeguarded to stay positive.
    """
    # CDU: pumps in parallel minus internal drop; at negative flow the slope is mirrored
    qj = q[0]
    aq = abs(qj)
    qn = qj / n_act
    f = -(c0 + c1 * qn + c2 * qn * qn) + cdu_a * qj + cdu_b * qj * aq
    fp = -(c1 + 2.0 * c2 * aq / n_act) / n_act + cdu_a + 2.0 * cdu_b * aq
    fp = max(fp, 1e-6 * (c0 / qref))
    cond[0] = 1.0 / fp
    y[0] = qj - f / fp
    for i in range(n):
        j = 1 + i
        f, fp = _pipe_fast(q[j], pk, i)
        cond[j] = 1.0 / fp
        y[j] = q[j] - f * cond[j]
    for i in range(n):
        j = 1 + 2 * n + i
        f, fp = _pipe_fast(q[j], pk, n + i)
        cond[j] = 1.0 / fp
        y[j] = q[j] - f * cond[j]
    qfloor = 1e-6 * qref
    for i in range(n):
        j = 1 + n + i
        if not is_open[i]:
            cond[j] = 0.0
            y[j] = 0.0
            continue
        qj = q[j]
        aq = abs(qj)
        f = br_a[i] * qj + br_b[i] * qj * aq
        fp = br_a[i] + 2.0 * br_b[i] * max(aq, qfloor)
        for k in range(br_ptr[i], br_ptr[i + 1]):
            dp, ddp = _pipe_fast(qj, pk, 2 * n + k)
            f += dp
            fp += ddp
        cond[j] = 1.0 / fp
        y[j] = qj - f * cond[j]


@njit(cache=True)
def _penta_solve(dg, e1, e2, b, x, l1, l2, dinv):
    """Solve a symmetric positive-definite pentadiagonal system by banded LDL^T, O(N).

    ``dg`` diagonal (N), ``e1[k] = A[k, k+1]``, ``e2[k] = A[k, k+2]``; ``x`` receives the solution.
    Golub & Van Loan (2013), Matrix Computations, 4th ed., sec. 4.3 (band LDL^T).
    """
    nn = dg.shape[0]
    # k = 0, 1 handled by the general formulas with zero padding
    d_km1 = 0.0  # D[k-1]
    d_km2 = 0.0  # D[k-2]
    l1_km1 = 0.0  # L[k-1, k-2]
    for k in range(nn):
        l2k = e2[k - 2] * dinv[k - 2] if k >= 2 else 0.0
        if k >= 1:
            l1k = (e1[k - 1] - l2k * d_km2 * l1_km1) * dinv[k - 1]
        else:
            l1k = 0.0
        d = dg[k] - l1k * l1k * d_km1 - l2k * l2k * d_km2
        l1[k] = l1k
        l2[k] = l2k
        dinv[k] = 1.0 / d
        d_km2 = d_km1
        d_km1 = d
        l1_km1 = l1k
    zm1 = 0.0
    zm2 = 0.0
    for k in range(nn):
        z = b[k] - l1[k] * zm1 - l2[k] * zm2
        x[k] = z
        zm2 = zm1
        zm1 = z
    xp1 = 0.0
    xp2 = 0.0
    for k in range(nn - 1, -1, -1):
        z = x[k] * dinv[k]
        if k + 1 < nn:
            z -= l1[k + 1] * xp1
        if k + 2 < nn:
            z -= l2[k + 2] * xp2
        x[k] = z
        xp2 = xp1
        xp1 = z


@njit(cache=True)
def _gga(n, pc, n_act, cdu_a, cdu_b, reverse, br_ptr, pk, br_a, br_b, is_open, q, p, tol,
         max_iter):
    """Global gradient iterations in place on link flows ``q`` (3n+1) and node pressures ``p``.

    Returns ``(converged, iterations)``. Node pressures are relative to the suction node.
    """
    m = 3 * n + 1
    nn = 2 * n + 1
    c0, c1, c2 = pc[0], pc[1], pc[2]
    if n_act <= 0:
        q[:] = 0.0
        p[:] = 0.0
        return True, 0
    n_open = 0
    for i in range(n):
        if not is_open[i]:
            q[1 + n + i] = 0.0
        else:
            n_open += 1
    if n_open == 0:  # no path: no flow, the supply side sits at the pumps' shut-off pressure
        q[:] = 0.0
        for k in range(nn):
            p[k] = c0 if (k == 0 or k % 2 == 1) else 0.0
        return True, 0
    qref = max(n_act * _runout(c0, c1, c2), 1e-9)  # flow scale for the slope safeguards
    cond = np.empty(m)
    y = np.empty(m)
    dg = np.empty(nn)
    e1 = np.empty(nn)
    e2 = np.empty(nn)
    rhs = np.empty(nn)
    l1 = np.empty(nn)
    l2 = np.empty(nn)
    dinv = np.empty(nn)
    converged = False
    it = 0
    dprev = 0.0
    while it < max_iter:
        it += 1
        _laws(n, c0, c1, c2, float(n_act), cdu_a, cdu_b, br_ptr, pk, br_a, br_b, is_open, qref, q,
              cond, y)
        # assemble A^T G A p = -A^T y: diag += c, off -= c, rhs[from] -= y, rhs[to] += y
        dg[:] = 0.0
        e1[:] = 0.0
        e2[:] = 0.0
        rhs[:] = 0.0
        dg[0] += cond[0]  # CDU: suction (fixed) -> D (0)
        rhs[0] += y[0]
        for i in range(n):
            s = 1 + 2 * i
            r = s + 1
            js = 1 + i  # supply segment i: (D or S_{i-1}) -> S_i
            a = 0 if i == 0 else s - 2
            c = cond[js]
            dg[a] += c
            dg[s] += c
            if i == 0:
                e1[0] -= c
            else:
                e2[a] -= c
            rhs[a] -= y[js]
            rhs[s] += y[js]
            jb = 1 + n + i  # branch i: S_i -> R_i
            c = cond[jb]
            dg[s] += c
            dg[r] += c
            e1[s] -= c
            rhs[s] -= y[jb]
            rhs[r] += y[jb]
            jr = 1 + 2 * n + i  # return segment i: R_i -> R_{i-1} / R_{i+1} / CDU inlet
            c = cond[jr]
            dg[r] += c
            rhs[r] -= y[jr]
            if reverse:
                if i < n - 1:
                    dg[r + 2] += c
                    e2[r] -= c
                    rhs[r + 2] += y[jr]
            elif i > 0:
                dg[r - 2] += c
                e2[r - 2] -= c
                rhs[r - 2] += y[jr]
        _penta_solve(dg, e1, e2, rhs, p, l1, l2, dinv)
        # new flows Q = y + G (p_from - p_to) on the branches; the GGA step conserves mass, so the
        # header and CDU flows are the exact partial sums of the branch flows (taken that way to
        # avoid the cancellation of y + G dp in low-resistance headers)
        dmax = 0.0
        qt = 0.0
        for i in range(n):
            s = 1 + 2 * i
            jb = 1 + n + i
            qn = y[jb] + cond[jb] * (p[s] - p[s + 1])
            dmax = max(dmax, abs(qn - q[jb]))
            q[jb] = qn
            qt += qn
        dmax = max(dmax, abs(qt - q[0]))
        q[0] = qt
        _fill_headers(n, reverse, q)
        # stop on a small step, or when the contraction-rate estimate of the remaining error
        # theta/(1-theta)*|dQ| is small (Hairer & Wanner 1996, Solving ODE II, sec. IV.8)
        qs = tol * max(abs(q[0]), 1e-12)
        if dmax <= qs:
            converged = True
            break
        if it >= 2 and dprev > 0.0:
            theta = dmax / dprev
            if theta < 0.5 and theta / (1.0 - theta) * dmax <= qs:
                converged = True
                break
        dprev = dmax
    return converged, it


@njit(cache=True)
def _solve_one(n, pc, n_act, cdu_a, cdu_b, reverse, br_ptr, pk, br_a, br_b, is_open, q, p, warm,
               tol, max_iter):
    if not warm:
        _initial_flows(n, pc[0], pc[1], pc[2], max(n_act, 1), cdu_a, cdu_b, br_ptr, pk, br_a, br_b,
                       is_open, reverse, q)
    return _gga(n, pc, n_act, cdu_a, cdu_b, reverse, br_ptr, pk, br_a, br_b, is_open, q, p, tol,
                max_iter)


@njit(cache=True)
def _solve_single(n, rho, mu, pc, n_act, cdu_a, cdu_b, sup_d, sup_len, sup_eps, sup_k, ret_d,
                  ret_len, ret_eps, ret_k, reverse, br_ptr, bp_d, bp_len, bp_eps, bp_k, br_a, br_b,
                  is_open, q, p, warm, tol, max_iter):
    pk = _all_consts(n, rho, mu, sup_d, sup_len, sup_eps, sup_k, ret_d, ret_len, ret_eps, ret_k,
                     bp_d, bp_len, bp_eps, bp_k)
    return _solve_one(n, pc, n_act, cdu_a, cdu_b, reverse, br_ptr, pk, br_a, br_b, is_open, q, p,
                      warm, tol, max_iter)


@njit(cache=True, parallel=True)
def _solve_many(n, rho, mu, pc, n_act, cdu_a, cdu_b, sup_d, sup_len, sup_eps, sup_k, ret_d, ret_len,
                ret_eps, ret_k, reverse, br_ptr, bp_d, bp_len, bp_eps, bp_k, br_a, br_b, is_open,
                q_warm, has_warm, tol, max_iter, q_out, p_out, conv, iters):
    pk = _all_consts(n, rho, mu, sup_d, sup_len, sup_eps, sup_k, ret_d, ret_len, ret_eps, ret_k,
                     bp_d, bp_len, bp_eps, bp_k)
    ns = n_act.shape[0]
    for s in prange(ns):
        q = q_out[s]
        if has_warm:
            q[:] = q_warm
        ok, it = _solve_one(n, pc, n_act[s], cdu_a, cdu_b, reverse, br_ptr, pk, br_a, br_b,
                            is_open[s], q, p_out[s], has_warm, tol, max_iter)
        if not ok and has_warm:  # fall back to a cold start
            ok, it2 = _solve_one(n, pc, n_act[s], cdu_a, cdu_b, reverse, br_ptr, pk, br_a, br_b,
                                 is_open[s], q, p_out[s], False, tol, max_iter)
            it += it2
        conv[s] = ok
        iters[s] = it


def _args(net):
    return (
        net.n_branches, net.rho, net.mu, net.pump_c,
    ), (
        net.cdu_a, net.cdu_b, net.sup_d, net.sup_len, net.sup_eps, net.sup_k, net.ret_d,
        net.ret_len, net.ret_eps, net.ret_k, net.reverse_return, net.br_ptr, net.bp_d, net.bp_len,
        net.bp_eps, net.bp_k, net.br_a, net.br_b,
    )


def _unpack(net, q, p, n_act, conv, iters):
    n = net.n_branches
    ps = net.p_suction
    sup_p = p[..., 1::2][..., :n] + ps
    ret_p = p[..., 2::2] + ps
    q0 = q[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        qn = np.where(n_act > 0, q0 / np.maximum(n_act, 1), 0.0)
    rise = np.where(n_act > 0, net.pump_c[0] + net.pump_c[1] * qn + net.pump_c[2] * qn * qn, 0.0)
    return HydraulicSolution(
        branch_flow=q[..., 1 + n : 1 + 2 * n],
        supply_flow=q[..., 1 : 1 + n],
        return_flow=q[..., 1 + 2 * n :],
        supply_pressure=sup_p,
        return_pressure=ret_p,
        branch_dp=sup_p - ret_p,
        cdu_outlet_pressure=p[..., 0] + ps,
        pump_flow=q0,
        pump_rise=rise,
        n_active=n_act,
        converged=conv,
        iterations=iters,
        link_flow=q,
    )


def _open_mask(net, branch_open, shape):
    if branch_open is None:
        return np.ones(shape, dtype=np.bool_)
    m = np.ascontiguousarray(np.asarray(branch_open, dtype=np.bool_))
    if m.shape != shape:
        raise ValueError(f"branch_open: expected shape {shape}, got {m.shape}")
    return m


def solve(net, n_active=None, branch_open=None, warm=None, tol=1e-8, max_iter=100):
    """Solve the flows and pressures of one loop (Newton / global gradient algorithm).

    For every link ``j`` from node ``a`` to node ``b``, ``p_a - p_b = f_j(Q_j)`` with

    * pipes: Darcy-Weisbach ``(f_D L/D + K) rho v|v|/2``, ``f_D`` by Churchill (1977);
    * branch components: ``a q + b q|q|``;
    * CDU: ``-(c0 + c1 Q/n + c2 (Q/n)^2) + a_cdu Q + b_cdu Q|Q|`` (``n`` running pumps share Q);

    and mass conservation at every node. Each Newton step linearises ``f_j`` and eliminates the
    flows (Todini & Pilati 1988): ``(A^T G A) p = -A^T (Q - G f)``, ``G = diag(1/f'_j)``, then
    ``Q_new = Q - G f + G A p``. Node ordering ``D, S_0, R_0, S_1, ...`` makes ``A^T G A`` pentadiagonal
    (banded LDL^T, O(n)). Iterates until ``max|dQ| <= tol * Q_cdu``; mass is conserved to round-off
    after every iteration.

    Parameters
    ----------
    net : HydraulicNetwork
    n_active : int, optional
        Running pumps (default ``net.n_running``); 0 gives zero flow.
    branch_open : array_like of bool, shape (n,), optional
        ``False`` blocks a branch (zero flow). Default all open.
    warm : HydraulicSolution, optional
        Start from this solution's link flows instead of a uniform split.
    tol : float
        Relative flow tolerance [-]: stop when the Newton step, or the remaining error estimated
        from the contraction rate ``theta/(1-theta)*|dQ|`` (Hairer & Wanner 1996, sec. IV.8), is
        below ``tol`` times the CDU flow.
    max_iter : int
        Iteration limit.

    Returns
    -------
    HydraulicSolution
        Flows [m^3/s] and pressures [Pa].

    References
    ----------
    Todini, E., Pilati, S. (1988). A gradient algorithm for the analysis of pipe networks.
    Churchill, S. W. (1977). Chemical Engineering 84(24), 91-92.
    """
    n = net.n_branches
    n_act = net.n_running if n_active is None else int(n_active)
    is_open = _open_mask(net, branch_open, (n,))
    q = np.zeros(3 * n + 1)
    p = np.zeros(2 * n + 1)
    if warm is not None:
        q[:] = np.asarray(warm.link_flow, dtype=float)
    head, tail = _args(net)
    ok, it = _solve_single(*head, n_act, *tail, is_open, q, p, warm is not None, float(tol),
                           int(max_iter))
    return _unpack(net, q, p, np.int64(n_act), bool(ok), int(it))


def solve_batch(net, n_active, branch_open=None, warm=None, tol=1e-8, max_iter=100):
    """Solve many scenarios of the same loop in one parallel call, warm-started from ``warm``.

    Same equations and method as :func:`solve`, one independent Newton solve per scenario
    (scenarios run in parallel threads). A scenario that fails from the warm start is retried from
    a cold start within the same call.

    Parameters
    ----------
    net : HydraulicNetwork
    n_active : array_like of int, shape (s,)
        Running pumps per scenario.
    branch_open : array_like of bool, shape (s, n), optional
        Open branches per scenario (default all open).
    warm : HydraulicSolution, optional
        Base solution (1-D) to start every scenario from.
    tol : float
        Relative flow tolerance [-].
    max_iter : int
        Iteration limit per scenario.

    Returns
    -------
    HydraulicSolution
        Arrays with a leading scenario axis: flows [m^3/s], pressures [Pa].

    References
    ----------
    Todini, E., Pilati, S. (1988). A gradient algorithm for the analysis of pipe networks.
    """
    n = net.n_branches
    n_act = np.ascontiguousarray(np.asarray(n_active, dtype=np.int64).ravel())
    ns = n_act.shape[0]
    is_open = _open_mask(net, branch_open, (ns, n))
    q_out = np.zeros((ns, 3 * n + 1))
    p_out = np.zeros((ns, 2 * n + 1))
    conv = np.zeros(ns, dtype=np.bool_)
    iters = np.zeros(ns, dtype=np.int64)
    q_warm = np.zeros(3 * n + 1) if warm is None else np.ascontiguousarray(warm.link_flow, dtype=float)
    head, tail = _args(net)
    _solve_many(*head, n_act, *tail, is_open, q_warm, warm is not None, float(tol), int(max_iter),
                q_out, p_out, conv, iters)
    return _unpack(net, q_out, p_out, n_act, conv, iters)
