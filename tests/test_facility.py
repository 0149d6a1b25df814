"""The hall level: facility power chain and facility water against hand calculations (written out here)."""
import math

import numpy as np
import pytest

from rackforge.solvers.facility import (
    K_BUSWAY, K_SOURCE, K_TRANSFORMER, K_UPS, busway_run, chain_flow, transformer_losses, ups_input_power,
    ups_runtime_s,
)
from tests.conftest import ROOT

BLOCK = str(ROOT / "seeds" / "hall" / "gb200-hall-block.yaml")
HALL = str(ROOT / "seeds" / "hall" / "gb200-hall.yaml")


def test_transformer_losses_by_hand():
    # 3,000 kVA, P0 2.5 kW, Pk 27 kW, at half load: 2,500 + 27,000 x 0.5^2 = 9,250 W
    assert transformer_losses(1.5e6, 3.0e6, 2500.0, 27000.0) == pytest.approx(9250.0, rel=1e-12)
    # no load: the core loss only
    assert transformer_losses(0.0, 3.0e6, 2500.0, 27000.0) == pytest.approx(2500.0, rel=1e-12)


def test_busway_run_against_segment_sum():
    # eight taps 0.6 m apart after a 5 m lead-in, 0.03 mOhm/m per phase; sum the segments one by one
    n, p, l0, r = 8, 0.6, 5.0, 3e-5
    r_loss, r_drop = busway_run(n, p, l0, r)
    i = 1000.0
    loss = 3 * i**2 * r * l0 + sum(3 * (i * k / n) ** 2 * r * p for k in range(1, n + 1))
    drop = math.sqrt(3) * (i * r * l0 + sum(i * k / n * r * p for k in range(1, n + 1)))
    assert 3 * i**2 * r_loss == pytest.approx(loss, rel=1e-12)
    assert math.sqrt(3) * i * r_drop == pytest.approx(drop, rel=1e-12)
    # closed forms: (n+1)(2n+1)/(6n) = 9 x 17 / 48 = 3.1875 pitches; (n+1)/2 = 4.5 pitches
    assert r_loss == pytest.approx(r * (5 + 0.6 * 3.1875), rel=1e-12)
    assert r_drop == pytest.approx(r * (5 + 0.6 * 4.5), rel=1e-12)


def test_ups_efficiency_and_runtime():
    x, e = np.array([0.25, 0.5, 0.75, 1.0]), np.array([0.955, 0.968, 0.970, 0.968])
    # 1.25 MW on 2.5 MW is 50 %: 1.25e6 / 0.968
    assert ups_input_power(1.25e6, 2.5e6, x, e) == pytest.approx(1.25e6 / 0.968, rel=1e-12)
    # 62.5 %: halfway between 0.968 and 0.970
    assert ups_input_power(1.5625e6, 2.5e6, x, e) == pytest.approx(1.5625e6 / 0.969, rel=1e-12)
    # 5 min at 2.5 MW, load 1 MW: 300 x 2.5 = 750 s; no load: infinite
    assert ups_runtime_s(300.0, 2.5e6, np.array([1e6, 0.0])).tolist() == [750.0, math.inf]


def _two_path_chain():
    """MV source -> transformer -> two UPS in parallel paths -> one busway each; one rack group of 100 kW on both.

    Elements: 0 source, 1 transformer, 2 UPS-A, 3 UPS-B, 4 busway A (from 2), 5 busway B (from 3)."""
    up_ptr = np.array([0, 0, 1, 2, 3, 4, 5])
    up_idx = np.array([0, 1, 1, 2, 3])
    kind = np.array([K_SOURCE, K_TRANSFORMER, K_UPS, K_UPS, K_BUSWAY, K_BUSWAY])
    E = 6
    tx_p0, tx_pk, tx_sr = np.zeros(E), np.zeros(E), np.ones(E)
    tx_p0[1], tx_pk[1], tx_sr[1] = 1000.0, 10000.0, 1e6
    ups = np.ones(E)
    ups[2] = ups[3] = 500e3
    eff_ptr = np.array([0, 0, 0, 2, 4, 4, 4])
    eff_x = np.array([0.0, 1.0, 0.0, 1.0])
    eff_y = np.array([0.95, 0.95, 0.95, 0.95])
    fixed = np.ones(E)
    bus_r, bus_v = np.zeros(E), np.ones(E)
    bus_r[4] = bus_r[5] = 1e-3
    bus_v[4] = bus_v[5] = 400.0
    return (up_ptr, up_idx, kind, 1.0, tx_p0, tx_pk, tx_sr, ups, eff_ptr, eff_x, eff_y, fixed, bus_r, bus_v,
            np.array([100e3]), np.array([0, 2]), np.array([4, 5]), np.array([0.5, 0.5]))


