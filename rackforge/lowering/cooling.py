"""Cooling lowering: a resolved design into liquid-loop networks, temperatures, fault scenarios and the air side.

``analyze(ctx)`` runs once per design (``ctx.cooling``). Every rack definition (a template, or an inline rack) is
lowered once: its instances are identical, so their loops are too, and the findings point at the definition.
The RF3xx rules read the :class:`CoolingResult`; ``rackforge analyze`` prints :meth:`CoolingResult.to_json`.

Model (SI units; the equations are those of :mod:`rackforge.solvers.hydraulics`, :mod:`~rackforge.solvers.thermal`
and :mod:`~rackforge.solvers.air`, whose docstrings give the references)
--------------------------------------------------------------------------------------------------------------
* **Branches.** Every mounted part with a ``liquid`` interface is one branch of the loop it names (``loop``, or
  the rack's only loop). A branch is, in series: the supply and return hoses (the tray's ``hose`` part, one per
  side: one pipe of twice its length and minor-loss K), two quick-disconnect pairs (supply and return,
  ``dp = SG (Q/Cv)^2`` per pair), and its cold plates. The manifold's tees: with ``tee_loss: crane`` (the
  default) each supply tap is a dividing and each return tap a combining 90-degree tee whose branch and run
  losses follow Crane TP-410 by flow ratio (on the header velocity; the branch bore is the manifold's
  ``tap_diameter``, else the hose's, else the header's), solved with the flows; with ``tee_loss: fixed`` the
  manifold's own ``tap_loss_k`` at each of the two taps (on the branch velocity) and ``run_loss_k`` per header
  segment. Each plate's pressure-flow points
  are fitted as ``dp = a q + b q^2`` (a single point: wholly quadratic, or split by the plate's
  ``laminar_fraction``) and corrected from the coolant and temperature they were measured with to the loop's
  (linear part by viscosity, quadratic by density); plates in ``parallel`` share the branch flow at a common
  pressure drop: identical plates exactly as ``a/m, b/m^2``, pure quadratic ones as ``b_eq = (sum b_k^-1/2)^-2``,
  and distinct plates with a linear term as a parallel group the solver splits exactly at every flow; plates in
  ``series`` add.
* **Heat.** A plate's heat at the operating point is its ``heat`` (given at max) scaled by the tray's power
  ratio ``P(op) / P(max)``; its case temperature is the coolant temperature at its inlet plus heat x thermal
  resistance. The catalog resistance holds at the plate's ``nominal_flow``; away from it
  ``R = R_nom (q / q_nom)^-0.5`` (:data:`RTH_FLOW_EXPONENT`, developing laminar flow in mini-channels; see
  :func:`rackforge.solvers.thermal.plate_resistance`). The tray's remaining power goes to air.
* **Manifold.** The supply and return headers (the manifold part's inner diameter and roughness) have one tap per
  branch at the tray's height, the centre of its slots x the frame's slot pitch. An in-row CDU feeds both headers
  from the bottom of the rack (direct return); an in-rack CDU from its own height. Taps are ordered by distance
  from the inlet and the header segment between consecutive taps is as long as the distance between them (a CDU
  in the middle of the rack is thereby modelled as one header running both ways: conservative for the far taps).
* **CDU.** Pumps from the catalog curve points (per pump; ``count`` installed, ``required`` running, the rest
  stand by: duty/standby N+1), the heat exchanger's pressure-flow points, capacity and approach to facility
  water. Supply temperature: ``T_fac + approach x min(Q, C) / C``, plus the deficit carried around the loop when
  the heat exceeds the capacity (:func:`rackforge.solvers.thermal.cdu_supply_temperature`).
* **In-row CDU share.** A loop on an in-row CDU (``cdu_part``) gets ``cdu_share`` of it. The model: the CDU serves
  identical racks in parallel, so a rack sees the CDU's pumps with every curve flow scaled by the share (each
  rack takes ``share`` of the flow at the common head), the heat exchanger's pressure drop at the total flow
  ``Q / share`` (``a -> a / share``, ``b -> b / share^2``) and ``share`` x the CDU's capacity at the same approach
  (the approach depends on load / capacity, the same for every identical rack). The row piping between the CDU
  and the rack is not modelled. A pump lost, or a heat exchanger lost, is lost for every rack on the CDU.
* **Coolant** properties at the loop's mean temperature, from the CoolProp table of
  :mod:`rackforge.lowering.coolants`: solved first at ``T_fac + approach + 5 K``; when the mean of supply and
  return differs by more than 1 K, re-solved once at that mean.
* **Static pressure.** Pressures are gauge, the pump suction (expansion tank) held at
  :data:`SUCTION_PRESSURE_PA` = 100 kPa at the reference height: the in-rack CDU's centre, or the rack's floor
  for an in-row CDU. Tap pressures are reported as a gauge at the tap's height reads them: the flow solution
  (where static head cancels around the loop) less ``rho g (z - z_ref)``. Ratings (``max_pressure``) are
  compared with the highest pressure each part sees: the CDU outlet for the CDU, the CDU outlet or the lowest
  tap for the manifold, the branch's supply tap for its hoses, disconnects and plates.
* **Reported figures.** Per loop: delivered flow per W of liquid heat (``flow_per_heat_m3_s_per_w``, and in
  L/min/kW), the flow spread ``(max - min)/mean`` among branches of the same part, the tee model.
* **Facility water.** ``site.facility_water_supply_temperature``; when absent, the top of the generation's
  ``facility_water_class``, else 30 degC (``facility_assumed`` says so in the output).
* **Fault scenarios** (one batch, warm-started from the base solution): each pump lost, each branch blocked, the
  CDU with one heat exchanger lost (when it has more than one), the facility supply at the top of its class.
  Scenarios with the same pumps and open branches share one hydraulic solve.
* **Solver path.** Small loops use the numpy reference solver (:mod:`rackforge.solvers.hydraulics_ref`,
  the fault batch as one stacked dense iteration): no numba import. Above :data:`NUMBA_MIN_WORK` (branches x
  distinct hydraulic solves) the numba path, and for every loop when the process is about to analyse many
  designs (:func:`rackforge.engine.expect_designs`, ``Context.prefer_numba``).
* **Air side**: see :mod:`rackforge.lowering.cooling_air`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rackforge.lowering.cooling_air import RackAir, rack_air, rack_json
from rackforge.model.resolved import MountInfo, RackDef, mount_power

#: Exponent m of the plate resistance's flow dependence R = R_nom (q/q_nom)^-m (assumption, see module doc).
RTH_FLOW_EXPONENT = 0.5
#: Pump suction (expansion tank) pressure, gauge [Pa]. OCP Cold Plate Loop Requirements Rev 2 quotes TCS
#: pressures of 140-450 kPa; 100 kPa at the suction puts the supply side of a loop in that range.
SUCTION_PRESSURE_PA = 1.0e5
#: Facility supply when neither the site nor the generation gives one [degC].
DEFAULT_FACILITY_C = 30.0
#: Work (branches x distinct hydraulic solves, ``n (n + 2)``) above which the numba solver is used. The
#: reference path solves a loop's fault batch as one stacked dense iteration up to 49 branches
#: (:data:`rackforge.solvers.hydraulics_ref.DENSE_MAX_NODES`): base solve + fault batch of a uniform manifold,
#: measured on the reference machine (2 cores, load 0.3): 27 branches 9 ms, 49 branches 27 ms (~11 us per
#: branch-solve); above 49 branches it goes sparse, one scenario at a time, ~50-70 us per branch-solve (50
#: branches 0.18 s, 72 branches 0.27 s). The numba path costs ~0.5 s once per process (import 0.27 s, cached
#: kernels 0.23 s; more on a busy machine) and then microseconds: break-even near 7,000-10,000 branch-solves
#: on the sparse path, so the reference path is used up to 6,000 (about 76 branches).
NUMBA_MIN_WORK = 6000
_TOL = 1e-10


# ---------------------------------------------------------------------------------------------------------------
# result objects


@dataclass
class PlateInfo:
    entry: int                # index in the tray's liquid.cold_plates
    use: Any                  # schema ColdPlateUse
    part: Any | None          # catalog cold plate (None when unknown)
    heat_w: float             # heat at the operating point
    share: float              # share of the branch flow through one plate (1 for series)


@dataclass
class BranchInfo:
    mi: MountInfo
    part: Any
    position_m: float
    min_flow: float
    plates: list[PlateInfo]
    qd: Any | None
    hose: Any | None
    heat_w: float
    # solved
    flow: float = float("nan")
    dp: float = float("nan")
    inlet_pressure: float = float("nan")     # gauge at the supply tap's height (static head included)
    outlet_pressure: float = float("nan")    # gauge at the return tap's height
    groups: list = field(default_factory=list)  # parallel plate groups (a, b, plates) of distinct curves
    t_out: float = float("nan")
    plate_t_case: list[float] = field(default_factory=list)
    plate_margin: list[float] = field(default_factory=list)


@dataclass
class LoopResult:
    rdef: RackDef
    index: int
    loop: Any                 # schema Loop
    ptr: str
    cdu: Any | None           # catalog CDU
    cdu_ptr: str              # where the CDU is named (in-rack mount or the loop's cdu_part)
    manifold: Any | None
    manifold_mi: MountInfo | None
    share: float
    branches: list[BranchInfo]
    solved: bool = False
    why_not: str | None = None
    failure: str | None = None   # the solver failed (not an input gap): RF912
    solver: str | None = None
    props: Any = None
    t_loop_c: float = float("nan")
    t_facility_c: float = float("nan")
    facility_assumed: bool = False
    capacity_w: float = 0.0
    heat_w: float = 0.0
    t_supply_c: float = float("nan")
    t_return_c: float = float("nan")
    deficit_w: float = 0.0
    pump_flow: float = float("nan")
    pump_rise: float = float("nan")
    pumps_running: int = 0
    cdu_outlet_pressure: float = float("nan")
    supply_pressure_max: float = float("nan")
    z_ref: float = 0.0                 # height of the pump suction / expansion reference [m]
    flow_spread: float = float("nan")  # largest (max - min) / mean of the flows of branches of one part
    flow_spread_by_part: dict = field(default_factory=dict)
    tee_loss: str | None = None
    converged: bool = True
    scenarios: list[dict] = field(default_factory=list)
    worst: dict | None = None
    pump_lost: dict | None = None

    @property
    def coolant(self) -> str:
        return self.loop.coolant

    @property
    def flow_per_heat(self) -> float:
        """Delivered flow per W of liquid heat [m^3/s/W] (nan without heat)."""
        return self.pump_flow / self.heat_w if self.heat_w > 0 and self.pump_flow == self.pump_flow else float("nan")


@dataclass
class Unconnected:
    ptr: str
    message: str
    hint: str


class CoolingResult:
    """What the RF3xx rules read (``ctx.cooling``) and what ``analyze`` prints (:meth:`to_json`)."""

    def __init__(self) -> None:
        self.loops: list[LoopResult] = []
        self.racks: list[RackAir] = []
        self.unconnected: list[Unconnected] = []

    def to_json(self) -> dict:
        loops = [_loop_json(lr) for lr in self.loops]
        racks = [rack_json(ra) for ra in self.racks]
        n = {ra.rdef.key: len(ra.rdef.instances) for ra in self.racks}
        tot_liq = sum(ra.liquid_w * n[ra.rdef.key] for ra in self.racks)
        tot_air = sum(ra.air_w * n[ra.rdef.key] for ra in self.racks)
        worst = min((lr.worst for lr in self.loops if lr.worst is not None),
                    key=lambda w: _sort_margin(w.get("case_temperature_margin_k")), default=None)
        return _clean({
            "totals": {"heat_to_liquid_w": tot_liq, "heat_to_air_w": tot_air,
                       "liquid_share": tot_liq / (tot_liq + tot_air) if tot_liq + tot_air > 0 else None},
            "worst_scenario": worst,
            "loops": loops,
            "racks": racks,
        })


def _sort_margin(v):
    return math.inf if v is None else v


# ---------------------------------------------------------------------------------------------------------------
# lowering


def analyze(ctx) -> CoolingResult:
    """Lower and solve the design's cooling (``ctx.cooling``)."""
    from rackforge.solvers.coolant import CoolantRangeError

    res = CoolingResult()
    site = ctx.design.site
    for rdef in ctx.r.defs:
        if not rdef.instances:
            continue
        loops = _lower_loops(ctx, rdef, res)
        for lr in loops:
            if lr.solved is False and lr.why_not is None:
                try:
                    _solve_loop(ctx, lr)
                except CoolantRangeError as exc:  # RF912 reports it; the loop's checks are skipped
                    lr.solved = False
                    lr.failure = lr.why_not = (f"the loop's state leaves the coolant's property range, so it was not "
                                               f"solved ({exc})")
        res.loops.extend(loops)
        res.racks.append(rack_air(ctx, rdef, loops, site))
    return res


