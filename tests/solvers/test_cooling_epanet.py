"""Independent cross-check of the liquid-loop solvers against EPANET 2.2 (through WNTR's EpanetSimulator).

Each case is a ladder manifold of our own making (``uniform_manifold`` or a randomised one) written as an EPANET
network: the pump suction / expansion tank is a reservoir, the CDU pumps and the CDU's internal drop one pump link
whose head curve is ``[c0 + (c2/n^2 - b_cdu) Q^2] / (rho g)`` (a quadratic with no linear term, which EPANET's
three-point power fit ``A - B Q^C`` reproduces exactly with C = 2), every header segment and branch hose a
Darcy-Weisbach pipe with its minor-loss K, and a branch's quadratic component ``b q|q|`` folded into its hose's K
(``K = 2 b A^2 / rho`` on the hose area: the same law). The return pipes end in the same reservoir, so the loop is
closed at the suction pressure, as in rackforge.

What differs, and what each tolerance covers:

* friction: EPANET's Darcy-Weisbach uses Hagen-Poiseuille below Re 2000, Swamee-Jain above 4000 and a cubic
  interpolation between; rackforge uses Churchill (1977) everywhere. In turbulent flow the two agree within
  ~1-2 % in f; hose and header friction are 5-30 % of a branch's drop here, so flows agree within 0.5 % and
  pressure drops within 1 % (laminar cases: both are 64/Re, so 1e-4 on flows, 2e-4 on pressure drops);
* EPANET's own convergence (accuracy 1e-9 on the sum of flow changes) and its output precision (flows and
  heads are written to the binary file as single-precision floats): ~1e-6 relative;
* tees: EPANET has no flow-ratio tee loss. The tee case freezes rackforge's converged Crane coefficients as
  minor losses on the EPANET pipes (converted to each pipe's own velocity): EPANET then must reproduce
  rackforge's flows, which checks that rackforge's tee iteration stopped at the fixed point of its equations.

Skipped when WNTR (with its bundled EPANET library) cannot be imported.
"""
import math
import warnings

import numpy as np
import pytest

wntr = pytest.importorskip("wntr")

from rackforge.solvers import hydraulics as h  # noqa: E402
from rackforge.solvers import hydraulics_ref as ref  # noqa: E402

#: Gravity in EPANET: 32.2 ft/s^2 (its heads, minor losses and laminar friction use it); heads are converted with it.
G = 32.2 * 0.3048
#: EPANET's reference kinematic viscosity: 1.1e-5 ft^2/s (water at 20 degC) in m^2/s; the VISCOSITY option
#: is relative to it (EPANET 2.2 source, hydraul.c / text.h).
NU_EPANET = 1.1e-5 * 0.3048**2


def _epanet(net, tmp_path, n_active=None, extra_k=None):
    """Solve ``net`` (one pipe per branch, no linear component terms) with EPANET; returns (link flows in the
    kernel numbering [m^3/s], supply and return tap pressures over the suction [Pa], pump rise [Pa])."""
    n = net.n_branches
    assert np.all(np.diff(net.br_ptr) == 1) and np.all(net.br_a == 0) and net.cdu_a == 0
    n_act = net.n_running if n_active is None else n_active
    k_add = np.zeros(3 * n + 1) if extra_k is None else extra_k
    wn = wntr.network.WaterNetworkModel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wn.options.hydraulic.headloss = "D-W"
    wn.options.hydraulic.viscosity = net.mu / net.rho / NU_EPANET
    wn.options.hydraulic.specific_gravity = 1.0
    wn.options.hydraulic.accuracy = 1e-9
    wn.options.hydraulic.trials = 500
    wn.options.time.duration = 0
    wn.add_reservoir("SUC", base_head=100.0)
    wn.add_junction("D", base_demand=0.0, elevation=0.0)
    for i in range(n):
        wn.add_junction(f"S{i}", base_demand=0.0, elevation=0.0)
        wn.add_junction(f"R{i}", base_demand=0.0, elevation=0.0)
    c0, c1, c2 = net.pump_c
    assert c1 == 0
    a2 = c2 / n_act**2 - net.cdu_b  # head of the pumps plus the CDU's internal drop, per total flow squared
    q_run = math.sqrt(c0 / -a2)
    pts = [(0.0, c0 / (net.rho * G)), (0.5 * q_run, (c0 + a2 * (0.5 * q_run) ** 2) / (net.rho * G)),
           (0.9 * q_run, (c0 + a2 * (0.9 * q_run) ** 2) / (net.rho * G))]
    wn.add_curve("PC", "HEAD", pts)
    wn.add_pump("PUMP", "SUC", "D", pump_type="HEAD", pump_parameter="PC")
    for i in range(n):
        wn.add_pipe(f"s{i}", "D" if i == 0 else f"S{i - 1}", f"S{i}", length=net.sup_len[i],
                    diameter=net.sup_d[i], roughness=net.sup_eps[i], minor_loss=net.sup_k[i] + k_add[1 + i])
        area = math.pi * net.bp_d[i] ** 2 / 4
        kb = net.bp_k[i] + 2 * net.br_b[i] * area**2 / net.rho + k_add[1 + n + i]
        wn.add_pipe(f"b{i}", f"S{i}", f"R{i}", length=net.bp_len[i], diameter=net.bp_d[i],
                    roughness=net.bp_eps[i], minor_loss=kb)
        if net.reverse_return:
            to = f"R{i + 1}" if i < n - 1 else "SUC"
        else:
            to = f"R{i - 1}" if i > 0 else "SUC"
        wn.add_pipe(f"r{i}", f"R{i}", to, length=net.ret_len[i], diameter=net.ret_d[i],
                    roughness=net.ret_eps[i], minor_loss=net.ret_k[i] + k_add[1 + 2 * n + i])
    res = wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=str(tmp_path / "loop"))
    flow = res.link["flowrate"].iloc[0]
    head = res.node["head"].iloc[0]
    q = np.concatenate([[flow["PUMP"]], [flow[f"s{i}"] for i in range(n)], [flow[f"b{i}"] for i in range(n)],
                        [flow[f"r{i}"] for i in range(n)]])
    to_pa = net.rho * G
    ps = np.array([head[f"S{i}"] - 100.0 for i in range(n)]) * to_pa
    pr = np.array([head[f"R{i}"] - 100.0 for i in range(n)]) * to_pa
    return q, ps, pr, (head["D"] - 100.0) * to_pa