def test_chain_flow_by_hand():
    args = _two_path_chain()
    failed = np.zeros((3, 6), bool)
    failed[1, 2] = True     # UPS-A lost
    failed[2, 1] = True     # the transformer lost: everything dark
    res = chain_flow(failed, *args)
    # base: each busway delivers 50 kW; loss R P^2 / (V pf)^2 = 1e-3 x (50e3 / 400)^2 = 15.625 W
    bw = 50e3 + 1e-3 * (50e3 / 400.0) ** 2
    ups_in = bw / 0.95
    # transformer: 2 x ups_in through it at pf 1: S = P; losses 1,000 + 10,000 x (S / 1 MVA)^2
    s = 2 * ups_in
    tx_in = s + 1000.0 + 10000.0 * (s / 1e6) ** 2
    assert res["p_in_w"][0, 4] == pytest.approx(bw, rel=1e-12)
    assert res["p_in_w"][0, 2] == pytest.approx(ups_in, rel=1e-12)
    assert res["p_in_w"][0, 0] == pytest.approx(tx_in, rel=1e-12)
    # UPS-A lost: busway B carries 100 kW (loss 1e-3 x 250^2 = 62.5 W), UPS-A and busway A nothing
    bw1 = 100e3 + 62.5
    s1 = bw1 / 0.95
    assert res["p_in_w"][1, 5] == pytest.approx(bw1, rel=1e-12)
    assert res["p_in_w"][1, 2] == 0.0 and res["p_in_w"][1, 4] == 0.0
    assert res["p_in_w"][1, 0] == pytest.approx(s1 + 1000.0 + 10000.0 * (s1 / 1e6) ** 2, rel=1e-12)
    assert res["dropped_w"].tolist() == [0.0, 0.0, 100e3]


@pytest.fixture(scope="module")
def block_ctx():
    from rackforge.engine import Context, Options, load_design

    return Context(load_design(BLOCK), Options())


def test_block_ups_loads_by_hand(block_ctx):
    """12 racks; rack input P_r from the rack power model (~120.7 kW), half per feed. Each UPS of the block feeds
    three busway runs of two racks on one feed: 6 x P_r / 2 plus the runs' copper loss. Losing a partner UPS adds
    the two racks of their shared run on its other feed: + 2 x P_r / 2."""
    fa = block_ctx.facility_power
    pr = block_ctx.power.rack_totals[0]["facility_input_w"]
    ids = [e.id for e in fa.elems]
    u1 = ids.index("UPS01-1")
    assert fa.base_p_out[u1] == pytest.approx(3 * pr, rel=1e-3)
    assert fa.single_max_out[u1] == pytest.approx(4 * pr, rel=1e-3)
    # busway copper: the run carries its two racks' feed-A input, P = 2 x P_A, at 415 V, pf 0.99, over
    # R = 0.03 mOhm/m x (5 m + 0.6 m x (n+1)(2n+1)/(6n)) with n = 2: 5 + 0.6 x 3 x 5 / 12
    pa_ = next(f["p_in_w"] for f in block_ctx.power.feeds if f["name"].endswith("/A"))
    r = 3e-5 * (5 + 0.6 * 3 * 5 / 12)
    i = 2 * pa_ / (math.sqrt(3) * 415 * 0.99)
    bw = ids.index("B01a/A/bw1")
    assert fa.base_p_in[bw] - fa.base_p_out[bw] == pytest.approx(3 * i * i * r, rel=1e-9)
    # the breakdown adds up: grid = racks' input + conversion losses; PUE = (grid + cooling) / racks' input
    b = fa.breakdown
    assert b["grid_input_w"] == pytest.approx(b["it_equipment_input_w"] + b["facility_conversion_loss_w"], rel=1e-12)
    assert b["facility_conversion_loss_w"] == pytest.approx(
        b["transformer_loss_w"] + b["ups_loss_w"] + b["switchgear_loss_w"] + b["busway_loss_w"], rel=1e-9)
    assert b["pue"] == pytest.approx((b["grid_input_w"] + b["cooling_power_w"]) / b["it_equipment_input_w"], rel=1e-12)
    # no single loss drops a rack in the DR 4-to-make-3 block
    assert fa.single_drops == []


