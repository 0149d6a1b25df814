"""Liquid-loop hydraulic solver, numba kernels: the Churchill friction law and the GGA Newton iteration.

The jitted half of :mod:`rackforge.solvers.hydraulics`, which holds the Python API (:func:`~rackforge.solvers.
hydraulics.solve`, :func:`~rackforge.solvers.hydraulics.solve_batch`, :func:`~rackforge.solvers.hydraulics.
friction_factor`, :func:`~rackforge.solvers.hydraulics.pipe_pressure_drop`) and documents the network and array
conventions and the references (Todini & Pilati 1988; Churchill 1977; Crane TP-410). Here: the scalar element
laws (:func:`churchill_f_vec`, :func:`pipe_vec`), the global-gradient Newton step on the pentadiagonal system,
and the single and parallel batch entry points :func:`solve_single` and :func:`solve_many`.

Imports numba at module level: import it only from the numba path (never from the reference path,
:mod:`rackforge.solvers.hydraulics_ref`, nor from :mod:`rackforge.solvers.hydraulic_network`).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

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
    r8 = re / 8.0
    r2 = r8 * r8
    r4 = r2 * r2
    r12 = r4 * r4 * r4
    # Turbulent shortcut, same formula without the sqrt and the 1/12 power: with z = B/A and
    # w = 1/x = (A+B)^1.5/(Re/8)^12 both small, phi = (Re/8) (A+B)^(-1/8) (1 + w)^(1/12)
    # = (Re/8)/lg^2 (1+z)^(-1/8) (1+w)^(1/12), the two binomial series cut after z^2 and w^2
    # (truncation below 1e-17 for z < 1e-6, w < 1e-5).
    z = b / a
    wv = a * lg8 * (1.0 + 1.5 * z) / r12  # (A+B)^1.5 / (Re/8)^12, to O(z^2)
    if z < 1e-6 and wv < 1e-5:
        phi = r8 / lg2 * (1.0 - z * (0.125 - z * (9.0 / 128.0))) * \
            (1.0 + wv * (1.0 / 12.0 - wv * (11.0 / 288.0)))
        re_ds_s = (16.0 * (2.457 * 0.9) * t / (u * lg) - 16.0 * z) / (1.0 + z)  # Re ds/dRe / s
        return phi, phi * (1.0 - 0.125 * re_ds_s) / (1.0 + wv)
    s = a + b
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
def churchill_f_vec(re, rel_rough, out):
    for i in range(re.shape[0]):
        phi, _ = _churchill_phi(re[i], rel_rough[i])
        out[i] = 64.0 * phi / re[i] if re[i] > 0.0 else np.inf


@njit(cache=True)
def pipe_vec(q, d, length, eps, k, rho, mu, dp, ddp):
    for i in range(q.shape[0]):
        dp[i], ddp[i] = _pipe(q[i], d[i], length[i], eps[i], k[i], rho, mu)

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


@njit(cache=True, inline="always")
def _k_div_branch(x, b2):
    h = 1.0 if math.sqrt(b2) <= 2.0 / 3.0 else 0.3
    g = 1.0 if b2 <= 2.0 / 3.0 else 1.0 + 0.3 * x * x
    r = x / b2
    return g * (1.0 + h * r * r)


@njit(cache=True, inline="always")
def _k_div_run(x, b2):
    if b2 <= 0.4:
        m = 0.4
    elif x <= 0.5:
        m = 2.0 * (2.0 * x - 1.0)
    else:
        m = 0.3 * (2.0 * x - 1.0)
    return m * x * x


@njit(cache=True, inline="always")
def _k_conv_branch(x, b2):
    if b2 <= 0.35:
        c = 1.0
    elif x <= 0.4:
        c = 0.9 * (1.0 - x)
    else:
        c = 0.55
    r = x / b2
    return c * (1.0 + r * r - 2.0 * (1.0 - x) * (1.0 - x))


@njit(cache=True)
def _tee_terms(n, reverse, q, tk, ext, dext):
    """Tee losses at the current flows (Crane TP-410 90-degree tees, see ``crane_tee_k``).

    ``tk[i] = (rho/(2 A_sup_i^2), rho/(2 A_ret_i^2), beta2_sup_i, beta2_ret_i)``. Fills ``ext`` with
    the added drop of every link [Pa] and ``dext`` with its slope in the link's own flow, the other
    links' flows held: for a branch the tee's combined flow ``Qc = q_b + Q_run`` and share
    ``x = q_b/Qc`` move with it, ``d(K(x) h Qc^2)/dq_b = h Qc (K'(x) (1 - x) + 2 K)`` (``K'`` by a
    central difference of 1e-6 in x; kept >= 0); the run terms are lagged (slope 0). The fixed point
    of the iteration is the exact solution; only the Newton slope is approximate.
    """
    for j in range(ext.shape[0]):
        ext[j] = 0.0
        dext[j] = 0.0
    for i in range(n):
        jb = 1 + n + i
        qb = q[jb]
        if qb < 0.0:
            continue
        qc = q[1 + i]  # supply: combined = segment i
        if qc > 0.0:
            x = min(qb / qc, 1.0)
            hs = tk[i, 0] * qc * qc
            kb = _k_div_branch(x, tk[i, 2])
            ext[jb] += kb * hs
            dk = (_k_div_branch(x + 1e-6, tk[i, 2]) - _k_div_branch(x - 1e-6, tk[i, 2])) * 5e5
            dext[jb] += max(tk[i, 0] * qc * (dk * (1.0 - x) + 2.0 * kb), 0.0)
            if i < n - 1:
                ext[2 + i] += _k_div_run(x, tk[i, 2]) * hs
        qc = q[1 + 2 * n + i]  # return: combined = segment i
        if qc > 0.0:
            x = min(qb / qc, 1.0)
            hr = tk[i, 1] * qc * qc
            kb = _k_conv_branch(x, tk[i, 3])
            ext[jb] += kb * hr
            dk = (_k_conv_branch(x + 1e-6, tk[i, 3]) - _k_conv_branch(x - 1e-6, tk[i, 3])) * 5e5
            dext[jb] += max(tk[i, 1] * qc * (dk * (1.0 - x) + 2.0 * kb), 0.0)
            kr = (1.55 * x - x * x) * hr
            if reverse:
                if i > 0:
                    ext[2 * n + i] += kr
            elif i < n - 1:
                ext[2 + 2 * n + i] += kr


@njit(cache=True)
def _group(qabs, pg_a, pg_b, k0, k1):
    """Parallel group: common drop [Pa] at total flow ``qabs`` >= 0 and its slope (see
    ``hydraulic_network.group_pressure_drop``: Newton on the concave member sum from the upper bound)."""
    dp = math.inf
    for k in range(k0, k1):
        dp = min(dp, pg_a[k] * qabs + pg_b[k] * qabs * qabs)
    for _ in range(100):
        s = -qabs
        ds = 0.0
        for k in range(k0, k1):
            root = math.sqrt(pg_a[k] * pg_a[k] + 4.0 * pg_b[k] * dp)
            if root > 0.0:
                s += 2.0 * dp / (pg_a[k] + root)
                ds += 1.0 / root
            else:
                ds = math.inf
        if not (ds > 0.0) or ds == math.inf:
            break
        nxt = max(dp - s / ds, 0.0)
        done = abs(nxt - dp) <= 1e-15 * max(nxt, 1e-300)
        dp = nxt
        if done:
            break
    ds = 0.0
    for k in range(k0, k1):
        root = math.sqrt(pg_a[k] * pg_a[k] + 4.0 * pg_b[k] * dp)
        ds += 1.0 / root if root > 0.0 else math.inf
    return dp, (1.0 / ds if ds > 0.0 else 0.0)


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

    Link laws ``p_from - p_to = f(q)``; slopes are safeguarded to stay positive: the CDU's at
    ``1e-6 c0/qref``; a branch's component slope at ``2 b qfloor`` with ``qfloor = 1e-12 qref`` (only a
    branch without pipes and without a linear term ever reaches it, at zero flow). Tee and parallel-group
    terms are added by :func:`_add_terms`.
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
    qfloor = 1e-12 * qref
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
def _add_terms(n, c0, qref, is_open, q, cond, y, tee, ext, dext, pg_ptr, pg_a, pg_b):
    """Add tee terms (``ext``, slope ``dext`` from :func:`_tee_terms`) and parallel-group drops to the linearised
    links: from ``cond = 1/f'`` and ``y = q - f/f'`` recover ``f, f'``, add, and linearise again. Runs only for
    loops that have either (the plain path keeps its single pass)."""
    m = 3 * n + 1
    if tee:
        for j in range(1, m):
            if cond[j] == 0.0:
                continue  # a blocked branch
            fp = 1.0 / cond[j]
            f = (q[j] - y[j]) * fp + ext[j]
            fp += dext[j]
            cond[j] = 1.0 / fp
            y[j] = q[j] - f * cond[j]
    if pg_ptr[n] > 0:
        floor = 1e-12 * c0 / qref
        for i in range(n):
            k0, k1 = pg_ptr[i], pg_ptr[i + 1]
            if k1 == k0 or not is_open[i]:
                continue
            j = 1 + n + i
            qj = q[j]
            fp = 1.0 / cond[j]
            f = (qj - y[j]) * fp
            dp, ddp = _group(abs(qj), pg_a, pg_b, k0, k1)
            f += dp if qj >= 0.0 else -dp
            fp += max(ddp, floor)
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
def _gga(n, pc, n_act, cdu_a, cdu_b, reverse, br_ptr, pk, br_a, br_b, is_open, tee, tk, pg_ptr, pg_a,
         pg_b, q, p, tol, max_iter):
    """Global gradient iterations in place on link flows ``q`` (3n+1) and node pressures ``p``.

    Returns ``(converged, iterations)``. Node pressures are relative to the suction node.

    Stopping test: every link's flow change relative to that link's own flow (the branches; the
    headers and the CDU are exact partial sums of them) below ``tol``, either as the Newton step or
    as the contraction-rate estimate of the remaining error, and every node's balance (the flows in
    and out of each tap) below ``tol`` relative to the node's throughput (exact by construction;
    checked after the last step).
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
    ext = np.zeros(m if tee else 0)
    dext = np.zeros(m if tee else 0)
    converged = False
    it = 0
    dprev = 0.0
    while it < max_iter:
        it += 1
        _laws(n, c0, c1, c2, float(n_act), cdu_a, cdu_b, br_ptr, pk, br_a, br_b, is_open, qref, q,
              cond, y)
        if tee or pg_ptr[n] > 0:
            if tee:
                _tee_terms(n, reverse, q, tk, ext, dext)
            _add_terms(n, c0, qref, is_open, q, cond, y, tee, ext, dext, pg_ptr, pg_a, pg_b)
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
        dmax = 0.0  # largest relative flow change of a link
        qt = 0.0
        for i in range(n):
            s = 1 + 2 * i
            jb = 1 + n + i
            if not is_open[i]:
                continue
            qn = y[jb] + cond[jb] * (p[s] - p[s + 1])
            dq = abs(qn - q[jb])
            if dq > dmax * abs(qn):  # a division only when the maximum moves
                dmax = dq / max(abs(qn), 1e-300)
            q[jb] = qn
            qt += qn
        dmax = max(dmax, abs(qt - q[0]) / max(abs(qt), 1e-300))
        q[0] = qt
        _fill_headers(n, reverse, q)
        # stop on a small step, or when the contraction-rate estimate of the remaining error
        # theta/(1-theta)*|dQ| is small (Hairer & Wanner 1996, Solving ODE II, sec. IV.8)
        if dmax <= tol:
            converged = True
            break
        if it >= 2 and dprev > 0.0:
            theta = dmax / dprev
            if theta < 0.5 and theta / (1.0 - theta) * dmax <= tol:
                converged = True
                break
        dprev = dmax
    if converged:
        converged = _balance_ok(n, reverse, q, max(tol, 1e-13))
    return converged, it


