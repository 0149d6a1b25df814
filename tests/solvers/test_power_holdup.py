"""Battery hold-up: hand-calculated energy balance and the loads BBUs must carry after a feed loss."""

import numpy as np
import pytest

from rackforge.solvers.power import (
    battery_holdup,
    enumerate_scenarios,
    holdup_demand,
    solve_scenarios,
)
from rackforge.solvers.power_ref import CONN_AB, CONN_BC

from .test_power_solver import one_net


def test_holdup_energy_balance():
    # network 0: two BBUs of 1 MJ / 6 kW, network 1: one BBU of 0.5 MJ / 3 kW
    p = np.array([10e3, 4e3])
    res = battery_holdup(p, bbu_net=[0, 0, 1], bbu_energy_j=[1e6, 1e6, 5e5], bbu_p_rated_w=[6e3, 6e3, 3e3],
                         t_required_s=90.0, usable_fraction=0.9, discharge_eff=0.95)
    # net 0: E = 0.9 * 2 MJ, t = 1.8e6 * 0.95 / 10 kW = 171 s; 12 kW >= 10 kW
    assert res.holdup_s[0] == pytest.approx(0.9 * 2e6 * 0.95 / 10e3, rel=1e-12)
    assert res.power_ok[0] and res.meets[0]
    # net 1: 4 kW > 3 kW rating: power-limited although 0.45 MJ * 0.95 / 4 kW = 106.9 s > 90 s
    assert res.holdup_s[1] == pytest.approx(0.9 * 5e5 * 0.95 / 4e3, rel=1e-12)
    assert not res.power_ok[1] and not res.meets[1]
    # one BBU of net 0 failed: 6 kW < 10 kW and 85.5 s < 90 s
    r2 = battery_holdup(p, [0, 0, 1], [1e6, 1e6, 5e5], [6e3, 6e3, 3e3], 90.0, bbu_failed=[True, False, False],
                        usable_fraction=0.9, discharge_eff=0.95)
    assert r2.p_available_w[0] == 6e3 and r2.holdup_s[0] == pytest.approx(85.5, rel=1e-12)
    assert not r2.meets[0]
    # batched over scenarios: [n_scen, n_net]
    r3 = battery_holdup(np.array([[10e3, 0.0], [5e3, 4e3]]), [0, 0, 1], [1e6, 1e6, 5e5], [6e3, 6e3, 3e3], 90.0,
                        bbu_failed=np.array([[False] * 3, [True, True, False]]))
    assert r3.holdup_s[0, 1] == np.inf and r3.meets[0, 1]
    assert r3.p_available_w[1, 0] == 0.0 and not r3.meets[1, 0]


def test_demand_after_feed_loss():
    # two PSUs on feed 0 and one on feed 1; losing feed 0 leaves one 120 A PSU for 9 kW: the bus collapses
    psus = [(0, 51.0, 0.01, 120.0, 0, CONN_AB, 0), (0, 51.0, 0.01, 120.0, 0, CONN_BC, 0),
            (1, 51.0, 0.01, 120.0, 1, CONN_AB, 1)]
    net = one_net(2, [(0, 1, 0.001)], psus, [(0, 6000.0, 45.0), (1, 3000.0, 45.0)],
                  feeds=[(415.0, False, 1.0, 100.0, 0.8), (415.0, False, 1.0, 100.0, 0.8)],
                  bbus=[(1, 9e5, 10e3)])
    sc = enumerate_scenarios(net.psu_shelf, net.psu_feed, net.n_bbu, depth=2, n_feed=2)
    res = solve_scenarios(net, sc)
    s_a, s_b = sc.labels.index("feed 0"), sc.labels.index("feed 1")
    assert res.unserved_w[s_a] == 9000.0 and res.unserved_w[s_b] == 0.0
    p, carried = holdup_demand(net, res.scenario(s_a))
    assert p.tolist() == [9000.0] and carried.all()
    p_b, _ = holdup_demand(net, res.scenario(s_b))
    assert p_b.tolist() == [0.0]
    h = battery_holdup(p, net.bbu_net, net.bbu_energy_j, net.bbu_p_rated_w, 90.0)
    assert h.holdup_s[0] == pytest.approx(9e5 / 9000.0) and h.meets[0]  # 100 s
    # feed 0 lost together with the BBU
    s_ab = sc.labels.index("feed 0 + bbu 0")
    h2 = battery_holdup(holdup_demand(net, res.scenario(s_ab))[0], net.bbu_net, net.bbu_energy_j,
                        net.bbu_p_rated_w, 90.0, bbu_failed=sc.bbu_failed[s_ab])
    assert not h2.meets[0]
