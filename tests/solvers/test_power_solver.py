"""Hand-calculated checks of the power solver (both the numba path and the numpy reference).

Every expected value is worked out in the test from the circuit equations (Ohm's law, Kirchhoff's
laws, the quadratic of a constant-power load behind a resistance, three-phase phasor sums)."""

import math

import numpy as np
import pytest

from rackforge.solvers.power import solve_power
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
    PowerNetwork,
    psu_line_phasors,
    solve_power_ref,
)

SOLVERS = pytest.mark.parametrize("solve", [solve_power, solve_power_ref], ids=["numba", "reference"])
FLAT_ETA = {"eff_ptr": [0, 1], "eff_load_frac": [0.5], "eff_eta": [0.95]}  # eta = 0.95 everywhere


def one_net(n_node, segs, psus, loads, feeds=None, bbus=(), eff=FLAT_ETA):
    """One network. segs: [(a, b, r)], psus: [(node, E, r, ilim, feed, conn, shelf)],
    loads: [(node, P, vmin)], feeds: [(V, is_dc, pf, breaker, derating)]."""
    feeds = feeds or [(415.0, False, 1.0, 100.0, 0.8)]
    segs = list(segs)
    return PowerNetwork(
        node_ptr=[0, n_node],
        seg_from=[s[0] for s in segs], seg_to=[s[1] for s in segs],
        seg_r_ohm=[s[2] for s in segs], seg_i_rated_a=[1000.0] * len(segs),
        psu_node=[p[0] for p in psus], psu_v_set_v=[p[1] for p in psus],
        psu_r_droop_ohm=[p[2] for p in psus], psu_i_lim_a=[p[3] for p in psus],
        psu_p_rated_w=[5500.0] * len(psus), psu_curve=[0] * len(psus),
        psu_feed=[p[4] for p in psus], psu_conn=[p[5] for p in psus], psu_shelf=[p[6] for p in psus],
        load_node=[q[0] for q in loads], load_p_w=[q[1] for q in loads], load_v_min_v=[q[2] for q in loads],
        feed_voltage_v=[f[0] for f in feeds], feed_is_dc=[f[1] for f in feeds], feed_pf=[f[2] for f in feeds],
        feed_breaker_a=[f[3] for f in feeds], feed_derating=[f[4] for f in feeds],
        bbu_node=[b[0] for b in bbus], bbu_energy_j=[b[1] for b in bbus], bbu_p_rated_w=[b[2] for b in bbus],
        **eff,
    )




def check_balance(net, res):
    """Conservation (input = loads + busbar I^2R + PSU losses) and KCL, 1e-9 relative."""
    lhs = res.facility_input_w
    rhs = res.load_total_w + res.busbar_loss_total_w + res.psu_loss_total_w
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-9)
    i_scale = max(1.0, np.abs(res.psu_current_a).sum())
    assert np.max(np.abs(res.kcl_residual_a(net)), initial=0.0) <= 1e-9 * i_scale


@SOLVERS
def test_single_psu_through_resistance(solve):
    # PSU (E = 51 V, droop 5 mohm) -> segment 2 mohm -> 5 kW constant-power load.
    E, rd, R, P = 51.0, 0.005, 0.002, 5000.0
    net = one_net(2, [(0, 1, R)], [(0, E, rd, 200.0, 0, CONN_AB, 0)], [(1, P, 40.0)])
    res = solve(net)
    # v^2 - E v + P (rd + R) = 0, high root
    v_load = (E + math.sqrt(E * E - 4.0 * P * (rd + R))) / 2.0
    i = P / v_load
    assert res.converged
    assert res.node_voltage_v[1] == pytest.approx(v_load, rel=1e-12)
    assert res.node_voltage_v[0] == pytest.approx(E - i * rd, rel=1e-12)
    assert res.psu_current_a[0] == pytest.approx(i, rel=1e-10)
    assert res.seg_current_a[0] == pytest.approx(i, rel=1e-10)
    assert res.busbar_loss_total_w == pytest.approx(i * i * R, rel=1e-9)
    assert res.psu_state[0] == PSU_REGULATING
    assert res.load_served.all() and res.unserved_w == 0.0
    # efficiency 0.95 flat: P_in = P_out / 0.95, P_out = P + I^2 R
    assert res.psu_p_in_w[0] == pytest.approx((P + i * i * R) / 0.95, rel=1e-9)
    check_balance(net, res)