def _liquid_heat_scale(part, op: str) -> float:
    pmax = float(part.power.max) if getattr(part, "power", None) is not None else 0.0
    return mount_power(part, op) / pmax if pmax > 0 else 0.0


def _position(mi: MountInfo, pitch: float | None) -> float:
    if mi.lo is None or not pitch:
        return 0.0
    return ((mi.lo - 1) + (mi.hi - mi.lo + 1) / 2.0) * pitch


def _lower_loops(ctx, rdef: RackDef, res: CoolingResult) -> list[LoopResult]:
    cat = ctx.catalog
    body = rdef.body
    loops: list[LoopResult] = []
    by_id: dict[str, LoopResult] = {}
    for i, lp in enumerate(body.cooling.loops):
        ptr = f"{rdef.ptr}/cooling/loops/{i}"
        if lp.cdu is not None:
            cmi = rdef.by_id.get(lp.cdu)
            cdu = cmi.part if cmi is not None and cmi.part is not None and cmi.part.kind == "cdu" else None
            cdu_ptr = cmi.ptr if cmi is not None else f"{ptr}/cdu"
            share = 1.0
        else:
            cdu = cat.get(lp.cdu_part)
            cdu = cdu if cdu is not None and cdu.kind == "cdu" else None
            cdu_ptr = f"{ptr}/cdu_part"
            share = float(lp.cdu_share)
        mmi = rdef.by_id.get(lp.manifold) if lp.manifold is not None else None
        man = mmi.part if mmi is not None and mmi.part is not None and mmi.part.kind == "manifold" else None
        lr = LoopResult(rdef, i, lp, ptr, cdu, cdu_ptr, man, mmi if man is not None else None, share, [])
        if lp.manifold is None:
            res.unconnected.append(Unconnected(ptr, f"loop {lp.id!r} has no manifold: its trays cannot be "
                                               "connected", "add the rack manifold mount and name it in the "
                                               "loop's 'manifold'"))
            lr.why_not = "no manifold"
        elif man is None:
            lr.why_not = "manifold mount missing or not a manifold"  # RF004 / RF006 report it
        if cdu is None:
            lr.why_not = lr.why_not or "CDU missing or not a CDU"      # RF002 / RF004 / RF006 report it
        loops.append(lr)
        by_id.setdefault(lp.id, lr)
    pitch = rdef.slot_pitch()
    for mi in rdef.mounts:
        part = mi.part
        liq = getattr(part, "liquid", None) if part is not None else None
        if liq is None:
            continue
        if mi.m.loop is not None:
            lr = by_id.get(mi.m.loop)
            if lr is None:
                continue  # RF004 reports the dangling loop id
        elif len(loops) == 1:
            lr = loops[0]
        else:
            msg = (f"{mi.id} ({part.pn}) has cold plates but the rack has no liquid loop" if not loops else
                   f"{mi.id} ({part.pn}) has cold plates but names no loop, and the rack has {len(loops)}")
            res.unconnected.append(Unconnected(mi.ptr, msg, "add a loop under cooling.loops" if not loops
                                               else "set the mount's 'loop'"))
            continue
        scale = _liquid_heat_scale(part, ctx.op)
        plates = []
        for e, use in enumerate(liq.cold_plates):
            cp = cat.get(use.part)
            cp = cp if cp is not None and cp.kind == "cold_plate" else None
            for _ in range(use.count):
                plates.append(PlateInfo(e, use, cp, float(use.heat) * scale, 1.0))
        qd = cat.get(liq.quick_disconnect)
        qd = qd if qd is not None and qd.kind == "quick_disconnect" else None
        hose = cat.get(liq.hose) if liq.hose is not None else None
        hose = hose if hose is not None and hose.kind == "hose" else None
        lr.branches.append(BranchInfo(mi, part, _position(mi, pitch), float(liq.min_flow), plates, qd, hose,
                                      sum(p.heat_w for p in plates)))
    if lr_taps := [lr for lr in loops if lr.manifold is not None and len(lr.branches) > lr.manifold.taps]:
        for lr in lr_taps:
            res.unconnected.append(Unconnected(
                lr.manifold_mi.ptr, f"loop {lr.loop.id!r} has {len(lr.branches)} liquid-cooled parts but its "
                f"manifold {lr.manifold.pn} has {lr.manifold.taps} taps", "use a manifold with more taps, or "
                "split the trays over two loops"))
            lr.why_not = lr.why_not or "more liquid-cooled parts than its manifold has taps"   # RF300
    for lr in loops:
        if lr.why_not is None and len(lr.branches) > MAX_SOLVED_BRANCHES:   # RF912 reports it
            lr.failure = lr.why_not = (f"{len(lr.branches)} liquid-cooled parts on one loop, above the "
                                       f"{MAX_SOLVED_BRANCHES} a loop is solved for (its fault batch grows as the "
                                       "square of the parts), so it was not solved")
    return loops


