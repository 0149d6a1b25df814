"""Liquid-loop component laws in plain numpy (no numba): quick-disconnects, K factors, fitted component and
pump curves, header tees, parallel groups and the coolant correction of a fitted curve.

The element helpers that turn catalog figures into the coefficients of a :class:`~rackforge.solvers.
hydraulic_network.HydraulicNetwork` (``dp = a q + b q|q|``, pump ``dp = c0 + c1 q + c2 q^2``) and the numpy laws the
solvers share (:func:`tee_losses`, :func:`group_pressure_drop`). :mod:`rackforge.solvers.hydraulic_network` (the
network arrays and builders) and :mod:`rackforge.solvers.hydraulics` re-export every public name here.
Conventions and references: see :mod:`rackforge.solvers.hydraulics`.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = [
    "GPM_M3_S",
    "PSI_PA",
    "CV_REFERENCE_DENSITY",
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
    "pump_curve_rises",
    "coolant_corrected_curve",
    "group_pressure_drop",
]

#: One US gallon per minute in [m^3/s] (1 gal = 3.785411784 L exactly).
GPM_M3_S = 3.785411784e-3 / 60.0
#: One pound-force per square inch in [Pa].
PSI_PA = 6894.757293168361
#: Density of water at 60 degF (15.6 degC) [kg/m^3]; specific gravity in the Cv equation is
#: relative to it (ANSI/ISA-75.01.01).
CV_REFERENCE_DENSITY = 999.0

# ----------------------------------------------------------------------------------------------
# Component curves: quick-disconnects, K factors, fitted component and pump curves
# ----------------------------------------------------------------------------------------------


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
# Header tees, parallel groups, reported figures
# ----------------------------------------------------------------------------------------------

#: The four 90-degree tee coefficients of :func:`crane_tee_k`.
TEE_KINDS = ("diverging_branch", "diverging_run", "converging_branch", "converging_run")


def crane_tee_k(kind, x, beta2):
    """Loss coefficient of a 90-degree tee by flow ratio (Crane TP-410), on the combined-flow velocity.

    ``x = Q_branch / Q_combined`` (0..1), ``beta2 = (d_branch / D_run)^2``; run and combined share the
    header diameter ``D_run``. The pressure loss of the path is ``K rho v_c^2 / 2``, ``v_c`` the velocity
    of the combined flow in the header.

    * diverging (dividing, supply header), branch: ``K = G [1 + H (x/beta2)^2]`` (the ``J cos 90``
      term vanishes); ``H = 1`` for ``beta <= 2/3`` else 0.3; ``G = 1`` for ``beta2 <= 2/3`` else
      ``1 + 0.3 x^2``;
    * diverging, run: ``K = M x^2``; ``M = 0.4`` for ``beta2 <= 0.4``, else ``2 (2x - 1)`` for
      ``x <= 0.5`` and ``0.3 (2x - 1)`` above;
    * converging (combining, return header), branch: ``K = C [1 + (x/beta2)^2 - 2 (1 - x)^2]``;
      ``C = 1`` for ``beta2 <= 0.35``, else ``0.9 (1 - x)`` for ``x <= 0.4`` and 0.55 above;
    * converging, run: ``K = 1.55 x - x^2``.

    Parameters
    ----------
    kind : str
        One of :data:`TEE_KINDS`.
    x : array_like
        Branch share of the combined flow [-].
    beta2 : array_like
        Branch-to-run area ratio [-].

    Returns
    -------
    ndarray
        K [-] (may be negative for a converging branch with a fast run: the ejector effect).

    References
    ----------
    Crane Co. (2009). *Flow of Fluids Through Valves, Fittings, and Pipe*, Technical Paper No. 410,
    ch. 2, "Branch and run of tees and wyes" (with the 2012 errata); after Miller, D. S. (1990),
    *Internal Flow Systems*, 2nd ed., and Idelchik (2008) ch. 7. Cross-checked in the tests against
    the independent implementation in ``fluids.fittings`` (K_*_Crane).
    """
    x = np.clip(np.asarray(x, dtype=float), 0.0, 1.0)
    b2 = np.asarray(beta2, dtype=float)
    if kind == "diverging_branch":
        h = np.where(np.sqrt(b2) <= 2.0 / 3.0, 1.0, 0.3)
        g = np.where(b2 <= 2.0 / 3.0, 1.0, 1.0 + 0.3 * x * x)
        return g * (1.0 + h * (x / b2) ** 2)
    if kind == "diverging_run":
        m = np.where(b2 <= 0.4, 0.4, np.where(x <= 0.5, 2.0 * (2.0 * x - 1.0), 0.3 * (2.0 * x - 1.0)))
        return m * x * x
    if kind == "converging_branch":
        c = np.where(b2 <= 0.35, 1.0, np.where(x <= 0.4, 0.9 * (1.0 - x), 0.55))
        return c * (1.0 + (x / b2) ** 2 - 2.0 * (1.0 - x) ** 2)
    if kind == "converging_run":
        return 1.55 * x - x * x
    raise ValueError(f"unknown tee kind {kind!r}")


def tee_losses(net, q):
    """Extra pressure drop [Pa] of every link from the header tees at link flows ``q`` (..., 3n+1).

    Supply tap ``i`` is a diverging tee: combined flow = supply segment ``i``, branch = branch ``i``,
    run out = supply segment ``i+1`` (the last tap: all flow turns into the branch, ``x = 1``). Return
    tap ``i`` is a converging tee: combined flow = return segment ``i``, branch in = branch ``i``, run
    in = return segment ``i+1`` (direct return) or ``i-1`` (reverse return). The branch path's loss is
    added to the branch link, the run path's to the run segment; both are ``K rho v_c |v_c| / 2`` with
    ``v_c`` the combined flow's velocity in the header segment and K from :func:`crane_tee_k`. Tees
    without forward flow (reversed or empty combined flow) add nothing.

    Parameters
    ----------
    net : HydraulicNetwork
    q : ndarray (..., 3n+1)
        Link flows [m^3/s] in the kernel numbering.

    Returns
    -------
    ndarray (..., 3n+1)
        Added pressure drop per link [Pa] (0 where ``net.tee`` is False).

    References
    ----------
    Crane TP-410 (2009), see :func:`crane_tee_k`.
    """
    q = np.asarray(q, dtype=float)
    out = np.zeros_like(q)
    if not net.tee:
        return out
    n = net.n_branches
    qs, qb, qr = q[..., 1:1 + n], q[..., 1 + n:1 + 2 * n], q[..., 1 + 2 * n:]
    a_sup = np.pi * net.sup_d ** 2 / 4.0
    a_ret = np.pi * net.ret_d ** 2 / 4.0
    a_br = np.pi * net.br_dtee ** 2 / 4.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ok_s = (qs > 0) & (qb >= 0)
        xs = np.where(ok_s, qb / np.where(qs > 0, qs, 1.0), 0.0)
        hs = np.where(ok_s, 0.5 * net.rho * (qs / a_sup) ** 2, 0.0)
        ok_r = (qr > 0) & (qb >= 0)
        xr = np.where(ok_r, qb / np.where(qr > 0, qr, 1.0), 0.0)
        hr = np.where(ok_r, 0.5 * net.rho * (qr / a_ret) ** 2, 0.0)
    out[..., 1 + n:1 + 2 * n] = (crane_tee_k("diverging_branch", xs, a_br / a_sup) * hs
                                 + crane_tee_k("converging_branch", xr, a_br / a_ret) * hr)
    out[..., 2:1 + n] = (crane_tee_k("diverging_run", xs, a_br / a_sup) * hs)[..., :-1]
    run_r = crane_tee_k("converging_run", xr, a_br / a_ret) * hr
    if net.reverse_return:
        out[..., 1 + 2 * n:3 * n] += run_r[..., 1:]
    else:
        out[..., 2 + 2 * n:] += run_r[..., :-1]
    return out


def parallel_split(a, b, total):
    """Exact flow split of components ``dp = a_k q + b_k q^2`` in parallel carrying ``total`` [m^3/s].

    Each member carries ``q_k(dp) = (-a_k + sqrt(a_k^2 + 4 b_k dp)) / (2 b_k)`` (``dp / a_k`` when
    ``b_k = 0``) at the common drop ``dp``; ``sum q_k(dp) = total`` is solved for ``dp`` by a
    safeguarded Newton iteration (the sum is increasing and concave in ``dp``).

    For ``m`` identical members the split is equal and the group is exactly ``a/m, b/m^2``
    (:func:`parallel_identical`): by symmetry an equal split satisfies the common-drop condition,
    and it is the only one because each ``q_k(dp)`` is strictly increasing.

    Parameters
    ----------
    a, b : array_like, shape (k,)
        Member coefficients [Pa s/m^3], [Pa s^2/m^6] (a_k + b_k > 0).
    total : float
        Flow through the group [m^3/s] (>= 0).

    Returns
    -------
    tuple
        ``(flows [m^3/s], dp [Pa])``.

    References
    ----------
    White, F. M. (2011). Fluid Mechanics, 7th ed., sec. 6.9 (pipes in parallel).
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if total <= 0:
        return np.zeros_like(a), 0.0

    def flows(dp):
        with np.errstate(divide="ignore", invalid="ignore"):
            root = np.sqrt(a * a + 4.0 * b * dp)
            quad = 2.0 * dp / (a + root)  # = (-a + root) / (2b), without cancellation
            dq = np.where(root > 0, 1.0 / root, np.inf)
        return quad, dq

    lo, hi = 0.0, 1.0
    while flows(hi)[0].sum() < total:
        hi *= 4.0
    dp = hi
    for _ in range(200):
        qk, dq = flows(dp)
        g = qk.sum() - total
        if g > 0:
            hi = dp
        else:
            lo = dp
        if abs(g) <= 1e-15 * total:
            break
        nxt = dp - g / dq.sum()
        dp = nxt if lo < nxt < hi else 0.5 * (lo + hi)
    qk, _ = flows(dp)
    return qk, float(dp)


