"""Fault batches on random networks: conservation and KCL in every scenario, numba vs reference to
1e-9, sparse job results against full per-scenario results, envelopes and per-scenario extremes."""

import numpy as np
import pytest

from rackforge.solvers.power import enumerate_scenarios, solve_power, solve_scenarios
from rackforge.solvers.power_ref import (
    CONN_DC,
    PowerNetwork,
    solve_power_ref,
    solve_scenarios_ref,
)
from rackforge.solvers.power_scenarios import KIND_PAIR, Scenarios

FIELDS = ["node_voltage_v", "psu_current_a", "psu_p_out_w", "psu_p_in_w", "psu_eta", "seg_current_a",
          "load_p_drawn_w", "feed_line_current_a", "feed_neutral_current_a", "feed_current_a", "feed_p_in_w"]


def random_batch(seed, n_net=5, mesh=True, n_feed=3, overload=False):
    """A random batch of tree and mesh networks sharing ``n_feed`` feeds (the last one DC)."""
    rng = np.random.default_rng(seed)
    node_ptr = [0]
    sf, st, sr, srat = [], [], [], []
    pn, pe, pr, pl, pfeed, pconn, pshelf = [], [], [], [], [], [], []
    ln, lp, lv = [], [], []
    bn, be, bp = [], [], []
    shelf = 0
    for k in range(n_net):
        n = int(rng.integers(2, 14))
        o = node_ptr[-1]
        for i in range(1, n):  # random spanning tree
            sf.append(o + int(rng.integers(0, i)))
            st.append(o + i)
        if mesh and k % 2 == 1 and n > 3:
            for _ in range(int(rng.integers(1, 4))):
                a, b = rng.choice(n, 2, replace=False)
                sf.append(o + int(a))
                st.append(o + int(b))
        while len(sr) < len(sf):
            sr.append(float(rng.uniform(2e-4, 3e-3)))
            srat.append(float(rng.uniform(200, 800)))
        n_psu = int(rng.integers(2, 7))
        cap = 0.0
        for j in range(n_psu):
            if j % 3 == 0:
                shelf += 1
            f = int(rng.integers(0, n_feed))
            pn.append(o + int(rng.integers(0, n)))
            pe.append(float(rng.uniform(50.6, 51.4)))
            pr.append(float(rng.uniform(0.004, 0.02)))
            pl.append(float(rng.uniform(60, 140)))
            cap += pl[-1] * 49.0
            pfeed.append(f)
            pconn.append(CONN_DC if f == n_feed - 1 else int(rng.integers(0, 6)))
            pshelf.append(shelf - 1)
        n_load = int(rng.integers(1, n + 1))
        frac = rng.uniform(0.5, 1.2 if overload else 0.8)
        w = rng.uniform(0.2, 1.0, n_load)
        for q in range(n_load):
            ln.append(o + int(rng.integers(0, n)))
            lp.append(float(frac * cap * w[q] / w.sum()))
            lv.append(float(rng.uniform(44.0, 47.0)))
        for _ in range(int(rng.integers(0, 3))):
            bn.append(o + int(rng.integers(0, n)))
            be.append(float(rng.uniform(1e5, 1e6)))
            bp.append(float(rng.uniform(3e3, 6e3)))
        node_ptr.append(o + n)
    order = np.argsort(ln, kind="stable")
    feeds_dc = np.arange(n_feed) == n_feed - 1
    return PowerNetwork(
        node_ptr=node_ptr, seg_from=sf, seg_to=st, seg_r_ohm=sr, seg_i_rated_a=srat,
        psu_node=pn, psu_v_set_v=pe, psu_r_droop_ohm=pr, psu_i_lim_a=pl,
        psu_p_rated_w=[5500.0] * len(pn), psu_curve=[j % 2 for j in range(len(pn))],
        eff_ptr=[0, 4, 6], eff_load_frac=[0.1, 0.2, 0.5, 1.0, 0.0, 1.0],
        eff_eta=[0.90, 0.95, 0.975, 0.965, 0.93, 0.97],
        psu_feed=pfeed, psu_conn=pconn, psu_shelf=pshelf,
        load_node=np.asarray(ln)[order], load_p_w=np.asarray(lp)[order], load_v_min_v=np.asarray(lv)[order],
        feed_voltage_v=np.where(feeds_dc, 800.0, 415.0), feed_is_dc=feeds_dc,
        feed_pf=np.full(n_feed, 0.98), feed_breaker_a=np.full(n_feed, 250.0), feed_derating=np.full(n_feed, 0.8),
        bbu_node=bn, bbu_energy_j=be, bbu_p_rated_w=bp,
    )


