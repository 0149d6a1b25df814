"""The DC power solvers (numba and numpy reference) against ngspice, an independent circuit simulator.

Each network is written as a SPICE netlist with the elements of rackforge.solvers.power_ref's model:

* busbar segment: a resistor;
* PSU (set-point ``E``, droop ``r``, ORing diode, current limit ``I_lim``): a behavioural current source
  ``B ... I = min(max((E - V(n)) / r, 0), I_lim)`` into its node, through a 0 V source that measures its
  current;
* constant-power load ``P`` (collapse voltage ``V_c``): a behavioural current source
  ``I = V >= V_c ? P / V : P V / V_c^2`` out of its node.

ngspice (``ngspice -b``, operating point) solves the same equations by its own modified nodal analysis and
Newton iteration. Its output (16 significant digits) is parsed and compared node by node.

Tolerance: node voltages and PSU currents within 1e-6 relative (the brief's bound). What it covers: ngspice's
convergence test (``reltol`` 1e-12, ``vntol`` 1e-12 V, ``abstol`` 1e-15 A set below), its ``gmin`` (1e-12 S
across nonlinear branches, ~5e-11 A at 50 V against currents of tens of amperes) and rackforge's Newton
stopping rule (KCL residual below 1e-12 of the network's current). The deviation measured on these networks
is far smaller (6.1e-13 at most with ngspice-39, printed by ``test_report_max_deviation``); 1e-6 catches any modelling
difference (a droop, limit, ORing or load-branch error moves a node by 1e-4 or more). A PSU that is off
(ORing-blocked) carries 0 A in both; its current is compared with an absolute floor of 1e-9 A.
"""
from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from rackforge.solvers.power import solve_power
from rackforge.solvers.power_ref import (
    CONN_AB,
    PSU_BLOCKED,
    PSU_CURRENT_LIMIT,
    PSU_REGULATING,
    PowerNetwork,
    solve_power_ref,
)

NGSPICE = shutil.which("ngspice")
pytestmark = pytest.mark.skipif(NGSPICE is None, reason="ngspice is not installed (.ci/run installs the Debian "
                                "package 'ngspice'; it could not be installed here)")
SOLVERS = pytest.mark.parametrize("solve", [solve_power, solve_power_ref], ids=["numba", "reference"])
REL = 1e-6


def network(n_node, segs, psus, loads, start=None):
    """One DC network. segs: [(a, b, R)], psus: [(node, E, r_droop, I_lim)], loads: [(node, P, V_c)].

    Every load's minimum voltage is its collapse voltage / 0.8 (rackforge.lowering.power's convention)."""
    return PowerNetwork(
        node_ptr=[0, n_node],
        seg_from=[s[0] for s in segs], seg_to=[s[1] for s in segs], seg_r_ohm=[s[2] for s in segs],
        seg_i_rated_a=[1e4] * len(segs),
        psu_node=[p[0] for p in psus], psu_v_set_v=[p[1] for p in psus], psu_r_droop_ohm=[p[2] for p in psus],
        psu_i_lim_a=[p[3] for p in psus], psu_p_rated_w=[p[3] * p[1] for p in psus], psu_curve=[0] * len(psus),
        psu_feed=[0] * len(psus), psu_conn=[CONN_AB] * len(psus), psu_shelf=[0] * len(psus),
        eff_ptr=[0, 1], eff_load_frac=[0.5], eff_eta=[0.96],
        load_node=[q[0] for q in loads], load_p_w=[q[1] for q in loads], load_v_min_v=[q[2] / 0.8 for q in loads],
        load_v_collapse_v=[q[2] for q in loads],
        feed_voltage_v=[415.0], feed_is_dc=[False], feed_pf=[1.0], feed_breaker_a=[1e4], feed_derating=[0.8],
        bbu_node=[], bbu_energy_j=[], bbu_p_rated_w=[],
    )