@njit(cache=True)
def _balance_ok(n, reverse, q, tol):
    """Mass balance at every node (CDU outlet, supply and return taps) within ``tol`` of its throughput."""
    if abs(q[0] - q[1]) > tol * max(abs(q[0]), 1e-300):
        return False
    for i in range(n):
        qb = q[1 + n + i]
        s_out = q[2 + i] if i < n - 1 else 0.0
        if abs(q[1 + i] - qb - s_out) > tol * max(abs(q[1 + i]), 1e-300):
            return False
        if reverse:
            r_in = q[2 * n + i] if i > 0 else 0.0
        else:
            r_in = q[2 + 2 * n + i] if i < n - 1 else 0.0
        if abs(q[1 + 2 * n + i] - qb - r_in) > tol * max(abs(q[1 + 2 * n + i]), 1e-300):
            return False
    ret_out = q[3 * n] if reverse else q[1 + 2 * n]
    return abs(ret_out - q[0]) <= tol * max(abs(q[0]), 1e-300)


@njit(cache=True)
def _tee_consts(n, rho, sup_d, ret_d, br_dtee):
    """Per-tap tee constants ``rho/(2 A_sup^2), rho/(2 A_ret^2), beta2_sup, beta2_ret``."""
    tk = np.empty((n, 4))
    for i in range(n):
        a_s = 0.25 * math.pi * sup_d[i] * sup_d[i]
        a_r = 0.25 * math.pi * ret_d[i] * ret_d[i]
        a_b = 0.25 * math.pi * br_dtee[i] * br_dtee[i]
        tk[i, 0] = 0.5 * rho / (a_s * a_s)
        tk[i, 1] = 0.5 * rho / (a_r * a_r)
        tk[i, 2] = a_b / a_s
        tk[i, 3] = a_b / a_r
    return tk


