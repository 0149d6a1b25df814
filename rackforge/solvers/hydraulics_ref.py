"""Reference path for the liquid-loop hydraulics: plain numpy/scipy, no numba.

Same physical equations as :mod:`rackforge.solvers.hydraulics`, written independently:

* a generic graph (edge list -> sparse incidence matrix), not the ladder ordering;
* the Churchill (1977) friction factor in its published form (not the ``64 phi / Re`` rewrite);
* derivatives by complex step (Squire & Trapp 1998), not by hand;
* a full Newton step on flows *and* pressures, ``[[-F', A], [A^T, 0]] [dQ; p] = ...``, solved by
  ``scipy.sparse.linalg.spsolve`` (SuperLU), with a backtracking line search on the residual.

Used by the tests (numba vs reference to 1e-6) and as the benchmark baseline.

References
----------
Todini, E., Pilati, S. (1988). A gradient algorithm for the analysis of pipe networks.
Churchill, S. W. (1977). Friction-factor equation spans all fluid-flow regimes. Chem. Eng. 84(24).
Squire, W., Trapp, G. (1998). Using complex variables to estimate derivatives of real functions.
  SIAM Review 40(1), 110-112.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from rackforge.solvers.hydraulic_network import HydraulicSolution

__all__ = ["churchill_ref", "solve_ref", "solve_batch_ref"]


def churchill_ref(re, rel_rough):
    """Darcy friction factor, Churchill (1977), published form; accepts complex ``re``.

    .. math:: f = 8\\left[(8/Re)^{12} + (A+B)^{-1.5}\\right]^{1/12}

    Parameters
    ----------
    re : array_like
        Reynolds number [-] (> 0; complex for complex-step derivatives).
    rel_rough : array_like
        Relative roughness [-].

    Returns
    -------
    ndarray
        Friction factor [-].

    References
    ----------
    Churchill (1977), Chemical Engineering 84(24), 91-92.
    """
    a = (-2.457 * np.log((7.0 / re) ** 0.9 + 0.27 * rel_rough)) ** 16
    b = (37530.0 / re) ** 16
    return 8.0 * ((8.0 / re) ** 12 + (a + b) ** (-1.5)) ** (1.0 / 12.0)


def _pipes_dp(q, d, length, eps, k, rho, mu):
    """Darcy-Weisbach with minor losses, complex-safe (|v| = sqrt(v*v))."""
    area = np.pi * d * d / 4.0
    v = q / area
    av = np.sqrt(v * v)
    re = rho * av * d / mu
    lam = re.real < 1.0  # Churchill equals 64/Re there to ~1e-13; avoids 0/0 at zero flow
    with np.errstate(all="ignore"):
        f = churchill_ref(np.where(lam, 1.0, re), eps / d)
        turb = (f * length / d + k) * rho * v * av / 2.0
    return np.where(lam, 32.0 * mu * length * v / (d * d) + k * rho * v * av / 2.0, turb)


def _graph(net, n_act, is_open):
    """Edge list of the loop: node 0 = suction (fixed), 1 = CDU outlet, S_i, R_i after."""
    n = net.n_branches
    S = 2 + np.arange(n)
    R = 2 + n + np.arange(n)
    edges = []  # (kind, index, from, to)
    if n_act > 0:
        edges.append(("cdu", 0, 0, 1))
    for i in range(n):
        edges.append(("sup", i, 1 if i == 0 else S[i - 1], S[i]))
    for i in range(n):
        if is_open[i]:
            edges.append(("br", i, S[i], R[i]))
    for i in range(n):
        if net.reverse_return:
            edges.append(("ret", i, R[i], R[i + 1] if i < n - 1 else 0))
        else:
            edges.append(("ret", i, R[i], R[i - 1] if i > 0 else 0))
    return edges


def _make_law(net, n_act, edges):
    """Vectorised head-loss function f(Q) for the edge list (complex-safe)."""
    kinds = np.array([e[0] for e in edges])
    idx = np.array([e[1] for e in edges])
    sup = np.flatnonzero(kinds == "sup")
    ret = np.flatnonzero(kinds == "ret")
    br = np.flatnonzero(kinds == "br")
    cdu = np.flatnonzero(kinds == "cdu")
    bi = idx[br]
    # branch pipes expanded: one row per pipe, summed back per branch
    counts = np.diff(net.br_ptr)[bi]
    pipe_rows = np.concatenate([np.arange(net.br_ptr[i], net.br_ptr[i + 1]) for i in bi]) if bi.size else np.zeros(0, int)
    owner = np.repeat(np.arange(bi.size), counts)
    summer = sp.csr_matrix((np.ones(owner.size), (owner, np.arange(owner.size))), shape=(bi.size, owner.size))
    c0, c1, c2 = net.pump_c

    def law(q):
        f = np.zeros_like(q)
        if cdu.size:
            qc = q[cdu]
            qn = qc / n_act
            f[cdu] = -(c0 + c1 * qn + c2 * qn * qn) + net.cdu_a * qc + net.cdu_b * qc * np.sqrt(qc * qc)
        s = idx[sup]
        f[sup] = _pipes_dp(q[sup], net.sup_d[s], net.sup_len[s], net.sup_eps[s], net.sup_k[s], net.rho, net.mu)
        r = idx[ret]
        f[ret] = _pipes_dp(q[ret], net.ret_d[r], net.ret_len[r], net.ret_eps[r], net.ret_k[r], net.rho, net.mu)
        qb = q[br]
        fb = net.br_a[bi] * qb + net.br_b[bi] * qb * np.sqrt(qb * qb)
        if pipe_rows.size:
            dp = _pipes_dp(qb[owner], net.bp_d[pipe_rows], net.bp_len[pipe_rows], net.bp_eps[pipe_rows],
                           net.bp_k[pipe_rows], net.rho, net.mu)
            fb = fb + summer @ dp
        f[br] = fb
        return f

    return law


def solve_ref(net, n_active=None, branch_open=None, q0=None, tol=1e-12, max_iter=200):
    """Reference solve of one loop by a full sparse Newton method on flows and pressures.

    Unknowns: link flows Q and free-node pressures p (suction node fixed at 0 gauge). Equations:
    ``A p - f(Q) = 0`` (each link's law, ``A`` the link-node incidence with +1 at the upstream
    node) and ``A^T Q = 0`` (mass at every free node). Newton steps use the sparse Jacobian
    ``[[-diag(f'), A], [A^T, 0]]`` with ``f'`` by complex step, a backtracking line search on the
    residual norm, and stop when the flow step is below ``tol`` relative to the CDU flow.

    Parameters
    ----------
    net : HydraulicNetwork
    n_active : int, optional
        Running pumps (default ``net.n_running``).
    branch_open : array_like of bool, shape (n,), optional
    q0 : ndarray, shape (3n+1,), optional
        Initial link flows in the kernel's link numbering [m^3/s].
    tol : float
        Relative step tolerance [-].
    max_iter : int

    Returns
    -------
    HydraulicSolution
        Flows [m^3/s] and pressures [Pa] (same layout as the numba solver).

    References
    ----------
    Todini & Pilati (1988); Squire & Trapp (1998); SuperLU (Li 2005, ACM TOMS 31(3)).
    """
    n = net.n_branches
    n_act = net.n_running if n_active is None else int(n_active)
    is_open = np.ones(n, bool) if branch_open is None else np.asarray(branch_open, bool)
    link_q = np.zeros(3 * n + 1)
    if n_act <= 0:
        return _pack(net, link_q, np.zeros(2 * n + 1), n_act, True, 0)
    if not is_open.any():  # dead ends only: no flow, supply side at the shut-off pressure
        return _pack(net, link_q, np.r_[np.full(1 + n, net.pump_c[0]), np.zeros(n)], n_act, True, 0)
    edges = _graph(net, n_act, is_open)
    m = len(edges)
    nn = 1 + 2 * n  # free nodes 1..2n+1 -> columns 0..2n
    frm = np.array([e[2] for e in edges])
    to = np.array([e[3] for e in edges])
    rows = np.concatenate([np.arange(m), np.arange(m)])
    cols = np.concatenate([frm, to]) - 1
    vals = np.concatenate([np.ones(m), -np.ones(m)])
    keep = cols >= 0  # drop the fixed suction node
    A = sp.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=(m, nn))
    law = _make_law(net, n_act, edges)
    # kernel link index of each edge, for warm starts and output
    kind_off = {"cdu": 0, "sup": 1, "br": 1 + n, "ret": 1 + 2 * n}
    kidx = np.array([kind_off[e[0]] + e[1] for e in edges])
    if q0 is not None:
        q = np.asarray(q0, dtype=float)[kidx].copy()
    else:
        c0, c1, c2 = net.pump_c
        qmax = n_act * ((-c1 - np.sqrt(c1 * c1 - 4 * c2 * c0)) / (2 * c2) if c2 < 0 else 1e-3)
        qb = np.where(is_open, 0.5 * qmax / max(is_open.sum(), 1), 0.0)
        full = np.concatenate([[qb.sum()], np.cumsum(qb[::-1])[::-1], qb,
                               np.cumsum(qb) if net.reverse_return else np.cumsum(qb[::-1])[::-1]])
        q = full[kidx]
    q = np.where(q == 0.0, 1e-9, q)
    p = np.zeros(nn)

    def residual(q, p):
        return np.concatenate([A @ p - law(q), A.T @ q])

    res = residual(q, p)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        h = 1e-20 * np.maximum(np.abs(q), 1e-12)
        fp = law(q + 1j * h).imag / h
        J = sp.bmat([[sp.diags(-fp), A], [A.T, None]], format="csc")
        dx = spsolve(J, -res)
        dq, dpv = dx[:m], dx[m:]
        t = 1.0
        r0 = np.linalg.norm(res)
        while True:
            qt, pt = q + t * dq, p + t * dpv
            rt = residual(qt, pt)
            if np.linalg.norm(rt) <= (1 - 1e-4 * t) * r0 or t < 1e-4:
                break
            t *= 0.5
        q, p, res = qt, pt, rt
        qscale = abs(q[0]) if edges[0][0] == "cdu" else np.abs(q).max()
        if np.max(np.abs(t * dq)) <= tol * qscale:
            converged = True
            break
    link_q[kidx] = q
    return _pack(net, link_q, p, n_act, converged, it)


def _pack(net, q, p_free, n_act, converged, iterations):
    """Convert to the numba solver's layout (nodes D, S_0, R_0, S_1, ...)."""
    n = net.n_branches
    ps = net.p_suction
    pd = p_free[0] + ps
    sup_p = p_free[1 : 1 + n] + ps
    ret_p = p_free[1 + n :] + ps
    qn = q[0] / n_act if n_act > 0 else 0.0
    rise = net.pump_c[0] + net.pump_c[1] * qn + net.pump_c[2] * qn * qn if n_act > 0 else 0.0
    return HydraulicSolution(
        branch_flow=q[1 + n : 1 + 2 * n], supply_flow=q[1 : 1 + n], return_flow=q[1 + 2 * n :],
        supply_pressure=sup_p, return_pressure=ret_p, branch_dp=sup_p - ret_p,
        cdu_outlet_pressure=pd, pump_flow=q[0], pump_rise=rise, n_active=n_act,
        converged=converged, iterations=iterations, link_flow=q)


def solve_batch_ref(net, n_active, branch_open=None, warm=None, tol=1e-12):
    """Reference batch: :func:`solve_ref` per scenario in a Python loop, warm-started.

    Parameters
    ----------
    net : HydraulicNetwork
    n_active : array_like of int, shape (s,)
    branch_open : array_like of bool, shape (s, n), optional
    warm : HydraulicSolution, optional
    tol : float

    Returns
    -------
    list of HydraulicSolution

    References
    ----------
    As :func:`solve_ref`.
    """
    n_active = np.asarray(n_active).ravel()
    out = []
    for s in range(n_active.size):
        bo = None if branch_open is None else np.asarray(branch_open)[s]
        q0 = None if warm is None else warm.link_flow
        out.append(solve_ref(net, int(n_active[s]), bo, q0=q0, tol=tol))
    return out
