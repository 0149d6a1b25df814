"""Design-level power tests: the lowered GB200 / H100 seeds against figures computed here by hand."""
import copy
import math

import numpy as np
import pytest

from rackforge.api import validate
from rackforge.engine import Context, Options, load_design
from tests.conftest import load_seed


def _ctx(path, **kw):
    return Context(load_design(str(path)), Options(**kw))


@pytest.fixture
def gb(write_design):
    return _ctx(write_design(load_seed("gb200-nvl72.json"))).power


def test_gb200_facility_input_balance(gb):
    # IT load at max by hand: 18 trays x 6.3 kW + 9 switch trays x 0.4 kW + 2 x 0.12 kW
    it = 18 * 6300 + 9 * 400 + 2 * 120
    t = gb.totals
    assert t["unserved_w"] == 0 and t["converged"]
    assert t["it_load_w"] == pytest.approx(it, rel=1e-9)
    assert t["facility_input_w"] == pytest.approx(t["it_load_w"] + t["busbar_loss_w"] + t["psu_loss_w"], abs=1e-6)
    # PSU loss is between the curve's best (97.5 %) and worst point in use (95.5 % at 20 % load)
    assert it * (1 / 0.975 - 1) < t["psu_loss_w"] < it * (1 / 0.955 - 1)
    assert 0 < t["busbar_loss_w"] < 0.001 * it


def test_energy_conserved_in_every_scenario(gb):
    assert gb.converged.all()
    assert np.abs(gb.conservation_w).max() < 1e-6 * gb.totals["facility_input_w"]


def test_feed_line_current_of_a_shelf_by_hand(gb):
    # Line current of feed A, phase a = sum over its PSUs on phase a of P_in / pf / V_LN (ORv3 PSUs line-to-neutral
    # at 415/240 V, all at the same phase angle, so magnitudes add).
    i = next(k for k, f in enumerate(gb.feeds) if f["name"] == "r01/A")
    vln = 415 / math.sqrt(3)
    on_a = [k for k, p in enumerate(gb.psus) if p["feed_name"] == "r01/A" and p["conn"] == ["a"]]
    assert len(on_a) == 4 * 2                                # 4 shelves on A, 6 PSUs each over a, b, c
    hand = sum(gb.psu_p_in_w[0, k] for k in on_a) / 0.99 / vln
    assert gb.feed_line_a[0, i, 0] == pytest.approx(hand, rel=1e-9)
    # and the whole feed: half the rack's input, balanced: P / (sqrt(3) V_LL pf)
    p_a = sum(gb.psu_p_in_w[0, k] for k, p in enumerate(gb.psus) if p["feed_name"] == "r01/A")
    assert gb.feed_i_a[0, i] == pytest.approx(p_a / (math.sqrt(3) * 415 * 0.99), rel=1e-9)


def test_one_psu_too_few_fails_redundancy_and_names_the_scenario(write_design):
    d = load_seed("gb200-nvl72.json")
    # upper segment: ps1 (A), ps2 (B), ps3 (A); ps4 (B) removed. Losing source UPS-A leaves ps2 alone:
    # 6 x 5.5 kW = 33 kW for the segment's 10 x 6.3 + 2 x 0.12 = 63.24 kW
    d["templates"]["nvl72"]["mounts"] = [m for m in d["templates"]["nvl72"]["mounts"] if m["id"] != "ps4"]
    res = validate(str(write_design(d)), Options(select=("RF202", "RF203")))
    msgs = [f.message for f in res.findings]
    assert any("source UPS-A" in m for m in msgs), msgs
    assert all(f.requirement in ("power.psu_redundancy", "power.feed_redundancy") for f in res.findings)


def _dgx_dc_load_by_hand():
    """DC load [W] of a DGX H100 whose 10.2 kW max is AC input (basis ac_input) on 6 x 3.3 kW PSUs.

    P_dc = 10200 x eta(x), x = P_dc / 19800, eta on the PSU-3K3-AC curve between (0.2, 0.94) and (0.5, 0.96):
    eta(x) = 0.94 + (x - 0.2) x 0.02 / 0.3, so P_dc (1 - 10200 x 0.02 / (0.3 x 19800)) = 10200 (0.94 - 0.2 x
    0.02 / 0.3) -> P_dc = 9788.159 W, x = 0.49435 (inside the segment), eta = 0.959623."""
    slope = 0.02 / 0.3
    p_dc = 10200 * (0.94 - 0.2 * slope) / (1 - 10200 * slope / 19800)
    assert 0.2 < p_dc / 19800 < 0.5
    return p_dc


