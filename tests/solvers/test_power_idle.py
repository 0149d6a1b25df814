"""PSU no-load (idle) input: hand-calculated checks of both solvers (power_ref.psu_input_power).

Below the efficiency curve's first point x_0 the loss runs linearly from the no-load input P_idle at zero output
to the curve's loss at x_0, L_0 = x_0 P_rated (1 / eta_0 - 1); an in-service PSU at zero output draws P_idle; a
failed PSU draws nothing."""
import numpy as np
import pytest

from rackforge.solvers.power import solve_power, solve_scenarios
from rackforge.solvers.power_ref import (
    CONN_AB,
    CONN_BC,
    PSU_BLOCKED,
    PowerNetwork,
    solve_power_ref,
    solve_scenarios_ref,
)
from rackforge.solvers.power_scenarios import Scenarios

SOLVERS = pytest.mark.parametrize("solve", [solve_power, solve_power_ref], ids=["numba", "reference"])
RATED, X0, ETA0, IDLE = 5500.0, 0.1, 0.92, 25.0
L0 = X0 * RATED * (1 / ETA0 - 1)          # 47.826 W at 550 W out


def net(loads_w, e=(50.0, 50.0, 48.0), idle=IDLE):
    """One node, three PSUs (the third set 2 V low: ORing-blocked), curve (0.1, 0.92)-(1.0, 0.965)."""
    n = len(e)
    return PowerNetwork(
        node_ptr=[0, 1], seg_from=[], seg_to=[], seg_r_ohm=[], seg_i_rated_a=[],
        psu_node=[0] * n, psu_v_set_v=list(e), psu_r_droop_ohm=[0.0089] * n, psu_i_lim_a=[124.0] * n,
        psu_p_rated_w=[RATED] * n, psu_curve=[0] * n, psu_feed=[0] * n, psu_conn=[CONN_AB, CONN_BC, CONN_AB][:n],
        psu_shelf=[0] * n, eff_ptr=[0, 2], eff_load_frac=[X0, 1.0], eff_eta=[ETA0, 0.965],
        load_node=[0], load_p_w=[loads_w], load_v_min_v=[46.0],
        feed_voltage_v=[415.0], feed_is_dc=[False], feed_pf=[0.99], feed_breaker_a=[100.0], feed_derating=[0.8],
        psu_p_idle_w=[idle] * n,
    )


@SOLVERS
def test_light_load_input_by_hand(solve):
    res = solve(net(300.0))
    p_out = res.psu_p_out_w
    # two equal PSUs share 300 W (plus nothing else: one node); the blocked one carries 0 A
    assert p_out[:2] == pytest.approx([150.0, 150.0], rel=1e-9) and res.psu_state[2] == PSU_BLOCKED
    x = 150.0 / RATED
    hand = 150.0 + IDLE + (L0 - IDLE) * x / X0                  # 150 + 25 + 22.826 x 0.2727 = 181.225 W
    assert res.psu_p_in_w[:2] == pytest.approx([hand, hand], rel=1e-12)
    assert res.psu_p_in_w[2] == pytest.approx(IDLE, rel=1e-12)   # in service, blocked: its no-load input
    assert res.facility_input_w == pytest.approx(2 * hand + IDLE, rel=1e-12)
    assert res.facility_input_w == pytest.approx(res.load_total_w + res.psu_loss_total_w, rel=1e-12)


@SOLVERS
def test_above_the_first_point_the_curve_holds(solve):
    # 2 x 1,650 W = 30 % load: eta = 0.92 + (0.3 - 0.1) / 0.9 x 0.045 = 0.93; the idle input does not apply
    res = solve(net(3300.0))
    eta = 0.92 + (0.3 - 0.1) / 0.9 * 0.045
    assert res.psu_p_in_w[:2] == pytest.approx([1650 / eta] * 2, rel=1e-9)
    # without idle input the model is the clamped curve everywhere: 150 W at 0.92
    res0 = solve(net(300.0, idle=0.0))
    assert res0.psu_p_in_w[:2] == pytest.approx([150 / 0.92] * 2, rel=1e-12) and res0.psu_p_in_w[2] == 0.0


def test_scenario_batch_numba_equals_reference():
    # base, and PSU 0 failed: the survivor carries 300 W, the failed one draws nothing, the blocked one its idle
    # input; the numba batch (line currents updated from the base by the change in P_in) and the reference agree
    n = net(300.0)
    sc = Scenarios.from_masks([[False, False, False], [True, False, False]], feed_failed=[[False], [False]])
    a = solve_scenarios(n, sc)
    b = solve_scenarios_ref(n, sc)
    x = 300.0 / RATED
    for s in range(2):
        ra, rb = a.scenario(s), b[s]
        assert ra.psu_p_in_w == pytest.approx(rb.psu_p_in_w, rel=1e-9, abs=1e-9)
        assert ra.feed_line_current_a == pytest.approx(rb.feed_line_current_a, rel=1e-9)
    last = a.scenario(1)
    assert last.psu_p_in_w[0] == 0.0
    assert last.psu_p_in_w[1] == pytest.approx(300.0 + IDLE + (L0 - IDLE) * x / X0, rel=1e-9)
    assert last.psu_p_in_w[2] == pytest.approx(IDLE, rel=1e-12)
