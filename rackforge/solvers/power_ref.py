"""Power-distribution reference solver: the numpy/scipy Newton solve of the DC busbar, network by network.

A plain numpy implementation of the DC Newton solve (dense linear algebra for small networks,
``scipy.sparse`` above :data:`DENSE_MAX_NODES` nodes); the AC side and the result come from
:mod:`rackforge.solvers.power_model`, which defines the model - :class:`PowerNetwork`, the element
equations, :class:`PowerFlowResult` - and whose public names this module re-exports. It is the
independent reference against which the numba path in :mod:`rackforge.solvers.power` is checked, and
it imports no numba. ``scipy`` is imported lazily, only for large networks.

Method
------
Kirchhoff's current law ``F(v) = 0`` on the node voltages ``v`` [V] (element laws in
:mod:`rackforge.solvers.power_model`).
Every element's current depends only on its own voltage, so ``F`` is the gradient of the network
co-content ``Phi(v) = sum_s g_s (v_a - v_b)^2 / 2 + sum_l int_0^v i_l - sum_p int_E^v i_p``
(Millar 1951): operating points are stationary points of ``Phi`` and the stable ones are its
local minima (``J = Hess Phi`` positive definite). ``F = 0`` is solved by Newton's method with a
Hessian shift and a line search (Nocedal & Wright 2006, sec. 3.4): the step solves
``(J + sigma m I) dv = -F``, where ``J`` is the symmetric Jacobian, ``m`` a per-network conductance
scale and ``sigma >= 0`` the pseudo-transient shift (Kelley & Keyes 1998; each iteration tries
``sigma / 4``, 0 - plain Newton - below ``sigma_min``, and multiplies it by 4 until
``J + sigma m I`` is positive definite); the step length is halved until ``Phi`` decreases
sufficiently (Armijo) or the residual norm halves. Started at the highest PSU set-point, the
iteration descends ``Phi`` to the highest stable operating point; when none exists above the
collapse voltage the loads fall into the constant-impedance branch and are reported unserved.
Near the solution it is plain Newton and converges quadratically.

References
----------
* Kelley, C. T. and Keyes, D. E., "Convergence analysis of pseudo-transient continuation",
  SIAM J. Numer. Anal. 35(2), 508-523, 1998.
* Millar, W., "Some general theorems for non-linear systems possessing resistance",
  Phil. Mag. 42(333), 1150-1160, 1951 (content and co-content).
* Nocedal, J. and Wright, S. J., *Numerical Optimization*, 2nd ed., Springer, 2006,
  sec. 3.1 (Armijo condition) and 3.4 (Newton with Hessian modification).
"""

from __future__ import annotations

import numpy as np

from rackforge.solvers.power_model import (
    CONN_A,
    CONN_AB,
    CONN_B,
    CONN_BC,
    CONN_C,
    CONN_CA,
    CONN_DC,
    PSU_BLOCKED,
    PSU_CURRENT_LIMIT,
    PSU_OFF,
    PSU_REGULATING,
    PowerFlowResult,
    PowerNetwork,
    SolverOptions,
    assemble_result,
    assemble_results,
    efficiency,
    feed_imbalance,
    load_current,
    psu_current,
    psu_input_power,
    psu_line_phasors,
)

__all__ = [
    "CONN_A",
    "CONN_AB",
    "CONN_B",
    "CONN_BC",
    "CONN_C",
    "CONN_CA",
    "CONN_DC",
    "PSU_BLOCKED",
    "PSU_CURRENT_LIMIT",
    "PSU_OFF",
    "PSU_REGULATING",
    "PowerFlowResult",
    "PowerNetwork",
    "SolverOptions",
    "assemble_result",
    "assemble_results",
    "efficiency",
    "feed_imbalance",
    "load_current",
    "psu_current",
    "psu_input_power",
    "psu_line_phasors",
    "solve_power_ref",
    "solve_scenarios_ref",
]