def netlist(n_node, segs, psus, loads, start) -> str:
    """The SPICE deck of :func:`network`'s circuit (node k is ``nk``; ground is the busbar return).

    ``start`` [V]: ngspice's initial guess (``.nodeset``) on every node, chosen by hand per case where most
    PSUs regulate (started above every set-point, or with every PSU limited, its Jacobian has no conductance
    to ground and the operating point fails). It is only where Newton starts: the answer is ngspice's own."""
    lines = ["* rackforge power network"]
    for k, (a, b, r) in enumerate(segs):
        lines.append(f"R{k} n{a} n{b} {r!r}")
    for k, (n, e, r, ilim) in enumerate(psus):
        # current source from ground into the internal node p{k}, then a 0 V ammeter into the bus node
        lines.append(f"B{k} 0 p{k} I = min(max(({e!r} - V(n{n})) / {r!r}, 0), {ilim!r})")
        lines.append(f"Vm{k} p{k} n{n} 0")
    for k, (n, p, vc) in enumerate(loads):
        lines.append(f"BL{k} n{n} 0 I = V(n{n}) >= {vc!r} ? {p!r} / V(n{n}) : {p!r} * V(n{n}) / ({vc!r} * {vc!r})")
    lines.append(".nodeset " + " ".join(f"V(n{k})={start!r}" for k in range(n_node)))
    lines.append(".options reltol=1e-12 vntol=1e-12 abstol=1e-15 itl1=500")
    lines.append(".op")
    lines.append(".control")
    lines.append("set numdgt=16")
    lines.append("run")
    lines.append("print " + " ".join(f"v(n{k})" for k in range(n_node)))
    lines.append("print " + " ".join(f"i(vm{k})" for k in range(len(psus))))
    lines.append(".endc")
    lines.append(".end")
    return "\n".join(lines) + "\n"


_NUM = r"([-+]?\d+\.?\d*(?:[eE][-+]?\d+)?)"


