"""Liquid-loop network arrays and builders in plain numpy: no numba.

The arrays of one loop (:class:`HydraulicNetwork`), the solution layout (:class:`HydraulicSolution`), the
network builders and the figures reported from a solution (:func:`flow_spread`, :func:`gauge_pressures`). The
element helpers (quick-disconnect Cv, K factors, fitted component and pump curves, tees, parallel groups) live in
:mod:`rackforge.solvers.hydraulic_components` and are re-exported here.
These live apart from the numba kernels of :mod:`rackforge.solvers.hydraulics` (which re-exports every name
here) so that building a network, or solving a small one with the numpy/scipy reference
(:mod:`rackforge.solvers.hydraulics_ref`), does not import numba. Conventions and references: see
:mod:`rackforge.solvers.hydraulics`.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

# component laws, re-exported here (their callers import them from this module or rackforge.solvers.hydraulics)
from rackforge.solvers.hydraulic_components import (
    CV_REFERENCE_DENSITY,
    GPM_M3_S,
    PSI_PA,
    TEE_KINDS,
    coolant_corrected_curve,
    crane_tee_k,
    fit_component_curve,
    fit_pump_curve,
    group_pressure_drop,
    k_factor_coefficient,
    parallel_identical,
    parallel_split,
    pump_curve_rises,
    pump_pressure_rise,
    qd_pair_coefficient,
    tee_losses,
)

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
    "TEE_KINDS",
    "crane_tee_k",
    "tee_losses",
    "parallel_split",
    "flow_spread",
    "gauge_pressures",
    "pump_curve_rises",
    "G_STANDARD",
    "coolant_corrected_curve",
    "group_pressure_drop",
]

#: Standard acceleration of gravity [m/s^2] (CGPM 1901).
G_STANDARD = 9.80665


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
    tee : bool
        Header tees lose pressure by flow ratio (Crane TP-410 90-degree tee correlations, see
        :func:`crane_tee_k` and :func:`tee_losses`) in addition to ``sup_k``/``ret_k``/``bp_k``.
    br_dtee : ndarray, shape (n,)
        Diameter of the branch connection at each tap [m] (the ``beta = d/D`` of the tee).
    sup_z, ret_z : ndarray, shape (n,)
        Height of each supply / return tap [m] (for :func:`gauge_pressures`; hydrostatic head cancels
        in the flow solution of a constant-density loop).
    z_ref : float
        Height at which ``p_suction`` holds (the fill point / expansion tank connection) [m].
    pg_ptr : ndarray of int64, shape (n+1,)
        Branch ``i`` has, in series with its pipes and its ``br_a``/``br_b`` term, a group of parallel
        members ``pg_ptr[i]:pg_ptr[i+1]``, each ``dp = pg_a q_k + pg_b q_k^2``, sharing the branch flow at
        one common drop (solved exactly, :func:`group_pressure_drop`); empty for most branches.
    pg_a, pg_b : ndarray
        Member coefficients [Pa s/m^3], [Pa s^2/m^6].
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
    tee: bool = False
    br_dtee: np.ndarray | None = None
    sup_z: np.ndarray | None = None
    ret_z: np.ndarray | None = None
    z_ref: float = 0.0
    pg_ptr: np.ndarray | None = None
    pg_a: np.ndarray | None = None
    pg_b: np.ndarray | None = None

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
    tee=False,
    br_dtee=None,
    sup_z=0.0,
    ret_z=0.0,
    z_ref=0.0,
    pg_ptr=None,
    pg_a=None,
    pg_b=None,
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
    tee : bool
        Add the flow-ratio tee losses of :func:`tee_losses` at every tap.
    br_dtee : array_like, shape (n,), optional
        Branch connection diameter at each tap [m]; default the branch's first pipe, or the header
        diameter for a branch without pipes.
    sup_z, ret_z : array_like, shape (n,)
        Tap heights [m]. z_ref : float, height of ``p_suction`` [m].
    pg_ptr, pg_a, pg_b : array_like, optional
        Parallel groups of the branches (CSR offsets of shape (n+1,), member coefficients [Pa s/m^3],
        [Pa s^2/m^6]); default none.

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
        tee=bool(tee),
        br_dtee=None,
        sup_z=as_f64(sup_z, n, "sup_z"),
        ret_z=as_f64(ret_z, n, "ret_z"),
        z_ref=float(z_ref),
    )
    if br_dtee is None:
        first = np.minimum(br_ptr[:-1], max(npipe - 1, 0))
        has = np.diff(br_ptr) > 0
        br_dtee = np.where(has, net.bp_d[first] if npipe else 0.0, net.sup_d)
    net = net._replace(br_dtee=as_f64(br_dtee, n, "br_dtee"))
    if pg_ptr is None:
        pg_ptr, pg_a, pg_b = np.zeros(n + 1, np.int64), np.zeros(0), np.zeros(0)
    pg_ptr = np.ascontiguousarray(np.asarray(pg_ptr, dtype=np.int64))
    if pg_ptr.shape != (n + 1,) or pg_ptr[0] != 0 or np.any(np.diff(pg_ptr) < 0):
        raise ValueError("pg_ptr must be non-decreasing CSR offsets of shape (n+1,) starting at 0")
    npg = int(pg_ptr[-1])
    net = net._replace(pg_ptr=pg_ptr, pg_a=as_f64(pg_a, npg, "pg_a"), pg_b=as_f64(pg_b, npg, "pg_b"))
    if np.any(net.pg_a < 0) or np.any(net.pg_b < 0) or np.any(net.pg_a + net.pg_b <= 0):
        raise ValueError("parallel group members need a >= 0, b >= 0, a + b > 0")
    if np.any(net.br_dtee <= 0):
        raise ValueError("br_dtee: diameters must be positive")
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
    tee=False,
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
    tee : bool
        Flow-ratio tee losses at the taps (:func:`tee_losses`).

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
        tee=tee,
    )


# ----------------------------------------------------------------------------------------------
# Reported figures
# ----------------------------------------------------------------------------------------------


def flow_spread(branch_flow, is_open=None):
    """Flow spread of the open branches ``(max - min) / mean`` [-] (0 for fewer than two)."""
    q = np.asarray(branch_flow, dtype=float)
    if is_open is not None:
        q = q[np.asarray(is_open, bool)]
    if q.size < 2 or q.mean() <= 0:
        return 0.0
    return float((q.max() - q.min()) / q.mean())


def gauge_pressures(net, sol, g=G_STANDARD):
    """Tap pressures with static head: what a gauge at each tap's height reads [Pa].

    The flow solution is solved without hydrostatics (it cancels around every closed loop of a
    constant-density fluid); the pressure at height ``z`` is that solution plus the static head
    from the reference ``z_ref``, where ``p_suction`` is held (fill point / expansion tank):

    .. math:: p_{gauge}(z) = p(z) + \\rho g (z_{ref} - z)

    Parameters
    ----------
    net : HydraulicNetwork
    sol : HydraulicSolution
    g : float
        Gravity [m/s^2].

    Returns
    -------
    tuple of ndarray
        ``(supply, return)`` gauge pressures at the taps [Pa].

    References
    ----------
    White, F. M. (2011). Fluid Mechanics, 7th ed., sec. 2.3 (hydrostatic pressure).
    """
    sz = np.zeros(net.n_branches) if net.sup_z is None else net.sup_z
    rz = np.zeros(net.n_branches) if net.ret_z is None else net.ret_z
    return (np.asarray(sol.supply_pressure) + net.rho * g * (net.z_ref - sz),
            np.asarray(sol.return_pressure) + net.rho * g * (net.z_ref - rz))
