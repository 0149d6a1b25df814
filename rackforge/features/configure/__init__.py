"""The configurator: a valid, optimised design from a generation's requirements and a catalog.

``configure(generation, ...)`` (what ``rackforge configure`` runs):

1. **Requirements**: the generation profile with ``--set`` overrides and the site
   (:mod:`rackforge.features.configure.requirements`, which documents the ``--set`` semantics).
2. **Candidates**: the catalog filtered per role (:mod:`rackforge.features.configure.candidates`); a role left empty is
   explained (the requirement no part meets, and the closest part).
3. **Density**: unless ``accelerators`` is given, each rack holds as many whole scale-up domains as its power
   envelope, rack units and mass allow (a CP-SAT solve maximising domains per rack); with ``accelerators``, the
   fewest racks that hold that many packages (or ``racks`` if given), the domains spread evenly.
4. **Optimisation** (:mod:`rackforge.features.configure.cpsat`): part choices and counts minimising the objective
   (``cost``, ``power``, ``weight``) or maximising the domestic cost share (``domestic``); ties broken by cost.
5. **Check and cut**: the design is written (:mod:`rackforge.features.configure.layout`) and validated by the real engine
   (every rule, with the power, cooling and network solvers). A failing finding tightens the margin of the
   constraint group it names (RF2xx power -> PSU/busbar/PDU headroom, RF204 -> breaker size, RF3xx -> CDU share,
   RF405/406 -> cable length, RF105/106 -> mass) and the model is solved again; a finding no margin covers cuts
   that exact configuration off (a no-good cut). This repeats until the design validates clean (errors and
   warnings) or :data:`MAX_ROUNDS` is reached.
6. **Alternatives**: the K best distinct configurations (each earlier one cut off), each validated the same way.

When the model is infeasible, the constraint groups of an infeasible core (CP-SAT assumptions) name the
requirement that cannot be met, and the group relaxed gives the closest the catalog gets.

Scale-out: when the generation asks for scale-out bandwidth and the catalogs hold switches and cables for the
trays' NIC ports, the rack (filled to its density first) gets a rail-optimised two-tier fabric: one leaf per rail
(NIC port index) carrying every node of the rack, uplinks for ``scale_out.max_oversubscription``, spines for the
uplinks (two when ``scale_out.redundant``), written as ``rail`` and ``leaf_spine`` patterns. Otherwise (the default
catalog has no scale-out switch) the NIC ports are left for the hall's fabric, as the design's description says.

Not configured (yet): battery backup units (the
designs are dual-fed with N+N shelves or PDUs, so the surviving feed carries the load through a feed loss, which
is what RF208 accepts as hold-up), in-rack CDUs (in-row CDUs only, with a share per rack), fans and rear-door heat
exchangers (the parts' own fans; the site's air rise is raised to :data:`AIR_RISE_MAX_K` when they need it).

Determinism: the CP-SAT solver runs with one worker, a fixed seed and a deterministic-time limit; candidates,
mounts, patterns and keys are written in sorted or fixed order; the JSON is written with fixed indentation.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rackforge.features.configure.candidates import Infeasible

OBJECTIVES = ("cost", "power", "weight", "domestic")
#: Largest air temperature rise the configurator assumes for the site when the parts' fans need it [K]: a
#: contained hot aisle (ASHRAE TC 9.9 cites 20-25 K typical server rises).
AIR_RISE_MAX_K = 25.0
MAX_ROUNDS = 14

__all__ = ["OBJECTIVES", "Configured", "Infeasible", "configure"]


@dataclass
class Configured:
    design: dict[str, Any]
    text: str                                   # the design as written (JSON)
    metrics: dict[str, Any]
    rounds: int
    log: list[str] = field(default_factory=list)


def _catalog(paths: list[str]):
    from rackforge.model.catalog import default_catalog, load_catalog_file
    from rackforge.errors import InputError

    cat = default_catalog()
    if paths:
        cat = cat.merged(type(cat)())
        for p in paths:
            cat.add(load_catalog_file(p))
    if cat.problems:
        pr = cat.problems[0]
        raise InputError(pr.message, file=pr.file, pointer=pr.pointer or None, hint=pr.hint)
    return cat


TARGET_ID = "configure-target"


def _target_file(req, folder: str) -> str | None:
    """A generations file holding the requirements as overridden (``--set``), for checking a candidate against
    them with the real rules; None when nothing is overridden."""
    if not any(k.split(".", 1)[0] != "site" for k in req.overrides):
        return None
    data = req.gen.model_dump(mode="json", exclude_none=True)
    data.update({"id": TARGET_ID, "name": f"{req.gen_id} with --set overrides", "sources": {}})
    data.pop("extends", None)
    path = os.path.join(folder, "target.json")
    Path(path).write_text(json.dumps({"generations": [data]}), encoding="utf-8")
    return path


def _check(design: dict, catalogs: list[str], req=None):
    """Validate a candidate design with the engine: (findings at warning or worse against the design's generation,
    findings against the --set overrides when ``req`` has any (a tighter override must be met), bom)."""
    from rackforge.engine import Context, Options, load_design, run_rules
    from rackforge.model.findings import Severity

    d = dict(design)
    d.pop("catalogs", None)
    with tempfile.TemporaryDirectory(prefix="rackforge-configure-") as tmp:
        path = os.path.join(tmp, "candidate.json")
        Path(path).write_text(json.dumps(d, indent=2) + "\n", encoding="utf-8")
        opts = Options(catalogs=tuple(catalogs))
        ld = load_design(path, catalogs=catalogs)
        ctx = Context(ld, opts) if ld.design is not None else None
        bad = [f for f in run_rules(ld, opts, ctx) if f.severity >= Severity.WARNING]
        target = _target_file(req, tmp) if req is not None else None
        if target is not None and not d.get("waivers"):
            topts = Options(catalogs=(*catalogs, target), generation=TARGET_ID)
            tld = load_design(path, catalogs=[*catalogs, target], generation=TARGET_ID)
            keys = {(f.code, f.pointer, f.message) for f in bad}
            bad_t = [f for f in run_rules(tld, topts) if f.severity >= Severity.WARNING
                     and (f.code, f.pointer, f.message) not in keys]
        else:
            bad_t = []
        bom = None
        if ld.design is not None:
            try:
                from rackforge.features import bom as B

                bom = B.build(ctx)
            except ImportError:  # a build without the bom module: the design stands without its BOM figures
                bom = None
        return bad, bad_t, bom


# finding code -> the margin to tighten (None: breaker size; absent: no-good cut)
_MARGIN_OF = {
    "RF201": "psu", "RF202": "psu", "RF203": "psu", "RF207": "bus", "RF211": "bus", "RF212": None,
    "RF206": "bus", "RF204": "breaker+pdu", "RF312": "air", "RF105": "mass", "RF106": "mass", "RF200": "power",
    "RF301": "cdu", "RF303": "cdu", "RF304": "cdu", "RF306": "cdu", "RF302": "cdu",
    "RF405": "cable", "RF406": "cable",
}


def configure(generation: str, *, catalogs: list[str] | None = None, objective: str = "cost",
              racks: int | None = None, accelerators: int | None = None, sets: dict[str, str] | None = None,
              alternatives: int = 1, name: str | None = None, catalog_refs: list[str] | None = None,
              progress: Callable[[str], None] | None = None) -> list[Configured]:
    """Configure up to ``alternatives`` distinct designs, best first. Raises :class:`Infeasible` (exit 1) when no
    design meets the requirements, :class:`rackforge.errors.InputError` (exit 2) for bad input."""
    from rackforge.features.configure import candidates as C
    from rackforge.features.configure import cpsat, layout
    from rackforge.features.configure import requirements as R

    if objective not in OBJECTIVES:
        raise ValueError(objective)
    say = progress or (lambda s: None)
    catalogs = list(catalogs or [])
    cat = _catalog(catalogs)
    req = R.build(generation, cat, dict(sets or {}))
    op = req.gen.power.operating_point or "max"
    cand = C.select(req, cat, op)
    margins = cpsat.Margins()
    # ---- density: domains per rack and racks
    n_dom, n_racks = _density(req, cand, cat, op, margins, racks, accelerators, say)
    fabric = _fabric_fits(req, cand, cat, op, margins, n_dom, n_racks, say)
    name = name or f"{generation}-configured"
    out: list[Configured] = []
    cuts: list[tuple] = []
    breaker_margin = 1.1
    rounds = 0
    log: list[str] = []
    last_findings: list = []
    seen: dict[tuple, int] = {}
    while len(out) < alternatives and rounds < MAX_ROUNDS * alternatives:
        rounds += 1
        m = cpsat.Model(req, cand, cat, op, n_racks, margins, fabric=fabric)
        m.build(n_dom_fixed=n_dom, cuts=cuts)
        sol = _optimise(m, objective)
        if sol is None:
            if not out:
                if last_findings:
                    f0 = last_findings[0]
                    raise Infeasible(f"no configuration from the catalog validates clean: {f0.code} {f0.message}",
                                     f"{len(last_findings)} finding(s) remained after {rounds - 1} round(s)")
                raise _explain(req, cand, cat, op, n_racks, margins, n_dom)
            break
        waivers: list[dict] = []
        design = layout.build(sol, req, cand, cat, op, racks=n_racks, name=name, breaker_margin=breaker_margin,
                              catalogs=catalog_refs)
        bad, bad_t, bom = _check(design, catalogs, req)
        if req.relaxed and bad:
            waivers = _waivers(bad, req)
            if waivers:
                design["waivers"] = waivers
                bad, _, bom = _check(design, catalogs)
        bad = bad + bad_t
        if not bad:
            text = json.dumps(design, indent=2) + "\n"
            met = metrics(sol, req, cand, op, n_racks, bom, objective)
            log.append(f"round {rounds}: clean ({objective} {met.get(_KEY[objective])})")
            say(log[-1])
            out.append(Configured(design, text, met, rounds, list(log)))
            cuts.append(sol.signature)
            continue
        last_findings = bad
        codes = sorted({f.code for f in bad})
        log.append(f"round {rounds}: {len(bad)} finding(s) {', '.join(codes)}")
        say(log[-1])
        tightened = False
        seen[sol.signature] = seen.get(sol.signature, 0) + 1
        for code in codes:
            what = _MARGIN_OF.get(code)
            if what == "breaker+pdu":
                breaker_margin *= 1.25
                margins.tighten("pdu")
                tightened = True
            elif what == "air":
                # the site's allowed air rise: 20 K (the engine's default), up to 25 K for a contained hot aisle
                rise = req.site.air_temperature_rise
                if rise is None or float(rise) < AIR_RISE_MAX_K - 1e-9:
                    req.site = req.site.model_copy(update={"air_temperature_rise": _parse_k(AIR_RISE_MAX_K)})
                    log.append(f"  site: air temperature rise raised to {AIR_RISE_MAX_K:g} K (contained hot aisle)")
                    tightened = True
            elif what == "cable":
                margins.cable_extra_mm += 150
                tightened = True
            elif what is not None:
                margins.tighten(what)
                tightened = True
        if not tightened or seen[sol.signature] >= 3:
            cuts.append(sol.signature)
    if not out:
        f0 = last_findings[0] if last_findings else None
        raise Infeasible("no configuration from the catalog validates clean"
                         + (f": {f0.code} {f0.message}" if f0 else ""),
                         f"gave up after {rounds} round(s)")
    return out


_KEY = {"cost": "cost_usd", "power": "power_w", "weight": "mass_kg", "domestic": "domestic_share"}


def _optimise(m, objective: str):
    """Solve for the objective, then for cost at the optimum (tie-break). Returns a Solution or None."""
    from ortools.sat.python import cp_model

    OK = (cp_model.OPTIMAL, cp_model.FEASIBLE)
    if objective == "domestic":
        # Dinkelbach: maximise dom - r * total until r stops growing (r = dom / total of the incumbent)
        r_num, r_den = 0, 1
        best = None
        for _ in range(12):
            s, st = m.solve(m.dom_cost * r_den - m.cost * r_num, maximize=True)
            if st not in OK:
                break
            dom, tot = s.Value(m.dom_cost), max(1, s.Value(m.cost))
            best = (dom, tot)
            if dom * r_den <= r_num * tot:
                break
            r_num, r_den = dom, tot
        if best is None:
            return None
        m.M.Add(m.dom_cost * best[1] >= m.cost * best[0])
        s, st = m.solve(m.cost * 128 + m.v["share"])
        return m.read(s) if st in OK else None
    # cost ties are broken by the smallest CDU share (a row of racks then shares fewer CDUs)
    tie = m.cost * 128 + m.v["share"]
    expr = {"cost": tie, "power": m.power_w, "weight": m.mass}[objective]
    s, st = m.solve(expr)
    if st not in OK:
        return None
    if objective != "cost":
        m.M.Add(expr <= int(round(s.ObjectiveValue())))
        s, st = m.solve(tie)
        if st not in OK:
            return None
    return m.read(s)


def _fabric_fits(req, cand, cat, op, margins, n_dom, racks, say) -> bool:
    """Build the scale-out fabric in the rack when the generation asks for scale-out bandwidth, the catalog has
    leaves and cables for the trays' NICs, and the rack (filled to its density first) can take them."""
    from ortools.sat.python import cp_model

    from rackforge.features.configure import cpsat

    if req.gen.scale_out.bandwidth_per_accelerator is None or not (cand.so_switches and cand.so_cables):
        return False
    m = cpsat.Model(req, cand, cat, op, racks, margins, fabric=True)
    m.build(n_dom_fixed=n_dom, cuts=[])
    s, st = m.solve(0)
    ok = st in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    say("scale-out fabric: rail leaves and spines in the rack" if ok else
        "scale-out fabric: the leaves and spines do not fit the rack; NIC ports left for the hall's fabric")
    return ok


