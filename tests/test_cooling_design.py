"""Cooling at design level: heat balance, energy balance per branch, equal flows, blocked branch, the air side.

Expected values are worked by hand from the catalog figures in the comments (catalogs/parts/*.yaml).
"""
import json
import math

import numpy as np
import pytest

from rackforge.engine import Context, Options, load_design
from tests.conftest import load_seed

G = "seeds/gb200-nvl72.json"
H = "seeds/hgx-h100-air.yaml"
PSI = 6894.757293168361
LPM = 1e-3 / 60


def cooling(path, **opts):
    ld = load_design(str(path))
    return Context(ld, Options(**opts)).cooling


@pytest.fixture(scope="module")
def gb200():
    return cooling(G)


def test_gb200_heat_to_liquid_is_the_plate_heat(gb200):
    # 18 compute trays x (4 x 1.2 kW GPU + 2 x 0.3 kW CPU) + 9 switch trays x 2 x 150 W, at max (power ratio 1)
    plates = 18 * (4 * 1200 + 2 * 300) + 9 * (2 * 150)
    (lr,) = gb200.loops
    assert lr.heat_w == pytest.approx(plates, rel=1e-12)
    (ra,) = gb200.racks
    assert ra.liquid_w == pytest.approx(plates, rel=1e-12)
    # IT 18 x 6.3 + 9 x 0.4 + 2 x 0.12 kW = 117.24 kW, the rest to air
    assert ra.air_w == pytest.approx(117240 - plates, rel=1e-12)
    assert ra.liquid_share == pytest.approx(99900 / 117240, rel=1e-12)


def test_gb200_supply_temperature_by_hand(gb200):
    # in-row CDU: 15 % of 1 MW = 150 kW at a 5 K approach, facility 30 degC, approach scaled by load / capacity
    (lr,) = gb200.loops
    assert lr.capacity_w == pytest.approx(150e3)
    assert lr.t_supply_c == pytest.approx(30 + 5 * 99900 / 150e3, abs=1e-9)


def test_energy_balance_per_branch(gb200):
    (lr,) = gb200.loops
    rho, cp = lr.props.rho, lr.props.cp
    for br in lr.branches:
        assert rho * br.flow * cp * (br.t_out - lr.t_supply_c) == pytest.approx(br.heat_w, rel=1e-9)
    # mixed return: flow-weighted outlet temperatures
    q = np.array([br.flow for br in lr.branches])
    t = np.array([br.t_out for br in lr.branches])
    assert lr.t_return_c == pytest.approx(float((q * t).sum() / q.sum()), rel=1e-12)
    # mass: the branches carry the pump's flow
    assert q.sum() == pytest.approx(lr.pump_flow, rel=1e-9)


def test_pump_operating_point_on_the_catalog_curve(gb200):
    """The rack sees 15 % of the CDU's flow at the common head: the pump's rise at the rack's flow Q is the
    catalog curve (quadratic through its three points, Lagrange form) at Q / 0.15."""
    (lr,) = gb200.loops
    q = lr.pump_flow / 0.15 / LPM
    pts = [(0.0, 55.0), (1500.0, 40.0), (2200.0, 22.0)]
    rise = sum(p * math.prod((q - x2) / (x - x2) for x2, _ in pts if x2 != x) for x, p in pts) * PSI
    assert lr.pump_rise == pytest.approx(rise, rel=1e-9)


def test_identical_trays_get_equal_flows_when_headers_are_negligible(tmp_path, write_design):
    """A 300 mm manifold makes the header losses negligible: the 18 compute trays get one flow, the 9 switch
    trays another, and the branch pressure drop is the same for all."""
    d = load_seed("gb200-nvl72.json")
    wide = {"catalog": "test-wide", "parts": [{
        "pn": "TEST-MANIFOLD-300", "kind": "manifold", "name": "wide manifold", "source": "test fixture",
        "height": "0 RU", "inner_diameter": "300 mm", "taps": 48, "tap_pitch": "1 RU", "roughness": "0.0015 mm",
        "tap_loss_k": 0.5, "max_pressure": "100 psi"}]}
    write_design(wide, name="extra.json")
    d["catalogs"] = ["extra.json"]
    next(m for m in d["templates"]["nvl72"]["mounts"] if m["id"] == "manifold")["part"] = "TEST-MANIFOLD-300"
    (lr,) = cooling(write_design(d)).loops
    ct = [br.flow for br in lr.branches if br.part.pn == "GB200-NVL72-CT"]
    st = [br.flow for br in lr.branches if br.part.pn == "GB200-NVL72-ST"]
    assert len(ct) == 18 and len(st) == 9
    assert max(ct) / min(ct) - 1 < 1e-5 and max(st) / min(st) - 1 < 1e-5
    dps = [br.dp for br in lr.branches]
    assert max(dps) / min(dps) - 1 < 1e-5