BLOCK_2N = str(ROOT / "seeds" / "hall" / "gb200-hall-block-2n.yaml")


def test_2n_block_seed_by_hand():
    """The 2N block seed: 12 racks, feed A of every rack on side A (MV-A, TX-A, SWGR-A, UPS-A), feed B on side B.
    Normal: each UPS delivers the 12 racks' input on its feed (P_A or P_B of the rack model, about half of P_r each)
    plus its six busway runs' copper; any single loss on one side moves the whole block to the other side (12 x P_r). No single loss drops a
    rack; the seed is clean."""
    from rackforge.api import validate
    from rackforge.engine import Context, Options, load_design
    from rackforge.model.findings import Severity

    res = validate(BLOCK_2N)
    assert [f"{f.code} {f.message}" for f in res.findings if f.severity >= Severity.WARNING] == []
    ctx = Context(load_design(BLOCK_2N), Options())
    fa = ctx.facility_power
    pr = ctx.power.rack_totals[0]["facility_input_w"]
    ids = [e.id for e in fa.elems]
    for side in ("A", "B"):
        u = ids.index(f"UPS-{side}")
        p_side = next(f["p_in_w"] for f in ctx.power.feeds if f["name"].endswith(f"/{side}"))
        runs = [k for k, e in enumerate(fa.elems) if e.id.endswith(tuple(f"/{side}/bw{j}" for j in (1, 2, 3)))]
        assert len(runs) == 6
        copper = sum(fa.base_p_in[k] - fa.base_p_out[k] for k in runs)
        assert fa.base_p_out[u] == pytest.approx(12 * p_side + copper, rel=1e-9)
        assert fa.single_max_out[u] == pytest.approx(12 * pr, rel=2e-3)   # + the runs' copper at double current
    assert fa.single_drops == []
    assert fa.breakdown["it_equipment_input_w"] == pytest.approx(12 * pr, rel=1e-9)


def _colebrook(re, rel):
    from scipy.optimize import brentq

    if re < 2300:
        return 64.0 / re
    return brentq(lambda f: 1 / math.sqrt(f) + 2 * math.log10(rel / 3.7 + 2.51 / (re * math.sqrt(f))), 1e-4, 1.0)