def _density(req, cand, cat, op, margins, racks, accelerators, say) -> tuple[int, int]:
    from ortools.sat.python import cp_model

    from rackforge.features.configure import cpsat

    m = cpsat.Model(req, cand, cat, op, 1, margins)
    m.build(n_dom_fixed=None, cuts=[])
    s, st = m.solve(m.v["n_dom"], maximize=True)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise _explain(req, cand, cat, op, 1, margins, None)
    max_dom = s.Value(m.v["n_dom"])
    t = next(t for t, x in zip(cand.trays, m.v["x_t"]) if s.Value(x))
    pk_dom = t.per_domain * t.part.accelerators.packages
    if accelerators is None:
        n = racks or 1
        say(f"density: {max_dom} scale-up domain(s) of {pk_dom} packages per rack")
        return max_dom, n
    domains = math.ceil(accelerators / pk_dom)
    need_racks = math.ceil(domains / max_dom)
    if racks is not None and racks < need_racks:
        raise Infeasible(f"{accelerators} packages need {domains} scale-up domain(s) of {pk_dom}; {racks} rack(s) "
                         f"hold at most {racks * max_dom}", f"a rack holds at most {max_dom} domain(s) within its "
                         "power envelope, rack units and mass; use --racks "
                         f"{need_racks} or more", key="racks")
    n_racks = racks or need_racks
    per = math.ceil(domains / n_racks)
    say(f"density: {domains} domain(s) over {n_racks} rack(s), {per} per rack")
    return per, n_racks