def assert_close(a, b, name):
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = max(1.0, np.max(np.abs(b), initial=0.0))
    assert np.max(np.abs(a - b), initial=0.0) <= 1e-9 * scale, name


def check_balance(net, res):
    rhs = res.load_total_w + res.busbar_loss_total_w + res.psu_loss_total_w
    assert abs(res.facility_input_w - rhs) <= 1e-9 * max(res.facility_input_w, 1.0)
    i_scale = max(1.0, np.abs(res.psu_current_a).sum())
    assert np.max(np.abs(res.kcl_residual_a(net)), initial=0.0) <= 1e-9 * i_scale


@pytest.mark.parametrize("seed,overload", [(1, False), (2, True), (3, True)])
def test_random_batch_all_scenarios(seed, overload):
    net = random_batch(seed, n_net=5, mesh=True, overload=overload)
    assert set(np.unique(_kinds(net))) <= {0, 1}
    sc = enumerate_scenarios(net.psu_shelf, net.psu_feed, net.n_bbu, depth=2, n_feed=net.n_feed)
    base = solve_power(net)
    base_ref = solve_power_ref(net)
    for f in FIELDS:
        assert_close(base.__getattribute__(f), base_ref.__getattribute__(f), f)
    res = solve_scenarios(net, sc, base)
    ref = solve_scenarios_ref(net, sc, base_ref)
    assert res.converged.all()
    hit_unserved = False
    for s in range(sc.n_scen):
        a, r = res.scenario(s), ref[s]
        assert a.converged and r.converged
        check_balance(net, a)
        check_balance(net, r)
        for f in FIELDS:
            assert_close(getattr(a, f), getattr(r, f), f"{f} in {sc.labels[s]}")
        assert np.array_equal(a.load_served, r.load_served), sc.labels[s]
        # per-scenario sums from the jobs equal the full recomputation
        for f in ("facility_input_w", "load_total_w", "psu_loss_total_w", "busbar_loss_total_w", "unserved_w"):
            assert getattr(res, f)[s] == pytest.approx(getattr(a, f), rel=1e-9, abs=1e-6), f
        assert res.n_unserved[s] == a.n_unserved
        assert res.v_min_v[s] == pytest.approx(a.node_voltage_v.min(), rel=1e-12)
        assert res.seg_loading_max[s] == pytest.approx(a.seg_loading.max(), rel=1e-9)
        assert res.psu_load_frac_max[s] == pytest.approx(a.psu_load_frac.max(), rel=1e-9)
        assert res.feed_loading_max[s] == pytest.approx(a.feed_loading.max(), rel=1e-9)
        # sparse feed entries match the full result; untouched feeds keep the base currents
        fs = res.sf_feed[res.sf_ptr[s]:res.sf_ptr[s + 1]]
        assert_close(res.sf_line_current_a[res.sf_ptr[s]:res.sf_ptr[s + 1]], a.feed_line_current_a[fs], "sf")
        assert_close(res.sf_neutral_current_a[res.sf_ptr[s]:res.sf_ptr[s + 1]], a.feed_neutral_current_a[fs], "sfn")
        assert_close(res.sf_imbalance[res.sf_ptr[s]:res.sf_ptr[s + 1]], a.feed_imbalance[fs], "imb")
        other = np.setdiff1d(np.arange(net.n_feed), fs)
        assert_close(a.feed_line_current_a[other], base.feed_line_current_a[other], "untouched feeds")
        hit_unserved |= a.unserved_w > 0
    if overload:
        assert hit_unserved  # the overloaded batches exercise the collapse path
    # envelopes are the extremes over all scenarios, with the scenario that attains them
    v = res.dense("node_voltage_v")
    assert_close(res.env_node_v_min_v, v.min(axis=0), "env v")
    assert np.all(v[res.env_node_v_min_scen, np.arange(net.n_node)] == res.env_node_v_min_v)
    assert_close(res.env_seg_loading_max, res.dense("seg_loading").max(axis=0), "env seg")
    assert_close(res.env_psu_load_frac_max, res.dense("psu_load_frac").max(axis=0), "env psu")
    assert_close(res.env_feed_loading_max, res.dense("feed_loading").max(axis=0), "env feed")
    served = res.dense("load_served")
    first = np.where((~served).any(axis=0), np.argmax(~served, axis=0), -1)
    first[net.load_p_w == 0] = -1
    assert np.array_equal(res.env_load_unserved_scen, first)