def pump_curve_rises(q, dp, rise_tol=None):
    """Does a pump curve rise with flow from shut-off? Returns a reason (str) or None.

    A centrifugal pump curve whose head rises from shut-off to a peak (a "drooping" curve) has two
    flows at one head near its peak; pumps run in parallel on such a curve can hunt, and one can be
    pushed to shut-off by the others. The points are checked as given (sorted by flow), and the
    fitted curve ``c0 + c1 q + c2 q^2`` (with ``rise_tol`` given) for a peak more than ``rise_tol``
    above its shut-off pressure. Three falling points can give a quadratic that bulges slightly above
    shut-off near zero flow (1.3 % for CDU-ROW-2MW): that is the fit's doing, not the catalog's.

    Parameters
    ----------
    q : array_like
        Catalog flows [m^3/s]. dp : array_like, pressure rise [Pa].
    rise_tol : float, optional
        Relative rise of the fitted peak over shut-off that is reported [-]; None: points only.

    References
    ----------
    Karassik, I. J. et al. (2008). Pump Handbook, 4th ed., sec. 2.3 (parallel operation, unstable
    head-capacity curves).
    """
    q = np.asarray(q, dtype=float)
    dp = np.asarray(dp, dtype=float)
    o = np.argsort(q, kind="stable")
    q, dp = q[o], dp[o]
    rise = np.flatnonzero(np.diff(dp) > 1e-9 * max(abs(dp).max(), 1.0))
    if rise.size:
        i = int(rise[0])
        return (f"pressure rises from {dp[i]:.0f} Pa at {q[i]:.4g} m^3/s to {dp[i + 1]:.0f} Pa at "
                f"{q[i + 1]:.4g} m^3/s")
    if rise_tol is not None and q.size >= 3:
        c = fit_pump_curve(q, dp, "quadratic")
        if c[1] > 0 and c[2] < 0:
            qpk = -c[1] / (2 * c[2])
            peak = c[0] + c[1] * qpk + c[2] * qpk * qpk
            if qpk > 0 and peak > c[0] * (1.0 + rise_tol):
                return (f"the fitted curve peaks at {qpk:.4g} m^3/s, {100 * (peak / c[0] - 1):.1f} % above its "
                        "shut-off pressure")
    return None