def test_dgx_wall_input_at_max_equals_the_vendor_figure(write_design):
    # NVIDIA: DGX H100 10.2 kW max at 200-240 V AC, an AC input figure. The modelled wall input (sum of the six
    # PSUs' AC input) equals it; tolerance 1e-9 relative covers the DC Newton solve (rtol 1e-12) and the
    # bisection of the DC load (1e-13). Before the basis existed, PSU losses were added on top: 10,631.7 W.
    pa = _ctx(write_design(load_seed("hgx-h100-air.yaml"))).power
    rows = [r for r in pa.to_json()["servers"] if r["part"] == "DGX-H100"]
    assert len(rows) == 4
    for r in rows:
        assert r["power_basis"] == "ac_input" and r["power_figure_w"] == 10200
        assert r["input_w"] == pytest.approx(10200, rel=1e-9)
        assert r["output_w"] == pytest.approx(_dgx_dc_load_by_hand(), rel=1e-9)
        # (the JSON rounds to 6 decimals)
        assert r["efficiency"] == pytest.approx(0.94 + (_dgx_dc_load_by_hand() / 19800 - 0.2) * 0.02 / 0.3,
                                                abs=1e-6)
    # the rack: 4 x 10.2 kW + 120 W management switch (AC input, no PSUs modelled: efficiency 1)
    assert pa.totals["facility_input_w"] == pytest.approx(4 * 10200 + 120, rel=1e-9)


def test_explicit_dc_output_basis_adds_psu_losses_on_top(write_design, tmp_path):
    # the same server with its figure declared as DC output: the PSUs carry 10.2 kW and the wall sees more,
    # 10200 / eta(10200 / 19800 = 0.51515) = 10200 / (0.96 - 0.01515 x 0.02 / 0.5) = 10631.71 W
    import yaml

    from pathlib import Path

    cat = yaml.safe_load((Path(__file__).parents[1] / "catalogs/parts/hgx-h100.yaml").read_text())
    dgx = next(p for p in cat["parts"] if p["pn"] == "DGX-H100")
    dgx["pn"] = "DGX-H100-DCFIG"
    dgx["power"]["basis"] = "dc_output"
    (tmp_path / "dc.yaml").write_text(yaml.safe_dump({"catalog": "test", "parts": [dgx]}))
    d = load_seed("hgx-h100-air.yaml")
    d["catalogs"] = ["dc.yaml"]  # beside the design (write_design writes into tmp_path)
    for m in d["templates"]["h100-rack"]["mounts"]:
        if m["part"] == "DGX-H100":
            m["part"] = "DGX-H100-DCFIG"
    pa = _ctx(write_design(d)).power
    r = next(r for r in pa.to_json()["servers"] if r["name"] == "node1")
    x = 10200 / 19800
    assert r["output_w"] == pytest.approx(10200, rel=1e-9)
    assert r["input_w"] == pytest.approx(10200 / (0.96 + (x - 0.5) * (0.94 - 0.96) / 0.5), rel=1e-9)


def test_server_psus_on_feed_loss(write_design):
    # DGX H100 on two PDUs: a PDU lost leaves 3 x 3.3 kW for its DC load (10.2 kW AC input at max with all six
    # PSUs -> 9,788.16 W DC, see _dgx_dc_load_by_hand) -> each PSU at 9788.16 / 9900 = 98.9 %
    d = load_seed("hgx-h100-air.yaml")
    for m in d["templates"]["h100-rack"]["mounts"]:
        if m["part"] == "DGX-H100":
            m["feeds"] = ["pdu-a", "pdu-b"]
    pa = _ctx(write_design(copy.deepcopy(d))).power
    s = pa.labels.index("r01: PDU pdu-a")
    lf = [pa.psu_lf[s, k] for k, p in enumerate(pa.psus) if p["name"].startswith("node1/")]
    live = [x for x in lf if x > 0]
    assert len(live) == 3
    # droop-shared equally; the load fraction is P_out / P_rated at the solved internal bus voltage
    assert sum(live) * 3300 == pytest.approx(_dgx_dc_load_by_hand(), rel=1e-9)


def test_reference_and_numba_paths_agree(write_design):
    ctx = _ctx(write_design(load_seed("gb200-nvl72.json")))
    from rackforge.lowering.power import analyze

    ref, nb = analyze(ctx, force_path="reference"), analyze(ctx, force_path="numba")
    assert nb.path == "numba" and ref.path == "reference"
    for name in ("psu_lf", "seg_loading", "feed_loading", "load_v", "unserved_w"):
        a, b = getattr(ref, name), getattr(nb, name)
        assert np.allclose(a, b, rtol=1e-9, atol=1e-9), name