#: Largest loop solved: the fault batch blocks each branch in turn, ~N^2 work. Eight times the largest manifold
#: in the catalog (48 taps); a loop this big is a typo or a hall written as one rack.
MAX_SOLVED_BRANCHES = 384


# -- element curves -----------------------------------------------------------------------------------------------


def _fit_points(points, laminar_fraction=None) -> tuple[float, float]:
    """``dp = a q + b q^2`` through catalog (flow, pressure) points; a single point gives a pure quadratic, or
    with ``laminar_fraction`` f: ``a = f dp/q``, ``b = (1 - f) dp/q^2``."""
    q = np.array([float(p.flow) for p in points])
    dp = np.array([float(p.pressure) for p in points])
    keep = q > 0
    q, dp = q[keep], dp[keep]
    if q.size == 0:
        return 0.0, 0.0
    if q.size == 1:
        f = float(laminar_fraction) if laminar_fraction is not None else 0.0
        return float(f * dp[0] / q[0]), float((1.0 - f) * dp[0] / q[0] ** 2)
    from rackforge.solvers.hydraulic_network import fit_component_curve

    return fit_component_curve(q, dp)


def _corrected_curve(a: float, b: float, coolant: str, t_k: float, props) -> tuple[float, float]:
    """A catalog curve measured with ``coolant`` at ``t_k`` [K], corrected to the loop's ``props``."""
    from rackforge.lowering.coolants import coolant_props
    from rackforge.solvers.hydraulic_network import coolant_corrected_curve

    ref = coolant_props(coolant, float(t_k) - 273.15)
    return coolant_corrected_curve(a, b, ref.rho, ref.mu, props.rho, props.mu)