_GROUP_TEXT = {
    "power_envelope": ("power.rack_power_max", "the rack's IT power at the operating point exceeds the envelope"),
    "rack_units": ("physical", "the parts do not fit in the frame's slots"),
    "mass": ("physical.max_rack_mass", "the equipment is heavier than the frame or the generation allows"),
    "psu_capacity": ("power.psu_redundancy", "the PSUs cannot carry the load with the redundancy asked"),
    "shelf_output": ("power.psu_redundancy", "the power shelves' outputs cannot carry the load after a feed loss"),
    "busbar_current": ("power", "no busbar arrangement carries the current"),
    "pdu_capacity": ("power.feed_redundancy", "the PDUs left after a feed loss cannot carry the rack"),
    "phase_balance": ("power.max_phase_imbalance", "the PSUs cannot be spread evenly over the phases"),
    "cdu_capacity": ("cooling", "no CDU removes the heat"),
    "cdu_flow": ("cooling", "no CDU delivers the flow the trays need"),
    "manifold_taps": ("cooling", "no manifold has taps for every liquid-cooled part"),
    "cable_reach": ("scale_up", "no scale-up cable reaches across the compute trays and switch trays"),
    "switch_hops": ("scale_up.max_switch_hops", ("the domain needs more switch chips than a package has scale-up "
                                                 "links, so some packages would be more than one switch hop apart")),
    "liquid_share": ("cooling.liquid_share_min", "no choice of parts puts enough of the rack's heat into liquid"),
    "domestic_share": ("supply_chain.domestic_share_min", "no choice of parts reaches the domestic content share"),
}


