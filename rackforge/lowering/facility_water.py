"""Facility water lowering: the design's ``facility.water`` loops as networks of manifolds, solved with the
liquid-loop solver (:mod:`rackforge.solvers.hydraulics`), and the figures the RF35x rules read
(``ctx.facility_water``).

Model (SI units)
----------------
* **A loop** is CDUs in parallel feeding a main supply/return pipe that runs past its rows; each row is a
  supply/return header along the row with one tap per rack (reverse or direct return). Two levels of the
  manifold network of :func:`rackforge.solvers.hydraulics.solve`:

  - *row level*: a manifold whose branches are the racks, driven by a fixed pressure difference at the row
    inlet (a "pump" with a flat curve ``dp = c0``); header segments one rack pitch long (``site.rack_pitch``,
    default 0.6 m), each rack branch the rack connection (hoses of ``rack_connection.diameter``, length and
    minor losses K) in series with the rack's own loop;
  - *loop level*: a manifold whose branches are the rows, each lumped as ``dp = a q + b q^2`` fitted through
    two solves of its row network; the main pipe's first segment is ``main.length`` long, the next ones one
    row pitch (``site.row_pitch``, default 2.4 m); the CDUs are the pumps (``required`` pumps running per CDU,
    the catalog's per-pump curve fitted ``dp = c0 + c2 q^2``) and their heat exchangers in parallel
    (``a/k, b/k^2`` for ``k`` CDUs, White 2011 sec. 6.9).

  The two levels are iterated: each row is re-solved at the pressure difference the loop level gives it, its
  lumped curve refitted through the point found, until the row flows agree to 1e-6. The result is the exact
  solution of the two-level network up to that tolerance.
* **A rack** as seen from the row is its loop as the rack model solved it (``ctx.cooling``: in-row CDU loops,
  ``cdu_part``): at the operating flow ``Q_op`` the rack's manifold pressure difference ``dp_op`` (CDU outlet
  minus suction) gives a quadratic resistance ``b = dp_op / Q_op^2``. Its need: the flow at which its worst
  branch just gets its ``min_flow``, ``Q_need = Q_op / min_i(q_i / q_min,i)``, at ``dp_need = b Q_need^2``
  (the branch flow split is taken as independent of the total flow: exact for quadratic laws, within a few per
  cent with Reynolds-dependent friction). The worst-placed rack is the one with the lowest ``Q / Q_need``.
* **Scenarios**: all CDUs running; ``redundant`` CDUs lost (N+1: one), with their pumps and heat exchangers.
* **Cold plates at the hall's water** (RF357): the rack model's branch flows scaled by the rack's flow in the
  hall over its operating flow (``q_i Q / Q_op``, the same split assumption) and its plates' case temperatures
  recomputed (:func:`rackforge.solvers.thermal.loop_temperatures`: energy balance along each branch, plate
  resistance at its flow) at the loop's TCS supply temperature instead of the in-row CDU share's; per loop and
  scenario, for each rack definition, the rack of that definition with the least flow (the hottest at one
  supply temperature).
* **Temperatures**: TCS supply ``T_fws + approach x heat / capacity`` of the CDUs running (the approach scales
  with load, as in :mod:`rackforge.lowering.cooling`), plus ``(heat - capacity) / (m_dot cp)`` when the heat
  exceeds the capacity; return ``T_sup + heat / (m_dot cp)`` (energy balance). Properties at the mean.
* **Heat rejection**: liquid heat plus CDU pump power against ``(count - redundant) x capacity`` of the heat
  rejection units; their electrical input scales with the heat they reject (``power x heat / capacity``).
* **Cooling power** for the hall's breakdown: CDU pumps (running pumps x rated pump power) and heat rejection.
  Air-cooled heat (what racks give to the room) is reported; the room's air handlers are not modelled.

Identical loops (the same CDUs, pipes, coolant and racks, as ``repeat`` makes them) are solved once (the
``cache`` of :func:`analyze`; ``RACKFORGE_NO_LOOP_CACHE`` is not offered: the results are the same by
construction, and ``benches/hall.py`` measures both with distinct loops).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rackforge.lowering.facility_power import expand, fmt, rack_pitch, rows_of

DEFAULT_ROW_PITCH_M = 2.4
ROW_FIT_DP_PA = (1.0e5, 3.0e5)
ITER_TOL = 1e-6
MAX_OUTER = 30
#: Solve identical loops once (benches/hall.py turns it off to time every loop).
LOOP_CACHE = True


@dataclass
class RackHydraulics:
    key: str
    heat_w: float
    air_w: float
    b: float            # dp = b q^2 [Pa s^2/m^6]
    q_op: float
    dp_op: float
    q_need: float
    dp_need: float
    loop: Any = None    # the rack model's liquid loop (lowering.cooling.LoopResult): plates, branch flows, coolant


@dataclass
class LoopSolution:
    flows: np.ndarray          # per rack, in loop order
    dps: np.ndarray
    ratio: np.ndarray          # flow / need
    pump_flow: float
    pump_rise: float
    converged: bool
    row_flow: np.ndarray
    t_supply_c: float = float("nan")
    t_return_c: float = float("nan")
    capacity_w: float = 0.0
    main_velocity: float = 0.0
    header_velocity: float = 0.0
    row_dp_drop: float = 0.0   # largest fall of the tap pressure difference along one row [Pa]
    #: per rack definition in the loop, its least-fed rack's plates at the hall's flow and TCS supply (RF357)
    plates: list = field(default_factory=list)


@dataclass
class WaterLoopResult:
    id: str
    ptr: str
    spec: Any
    cdu: Any
    racks: list                # rack instances in loop order
    rows: list
    heat_w: float = 0.0
    pump_power_w: float = 0.0
    base: LoopSolution | None = None
    lost: LoopSolution | None = None
    cdus_lost: int = 0

    def plates(self, s: LoopSolution | None) -> list[dict]:
        """RF357's figures of a scenario's solution, each naming its rack of this loop (identical loops share one
        solution, whose ``plates`` hold the rack's index in the loop order)."""
        return [] if s is None else [{**p, "rack": self.racks[p["index"]].id} for p in s.plates]


@dataclass
class FacilityWaterAnalysis:
    empty: bool = True
    problems: list = field(default_factory=list)
    loops: list = field(default_factory=list)
    t_fws_c: float = float("nan")
    t_fws_ptr: str = "/facility/water"
    water_class: str | None = None
    class_max_c: float | None = None
    class_from_generation: bool = False
    heat_w: float = 0.0
    air_heat_w: float = 0.0
    rejection: dict | None = None
    cooling_power_w: float = 0.0
    max_velocity: float = 3.0
    unassigned: list = field(default_factory=list)
    solves: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict:
        if self.empty:
            return {"modelled": False}
        r6 = _r6
        loops = []
        for lr in self.loops:
            b, l = lr.base, lr.lost
            i = int(np.argmin(b.ratio))
            row = {"id": lr.id, "cdu": lr.cdu.pn, "cdus": lr.spec.cdus, "rows": lr.rows, "racks": len(lr.racks),
                   "heat_w": r6(lr.heat_w), "cdu_capacity_w": r6(b.capacity_w),
                   "flow_m3_s": r6(b.pump_flow), "pump_pressure_rise_pa": r6(b.pump_rise),
                   "supply_temperature_c": r6(b.t_supply_c), "return_temperature_c": r6(b.t_return_c),
                   "worst_rack": lr.racks[i].id, "worst_rack_flow_m3_s": r6(b.flows[i]),
                   "worst_rack_differential_pressure_pa": r6(b.dps[i]), "worst_rack_flow_ratio": r6(b.ratio[i]),
                   "row_header_pressure_drop_pa": r6(b.row_dp_drop),
                   "main_velocity_m_s": r6(b.main_velocity), "header_velocity_m_s": r6(b.header_velocity),
                   "converged": bool(b.converged), "cold_plates": _plates_json(lr.plates(b))}
            if l is not None:
                j = int(np.argmin(l.ratio))
                row.update({"cdus_lost": lr.cdus_lost, "cdu_loss_capacity_w": r6(l.capacity_w),
                            "cdu_loss_flow_m3_s": r6(l.pump_flow), "cdu_loss_worst_rack": lr.racks[j].id,
                            "cdu_loss_worst_rack_differential_pressure_pa": r6(l.dps[j]),
                            "cdu_loss_worst_rack_flow_ratio": r6(l.ratio[j]),
                            "cdu_loss_supply_temperature_c": r6(l.t_supply_c),
                            "cdu_loss_cold_plates": _plates_json(lr.plates(l))})
            loops.append(row)
        return {"modelled": True, "facility_supply_temperature_c": r6(self.t_fws_c), "water_class": self.water_class,
                "water_class_max_c": r6(self.class_max_c), "heat_to_liquid_w": r6(self.heat_w),
                "heat_to_air_w": r6(self.air_heat_w), "cooling_power_w": r6(self.cooling_power_w),
                "heat_rejection": {k: (r6(v) if isinstance(v, float) else v) for k, v in self.rejection.items()}
                if self.rejection else None,
                "hydraulic_solves": self.solves, "loops": loops, "seconds": r6(self.seconds)}


def _plates_json(plates: list[dict]) -> list[dict]:
    """RF357's figures per rack definition: its least-fed rack's hottest plate at the loop's flow and supply."""
    return [{"definition": p["definition"], "rack": p["rack"], "flow_scale": _r6(p["flow_scale"]),
             "mount": p["mount"], "cools": p["cools"], "plate": p["plate"],
             "case_temperature_c": _r6(p["case_temperature_c"]),
             "max_case_temperature_c": _r6(p["max_case_temperature_c"]),
             "case_temperature_margin_k": _r6(p["margin_k"])} for p in plates]


def _r6(x):
    if x is None:
        return None
    x = float(x)
    return round(x, 6) if math.isfinite(x) else None


#: why a rack definition without any liquid loop cannot hang on a row header: it is air-cooled, and a loop's rows
#: may hold it (it is left off the header)
AIR_COOLED = "has no liquid loop"


def _rack_hydraulics(ctx) -> dict[str, RackHydraulics | str]:
    """Per rack definition: its hydraulics as the rack model solved it, or why it cannot hang on a row header."""
    from rackforge.lowering.cooling import SUCTION_PRESSURE_PA

    out: dict[str, Any] = {}
    air: dict[str, float] = {}
    by_def: dict[str, list] = {}
    for gctx in ctx.by_generation():   # a mixed hall: each rack as its own generation's cooling model solved it
        cr = gctx.cooling
        air.update({ra.rdef.key: ra.air_w for ra in cr.racks})
        for lr in cr.loops:
            by_def.setdefault(lr.rdef.key, []).append(lr)
    for d in ctx.r.defs:
        lrs = by_def.get(d.key, [])
        if not lrs:
            out[d.key] = AIR_COOLED
            continue
        lr = lrs[0]
        if len(lrs) > 1:
            out[d.key] = "has more than one liquid loop (one row connection per rack is modelled)"
            continue
        if lr.cdu is None or lr.loop.cdu_part is None:
            out[d.key] = "is cooled by an in-rack CDU (its loop does not hang on the row header)"
            continue
        if not lr.solved or not lr.branches or not (lr.pump_flow > 0):
            out[d.key] = "has a liquid loop the rack model could not solve"
            continue
        q = float(lr.pump_flow)
        dp = float(lr.cdu_outlet_pressure) - SUCTION_PRESSURE_PA
        ratio = min(br.flow / br.min_flow for br in lr.branches if br.min_flow > 0)
        b = dp / (q * q)
        qn = q / ratio
        out[d.key] = RackHydraulics(d.key, float(lr.heat_w), float(air.get(d.key, 0.0)), b, q, dp, qn, b * qn * qn,
                                    lr)
    return out


def _row_net(rh: list[RackHydraulics], spec, pitch, rho, mu, dp_src):
    from rackforge.solvers.hydraulic_network import build_network

    n = len(rh)
    rc = spec.rack_connection
    d = float(spec.header.diameter)
    eps = float(spec.header.roughness)
    return build_network(
        rho=rho, mu=mu, pump_c=(dp_src, 0.0, 0.0), n_pumps=1, sup_d=d, sup_len=pitch, sup_eps=eps, sup_k=0.0,
        ret_d=d, ret_len=pitch, ret_eps=eps, ret_k=0.0, br_ptr=np.arange(n + 1),
        bp_d=np.full(n, float(rc.diameter)), bp_len=np.full(n, float(rc.length)), bp_eps=np.full(n, 1.5e-6),
        bp_k=np.full(n, float(rc.k)), br_a=np.zeros(n), br_b=np.array([r.b for r in rh]),
        reverse_return=spec.layout == "reverse", p_suction=0.0)


class LoopSolveError(ValueError):
    """The loop network has no finite solution (the solver's pressures or flows left the floats): absurd pipes."""


def solve_loop(rows_rh: list[list[RackHydraulics]], spec, cdu, k_cdus: int, pitch, row_pitch, rho, mu, counter,
               solver: str = "numba"):
    """Solve one loop (two levels, iterated; see the module docstring). ``solver``: ``numba``
    (:func:`rackforge.solvers.hydraulics.solve`) or ``reference`` (the numpy/scipy
    :func:`rackforge.solvers.hydraulics_ref.solve_ref`, the benchmark's baseline)."""
    from rackforge.solvers.hydraulic_network import build_network, fit_component_curve, fit_pump_curve

    if solver == "numba":
        from rackforge.solvers.hydraulics import solve
    else:
        from rackforge.solvers.hydraulics_ref import solve_ref as solve

    def solved(net):
        try:
            return solve(net, tol=1e-10)
        except ZeroDivisionError:   # a pivot of the linear solve underflowed to 0: resistances beyond the floats
            raise LoopSolveError("the network's equations are singular") from None

    def row_solve(i, dp):
        counter[0] += 1
        if not math.isfinite(dp):
            raise LoopSolveError(f"the pressure difference at row {i + 1}'s inlet is {dp}")
        net = _row_net(rows_rh[i], spec, pitch, rho, mu, max(dp, 1.0))
        return solved(net)

    # lumped row curves from two solves
    ab = []
    for i in range(len(rows_rh)):
        qs = [float(row_solve(i, dp).pump_flow) for dp in ROW_FIT_DP_PA]
        (q1, q2), (p1, p2) = qs, ROW_FIT_DP_PA
        det = q1 * q2 * q2 - q2 * q1 * q1
        a = (p1 * q2 * q2 - p2 * q1 * q1) / det
        b = (q1 * p2 - q2 * p1) / det
        ab.append([max(a, 0.0), max(b, 1e-9)])
    pts = cdu.pumps.curve
    pump_c = fit_pump_curve([float(p.flow) for p in pts], [float(p.pressure) for p in pts])
    ha, hb = fit_component_curve([float(p.flow) for p in cdu.hx_pressure_drop],
                                 [float(p.pressure) for p in cdu.hx_pressure_drop])
    n_run = k_cdus * cdu.pumps.required
    m = len(rows_rh)
    dm = float(spec.main.diameter)
    em = float(spec.main.roughness)
    seg = np.full(m, row_pitch)
    seg[0] = max(float(spec.main.length), 1e-3)
    sol = None
    row_sols = [None] * m
    conv = False
    for _ in range(MAX_OUTER):
        abn = np.array(ab)
        net = build_network(rho=rho, mu=mu, pump_c=pump_c, n_pumps=n_run, sup_d=dm, sup_len=seg, sup_eps=em,
                            sup_k=0.0, ret_d=dm, ret_len=seg, ret_eps=em, ret_k=0.0, br_ptr=np.zeros(m + 1),
                            bp_d=np.zeros(0), bp_len=np.zeros(0), bp_eps=np.zeros(0), bp_k=np.zeros(0),
                            br_a=abn[:, 0], br_b=abn[:, 1], cdu_a=ha / k_cdus, cdu_b=hb / k_cdus ** 2,
                            reverse_return=False, p_suction=0.0)
        counter[0] += 1
        sol = solved(net)
        if not (math.isfinite(float(sol.pump_flow)) and np.all(np.isfinite(sol.branch_dp))):
            raise LoopSolveError(f"the main's flow came out {float(sol.pump_flow)}")
        err = 0.0
        for i in range(m):
            dp = float(sol.branch_dp[i])
            rs = row_solve(i, dp)
            row_sols[i] = rs
            q = float(rs.pump_flow)
            qm = float(sol.branch_flow[i])
            err = max(err, abs(q - qm) / max(q, 1e-12))
            a = ab[i][0]
            ab[i][1] = max((dp - a * q) / (q * q), 1e-9) if q > 0 else ab[i][1]
        if err < ITER_TOL:
            conv = True
            break
    flows = np.concatenate([rs.branch_flow for rs in row_sols])
    row_drop = max(float(rs.branch_dp.max() - rs.branch_dp.min()) for rs in row_sols)
    # the rack sees the tap pressure difference less its connection hoses: dp across the rack = b q^2
    b_all = np.concatenate([[r.b for r in rr] for rr in rows_rh])
    need = np.concatenate([[r.q_need for r in rr] for rr in rows_rh])
    rack_dp = b_all * flows * flows
    area_m = math.pi * dm * dm / 4
    dh = float(spec.header.diameter)
    row_q = np.array([float(rs.pump_flow) for rs in row_sols])
    return LoopSolution(flows=flows, dps=rack_dp, ratio=flows / need, pump_flow=float(sol.pump_flow),
                        pump_rise=float(sol.pump_rise), converged=bool(sol.converged) and conv, row_flow=row_q,
                        main_velocity=float(sol.pump_flow) / area_m,
                        header_velocity=float(row_q.max()) / (math.pi * dh * dh / 4), row_dp_drop=row_drop)


def analyze(ctx, solver: str = "numba") -> FacilityWaterAnalysis:
    import time

    t0 = time.perf_counter()
    fw = FacilityWaterAnalysis()
    if ctx.design is None or ctx.design.facility is None or ctx.design.facility.water is None:
        return fw
    from rackforge.lowering.coolants import coolant_props
    from rackforge.solvers.coolant import CoolantRangeError

    w = ctx.design.facility.water
    probs = fw.problems
    fw.max_velocity = float(w.max_velocity)
    site_t = ctx.design.site.facility_water_supply_temperature
    if w.supply_temperature is not None:
        fw.t_fws_c, fw.t_fws_ptr = float(w.supply_temperature) - 273.15, "/facility/water/supply_temperature"
    elif site_t is not None:
        fw.t_fws_c, fw.t_fws_ptr = float(site_t) - 273.15, "/site/facility_water_supply_temperature"
    else:
        probs.append(("/facility/water", "no facility water supply temperature", "set facility.water."
                      "supply_temperature or site.facility_water_supply_temperature"))
    wc = w.water_class
    if wc is None:
        wc = ctx.req("cooling.facility_water_class")
        fw.class_from_generation = wc is not None
    fw.water_class = wc
    if wc is not None and wc != "W+":
        from rackforge.solvers.air import facility_water_class_max

        fw.class_max_c = float(facility_water_class_max(wc))
    rows = rows_of(ctx)
    pitch = rack_pitch(ctx)
    row_pitch = float(ctx.design.site.row_pitch) if ctx.design.site.row_pitch is not None else DEFAULT_ROW_PITCH_M
    rh = _rack_hydraulics(ctx)
    taken: dict[str, str] = {}
    specs = []
    for spec, p, vals in expand(w.loops, "/facility/water/loops", probs):
        lid = fmt(spec.id, vals, p + "/id", probs)
        cdu = ctx.catalog.get(spec.cdu)
        if cdu is None or cdu.kind != "cdu":
            probs.append((p + "/cdu", f"{spec.cdu!r} is not a CDU part" if cdu else f"unknown CDU part {spec.cdu!r}",
                          "name a catalog part of kind cdu"))
            continue
        if cdu.placement == "in_rack":
            probs.append((p + "/cdu", f"{spec.cdu!r} is an in-rack CDU", "a facility loop needs an in-row or "
                          "facility CDU"))
            continue
        if spec.coolant not in cdu.coolants:
            probs.append((p + "/coolant", f"CDU {cdu.pn} is not rated for {spec.coolant}",
                          f"use one of {', '.join(cdu.coolants)}"))
            continue
        if spec.redundant >= spec.cdus:
            probs.append((p + "/redundant", f"loop {lid!r}: {spec.redundant} of {spec.cdus} CDUs redundant leaves "
                          "none to carry the heat", "install more CDUs than the redundant count"))
            continue
        rr, racks = [], []
        bad = False
        for rt in spec.rows:
            row = fmt(rt, vals, p + "/rows", probs)
            if row not in rows:
                probs.append((p + "/rows", f"row {row!r} has no racks in this design", "name a row of the design"))
                bad = True
                continue
            if row in taken:
                probs.append((p + "/rows", f"row {row!r} is on two loops ({taken[row]} and {lid})",
                              "put each row on one loop"))
                bad = True
                continue
            taken[row] = lid
            line = []
            for r in rows[row]:
                h = rh.get(r.rdef.key)
                if h == AIR_COOLED:
                    # an air-cooled rack (no liquid loop at all: the switch racks a hall fabric adds at the end
                    # of its SU's row) stands in the row but is not on its header; its heat goes to the room air
                    continue
                if not isinstance(h, RackHydraulics):
                    probs.append((p + "/rows", f"rack {r.id} of row {row!r} {h or AIR_COOLED}",
                                  "leave in-rack-CDU racks off facility loops"))
                    bad = True
                    break
                line.append(h)
                racks.append(r)
            if not line and not bad:
                probs.append((p + "/rows", f"row {row!r} has no liquid-cooled rack", "leave rows of air-cooled "
                              "racks off facility loops"))
                bad = True
            rr.append(line)
        if not bad:
            specs.append((lid, p, spec, cdu, [fmt(r, vals, p + "/rows", probs) for r in spec.rows], rr, racks))
    for row, racks in rows.items():
        if row not in taken and isinstance(rh.get(racks[0].rdef.key), RackHydraulics):
            fw.unassigned.append(row)
    if fw.unassigned:
        probs.append(("/facility/water/loops", f"rows with liquid-cooled racks on no facility loop: "
                      f"{', '.join(fw.unassigned[:6])}{' ...' if len(fw.unassigned) > 6 else ''}",
                      "add the rows to a loop"))
    if probs:
        return fw
    cache: dict[tuple, tuple] = {}
    counter = [0]
    total_pump = 0.0
    for lid, p, spec, cdu, row_ids, rr, racks in specs:
        lr = WaterLoopResult(lid, p, spec, cdu, racks, row_ids)
        lr.rows_rh = rr
        lr.heat_w = sum(h.heat_w for line in rr for h in line)
        fw.air_heat_w += sum(h.air_w for line in rr for h in line)
        fw.heat_w += lr.heat_w
        n_pump_run = spec.cdus * cdu.pumps.required
        lr.pump_power_w = n_pump_run * float(cdu.pumps.power or 0.0)
        total_pump += lr.pump_power_w
        key = (spec.model_dump_json(exclude={"id", "rows", "repeat"}), tuple(tuple(h.key for h in line) for line in rr))
        if not LOOP_CACHE:
            key = (lid,)
        if key not in cache:
            t_mean = fw.t_fws_c + float(cdu.approach) + 5.0
            try:
                props = coolant_props(spec.coolant, t_mean)
            except CoolantRangeError as exc:   # an absurd supply temperature: RF350 says so, nothing is solved
                probs.append((fw.t_fws_ptr, f"loop {lid!r}: {spec.coolant} has no property data at the loop's "
                              f"{t_mean:.0f} degC ({exc})", "a facility supply temperature in the coolant's range"))
                return fw
            try:
                base = solve_loop(rr, spec, cdu, spec.cdus, pitch, row_pitch, props.rho, props.mu, counter, solver)
                lost = None
                if spec.redundant > 0:
                    lost = solve_loop(rr, spec, cdu, spec.cdus - spec.redundant, pitch, row_pitch, props.rho,
                                      props.mu, counter, solver)
            except LoopSolveError as exc:   # RF350 says so; nothing is solved
                probs.append((p, f"loop {lid!r} has no finite solution ({exc}): check its pipe diameters, lengths "
                              "and roughness", "pipes of a size a hall uses"))
                return fw
            for s, k in ((base, spec.cdus), (lost, spec.cdus - spec.redundant)):
                if s is None:
                    continue
                _temperatures(s, lr.heat_w, float(cdu.capacity) * k, float(cdu.approach), fw.t_fws_c, props)
                s.plates = _plates(s, [h for line in rr for h in line])
            cache[key] = (base, lost)
        lr.base, lr.lost = cache[key]
        lr.cdus_lost = spec.redundant
        fw.loops.append(lr)
    fw.solves = counter[0]
    hr = w.heat_rejection
    rej_power = 0.0
    if hr is not None:
        part = ctx.catalog.get(hr.part)
        if part is None or part.kind != "heat_rejection":
            probs.append(("/facility/water/heat_rejection/part", f"{hr.part!r} is not a heat rejection part"
                          if part else f"unknown part {hr.part!r}", "name a catalog part of kind heat_rejection"))
            return fw
        load = fw.heat_w + total_pump
        cap = float(part.capacity) * (hr.count - hr.redundant)
        rej_power = float(part.power) * load / float(part.capacity)
        fw.rejection = {"part": part.pn, "units": hr.count, "redundant": hr.redundant, "load_w": load,
                        "capacity_w": cap, "loading": load / cap if cap > 0 else math.inf,
                        "rated_supply_temperature_c": float(part.rated_supply_temperature) - 273.15,
                        "power_w": rej_power}
    fw.cooling_power_w = total_pump + rej_power
    fw.empty = False
    fw.seconds = time.perf_counter() - t0
    return fw


def _plates(s: LoopSolution, rh: list[RackHydraulics]) -> list[dict]:
    """Cold plates of each rack definition's least-fed rack at the loop's flow and TCS supply (module text)."""
    from rackforge.lowering.cooling import plate_load
    from rackforge.solvers.thermal import CduThermal, loop_temperatures

    out = []
    least: dict[str, int] = {}
    for i, h in enumerate(rh):
        if h.key not in least or s.flows[i] / h.q_op < s.flows[least[h.key]] / rh[least[h.key]].q_op:
            least[h.key] = i
    for key, i in least.items():
        lr = rh[i].loop
        scale = float(s.flows[i]) / rh[i].q_op
        q = np.array([br.flow for br in lr.branches]) * scale
        load = plate_load(lr)
        # the supply is the loop's TCS supply: a CDU of no approach and no limit passes it through unchanged
        t = loop_temperatures(q, load, CduThermal(math.inf, 0.0), s.t_supply_c, lr.props.rho, lr.props.cp)
        j = int(np.argmin(t.plate_margin))
        k = int(np.searchsorted(load.plate_ptr, j, side="right")) - 1
        br = lr.branches[k]
        use = br.plates[j - int(load.plate_ptr[k])].use
        out.append({"definition": key, "index": i, "flow_scale": scale, "mount": br.mi.id,
                    "cools": use.cools, "plate": use.part, "margin_k": float(t.plate_margin[j]),
                    "case_temperature_c": float(t.plate_t_case[j]),
                    "max_case_temperature_c": float(use.max_case_temperature) - 273.15})
    return out


def _temperatures(s: LoopSolution, heat: float, cap: float, approach: float, t_fws: float, props) -> None:
    """TCS supply and return [degC]: ``T_fws + approach x min(Q, C)/C`` plus the deficit carried round the loop,
    return by energy balance ``dT = Q / (m_dot cp)``."""
    s.capacity_w = cap
    mcp = props.rho * s.pump_flow * props.cp
    t_sup = t_fws + approach * min(heat, cap) / cap
    if heat > cap and mcp > 0:
        t_sup += (heat - cap) / mcp
    s.t_supply_c = t_sup
    s.t_return_c = t_sup + (heat / mcp if mcp > 0 else math.inf)