@SOLVERS
def test_two_psus_share_by_droop(solve):
    # Two PSUs on one node: Thevenin equivalent E_eq = (E1/r1 + E2/r2) / (1/r1 + 1/r2), r_eq = 1/(1/r1+1/r2)
    E1, r1, E2, r2, P = 51.0, 0.01, 50.9, 0.005, 8000.0
    net = one_net(1, [], [(0, E1, r1, 500.0, 0, CONN_AB, 0), (0, E2, r2, 500.0, 0, CONN_BC, 0)], [(0, P, 40.0)])
    res = solve(net)
    g = 1 / r1 + 1 / r2
    e_eq, r_eq = (E1 / r1 + E2 / r2) / g, 1 / g
    v = (e_eq + math.sqrt(e_eq**2 - 4 * P * r_eq)) / 2
    i1, i2 = (E1 - v) / r1, (E2 - v) / r2
    assert res.node_voltage_v[0] == pytest.approx(v, rel=1e-12)
    assert res.psu_current_a == pytest.approx([i1, i2], rel=1e-9)
    assert i1 + i2 == pytest.approx(P / v, rel=1e-12)
    check_balance(net, res)


@SOLVERS
def test_busbar_drop_and_loss(solve):
    # PSU at tap 0, load at tap 3 through three segments; node 2 also taps an idle 0 W load.
    E, rd, Rs, P = 51.0, 0.004, [0.001, 0.0015, 0.0005], 6000.0
    net = one_net(4, [(0, 1, Rs[0]), (1, 2, Rs[1]), (2, 3, Rs[2])],
                  [(0, E, rd, 300.0, 0, CONN_AB, 0)], [(2, 0.0, 40.0), (3, P, 40.0)])
    res = solve(net)
    rt = rd + sum(Rs)
    v3 = (E + math.sqrt(E * E - 4 * P * rt)) / 2
    i = P / v3
    v0 = E - i * rd
    expect = [v0, v0 - i * Rs[0], v0 - i * (Rs[0] + Rs[1]), v3]
    assert res.node_voltage_v == pytest.approx(expect, rel=1e-12)
    assert res.seg_current_a == pytest.approx([i, i, i], rel=1e-9)
    assert res.seg_loss_w == pytest.approx([i * i * r for r in Rs], rel=1e-8)
    assert res.busbar_loss_total_w == pytest.approx(i * i * sum(Rs), rel=1e-9)
    assert res.seg_loading == pytest.approx([i / 1000.0] * 3, rel=1e-9)
    check_balance(net, res)


@SOLVERS
def test_current_limit_engages(solve):
    # PSU1 (51 V, 10 mohm, 50 A limit) and PSU2 (50.5 V, 10 mohm) on a 5 kW load.
    # With PSU1 clipped: 100 (50.5 - v) + 50 = 5000 / v  ->  v^2 - 51 v + 50 = 0  ->  v = (51 + 49) / 2 = 50 V
    net = one_net(1, [], [(0, 51.0, 0.01, 50.0, 0, CONN_AB, 0), (0, 50.5, 0.01, 200.0, 0, CONN_BC, 0)],
                  [(0, 5000.0, 40.0)])
    res = solve(net)
    assert res.node_voltage_v[0] == pytest.approx(50.0, rel=1e-12)
    assert res.psu_current_a == pytest.approx([50.0, 50.0], rel=1e-10)
    assert list(res.psu_state) == [PSU_CURRENT_LIMIT, PSU_REGULATING]
    assert (51.0 - 50.0) / 0.01 > 50.0  # unclipped it would have given 100 A
    check_balance(net, res)


@SOLVERS
def test_oring_blocks_reverse_current(solve):
    # PSU2's set-point (49 V) is below the bus: its diode blocks; without it it would sink 180 A.
    E1, r1, P = 51.0, 0.01, 1000.0
    net = one_net(2, [(0, 1, 0.001)], [(0, E1, r1, 200.0, 0, CONN_AB, 0), (1, 49.0, 0.01, 200.0, 0, CONN_BC, 0)],
                  [(0, P, 40.0)])
    res = solve(net)
    v = (E1 + math.sqrt(E1 * E1 - 4 * P * r1)) / 2
    assert res.node_voltage_v == pytest.approx([v, v], rel=1e-12)
    assert res.psu_current_a[1] == 0.0
    assert res.psu_state[1] == PSU_BLOCKED
    assert res.seg_current_a[0] == pytest.approx(0.0, abs=1e-9)
    assert res.psu_p_in_w[1] == 0.0
    check_balance(net, res)