def _random_ladder(n, reverse, seed):
    rng = np.random.default_rng(seed)
    return h.uniform_manifold(
        n, reverse_return=reverse, br_a=0.0, br_b=2.0e12 * rng.uniform(0.5, 2.0, n), hose_len=rng.uniform(0.6, 2.0, n),
        hose_d=rng.choice([0.0095, 0.0127, 0.0159], n), hose_k=rng.uniform(1.0, 3.0, n), header_k=0.3,
        header_seg_len=rng.uniform(0.04, 0.2, n), n_pumps=2)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("n", [4, 27, 72])
def test_ladder_against_epanet(tmp_path, n, reverse):
    # uniform ladder of n branches: pump curve, CDU drop, headers and hoses with minor losses
    net = h.uniform_manifold(n, br_a=0.0, reverse_return=reverse, header_k=0.5, hose_k=2.0)
    q_e, ps_e, pr_e, pd_e = _epanet(net, tmp_path)
    sol = h.solve(net, tol=1e-10)
    rs = ref.solve_ref(net)
    assert sol.converged and rs.converged
    qb = sol.branch_flow
    # flows within 0.5 % (friction models, see the module doc); numba and reference agree to 1e-8
    assert np.allclose(qb, q_e[1 + n:1 + 2 * n], rtol=5e-3, atol=0)
    assert np.allclose(qb, rs.branch_flow, rtol=1e-8, atol=0)
    assert sol.pump_flow == pytest.approx(q_e[0], rel=5e-3)
    # the flow spread along the manifold (what the headers do) within 5 % of itself or 1e-4 absolute
    spread_e = (q_e[1 + n:1 + 2 * n].max() - q_e[1 + n:1 + 2 * n].min()) / q_e[1 + n:1 + 2 * n].mean()
    assert h.flow_spread(qb) == pytest.approx(spread_e, rel=0.05, abs=1e-4)
    # pressures over the suction within 1 %
    p_s = sol.supply_pressure - net.p_suction
    p_r = sol.return_pressure - net.p_suction
    assert np.allclose(p_s, ps_e, rtol=1e-2)
    assert float(sol.cdu_outlet_pressure - net.p_suction) == pytest.approx(pd_e, rel=1e-2)
    assert np.allclose(p_s - p_r, ps_e - pr_e, rtol=1e-2)


@pytest.mark.parametrize("reverse", [False, True])
def test_random_ladder_against_epanet(tmp_path, reverse):
    # uneven branches (hoses of three sizes, lengths and components spread 4x), one pump of two running
    net = _random_ladder(30, reverse, seed=11)
    for n_act in (2, 1):
        q_e, *_ = _epanet(net, tmp_path, n_active=n_act)
        sol = h.solve(net, n_act, tol=1e-10)
        assert sol.converged
        assert np.allclose(sol.branch_flow, q_e[31:61], rtol=5e-3, atol=0)