# ---------------------------------------------------------------------------------------------
# reference Newton / pseudo-transient solve, one network at a time
# ---------------------------------------------------------------------------------------------
#: Networks with at most this many nodes are solved with dense numpy linear algebra (Cholesky for the
#: positive-definiteness test, LAPACK ``gesv`` for the step); larger ones with ``scipy.sparse`` SuperLU.
#: Same equations, same iteration (same shifts, same iteration counts: tests/solvers/test_power_batch.py):
#: only the linear algebra of ``(J + sigma m I) dv = -F`` differs. Measured on the reference machine (2
#: cores, load ~3, one busbar solve of 2 Newton iterations): 30 nodes 0.3 ms dense / 1.0 ms sparse, 100
#: nodes 0.6 / 0.8 ms. The bound is 99 because OpenBLAS factors matrices of 100 x 100 and more with
#: threads, which on a busy 2-core machine costs 5 ms to over a second per call instead of 0.1 ms; every
#: rack busbar (NVL72 ~30 nodes, Kyber ~40) stays well below it, a hall-wide network goes sparse.
DENSE_MAX_NODES = 99


class _Prep:
    """Per-network index arrays (and the sparse segment Laplacian), built once per network and cached on the
    :class:`PowerNetwork` rather than once per solve; the dense Laplacian is made per solve
    (:meth:`laplacian`, a few microseconds) so that the cache stays small for batches of many networks."""

    __slots__ = ("n", "sa", "sb", "g", "ps", "pn", "ln", "E", "r", "il", "P", "vc", "inv_vc2", "lap", "dense",
                 "diag")

    def __init__(self, net: PowerNetwork, k: int, dense: bool):
        n0, n1 = int(net.node_ptr[k]), int(net.node_ptr[k + 1])
        s0, s1 = net.seg_ptr[k], net.seg_ptr[k + 1]
        p0, p1 = net.psu_ptr[k], net.psu_ptr[k + 1]
        l0, l1 = net.load_ptr[k], net.load_ptr[k + 1]
        n = self.n = n1 - n0
        sa = self.sa = net.seg_from[s0:s1] - n0
        sb = self.sb = net.seg_to[s0:s1] - n0
        g = self.g = 1.0 / net.seg_r_ohm[s0:s1]
        self.ps = slice(p0, p1)
        self.pn = net.psu_node[p0:p1] - n0
        self.ln = net.load_node[l0:l1] - n0
        self.E, self.r, self.il = net.psu_v_set_v[p0:p1], net.psu_r_droop_ohm[p0:p1], net.psu_i_lim_a[p0:p1]
        self.P, self.vc = net.load_p_w[l0:l1], net.load_v_collapse_v[l0:l1]
        self.inv_vc2 = 1.0 / self.vc**2
        self.dense = dense
        rows, cols = np.concatenate([sa, sb, sa, sb]), np.concatenate([sa, sb, sb, sa])
        vals = np.concatenate([g, g, -g, -g])
        if dense:
            self.lap = (rows * n + cols, vals)  # flat positions and values of the Laplacian's entries
            self.diag = np.diag_indices(n)
        else:
            import scipy.sparse as sp

            self.lap = sp.coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsc()
            self.diag = None

    def laplacian(self):
        """The segment Laplacian: a dense array (made now) or the cached sparse matrix."""
        if not self.dense:
            return self.lap
        pos, vals = self.lap
        return np.bincount(pos, vals, self.n * self.n).astype(np.float64, copy=False).reshape(self.n, self.n)


def _prep(net: PowerNetwork, k: int, linalg: str) -> _Prep:
    n = int(net.node_ptr[k + 1] - net.node_ptr[k])
    dense = n <= DENSE_MAX_NODES if linalg == "auto" else linalg == "dense"
    key = ("ref", k, dense)
    c = net._cache.get(key)
    if c is None:
        c = net._cache[key] = _Prep(net, k, dense)
    return c


def _check_linalg(linalg: str) -> str:
    if linalg not in ("auto", "dense", "sparse"):
        raise ValueError(f"linalg: expected 'auto', 'dense' or 'sparse', got {linalg!r}")
    return linalg


def _factor_dense(A, pd_tol):
    """Cholesky ``A_j = L_j L_j^T`` of a stack ``A`` [J, n, n]; ``ok[j]`` when every pivot ``L_ii^2`` (the
    pivots of LU without pivoting) exceeds ``pd_tol * A_ii`` - the same test as the sparse path's SuperLU
    pivots. One LAPACK call for the stack; matrix by matrix when one of them is not positive definite."""
    try:
        L = np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        ok = np.zeros(A.shape[0], dtype=bool)
        for j in range(A.shape[0]):
            try:
                d = np.diagonal(np.linalg.cholesky(A[j]))
            except np.linalg.LinAlgError:
                continue
            ok[j] = bool(np.all(d * d > pd_tol * np.abs(np.diagonal(A[j]))))
        return ok
    d = np.diagonal(L, axis1=-2, axis2=-1)
    return np.all(d * d > pd_tol * np.abs(np.diagonal(A, axis1=-2, axis2=-1)), axis=-1)


