"""Reference path for the liquid-loop hydraulics: plain numpy (scipy only for large loops), no numba.

Same physical equations as :mod:`rackforge.solvers.hydraulics`, written independently:

* a generic graph (edge list -> incidence), not the ladder ordering;
* the Churchill (1977) friction factor in its published form (not the ``64 phi / Re`` rewrite);
* derivatives by complex step (Squire & Trapp 1998), not by hand;
* a full Newton step on flows *and* pressures, ``[[-F', A], [A^T, 0]] [dQ; dp] = -[r_1; r_2]``, with a
  backtracking line search on the residual;
* header tee losses (``net.tee``) from the numpy :func:`~rackforge.solvers.hydraulic_network.tee_losses`
  in the residual; in ``F'`` only their slope in a branch's own flow with the header segments held (a
  central difference, :func:`_tee_slope`; the run terms and the coupling to the neighbours are left out:
  a quasi-Newton step, while the residual, and so the solution, is exact). Without that slope the
  iteration on a tee'd manifold converges only linearly and can stall above a tight ``tol``;
* parallel groups (``net.pg_*``) by :func:`~rackforge.solvers.hydraulic_network.group_pressure_drop` on the
  real part, with its slope carried into the imaginary part (the complex step through an inner iteration);
* stopping test: every link's step below ``tol`` relative to its own flow and every free node's mass
  balance below ``tol`` relative to its throughput.

The Newton system is solved in one of two ways, chosen per loop (``linalg`` argument):

* **dense** (loops of at most :data:`DENSE_MAX_NODES` free nodes, i.e. up to 49 branches): block
  elimination of the flow step, ``dQ = F'^{-1} (A dp + r_1)`` and
  ``(A^T F'^{-1} A) dp = -r_2 - A^T F'^{-1} r_1`` - exact algebra, valid when every open link has
  ``F' > 0`` (friction, plates and a pump curve that falls with flow; a solve where that fails is
  redone on the sparse path) - with a dense LAPACK solve of the ``(2n+1)``-square Schur complement.
  Scenarios of a fault batch run as one stacked array (``np.linalg.solve`` on ``[s, k, k]``), each with
  its own line search, iteration count and convergence test, so every scenario follows exactly the
  iteration it would follow alone;
* **sparse**: the full ``(5n+2)``-square system by ``scipy.sparse.linalg.spsolve`` (SuperLU), one
  scenario at a time.

Used by the tests (numba vs reference to 1e-6; dense vs sparse) and as the benchmark baseline, and by
``validate`` for loops small enough that importing numba would cost more than it saves.

References
----------
Todini, E., Pilati, S. (1988). A gradient algorithm for the analysis of pipe networks.
Churchill, S. W. (1977). Friction-factor equation spans all fluid-flow regimes. Chem. Eng. 84(24).
Squire, W., Trapp, G. (1998). Using complex variables to estimate derivatives of real functions.
  SIAM Review 40(1), 110-112.
"""
from __future__ import annotations

import numpy as np

from rackforge.solvers.hydraulic_network import HydraulicSolution, group_pressure_drop, tee_losses

#: Largest number of free nodes (``2n + 1`` for ``n`` branches) solved densely. 99 because OpenBLAS
#: factors matrices of 100 x 100 and more with threads, which on a busy 2-core machine costs 5 ms to over
#: a second per call instead of ~0.05 ms; an NVL72 loop (27 branches) has 55 free nodes.
DENSE_MAX_NODES = 99

__all__ = ["DENSE_MAX_NODES", "churchill_ref", "solve_ref", "solve_batch_ref"]


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


def _group_terms(net, branches, qb):
    """Parallel-group drop of branches ``branches`` at flows ``qb`` [..., len(branches)], complex-safe."""
    out = np.zeros_like(qb)
    if net.pg_ptr is None or net.pg_ptr[-1] == 0:
        return out
    for col, i in enumerate(branches):
        k0, k1 = net.pg_ptr[i], net.pg_ptr[i + 1]
        if k1 > k0:
            x = qb[..., col]
            dp, slope = group_pressure_drop(x.real, net.pg_a[k0:k1], net.pg_b[k0:k1])
            out[..., col] = dp + 1j * x.imag * slope if np.iscomplexobj(x) else dp
    return out


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
    import scipy.sparse as sp

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
        f[br] = fb + _group_terms(net, bi, qb)
        return f

    return law