def test_one_rack_loop_against_scalar_balance():
    """A loop of one row of one rack: the pump curve meets the sum of the HX, two main pipes, two header segments,
    the hose and the rack, solved here as one scalar equation with the Colebrook friction factor (the solver uses
    Churchill; they agree within ~1 % in the turbulent range)."""
    from scipy.optimize import brentq

    from rackforge.lowering.facility_water import RackHydraulics, solve_loop
    from rackforge.model.catalog import default_catalog
    from rackforge.model.schema.facility import WaterLoop
    from rackforge.solvers.hydraulic_network import fit_pump_curve

    cdu = default_catalog().get("CDU-FAC-2MW")
    spec = WaterLoop.model_validate({
        "id": "L", "cdu": "CDU-FAC-2MW", "cdus": 1, "redundant": 0, "coolant": "water", "rows": ["R"],
        "header": {"diameter": "50 mm"}, "main": {"diameter": "80 mm", "length": "20 m"},
        "rack_connection": {"diameter": "40 mm", "length": "6 m", "k": 6}})
    rho, mu = 995.0, 7.2e-4
    b_rack = 4.0e9   # ~100 kPa at 5 L/s
    rh = RackHydraulics("r", 1e5, 0.0, b_rack, 5e-3, b_rack * 25e-6, 4e-3, b_rack * 16e-6)
    sol = solve_loop([[rh]], spec, cdu, 1, 0.6, 2.4, rho, mu, [0])
    pts = cdu.pumps.curve
    c = fit_pump_curve([float(p.flow) for p in pts], [float(p.pressure) for p in pts])
    hx_b = float(cdu.hx_pressure_drop[0].pressure) / float(cdu.hx_pressure_drop[0].flow) ** 2

    def pipe(q, d, length, k, eps):
        v = q / (math.pi * d * d / 4)
        f = _colebrook(rho * v * d / mu, eps / d)
        return (f * length / d + k) * rho * v * v / 2

    def residual(q):
        rise = c[0] + c[1] * q + c[2] * q * q
        drop = hx_b * q * q + 2 * pipe(q, 0.08, 20.0, 0, 4.5e-5) + 2 * pipe(q, 0.05, 0.6, 0, 4.5e-5) \
            + pipe(q, 0.04, 6.0, 6.0, 1.5e-6) + b_rack * q * q
        return rise - drop

    q = brentq(residual, 1e-5, 0.2)
    assert sol.converged
    assert sol.pump_flow == pytest.approx(q, rel=1e-2)
    assert sol.flows[0] == pytest.approx(sol.pump_flow, rel=1e-6)   # the two levels agree to ITER_TOL
    assert sol.dps[0] == pytest.approx(b_rack * sol.flows[0] ** 2, rel=1e-12)


def test_block_water_by_hand(block_ctx):
    fw = block_ctx.facility_water
    assert not fw.problems
    lr = fw.loops[0]
    # 12 racks x 99.9 kW to liquid (the rack model's plate heat)
    assert lr.heat_w == pytest.approx(12 * 99_900.0, rel=1e-9)
    # TCS supply: 30 degC + 5 K x 1.1988 MW / 4 MW = 31.4985 degC; one of two CDUs lost: 30 + 5 x 1.1988 / 2
    assert lr.base.t_supply_c == pytest.approx(30 + 5 * 1.1988 / 4, abs=1e-9)
    assert lr.lost.t_supply_c == pytest.approx(30 + 5 * 1.1988 / 2, abs=1e-9)
    # mass conservation: the rows' rack flows add up to the pump flow
    assert lr.base.flows.sum() == pytest.approx(lr.base.pump_flow, rel=1e-6)
    # energy balance: return - supply = heat / (rho cp Q)
    from rackforge.lowering.coolants import coolant_props

    p = coolant_props("pg25", 30 + 5 + 5)
    assert lr.base.t_return_c - lr.base.t_supply_c == pytest.approx(
        lr.heat_w / (p.rho * p.cp * lr.base.pump_flow), rel=1e-9)
    # cooling power: 2 CDUs x 1 running pump x 45 kW, plus dry coolers at 40 kW per 2.5 MW of (heat + pumps)
    assert fw.cooling_power_w == pytest.approx(90e3 + 40e3 * (lr.heat_w + 90e3) / 2.5e6, rel=1e-9)


