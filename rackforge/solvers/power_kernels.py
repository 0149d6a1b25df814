"""Power-distribution solver, numba kernels: node ordering, DC busbar Newton and the fault-job batch.

The jitted half of :mod:`rackforge.solvers.power` (which holds the Python drivers, the result objects and
the public API, and re-exports nothing from here but uses it). :class:`NetStructure` holds the flat arrays
the kernels need, derived once per :class:`~rackforge.solvers.power_ref.PowerNetwork` (reverse
Cuthill-McKee ordering, tree / band detection, band storage of meshes, AC line-current coefficients);
:func:`solve_jobs_par` / :func:`solve_jobs_ser` solve a batch of (scenario, network) jobs by Newton's
method with pseudo-transient continuation; :func:`scen_extreme` and :func:`envelopes` reduce the jobs to
per-element worst cases. The equations are those of :mod:`rackforge.solvers.power_ref`; the numerical
method and its references are described in :mod:`rackforge.solvers.power`.

Imports numba at module level: import it only from the numba path (never from the reference path).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from rackforge.solvers.power_ref import PowerNetwork, psu_line_phasors

# job scalar columns
J_PIN, J_POUT, J_PSULOSS, J_BUSLOSS, J_LOAD, J_UNSERVED, J_NUNS, J_VMIN, J_SEGMAX, J_LFMAX = range(10)
NJ = 10


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


class NetStructure:
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


def net_structure(net: PowerNetwork) -> NetStructure:
    return net._cached("numba_struct", lambda: NetStructure(net))


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
def solve_jobs_par(job_net, job_fptr, job_fpsu, cold, v_base, psu_pin_base,
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
def solve_jobs_ser(job_net, job_fptr, job_fpsu, cold, v_base, psu_pin_base,
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
def scen_extreme(ptr, ent_id, ent_val, base_val, base_order, n_ids):
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
def envelopes(job_scen, job_net, jv, jv_off, jpsu_i, jp_off, node_ptr, seg_ptr, seg_a, seg_b, seg_g,
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