_CURVES: dict = {}


def _plate_curve(p: PlateInfo, props) -> tuple[float, float]:
    cp = p.part
    key = (id(cp), props.rho, props.mu)
    hit = _CURVES.get(key)
    if hit is not None and hit[0] is cp:
        return hit[1]
    a, b = _fit_points(cp.pressure_drop, cp.laminar_fraction)
    out = _corrected_curve(a, b, cp.pressure_drop_coolant, float(cp.pressure_drop_temperature), props)
    if len(_CURVES) > 256:
        _CURVES.clear()
    _CURVES[key] = (cp, out)
    return out


def _plates_curve(br: BranchInfo, props) -> tuple[float, float, list]:
    """Lumped curve of a branch's plates (corrected to the loop's coolant); sets each plate's flow share.

    Returns ``(a, b, members)``: series plates add into ``a, b``. Parallel plates: identical ones form groups of
    m, each exactly ``a/m, b/m^2`` (equal split, :func:`~rackforge.solvers.hydraulic_network.parallel_split`); one
    group, or pure quadratic groups (``b_eq = (sum b_k^-1/2)^-2``, shares ``b_k^-1/2 / sum``), lump exactly into
    ``a, b``. Distinct groups with a linear term have no exact ``a q + b q^2`` form: they are returned as
    ``members`` ``[(a_g, b_g), ...]``, a parallel group the solver splits exactly at every flow
    (:func:`~rackforge.solvers.hydraulic_network.group_pressure_drop`); their shares are set at the solved flow
    (:func:`_plate_shares`).
    """
    plates = [p for p in br.plates if p.part is not None and p.part.pressure_drop]
    br.groups = []
    if not plates:
        return 0.0, 0.0, []
    ab = np.array([_plate_curve(p, props) for p in plates])
    a, b = ab[:, 0], ab[:, 1]
    if br.part.liquid.arrangement == "series":
        for p in plates:
            p.share = 1.0
        return float(a.sum()), float(b.sum()), []
    groups: dict = {}
    for x, y, p in zip(a, b, plates):
        groups.setdefault((float(x), float(y)), []).append(p)
    ga = np.array([k[0] / len(v) for k, v in groups.items()])
    gb = np.array([k[1] / len(v) ** 2 for k, v in groups.items()])
    br.groups = [(float(x), float(y), v) for x, y, v in zip(ga, gb, groups.values())]
    if len(groups) == 1:
        for p in plates:
            p.share = 1.0 / len(plates)
        return float(ga[0]), float(gb[0]), []
    if np.all(ga == 0) and np.all(gb > 0):
        s = 1.0 / np.sqrt(gb)
        for (_, _, v), si in zip(br.groups, s / s.sum()):
            for p in v:
                p.share = float(si) / len(v)
        return 0.0, float(1.0 / s.sum() ** 2), []
    _plate_shares(br, max(br.min_flow, 1e-6))
    return 0.0, 0.0, [(float(x), float(y)) for x, y in zip(ga, gb)]