def test_block_cold_plates_at_hall_water_by_scaling_law(block_ctx):
    """RF357's figures against a law derived by hand. The GB200 tray's plates are in parallel: each sees the supply
    temperature, and its case sits ``P R(q_p)`` above it with ``R ~ q_p^-0.5`` (RTH_FLOW_EXPONENT, Dittus-Boelter-
    like, Incropera eq. 8.60). With every branch flow scaled by ``s`` (the plate shares unchanged), a case that is
    ``dT`` above the rack model's supply is ``dT / sqrt(s)`` above the hall's: ``T' = T_hall + (T - T_rack) /
    sqrt(s)``. The rack model's hottest plate is the hall's hottest plate (one law scales every plate)."""
    from rackforge.lowering.cooling import RTH_FLOW_EXPONENT

    assert RTH_FLOW_EXPONENT == 0.5
    fw = block_ctx.facility_water
    (rack_loop,) = block_ctx.cooling.loops
    t_case = [t for br in rack_loop.branches for t in br.plate_t_case]
    t_max = max(t_case)
    lr = fw.loops[0]
    for sol in (lr.base, lr.lost):
        (pl,) = lr.plates(sol)                    # one rack definition on the loop
        # the least-fed rack: the least flow (all racks are alike, so flow / Q_op orders them as flow does)
        i = int(np.argmin(sol.flows))
        assert pl["rack"] == lr.racks[i].id
        s = sol.flows[i] / rack_loop.pump_flow
        assert pl["flow_scale"] == pytest.approx(s, rel=1e-12)
        want = sol.t_supply_c + (t_max - rack_loop.t_supply_c) / math.sqrt(s)
        assert pl["case_temperature_c"] == pytest.approx(want, abs=1e-6)
        assert pl["margin_k"] == pytest.approx(85.0 - want, abs=1e-6)     # CP-GPU-1K4: 85 degC maximum
    # with a CDU lost the supply is warmer (30 + 5 x 1.1988/2 against /4) and the least-fed rack gets less flow
    assert lr.plates(lr.lost)[0]["case_temperature_c"] > lr.plates(lr.base)[0]["case_temperature_c"]


def test_identical_loops_name_their_own_racks():
    """Identical loops are solved once and share the solution; RF357's figures must still name a rack of each loop
    (the full hall seed: four identical TCS loops, each on its own block's rows)."""
    from rackforge.engine import Context, Options, load_design

    fw = Context(load_design(str(ROOT / "seeds" / "hall" / "gb200-hall-full.yaml")), Options()).facility_water
    assert len(fw.loops) >= 2 and fw.loops[0].base is fw.loops[1].base      # one solution, shared
    for lr in fw.loops:
        own = {r.id for r in lr.racks}
        for sol in (lr.base, lr.lost):
            assert all(p["rack"] in own for p in lr.plates(sol))
    a, b = (lr.plates(lr.base)[0] for lr in fw.loops[:2])
    assert a["rack"] != b["rack"] and a["case_temperature_c"] == b["case_temperature_c"]


def test_bad_facility_input_is_a_finding_not_a_traceback(write_design):
    import yaml

    from rackforge.api import validate

    d = yaml.safe_load(open(BLOCK))
    d["facility"]["power"]["elements"][0]["id"] = "TX{q}"        # unknown repeat name
    d["facility"]["power"]["elements"][1]["part"] = "BUSWAY-2000A-415V"   # wrong kind
    res = validate(str(write_design(d)))
    codes = {(f.code, f.pointer) for f in res.findings}
    assert ("RF250", "/facility/power/elements/0/id") in codes
    assert ("RF250", "/facility/power/elements/1/part") in codes
    assert all(f.line and f.col for f in res.findings)


def test_supply_out_of_the_coolants_range_is_a_finding(write_design):
    """A 300 degC facility supply (a fuzz mutant): PG25's property data end at 100 degC, so the loop cannot be
    solved; RF350 says so at the supply temperature (it was an internal error from the power chain's rule, which
    reads the cooling power), and RF354 that it is above W32."""
    import yaml

    from rackforge.api import validate

    d = yaml.safe_load(open(BLOCK))
    d["facility"]["water"]["supply_temperature"] = "300 degC"
    res = validate(str(write_design(d)))
    codes = {(f.code, f.pointer) for f in res.findings}
    assert ("RF350", "/facility/water/supply_temperature") in codes
    assert ("RF354", "/facility/water/supply_temperature") in codes
    assert not [f for f in res.findings if f.code.startswith("RF9")]