def coolant_corrected_curve(a, b, rho_ref, mu_ref, rho, mu):
    """Correct a component curve ``dp = a q + b q^2`` measured with one coolant to another.

    The linear term is the viscous (laminar) part: at equal flow it scales with viscosity,
    ``a' = a mu/mu_ref`` (Hagen-Poiseuille, ``dp = 128 mu L q / (pi D^4)``). The quadratic term is the
    inertial (turbulent / form loss) part: it scales with density, ``b' = b rho/rho_ref``
    (``dp = K rho v^2 / 2``). The friction factor's own weak Reynolds dependence in the quadratic
    part is not corrected.

    Parameters
    ----------
    a, b : float
        Curve as measured [Pa s/m^3], [Pa s^2/m^6].
    rho_ref, mu_ref : float
        Density [kg/m^3] and viscosity [Pa s] of the coolant the curve was measured with.
    rho, mu : float
        The loop coolant's.

    Returns
    -------
    tuple of float
        ``(a', b')``.

    References
    ----------
    White, F. M. (2011). Fluid Mechanics, 7th ed., sec. 6.4 (laminar pipe flow) and 6.7 (minor losses).
    """
    return float(a) * mu / mu_ref, float(b) * rho / rho_ref


def group_pressure_drop(q, a, b):
    """Common pressure drop [Pa] of parallel members ``dp = a_k q_k + b_k q_k^2`` carrying ``q`` [m^3/s] in all,
    and its slope ``d(dp)/dq`` [Pa s/m^3]; vectorised over ``q`` (odd in ``q``).

    Each member carries ``q_k(dp) = 2 dp / (a_k + sqrt(a_k^2 + 4 b_k dp))``; ``S(dp) = sum q_k(dp) - |q|`` is
    increasing and concave, so Newton's method started at the upper bound ``min_k (a_k |q| + b_k q^2)`` (all the
    flow through the least resistant member) undershoots once and then rises monotonically to the root. The
    slope is ``1 / sum q_k'(dp)``, ``q_k' = (a_k^2 + 4 b_k dp)^-1/2``.

    Parameters
    ----------
    q : array_like
        Group flow [m^3/s].
    a, b : array_like, shape (k,)
        Member coefficients [Pa s/m^3], [Pa s^2/m^6].

    Returns
    -------
    tuple of ndarray
        ``(dp [Pa], slope [Pa s/m^3])``.

    References
    ----------
    White, F. M. (2011). Fluid Mechanics, 7th ed., sec. 6.9 (pipes in parallel); Ortega, J. M., Rheinboldt,
    W. C. (1970). Iterative Solution of Nonlinear Equations in Several Variables, sec. 13.3 (monotone Newton
    convergence for convex/concave functions).
    """
    q = np.asarray(q, dtype=float)
    a = np.asarray(a, dtype=float)[:, None]
    b = np.asarray(b, dtype=float)[:, None]
    qa = np.abs(q).ravel()[None, :]
    dp = np.min(a * qa + b * qa * qa, axis=0)
    for _ in range(100):
        root = np.sqrt(a * a + 4.0 * b * dp)
        with np.errstate(divide="ignore", invalid="ignore"):
            qk = np.where(root > 0, 2.0 * dp / (a + root), 0.0)
            s = qk.sum(axis=0) - qa[0]
            ds = np.where(root > 0, 1.0 / root, np.inf).sum(axis=0)
            step = np.where(np.isfinite(ds) & (ds > 0), s / ds, 0.0)
        nxt = np.maximum(dp - step, 0.0)
        done = np.all(np.abs(nxt - dp) <= 1e-15 * np.maximum(nxt, 1e-300))
        dp = nxt
        if done:
            break
    root = np.sqrt(a * a + 4.0 * b * dp)
    with np.errstate(divide="ignore"):
        ds = (1.0 / root).sum(axis=0)
    slope = np.where(np.isfinite(ds) & (ds > 0), 1.0 / ds, 0.0)
    return (np.sign(q.ravel()) * dp).reshape(q.shape), slope.reshape(q.shape)
