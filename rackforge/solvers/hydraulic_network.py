"""Liquid-loop network arrays and element laws in plain numpy: no numba.

The arrays of one loop (:class:`HydraulicNetwork`), the solution layout (:class:`HydraulicSolution`), the
element helpers (quick-disconnect Cv, K factors, fitted component and pump curves) and the network builders.
They live apart from the numba kernels of :mod:`rackforge.solvers.hydraulics` (which re-exports every name
here) so that building a network, or solving a small one with the numpy/scipy reference
(:mod:`rackforge.solvers.hydraulics_ref`), does not import numba. Conventions and references: see
:mod:`rackforge.solvers.hydraulics`.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = [
    "GPM_M3_S",
    "PSI_PA",
    "CV_REFERENCE_DENSITY",
    "HydraulicNetwork",
    "HydraulicSolution",
    "build_network",
    "uniform_manifold",
    "qd_pair_coefficient",
    "k_factor_coefficient",
    "fit_component_curve",
    "parallel_identical",
    "fit_pump_curve",
    "pump_pressure_rise",
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


def as_f64(x, n=None, name=""):
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
    br_a = as_f64(br_a)
    n = br_a.shape[0]
    if n < 1:
        raise ValueError("a loop needs at least one branch")
    br_ptr = np.ascontiguousarray(np.asarray(br_ptr, dtype=np.int64))
    if br_ptr.shape != (n + 1,) or br_ptr[0] != 0 or np.any(np.diff(br_ptr) < 0):
        raise ValueError("br_ptr must be non-decreasing CSR offsets of shape (n+1,) starting at 0")
    npipe = int(br_ptr[-1])
    pump_c = as_f64(pump_c)
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
        sup_d=as_f64(sup_d, n, "sup_d"),
        sup_len=as_f64(sup_len, n, "sup_len"),
        sup_eps=as_f64(sup_eps, n, "sup_eps"),
        sup_k=as_f64(sup_k, n, "sup_k"),
        ret_d=as_f64(ret_d, n, "ret_d"),
        ret_len=as_f64(ret_len, n, "ret_len"),
        ret_eps=as_f64(ret_eps, n, "ret_eps"),
        ret_k=as_f64(ret_k, n, "ret_k"),
        reverse_return=bool(reverse_return),
        br_ptr=br_ptr,
        bp_d=as_f64(bp_d, npipe, "bp_d"),
        bp_len=as_f64(bp_len, npipe, "bp_len"),
        bp_eps=as_f64(bp_eps, npipe, "bp_eps"),
        bp_k=as_f64(bp_k, npipe, "bp_k"),
        br_a=br_a,
        br_b=as_f64(br_b, n, "br_b"),
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