def _kinds(net):
    from rackforge.solvers.power import _struct

    return _struct(net).kind


def test_mesh_and_tree_orderings_are_both_exercised():
    net = random_batch(4, n_net=8, mesh=True)
    kinds = _kinds(net)
    assert 0 in kinds and 1 in kinds
    a, r = solve_power(net), solve_power_ref(net)
    for f in FIELDS:
        assert_close(getattr(a, f), getattr(r, f), f)


def test_long_path_and_star_networks():
    # a 400-tap path (tridiagonal) and a 60-leaf star (tree with a wide band): both O(n) tree elimination
    for star in (False, True):
        n = 61 if star else 400
        sf = [0] * (n - 1) if star else list(range(n - 1))
        stt = list(range(1, n))
        psun = list(range(0, n, 10))
        net = PowerNetwork(
            node_ptr=[0, n], seg_from=sf, seg_to=stt, seg_r_ohm=np.full(n - 1, 5e-5), seg_i_rated_a=np.full(n - 1, 3000.0),
            psu_node=psun, psu_v_set_v=np.full(len(psun), 51.0), psu_r_droop_ohm=np.full(len(psun), 0.009),
            psu_i_lim_a=np.full(len(psun), 120.0), psu_p_rated_w=np.full(len(psun), 5500.0),
            psu_curve=np.zeros(len(psun), int), psu_feed=np.arange(len(psun)) % 2, psu_conn=np.arange(len(psun)) % 6,
            psu_shelf=np.arange(len(psun)) // 3, eff_ptr=[0, 2], eff_load_frac=[0.1, 1.0], eff_eta=[0.92, 0.97],
            load_node=np.arange(n), load_p_w=np.full(n, 0.6 * len(psun) * 5000.0 / n), load_v_min_v=np.full(n, 46.0),
            feed_voltage_v=[415.0, 415.0], feed_is_dc=[False, False], feed_pf=[0.99, 0.99],
            feed_breaker_a=[400.0, 400.0], feed_derating=[0.8, 0.8],
        )
        a, r = solve_power(net), solve_power_ref(net)
        assert a.converged and a.iterations <= 8
        for f in FIELDS:
            assert_close(getattr(a, f), getattr(r, f), f)
        check_balance(net, a)
        sc = enumerate_scenarios(net.psu_shelf, net.psu_feed, 0, n_feed=2)
        res = solve_scenarios(net, sc, a)
        assert res.converged.all()
        ref = solve_scenarios_ref(net, sc, r, which=range(0, sc.n_scen, 7))
        for s, rr in zip(range(0, sc.n_scen, 7), ref):
            for f in FIELDS:
                assert_close(getattr(res.scenario(s), f), getattr(rr, f), f)


def test_shared_feed_couples_networks_only_through_ac():
    net = random_batch(5, n_net=6, mesh=False, n_feed=2)
    base = solve_power(net)
    # losing feed 0 re-solves every network with a PSU on it; feed 1 currents are exact phasor sums
    sc = Scenarios.from_masks(np.zeros((1, net.n_psu), bool), feed_failed=[[True, False]])
    res = solve_scenarios(net, sc, base)
    touched = np.unique(net.psu_net[net.psu_feed == 0])
    assert np.array_equal(np.sort(res.job_net), touched)
    a = res.scenario(0)
    r = solve_power_ref(net, feed_failed=[True, False])  # cold start, whole batch
    for f in FIELDS:
        assert_close(getattr(a, f), getattr(r, f), f)
    assert a.feed_current_a[0] == 0.0