def _plate_shares(br: BranchInfo, flow: float) -> None:
    """Shares of distinct parallel plate groups at the branch flow ``flow`` (exact split)."""
    groups = getattr(br, "groups", None)
    if not groups or len(groups) < 2 or not flow > 0:
        return
    from rackforge.solvers.hydraulic_network import parallel_split

    ga = np.array([g[0] for g in groups])
    gb = np.array([g[1] for g in groups])
    if np.all(ga == 0):
        return  # pure quadratic: the shares do not depend on the flow
    fl, _ = parallel_split(ga, gb, flow)
    for (_, _, v), f in zip(groups, fl / fl.sum()):
        for p in v:
            p.share = float(f) / len(v)


def _build_network(lr: LoopResult, props):
    from rackforge.solvers.hydraulic_network import (
        build_network, fit_pump_curve, k_factor_coefficient, qd_pair_coefficient,
    )

    rho, mu = props.rho, props.mu

    cdu, man, share = lr.cdu, lr.manifold, lr.share
    # taps ordered by distance from the inlet
    z_in = _position(lr.rdef.by_id[lr.loop.cdu], lr.rdef.slot_pitch()) if lr.loop.cdu is not None else 0.0
    dist = np.array([abs(br.position_m - z_in) for br in lr.branches])
    order = np.argsort(dist, kind="stable")
    lr.branches = [lr.branches[i] for i in order]
    dist = dist[order]
    seg = np.maximum(np.diff(np.r_[0.0, dist]), 1e-3)
    lr.z_ref = z_in
    n = len(lr.branches)
    d_head = float(man.inner_diameter)
    crane = man.tee_loss == "crane"
    ptr = [0]
    bp_d, bp_len, bp_eps, bp_k, br_a, br_b, d_tees = [], [], [], [], [], [], []
    pg_ptr, pg_a, pg_b = [0], [], []
    for br in lr.branches:
        a = b = 0.0
        if br.hose is not None:
            bp_d.append(float(br.hose.inner_diameter))
            bp_len.append(2.0 * float(br.hose.length))
            bp_eps.append(float(br.hose.roughness))
            bp_k.append(2.0 * float(br.hose.minor_loss_k))
            d_tee = float(br.hose.inner_diameter)
        else:
            d_tee = d_head
        ptr.append(len(bp_d))
        if man.tap_diameter is not None:
            d_tee = float(man.tap_diameter)
        d_tees.append(d_tee)
        if not crane:
            b += k_factor_coefficient(2.0 * float(man.tap_loss_k), d_tee, rho)
        if br.qd is not None:
            b += float(qd_pair_coefficient(br.qd.cv, rho, n_pairs=2))
        pa, pb, members = _plates_curve(br, props)
        pg_a.extend(m[0] for m in members)
        pg_b.extend(m[1] for m in members)
        pg_ptr.append(len(pg_a))
        br_a.append(a + pa)
        br_b.append(b + pb)
    pts = cdu.pumps.curve
    q = np.array([float(p.flow) for p in pts]) * share
    dp = np.array([float(p.pressure) for p in pts])
    pump_c = fit_pump_curve(q, dp, "quadratic" if len(pts) >= 3 else "h0-kq2")
    ha, hb = _corrected_curve(*_fit_points(cdu.hx_pressure_drop), cdu.hx_pressure_drop_coolant,
                              float(cdu.hx_pressure_drop_temperature), props)
    n_pumps = cdu.pumps.count
    run_k = 0.0 if crane else float(man.run_loss_k)
    z = np.array([br.position_m for br in lr.branches])
    n_run = min(cdu.pumps.required, n_pumps)
    return build_network(
        rho=rho, mu=mu, pump_c=pump_c, n_pumps=n_pumps, n_running=n_run,
        cdu_a=ha / share, cdu_b=hb / share**2,
        sup_d=d_head, sup_len=seg, sup_eps=float(man.roughness), sup_k=run_k,
        ret_d=d_head, ret_len=seg, ret_eps=float(man.roughness), ret_k=run_k,
        br_ptr=np.array(ptr), bp_d=np.array(bp_d), bp_len=np.array(bp_len), bp_eps=np.array(bp_eps),
        bp_k=np.array(bp_k), br_a=np.array(br_a), br_b=np.array(br_b),
        reverse_return=False, p_suction=SUCTION_PRESSURE_PA, tee=crane, br_dtee=np.array(d_tees),
        sup_z=z, ret_z=z, z_ref=z_in, pg_ptr=np.array(pg_ptr), pg_a=np.array(pg_a), pg_b=np.array(pg_b))


