"""Liquid-loop hydraulics: friction factor, element laws, hand calculation, reference agreement."""
import math

import numpy as np
import pytest

fluids_friction = pytest.importorskip("fluids.friction")
from scipy.optimize import brentq  # noqa: E402

from rackforge.solvers import hydraulics as h  # noqa: E402
from rackforge.solvers import hydraulics_ref as ref  # noqa: E402

RHO, MU = 997.05, 8.9e-4  # water at 25 degC


# ---------------------------------------------------------------- friction factor


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # inside fluids.Colebrook
@pytest.mark.parametrize("eps_d", [0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2])
def test_friction_turbulent_matches_colebrook(eps_d):
    # Churchill (1977) is an explicit fit of Colebrook-White in turbulent flow; its published
    # deviation is a few percent. fluids' Clamond solves Colebrook to machine precision.
    re = np.logspace(4, 8, 41)
    f = h.friction_factor(re, eps_d)
    f_cb = np.array([fluids_friction.Clamond(r, eps_d) for r in re])
    assert np.allclose(f, f_cb, rtol=0.025, atol=0)
    f_cb2 = np.array([fluids_friction.Colebrook(r, eps_d) for r in re])
    assert np.allclose(f_cb, f_cb2, rtol=1e-9)


def test_friction_matches_fluids_churchill_everywhere():
    # same equation, independent implementation (fluids), also through the transition
    re = np.logspace(0, 8, 81)
    for eps_d in (0.0, 1e-4, 1e-2):
        f_ref = np.array([fluids_friction.Churchill_1977(r, eps_d) for r in re])
        assert np.allclose(h.friction_factor(re, eps_d), f_ref, rtol=1e-12)


def test_friction_laminar_is_64_over_re():
    re = np.linspace(1.0, 1500.0, 60)
    assert np.allclose(h.friction_factor(re, 1e-4), 64.0 / re, rtol=1e-6)


def test_friction_continuous_across_transition():
    # a piecewise laminar/turbulent law jumps by ~30 % near Re 2300; Churchill must not
    re = np.linspace(1500.0, 6000.0, 45001)  # steps of 0.1 in Re
    f = h.friction_factor(re, 1e-5)
    jumps = np.abs(np.diff(f)) / f[:-1]
    assert jumps.max() < 1e-4
    # and it does pass from the laminar to the turbulent branch
    assert f[0] == pytest.approx(64 / 1500, rel=1e-6)
    assert f[-1] == pytest.approx(fluids_friction.Clamond(6000.0, 1e-5), rel=0.05)


def test_pipe_derivative_matches_central_difference():
    # the analytic slope used by Newton, checked across laminar, transition and turbulent flow
    d, length, eps, k = 0.0127, 1.3, 1.5e-6, 1.7
    area = math.pi * d * d / 4
    for re in (50.0, 900.0, 2100.0, 3000.0, 4500.0, 2e4, 3e5):
        q = re * MU / (RHO * d) * area
        dp, ddp = h.pipe_pressure_drop(q, d, length, eps, k, RHO, MU, derivative=True)
        hq = q * 1e-6
        fd = (h.pipe_pressure_drop(q + hq, d, length, eps, k, RHO, MU)
              - h.pipe_pressure_drop(q - hq, d, length, eps, k, RHO, MU)) / (2 * hq)
        assert ddp == pytest.approx(fd, rel=1e-6)
        # and the value is Darcy-Weisbach with fluids' friction factor
        v = q / area
        f = fluids_friction.Churchill_1977(re, eps / d)
        assert dp == pytest.approx((f * length / d + k) * RHO * v * v / 2, rel=1e-12)
    # odd symmetry: reverse flow gives the opposite drop
    assert h.pipe_pressure_drop(-1e-4, d, length, eps, k, RHO, MU) == pytest.approx(
        -h.pipe_pressure_drop(1e-4, d, length, eps, k, RHO, MU))


# ---------------------------------------------------------------- component laws