def test_dense_masks_roundtrip():
    net = random_batch(6, n_net=3)
    sc = enumerate_scenarios(net.psu_shelf, net.psu_feed, net.n_bbu, depth=2, n_feed=net.n_feed)
    sc2 = Scenarios.from_masks(sc.psu_failed, sc.feed_failed, sc.bbu_failed, labels=sc.labels, kind=sc.kind)
    a = solve_scenarios(net, sc)
    b = solve_scenarios(net, sc2)
    assert np.array_equal(a.unserved_w, b.unserved_w)
    assert np.array_equal(a.facility_input_w, b.facility_input_w)
    assert np.any(sc.kind == KIND_PAIR)


def test_parallel_kernel_matches_serial(monkeypatch):
    from rackforge.solvers import power

    net = random_batch(7, n_net=6, mesh=True, overload=True)
    sc = enumerate_scenarios(net.psu_shelf, net.psu_feed, net.n_bbu, depth=1, n_feed=net.n_feed)
    ser = solve_scenarios(net, sc)
    monkeypatch.setattr(power, "_PARALLEL_MIN_NODES", 0)
    par = solve_scenarios(net, sc)
    for f in ("job_v", "job_psu_current_a", "job_psu_p_in_w", "unserved_w", "facility_input_w", "sf_line_current_a"):
        assert np.array_equal(getattr(ser, f), getattr(par, f)), f


@pytest.mark.parametrize("seed,overload", [(1, False), (2, True), (3, True)])
def test_reference_dense_and_sparse_linear_algebra_agree(seed, overload, monkeypatch):
    """The reference solver's two linear algebras (dense numpy Cholesky + solve for small networks,
    scipy SuperLU for large) run the same Newton iteration: same shifts, same iteration counts, and
    solutions equal to rounding (1e-11 relative) in the base case and every N-2 scenario."""
    from rackforge.solvers import power_ref

    net = random_batch(seed, n_net=5, mesh=True, overload=overload)
    sc = enumerate_scenarios(net.psu_shelf, net.psu_feed, net.n_bbu, depth=2, n_feed=net.n_feed)
    rejected = {"dense": 0, "sparse": 0}
    fd, fs = power_ref._factor_dense, power_ref._factor_sparse

    def count_dense(A, tol):  # a stack of matrices: one verdict each
        ok = fd(A, tol)
        rejected["dense"] += int(np.count_nonzero(~ok))
        return ok

    def count_sparse(A, tol):
        lu = fs(A, tol)
        rejected["sparse"] += lu is None
        return lu

    monkeypatch.setattr(power_ref, "_factor_dense", count_dense)
    monkeypatch.setattr(power_ref, "_factor_sparse", count_sparse)
    d, s = solve_power_ref(net, linalg="dense"), solve_power_ref(net, linalg="sparse")
    pairs = [(d, s)] + list(zip(solve_scenarios_ref(net, sc, d, linalg="dense"),
                                solve_scenarios_ref(net, sc, s, linalg="sparse")))
    for a, b in pairs:
        assert np.array_equal(a.net_iterations, b.net_iterations)
        assert np.array_equal(a.net_converged, b.net_converged)
        assert np.array_equal(a.load_served, b.load_served)
        for f in FIELDS:
            x, y = np.asarray(getattr(a, f), float), np.asarray(getattr(b, f), float)
            assert np.max(np.abs(x - y), initial=0.0) <= 1e-11 * max(1.0, np.max(np.abs(y), initial=0.0)), f
    # both tests of positive definiteness reject the same shifts (overloaded batches need some)
    assert rejected["dense"] == rejected["sparse"]
    if overload:
        assert rejected["dense"] > 0