def plate_load(lr: LoopResult):
    """The loop's cold plates as a :class:`rackforge.solvers.thermal.PlateLoad` (each plate's share of its
    branch's flow as last set from a solve; the facility water model reuses it at the hall's flows)."""
    from rackforge.solvers.thermal import build_plate_load

    ptr, power, rth, qref, tmax = [0], [], [], [], []
    par = []
    for br in lr.branches:
        n_pl = len(br.plates)
        parallel = br.part.liquid.arrangement != "series"
        for p in br.plates:
            power.append(p.heat_w)
            tmax.append(float(p.use.max_case_temperature) - 273.15)
            if p.part is None:
                rth.append(0.0)
                qref.append(0.0)
                continue
            rth.append(float(p.part.thermal_resistance))
            # thermal.loop_temperatures gives a parallel plate q/n; this plate carries share*q, so its
            # reference flow is scaled to make (q/n)/q_ref == share*q/q_nom
            qn = float(p.part.nominal_flow)
            qref.append(qn / (n_pl * p.share) if parallel and p.share > 0 else qn)
        ptr.append(len(power))
        par.append(parallel)
    return build_plate_load(np.array(ptr), np.array(power), np.array(rth), np.array(tmax),
                            np.array([br.min_flow for br in lr.branches]), parallel=np.array(par, bool),
                            rth_q_ref=np.array(qref), rth_exp=RTH_FLOW_EXPONENT)


def _facility(ctx) -> tuple[float, bool]:
    t = ctx.design.site.facility_water_supply_temperature
    if t is not None:
        return float(t) - 273.15, False
    wc = ctx.req("cooling.facility_water_class")
    if wc is not None and wc != "W+":
        from rackforge.solvers.air import facility_water_class_max

        return facility_water_class_max(wc), True
    return DEFAULT_FACILITY_C, True


def _stack(sols):
    from rackforge.solvers.hydraulic_network import HydraulicSolution

    return HydraulicSolution(*(np.stack([np.asarray(getattr(s, f)) for s in sols])
                               for f in HydraulicSolution._fields))