def test_many_designs_hint_takes_the_numba_path_with_the_same_answer(write_design):
    # rackforge.engine.expect_designs: at NUMBA_MIN_DESIGNS designs every power (and cooling) analysis
    # goes to numba; the answer is the reference path's to the solvers' agreement (1e-9)
    from rackforge import engine

    path = write_design(load_seed("gb200-nvl72.json"))
    ref = _ctx(path)
    assert not ref.prefer_numba and ref.power.path == "reference" and ref.cooling.loops[0].solver == "reference"
    prev = engine.expect_designs(engine.NUMBA_MIN_DESIGNS)
    try:
        nb = _ctx(path)
    finally:
        assert engine.expect_designs(prev) == engine.NUMBA_MIN_DESIGNS
    assert nb.prefer_numba and nb.power.path == "numba" and nb.cooling.loops[0].solver == "numba"
    for name in ("psu_lf", "seg_loading", "feed_loading", "load_v", "unserved_w"):
        assert np.allclose(getattr(ref.power, name), getattr(nb.power, name), rtol=1e-9, atol=1e-9), name
    assert [b.flow for b in nb.cooling.loops[0].branches] == pytest.approx(
        [b.flow for b in ref.cooling.loops[0].branches], rel=1e-7)
    assert not _ctx(path).prefer_numba  # the hint was restored


def test_validate_command_sets_the_hint_for_its_files_and_restores_it(write_design, monkeypatch):
    from rackforge import engine
    from rackforge.cli.app import main
    from rackforge.lowering import power

    seen = []
    orig = power.analyze

    def spy(ctx, force_path=None):
        seen.append(ctx.prefer_numba)
        return orig(ctx, force_path)

    monkeypatch.setattr(power, "analyze", spy)
    monkeypatch.setattr(engine, "NUMBA_MIN_DESIGNS", 2)
    a = write_design(load_seed("vr-nvl72.yaml"))
    b = write_design(load_seed("vr-nvl72.yaml"))
    for files, want in (([a], [False]), ([a, b], [True, True])):
        seen.clear()
        with pytest.raises(SystemExit) as exc:
            main(["validate", "-f", "concise", *map(str, files)])
        assert exc.value.code == 0 and seen == want
        assert engine._expected_designs == 1


def test_psu_no_load_loss_in_an_ac_rated_server_at_idle(write_design, tmp_path):
    # DGX H100 at idle (2.5 kW AC input) on six test PSUs whose curve starts at 20 % load, with 30 W no-load
    # input each. The server runs at x ~ 0.115 < 0.2, where the pool's input is
    # W(D) = D + 180 + (L0 - 180) x / 0.2, L0 = 0.2 x 19800 x (1 / 0.94 - 1) = 252.766 W, x = D / 19800.
    # The AC figure is still the wall input: W(D) = 2500 -> D (1 + (L0 - 180) / 3960) = 2320 -> D = 2278.14 W.
    import yaml

    (tmp_path / "idle.yaml").write_text(yaml.safe_dump({"catalog": "test-idle", "parts": [{
        "pn": "TEST-PSU-IDLE", "kind": "psu", "name": "3.3 kW PSU with a no-load input", "source": "test fixture",
        "rating": "3.3 kW", "input": {"type": "ac", "voltage_min": "200 V", "voltage_max": "240 V", "phases": 1},
        "output_voltage": "54 V", "droop": "0.005 ohm", "current_limit": "66 A", "no_load_loss": "30 W",
        "efficiency": [{"load": 0.2, "efficiency": 0.94}, {"load": 0.5, "efficiency": 0.96},
                       {"load": 1.0, "efficiency": 0.94}]}]}))
    d = load_seed("hgx-h100-air.yaml")
    d["catalogs"] = ["idle.yaml"]
    d["operating_point"] = "idle"
    for m in d["templates"]["h100-rack"]["mounts"]:
        if m["part"] == "DGX-H100":
            m["psus"] = {"part": "TEST-PSU-IDLE", "count": 6}
    pa = _ctx(write_design(d)).power
    l0 = 0.2 * 19800 * (1 / 0.94 - 1)
    d_hand = 2320 / (1 + (l0 - 180) / 3960)
    assert d_hand / 19800 < 0.2
    for r in (r for r in pa.to_json()["servers"] if r["part"] == "DGX-H100"):
        assert r["input_w"] == pytest.approx(2500, rel=1e-9)
        assert r["output_w"] == pytest.approx(d_hand, rel=1e-9)
    assert np.abs(pa.conservation_w).max() < 1e-6 * pa.totals["facility_input_w"]
