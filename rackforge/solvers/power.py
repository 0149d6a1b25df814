"""Power-distribution solver, numba path: DC busbar Newton, AC feeds, fault batches, BBU hold-up.

Public API (all SI, arrays in, arrays out; no pydantic, no pint, no I/O):

* :class:`PowerNetwork` - the array model of a batch of rack power networks (see its docstring
  for the array conventions; defined in :mod:`rackforge.solvers.power_ref`).
* :func:`solve_power` - one scenario, cold start, returns a :class:`PowerFlowResult`.
* :func:`enumerate_scenarios` / :class:`Scenarios` - fault scenarios (from
  :mod:`rackforge.solvers.power_scenarios`).
* :func:`solve_scenarios` - all scenarios in one jitted batch, warm-started from the base
  solution, returns a :class:`ScenarioResults`.
* :func:`battery_holdup`, :func:`holdup_demand` - BBU hold-up after a feed loss.

The equations are those of :mod:`rackforge.solvers.power_ref` (Newton's method on Kirchhoff's
current law, globalised by pseudo-transient continuation; AC phasor sums). This module solves
them with numba kernels: every network's nodes are ordered once (reverse Cuthill-McKee from a
pseudo-peripheral node); a network whose busbar is a tree or a path is factorised by leaf-to-root
elimination without fill (O(n)); any other network (a mesh) by a banded LDL^T factorisation
(O(n b^2), exact for any mesh, dense when ``b ~ n``). The symmetric Jacobian is factorised
without pivoting, and the sign of the pivots tells whether it is positive definite, which steers
the pseudo-transient shift. Fault scenarios only re-solve the networks they touch (racks are
coupled through shared feeds only): each (scenario, network) pair is a *job*; all jobs run in one
parallel jitted call, warm-started from the base voltages, and the AC feed currents of a
scenario are the base phasor sums plus the jobs' phasor deltas.

References
----------
* Grainger, J. J. and Stevenson, W. D., *Power System Analysis*, McGraw-Hill, 1994.
* Kelley, C. T. and Keyes, D. E., SIAM J. Numer. Anal. 35(2), 508-523, 1998.
* George, A. and Liu, J. W., *Computer Solution of Large Sparse Positive Definite Systems*,
  Prentice-Hall, 1981 (RCM ordering, band and tree elimination).
* Golub, G. H. and Van Loan, C. F., *Matrix Computations*, 4th ed., 2013, sec. 4.3 (band LDL^T).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numba import njit, prange

from rackforge.solvers.power_ref import (
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
    feed_imbalance,
    psu_line_phasors,
)
from rackforge.solvers.power_scenarios import (
    KIND_BASE,
    KIND_BBU,
    KIND_CUSTOM,
    KIND_FEED,
    KIND_PAIR,
    KIND_PSU,
    KIND_SHELF,
    Scenarios,
    enumerate_scenarios,
    n_scenarios,
)

__all__ = [
    "CONN_A",
    "CONN_AB",
    "CONN_B",
    "CONN_BC",
    "CONN_C",
    "CONN_CA",
    "CONN_DC",
    "KIND_BASE",
    "KIND_BBU",
    "KIND_CUSTOM",
    "KIND_FEED",
    "KIND_PAIR",
    "KIND_PSU",
    "KIND_SHELF",
    "PSU_BLOCKED",
    "PSU_CURRENT_LIMIT",
    "PSU_OFF",
    "PSU_REGULATING",
    "HoldupResult",
    "PowerFlowResult",
    "PowerNetwork",
    "ScenarioResults",
    "Scenarios",
    "SolverOptions",
    "battery_holdup",
    "enumerate_scenarios",
    "holdup_demand",
    "n_scenarios",
    "solve_power",
    "solve_scenarios",
    "warmup",
]

# job scalar columns
_J_PIN, _J_POUT, _J_PSULOSS, _J_BUSLOSS, _J_LOAD, _J_UNSERVED, _J_NUNS, _J_VMIN, _J_SEGMAX, _J_LFMAX = range(10)
_NJ = 10
_PARALLEL_MIN_NODES = 50_000  # node-jobs below which the serial kernel is used


# ---------------------------------------------------------------------------------------------
# structure: ordering, forest / band detection (once per PowerNetwork)
# ---------------------------------------------------------------------------------------------
@njit(cache=True)
def _bfs(start, node0, adj_ptr, adj_idx, deg, mark, stamp, order, parent, pos0):
    """Cuthill-McKee BFS from ``start`` (local), neighbours by increasing degree; writes the
    visit order into ``order[pos0:]`` and returns the new end position."""
    head = pos0
    tail = pos0
    order[tail] = start
    tail += 1
    mark[start] = stamp
    parent[start] = -1
    while head < tail:
        u = order[head]
        head += 1
        g = node0 + u
        a0, a1 = adj_ptr[g], adj_ptr[g + 1]
        # collect unvisited neighbours, insertion-sort by degree
        first = tail
        for q in range(a0, a1):
            w = adj_idx[q] - node0
            if mark[w] != stamp:
                mark[w] = stamp
                parent[w] = u
                order[tail] = w
                tail += 1
        for i in range(first + 1, tail):
            x = order[i]
            dx = deg[node0 + x]
            j = i - 1
            while j >= first and deg[node0 + order[j]] > dx:
                order[j + 1] = order[j]
                j -= 1
            order[j + 1] = x
    return tail


@njit(cache=True)
def _order_networks(node_ptr, adj_ptr, adj_idx, adj_g, deg, perm, parent_pos, goff, kind, bw):
    n_net = node_ptr.size - 1
    for k in range(n_net):
        n0 = node_ptr[k]
        n = node_ptr[k + 1] - n0
        if n == 0:
            kind[k] = 0
            bw[k] = 0
            continue
        mark = np.zeros(n, np.int64)
        par = np.empty(n, np.int64)
        order = np.empty(n, np.int64)
        tmp = np.empty(n, np.int64)
        tpar = np.empty(n, np.int64)
        tmark = np.zeros(n, np.int64)
        pos = 0
        n_comp = 0
        n_edge2 = 0
        for u in range(n):
            n_edge2 += adj_ptr[n0 + u + 1] - adj_ptr[n0 + u]
        # components: start each at a pseudo-peripheral node (farthest from a min-degree node)
        while pos < n:
            best = -1
            for u in range(n):
                if mark[u] == 0 and (best < 0 or deg[n0 + u] < deg[n0 + best]):
                    best = u
            n_comp += 1
            end = _bfs(best, n0, adj_ptr, adj_idx, deg, tmark, n_comp, tmp, tpar, 0)
            far = tmp[end - 1]
            end2 = _bfs(far, n0, adj_ptr, adj_idx, deg, mark, 1, order, par, pos)
            pos = end2
        # reverse Cuthill-McKee: position e holds local node order[n-1-e]
        ipos = np.empty(n, np.int64)
        for e in range(n):
            u = order[n - 1 - e]
            perm[n0 + e] = u
            ipos[u] = e
        is_forest = (n_edge2 // 2) == n - n_comp
        b = 0
        for u in range(n):
            g = n0 + u
            for q in range(adj_ptr[g], adj_ptr[g + 1]):
                d = abs(ipos[u] - ipos[adj_idx[q] - n0])
                b = max(b, d)
        bw[k] = b
        kind[k] = 0 if is_forest else 1
        for e in range(n):
            u = perm[n0 + e]
            pu = par[u]
            if pu < 0:
                parent_pos[n0 + e] = -1
                goff[n0 + e] = 0.0
            else:
                parent_pos[n0 + e] = ipos[pu]
                gg = 0.0
                g = n0 + u
                for q in range(adj_ptr[g], adj_ptr[g + 1]):
                    if adj_idx[q] - n0 == pu:
                        gg = adj_g[q]
                goff[n0 + e] = -gg


class _Struct:
    """Flat arrays the kernels need, derived once from a PowerNetwork."""

    def __init__(self, net: PowerNetwork):
        nn = net.n_node
        a, b = net.seg_from, net.seg_to
        g = 1.0 / net.seg_r_ohm
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        key = lo * max(nn, 1) + hi
        ukey, inv = np.unique(key, return_inverse=True)
        ug = np.bincount(inv, g, minlength=ukey.size)
        ua, ub = ukey // max(nn, 1), ukey % max(nn, 1)
        src = np.concatenate([ua, ub])
        dst = np.concatenate([ub, ua])
        gg = np.concatenate([ug, ug])
        o = np.lexsort((dst, src))
        src, dst, gg = src[o], dst[o], gg[o]
        adj_ptr = np.zeros(nn + 1, np.int64)
        adj_ptr[1:] = np.cumsum(np.bincount(src, minlength=nn))
        deg = np.diff(adj_ptr)
        self.perm = np.zeros(nn, np.int64)
        self.parent = np.zeros(nn, np.int64)
        self.goff = np.zeros(nn)
        self.kind = np.zeros(net.n_net, np.int64)
        self.bw = np.zeros(net.n_net, np.int64)
        _order_networks(net.node_ptr, adj_ptr, dst.astype(np.int64), gg, deg, self.perm,
                        self.parent, self.goff, self.kind, self.bw)
        # Laplacian diagonal in position order, band storage for meshes
        lapdiag = np.bincount(src, gg, minlength=nn)
        nsz = np.diff(net.node_ptr)
        node0 = net.node_ptr[:-1]
        self.gdiag = np.zeros(nn)
        for_pos = self.perm + np.repeat(node0, nsz)  # global node at each position
        self.gdiag[:] = lapdiag[for_pos]
        w1 = np.where(self.kind == 1, self.bw + 1, 0)
        self.band_ptr = np.zeros(net.n_net + 1, np.int64)
        self.band_ptr[1:] = np.cumsum(nsz * w1)
        self.gband = np.zeros(int(self.band_ptr[-1]))
        mesh = np.flatnonzero(self.kind == 1)
        if mesh.size:
            ipos = np.empty(nn, np.int64)
            ipos[for_pos] = np.arange(nn) - np.repeat(node0, nsz)
            for k in mesh:
                base, wk = self.band_ptr[k], w1[k]
                r0, r1 = node0[k], node0[k] + nsz[k]
                for e in range(nsz[k]):
                    self.gband[base + e * wk] = self.gdiag[r0 + e]
                m = (ua >= r0) & (ua < r1)
                pa, pb = ipos[ua[m]], ipos[ub[m]]
                i, j = np.maximum(pa, pb), np.minimum(pa, pb)
                np.add.at(self.gband, base + i * wk + (i - j), -ug[m])
        # element arrays in local node numbering
        nodenet0 = net.node_ptr[net.node_net]
        self.seg_a = a - nodenet0[a]
        self.seg_b = b - nodenet0[b]
        self.seg_g = g
        self.psu_nd = net.psu_node - nodenet0[net.psu_node]
        self.load_nd = net.load_node - nodenet0[net.load_node]
        # feeds touched by each network, and each PSU's slot in that list
        key = net.psu_net * max(net.n_feed, 1) + net.psu_feed
        uk, pinv = np.unique(key, return_inverse=True)
        self.netfeed_feed = (uk % max(net.n_feed, 1)).astype(np.int64)
        unet = uk // max(net.n_feed, 1)
        self.netfeed_ptr = np.zeros(net.n_net + 1, np.int64)
        self.netfeed_ptr[1:] = np.cumsum(np.bincount(unet, minlength=net.n_net))
        self.psu_slot = (pinv - self.netfeed_ptr[net.psu_net]).astype(np.int64)
        # feed -> PSUs (CSR)
        self.feed_psu_idx = np.argsort(net.psu_feed, kind="stable").astype(np.int64)
        self.feed_psu_ptr = np.zeros(net.n_feed + 1, np.int64)
        self.feed_psu_ptr[1:] = np.cumsum(np.bincount(net.psu_feed, minlength=net.n_feed))
        self.feed_pf = np.where(net.feed_is_dc, 1.0, net.feed_pf)
        # complex line-current coefficients [A/W] of each PSU: line currents = P_in * coef
        coef = psu_line_phasors(np.ones(net.n_psu), net.psu_conn, self.feed_pf[net.psu_feed],
                                net.feed_voltage_v[net.psu_feed])
        self.coef_re = np.ascontiguousarray(coef.real)
        self.coef_im = np.ascontiguousarray(coef.imag)


def _struct(net: PowerNetwork) -> _Struct:
    return net._cached("numba_struct", lambda: _Struct(net))


# ---------------------------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------------------------
@njit(cache=True)
def _residual(v, on, s0, s1, seg_a, seg_b, seg_g, p0, p1, psu_nd, psu_E, psu_r, psu_il,
              l0, l1, load_nd, load_P, load_vc, F, dg):
    """KCL residual ``F`` (into ``F``) and the Jacobian diagonal beyond the segment Laplacian
    (into ``dg``); returns (||F||_2, ||F||_inf)."""
    F[:] = 0.0
    dg[:] = 0.0
    for s in range(s0, s1):
        a = seg_a[s]
        b = seg_b[s]
        i = seg_g[s] * (v[a] - v[b])
        F[a] += i
        F[b] -= i
    for p in range(p0, p1):
        if on[p - p0]:
            nd = psu_nd[p]
            x = (psu_E[p] - v[nd]) / psu_r[p]
            il = psu_il[p]
            if x >= 0.0 and x < il:
                F[nd] -= x
                dg[nd] += 1.0 / psu_r[p]
            elif x >= il:
                F[nd] -= il
    for q in range(l0, l1):
        nd = load_nd[q]
        vl = v[nd]
        P = load_P[q]
        vc = load_vc[q]
        if vl >= vc:
            i = P / vl
            F[nd] += i
            dg[nd] -= i / vl
        else:
            gc = P / (vc * vc)
            F[nd] += gc * vl
            dg[nd] += gc
    s2 = 0.0
    smax = 0.0
    for i in range(F.size):
        s2 += F[i] * F[i]
        smax = max(smax, abs(F[i]))
    return np.sqrt(s2), smax


@njit(cache=True)
def _cocontent(v, on, s0, s1, seg_a, seg_b, seg_g, p0, p1, psu_nd, psu_E, psu_r, psu_il,
               l0, l1, load_nd, load_P, load_vc):
    """Co-content ``Phi(v)`` [W] whose gradient is the KCL residual (see power_ref)."""
    phi = 0.0
    for s in range(s0, s1):
        dvs = v[seg_a[s]] - v[seg_b[s]]
        phi += 0.5 * seg_g[s] * dvs * dvs
    for p in range(p0, p1):
        if on[p - p0]:
            r = psu_r[p]
            il = psu_il[p]
            x = (psu_E[p] - v[psu_nd[p]]) / r
            if x > 0.0:
                if x < il:
                    phi += 0.5 * r * x * x
                else:
                    phi += 0.5 * il * il * r + il * ((psu_E[p] - r * il) - v[psu_nd[p]])
    for q in range(l0, l1):
        vl = v[load_nd[q]]
        P = load_P[q]
        vc = load_vc[q]
        if vl >= vc:
            phi += P * (0.5 + np.log(vl / vc))
        else:
            phi += 0.5 * P * vl * vl / (vc * vc)
    return phi


@njit(cache=True)
def _factor_solve(n, off, kind, bw, boff, perm, parent, goff, gdiag, gband, dg, F, shift,
                  pd_tol, d, rhs, a0, x, work, dv):
    """Factorise ``L_G + diag(dg + shift)`` (positions) without pivoting and solve for
    ``dv = -A^{-1} F``. Returns False if a pivot shows the matrix is not positive definite."""
    if kind == 0:
        for e in range(n):
            u = perm[off + e]
            d[e] = gdiag[off + e] + dg[u] + shift
            a0[e] = abs(d[e])
            rhs[e] = -F[u]
        for e in range(n):
            if not d[e] > pd_tol * a0[e]:
                return False
            p = parent[off + e]
            if p >= 0:
                lo = goff[off + e] / d[e]
                d[p] -= lo * goff[off + e]
                rhs[p] -= lo * rhs[e]
        for e in range(n - 1, -1, -1):
            p = parent[off + e]
            xe = rhs[e]
            if p >= 0:
                xe -= goff[off + e] * x[p]
            x[e] = xe / d[e]
    else:
        w1 = bw + 1
        for t in range(n * w1):
            work[t] = gband[boff + t]
        for e in range(n):
            u = perm[off + e]
            work[e * w1] += dg[u] + shift
            a0[e] = abs(work[e * w1])
            rhs[e] = -F[u]
        for i in range(n):
            jlo = max(0, i - bw)
            for j in range(jlo, i):
                s = work[i * w1 + (i - j)]
                for k in range(jlo, j):
                    s -= work[i * w1 + (i - k)] * work[j * w1 + (j - k)] * work[k * w1]
                work[i * w1 + (i - j)] = s / work[j * w1]
            s = work[i * w1]
            for k in range(jlo, i):
                lk = work[i * w1 + (i - k)]
                s -= lk * lk * work[k * w1]
            if not s > pd_tol * a0[i]:
                return False
            work[i * w1] = s
        for i in range(n):
            s = rhs[i]
            for k in range(max(0, i - bw), i):
                s -= work[i * w1 + (i - k)] * rhs[k]
            rhs[i] = s
        for i in range(n):
            rhs[i] /= work[i * w1]
        for i in range(n - 1, -1, -1):
            s = rhs[i]
            for j in range(i + 1, min(n, i + bw + 1)):
                s -= work[j * w1 + (j - i)] * x[j]
            x[i] = s
    for e in range(n):
        dv[perm[off + e]] = x[e]
    return True


@njit(cache=True)
def _newton_net(k, v, on, cold, node_ptr, seg_ptr, seg_a, seg_b, seg_g, psu_ptr, psu_nd, psu_E,
                psu_r, psu_il, load_ptr, load_nd, load_P, load_vc, kind, bw, perm, parent, goff,
                gdiag, band_ptr, gband, mass, tol_a, noise_a, rtol, max_iter, sigma_init, sigma_min, pd_tol, armijo, alpha_min):
    """Newton / pseudo-transient iteration on network ``k`` (local voltages ``v``, in/out).
    Returns (iterations, converged)."""
    off = node_ptr[k]
    n = node_ptr[k + 1] - off
    p0, p1 = psu_ptr[k], psu_ptr[k + 1]
    emax = -1e300
    anyon = False
    for p in range(p0, p1):
        if on[p - p0]:
            anyon = True
            emax = max(emax, psu_E[p])
    if not anyon:
        v[:] = 0.0
        return 0, True
    if cold:
        v[:] = emax
    s0, s1 = seg_ptr[k], seg_ptr[k + 1]
    l0, l1 = load_ptr[k], load_ptr[k + 1]
    F = np.empty(n)
    dg = np.empty(n)
    d = np.empty(n)
    rhs = np.empty(n)
    a0 = np.empty(n)
    x = np.empty(n)
    dv = np.empty(n)
    work = np.empty(n * (bw[k] + 1) if kind[k] == 1 else 1)
    m = mass[k]
    tol = max(rtol * tol_a[k], noise_a[k])
    step_tol = 8.0 * 2.220446049250313e-16 * max(emax, 1.0)
    Ft = np.empty(n)
    dgt = np.empty(n)
    vt = np.empty(n)
    fn, fmax = _residual(v, on, s0, s1, seg_a, seg_b, seg_g, p0, p1, psu_nd, psu_E, psu_r,
                         psu_il, l0, l1, load_nd, load_P, load_vc, F, dg)
    phi = 0.0
    have_phi = False
    sigma = 0.0
    it = 0
    while True:
        if fmax <= tol:
            return it, True
        if it >= max_iter:
            return it, False
        while True:
            ok = _factor_solve(n, off, kind[k], bw[k], band_ptr[k], perm, parent, goff, gdiag,
                               gband, dg, F, sigma * m, pd_tol, d, rhs, a0, x, work, dv)
            if ok:
                break
            sigma = sigma_init if sigma == 0.0 else 4.0 * sigma
            if sigma > 1e12:
                return it, False
        slope = 0.0
        dmax = 0.0
        for i in range(n):
            slope += F[i] * dv[i]
            dmax = max(dmax, abs(dv[i]))
        alpha = 1.0
        while True:  # accept a halved residual, else Armijo backtracking on the co-content
            for i in range(n):
                vt[i] = v[i] + alpha * dv[i]
            fnt, fmaxt = _residual(vt, on, s0, s1, seg_a, seg_b, seg_g, p0, p1, psu_nd, psu_E,
                                   psu_r, psu_il, l0, l1, load_nd, load_P, load_vc, Ft, dgt)
            phit = 0.0
            have_phit = False
            accept = fnt <= 0.5 * fn or alpha < alpha_min
            if not accept:
                if not have_phi:
                    phi = _cocontent(v, on, s0, s1, seg_a, seg_b, seg_g, p0, p1, psu_nd, psu_E,
                                     psu_r, psu_il, l0, l1, load_nd, load_P, load_vc)
                    have_phi = True
                phit = _cocontent(vt, on, s0, s1, seg_a, seg_b, seg_g, p0, p1, psu_nd, psu_E,
                                  psu_r, psu_il, l0, l1, load_nd, load_P, load_vc)
                have_phit = True
                accept = phit <= phi + armijo * alpha * slope
            if accept:
                break
            alpha *= 0.5
        for i in range(n):
            v[i] = vt[i]
            F[i] = Ft[i]
            dg[i] = dgt[i]
        fn = fnt
        fmax = fmaxt
        phi = phit
        have_phi = have_phit
        it += 1
        if sigma == 0.0 and alpha == 1.0 and dmax <= step_tol:
            return it, True
        sigma = sigma / 4.0
        if sigma < sigma_min:
            sigma = 0.0


@njit(cache=True)
def _eta(c, lf, eff_ptr, eff_x, eff_y):
    a, b = eff_ptr[c], eff_ptr[c + 1]
    if lf <= eff_x[a]:
        return eff_y[a]
    if lf >= eff_x[b - 1]:
        return eff_y[b - 1]
    for i in range(a, b - 1):
        if lf <= eff_x[i + 1]:
            t = (lf - eff_x[i]) / (eff_x[i + 1] - eff_x[i])
            return eff_y[i] + t * (eff_y[i + 1] - eff_y[i])
    return eff_y[b - 1]


@njit(cache=True)
def _job(j, job_net, job_fptr, job_fpsu, cold, v_base, psu_pin_base,
                jv_off, jp_off, jf_off,
                node_ptr, seg_ptr, seg_a, seg_b, seg_g, seg_rated,
                psu_ptr, psu_nd, psu_E, psu_r, psu_il, psu_prated, psu_curve, psu_feed, psu_conn,
                psu_slot, eff_ptr, eff_x, eff_y, psu_idle, coef_re, coef_im,
                load_ptr, load_nd, load_P, load_vc, load_vmin,
                kind, bw, perm, parent, goff, gdiag, band_ptr, gband, mass, tol_a, noise_a,
                rtol, max_iter, sigma_init, sigma_min, pd_tol, armijo, alpha_min,
                jv, jpsu_i, jpsu_pin, jiter, jconv, jscal, jf_dre, jf_dim, jf_dp):
    """Solve job ``j`` (one network of one scenario) and write its outputs."""
    k = job_net[j]
    off = node_ptr[k]
    n = node_ptr[k + 1] - off
    p0, p1 = psu_ptr[k], psu_ptr[k + 1]
    on = np.ones(p1 - p0, np.bool_)
    for q in range(job_fptr[j], job_fptr[j + 1]):
        on[job_fpsu[q] - p0] = False
    v = np.empty(n)
    for i in range(n):
        v[i] = v_base[off + i]
    it, cv = _newton_net(k, v, on, cold, node_ptr, seg_ptr, seg_a, seg_b, seg_g, psu_ptr, psu_nd,
                         psu_E, psu_r, psu_il, load_ptr, load_nd, load_P, load_vc, kind, bw, perm,
                         parent, goff, gdiag, band_ptr, gband, mass, tol_a, noise_a, rtol, max_iter,
                         sigma_init, sigma_min, pd_tol, armijo, alpha_min)
    jiter[j] = it
    jconv[j] = cv
    vo = jv_off[j]
    vmin = 1e300
    for i in range(n):
        jv[vo + i] = v[i]
        vmin = min(vmin, v[i])
    # PSUs
    po = jp_off[j]
    fo = jf_off[j]
    pin_sum = 0.0
    pout_sum = 0.0
    lfmax = 0.0
    for p in range(p0, p1):
        i_p = 0.0
        if on[p - p0]:
            x = (psu_E[p] - v[psu_nd[p]]) / psu_r[p]
            i_p = min(max(x, 0.0), psu_il[p])
        pout = v[psu_nd[p]] * i_p
        lf = pout / psu_prated[p]
        pin = 0.0
        if pout != 0.0:
            pin = pout / _eta(psu_curve[p], lf, eff_ptr, eff_x, eff_y)
        if on[p - p0] and psu_idle[p] > 0.0:
            # no-load input, linear to the curve's first point (power_ref.psu_input_power)
            a0 = eff_ptr[psu_curve[p]]
            if lf < eff_x[a0]:
                loss0 = eff_x[a0] * psu_prated[p] * (1.0 / eff_y[a0] - 1.0)
                pin = pout + psu_idle[p] + (loss0 - psu_idle[p]) * lf / eff_x[a0]
        jpsu_i[po + p - p0] = i_p
        jpsu_pin[po + p - p0] = pin
        pin_sum += pin
        pout_sum += pout
        lfmax = max(lfmax, lf)
        if not cold:
            # line currents are linear in P_in: delta = (P_in - P_in,base) * coefficient
            dpin = pin - psu_pin_base[p]
            t = fo + psu_slot[p]
            for c in range(3):
                jf_dre[t, c] += dpin * coef_re[p, c]
                jf_dim[t, c] += dpin * coef_im[p, c]
            jf_dp[t] += dpin
    # segments
    bus = 0.0
    segmax = 0.0
    for s in range(seg_ptr[k], seg_ptr[k + 1]):
        dvv = v[seg_a[s]] - v[seg_b[s]]
        i_s = seg_g[s] * dvv
        bus += i_s * dvv
        ld = abs(i_s) / seg_rated[s]
        segmax = max(segmax, ld)
    # loads
    lw = 0.0
    uns = 0.0
    nuns = 0.0
    for q in range(load_ptr[k], load_ptr[k + 1]):
        vl = v[load_nd[q]]
        P = load_P[q]
        vc = load_vc[q]
        if vl >= vc:
            lw += P
        else:
            lw += P * vl * vl / (vc * vc)
        if not vl >= max(load_vmin[q], vc):
            uns += P
            if P > 0.0:
                nuns += 1.0
    jscal[j, 0] = pin_sum
    jscal[j, 1] = pout_sum
    jscal[j, 2] = pin_sum - pout_sum
    jscal[j, 3] = bus
    jscal[j, 4] = lw
    jscal[j, 5] = uns
    jscal[j, 6] = nuns
    jscal[j, 7] = vmin
    jscal[j, 8] = segmax
    jscal[j, 9] = lfmax


@njit(cache=True, parallel=True)
def _solve_jobs_par(job_net, job_fptr, job_fpsu, cold, v_base, psu_pin_base,
                jv_off, jp_off, jf_off,
                node_ptr, seg_ptr, seg_a, seg_b, seg_g, seg_rated,
                psu_ptr, psu_nd, psu_E, psu_r, psu_il, psu_prated, psu_curve, psu_feed, psu_conn,
                psu_slot, eff_ptr, eff_x, eff_y, psu_idle, coef_re, coef_im,
                load_ptr, load_nd, load_P, load_vc, load_vmin,
                kind, bw, perm, parent, goff, gdiag, band_ptr, gband, mass, tol_a, noise_a,
                rtol, max_iter, sigma_init, sigma_min, pd_tol, armijo, alpha_min,
                jv, jpsu_i, jpsu_pin, jiter, jconv, jscal, jf_dre, jf_dim, jf_dp):
    for j in prange(job_net.size):
        _job(j, job_net, job_fptr, job_fpsu, cold, v_base, psu_pin_base, jv_off, jp_off, jf_off,
             node_ptr, seg_ptr, seg_a, seg_b, seg_g, seg_rated, psu_ptr, psu_nd, psu_E, psu_r, psu_il,
             psu_prated, psu_curve, psu_feed, psu_conn, psu_slot, eff_ptr, eff_x, eff_y, psu_idle, coef_re,
             coef_im, load_ptr, load_nd, load_P, load_vc, load_vmin, kind, bw, perm, parent, goff,
             gdiag, band_ptr, gband, mass, tol_a, noise_a, rtol, max_iter, sigma_init, sigma_min,
             pd_tol, armijo, alpha_min, jv, jpsu_i, jpsu_pin, jiter, jconv, jscal, jf_dre, jf_dim,
             jf_dp)


@njit(cache=True)
def _solve_jobs_ser(job_net, job_fptr, job_fpsu, cold, v_base, psu_pin_base,
                jv_off, jp_off, jf_off,
                node_ptr, seg_ptr, seg_a, seg_b, seg_g, seg_rated,
                psu_ptr, psu_nd, psu_E, psu_r, psu_il, psu_prated, psu_curve, psu_feed, psu_conn,
                psu_slot, eff_ptr, eff_x, eff_y, psu_idle, coef_re, coef_im,
                load_ptr, load_nd, load_P, load_vc, load_vmin,
                kind, bw, perm, parent, goff, gdiag, band_ptr, gband, mass, tol_a, noise_a,
                rtol, max_iter, sigma_init, sigma_min, pd_tol, armijo, alpha_min,
                jv, jpsu_i, jpsu_pin, jiter, jconv, jscal, jf_dre, jf_dim, jf_dp):
    for j in range(job_net.size):
        _job(j, job_net, job_fptr, job_fpsu, cold, v_base, psu_pin_base, jv_off, jp_off, jf_off,
             node_ptr, seg_ptr, seg_a, seg_b, seg_g, seg_rated, psu_ptr, psu_nd, psu_E, psu_r, psu_il,
             psu_prated, psu_curve, psu_feed, psu_conn, psu_slot, eff_ptr, eff_x, eff_y, psu_idle, coef_re,
             coef_im, load_ptr, load_nd, load_P, load_vc, load_vmin, kind, bw, perm, parent, goff,
             gdiag, band_ptr, gband, mass, tol_a, noise_a, rtol, max_iter, sigma_init, sigma_min,
             pd_tol, armijo, alpha_min, jv, jpsu_i, jpsu_pin, jiter, jconv, jscal, jf_dre, jf_dim,
             jf_dp)


@njit(cache=True)
def _scen_extreme(ptr, ent_id, ent_val, base_val, base_order, n_ids):
    """Per scenario: max(entries' values, base values of ids the scenario does not touch)."""
    n_scen = ptr.size - 1
    out = np.empty(n_scen)
    stamp = np.zeros(n_ids, np.int64)
    for s in range(n_scen):
        mx = -np.inf
        for e in range(ptr[s], ptr[s + 1]):
            stamp[ent_id[e]] = s + 1
            mx = max(mx, ent_val[e])
        for t in range(base_order.size):
            i = base_order[t]
            if stamp[i] != s + 1:
                mx = max(mx, base_val[i])
                break
        out[s] = mx
    return out


@njit(cache=True)
def _envelopes(job_scen, job_net, jv, jv_off, jpsu_i, jp_off, node_ptr, seg_ptr, seg_a, seg_b, seg_g,
               seg_rated, psu_ptr, psu_nd, psu_prated, load_ptr, load_nd, load_vc, load_vmin, load_P,
               env_v, env_v_s, env_seg, env_seg_s, env_lf, env_lf_s, env_uns_s):
    for j in range(job_net.size):
        k = job_net[j]
        s = job_scen[j]
        off = node_ptr[k]
        vo = jv_off[j]
        for i in range(node_ptr[k + 1] - off):
            if jv[vo + i] < env_v[off + i]:
                env_v[off + i] = jv[vo + i]
                env_v_s[off + i] = s
        for q in range(seg_ptr[k], seg_ptr[k + 1]):
            ld = abs(seg_g[q] * (jv[vo + seg_a[q]] - jv[vo + seg_b[q]])) / seg_rated[q]
            if ld > env_seg[q]:
                env_seg[q] = ld
                env_seg_s[q] = s
        po = jp_off[j]
        p0 = psu_ptr[k]
        for p in range(p0, psu_ptr[k + 1]):
            lf = jv[vo + psu_nd[p]] * jpsu_i[po + p - p0] / psu_prated[p]
            if lf > env_lf[p]:
                env_lf[p] = lf
                env_lf_s[p] = s
        for q in range(load_ptr[k], load_ptr[k + 1]):
            vl = jv[vo + load_nd[q]]
            if env_uns_s[q] < 0 and load_P[q] > 0 and not vl >= max(load_vmin[q], load_vc[q]):
                env_uns_s[q] = s


# ---------------------------------------------------------------------------------------------
# Python drivers
# ---------------------------------------------------------------------------------------------
def _run_jobs(net, st, job_net, job_fptr, job_fpsu, cold, v_base, pin_base, opts):
    nsz = np.diff(net.node_ptr)
    npsu = np.diff(net.psu_ptr)
    nfd = np.diff(st.netfeed_ptr)
    nj = job_net.size

    def offs(c):
        o = np.zeros(nj + 1, np.int64)
        o[1:] = np.cumsum(c[job_net])
        return o

    jv_off, jp_off, jf_off = offs(nsz), offs(npsu), offs(nfd)
    jv = np.empty(jv_off[-1])
    jpsu_i = np.empty(jp_off[-1])
    jpsu_pin = np.empty(jp_off[-1])
    jiter = np.zeros(nj, np.int64)
    jconv = np.zeros(nj, np.bool_)
    jscal = np.zeros((nj, _NJ))
    jf_dre = np.zeros((jf_off[-1], 3))
    jf_dim = np.zeros((jf_off[-1], 3))
    jf_dp = np.zeros(jf_off[-1])
    # threads pay off only for enough work (thread start-up and allocator contention otherwise)
    parallel = int(nsz[job_net].sum()) >= _PARALLEL_MIN_NODES
    (_solve_jobs_par if parallel else _solve_jobs_ser)(
        job_net, job_fptr, job_fpsu, cold, v_base, pin_base, jv_off, jp_off, jf_off,
        net.node_ptr, net.seg_ptr, st.seg_a, st.seg_b, st.seg_g, net.seg_i_rated_a,
        net.psu_ptr, st.psu_nd, net.psu_v_set_v, net.psu_r_droop_ohm, net.psu_i_lim_a,
        net.psu_p_rated_w, net.psu_curve, net.psu_feed, net.psu_conn, st.psu_slot,
        net.eff_ptr, net.eff_load_frac, net.eff_eta, net.psu_p_idle_w, st.coef_re, st.coef_im,
        net.load_ptr, st.load_nd, net.load_p_w, net.load_v_collapse_v, net.load_v_min_v,
        st.kind, st.bw, st.perm, st.parent, st.goff, st.gdiag, st.band_ptr, st.gband,
        net.net_mass_s, net.net_i_scale_a, net.net_noise_a, opts.rtol, opts.max_iter, opts.sigma_init, opts.sigma_min, opts.pd_tol,
        opts.armijo, opts.alpha_min,
        jv, jpsu_i, jpsu_pin, jiter, jconv, jscal, jf_dre, jf_dim, jf_dp,
    )
    return {"jv_off": jv_off, "jp_off": jp_off, "jf_off": jf_off, "jv": jv, "jpsu_i": jpsu_i,
                "jpsu_pin": jpsu_pin, "jiter": jiter, "jconv": jconv, "jscal": jscal, "jf_dre": jf_dre,
                "jf_dim": jf_dim, "jf_dp": jf_dp}


def solve_power(net: PowerNetwork, psu_failed=None, feed_failed=None, opts: SolverOptions | None = None) -> PowerFlowResult:
    """Solve one scenario of a batch of networks (numba path, cold start at the set-point).

    Solves Kirchhoff's current law ``F(v) = 0`` on every network by Newton's method with
    pseudo-transient continuation (see :mod:`rackforge.solvers.power_ref` for the element
    equations), then the AC side ``P_in = P_out / eta(P_out / P_rated)`` (with a PSU's no-load input below
    its curve's first point, :func:`rackforge.solvers.power_ref.psu_input_power`) and the feed line
    currents by phasor sums.

    Parameters
    ----------
    net : PowerNetwork
        The array model (voltages [V], resistances [ohm], currents [A], powers [W]).
    psu_failed : bool array [n_psu], optional
        PSUs out of service.
    feed_failed : bool array [n_feed], optional
        Feeds lost (all PSUs on them are out of service).
    opts : SolverOptions, optional

    Returns
    -------
    PowerFlowResult
        Node voltages [V], PSU currents [A] and powers [W], segment currents [A], load service,
        feed line currents [A], totals [W] and convergence per network.
    """
    opts = opts or SolverOptions()
    st = _struct(net)
    out = net.psu_out(psu_failed, feed_failed)
    job_net = np.arange(net.n_net, dtype=np.int64)
    fail = np.flatnonzero(out).astype(np.int64)
    job_fptr = np.zeros(net.n_net + 1, np.int64)
    job_fptr[1:] = np.cumsum(np.bincount(net.psu_net[fail], minlength=net.n_net))
    r = _run_jobs(net, st, job_net, job_fptr, fail, True, np.zeros(net.n_node),
                  np.zeros(net.n_psu), opts)
    return assemble_result(net, r["jv"], r["jpsu_i"], ~out, r["jconv"], r["jiter"])


@dataclass(frozen=True, eq=False)
class ScenarioResults:
    """Results of a scenario batch (see :func:`solve_scenarios`).

    Per-scenario arrays are ``[n_scen]``. Envelope arrays are per element and give the worst value
    over the base case and all scenarios, with the index of the first scenario that attains it
    (``*_scen``); ``base_index`` (the index of the ``KIND_BASE`` scenario, or -1 if there is
    none) marks values already reached in the base solution. Full per-scenario detail is
    available with :meth:`scenario` (one scenario) and :meth:`dense` (stacked, small designs).

    Sparse detail: scenario ``s`` re-solved the networks ``job_net[job_ptr[s]:job_ptr[s+1]]``;
    job ``j`` holds node voltages ``job_v[job_node_off[j]:job_node_off[j+1]]`` (local node order
    of network ``job_net[j]``) and PSU currents / input powers ``job_psu_*[job_psu_off[j]:...]``.
    Feeds whose currents differ from the base case in scenario ``s`` are
    ``sf_feed[sf_ptr[s]:sf_ptr[s+1]]`` with currents ``sf_line_current_a`` [A] etc.
    """

    net: PowerNetwork
    scenarios: Scenarios
    base: PowerFlowResult
    base_index: int
    converged: np.ndarray
    iterations: np.ndarray
    facility_input_w: np.ndarray
    load_total_w: np.ndarray
    psu_loss_total_w: np.ndarray
    busbar_loss_total_w: np.ndarray
    unserved_w: np.ndarray
    n_unserved: np.ndarray
    v_min_v: np.ndarray
    seg_loading_max: np.ndarray
    psu_load_frac_max: np.ndarray
    feed_loading_max: np.ndarray
    env_node_v_min_v: np.ndarray
    env_node_v_min_scen: np.ndarray
    env_seg_loading_max: np.ndarray
    env_seg_loading_scen: np.ndarray
    env_psu_load_frac_max: np.ndarray
    env_psu_load_frac_scen: np.ndarray
    env_load_unserved_scen: np.ndarray
    env_feed_loading_max: np.ndarray
    env_feed_current_max_a: np.ndarray
    env_feed_loading_scen: np.ndarray
    job_ptr: np.ndarray
    job_scen: np.ndarray
    job_net: np.ndarray
    job_node_off: np.ndarray
    job_psu_off: np.ndarray
    job_v: np.ndarray
    job_psu_current_a: np.ndarray
    job_psu_p_in_w: np.ndarray
    job_iterations: np.ndarray
    job_converged: np.ndarray
    sf_ptr: np.ndarray
    sf_feed: np.ndarray
    sf_line_current_a: np.ndarray
    sf_neutral_current_a: np.ndarray
    sf_current_a: np.ndarray
    sf_p_in_w: np.ndarray
    sf_loading: np.ndarray
    sf_imbalance: np.ndarray

    @property
    def n_scen(self) -> int:
        return self.scenarios.n_scen

    def psu_out(self, s: int) -> np.ndarray:
        """Boolean [n_psu]: PSUs out of service in scenario ``s``."""
        sc, net = self.scenarios, self.net
        out = np.zeros(net.n_psu, bool)
        out[sc.psu_idx[sc.psu_ptr[s] : sc.psu_ptr[s + 1]]] = True
        ff = np.zeros(net.n_feed, bool)
        ff[sc.feed_idx[sc.feed_ptr[s] : sc.feed_ptr[s + 1]]] = True
        return out | ff[net.psu_feed]

    def scenario(self, s: int) -> PowerFlowResult:
        """Full :class:`PowerFlowResult` of scenario ``s`` (base solution where untouched)."""
        net = self.net
        v = self.base.node_voltage_v.copy()
        pi = self.base.psu_current_a.copy()
        conv = self.base.net_converged.copy()
        iters = np.zeros(net.n_net, np.int64)
        for j in range(self.job_ptr[s], self.job_ptr[s + 1]):
            k = self.job_net[j]
            n0, n1 = net.node_ptr[k], net.node_ptr[k + 1]
            p0, p1 = net.psu_ptr[k], net.psu_ptr[k + 1]
            v[n0:n1] = self.job_v[self.job_node_off[j] : self.job_node_off[j + 1]]
            pi[p0:p1] = self.job_psu_current_a[self.job_psu_off[j] : self.job_psu_off[j + 1]]
            conv[k] = self.job_converged[j]
            iters[k] = self.job_iterations[j]
        return assemble_result(net, v, pi, ~self.psu_out(s), conv, iters)

    def dense(self, name: str, limit: int = 50_000_000) -> np.ndarray:
        """Stack field ``name`` of :class:`PowerFlowResult` over all scenarios:
        ``[n_scen, ...]`` (meant for small designs; raises if larger than ``limit`` values)."""
        first = np.asarray(getattr(self.base, name))
        if first.size * self.n_scen > limit:
            raise MemoryError(f"dense {name}: {self.n_scen} x {first.size} values exceed {limit}")
        return np.stack([np.asarray(getattr(self.scenario(s), name)) for s in range(self.n_scen)])

    def summary(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in
                ("converged", "iterations", "facility_input_w", "unserved_w", "feed_loading_max")}


def _scenario_jobs(net: PowerNetwork, st: _Struct, sc: Scenarios):
    """(scenario, network) jobs with the PSUs out of service in each, vectorised."""
    n_scen = sc.n_scen
    s_exp = np.repeat(np.arange(n_scen, dtype=np.int64), np.diff(sc.psu_ptr))
    p_exp = sc.psu_idx
    s_f = np.repeat(np.arange(n_scen, dtype=np.int64), np.diff(sc.feed_ptr))
    f = sc.feed_idx
    cnt = np.diff(st.feed_psu_ptr)[f]
    tot = int(cnt.sum())
    s_fp = np.repeat(s_f, cnt)
    starts = np.repeat(st.feed_psu_ptr[f] - np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt)
    p_fp = st.feed_psu_idx[starts + np.arange(tot)] if tot else np.zeros(0, np.int64)
    key = np.unique(np.concatenate([s_exp, s_fp]) * max(net.n_psu, 1) + np.concatenate([p_exp, p_fp]))
    ps = key // max(net.n_psu, 1)
    pp = key % max(net.n_psu, 1)
    jkey = ps * max(net.n_net, 1) + net.psu_net[pp]
    ujk, first = np.unique(jkey, return_index=True)
    job_scen = ujk // max(net.n_net, 1)
    job_net = ujk % max(net.n_net, 1)
    job_fptr = np.append(first, key.size).astype(np.int64)
    job_ptr = np.searchsorted(job_scen, np.arange(n_scen + 1)).astype(np.int64)
    return job_scen.astype(np.int64), job_net.astype(np.int64), job_fptr, pp.astype(np.int64), job_ptr


def solve_scenarios(net: PowerNetwork, scenarios: Scenarios, base: PowerFlowResult | None = None,
                    opts: SolverOptions | None = None) -> ScenarioResults:
    """Solve a batch of fault scenarios in one parallel jitted call.

    Each scenario re-solves only the networks in which a PSU is out of service (failed, in a
    failed shelf, or on a failed feed), warm-started from the base voltages with the same
    Newton / pseudo-transient iteration and factorisation structure as :func:`solve_power`.
    AC feed currents are the base phasor sums plus each job's phasor change, so every feed's
    line currents [A] are exact in every scenario. BBU failures change no DC/AC quantity; they
    matter for :func:`battery_holdup`.

    Parameters
    ----------
    net : PowerNetwork
    scenarios : Scenarios
        E.g. ``enumerate_scenarios(net.psu_shelf, net.psu_feed, net.n_bbu, depth=1,
        n_feed=net.n_feed)``.
    base : PowerFlowResult, optional
        Base solution from :func:`solve_power` (computed if omitted).
    opts : SolverOptions, optional

    Returns
    -------
    ScenarioResults
    """
    opts = opts or SolverOptions()
    sc = scenarios
    if sc.n_psu != net.n_psu or (sc.n_feed not in (0, net.n_feed)):
        raise ValueError("scenarios do not match the network (n_psu / n_feed)")
    st = _struct(net)
    if base is None:
        base = solve_power(net, opts=opts)
    n_scen = sc.n_scen
    job_scen, job_net, job_fptr, job_fpsu, job_ptr = _scenario_jobs(net, st, sc)
    r = _run_jobs(net, st, job_net, job_fptr, job_fpsu, False, base.node_voltage_v,
                  base.psu_p_in_w, opts)
    # base values per network (the same sums as the jobs compute)
    bnet = np.zeros((net.n_net, _NJ))
    bnet[:, _J_PIN] = np.bincount(net.psu_net, base.psu_p_in_w, minlength=net.n_net)
    bnet[:, _J_POUT] = np.bincount(net.psu_net, base.psu_p_out_w, minlength=net.n_net)
    bnet[:, _J_PSULOSS] = bnet[:, _J_PIN] - bnet[:, _J_POUT]
    bnet[:, _J_BUSLOSS] = np.bincount(net.node_net[net.seg_from], base.seg_loss_w, minlength=net.n_net)
    bnet[:, _J_LOAD] = np.bincount(net.load_net, base.load_p_drawn_w, minlength=net.n_net)
    uns = ~base.load_served
    bnet[:, _J_UNSERVED] = np.bincount(net.load_net, np.where(uns, net.load_p_w, 0.0), minlength=net.n_net)
    bnet[:, _J_NUNS] = np.bincount(net.load_net, (uns & (net.load_p_w > 0)).astype(float), minlength=net.n_net)

    def per_scen(col, total):
        return total + np.bincount(job_scen, r["jscal"][:, col] - bnet[job_net, col], minlength=n_scen)

    conv = np.ones(n_scen, bool)
    np.logical_and.at(conv, job_scen, r["jconv"])
    conv &= base.converged
    iters = np.zeros(n_scen, np.int64)
    np.maximum.at(iters, job_scen, r["jiter"])

    # per-scenario extremes over touched networks and untouched base networks
    nv_base = np.full(net.n_net, np.inf)
    np.minimum.at(nv_base, net.node_net, base.node_voltage_v)
    seg_base = np.zeros(net.n_net)
    np.maximum.at(seg_base, net.node_net[net.seg_from], base.seg_loading)
    lf_base = np.zeros(net.n_net)
    np.maximum.at(lf_base, net.psu_net, base.psu_load_frac)

    def extreme(jvals, bvals):
        return _scen_extreme(job_ptr, job_net, jvals, bvals, np.argsort(-bvals, kind="stable"), net.n_net)

    v_min = -extreme(-r["jscal"][:, _J_VMIN], -nv_base)
    seg_max = extreme(r["jscal"][:, _J_SEGMAX], seg_base)
    lf_max = extreme(r["jscal"][:, _J_LFMAX], lf_base)

    # AC feeds: base phasors + job deltas, aggregated per (scenario, feed)
    ph = psu_line_phasors(base.psu_p_in_w, net.psu_conn, st.feed_pf[net.psu_feed],
                          net.feed_voltage_v[net.psu_feed])
    base_lines = np.zeros((net.n_feed, 3), np.complex128)
    np.add.at(base_lines, net.psu_feed, ph)
    nfd = np.diff(st.netfeed_ptr)[job_net]
    jf_job = np.repeat(np.arange(job_net.size), nfd)
    jf_feed = st.netfeed_feed[np.repeat(st.netfeed_ptr[job_net], nfd) + (np.arange(nfd.sum()) - np.repeat(r["jf_off"][:-1], nfd))] if nfd.sum() else np.zeros(0, np.int64)
    fkey = job_scen[jf_job] * max(net.n_feed, 1) + jf_feed
    ukey, inv = np.unique(fkey, return_inverse=True)
    nsf = ukey.size
    d = np.zeros((nsf, 3), np.complex128)
    for c in range(3):
        d[:, c] = np.bincount(inv, r["jf_dre"][:, c], minlength=nsf) + 1j * np.bincount(inv, r["jf_dim"][:, c], minlength=nsf)
    dp = np.bincount(inv, r["jf_dp"], minlength=nsf)
    sf_scen = ukey // max(net.n_feed, 1)
    sf_feed = (ukey % max(net.n_feed, 1)).astype(np.int64)
    lines = base_lines[sf_feed] + d
    sf_line = np.abs(lines)
    is_dc = net.feed_is_dc[sf_feed]
    sf_i = sf_line.max(axis=1) if nsf else np.zeros(0)
    sf_p = base.feed_p_in_w[sf_feed] + dp
    limit = net.feed_breaker_a * net.feed_derating
    sf_imb = feed_imbalance(sf_line, is_dc, limit[sf_feed])
    sf_load = sf_i / limit[sf_feed]
    sf_ptr = np.searchsorted(sf_scen, np.arange(n_scen + 1)).astype(np.int64)
    # neutral current = sum of the L-N contributions = a + b + c (L-L parts cancel)
    sf_neu = np.where(is_dc, 0.0, np.abs(lines.sum(axis=1)))
    feed_max = _scen_extreme(sf_ptr, sf_feed, sf_load, base.feed_loading,
                             np.argsort(-base.feed_loading, kind="stable"), net.n_feed) if net.n_feed else np.zeros(n_scen)

    # envelopes
    base_index = int(np.flatnonzero(sc.kind == KIND_BASE)[0]) if np.any(sc.kind == KIND_BASE) else -1
    env_v = base.node_voltage_v.copy()
    env_v_s = np.full(net.n_node, base_index, np.int64)
    env_seg = base.seg_loading.copy()
    env_seg_s = np.full(net.n_seg, base_index, np.int64)
    env_lf = base.psu_load_frac.copy()
    env_lf_s = np.full(net.n_psu, base_index, np.int64)
    env_uns = np.where(~base.load_served & (net.load_p_w > 0), base_index, -1).astype(np.int64)
    if base_index < 0:
        env_uns[~base.load_served & (net.load_p_w > 0)] = -1
    _envelopes(job_scen, job_net, r["jv"], r["jv_off"], r["jpsu_i"], r["jp_off"], net.node_ptr,
               net.seg_ptr, st.seg_a, st.seg_b, st.seg_g, net.seg_i_rated_a, net.psu_ptr, st.psu_nd,
               net.psu_p_rated_w, net.load_ptr, st.load_nd, net.load_v_collapse_v, net.load_v_min_v,
               net.load_p_w, env_v, env_v_s, env_seg, env_seg_s, env_lf, env_lf_s, env_uns)
    env_fl = base.feed_loading.copy()
    env_fi = base.feed_current_a.copy()
    env_fs = np.full(net.n_feed, base_index, np.int64)
    if nsf:
        o = np.lexsort((sf_scen, -sf_load, sf_feed))  # per feed: largest loading, earliest scenario
        fo = sf_feed[o]
        firsts = np.ones(o.size, bool)
        firsts[1:] = fo[1:] != fo[:-1]
        cand = o[firsts]
        better = sf_load[cand] > env_fl[sf_feed[cand]]
        cand = cand[better]
        env_fl[sf_feed[cand]] = sf_load[cand]
        env_fi[sf_feed[cand]] = sf_i[cand]
        env_fs[sf_feed[cand]] = sf_scen[cand]

    return ScenarioResults(
        net=net, scenarios=sc, base=base, base_index=base_index,
        converged=conv, iterations=iters,
        facility_input_w=per_scen(_J_PIN, base.facility_input_w),
        load_total_w=per_scen(_J_LOAD, base.load_total_w),
        psu_loss_total_w=per_scen(_J_PSULOSS, base.psu_loss_total_w),
        busbar_loss_total_w=per_scen(_J_BUSLOSS, base.busbar_loss_total_w),
        unserved_w=per_scen(_J_UNSERVED, base.unserved_w),
        n_unserved=np.rint(per_scen(_J_NUNS, float(base.n_unserved))).astype(np.int64),
        v_min_v=v_min, seg_loading_max=seg_max, psu_load_frac_max=lf_max, feed_loading_max=feed_max,
        env_node_v_min_v=env_v, env_node_v_min_scen=env_v_s,
        env_seg_loading_max=env_seg, env_seg_loading_scen=env_seg_s,
        env_psu_load_frac_max=env_lf, env_psu_load_frac_scen=env_lf_s,
        env_load_unserved_scen=env_uns,
        env_feed_loading_max=env_fl, env_feed_current_max_a=env_fi, env_feed_loading_scen=env_fs,
        job_ptr=job_ptr, job_scen=job_scen, job_net=job_net,
        job_node_off=r["jv_off"], job_psu_off=r["jp_off"], job_v=r["jv"],
        job_psu_current_a=r["jpsu_i"], job_psu_p_in_w=r["jpsu_pin"],
        job_iterations=r["jiter"], job_converged=r["jconv"],
        sf_ptr=sf_ptr, sf_feed=sf_feed, sf_line_current_a=sf_line, sf_neutral_current_a=sf_neu,
        sf_current_a=sf_i, sf_p_in_w=sf_p, sf_loading=sf_load, sf_imbalance=sf_imb,
    )


# ---------------------------------------------------------------------------------------------
# battery hold-up
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class HoldupResult:
    """BBU hold-up per network (arrays ``[..., n_net]``).

    Attributes
    ----------
    p_carry_w : load the BBUs must carry [W]
    p_available_w : sum of the power ratings of the healthy BBUs [W]
    energy_j : usable energy of the healthy BBUs [J]
    power_ok : ``p_carry_w <= p_available_w``
    holdup_s : ``energy_j * discharge_eff / p_carry_w`` [s] (``inf`` when nothing to carry)
    meets : ``power_ok & (holdup_s >= t_required_s)``
    """

    p_carry_w: np.ndarray
    p_available_w: np.ndarray
    energy_j: np.ndarray
    power_ok: np.ndarray
    holdup_s: np.ndarray
    meets: np.ndarray


def battery_holdup(p_carry_w, bbu_net, bbu_energy_j, bbu_p_rated_w, t_required_s, bbu_failed=None,
                   usable_fraction=1.0, discharge_eff=1.0) -> HoldupResult:
    """Battery (BBU) hold-up time of each network against the load it must carry.

    ``P_avail = sum_b P_rated,b``, ``E = f_usable * sum_b E_b`` over the healthy BBUs of the
    network, ``t_hold = E * eta_dis / P_carry`` and the network meets its requirement when
    ``P_carry <= P_avail`` and ``t_hold >= t_required`` (energy balance of a battery discharging
    at constant power; OCP Open Rack V3 BBU specification: hold-up at rated load, 90 s end of
    life).

    Parameters
    ----------
    p_carry_w : array [..., n_net] [W]
        Load the BBUs must carry (see :func:`holdup_demand`).
    bbu_net : int array [n_bbu]
        Network of each BBU (``PowerNetwork.bbu_net``).
    bbu_energy_j : array [n_bbu] [J]
        Stored energy.
    bbu_p_rated_w : array [n_bbu] [W]
        Discharge power rating.
    t_required_s : float or array [..., n_net] [s]
        Required hold-up time.
    bbu_failed : bool array [..., n_bbu], optional
        Failed BBUs (e.g. ``Scenarios.bbu_failed``).
    usable_fraction : float [-]
        Usable share of the stored energy (depth of discharge, ageing).
    discharge_eff : float [-]
        Discharge efficiency from stored energy to the busbar.

    Returns
    -------
    HoldupResult
    """
    p = np.asarray(p_carry_w, dtype=np.float64)
    n_net = p.shape[-1]
    bbu_net = np.asarray(bbu_net, dtype=np.int64)
    e = np.asarray(bbu_energy_j, dtype=np.float64)
    pr = np.asarray(bbu_p_rated_w, dtype=np.float64)
    healthy = np.ones(p.shape[:-1] + (bbu_net.size,), bool)
    if bbu_failed is not None:
        healthy = healthy & ~np.asarray(bbu_failed, dtype=bool)
    onehot = np.zeros((bbu_net.size, n_net))
    onehot[np.arange(bbu_net.size), bbu_net] = 1.0
    p_av = (healthy * pr) @ onehot
    energy = usable_fraction * ((healthy * e) @ onehot)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, energy * discharge_eff / np.where(p > 0, p, 1.0), np.inf)
    ok = p <= p_av
    return HoldupResult(p, p_av, energy, ok, t, ok & (t >= np.asarray(t_required_s)))