def _ref_batch(net, n_active, branch_open, warm, tol):
    """Reference batch: the distinct (running pumps, open branches) rows solved as one stacked batch,
    warm-started from the base solution."""
    from rackforge.solvers.hydraulics_ref import solve_batch_ref

    branch_open = np.asarray(branch_open, bool)
    index: dict = {}
    which = []  # distinct row of every scenario
    for s in range(len(n_active)):
        key = (int(n_active[s]), branch_open[s].tobytes())
        if key not in index:
            index[key] = s
        which.append(index[key])
    rows = sorted(set(which))
    sols = solve_batch_ref(net, np.asarray(n_active)[rows], branch_open[rows], warm=warm, tol=tol)
    by_row = dict(zip(rows, sols))
    return _stack([by_row[w] for w in which])


def _solve_loop(ctx, lr: LoopResult) -> None:
    from rackforge.lowering.coolants import coolant_props
    from rackforge.solvers.thermal import CduThermal, evaluate_scenarios, fault_scenarios, loop_temperatures

    cdu = lr.cdu
    lr.t_facility_c, lr.facility_assumed = _facility(ctx)
    lr.capacity_w = float(cdu.capacity) * lr.share
    lr.heat_w = sum(br.heat_w for br in lr.branches)
    if not lr.branches:
        lr.solved = True
        lr.t_supply_c = lr.t_return_c = lr.t_facility_c
        return
    therm = CduThermal(lr.capacity_w, float(cdu.approach), cdu.heat_exchangers)
    wc = ctx.req("cooling.facility_water_class")
    t_class = None
    if wc is not None and wc != "W+":
        from rackforge.solvers.air import facility_water_class_max

        t_class = facility_water_class_max(wc)
    n = len(lr.branches)
    # distinct hydraulic solves: base, one pump lost (identical pumps), each branch blocked
    work = n * (2 + n)
    use_numba = work > NUMBA_MIN_WORK or getattr(ctx, "prefer_numba", False)  # engine.expect_designs
    lr.solver = "numba" if use_numba else "reference"
    t_loop = lr.t_facility_c + float(cdu.approach) + 5.0
    for _ in range(2):
        props = coolant_props(lr.coolant, t_loop)
        net = _build_network(lr, props)
        if use_numba:
            from rackforge.solvers.hydraulics import solve

            base = solve(net, tol=_TOL)
        else:
            from rackforge.solvers.hydraulics_ref import solve_ref

            base = solve_ref(net, tol=_TOL)
        for i, br in enumerate(lr.branches):
            _plate_shares(br, float(base.branch_flow[i]))
        load = plate_load(lr)
        temps = loop_temperatures(base.branch_flow, load, therm, lr.t_facility_c, net.rho, props.cp)
        t_mean = 0.5 * (float(temps.t_supply) + float(temps.t_return))
        if abs(t_mean - t_loop) <= 1.0:
            break
        t_loop = t_mean
    lr.props, lr.t_loop_c = props, t_loop
    lr.solved, lr.converged = True, bool(base.converged)
    lr.t_supply_c, lr.t_return_c = float(temps.t_supply), float(temps.t_return)
    lr.deficit_w = float(temps.deficit_w)
    lr.pump_flow, lr.pump_rise = float(base.pump_flow), float(base.pump_rise)
    lr.pumps_running = int(net.n_running)
    from rackforge.solvers.hydraulic_network import flow_spread, gauge_pressures

    sup_g, ret_g = gauge_pressures(net, base)
    lr.cdu_outlet_pressure = float(base.cdu_outlet_pressure)
    lr.supply_pressure_max = float(max(np.max(sup_g), lr.cdu_outlet_pressure))
    by_part: dict[str, list[int]] = {}
    for i, br in enumerate(lr.branches):
        by_part.setdefault(br.part.pn, []).append(i)
    lr.flow_spread_by_part = {pn: flow_spread(base.branch_flow[ix]) for pn, ix in by_part.items()}
    lr.flow_spread = max(lr.flow_spread_by_part.values(), default=0.0)
    lr.tee_loss = lr.manifold.tee_loss
    k = 0
    for i, br in enumerate(lr.branches):
        br.flow = float(base.branch_flow[i])
        br.dp = float(base.branch_dp[i])
        br.inlet_pressure = float(sup_g[i])
        br.outlet_pressure = float(ret_g[i])
        br.t_out = float(temps.branch_t_out[i])
        m = len(br.plates)
        br.plate_t_case = [float(x) for x in temps.plate_t_case[k:k + m]]
        br.plate_margin = [float(x) for x in temps.plate_margin[k:k + m]]
        k += m
    # fault scenarios, one batch
    sc = fault_scenarios(net, lr.t_facility_c, t_class, therm if cdu.heat_exchangers > 1 else None)
    rep = evaluate_scenarios(net, load, therm, sc, props.cp, base=base, tol=_TOL,
                             solver=None if use_numba else _ref_batch)
    names = [br.mi.id for br in lr.branches]
    rows = []
    for s, label in enumerate(sc.labels):
        if label.startswith("branch ") and label.endswith(" blocked"):
            label = f"{names[int(label.split()[1])]} blocked"
        rows.append({
            "scenario": label,
            "case_temperature_margin_k": float(rep.min_case_margin[s]),
            "max_case_temperature_c": float(rep.max_case_temp[s]),
            "min_flow_ratio": float(rep.min_flow_ratio[s]),
            "min_flow_mount": names[int(rep.min_flow_branch[s])],
            "supply_temperature_c": float(np.asarray(rep.temperatures.t_supply)[s]),
            "return_temperature_c": float(np.asarray(rep.temperatures.t_return)[s]),
            "pump_flow_m3_s": float(np.asarray(rep.hydraulics.pump_flow)[s]),
            "heat_deficit_w": float(np.asarray(rep.temperatures.deficit_w)[s]),
            "pumps_running": int(sc.n_active[s]),
            "converged": bool(np.asarray(rep.hydraulics.converged)[s]),
        })
    lr.scenarios = rows
    lr.worst = dict(rows[rep.worst], definition=lr.rdef.key, loop=lr.loop.id)
    lost = [r for r in rows if r["scenario"].startswith("pump ")]
    lr.pump_lost = min(lost, key=lambda r: (r["min_flow_ratio"], r["case_temperature_margin_k"])) if lost else None