def test_absurd_pipe_sizes(write_design):
    """Fuzz mutants: a 2 km main, a 1.5 km header or a 0.1 mm main made the loop solver divide by zero (an internal
    error). Pipe diameters are bounded on load (5 mm to 3 m, hoses 1 mm to 0.5 m); a 5 mm header starves the racks,
    and RF357 says how little flow the rack gets instead of printing a case temperature of millions of degrees."""
    import yaml

    from rackforge.api import validate

    for field, value in (("main", "2e+06 mm"), ("header", "1.5 km"), ("rack_connection", "0.6 m"),
                         ("main", "0.1 mm"), ("rack_connection", "0.5 mm")):
        d = yaml.safe_load(open(BLOCK))
        d["facility"]["water"]["loops"][0][field]["diameter"] = value
        res = validate(str(write_design(d)))
        hits = [f for f in res.findings if f.code == "RF001"]
        assert [f.pointer for f in hits] == [f"/facility/water/loops/0/{field}/diameter"], res.findings
        assert "must be at most" in hits[0].message or "must be at least" in hits[0].message
    d = yaml.safe_load(open(BLOCK))
    d["facility"]["water"]["loops"][0]["header"]["diameter"] = "5 mm"
    res = validate(str(write_design(d)))
    (f357,) = [f for f in res.findings if f.code == "RF357"]
    assert "of its own loop's flow from its row header" in f357.message and "degC" not in f357.message
    assert any(f.code == "RF351" for f in res.findings)


def test_hall_seed_is_clean():
    """The 1,056-rack hall validates clean (kept out of the per-seed matrix: it takes tens of seconds)."""
    from rackforge.api import validate
    from rackforge.model.findings import Severity

    res = validate(HALL)
    assert [f"{f.code} {f.message}" for f in res.findings if f.severity >= Severity.WARNING] == []


def test_render_oneline_and_water(tmp_path):
    import xml.etree.ElementTree as ET

    from rackforge.cli.app import main

    def run(args):
        try:
            main(args)
        except SystemExit as exc:
            return exc.code or 0
        return 0

    out = tmp_path / "one.svg"
    assert run(["render", "--view", "oneline", BLOCK, "-o", str(out)]) == 0
    root = ET.parse(out).getroot()
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for name in ("MV-A", "TX01-1", "SWGR01-4", "UPS01-3", "B01b/B/bw3", "row B01a: 6 racks"):
        assert name in texts
    out2 = tmp_path / "water.svg"
    assert run(["render", "--view", "water", BLOCK, "-o", str(out2)]) == 0
    texts = " ".join(t.text or "" for t in ET.parse(out2).getroot().iter("{http://www.w3.org/2000/svg}text"))
    assert "2 x CDU-FAC-2MW" in texts and "Worst-placed rack" in texts
    # a row that does not exist is a usage error (exit 2), not a traceback
    assert run(["render", "--view", "oneline", "--rack", "NOPE", BLOCK]) == 2