def test_laminar_ladder_against_epanet(tmp_path):
    # glycol-like viscosity (20 mPa s): every pipe laminar, where both friction laws are 64/Re
    net = h.uniform_manifold(8, br_a=0.0, mu=2.0e-2, header_k=0.0, hose_k=0.0)
    sol = h.solve(net, tol=1e-12)
    re_hose = net.rho * sol.branch_flow / (math.pi * net.bp_d**2 / 4) * net.bp_d / net.mu
    re_head = net.rho * sol.supply_flow / (math.pi * net.sup_d**2 / 4) * net.sup_d / net.mu
    assert re_hose.max() < 2000 and re_head.max() < 2000
    q_e, ps_e, pr_e, _ = _epanet(net, tmp_path)
    # measured 1.5e-5 (flows) and 7.9e-5 (pressure drops): EPANET's float32 output and convergence test
    assert np.allclose(sol.branch_flow, q_e[9:17], rtol=1e-4, atol=0)
    assert np.allclose(sol.branch_dp, ps_e - pr_e, rtol=2e-4, atol=0)


@pytest.mark.parametrize("reverse", [False, True])
def test_tee_fixed_point_against_epanet(tmp_path, reverse):
    # rackforge's Crane tees at its converged flows, frozen as minor losses on each pipe's own velocity:
    # EPANET with those K must give the same flows (a check that the tee iteration stopped at its fixed point)
    net = h.uniform_manifold(27, br_a=0.0, reverse_return=reverse, header_k=0.0, hose_k=2.0, tee=True)
    n = net.n_branches
    sol = h.solve(net, tol=1e-11)
    assert sol.converged
    q = np.asarray(sol.link_flow)
    dp_tee = h.tee_losses(net, q)
    area = np.concatenate([[1.0], math.pi * net.sup_d**2 / 4, math.pi * net.bp_d**2 / 4, math.pi * net.ret_d**2 / 4])
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(q > 0, dp_tee / (0.5 * net.rho * (q / area) ** 2), 0.0)
    k[0] = 0.0
    assert np.any(k != 0)
    # a converging branch near the outlet has K < 0 (the fast run draws it: Crane's ejector effect); EPANET takes
    # no negative minor loss, but it is added to the hose's own K (hose bends plus the folded-in component), and
    # that sum stays positive
    kb_total = net.bp_k + 2 * net.br_b * (math.pi * net.bp_d**2 / 4) ** 2 / net.rho + k[1 + n:1 + 2 * n]
    assert kb_total.min() > 0 and k[1:1 + n].min() >= 0 and k[1 + 2 * n:].min() >= 0
    q_e, *_ = _epanet(net._replace(tee=False), tmp_path, extra_k=k)
    assert np.allclose(sol.branch_flow, q_e[1 + n:1 + 2 * n], rtol=5e-3, atol=0)
    # and the tees matter here: without them the flows move by more than the tolerance somewhere
    plain = h.solve(net._replace(tee=False), tol=1e-11)
    assert np.abs(plain.branch_flow / sol.branch_flow - 1).max() > 5e-3


def test_row_of_racks_on_a_facility_header_against_epanet(tmp_path):
    # hall scale with the same solver: a row of 12 racks on a DN100 facility-water header (3 m of header between
    # taps), each rack a branch of a 2 m DN50 drop
    # plus its CDU heat exchanger's primary side (~60 kPa at 150 L/min, quadratic), a facility pump of 250 kPa
    # shut-off; reverse return as a row header often is. Flows within 0.5 % of EPANET.
    n = 12
    q_rack = 150.0 / 6e4
    net = h.build_network(
        rho=997.0, mu=8.9e-4, pump_c=(2.5e5, 0.0, -1.2e5 / (n * q_rack) ** 2), n_pumps=1,
        sup_d=0.1023, sup_len=3.0, sup_eps=4.5e-5, sup_k=0.2, ret_d=0.1023, ret_len=3.0, ret_eps=4.5e-5, ret_k=0.2,
        br_ptr=np.arange(n + 1), bp_d=0.0525, bp_len=2.0, bp_eps=4.5e-5, bp_k=3.0, br_a=np.zeros(n),
        br_b=6e4 / q_rack**2, reverse_return=True, p_suction=2e5)
    sol = h.solve(net, tol=1e-10)
    q_e, *_ = _epanet(net, tmp_path)
    assert sol.converged
    assert np.allclose(sol.branch_flow, q_e[1 + n:1 + 2 * n], rtol=5e-3, atol=0)
    assert np.allclose(sol.branch_flow, ref.solve_ref(net).branch_flow, rtol=1e-8, atol=0)