# ---------------------------------------------------------------------------------------------------------------
# JSON


def _loop_json(lr: LoopResult) -> dict:
    cdu = lr.cdu
    out: dict[str, Any] = {
        "definition": lr.rdef.key,
        "loop": lr.loop.id,
        "pointer": lr.ptr,
        "cdu": cdu.pn if cdu is not None else None,
        "cdu_placement": "in_rack" if lr.loop.cdu is not None else "in_row",
        "cdu_share": lr.share,
        "coolant": lr.coolant,
        "solved": lr.solved,
    }
    if not lr.solved:
        out["not_solved_because"] = lr.why_not
        return out
    out.update({
        "solver": lr.solver,
        "converged": lr.converged,
        "facility_supply_temperature_c": lr.t_facility_c,
        "facility_supply_assumed": lr.facility_assumed,
        "supply_temperature_c": lr.t_supply_c,
        "return_temperature_c": lr.t_return_c,
        "heat_to_liquid_w": lr.heat_w,
        "cdu_capacity_w": lr.capacity_w,
        "heat_deficit_w": lr.deficit_w,
    })
    if lr.props is not None:
        out.update({
            "coolant_temperature_c": lr.t_loop_c,
            "coolant_density_kg_m3": lr.props.rho,
            "coolant_specific_heat_j_kg_k": lr.props.cp,
            "coolant_viscosity_pa_s": lr.props.mu,
            "pump": {"flow_m3_s": lr.pump_flow, "pressure_rise_pa": lr.pump_rise, "running": lr.pumps_running,
                     "installed": cdu.pumps.count, "required": cdu.pumps.required},
            "cdu_outlet_pressure_pa": lr.cdu_outlet_pressure,
            "pressure_reference": {"height_m": lr.z_ref, "pressure_pa": SUCTION_PRESSURE_PA},
            "tee_loss": lr.tee_loss,
            "branch_flow_spread_share": lr.flow_spread,
            "branch_flow_spread_share_by_part": lr.flow_spread_by_part,
            "flow_per_heat_m3_s_per_w": lr.flow_per_heat,
            "flow_per_heat_l_min_per_kw": lr.flow_per_heat * 6e7,
        })
    out["branches"] = [_branch_json(lr, br) for br in lr.branches]
    out["worst_scenario"] = lr.worst
    out["fault_scenarios"] = lr.scenarios
    return out


def _branch_json(lr: LoopResult, br: BranchInfo) -> dict:
    margins = [m for m in br.plate_margin if m == m]
    return {
        "mount": br.mi.id,
        "definition": lr.rdef.key,
        "part": br.part.pn,
        "case_temperature_margin_k": min(margins) if margins else None,
        "position_m": br.position_m,
        "flow_m3_s": br.flow,
        "min_flow_m3_s": br.min_flow,
        "pressure_drop_pa": br.dp,
        "inlet_pressure_pa": br.inlet_pressure,
        "outlet_pressure_pa": br.outlet_pressure,
        "heat_w": br.heat_w,
        "outlet_temperature_c": br.t_out,
        "plates": [{
            "part": p.use.part, "cools": p.use.cools, "entry": p.entry, "heat_w": p.heat_w,
            "flow_m3_s": br.flow * p.share if br.flow == br.flow else None,
            "min_flow_m3_s": float(p.part.min_flow) if p.part is not None else None,
            "case_temperature_c": br.plate_t_case[j] if j < len(br.plate_t_case) else None,
            "max_case_temperature_c": float(p.use.max_case_temperature) - 273.15,
            "temperature_margin_k": br.plate_margin[j] if j < len(br.plate_margin) else None,
        } for j, p in enumerate(br.plates)],
    }


def _clean(x):
    """JSON-safe: non-finite floats become None, numpy scalars plain Python."""
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    return x