def holdup_demand(net: PowerNetwork, result: PowerFlowResult, mode: str = "network"):
    """Which loads the BBUs must carry in a scenario (typically a feed loss).

    Parameters
    ----------
    net : PowerNetwork
    result : PowerFlowResult
        The scenario's solution (e.g. ``ScenarioResults.scenario(s)`` for a feed loss).
    mode : {"network", "unserved"}
        ``"unserved"``: only the loads the surviving PSUs cannot serve. ``"network"`` (default,
        conservative): every load of a network with any unserved load, since the BBUs sit on the
        busbar and take over the whole bus once its voltage sags below their discharge threshold
        (OCP ORv3 BBU: discharge at 48.5 V).

    Returns
    -------
    p_carry_w : array [n_net] [W]
    carried : bool array [n_load]
    """
    uns = ~result.load_served & (net.load_p_w > 0)
    if mode == "unserved":
        carried = uns
    elif mode == "network":
        hit = np.zeros(net.n_net, bool)
        hit[net.load_net[uns]] = True
        carried = hit[net.load_net] & (net.load_p_w > 0)
    else:
        raise ValueError("mode must be 'network' or 'unserved'")
    return np.bincount(net.load_net, np.where(carried, net.load_p_w, 0.0), minlength=net.n_net), carried