def test_transfer_switch_takes_the_alternate():
    """Block redundant in miniature: source -> UPS-1 and reserve UPS-R; an STS from [UPS-1, UPS-R] feeds a busway
    with one 100 kW single-corded group. Base: UPS-1 carries it, UPS-R idles. UPS-1 lost: UPS-R carries it.
    The STS lost: the group is dropped."""
    from rackforge.solvers.facility import K_FIXED

    # 0 source, 1 UPS-1, 2 UPS-R, 3 STS (from 1, then 2), 4 busway (from 3)
    up_ptr = np.array([0, 0, 1, 2, 4, 5])
    up_idx = np.array([0, 0, 1, 2, 3])
    kind = np.array([K_SOURCE, K_UPS, K_UPS, K_FIXED, K_BUSWAY])
    E = 5
    ups = np.ones(E)
    ups[1] = ups[2] = 200e3
    eff_ptr = np.array([0, 0, 2, 4, 4, 4])
    eff_x, eff_y = np.array([0.0, 1.0, 0.0, 1.0]), np.array([0.96, 0.96, 0.96, 0.96])
    fixed = np.ones(E)
    fixed[3] = 0.99
    failed = np.zeros((3, E), bool)
    failed[1, 1] = True
    failed[2, 3] = True
    res = chain_flow(failed, up_ptr, up_idx, kind, 1.0, np.zeros(E), np.zeros(E), np.ones(E), ups, eff_ptr, eff_x,
                     eff_y, fixed, np.zeros(E), np.ones(E), np.array([100e3]), np.array([0, 1]), np.array([4]),
                     np.array([1.0]))
    sts_in = 100e3 / 0.99
    assert res["chosen"][:, 3].tolist() == [1, 2, -1]
    assert res["p_out_w"][0, 1] == pytest.approx(sts_in, rel=1e-12) and res["p_out_w"][0, 2] == 0.0
    assert res["p_out_w"][1, 2] == pytest.approx(sts_in, rel=1e-12)
    assert res["p_in_w"][1, 0] == pytest.approx(sts_in / 0.96, rel=1e-12)
    assert res["dropped_w"].tolist() == [0.0, 0.0, 100e3]


def test_numba_sweep_equals_numpy(block_ctx):
    """The numba outage kernel and the numpy chain_flow path give the same reductions (maintenance + fault too)."""
    from rackforge.lowering import facility_power as FP

    class Gen:   # the block asked for maintenance + fault: 400-odd pair scenarios
        def __getattr__(self, name):
            return getattr(block_ctx, name)

        def req(self, path):
            return "maintenance_plus_fault" if path == "facility.power_fault_tolerance" else block_ctx.req(path)

    a = FP.analyze(Gen(), force_path="numpy")
    b = FP.analyze(Gen(), force_path="numba")
    assert a.mf_scenarios > 100
    for k in ("single_worst", "single_max_out", "mf_worst", "base_loading"):
        np.testing.assert_allclose(getattr(a, k), getattr(b, k), rtol=1e-12, atol=1e-9)
    assert a.single_worst_label == b.single_worst_label
    assert a.mf_drops == b.mf_drops and a.single_drops == b.single_drops
    assert a.taps == b.taps


def test_air_cooled_rack_in_a_loop_row_stands_off_the_header(write_design):
    """An air-cooled rack (no liquid loop: a hall fabric's switch rack at the end of its SU's row) in a row of a
    facility loop is left off the row header: the loop is the block's, solved as without it (same heat, flows and
    temperatures); a row holding only air-cooled racks on a loop stays an error (RF350)."""
    import yaml

    from rackforge.api import validate
    from rackforge.engine import Context, Options, load_design

    d = yaml.safe_load(open(BLOCK))
    d["templates"]["air"] = {"frame": "EIA-48U-600x1200", "mounts": [
        {"id": "sw", "part": "SN2201-AC", "u": 20}]}
    d["rows"].insert(1, {"id": "B01a", "template": "air", "count": 1, "start_index": 6})
    p = write_design(d)
    ref = Context(load_design(BLOCK), Options()).facility_water
    got = Context(load_design(str(p)), Options()).facility_water
    assert not got.problems
    a, b = got.loops[0], ref.loops[0]
    assert [r.id for r in a.racks] == [r.id for r in b.racks]
    assert a.heat_w == b.heat_w
    assert np.array_equal(a.base.flows, b.base.flows) and a.base.t_supply_c == b.base.t_supply_c
    assert "RF350" not in {f.code for f in validate(str(p)).findings}
    # a loop row of air-cooled racks only
    d["rows"][1]["id"] = "B01c"
    d["facility"]["water"]["loops"][0]["rows"].append("B{k:02d}c")
    res = validate(str(write_design(d)))
    assert any(f.code == "RF350" and "has no liquid-cooled rack" in f.message for f in res.findings)