def run_ngspice(tmp_path, n_node, segs, psus, loads, start):
    """Node voltages [V] and PSU currents [A] from ``ngspice -b`` on the deck, parsed from its printout."""
    deck = tmp_path / "net.cir"
    deck.write_text(netlist(n_node, segs, psus, loads, start))
    out = subprocess.run([NGSPICE, "-b", str(deck)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "Error" not in out.stdout + out.stderr, out.stdout + out.stderr
    vals = {}
    for m in re.finditer(r"^\s*(v\(n\d+\)|i\(vm\d+\)|vm\d+#branch)\s*=\s*" + _NUM + r"\s*$", out.stdout,
                         re.MULTILINE | re.IGNORECASE):
        key = m.group(1).lower()
        if key.endswith("#branch"):
            key = f"i({key.split('#')[0]})"
        vals[key] = float(m.group(2))
    v = np.array([vals[f"v(n{k})"] for k in range(n_node)])
    i = np.array([vals[f"i(vm{k})"] for k in range(len(psus))])
    return v, i


# ---- the networks (SI units: ohm, V, A, W) -------------------------------------------------------------------
# A 10-tap busbar ladder: segments of 0.4-1.2 mOhm (a thin bar or long runs, so drops are ~1 %), three shelves'
# worth of PSUs at taps 0, 5 and 9 (set-points 50.0-50.3 V, droop 8.9 mOhm, limit 124 A: ORv3 HPR-class), loads
# of 2-7 kW at taps 1-8 (36.8 V collapse = 0.8 x 46 V).
LADDER = dict(
    n_node=10,
    segs=[(k, k + 1, r) for k, r in enumerate([4e-4, 6e-4, 8e-4, 1.2e-3, 5e-4, 7e-4, 9e-4, 1.0e-3, 4.5e-4])],
    psus=[(0, 50.0, 8.9e-3, 124.0), (0, 50.1, 8.9e-3, 124.0), (0, 50.05, 9.5e-3, 124.0),
          (5, 50.2, 8.9e-3, 124.0), (5, 50.3, 8.0e-3, 124.0), (5, 50.0, 8.9e-3, 124.0),
          (9, 49.9, 8.9e-3, 124.0), (9, 50.1, 1.0e-2, 124.0), (9, 50.0, 8.9e-3, 124.0)],
    loads=[(1, 5000.0, 36.8), (2, 7000.0, 36.8), (3, 2000.0, 36.8), (4, 6300.0, 36.8), (6, 4000.0, 36.8),
           (7, 6300.0, 36.8), (8, 3500.0, 36.8)],
    start=49.0,
)
# Four PSUs with different set-points and droops on one node; the 48 V one is below the bus: its ORing diode
# blocks it (0 A).
DROOP = dict(
    n_node=1, segs=[],
    psus=[(0, 50.0, 5e-3, 200.0), (0, 50.3, 1.2e-2, 200.0), (0, 49.6, 4e-3, 200.0), (0, 48.0, 5e-3, 200.0)],
    loads=[(0, 10000.0, 36.8)],
    start=49.5,
)
# A ring (mesh): two busbars joined at both ends, PSUs on two taps; the 51 V, 2 mOhm PSU would carry ~300 A and
# is held at its 100 A limit, the others take the rest.
RING = dict(
    n_node=4,
    segs=[(0, 1, 1e-3), (1, 2, 1.5e-3), (2, 3, 8e-4), (3, 0, 1.2e-3)],
    psus=[(0, 51.0, 2e-3, 100.0), (2, 50.5, 1e-2, 300.0), (2, 50.4, 1e-2, 300.0)],
    loads=[(1, 6000.0, 36.8), (3, 9000.0, 36.8), (0, 3000.0, 36.8)],
    start=50.0,
)
# Overload: two PSUs limited at 100 A each for 15 kW; the bus collapses below V_c, where the loads are constant
# impedance (V = I_total V_c^2 / P per the model): both PSUs in current limit.
COLLAPSE = dict(
    n_node=2, segs=[(0, 1, 1e-3)],
    psus=[(0, 50.0, 5e-3, 100.0), (1, 50.0, 5e-3, 100.0)],
    loads=[(0, 7000.0, 36.8), (1, 8000.0, 36.8)],
    start=49.5,
)
CASES = {"ladder": LADDER, "droop": DROOP, "ring": RING, "collapse": COLLAPSE}


def _rel(a, b, floor):
    return np.abs(a - b) / np.maximum(np.abs(b), floor)


@SOLVERS
@pytest.mark.parametrize("name", list(CASES))
def test_node_voltages_and_psu_currents_match_ngspice(tmp_path, solve, name):
    c = CASES[name]
    v_sp, i_sp = run_ngspice(tmp_path, **c)
    res = solve(network(**c))
    assert res.converged
    assert _rel(res.node_voltage_v, v_sp, 1e-9).max() <= REL, (res.node_voltage_v, v_sp)
    assert (np.abs(res.psu_current_a - i_sp) <= REL * np.maximum(np.abs(i_sp), 1e-3)).all(), (res.psu_current_a, i_sp)


@SOLVERS
def test_operating_states_the_circuits_are_built_to_show(tmp_path, solve):
    # guard that each network exercises what it is meant to, judged on ngspice's answer and rackforge's state
    _, i_droop = run_ngspice(tmp_path, **DROOP)
    assert i_droop[3] == pytest.approx(0.0, abs=1e-9)                # ORing: the 48 V PSU carries nothing
    assert solve(network(**DROOP)).psu_state[3] == PSU_BLOCKED
    _, i_ring = run_ngspice(tmp_path, **RING)
    assert i_ring[0] == pytest.approx(100.0, rel=1e-9)                # held at its limit
    st = solve(network(**RING)).psu_state
    assert st[0] == PSU_CURRENT_LIMIT and st[1] == st[2] == PSU_REGULATING
    v_col, _ = run_ngspice(tmp_path, **COLLAPSE)
    assert v_col.max() < 36.8                                         # below the collapse voltage
    # by hand: 200 A into loads of conductance P / V_c^2 each (+ the segment): total load current
    # (7000 v0 + 8000 v1) / 36.8^2 = 200 with v0 - v1 = (100 - 7000 v0 / 36.8^2) x 1e-3 ... solved as 2x2:
    g0, g1, r = 7000 / 36.8**2, 8000 / 36.8**2, 1e-3
    # node 1: 100 + (v0 - v1) / r = g1 v1 ; node 0: 100 = g0 v0 + (v0 - v1) / r
    a = np.array([[g0 + 1 / r, -1 / r], [-1 / r, g1 + 1 / r]])
    hand = np.linalg.solve(a, [100.0, 100.0])
    assert v_col == pytest.approx(hand, rel=1e-9)
    assert (solve(network(**COLLAPSE)).psu_state == PSU_CURRENT_LIMIT).all()


def test_report_max_deviation(tmp_path, capsys):
    """Prints the largest relative node-voltage deviation from ngspice over every network and both solvers."""
    worst = 0.0
    for c in CASES.values():
        v_sp, _ = run_ngspice(tmp_path, **c)
        for solve in (solve_power, solve_power_ref):
            worst = max(worst, float(_rel(solve(network(**c)).node_voltage_v, v_sp, 1e-9).max()))
    with capsys.disabled():
        print(f"\nngspice vs rackforge: max relative node-voltage deviation {worst:.3e}")
    assert worst <= REL