def _tiny_network(mesh: bool = False) -> PowerNetwork:
    n = 4
    sf, stt = [0, 1, 2], [1, 2, 3]
    if mesh:
        sf, stt = sf + [0], stt + [3]
    return PowerNetwork(
        node_ptr=[0, n], seg_from=sf, seg_to=stt, seg_r_ohm=[1e-4] * len(sf),
        seg_i_rated_a=[1e3] * len(sf), psu_node=[0, 3], psu_v_set_v=[51.0, 51.0],
        psu_r_droop_ohm=[0.01, 0.01], psu_i_lim_a=[120.0, 120.0], psu_p_rated_w=[5500.0] * 2,
        psu_curve=[0, 0], psu_feed=[0, 0], psu_conn=[CONN_AB, CONN_BC], psu_shelf=[0, 0],
        eff_ptr=[0, 2], eff_load_frac=[0.1, 1.0], eff_eta=[0.95, 0.97], load_node=[1, 2],
        load_p_w=[3000.0, 3000.0], load_v_min_v=[45.0, 45.0], feed_voltage_v=[415.0],
        feed_is_dc=[False], feed_pf=[0.99], feed_breaker_a=[63.0], feed_derating=[0.8],
        bbu_node=[1], bbu_energy_j=[1e6], bbu_p_rated_w=[5000.0],
    )


def warmup() -> None:
    """Compile (or load from cache) every kernel on a tiny tree and a tiny mesh network."""
    global _PARALLEL_MIN_NODES
    keep = _PARALLEL_MIN_NODES
    try:
        for threshold in (keep, 0):  # serial and parallel job kernels
            _PARALLEL_MIN_NODES = threshold
            for mesh in (False, True):
                net = _tiny_network(mesh)
                sc = enumerate_scenarios(net.psu_shelf, net.psu_feed, net.n_bbu, n_feed=net.n_feed)
                solve_scenarios(net, sc)
    finally:
        _PARALLEL_MIN_NODES = keep