def _explain(req, cand, cat, op, racks, margins, n_dom) -> Infeasible:
    """Name the requirement an infeasible core points at, and what the catalog gets closest to."""
    from ortools.sat.python import cp_model

    from rackforge.features.configure import cpsat

    m = cpsat.Model(req, cand, cat, op, racks, margins)
    m.build(n_dom_fixed=n_dom, cuts=[], assume=True)
    s, st = m.solve(0)
    if st != cp_model.INFEASIBLE:
        return Infeasible("the model has no solution within the solver's limits", None)
    core_idx = set(s.SufficientAssumptionsForInfeasibility())
    names = [n for n, lit in m.assumptions.items() if lit.Index() in core_idx]
    if not names:
        return Infeasible("no combination of the catalog's parts meets the requirements", None)

    def relaxed_model(drop: set[str]):
        mm = cpsat.Model(req, cand, cat, op, racks, margins)
        mm.build(n_dom_fixed=n_dom, cuts=[], assume=True)
        lits = [lit for n, lit in mm.assumptions.items() if n not in drop]
        mm.M.ClearAssumptions()
        mm.M.AddAssumptions(lits)
        mm.assumptions = {}
        return mm

    # the group whose relaxation alone makes the model feasible is the requirement that cannot be met
    name = None
    for n in names:
        mm = relaxed_model({n})
        sv = cp_model.CpSolver()
        sv.parameters.num_workers = 1
        sv.parameters.random_seed = 0
        sv.parameters.max_deterministic_time = 10.0
        if sv.Solve(mm.M) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            name = n
            break
    drop = {name}
    if name is None:
        # several limits bind together: name the first of them in this order, and relax them all for the closest
        order = ["switch_hops", "rack_units", "power_envelope", "mass", "cdu_capacity", "liquid_share", "domestic_share"]
        name = next((n for n in order if n in names), names[0])
        drop = set(names)
    key, text = _GROUP_TEXT.get(name, (name, name.replace("_", " ")))
    # the closest: relax the group(s) and see how far the best design is
    m2 = relaxed_model(drop)
    v = m2.v
    closest = None
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = 10.0
    measure = {"power_envelope": v["p_rack"], "mass": v["mass"], "rack_units": v["used"]}.get(name)
    if measure is not None:
        m2.M.Minimize(measure)
        st2 = solver.Solve(m2.M)
        if st2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            x = solver.Value(measure)
            dom = n_dom or 1
            if name == "power_envelope":
                lim = req.f("power.rack_power_max")
                t = next(t for t, b in zip(cand.trays, v["x_t"]) if solver.Value(b))
                pk = t.per_domain * t.part.accelerators.packages
                text = (f"no rack of {dom} scale-up domain(s) of {pk} packages stays within the "
                        f"{lim / 1e3:g} kW power envelope at the {op} operating point")
                closest = (f"the smallest such rack from the catalog draws {x / 1e3:.1f} kW "
                           f"({t.pn}); the longest scale-up cable is {max(float(k.length) for k in cand.su_cables):g} m, "
                           "so a domain cannot span racks" if cand.su_cables else
                           f"the smallest such rack from the catalog draws {x / 1e3:.1f} kW ({t.pn})")
                if req.overrides.get("scale_up.domain_packages") is None and pk > 1:
                    closest += "; a smaller domain (--set scale_up.domain_packages=N) fits fewer trays per rack"
            elif name == "mass":
                closest = f"the lightest such rack's equipment weighs {x / 1e3:.0f} kg"
            else:
                closest = (f"the smallest such rack needs {x} slots; the largest allowed frame has "
                           f"{max(f.slots for f in cand.frames)}")
    elif name == "liquid_share":
        m2.M.Maximize(v["heat"] * 1000 - v["p_rack"])
        if solver.Solve(m2.M) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            lmin = req.f("cooling.liquid_share_min")
            best = solver.Value(v["heat"]) / max(1, solver.Value(v["p_rack"]))
            text = f"no choice of parts from the catalog puts {lmin:.0%} of the rack's heat into liquid"
            closest = f"the most is {best:.1%}"
    elif name == "domestic_share":
        r_num, r_den = 0, 1
        for _ in range(8):
            m2.M.Maximize(m2.dom_cost * r_den - m2.cost * r_num)
            if solver.Solve(m2.M) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                break
            dom, tot = solver.Value(m2.dom_cost), max(1, solver.Value(m2.cost))
            if dom * r_den <= r_num * tot:
                break
            r_num, r_den = dom, tot
        dmin = req.f("supply_chain.domestic_share_min")
        text = f"no choice of parts from the catalog reaches a {dmin:.0%} domestic content share (by cost)"
        closest = f"the highest is {r_num / r_den:.1%}"
    elif name in ("cdu_capacity", "cdu_flow"):
        m2.M.Minimize(v["heat"])
        st2 = solver.Solve(m2.M)
        if st2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            heat = solver.Value(v["heat"]) * racks
            tf = req.site.facility_water_supply_temperature
            best = max(cand.cdus, key=lambda d: float(d.capacity))
            text = (f"no CDU in the catalog removes {heat / 1e3:.0f} kW"
                    + (f" at a {float(tf) - 273.15:g} degC facility supply" if tf is not None else ""))
            closest = f"the largest removes {float(best.capacity) / 1e3:g} kW ({best.pn})"
    return Infeasible(text, closest, key=key)