def solve_ref(net, n_active=None, branch_open=None, q0=None, tol=1e-12, max_iter=200, linalg="auto"):
    """Reference solve of one loop by a full Newton method on flows and pressures.

    Unknowns: link flows Q and free-node pressures p (suction node fixed at 0 gauge). Equations:
    ``A p - f(Q) = 0`` (each link's law, ``A`` the link-node incidence with +1 at the upstream
    node) and ``A^T Q = 0`` (mass at every free node). Newton steps use the Jacobian
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
    linalg : {'auto', 'dense', 'sparse'}
        How the Newton system is solved (module docstring): dense Schur complement when the loop has
        at most :data:`DENSE_MAX_NODES` free nodes (``'auto'``), or forced.

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
    return _solve_many(net, np.array([n_act]), is_open[None, :], q0, tol, max_iter, linalg)[0]


def _tee_slope(net, q):
    """Slope [Pa/(m^3/s)] of each link's tee loss in its own flow, header segments held: non-zero on the
    branch links only (a run segment's tee loss is set by the segment upstream of it), by a central
    difference of 1e-6 relative on the branch flows of :func:`tee_losses`; clipped at >= 0. ``q`` is
    real, [s, 3n+1] or [3n+1] in the kernel numbering."""
    n = net.n_branches
    qb = q[..., 1 + n:1 + 2 * n]
    d = 1e-6 * np.maximum(np.abs(qb), 1e-12)
    up, dn = q.copy(), q.copy()
    up[..., 1 + n:1 + 2 * n] += d
    dn[..., 1 + n:1 + 2 * n] -= d
    out = np.zeros_like(q)
    out[..., 1 + n:1 + 2 * n] = np.maximum(
        (tee_losses(net, up)[..., 1 + n:1 + 2 * n] - tee_losses(net, dn)[..., 1 + n:1 + 2 * n]) / (2.0 * d), 0.0)
    return out


def _check_linalg(linalg: str) -> None:
    if linalg not in ("auto", "dense", "sparse"):
        raise ValueError(f"linalg: expected 'auto', 'dense' or 'sparse', got {linalg!r}")


def _trivial(net, n_act, is_open):
    """Solution of a loop without running pumps or without an open branch, else None."""
    n = net.n_branches
    if n_act <= 0:
        return _pack(net, np.zeros(3 * n + 1), np.zeros(2 * n + 1), n_act, True, 0)
    if not is_open.any():  # dead ends only: no flow, supply side at the shut-off pressure
        return _pack(net, np.zeros(3 * n + 1), np.r_[np.full(1 + n, net.pump_c[0]), np.zeros(n)], n_act, True, 0)
    return None


def _solve_many(net, n_act, is_open, q0, tol, max_iter, linalg):
    """Solve scenarios ``(n_act[s], is_open[s])`` from the same start ``q0``; a list of solutions."""
    _check_linalg(linalg)
    n = net.n_branches
    out = [_trivial(net, int(n_act[s]), is_open[s]) for s in range(len(n_act))]
    todo = [s for s in range(len(n_act)) if out[s] is None]
    dense = linalg == "dense" or (linalg == "auto" and 2 * n + 1 <= DENSE_MAX_NODES)
    if dense and todo:
        got = _solve_dense(_Loop.of(net), np.asarray(n_act)[todo], np.asarray(is_open)[todo], q0, tol, max_iter)
        for s, sol in zip(todo, got):
            out[s] = sol
    for s in range(len(out)):  # the sparse path, and dense solves that met a link with f' <= 0
        if out[s] is None:
            out[s] = _solve_sparse(net, int(n_act[s]), is_open[s], q0, tol, max_iter)
    return out


def _initial_flows(net, n_act, is_open):
    """Link flows in kernel numbering: half the pumps' zero-head flow shared by the open branches."""
    c0, c1, c2 = net.pump_c
    qmax = n_act * ((-c1 - np.sqrt(c1 * c1 - 4 * c2 * c0)) / (2 * c2) if c2 < 0 else 1e-3)
    qb = np.where(is_open, 0.5 * qmax / max(is_open.sum(), 1), 0.0)
    return np.concatenate([[qb.sum()], np.cumsum(qb[::-1])[::-1], qb,
                           np.cumsum(qb) if net.reverse_return else np.cumsum(qb[::-1])[::-1]])


def _solve_sparse(net, n_act, is_open, q0, tol, max_iter):
    """One scenario, full sparse Newton system (SuperLU)."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    n = net.n_branches
    link_q = np.zeros(3 * n + 1)
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
    law0 = _make_law(net, n_act, edges)
    # kernel link index of each edge, for warm starts and output
    kind_off = {"cdu": 0, "sup": 1, "br": 1 + n, "ret": 1 + 2 * n}
    kidx = np.array([kind_off[e[0]] + e[1] for e in edges])

    def law(q):
        f = law0(q)
        if net.tee:
            full = np.zeros(3 * n + 1)
            full[kidx] = q.real
            f = f + tee_losses(net, full)[kidx]
        return f

    if q0 is not None:
        q = np.asarray(q0, dtype=float)[kidx].copy()
    else:
        q = _initial_flows(net, n_act, is_open)[kidx]
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
        if net.tee:
            full = np.zeros(3 * n + 1)
            full[kidx] = q
            fp = fp + _tee_slope(net, full)[kidx]
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
        if _stop(t * dq, q, A.T @ q, abs(A.T) @ np.abs(q), tol):
            converged = True
            break
    link_q[kidx] = q
    return _pack(net, link_q, p, n_act, converged, it)


def _stop(step, q, balance, through, tol):
    """Every link's step within ``tol`` of its own flow, every node's balance within ``tol`` of half
    the flow through it (``through`` = sum of |q| at the node); works on 1-D or stacked [s, ...]."""
    # 1e-15 x the largest flow: the round-off floor of a link that carries nothing (a dead-end header
    # segment past a blocked last branch), far below any starved branch the tolerance is meant for
    floor = 1e-15 * np.max(np.abs(q), axis=-1, keepdims=True)
    link_ok = np.all(np.abs(step) <= tol * np.abs(q) + floor, axis=-1)
    node_ok = np.all(np.abs(balance) <= tol * 0.5 * through + floor, axis=-1)
    return link_ok & node_ok


class _Loop:
    """The scenario-independent arrays of one loop for the dense path, in the kernel's link numbering
    (0 CDU, 1..n supply, n+1..2n branches, 2n+1..3n return; node 0 suction, 1 CDU outlet, S_i, R_i)."""

    _cache: dict = {}

    @classmethod
    def of(cls, net) -> "_Loop":
        """Built once per network object (a loop's base solve and its fault batch share it)."""
        hit = cls._cache.get(id(net))
        if hit is not None and hit[0] is net:
            return hit[1]
        loop = cls(net)
        if len(cls._cache) >= 8:
            cls._cache.clear()
        cls._cache[id(net)] = (net, loop)
        return loop

    def __init__(self, net):
        self.net = net
        n = self.n = net.n_branches
        self.m, nn = 3 * n + 1, 2 * n + 1
        self.nn = nn
        S = 2 + np.arange(n)
        R = 2 + n + np.arange(n)
        frm = np.concatenate([[0], np.r_[1, S[:-1]], S, R])
        if net.reverse_return:
            to = np.concatenate([[1], S, R, np.r_[R[1:], 0]])
        else:
            to = np.concatenate([[1], S, R, np.r_[0, R[:-1]]])
        self.frm, self.to = frm, to
        # Schur complement A^T W A assembled from its entries: per link e, +w at (a, a) and (b, b) and
        # -w at (a, b) and (b, a), for its free end columns a = from - 1 and b = to - 1
        e = np.arange(self.m)
        a, b = frm - 1, to - 1
        ent_e, ent_pos, ent_sign = [], [], []
        for r, c, sign, ok in ((a, a, 1.0, a >= 0), (b, b, 1.0, b >= 0), (a, b, -1.0, (a >= 0) & (b >= 0)),
                               (b, a, -1.0, (a >= 0) & (b >= 0))):
            ent_e.append(e[ok])
            ent_pos.append(r[ok] * nn + c[ok])
            ent_sign.append(np.full(int(ok.sum()), sign))
        self.ent_e = np.concatenate(ent_e)
        self.ent_pos = np.concatenate(ent_pos)
        self.ent_sign = np.concatenate(ent_sign)
        ptr = np.asarray(net.br_ptr, dtype=np.int64)
        counts = np.diff(ptr)
        self.owner = np.repeat(np.arange(n), counts)
        self.starts = ptr[:-1][counts > 0]  # np.add.reduceat: the non-empty pipe runs tile 0..n_pipes
        self.has_pipes = counts > 0

    def law(self, q, n_act):
        """Head loss of every link [Pa] for stacked flows ``q`` [s, m] (complex-safe)."""
        net, n = self.net, self.n
        c0, c1, c2 = net.pump_c
        f = np.empty_like(q)
        qc = q[:, 0]
        qn = qc / n_act
        f[:, 0] = -(c0 + c1 * qn + c2 * qn * qn) + net.cdu_a * qc + net.cdu_b * qc * np.sqrt(qc * qc)
        f[:, 1:1 + n] = _pipes_dp(q[:, 1:1 + n], net.sup_d, net.sup_len, net.sup_eps, net.sup_k, net.rho, net.mu)
        f[:, 1 + 2 * n:] = _pipes_dp(q[:, 1 + 2 * n:], net.ret_d, net.ret_len, net.ret_eps, net.ret_k, net.rho,
                                     net.mu)
        qb = q[:, 1 + n:1 + 2 * n]
        fb = net.br_a * qb + net.br_b * qb * np.sqrt(qb * qb)
        if self.owner.size:
            dp = _pipes_dp(qb[:, self.owner], net.bp_d, net.bp_len, net.bp_eps, net.bp_k, net.rho, net.mu)
            fb = fb.copy()
            fb[:, self.has_pipes] += np.add.reduceat(dp, self.starts, axis=1)
        f[:, 1 + n:1 + 2 * n] = fb + _group_terms(net, range(n), qb)
        if net.tee:
            f = f + tee_losses(net, q.real)
        return f

    def a_dot(self, p):
        """``A p`` [s, m] for free-node values ``p`` [s, nn] (the suction node is 0)."""
        full = np.concatenate([np.zeros((p.shape[0], 1)), p], axis=1)
        return full[:, self.frm] - full[:, self.to]

    def at_dot(self, q):
        """``A^T q`` [s, nn]: net outflow of every free node."""
        s, w = q.shape[0], self.nn + 1
        off = (np.arange(s) * w)[:, None]
        out = (np.bincount((off + self.frm).ravel(), q.ravel(), s * w)
               - np.bincount((off + self.to).ravel(), q.ravel(), s * w))
        return out.reshape(s, w)[:, 1:]

    def at_dot_abs(self, q):
        """Sum of ``|q|`` over the links at every free node [s, nn] (twice the node's throughput)."""
        aq = np.abs(q)
        s, w = q.shape[0], self.nn + 1
        off = (np.arange(s) * w)[:, None]
        out = (np.bincount((off + self.frm).ravel(), aq.ravel(), s * w)
               + np.bincount((off + self.to).ravel(), aq.ravel(), s * w))
        return out.reshape(s, w)[:, 1:]

    def schur(self, w):
        """``A^T diag(w) A`` [s, nn, nn] for link weights ``w`` [s, m]."""
        s, k = w.shape[0], self.nn * self.nn
        idx = ((np.arange(s) * k)[:, None] + self.ent_pos).ravel()
        return np.bincount(idx, (w[:, self.ent_e] * self.ent_sign).ravel(), s * k).reshape(s, self.nn, self.nn)


def _solve_dense(loop: _Loop, n_act, is_open, q0, tol, max_iter):
    """Scenarios ``s`` (each with running pumps and an open branch) as one stacked Newton iteration.

    Every scenario keeps its own step length, iteration count and stopping test: the stacking only
    shares the numpy calls. A scenario whose open links do not all have ``f' > 0`` comes back as None
    (the Schur complement needs ``F'`` invertible and positive) for the caller to solve sparsely.
    """
    n, m = loop.n, loop.m
    S = len(n_act)
    n_act = np.asarray(n_act, dtype=float)
    op = np.ones((S, m), bool)
    op[:, 1 + n:1 + 2 * n] = is_open
    if q0 is not None:
        q = np.broadcast_to(np.asarray(q0, dtype=float), (S, m)).copy()
    else:
        q = np.stack([_initial_flows(loop.net, n_act[s], is_open[s]) for s in range(S)])
    q = np.where(op, np.where(q == 0.0, 1e-9, q), 0.0)
    p = np.zeros((S, loop.nn))

    def residual(q, p, n_act, op):
        r1 = np.where(op, loop.a_dot(p) - loop.law(q, n_act), 0.0)
        return r1, loop.at_dot(q)

    r1, r2 = residual(q, p, n_act, op)
    its = np.zeros(S, dtype=np.int64)
    conv = np.zeros(S, dtype=bool)
    bad = np.zeros(S, dtype=bool)
    act = np.arange(S)
    for it in range(1, max_iter + 1):
        qa, na, oa = q[act], n_act[act], op[act]
        h = 1e-20 * np.maximum(np.abs(qa), 1e-12)
        fp = loop.law(qa + 1j * h, na).imag / h
        if loop.net.tee:
            fp = fp + np.where(oa, _tee_slope(loop.net, qa), 0.0)
        ok = np.all(~oa | (fp > 0), axis=1) & np.all(np.isfinite(fp), axis=1)
        if not ok.all():
            bad[act[~ok]] = True
            act, qa, na, oa, fp = act[ok], qa[ok], na[ok], oa[ok], fp[ok]
            if act.size == 0:
                break
        w = np.where(oa, 1.0 / np.where(oa, fp, 1.0), 0.0)
        ra1, ra2 = r1[act], r2[act]
        dp = np.linalg.solve(loop.schur(w), (-ra2 - loop.at_dot(w * ra1))[..., None])[..., 0]
        dq = w * (loop.a_dot(dp) + ra1)
        # backtracking line search per scenario: accept a sufficient decrease of the residual norm, the
        # mass balance [m^3/s] weighted by the mean open-link slope [Pa s/m^3] so that both halves count in
        # pascals (unweighted, a balance error of 1e-13 m^3/s hides under the round-off of the drops)
        sc = ((w > 0) / np.where(w > 0, w, 1.0)).sum(axis=1) / np.maximum((w > 0).sum(axis=1), 1)
        t = np.ones(act.size)
        r0 = np.sqrt((ra1 * ra1).sum(axis=1) + sc * sc * (ra2 * ra2).sum(axis=1))
        pend = np.arange(act.size)
        while pend.size:
            j = act[pend]
            qt = q[j] + t[pend, None] * dq[pend]
            pt = p[j] + t[pend, None] * dp[pend]
            t1, t2 = residual(qt, pt, n_act[j], op[j])
            nt = np.sqrt((t1 * t1).sum(axis=1) + sc[pend] ** 2 * (t2 * t2).sum(axis=1))
            acc = (nt <= (1 - 1e-4 * t[pend]) * r0[pend]) | (t[pend] < 1e-4)
            ja = j[acc]
            q[ja], p[ja], r1[ja], r2[ja] = qt[acc], pt[acc], t1[acc], t2[acc]
            t[pend[~acc]] *= 0.5
            pend = pend[~acc]
        its[act] = it
        qa = q[act]
        done = _stop(t[:, None] * dq, qa, loop.at_dot(qa), loop.at_dot_abs(qa), tol)
        conv[act[done]] = True
        act = act[~done]
        if act.size == 0:
            break
    return [None if bad[s] else _pack(loop.net, q[s], p[s], int(n_act[s]), bool(conv[s]), int(its[s]))
            for s in range(S)]


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


def solve_batch_ref(net, n_active, branch_open=None, warm=None, tol=1e-12, linalg="auto"):
    """Reference batch, warm-started from ``warm``: the dense path solves the scenarios as one stacked
    iteration (each scenario exactly as :func:`solve_ref` would alone), the sparse path one at a time.

    Parameters
    ----------
    net : HydraulicNetwork
    n_active : array_like of int, shape (s,)
    branch_open : array_like of bool, shape (s, n), optional
    warm : HydraulicSolution, optional
    tol : float
    linalg : {'auto', 'dense', 'sparse'}
        As in :func:`solve_ref`.

    Returns
    -------
    list of HydraulicSolution

    References
    ----------
    As :func:`solve_ref`.
    """
    n_active = np.asarray(n_active).ravel()
    n = net.n_branches
    bo = np.ones((n_active.size, n), bool) if branch_open is None else np.asarray(branch_open, bool)
    q0 = None if warm is None else warm.link_flow
    return _solve_many(net, n_active, bo, q0, tol, 200, linalg)