def test_parallel_plates_share_flow_by_their_curves(gb200):
    """Pure quadratic plates in parallel at one pressure drop: q_k proportional to 1/sqrt(b_k), b = dp / q^2.
    GPU plate 20 kPa at 1.8 L/min, CPU plate 15 kPa at 0.8 L/min."""
    (lr,) = gb200.loops
    br = next(b for b in lr.branches if b.mi.id == "ct01")
    s_gpu = 1.8 / math.sqrt(20e3)
    s_cpu = 0.8 / math.sqrt(15e3)
    total = 4 * s_gpu + 2 * s_cpu
    shares = [p.share for p in br.plates]
    assert shares[:4] == pytest.approx([s_gpu / total] * 4, rel=1e-12)
    assert shares[4:] == pytest.approx([s_cpu / total] * 2, rel=1e-12)


def test_blocked_branch_scenario(gb200):
    """ct11 blocked: its 5.4 kW leaves the loop, so the CDU supply drops to 30 + 5 x 94.5 / 150 degC; the loop
    loses that branch's flow and every other branch gets a little more."""
    (lr,) = gb200.loops
    row = next(r for r in lr.scenarios if r["scenario"] == "ct11 blocked")
    assert row["supply_temperature_c"] == pytest.approx(30 + 5 * (99900 - 5400) / 150e3, abs=1e-9)
    assert row["pump_flow_m3_s"] < lr.pump_flow
    ct11 = next(b for b in lr.branches if b.mi.id == "ct11")
    assert row["pump_flow_m3_s"] > lr.pump_flow - ct11.flow   # the others speed up
    assert row["min_flow_mount"] != "ct11" and row["converged"]


def test_facility_at_class_max_scenario(gb200):
    """W32: the facility scenario shifts every temperature by 32 - 30 = 2 K (same flows)."""
    (lr,) = gb200.loops
    base = next(r for r in lr.scenarios if r["scenario"] == "base")
    hot = next(r for r in lr.scenarios if r["scenario"] == "facility at class max")
    assert hot["supply_temperature_c"] - base["supply_temperature_c"] == pytest.approx(2.0, abs=1e-9)
    assert base["case_temperature_margin_k"] - hot["case_temperature_margin_k"] == pytest.approx(2.0, abs=1e-9)
    assert lr.worst["scenario"] == "facility at class max"


def test_h100_all_heat_to_air_and_airflow_against_the_servers_cfm():
    """No loop: 4 x 10.2 kW + 0.12 kW all to air. Needed at 20 K: P / (rho cp dT), rho of dry air at 24 degC and
    the standard-atmosphere pressure at 100 m: p = 101325 (1 - 2.25577e-5 x 100)^5.2559, rho = p / (287.042 T)."""
    c = cooling(H)
    assert c.loops == []
    (ra,) = c.racks
    assert ra.liquid_w == 0 and ra.air_w == pytest.approx(4 * 10200 + 120)
    p = 101325 * (1 - 2.25577e-5 * 100) ** 5.2559
    rho = p / (287.042 * (24 + 273.15))
    assert ra.needed == pytest.approx(40920 / (rho * 1006 * 20), rel=1e-9)
    cfm = 0.3048**3 / 60
    # 4 DGX at their published 1,100 CFM (80 % PWM) + the SN2201's fans
    assert ra.available == pytest.approx((4 * 1100 + 60) * cfm, rel=1e-12)
    dgx = next(d for d in ra.devices if d.mi.id == "node1")
    assert dgx.needed == pytest.approx(10200 / (rho * 1006 * 20), rel=1e-9) and dgx.needed < dgx.available
    assert ra.exhaust_c == pytest.approx(24 + 20, abs=1e-9)   # fans at the needed flow: inlet + allowed rise


def test_reference_and_numba_paths_agree(monkeypatch):
    from rackforge.lowering import cooling as low

    ref = cooling(G).loops[0]
    monkeypatch.setattr(low, "NUMBA_MIN_WORK", 0)
    nb = cooling(G).loops[0]
    assert ref.solver == "reference" and nb.solver == "numba"
    assert [b.flow for b in nb.branches] == pytest.approx([b.flow for b in ref.branches], rel=1e-7)
    for a, b in zip(nb.scenarios, ref.scenarios):
        assert a["scenario"] == b["scenario"]
        assert a["min_flow_ratio"] == pytest.approx(b["min_flow_ratio"], rel=1e-7)


def test_rear_door_takes_air_heat_off_the_room(write_design):
    d = load_seed("hgx-h100-air.yaml")
    door = {"catalog": "test-door", "parts": [{
        "pn": "TEST-RDHX", "kind": "rdhx", "name": "rear door", "source": "test fixture", "height": "0 RU",
        "capacity": "30 kW", "airflow": "4000 CFM", "water_flow": "60 L/min", "water_pressure_drop": "60 kPa",
        "max_pressure": "100 psi"}]}
    write_design(door, name="extra.json")
    d["catalogs"] = ["extra.json"]
    d["templates"]["h100-rack"]["mounts"].append({"id": "door", "part": "TEST-RDHX", "face": "rear"})
    (ra,) = cooling(write_design(d)).racks
    assert ra.rdhx_w == pytest.approx(30e3) and ra.room_w == pytest.approx(40920 - 30e3)