@njit(cache=True)
def _solve_one(n, pc, n_act, cdu_a, cdu_b, reverse, br_ptr, pk, br_a, br_b, is_open, tee, tk, pg_ptr,
               pg_a, pg_b, q, p, warm, tol, max_iter):
    if not warm:
        _initial_flows(n, pc[0], pc[1], pc[2], max(n_act, 1), cdu_a, cdu_b, br_ptr, pk, br_a, br_b,
                       is_open, reverse, q)
    return _gga(n, pc, n_act, cdu_a, cdu_b, reverse, br_ptr, pk, br_a, br_b, is_open, tee, tk, pg_ptr,
                pg_a, pg_b, q, p, tol, max_iter)


@njit(cache=True)
def solve_single(n, rho, mu, pc, n_act, cdu_a, cdu_b, sup_d, sup_len, sup_eps, sup_k, ret_d,
                  ret_len, ret_eps, ret_k, reverse, br_ptr, bp_d, bp_len, bp_eps, bp_k, br_a, br_b,
                  tee, br_dtee, pg_ptr, pg_a, pg_b, is_open, q, p, warm, tol, max_iter):
    pk = _all_consts(n, rho, mu, sup_d, sup_len, sup_eps, sup_k, ret_d, ret_len, ret_eps, ret_k,
                     bp_d, bp_len, bp_eps, bp_k)
    tk = _tee_consts(n, rho, sup_d, ret_d, br_dtee)
    return _solve_one(n, pc, n_act, cdu_a, cdu_b, reverse, br_ptr, pk, br_a, br_b, is_open, tee, tk,
                      pg_ptr, pg_a, pg_b, q, p, warm, tol, max_iter)