def test_qd_pair_cv_conversion_by_hand():
    # UQD04: Cv 0.8, 1.7 gpm of water at SG 1: dp = (1.7/0.8)^2 = 4.515625 psi per pair
    b = h.qd_pair_coefficient(0.8, rho=999.0)
    q = 1.7 * 3.785411784e-3 / 60
    assert b * q * q == pytest.approx(4.515625 * 6894.757293168361, rel=1e-12)
    # public figure: about 4.5 psi = 31 kPa per pair at 6.4 L/min
    assert h.qd_pair_coefficient(0.8, 999.0) * (6.4e-3 / 60) ** 2 == pytest.approx(31e3, rel=0.02)
    # two pairs and a denser coolant scale linearly
    assert h.qd_pair_coefficient(0.8, 1030.0, n_pairs=2) == pytest.approx(2 * b * 1030 / 999)


def test_k_factor_coefficient_by_hand():
    d, k = 0.02, 3.0
    q = 2e-4
    v = q / (math.pi * d * d / 4)
    assert h.k_factor_coefficient(k, d, RHO) * q * q == pytest.approx(k * RHO * v * v / 2)


def test_component_curve_fit_reproduces_points():
    q = np.array([2, 4, 6, 8, 10]) / 60000.0
    a, b = 3e7, 2.5e12
    dp = a * q + b * q * q
    fa, fb = h.fit_component_curve(q, dp)
    assert fa == pytest.approx(a, rel=1e-8) and fb == pytest.approx(b, rel=1e-8)
    # pure K-factor points give a = 0 (non-negative fit)
    fa, fb = h.fit_component_curve(q, 4e12 * q * q)
    assert fa == pytest.approx(0.0, abs=1e-3) and fb == pytest.approx(4e12, rel=1e-9)
    assert h.parallel_identical(a, b, 2) == (a / 2, b / 4)


def test_pump_curve_fit_reproduces_catalog_points():
    # catalog: shut-off 35 m head, 20 m at 3 L/s -> h0 - k q^2 passes through both exactly
    g_rho = 9.80665 * 997.0
    q = np.array([0.0, 1e-3, 2e-3, 3e-3])
    k = (35 - 20) / 3e-3**2
    head_m = 35 - k * q * q
    c = h.fit_pump_curve(q, head_m * g_rho)
    assert np.allclose(h.pump_pressure_rise(c, q, 1), head_m * g_rho, rtol=1e-10)
    assert c[1] == 0.0
    # three arbitrary points: the full quadratic is exact
    q3 = np.array([0.5e-3, 2e-3, 4e-3])
    dp3 = np.array([2.9e5, 2.6e5, 1.5e5])
    c3 = h.fit_pump_curve(q3, dp3, form="quadratic")
    assert np.allclose(h.pump_pressure_rise(c3, q3, 1), dp3, rtol=1e-10)
    # two pumps in parallel deliver twice the flow at the same rise
    assert h.pump_pressure_rise(c3, 2 * q3, 2) == pytest.approx(h.pump_pressure_rise(c3, q3, 1))


# ---------------------------------------------------------------- networks


