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
scenario are the base phasor sums plus the jobs' phasor deltas. The jitted kernels and the
per-network structure they use live in :mod:`rackforge.solvers.power_kernels`; this module holds
the Python drivers, the result objects and the hold-up calculation.

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
from rackforge.solvers.power_kernels import (
    J_BUSLOSS,
    J_LFMAX,
    J_LOAD,
    J_NUNS,
    J_PIN,
    J_POUT,
    J_PSULOSS,
    J_SEGMAX,
    J_UNSERVED,
    J_VMIN,
    NJ,
    NetStructure,
    envelopes,
    net_structure,
    scen_extreme,
    solve_jobs_par,
    solve_jobs_ser,
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

_struct = net_structure  # the name tests and benches/power.py use
_PARALLEL_MIN_NODES = 50_000  # node-jobs below which the serial kernel is used


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
    jscal = np.zeros((nj, NJ))
    jf_dre = np.zeros((jf_off[-1], 3))
    jf_dim = np.zeros((jf_off[-1], 3))
    jf_dp = np.zeros(jf_off[-1])
    # threads pay off only for enough work (thread start-up and allocator contention otherwise)
    parallel = int(nsz[job_net].sum()) >= _PARALLEL_MIN_NODES
    (solve_jobs_par if parallel else solve_jobs_ser)(
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
    st = net_structure(net)
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


def _scenario_jobs(net: PowerNetwork, st: NetStructure, sc: Scenarios):
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
    st = net_structure(net)
    if base is None:
        base = solve_power(net, opts=opts)
    n_scen = sc.n_scen
    job_scen, job_net, job_fptr, job_fpsu, job_ptr = _scenario_jobs(net, st, sc)
    r = _run_jobs(net, st, job_net, job_fptr, job_fpsu, False, base.node_voltage_v,
                  base.psu_p_in_w, opts)
    # base values per network (the same sums as the jobs compute)
    bnet = np.zeros((net.n_net, NJ))
    bnet[:, J_PIN] = np.bincount(net.psu_net, base.psu_p_in_w, minlength=net.n_net)
    bnet[:, J_POUT] = np.bincount(net.psu_net, base.psu_p_out_w, minlength=net.n_net)
    bnet[:, J_PSULOSS] = bnet[:, J_PIN] - bnet[:, J_POUT]
    bnet[:, J_BUSLOSS] = np.bincount(net.node_net[net.seg_from], base.seg_loss_w, minlength=net.n_net)
    bnet[:, J_LOAD] = np.bincount(net.load_net, base.load_p_drawn_w, minlength=net.n_net)
    uns = ~base.load_served
    bnet[:, J_UNSERVED] = np.bincount(net.load_net, np.where(uns, net.load_p_w, 0.0), minlength=net.n_net)
    bnet[:, J_NUNS] = np.bincount(net.load_net, (uns & (net.load_p_w > 0)).astype(float), minlength=net.n_net)

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
        return scen_extreme(job_ptr, job_net, jvals, bvals, np.argsort(-bvals, kind="stable"), net.n_net)

    v_min = -extreme(-r["jscal"][:, J_VMIN], -nv_base)
    seg_max = extreme(r["jscal"][:, J_SEGMAX], seg_base)
    lf_max = extreme(r["jscal"][:, J_LFMAX], lf_base)

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
    feed_max = scen_extreme(sf_ptr, sf_feed, sf_load, base.feed_loading,
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
    envelopes(job_scen, job_net, r["jv"], r["jv_off"], r["jpsu_i"], r["jp_off"], net.node_ptr,
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
        facility_input_w=per_scen(J_PIN, base.facility_input_w),
        load_total_w=per_scen(J_LOAD, base.load_total_w),
        psu_loss_total_w=per_scen(J_PSULOSS, base.psu_loss_total_w),
        busbar_loss_total_w=per_scen(J_BUSLOSS, base.busbar_loss_total_w),
        unserved_w=per_scen(J_UNSERVED, base.unserved_w),
        n_unserved=np.rint(per_scen(J_NUNS, float(base.n_unserved))).astype(np.int64),
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