def _factor_sparse(A, pd_tol):
    from scipy.sparse.linalg import splu

    try:
        lu = splu(A, permc_spec="NATURAL", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
    except RuntimeError:
        return None
    piv = lu.U.diagonal()
    ok = bool(np.all(lu.perm_r == np.arange(A.shape[0])) and np.all(piv > pd_tol * np.abs(A.diagonal())))
    return lu if ok else None


def _solve_net_ref(net: PowerNetwork, k: int, v0, on, opts: SolverOptions, linalg: str = "auto"):
    """Newton with pseudo-transient continuation on network ``k``; returns (v, iters, converged).

    The linear algebra is dense numpy for networks of at most :data:`DENSE_MAX_NODES` nodes and
    ``scipy.sparse`` SuperLU above (``linalg='auto'``); ``'dense'`` or ``'sparse'`` forces one."""
    c = _prep(net, k, linalg)
    if c.dense:
        v, its, conv = _solve_jobs_dense(net, k, c, None if v0 is None else np.asarray(v0)[None, :],
                                         np.asarray(on, dtype=bool)[None, :], opts)
        return v[0], int(its[0]), bool(conv[0])
    n, sa, sb, g, pn, ln = c.n, c.sa, c.sb, c.g, c.pn, c.ln
    E, r, il, P, vc, inv_vc2 = c.E, c.r, c.il, c.P, c.vc, c.inv_vc2
    if not np.any(on):
        return np.zeros(n), 0, True
    emax = float(E[on].max())
    v = np.array(v0, dtype=np.float64) if v0 is not None else np.full(n, emax)
    m = float(net.net_mass_s[k])
    tol = max(opts.rtol * float(net.net_i_scale_a[k]), float(net.net_noise_a[k]))
    lap = c.laplacian()
    step_tol = 8.0 * np.finfo(float).eps * max(emax, 1.0)
    g_on = np.where(on, 1.0 / r, 0.0)

    def residual(v):
        """KCL residual F = grad(Phi), the diagonal of its Jacobian beyond the segment
        Laplacian, and the co-content Phi (Millar 1951) whose stationary points solve F = 0."""
        dvs = v[sa] - v[sb]
        i_s = g * dvs
        vp = v[pn]
        x = (E - vp) / r
        ip = np.where(on, np.minimum(np.maximum(x, 0.0), il), 0.0)  # psu_current
        vl = v[ln]
        cp = vl >= vc
        vls = np.where(cp, vl, 1.0)
        F = (np.bincount(sa, i_s, n) - np.bincount(sb, i_s, n) - np.bincount(pn, ip, n)
             + np.bincount(ln, np.where(cp, P / vls, P * vl * inv_vc2), n))
        dg = (np.bincount(pn, np.where((x >= 0) & (x < il), g_on, 0.0), n)
              + np.bincount(ln, np.where(cp, -P / vls**2, P * inv_vc2), n))
        phi_psu = np.where(x <= 0, 0.0, np.where(x < il, 0.5 * r * x * x,
                                                  0.5 * il * il * r + il * ((E - r * il) - vp)))
        phi = (0.5 * (g * dvs * dvs).sum() + np.where(on, phi_psu, 0.0).sum()
               + np.where(cp, P * (0.5 + np.log(vls / vc)), 0.5 * P * vl * vl * inv_vc2).sum())
        return F, dg, phi

    F, dg, phi = residual(v)
    fn = float(np.sqrt(F @ F))
    sigma = 0.0
    it = 0
    while True:
        if np.max(np.abs(F)) <= tol:
            return v, it, True
        if it >= opts.max_iter:
            return v, it, False
        while True:  # the smallest listed shift that makes J + sigma m I positive definite
            import scipy.sparse as sp

            A = (lap + sp.diags(dg + sigma * m)).tocsc()
            lu = _factor_sparse(A, opts.pd_tol)
            if lu is not None:
                break
            sigma = opts.sigma_init if sigma == 0.0 else 4.0 * sigma
            if sigma > 1e12:
                return v, it, False
        dv = lu.solve(-F)
        slope = float(F @ dv)  # < 0: descent direction of Phi
        alpha = 1.0
        while True:  # accept a halved residual, else Armijo backtracking on Phi
            vt = v + alpha * dv
            Ft, dgt, phit = residual(vt)
            fnt = float(np.sqrt(Ft @ Ft))
            if fnt <= 0.5 * fn or alpha < opts.alpha_min or phit <= phi + opts.armijo * alpha * slope:
                break
            alpha *= 0.5
        v, F, dg, phi, fn = vt, Ft, dgt, phit, fnt
        it += 1
        if sigma == 0.0 and alpha == 1.0 and np.max(np.abs(dv)) <= step_tol:
            return v, it, True
        # relax the shift: the next iteration tries sigma / 4 first (pure Newton once below
        # sigma_min) and raises it again only if J + sigma m I is not positive definite
        sigma = sigma / 4.0
        if sigma < opts.sigma_min:
            sigma = 0.0


def _solve_jobs_dense(net: PowerNetwork, k: int, c: _Prep, v0, on, opts: SolverOptions):
    """The iteration of :func:`_solve_net_ref` for ``J`` jobs on network ``k`` at once (dense linear algebra).

    Job ``j`` has its own PSUs in service ``on[j]`` [J, n_psu_k] and start ``v0[j]`` [J, n] (None: cold,
    at its highest set-point), and its own shift, step length, iteration count and stopping test: the
    stacking only shares the numpy calls, so each job follows the iteration it would follow alone.
    Returns ``v`` [J, n], ``iterations`` [J] and ``converged`` [J].
    """
    n, sa, sb, g, pn, ln = c.n, c.sa, c.sb, c.g, c.pn, c.ln
    E, r, il, P, vc, inv_vc2 = c.E, c.r, c.il, c.P, c.vc, c.inv_vc2
    J = on.shape[0]
    any_on = on.any(axis=1)
    emax = np.where(on, E, -np.inf).max(axis=1, initial=-np.inf)
    v = np.zeros((J, n))
    if v0 is not None:
        v[:] = v0
    else:
        v[:] = np.where(any_on, emax, 0.0)[:, None]
    v[~any_on] = 0.0
    m = float(net.net_mass_s[k])
    tol = max(opts.rtol * float(net.net_i_scale_a[k]), float(net.net_noise_a[k]))
    lap = c.laplacian()
    step_tol = 8.0 * np.finfo(float).eps * np.maximum(np.where(any_on, emax, 1.0), 1.0)
    g_on = np.where(on, 1.0 / r, 0.0)

    def scatter(idx, w, rows):
        """Row-wise ``bincount(idx, w[j], n)`` for a stack ``w`` [rows, len(idx)]."""
        off = (np.arange(rows) * n)[:, None]
        return np.bincount((off + idx).ravel(), w.ravel(), rows * n).astype(np.float64, copy=False).reshape(rows, n)

    def residual(v, sel):
        """KCL residual F = grad(Phi), the diagonal of its Jacobian beyond the segment Laplacian, and the
        co-content Phi (Millar 1951) whose stationary points solve F = 0, for the jobs ``sel``."""
        o, go = on[sel], g_on[sel]
        rows = v.shape[0]
        dvs = v[:, sa] - v[:, sb]
        i_s = g * dvs
        vp = v[:, pn]
        x = (E - vp) / r
        ip = np.where(o, np.minimum(np.maximum(x, 0.0), il), 0.0)  # psu_current
        vl = v[:, ln]
        cp = vl >= vc
        vls = np.where(cp, vl, 1.0)
        F = (scatter(sa, i_s, rows) - scatter(sb, i_s, rows) - scatter(pn, ip, rows)
             + scatter(ln, np.where(cp, P / vls, P * vl * inv_vc2), rows))
        dg = (scatter(pn, np.where((x >= 0) & (x < il), go, 0.0), rows)
              + scatter(ln, np.where(cp, -P / vls**2, P * inv_vc2), rows))
        phi_psu = np.where(x <= 0, 0.0, np.where(x < il, 0.5 * r * x * x,
                                                  0.5 * il * il * r + il * ((E - r * il) - vp)))
        phi = (0.5 * (g * dvs * dvs).sum(axis=1) + np.where(o, phi_psu, 0.0).sum(axis=1)
               + np.where(cp, P * (0.5 + np.log(vls / vc)), 0.5 * P * vl * vl * inv_vc2).sum(axis=1))
        return F, dg, phi

    allj = np.arange(J)
    F, dg, phi = residual(v, allj)
    fn = np.sqrt((F * F).sum(axis=1))
    sigma = np.zeros(J)
    its = np.zeros(J, dtype=np.int64)
    conv = np.zeros(J, dtype=bool)
    conv[~any_on] = True  # nothing in service: no current anywhere
    act = allj[any_on]
    diag_idx = np.arange(n)
    while act.size:
        small = np.max(np.abs(F[act]), axis=1, initial=0.0) <= tol
        conv[act[small]] = True
        act = act[~small & (its[act] < opts.max_iter)]
        if not act.size:
            break
        # per job, the smallest listed shift that makes J + sigma m I positive definite
        A = np.empty((act.size, n, n))
        pend = np.arange(act.size)
        alive = np.ones(act.size, dtype=bool)
        while pend.size:
            j = act[pend]
            Ap = np.broadcast_to(lap, (pend.size, n, n)).copy()
            Ap[:, diag_idx, diag_idx] += dg[j] + sigma[j, None] * m
            ok = _factor_dense(Ap, opts.pd_tol)
            A[pend[ok]] = Ap[ok]
            bad = pend[~ok]
            jb = act[bad]
            sigma[jb] = np.where(sigma[jb] == 0.0, opts.sigma_init, 4.0 * sigma[jb])
            gave_up = sigma[jb] > 1e12
            alive[bad[gave_up]] = False  # not converged, left at its iterate
            pend = bad[~gave_up]
        A, act = A[alive], act[alive]
        if not act.size:
            break
        dv = np.linalg.solve(A, -F[act][..., None])[..., 0]
        slope = (F[act] * dv).sum(axis=1)  # < 0: descent direction of Phi
        alpha = np.ones(act.size)
        pend = np.arange(act.size)
        while pend.size:  # per job: accept a halved residual, else Armijo backtracking on Phi
            j = act[pend]
            vt = v[j] + alpha[pend, None] * dv[pend]
            Ft, dgt, phit = residual(vt, j)
            fnt = np.sqrt((Ft * Ft).sum(axis=1))
            acc = ((fnt <= 0.5 * fn[j]) | (alpha[pend] < opts.alpha_min)
                   | (phit <= phi[j] + opts.armijo * alpha[pend] * slope[pend]))
            ja = j[acc]
            v[ja], F[ja], dg[ja], phi[ja], fn[ja] = vt[acc], Ft[acc], dgt[acc], phit[acc], fnt[acc]
            alpha[pend[~acc]] *= 0.5
            pend = pend[~acc]
        its[act] += 1
        done = (sigma[act] == 0.0) & (alpha == 1.0) & (np.max(np.abs(dv), axis=1) <= step_tol[act])
        conv[act[done]] = True
        act = act[~done]
        # relax the shift: the next iteration tries sigma / 4 first (pure Newton once below sigma_min)
        # and raises it again only if J + sigma m I is not positive definite
        sigma[act] = np.where(sigma[act] / 4.0 < opts.sigma_min, 0.0, sigma[act] / 4.0)
    return v, its, conv


def solve_power_ref(net: PowerNetwork, psu_failed=None, feed_failed=None, opts: SolverOptions | None = None,
                    linalg: str = "auto"):
    """Reference (numpy, or scipy.sparse for large networks) solve of one scenario from a cold start.

    Parameters
    ----------
    net : PowerNetwork
    psu_failed : bool array [n_psu], optional
    feed_failed : bool array [n_feed], optional
    opts : SolverOptions, optional
    linalg : {'auto', 'dense', 'sparse'}, optional
        Linear algebra of the Newton step: dense numpy for networks of at most
        :data:`DENSE_MAX_NODES` nodes and scipy.sparse SuperLU above (``'auto'``), or forced.

    Returns
    -------
    PowerFlowResult
    """
    _check_linalg(linalg)
    opts = opts or SolverOptions()
    on = ~net.psu_out(psu_failed, feed_failed)
    v0 = np.zeros(net.n_node)
    conv = np.ones(net.n_net, dtype=bool)
    iters = np.zeros(net.n_net, dtype=np.int64)
    for k in range(net.n_net):
        ps = slice(net.psu_ptr[k], net.psu_ptr[k + 1])
        n0, n1 = net.node_ptr[k], net.node_ptr[k + 1]
        vk, it, cv = _solve_net_ref(net, k, None, on[ps], opts, linalg)
        v0[n0:n1] = vk
        conv[k], iters[k] = cv, it
    psu_i = psu_current(v0[net.psu_node], net.psu_v_set_v, net.psu_r_droop_ohm, net.psu_i_lim_a, on)
    return assemble_result(net, v0, psu_i, on, conv, iters)


def solve_scenarios_ref(net: PowerNetwork, scenarios, base: PowerFlowResult | None = None,
                        opts: SolverOptions | None = None, which=None, linalg: str = "auto"):
    """Reference solve of fault scenarios, each warm-started from the base solution.

    Only networks with a PSU out of service in the scenario (failed itself or on a failed
    feed) are re-solved; the others keep the base solution (they share nothing but feeds).
    On the dense path all the scenarios that re-solve one network run as one stacked iteration,
    each exactly as it would run alone (its own shift, step, count and stopping test).

    Parameters
    ----------
    net : PowerNetwork
    scenarios : Scenarios
        From :func:`rackforge.solvers.power_scenarios.enumerate_scenarios` or
        ``Scenarios.from_masks``.
    base : PowerFlowResult, optional
        Base solution (computed with :func:`solve_power_ref` if omitted).
    which : iterable of int, optional
        Scenario indices to solve (all by default).
    linalg : {'auto', 'dense', 'sparse'}, optional
        As in :func:`solve_power_ref`.

    Returns
    -------
    list of PowerFlowResult
    """
    _check_linalg(linalg)
    opts = opts or SolverOptions()
    if base is None:
        base = solve_power_ref(net, opts=opts, linalg=linalg)
    idx = list(range(scenarios.n_scen) if which is None else which)
    ons, touched = [], []
    for s in idx:
        fp = scenarios.psu_idx[scenarios.psu_ptr[s] : scenarios.psu_ptr[s + 1]]
        ff = scenarios.feed_idx[scenarios.feed_ptr[s] : scenarios.feed_ptr[s + 1]]
        failed = np.zeros(net.n_psu, dtype=bool)
        failed[fp] = True
        fmask = np.zeros(net.n_feed, dtype=bool)
        fmask[ff] = True
        out_mask = net.psu_out(failed, fmask)
        ons.append(~out_mask)
        touched.append(np.unique(net.psu_net[out_mask]))
    # the jobs of one network (every scenario that re-solves it) in one stacked dense iteration
    jobs: dict[int, list[int]] = {}
    for i, nets in enumerate(touched):
        for k in nets.tolist():
            jobs.setdefault(k, []).append(i)
    sol = {}
    v_base = base.node_voltage_v
    for k, members in jobs.items():
        n0, n1 = int(net.node_ptr[k]), int(net.node_ptr[k + 1])
        ps = slice(net.psu_ptr[k], net.psu_ptr[k + 1])
        c = _prep(net, k, linalg)
        if c.dense:
            V, its, cv = _solve_jobs_dense(net, k, c, np.broadcast_to(v_base[n0:n1], (len(members), n1 - n0)),
                                           np.stack([ons[i][ps] for i in members]), opts)
            for row, i in enumerate(members):
                sol[i, k] = (V[row], int(its[row]), bool(cv[row]))
        else:
            for i in members:
                sol[i, k] = _solve_net_ref(net, k, v_base[n0:n1], ons[i][ps], opts, linalg)
    S = len(idx)
    V = np.tile(v_base, (S, 1))
    CONV = np.tile(base.net_converged, (S, 1))
    ITERS = np.zeros((S, net.n_net), dtype=np.int64)
    for (i, k), (vk, it, cv) in sol.items():
        V[i, net.node_ptr[k]:net.node_ptr[k + 1]] = vk
        CONV[i, k], ITERS[i, k] = cv, it
    ON = np.array(ons, dtype=bool).reshape(S, net.n_psu)
    PSU_I = psu_current(V[:, net.psu_node], net.psu_v_set_v, net.psu_r_droop_ohm, net.psu_i_lim_a, ON)
    return assemble_results(net, V, PSU_I, ON, CONV, ITERS)