def _random_network(n, reverse, seed=1):
    """A non-uniform loop: varying hoses (1-3 per branch), curves, headers."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 4, n)
    ptr = np.concatenate([[0], np.cumsum(counts)])
    npipe = ptr[-1]
    qd = 1.5e-4 * n
    return h.build_network(
        rho=RHO, mu=MU, pump_c=(2.0e5, -2.0e6, -8.0e4 / (qd / 2) ** 2), n_pumps=3, n_running=2,
        cdu_a=1e5, cdu_b=4e4 / qd**2,
        sup_d=rng.uniform(0.03, 0.06, n), sup_len=rng.uniform(0.04, 0.1, n), sup_eps=1.5e-6,
        sup_k=rng.uniform(0, 0.5, n), ret_d=rng.uniform(0.03, 0.06, n), ret_len=0.0445,
        ret_eps=1e-5, ret_k=0.3, br_ptr=ptr, bp_d=rng.uniform(0.008, 0.016, npipe),
        bp_len=rng.uniform(0.3, 1.5, npipe), bp_eps=1.5e-6, bp_k=rng.uniform(0, 3, npipe),
        br_a=rng.uniform(0, 5e7, n), br_b=rng.uniform(5e11, 4e12, n), reverse_return=reverse,
        p_suction=1.2e5)


def _node_imbalance(net, sol):
    """Max |inflow - outflow| over every node, from the link flows alone."""
    n = net.n_branches
    q = sol.link_flow
    qc, qs, qb, qr = q[0], q[1 : n + 1], q[n + 1 : 2 * n + 1], q[2 * n + 1 :]
    res = [qc - qs[0]]  # CDU outlet
    for i in range(n):  # supply taps
        out_next = qs[i + 1] if i + 1 < n else 0.0
        res.append(qs[i] - qb[i] - out_next)
    for i in range(n):  # return taps
        if net.reverse_return:
            inflow = qb[i] + (qr[i - 1] if i > 0 else 0.0)
        else:
            inflow = qb[i] + (qr[i + 1] if i + 1 < n else 0.0)
        res.append(inflow - qr[i])
    res.append((qr[-1] if net.reverse_return else qr[0]) - qc)  # CDU inlet
    return np.max(np.abs(res))


def test_single_branch_by_hand():
    # One branch: pump rise = CDU drop + supply pipe + hose + lumped curve + return pipe.
    # Hand calculation with fluids' Churchill friction factor and a bracketing root finder.
    c0, c2, n_p = 1.8e5, -2.0e10, 2
    seg = dict(d=0.0254, L=0.5, eps=1.5e-6, K=0.8)
    hose = dict(d=0.0127, L=1.2, eps=1.5e-6, K=2.5)
    a, b = 2.0e7, 1.5e12
    cdu_b = 3.0e9

    def pipe(q, d, L, eps, K):
        v = q / (math.pi * d * d / 4)
        re = RHO * v * d / MU
        f = fluids_friction.Churchill_1977(re, eps / d)
        return (f * L / d + K) * RHO * v * v / 2

    def g(q):
        rise = c0 + c2 * (q / n_p) ** 2
        loss = cdu_b * q * q + 2 * pipe(q, **seg) + pipe(q, **hose) + a * q + b * q * q
        return rise - loss

    q_hand = brentq(g, 1e-7, 5e-3, xtol=1e-16, rtol=1e-14)
    net = h.build_network(rho=RHO, mu=MU, pump_c=(c0, 0, c2), n_pumps=n_p, cdu_b=cdu_b,
                          sup_d=seg["d"], sup_len=seg["L"], sup_eps=seg["eps"], sup_k=seg["K"],
                          ret_d=seg["d"], ret_len=seg["L"], ret_eps=seg["eps"], ret_k=seg["K"],
                          br_ptr=[0, 1], bp_d=hose["d"], bp_len=hose["L"], bp_eps=hose["eps"],
                          bp_k=hose["K"], br_a=a, br_b=b, p_suction=1e5)
    sol = h.solve(net, tol=1e-12)
    assert sol.converged
    assert sol.branch_flow[0] == pytest.approx(q_hand, rel=1e-9)
    assert sol.pump_flow == pytest.approx(q_hand, rel=1e-9)
    assert sol.pump_rise == pytest.approx(c0 + c2 * (q_hand / n_p) ** 2, rel=1e-9)
    # pressures along the path
    p_d = 1e5 + sol.pump_rise - cdu_b * q_hand**2
    assert sol.cdu_outlet_pressure == pytest.approx(p_d, rel=1e-9)
    assert sol.supply_pressure[0] == pytest.approx(p_d - pipe(q_hand, **seg), rel=1e-9)
    assert sol.return_pressure[0] == pytest.approx(1e5 + pipe(q_hand, **seg), rel=1e-9)
    assert sol.branch_dp[0] == pytest.approx(pipe(q_hand, **hose) + a * q_hand + b * q_hand**2, rel=1e-8)


@pytest.mark.parametrize("reverse", [False, True])
def test_identical_branches_negligible_headers_share_equally(reverse):
    n = 24
    net = h.uniform_manifold(n, header_d=0.5, header_k=0.0, reverse_return=reverse)
    sol = h.solve(net)
    assert sol.converged
    q = sol.branch_flow
    assert np.allclose(q, sol.pump_flow / n, rtol=1e-6)


@pytest.mark.parametrize("reverse", [False, True])
def test_mass_conserved_at_every_node(reverse):
    net = _random_network(40, reverse)
    sol = h.solve(net)
    assert sol.converged
    assert _node_imbalance(net, sol) <= 1e-12 * sol.pump_flow
    op = np.ones(40, bool)
    op[[3, 17]] = False
    sol2 = h.solve(net, branch_open=op, warm=sol)
    assert sol2.branch_flow[3] == 0.0 and sol2.branch_flow[17] == 0.0
    assert _node_imbalance(net, sol2) <= 1e-12 * sol2.pump_flow


def _rel(a, b):
    return np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))


def _assert_flows_agree(a, b, op):
    """Open branches to 1e-6 relative; every link (headers may carry zero) to 1e-7 of the CDU flow."""
    m = np.ones(a.branch_flow.shape, bool) if op is None else np.asarray(op)
    assert np.all(a.branch_flow[~m] == 0.0) and np.all(b.branch_flow[~m] == 0.0)
    assert _rel(a.branch_flow[m], b.branch_flow[m]) < 1e-6
    assert np.max(np.abs(a.link_flow - b.link_flow)) <= 1e-7 * abs(b.pump_flow)


@pytest.mark.parametrize("reverse", [False, True])
def test_numba_matches_reference(reverse):
    net = _random_network(30, reverse, seed=7)
    cases = [(2, None), (1, None), (3, None), (2, np.arange(30) != 11), (1, np.arange(30) % 3 != 0)]
    for n_act, op in cases:
        a = h.solve(net, n_act, op)
        b = ref.solve_ref(net, n_act, op)
        assert a.converged and b.converged
        _assert_flows_agree(a, b, op)
        assert _rel(a.supply_pressure, b.supply_pressure) < 1e-6
        assert _rel(a.return_pressure, b.return_pressure) < 1e-6
        assert a.pump_rise == pytest.approx(b.pump_rise, rel=1e-6)


def test_batch_matches_single_and_reference():
    net = _random_network(25, False, seed=3)
    base = h.solve(net)
    n_act = np.array([2, 1, 2, 2, 0, 3])
    op = np.ones((6, 25), bool)
    op[2, 0] = False
    op[3, 24] = False
    op[5, 5:9] = False
    batch = h.solve_batch(net, n_act, op, warm=base)
    assert batch.converged.all()
    refs = ref.solve_batch_ref(net, n_act, op, warm=base)
    for s in range(6):
        cold = h.solve(net, int(n_act[s]), op[s])
        assert np.allclose(batch.link_flow[s], cold.link_flow, rtol=1e-7, atol=1e-14)
        if n_act[s] > 0:
            one = h.HydraulicSolution(*(x[s] if isinstance(x, np.ndarray) and x.ndim else x for x in batch))
            _assert_flows_agree(one, refs[s], op[s])
    # no pumps: no flow; a lost pump lowers the total flow
    assert np.all(batch.link_flow[4] == 0.0)
    assert batch.pump_flow[1] < batch.pump_flow[0]


def test_all_branches_blocked_gives_no_flow():
    net = h.uniform_manifold(3)
    sol = h.solve(net, branch_open=[False, False, False])
    assert sol.converged and np.all(sol.link_flow == 0.0)
    assert np.allclose(sol.supply_pressure, net.p_suction + net.pump_c[0])


def test_blocking_a_branch_raises_the_others():
    net = h.uniform_manifold(18, reverse_return=True)
    base = h.solve(net)
    op = np.ones(18, bool)
    op[5] = False
    blocked = h.solve(net, branch_open=op, warm=base)
    assert np.all(blocked.branch_flow[op] > base.branch_flow[op])
    assert blocked.pump_flow < base.pump_flow


def test_build_network_validates_shapes():
    with pytest.raises(ValueError, match="sup_d"):
        h.build_network(rho=RHO, mu=MU, pump_c=(1e5, 0, -1e9), n_pumps=1, sup_d=[0.05, 0.05],
                        sup_len=0.1, sup_eps=0, sup_k=0, ret_d=0.05, ret_len=0.1, ret_eps=0,
                        ret_k=0, br_ptr=[0, 1, 2, 3], bp_d=0.01, bp_len=1, bp_eps=0, bp_k=0,
                        br_a=[0, 0, 0], br_b=[1e12, 1e12, 1e12])


# ---------------------------------------------------------------- reference: dense vs sparse linear algebra


@pytest.mark.parametrize("reverse", [False, True])
def test_reference_dense_schur_and_sparse_full_system_agree(reverse):
    # the same Newton iteration with two linear algebras: block elimination onto the pressures (dense
    # LAPACK) and the full flow-pressure system (SuperLU); solutions agree to rounding
    net = _random_network(30, reverse, seed=11)
    cases = [(2, None), (1, None), (3, np.arange(30) != 4), (2, np.arange(30) % 4 != 1)]
    for n_act, op in cases:
        d = ref.solve_ref(net, n_act, op, linalg="dense")
        s = ref.solve_ref(net, n_act, op, linalg="sparse")
        assert d.converged and s.converged
        assert abs(d.iterations - s.iterations) <= 1
        assert np.max(np.abs(d.link_flow - s.link_flow)) <= 1e-10 * s.pump_flow
        for f in ("supply_pressure", "return_pressure"):
            assert _rel(getattr(d, f), getattr(s, f)) < 1e-10, f
    with pytest.raises(ValueError, match="linalg"):
        ref.solve_ref(net, linalg="lu")


def test_reference_stacked_batch_equals_one_at_a_time():
    # a stacked batch follows, scenario by scenario, the iteration of a lone solve from the same start
    net = _random_network(20, True, seed=5)
    base = ref.solve_ref(net)
    n_act = np.array([2, 1, 2, 2, 0, 3, 2])
    op = np.ones((7, 20), bool)
    op[2, 0] = False
    op[3, 19] = False
    op[5, 5:9] = False
    op[6] = False
    batch = ref.solve_batch_ref(net, n_act, op, warm=base)
    for s in range(7):
        one = ref.solve_ref(net, int(n_act[s]), op[s], q0=base.link_flow)
        assert batch[s].iterations == one.iterations and batch[s].converged == one.converged
        assert np.allclose(batch[s].link_flow, one.link_flow, rtol=1e-12, atol=0)
        sparse = ref.solve_ref(net, int(n_act[s]), op[s], q0=base.link_flow, linalg="sparse")
        assert np.max(np.abs(batch[s].link_flow - sparse.link_flow)) <= 1e-10 * max(sparse.pump_flow, 1e-300)
    assert np.all(batch[4].link_flow == 0.0) and np.all(batch[6].link_flow == 0.0)  # no pump; all blocked
    assert np.allclose(batch[6].supply_pressure, net.p_suction + net.pump_c[0])


def test_reference_falls_back_to_sparse_where_a_link_has_rising_head(monkeypatch):
    # a pump curve that rises with flow below its peak (q* = -c1 / 2 c2 = 1e-4 m^3/s) and a start at a
    # fifth of the solution's flows, left of the peak: the CDU link has f' < 0 there, the block
    # elimination does not apply, and the solve goes to the full sparse system from the same start
    net = _random_network(10, False, seed=2)._replace(pump_c=np.array([1.0e5, 4.0e8, -2.0e12]), cdu_a=0.0)
    sol = ref.solve_ref(net, 1, linalg="sparse")
    assert sol.converged and sol.pump_flow > 1e-4
    start = 0.2 * sol.link_flow
    calls = []
    orig = ref._solve_sparse

    def spy(*a, **k):
        calls.append(a[1])
        return orig(*a, **k)

    monkeypatch.setattr(ref, "_solve_sparse", spy)
    d = ref.solve_ref(net, 1, q0=start, linalg="dense")
    assert calls == [1]
    s = orig(net, 1, np.ones(10, bool), start, 1e-12, 200)
    assert d.converged and np.array_equal(d.link_flow, s.link_flow)
    assert _node_imbalance(net, d) <= 1e-12 * abs(d.pump_flow)