@njit(cache=True, parallel=True)
def solve_many(n, rho, mu, pc, n_act, cdu_a, cdu_b, sup_d, sup_len, sup_eps, sup_k, ret_d, ret_len,
                ret_eps, ret_k, reverse, br_ptr, bp_d, bp_len, bp_eps, bp_k, br_a, br_b, tee, br_dtee,
                pg_ptr, pg_a, pg_b, is_open, q_warm, has_warm, tol, max_iter, q_out, p_out, conv, iters):
    pk = _all_consts(n, rho, mu, sup_d, sup_len, sup_eps, sup_k, ret_d, ret_len, ret_eps, ret_k,
                     bp_d, bp_len, bp_eps, bp_k)
    tk = _tee_consts(n, rho, sup_d, ret_d, br_dtee)
    ns = n_act.shape[0]
    for s in prange(ns):
        q = q_out[s]
        if has_warm:
            q[:] = q_warm
        ok, it = _solve_one(n, pc, n_act[s], cdu_a, cdu_b, reverse, br_ptr, pk, br_a, br_b,
                            is_open[s], tee, tk, pg_ptr, pg_a, pg_b, q, p_out[s], has_warm, tol,
                            max_iter)
        if not ok and has_warm:  # fall back to a cold start
            ok, it2 = _solve_one(n, pc, n_act[s], cdu_a, cdu_b, reverse, br_ptr, pk, br_a, br_b,
                                 is_open[s], tee, tk, pg_ptr, pg_a, pg_b, q, p_out[s], False, tol,
                                 max_iter)
            it += it2
        conv[s] = ok
        iters[s] = it