@SOLVERS
def test_all_psus_failed_leaves_load_unserved(solve):
    net = one_net(2, [(0, 1, 0.001)], [(0, 51.0, 0.01, 200.0, 0, CONN_AB, 0), (1, 51.0, 0.01, 200.0, 0, CONN_BC, 0)],
                  [(0, 3000.0, 44.0), (1, 2500.0, 44.0)])
    res = solve(net, psu_failed=[True, True])
    assert res.converged
    assert np.all(res.node_voltage_v == 0.0)
    assert not res.load_served.any()
    assert res.unserved_w == 5500.0 and res.n_unserved == 2
    assert res.facility_input_w == 0.0
    assert list(res.psu_state) == [PSU_OFF, PSU_OFF]
    res_f = solve(net, feed_failed=[True])  # same through the feed
    assert res_f.unserved_w == 5500.0


@SOLVERS
def test_overload_collapses_to_constant_impedance(solve):
    # One PSU (51 V, 10 mohm, 120 A) can deliver at most 120 A * (51 - 1.2) V = 5976 W < 6000 W:
    # no constant-power operating point. Loads fall below V_c = 45 V and become R = V_c^2 / P;
    # the PSU sits at its limit: v = 120 A * (45^2 / 6000 W) = 40.5 V.
    net = one_net(1, [], [(0, 51.0, 0.01, 120.0, 0, CONN_AB, 0)], [(0, 3000.0, 45.0), (0, 3000.0, 45.0)])
    res = solve(net)
    assert res.converged
    assert res.node_voltage_v[0] == pytest.approx(120.0 * 45.0**2 / 6000.0, rel=1e-12)
    assert res.psu_state[0] == PSU_CURRENT_LIMIT
    assert not res.load_served.any() and res.unserved_w == 6000.0
    check_balance(net, res)


@SOLVERS
def test_efficiency_interpolation(solve):
    # curve (0.1, 0.90), (0.5, 0.96), (1.0, 0.94); at load fraction 0.3: 0.90 + 0.2/0.4 * 0.06 = 0.93
    eff = {"eff_ptr": [0, 3], "eff_load_frac": [0.1, 0.5, 1.0], "eff_eta": [0.90, 0.96, 0.94]}
    P = 0.3 * 5500.0
    net = one_net(1, [], [(0, 51.0, 0.01, 200.0, 0, CONN_AB, 0)], [(0, P, 40.0)], eff=eff)
    res = solve(net)
    assert res.psu_load_frac[0] == pytest.approx(0.3, rel=1e-12)
    assert res.psu_eta[0] == pytest.approx(0.93, rel=1e-12)
    assert res.psu_p_in_w[0] == pytest.approx(P / 0.93, rel=1e-12)
    assert res.psu_loss_total_w == pytest.approx(P / 0.93 - P, rel=1e-9)


def test_phasors_line_to_neutral_balanced_and_unbalanced():
    V_LL, pf, P = 415.0, 0.95, 3000.0
    i_ph = P / pf / (V_LL / math.sqrt(3.0))  # S / V_LN
    ph = psu_line_phasors(np.full(3, P), [CONN_A, CONN_B, CONN_C], np.full(3, pf), np.full(3, V_LL))
    lines = ph.sum(axis=0)
    assert np.abs(lines) == pytest.approx([i_ph] * 3, rel=1e-12)
    assert abs(lines.sum()) == pytest.approx(0.0, abs=1e-12)  # balanced: no neutral current
    # the current lags its phase voltage by acos(pf)
    assert np.angle(ph[0, 0]) == pytest.approx(-math.acos(pf), rel=1e-12)
    ph2 = psu_line_phasors(np.full(2, P), [CONN_A, CONN_B], np.full(2, pf), np.full(2, V_LL))
    # two equal currents 120 deg apart: neutral |I_a + I_b| = I
    assert abs(ph2.sum()) == pytest.approx(i_ph, rel=1e-12)


