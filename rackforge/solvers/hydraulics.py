"""Liquid-loop hydraulic solver: one CDU, a supply and a return manifold, one branch per tray.

Pure layer: numpy arrays and SI floats in, arrays out. The iteration runs inside one
``numba`` call (``@njit(cache=True)``); the batch of fault scenarios runs in one parallel call. The jitted
kernels live in :mod:`rackforge.solvers.hydraulics_kernels`; this module holds the Python API.

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
  :func:`fit_component_curve`, :func:`parallel_identical`) plus, optionally, a parallel group of members
  ``a_k q_k + b_k q_k^2`` sharing the branch flow at one drop, split exactly at every iterate
  (``net.pg_*``, :func:`group_pressure_drop`).
* Optionally (``net.tee``) every tap is a 90-degree tee whose branch and run paths lose pressure by flow
  ratio, Crane TP-410 (:func:`crane_tee_k`, :func:`tee_losses`).

Flows are [m^3/s], pressures [Pa] (gauge, relative to the loop's static reference), lengths,
diameters and roughness [m]. Hydrostatic head cancels around every closed loop of a
constant-density fluid and is left out of the solve; :func:`gauge_pressures` adds it back at each
tap's height (``net.sup_z``, ``net.ret_z``) from the reference ``net.z_ref`` where ``p_suction`` holds.

The same element set serves at hall scale: a row's facility-water header feeding racks (each rack's CDU
primary side a branch: drop pipes plus the heat exchanger's ``a q + b q^2``, or several heat exchangers as a
parallel group) from a facility pump is this ladder with the racks as branches; the API takes arrays of any
length, per-segment diameters (tapered headers) and tap heights, and nothing in it is rack-specific. Links are numbered ``0`` (CDU), ``1..n`` (supply segments),
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
Crane Co. (2009). *Flow of Fluids Through Valves, Fittings, and Pipe*, Technical Paper 410 (tees).
"""
from __future__ import annotations

import numpy as np

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
    "TEE_KINDS",
    "crane_tee_k",
    "tee_losses",
    "group_pressure_drop",
    "parallel_split",
    "flow_spread",
    "gauge_pressures",
    "pump_curve_rises",
    "G_STANDARD",
]


# numpy-only parts (no numba), re-exported here: see rackforge/solvers/hydraulic_network.py
from rackforge.solvers.hydraulic_network import (  # noqa: F401
    CV_REFERENCE_DENSITY,
    G_STANDARD,
    GPM_M3_S,
    TEE_KINDS,
    PSI_PA,
    HydraulicNetwork,
    HydraulicSolution,
    as_f64,
    build_network,
    crane_tee_k,
    fit_component_curve,
    flow_spread,
    gauge_pressures,
    group_pressure_drop,
    parallel_split,
    pump_curve_rises,
    tee_losses,
    fit_pump_curve,
    k_factor_coefficient,
    parallel_identical,
    pump_pressure_rise,
    qd_pair_coefficient,
    uniform_manifold,
)
from rackforge.solvers.hydraulics_kernels import churchill_f_vec, pipe_vec, solve_many, solve_single


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
    churchill_f_vec(flat_re, flat_rr, out)
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
    pipe_vec(*flat, float(rho), float(mu), dp, ddp)
    dp, ddp = dp.reshape(shape), ddp.reshape(shape)
    if not shape:
        dp, ddp = float(dp), float(ddp)
    return (dp, ddp) if derivative else dp




def _args(net):
    return (
        net.n_branches, net.rho, net.mu, net.pump_c,
    ), (
        net.cdu_a, net.cdu_b, net.sup_d, net.sup_len, net.sup_eps, net.sup_k, net.ret_d,
        net.ret_len, net.ret_eps, net.ret_k, net.reverse_return, net.br_ptr, net.bp_d, net.bp_len,
        net.bp_eps, net.bp_k, net.br_a, net.br_b, bool(net.tee), _dtee(net), *_groups(net),
    )


def _groups(net):
    if net.pg_ptr is None:
        return np.zeros(net.n_branches + 1, np.int64), np.zeros(0), np.zeros(0)
    return net.pg_ptr, net.pg_a, net.pg_b


def _dtee(net):
    return net.br_dtee if net.br_dtee is not None else np.ascontiguousarray(net.sup_d)


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
    (banded LDL^T, O(n)). Iterates until every link's flow changes by at most ``tol`` relative to its
    own flow (a starved branch is held to the same relative accuracy as the CDU flow); mass is
    conserved to round-off after every iteration and every node's balance is checked at the end.

    With ``net.tee`` the header tees add the flow-ratio losses of
    :func:`~rackforge.solvers.hydraulic_network.tee_losses` (Crane TP-410); their coefficients are
    re-evaluated at every iterate (the Newton slope holds them fixed), so the converged flows satisfy
    the full equations.

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
        Relative flow tolerance [-]: stop when, for every link, the Newton step, or the remaining
        error estimated from the contraction rate ``theta/(1-theta)*|dQ|`` (Hairer & Wanner 1996,
        sec. IV.8), is below ``tol`` times that link's flow.
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
    Crane Co. (2009). Flow of Fluids Through Valves, Fittings, and Pipe, TP-410 (tees).
    """
    n = net.n_branches
    n_act = net.n_running if n_active is None else int(n_active)
    is_open = _open_mask(net, branch_open, (n,))
    q = np.zeros(3 * n + 1)
    p = np.zeros(2 * n + 1)
    if warm is not None:
        q[:] = np.asarray(warm.link_flow, dtype=float)
    head, tail = _args(net)
    ok, it = solve_single(*head, n_act, *tail, is_open, q, p, warm is not None, float(tol),
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
    solve_many(*head, n_act, *tail, is_open, q_warm, warm is not None, float(tol), int(max_iter),
                q_out, p_out, conv, iters)
    return _unpack(net, q_out, p_out, n_act, conv, iters)
