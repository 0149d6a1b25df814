"""Loop temperatures, CDU capacity and the fault-scenario batch."""
import numpy as np
import pytest

from rackforge.solvers import hydraulics as h
from rackforge.solvers import thermal as th

RHO, CP = 997.0, 4180.0


def _tray_load(n, plates_per_branch=3, power=2000.0, parallel=False):
    ptr = np.arange(n + 1) * plates_per_branch
    q_req = 1.5 / 60000.0 * plates_per_branch * power / 1000.0  # 1.5 L/min per kW
    return th.build_plate_load(ptr, power, rth=0.02, t_case_max=85.0, required_flow=q_req,
                               parallel=parallel)


def test_series_and_parallel_plates_by_hand():
    load = th.build_plate_load([0, 2, 4], power=[1000.0, 3000.0, 1000.0, 3000.0], rth=[0.03, 0.01, 0.03, 0.01],
                               t_case_max=80.0, required_flow=1e-4, parallel=[False, True])
    cdu = th.CduThermal(capacity_w=1e6, approach_k=0.0)
    q = np.array([1e-4, 1e-4])
    t = th.loop_temperatures(q, load, cdu, 30.0, RHO, CP)
    mcp = RHO * CP * 1e-4
    # series: plate 2 sees the coolant warmed by plate 1
    assert t.plate_t_in[0] == pytest.approx(30.0)
    assert t.plate_t_in[1] == pytest.approx(30.0 + 1000.0 / mcp)
    assert t.plate_t_case[1] == pytest.approx(30.0 + 1000.0 / mcp + 3000.0 * 0.01)
    # parallel: both see the supply temperature
    assert t.plate_t_in[2] == pytest.approx(30.0) and t.plate_t_in[3] == pytest.approx(30.0)
    assert t.plate_t_case[2] == pytest.approx(30.0 + 1000.0 * 0.03)
    # outlets: same heat, same flow -> same outlet either way
    assert np.allclose(t.branch_t_out, 30.0 + 4000.0 / mcp)
    assert t.plate_margin[1] == pytest.approx(80.0 - t.plate_t_case[1])


def test_flow_dependent_resistance():
    r = th.plate_resistance(0.02, np.array([1e-4, 2e-4, 0.0]), 1e-4, 0.8)
    assert r[0] == pytest.approx(0.02)
    assert r[1] == pytest.approx(0.02 * 2**-0.8)
    assert r[2] == np.inf
    assert th.plate_resistance(0.02, 0.0, 0.0, 0.8) == pytest.approx(0.02)  # constant plate


def test_cdu_approach_scales_with_load_and_deficit_raises_supply():
    # approach 5 K at 100 kW capacity
    t_s, removed, deficit, rise = th.cdu_supply_temperature(30.0, 60e3, 100e3, 5.0, 2e-3, RHO, CP)
    assert t_s == pytest.approx(33.0) and deficit == 0.0 and removed == 60e3
    t_s, removed, deficit, rise = th.cdu_supply_temperature(30.0, 120e3, 100e3, 5.0, 2e-3, RHO, CP)
    assert removed == 100e3 and deficit == pytest.approx(20e3)
    assert rise == pytest.approx(20e3 / (RHO * CP * 2e-3))
    assert t_s == pytest.approx(35.0 + rise)


def test_energy_balance_in_every_scenario():
    n = 18
    net = h.uniform_manifold(n, n_pumps=2, n_running=2, reverse_return=True)
    load = _tray_load(n)
    cdu = th.CduThermal(capacity_w=120e3, approach_k=4.0, n_hx_units=2)
    sc = th.fault_scenarios(net, 30.0, t_facility_max_c=32.0, cdu=cdu)
    assert len(sc.labels) == 1 + 2 + n + 1 + 1
    rep = th.evaluate_scenarios(net, load, cdu, sc, CP)
    assert rep.hydraulics.converged.all()
    t = rep.temperatures
    q = rep.hydraulics.branch_flow
    qtot = q.sum(axis=1)
    # heat = m_dot cp (T_return - T_supply), and it is the heat of the open branches
    assert np.allclose(RHO * CP * qtot * (t.t_return - t.t_supply), t.heat_w, rtol=1e-10)
    open_heat = (load.branch_heat * sc.branch_open).sum(axis=1)
    assert np.allclose(t.heat_w, open_heat, rtol=1e-12)
    # each branch: heat = m_dot cp dT
    dt = t.branch_t_out - t.t_supply[:, None]
    ok = sc.branch_open
    assert np.allclose((RHO * CP * q * dt)[ok], np.broadcast_to(load.branch_heat, q.shape)[ok], rtol=1e-10)


def test_fault_scenarios_report():
    n = 18
    net = h.uniform_manifold(n, n_pumps=2, n_running=2, reverse_return=True)
    load = _tray_load(n)
    cdu = th.CduThermal(capacity_w=120e3, approach_k=4.0, n_hx_units=2)
    sc = th.fault_scenarios(net, 30.0, t_facility_max_c=32.0, cdu=cdu)
    rep = th.evaluate_scenarios(net, load, cdu, sc, CP)
    i = {label: k for k, label in enumerate(sc.labels)}
    base = i["base"]
    # a lost pump lowers every branch flow (both pumps were running)
    assert rep.min_flow_ratio[i["pump 0 lost"]] < rep.min_flow_ratio[base]
    # a blocked branch sends more flow to the others; its own ratio is excluded (nan)
    b = i["branch 4 blocked"]
    assert np.isnan(rep.flow_ratio[b, 4])
    assert rep.min_flow_ratio[b] > rep.min_flow_ratio[base]
    # warmer facility water: same hydraulics, every case temperature up by exactly 2 K
    f = i["facility at class max"]
    assert np.allclose(rep.temperatures.plate_t_case[f] - rep.temperatures.plate_t_case[base], 2.0)
    assert rep.min_case_margin[f] == pytest.approx(rep.min_case_margin[base] - 2.0)
    # CDU N-1: 108 kW on 60 kW of capacity -> deficit and a hotter supply
    c = i["CDU N-1"]
    assert rep.temperatures.deficit_w[c] == pytest.approx(108e3 - 60e3)
    assert rep.temperatures.t_supply[c] > rep.temperatures.t_supply[f]
    assert rep.worst == c
    assert sc.labels[rep.worst_flow].startswith("pump")
    # max case temperature and margin are consistent
    assert np.allclose(rep.max_case_temp, 85.0 - rep.min_case_margin)


def test_blocked_branch_overheats_and_report_excludes_it():
    load = _tray_load(3)
    cdu = th.CduThermal(1e6, 3.0)
    q = np.array([[1e-4, 0.0, 1e-4]])
    t = th.loop_temperatures(q, load, cdu, np.array([25.0]), RHO, CP)
    assert np.isinf(t.branch_t_out[0, 1])
    assert np.all(np.isinf(t.plate_t_case[0, 3:6]))
    assert np.isfinite(t.t_return[0])