def test_analyze_json_has_a_cooling_section(capsys):
    from rackforge.cli.app import main

    with pytest.raises(SystemExit) as exc:
        main(["analyze", "--format", "json", G])
    assert exc.value.code in (0, None)
    text = capsys.readouterr().out
    assert "Infinity" not in text and "NaN" not in text
    cool = json.loads(text)["cooling"]
    (lp,) = cool["loops"]
    assert lp["heat_to_liquid_w"] == pytest.approx(99900)
    assert len(lp["branches"]) == 27 and lp["worst_scenario"]["scenario"] == "facility at class max"
    units = ("_w", "_c", "_k", "_pa", "_m3_s", "_m", "_kg_m3", "_j_kg_k", "_pa_s", "_share", "share", "_l_min_per_kw")
    for row in [lp, *lp["branches"], *cool["racks"]]:
        for k, v in row.items():
            if isinstance(v, float):
                assert k.endswith(units), k


def test_plate_curves_corrected_to_the_loop_coolant(gb200):
    """Catalog plates are measured with water at 25 degC (the default); the GB200 loop runs PG25. A single point
    is wholly quadratic, so the correction is the density ratio: b = 20 kPa / (1.8 L/min)^2 x rho_PG25 / rho_w."""
    from rackforge.lowering.coolants import coolant_props
    from rackforge.lowering.cooling import _plate_curve

    (lr,) = gb200.loops
    br = next(b for b in lr.branches if b.mi.id == "ct01")
    w = coolant_props("water", 25.0)
    a, b = _plate_curve(br.plates[0], lr.props)
    assert a == 0.0
    assert b == pytest.approx(20e3 / (1.8 * LPM) ** 2 * lr.props.rho / w.rho, rel=1e-12)
    assert lr.props.rho / w.rho > 1.01  # PG25 at the loop's ~40 degC is denser: the drop rises ~1.5 %


def test_distinct_parallel_plates_with_a_linear_term_are_split_exactly(gb200):
    """Give the GPU plate a laminar fraction of 0.7 (CPU plates stay quadratic): the four GPU and two CPU plates
    in parallel have no exact a q + b q^2 form, so the loop carries them as a parallel group; the branch's solved
    drop less its hose, disconnects and the group's exact drop (hand: common dp of 4 + 2 plates at the solved
    flow, by a root finder) must be zero."""
    import copy

    from scipy.optimize import brentq

    from rackforge.lowering.cooling import _build_network, _plates_curve
    from rackforge.solvers.hydraulics_ref import solve_ref

    (lr0,) = gb200.loops
    lr = copy.copy(lr0)
    lr.branches = [copy.copy(b) for b in lr0.branches]
    for br in lr.branches:
        br.plates = [copy.copy(p) for p in br.plates]
        for p in br.plates:
            if p.part is not None and p.part.pn == "CP-GPU-1K4":
                p.part = p.part.model_copy(update={"laminar_fraction": 0.7})
    props = lr0.props
    br = next(b for b in lr.branches if b.mi.id == "ct01")
    a, b, members = _plates_curve(br, props)
    assert a == b == 0.0 and len(members) == 2
    net = _build_network(lr, props)
    sol = solve_ref(net)
    assert sol.converged
    i = next(k for k, b in enumerate(lr.branches) if b.mi.id == "ct01")
    q = float(sol.branch_flow[i])
    (ag, bg), (ac, bc) = members
    # hand: the GPU group (4 plates) carries q_g, the CPU group (2 plates) q - q_g, at one drop
    def dp_g(x):
        return ag * x + bg * x * x

    def dp_c(x):
        return ac * x + bc * x * x

    qg = brentq(lambda x: dp_g(x) - dp_c(q - x), 0.0, q, xtol=1e-18, rtol=1e-15)
    k0, k1 = net.pg_ptr[i], net.pg_ptr[i + 1]
    from rackforge.solvers.hydraulic_network import group_pressure_drop

    dp_group, _ = group_pressure_drop(q, net.pg_a[k0:k1], net.pg_b[k0:k1])
    assert float(dp_group) == pytest.approx(dp_g(qg), rel=1e-10)


def test_flow_per_heat_and_static_head_in_the_output(gb200):
    """Flow per kW = pump flow / liquid heat, by hand; the bottom tray's gauge pressure exceeds the top one's by at
    least the static head between them (the supply header also loses pressure going up)."""
    (lr,) = gb200.loops
    assert lr.flow_per_heat == pytest.approx(lr.pump_flow / lr.heat_w, rel=1e-12)
    assert 1.25 <= lr.flow_per_heat * 6e7 <= 3.0
    lo = min(lr.branches, key=lambda b: b.position_m)
    hi = max(lr.branches, key=lambda b: b.position_m)
    head = lr.props.rho * 9.80665 * (hi.position_m - lo.position_m)
    assert lo.inlet_pressure - hi.inlet_pressure > head
    assert lr.tee_loss == "crane" and 0 < lr.flow_spread < 0.1