def test_reference_linear_algebra_choice_by_size():
    from rackforge.solvers import power_ref

    small = random_batch(1, n_net=2)
    solve_power_ref(small)
    assert {k[2] for k in small._cache if k[0] == "ref"} == {True}  # dense
    n = power_ref.DENSE_MAX_NODES + 1
    big = PowerNetwork(
        node_ptr=[0, n], seg_from=np.arange(n - 1), seg_to=np.arange(1, n), seg_r_ohm=np.full(n - 1, 5e-5),
        seg_i_rated_a=np.full(n - 1, 3000.0), psu_node=[0, n - 1], psu_v_set_v=[51.0, 51.0],
        psu_r_droop_ohm=[0.009, 0.009], psu_i_lim_a=[120.0, 120.0], psu_p_rated_w=[5500.0, 5500.0],
        psu_curve=[0, 0], psu_feed=[0, 0], psu_conn=[CONN_DC, CONN_DC], psu_shelf=[0, 0], eff_ptr=[0, 1],
        eff_load_frac=[1.0], eff_eta=[0.97], load_node=[n // 2], load_p_w=[5000.0], load_v_min_v=[46.0],
        feed_voltage_v=[800.0], feed_is_dc=[True], feed_pf=[1.0], feed_breaker_a=[100.0], feed_derating=[0.8],
    )
    r = solve_power_ref(big)
    assert {k[2] for k in big._cache if k[0] == "ref"} == {False}  # sparse
    # KCL: the two PSUs together carry the load current P / v
    assert r.converged and r.psu_current_a.sum() == pytest.approx(5000.0 / r.node_voltage_v[n // 2], rel=1e-9)
    with pytest.raises(ValueError, match="linalg"):
        solve_power_ref(big, linalg="lu")


@pytest.mark.parametrize("seed,overload", [(2, True), (3, True), (4, False)])
def test_reference_stacked_jobs_follow_their_lone_iteration(seed, overload):
    """solve_scenarios_ref stacks every job of a network (one per scenario that re-solves it) into one
    dense iteration; each job keeps its own shift, step and stopping test, so it ends where a lone solve
    from the same start ends, after as many iterations."""
    from rackforge.solvers import power_ref

    net = random_batch(seed, n_net=5, mesh=True, overload=overload)
    sc = enumerate_scenarios(net.psu_shelf, net.psu_feed, net.n_bbu, depth=2, n_feed=net.n_feed)
    base = solve_power_ref(net)
    stacked = solve_scenarios_ref(net, sc, base)
    opts = power_ref.SolverOptions()
    jobs = 0
    for s in range(sc.n_scen):
        failed = sc.psu_failed[s]
        out = net.psu_out(failed, sc.feed_failed[s])
        for k in np.unique(net.psu_net[out]).tolist():
            n0, n1 = net.node_ptr[k], net.node_ptr[k + 1]
            ps = slice(net.psu_ptr[k], net.psu_ptr[k + 1])
            v, it, cv = power_ref._solve_net_ref(net, k, base.node_voltage_v[n0:n1], ~out[ps], opts)
            got = stacked[s]
            assert got.net_iterations[k] == it and got.net_converged[k] == cv
            assert np.max(np.abs(got.node_voltage_v[n0:n1] - v)) <= 1e-12 * np.max(np.abs(v))
            jobs += 1
    assert jobs > sc.n_scen  # scenarios that re-solve several networks


@pytest.mark.parametrize("seed,overload", [(1, False), (2, True)])
def test_stacked_assembly_equals_one_scenario_at_a_time(seed, overload):
    # assemble_results computes every derived quantity (PSU efficiency and input, AC line and neutral
    # phasor sums, feed loading and unbalance, totals) on stacked arrays; each row must be what
    # assemble_result gives for that scenario alone
    from dataclasses import fields

    from rackforge.solvers import power_ref

    net = random_batch(seed, n_net=5, mesh=True, overload=overload)
    sc = enumerate_scenarios(net.psu_shelf, net.psu_feed, net.n_bbu, depth=2, n_feed=net.n_feed)
    res = solve_scenarios_ref(net, sc)
    V = np.stack([r.node_voltage_v for r in res])
    cur = np.stack([r.psu_current_a for r in res])
    ON = np.stack([r.psu_on for r in res])
    CONV = np.stack([r.net_converged for r in res])
    IT = np.stack([r.net_iterations for r in res])
    stacked = power_ref.assemble_results(net, V, cur, ON, CONV, IT)
    assert len(stacked) == sc.n_scen and (~ON).any()
    if overload:
        assert any(r.unserved_w > 0 for r in res)  # the collapse branch of the loads is assembled too
    for s in range(sc.n_scen):
        one = power_ref.assemble_result(net, V[s], cur[s], ON[s], CONV[s], IT[s])
        for f in fields(one):
            a, b = getattr(stacked[s], f.name), getattr(one, f.name)
            if isinstance(b, np.ndarray) and b.dtype.kind == "f":
                assert np.allclose(a, b, rtol=1e-14, atol=0), f.name
            else:
                assert np.array_equal(a, b) if isinstance(b, np.ndarray) else a == pytest.approx(b, rel=1e-14), f.name