@SOLVERS
def test_balanced_line_to_line_gives_sqrt3(solve):
    # three identical PSUs on ab, bc, ca share a 9 kW load equally: P_out = 3 kW each, eta 0.95, pf 0.9
    V_LL, pf, E, rd = 415.0, 0.9, 51.0, 0.01
    psus = [(0, E, rd, 200.0, 0, c, 0) for c in (CONN_AB, CONN_BC, CONN_CA)]
    net = one_net(1, [], psus, [(0, 9000.0, 40.0)], feeds=[(V_LL, False, pf, 100.0, 0.8)])
    res = solve(net)
    i_phase = (3000.0 / 0.95) / pf / V_LL  # current in each line-to-line branch: S / V_LL
    assert res.psu_p_out_w == pytest.approx([3000.0] * 3, rel=1e-12)
    assert res.feed_line_current_a[0] == pytest.approx([math.sqrt(3.0) * i_phase] * 3, rel=1e-12)
    assert res.feed_current_a[0] == pytest.approx(math.sqrt(3.0) * i_phase, rel=1e-12)
    assert res.feed_imbalance[0] == pytest.approx(0.0, abs=1e-12)
    assert res.feed_neutral_current_a[0] == pytest.approx(0.0, abs=1e-9)
    assert res.feed_loading[0] == pytest.approx(math.sqrt(3.0) * i_phase / (100.0 * 0.8), rel=1e-12)
    assert res.feed_s_va[0] == pytest.approx(3 * 3000.0 / 0.95 / pf, rel=1e-12)


@SOLVERS
def test_unbalanced_line_to_neutral_feed_and_dc_feed(solve):
    # two equal PSUs on phases a and b of feed 0, one PSU on an 800 V DC feed 1, sharing 9 kW
    feeds = [(415.0, False, 1.0, 100.0, 0.8), (800.0, True, 1.0, 50.0, 0.8)]
    psus = [(0, 51.0, 0.01, 200.0, 0, CONN_A, 0), (0, 51.0, 0.01, 200.0, 0, CONN_B, 0),
            (0, 51.0, 0.01, 200.0, 1, CONN_DC, 1)]
    net = one_net(1, [], psus, [(0, 9000.0, 40.0)], feeds=feeds)
    res = solve(net)
    p_in = 3000.0 / 0.95
    i_ln = p_in / (415.0 / math.sqrt(3.0))
    assert res.feed_line_current_a[0] == pytest.approx([i_ln, i_ln, 0.0], rel=1e-12, abs=1e-9)
    assert res.feed_neutral_current_a[0] == pytest.approx(i_ln, rel=1e-12)
    # NEMA MG1 unbalance: mean 2/3 I, largest deviation 2/3 I (phase c) -> 1.0
    assert res.feed_imbalance[0] == pytest.approx(1.0, rel=1e-12)
    assert res.feed_line_current_a[1] == pytest.approx([p_in / 800.0, 0.0, 0.0], rel=1e-12)
    assert res.feed_current_a[1] == pytest.approx(p_in / 800.0, rel=1e-12)
    assert res.feed_imbalance[1] == 0.0
    assert res.feed_p_in_w == pytest.approx([2 * p_in, p_in], rel=1e-12)


def test_network_validation_rejects_bad_input():
    base = {
        "node_ptr": [0, 2], "seg_from": [0], "seg_to": [1], "seg_r_ohm": [0.001], "seg_i_rated_a": [100.0],
        "psu_node": [0], "psu_v_set_v": [51.0], "psu_r_droop_ohm": [0.01], "psu_i_lim_a": [100.0], "psu_p_rated_w": [5500.0],
        "psu_curve": [0], "psu_feed": [0], "psu_conn": [CONN_AB], "psu_shelf": [0], "eff_ptr": [0, 1], "eff_load_frac": [0.5],
        "eff_eta": [0.95], "load_node": [1], "load_p_w": [1000.0], "load_v_min_v": [45.0], "feed_voltage_v": [415.0],
        "feed_is_dc": [False], "feed_pf": [0.99], "feed_breaker_a": [60.0], "feed_derating": [0.8],
    }
    PowerNetwork(**base)
    for key, bad in [("seg_r_ohm", [0.0]), ("psu_conn", [CONN_DC]), ("seg_to", [0]), ("psu_r_droop_ohm", [-1.0]),
                     ("eff_eta", [1.5]), ("feed_derating", [0.0]), ("psu_feed", [1]), ("load_v_min_v", [0.0])]:
        with pytest.raises(ValueError):
            PowerNetwork(**{**base, key: bad})