def _waivers(findings, req) -> list[dict]:
    """Waivers for the findings a looser --set override causes (see rackforge.features.configure.requirements)."""
    out = []
    seen = set()
    for f in findings:
        why = req.relaxed.get(f.requirement or "")
        if why is None:
            continue
        key = (f.code, f.pointer)
        if key in seen:
            continue
        seen.add(key)
        out.append({"rule": f.code, "target": f.pointer or "/",
                    "reason": f"configured with {why}: relaxes {req.gen_id}'s {f.requirement}"})
    return sorted(out, key=lambda w: (w["rule"], w["target"]))


def metrics(sol, req, cand, op, racks, bom, objective) -> dict[str, Any]:
    """Figures for the comparison table: the BOM's cost, power, mass, domestic share and cable count, and the
    configuration's headroom against its limits."""
    out: dict[str, Any] = {"objective": objective, "racks": racks,
                           "accelerators": racks * sol.n_ct * sol.tray.part.accelerators.packages}
    if bom is not None:
        from rackforge.features import bom as B

        parts = bom.parts()
        t = B.totals(parts)
        fig = B.figures(bom)
        out.update({"cost_usd": round(t["cost_usd"], 2), "power_w": round(t["power_w"], 1),
                    "mass_kg": round(t["mass_kg"], 1), "domestic_share": fig.get("domestic_share"),
                    "cables": int(sum(ln.qty for ln in parts if ln.kind == "cable"))})
    p_rack = (sol.n_ct * sol.tray.power_w + sol.n_st * (_pw(sol.switch, op)) + sol.n_mg * _pw(sol.mgmt, op))
    pmax = req.f("power.rack_power_max")
    out["power_margin"] = round(1 - p_rack / pmax, 4) if pmax else None
    if sol.cdu is not None:
        heat = sol.n_ct * sol.tray.liquid_w
        out["cooling_margin"] = round(1 - heat / (float(sol.cdu.capacity) * sol.share_pct / 100), 4)
    else:
        out["cooling_margin"] = None
    return out


def _parse_k(k: float):
    from rackforge.model.units import parse

    return parse(f"{k:g} K", "temperature_difference")


def _pw(part, op) -> float:
    from rackforge.model.resolved import mount_power

    return mount_power(part, op) if part is not None else 0.0
