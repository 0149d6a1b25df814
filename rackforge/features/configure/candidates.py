"""The parts the configurator may choose, per role, filtered from the catalog by the requirements.

Each filter keeps the parts that can meet the generation by themselves (a compute tray with the right dies per
package and enough scale-up bandwidth, a frame of an allowed standard, a CDU that accepts the facility water);
what couples parts (counts, capacities, rack units, mass) is left to the CP-SAT model in
:mod:`rackforge.features.configure.cpsat`. When a role is left empty, :class:`Infeasible` says which requirement no part
meets and the closest the catalog gets.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from rackforge.model.resolved import mount_power

REL_TOL = 0.005   # generation figures are rounded published numbers (as rackforge.lowering.network.meets)
STANDARD_FEED_V = {"ac": [415.0, 400.0, 480.0, 380.0, 230.0, 208.0], "dc": [800.0, 400.0, 48.0]}
LOW_VOLTAGE_DC = 100.0   # a DC input below this is a busbar-fed tray (48-54 V class)


class Infeasible(Exception):
    """No design meets the requirements: ``requirement`` is the one that cannot be met, ``closest`` what the
    catalog comes nearest with."""

    exit_code = 1

    def __init__(self, requirement: str, closest: str | None = None, *, key: str | None = None) -> None:
        super().__init__(requirement if closest is None else f"{requirement}; {closest}")
        self.requirement = requirement
        self.closest = closest
        self.key = key


def meets(value: float, required: float | None) -> bool:
    return required is None or value >= required * (1.0 - REL_TOL)


def fits_frame(part_std: str, frame_std: str) -> bool:
    """A part of standard ``part_std`` fits a frame of ``frame_std`` (a 19" part fits a 21" and a wide frame)."""
    order = {"eia19": 0, "ocp21": 1, "orw": 2}
    return part_std == "any" or order.get(part_std, 9) <= order.get(frame_std, -1)


def ports(part, role: str) -> list:
    return [g for g in getattr(part, "ports", []) or [] if g.role == role]


def so_key(part) -> tuple | None:
    """(form factor, speed, lanes) of a part's scale-out ports: what a leaf and a cable must match."""
    gs = ports(part, "scale_out")
    return (gs[0].form_factor, float(gs[0].speed), gs[0].lanes) if gs else None


def nports(part, role: str) -> int:
    return sum(g.count for g in ports(part, role))


@dataclass
class Tray:
    part: Any
    per_domain: int            # trays per scale-up domain
    internal: bool             # in-chassis scale-up switch: the tray is the domain
    power_w: float             # at the operating point
    liquid_w: float            # heat to liquid at the operating point
    flow_lpm: float            # min flow
    psus: Any | None           # InternalPsus (AC server / 800 V pod) or None (busbar-fed)
    scheme: str                # "busbar" or "pdu"

    @property
    def pn(self) -> str:
        return self.part.pn


@dataclass
class Candidates:
    frames: list = field(default_factory=list)
    trays: list[Tray] = field(default_factory=list)
    switches: list = field(default_factory=list)       # scale-up switch trays
    su_cables: list = field(default_factory=list)
    shelves: list = field(default_factory=list)        # (shelf, psu part)
    busbars: list = field(default_factory=list)
    pdus: list = field(default_factory=list)
    cdus: list = field(default_factory=list)
    manifolds: list = field(default_factory=list)
    mgmt: list = field(default_factory=list)
    mgmt_cables: list = field(default_factory=list)
    blanks: list = field(default_factory=list)
    so_switches: list = field(default_factory=list)    # scale-out leaf/spine switches
    so_cables: list = field(default_factory=list)      # (cable, transceiver or None) for scale-out links
    feed_type: str = "ac"
    feed_v: float = 415.0
    coolant: str | None = None


_MAX_LEAD: list = [None]   # the generation's supply_chain.max_lead_time [s] while select() runs


def _kind(cat, *kinds: str) -> list:
    """Parts of these kinds, by part number; parts with a lead time over the generation's limit are left out."""
    lim = _MAX_LEAD[0]
    return sorted((p for p in cat.parts.values() if p.kind in kinds
                   and (lim is None or p.lead_time is None or float(p.lead_time) <= lim * (1 + 1e-9))),
                  key=lambda p: p.pn)


def _f(x) -> float | None:
    return float(x) if x is not None else None


def _tb(x: float) -> str:
    return f"{x / 8e12:g} TB/s"


def liquid_heat(part, op_ratio: float) -> float:
    liq = getattr(part, "liquid", None)
    if liq is None:
        return 0.0
    return sum(float(cp.heat) * cp.count for cp in liq.cold_plates) * op_ratio


def op_ratio(part, op: str) -> float:
    pmax = float(part.power.max)
    return mount_power(part, op) / pmax if pmax > 0 else 1.0


def outside_envelope(part, site) -> str | None:
    """Why a part cannot run at the site by its own operating envelope (RF331-RF333), or None: inlet air above
    its maximum derated for the site's altitude or below its minimum, the site above its altitude rating, or
    the site's humidity outside its range. Checks only what the site gives."""
    env = getattr(part, "environment", None)
    if env is None:
        return None
    from rackforge.rules.air import part_inlet_max_k

    alt = float(site.altitude) if site.altitude is not None else 0.0
    t = site.air_inlet_temperature
    if t is not None and env.inlet_max is not None:
        top, _ = part_inlet_max_k(env, alt)
        if float(t) > top + 1e-9:
            return f"rated for inlet air up to {top - 273.15:.4g} degC at {alt:,.0f} m (the site supplies {t})"
    if t is not None and env.inlet_min is not None and float(t) < float(env.inlet_min) - 1e-9:
        return f"rated for inlet air from {env.inlet_min} (the site supplies {t})"
    if site.altitude is not None and env.altitude_max is not None and alt > float(env.altitude_max) + 1e-9:
        return f"rated up to {env.altitude_max} (the site is at {site.altitude})"
    rh = site.air_relative_humidity
    if rh is not None and ((env.humidity_max is not None and float(rh) > float(env.humidity_max) + 1e-9)
                           or (env.humidity_min is not None and float(rh) < float(env.humidity_min) - 1e-9)):
        return f"not rated for {float(rh):.0%} relative humidity"
    return None


def select(req, cat, op: str) -> Candidates:
    """Filter the catalog into candidates per role; raise :class:`Infeasible` when a role has none."""
    g = req.gen
    c = Candidates()
    _MAX_LEAD[0] = _f(g.supply_chain.max_lead_time)
    try:
        return _select(req, cat, op, c)
    finally:
        _MAX_LEAD[0] = None


def _select(req, cat, op: str, c: Candidates) -> Candidates:
    g = req.gen
    # ---------------------------------------------------------------- frames
    allowed = g.physical.frame_standards
    maxd = _f(g.physical.max_rack_depth)
    frames = _kind(cat, "rack_frame")
    c.frames = [f for f in frames if (allowed is None or f.standard in allowed)
                and (maxd is None or float(f.depth) <= maxd * (1 + 1e-9))]
    if not c.frames:
        near = ", ".join(f"{f.pn} ({f.standard}, {float(f.depth) * 1000:.0f} mm deep)" for f in frames) or "none"
        raise Infeasible(f"no rack frame in the catalog is of an allowed standard ({', '.join(allowed or [])}) "
                         f"and at most {maxd * 1000:.0f} mm deep" if maxd else "no rack frame of an allowed "
                         f"standard ({', '.join(allowed or [])})", f"the frames are: {near}",
                         key="physical.frame_standards")
    std_ok = {f.standard for f in c.frames}
    # ---------------------------------------------------------------- compute trays
    D = g.scale_up.domain_packages or 1
    dies = g.scale_up.dies_per_package
    bw = _f(g.scale_up.bandwidth_per_accelerator)
    links = g.scale_up.links_per_accelerator
    mem = _f(g.scale_up.memory_per_domain)
    so_bw = _f(g.scale_out.bandwidth_per_accelerator)
    ftype = g.power.feed_type
    all_trays = [p for p in _kind(cat, "compute_tray") if p.accelerators is not None]
    reasons: dict[str, str] = {}
    lim = _MAX_LEAD[0]
    if lim is not None:
        for p in cat.parts.values():
            if p.kind == "compute_tray" and p.lead_time is not None and float(p.lead_time) > lim * (1 + 1e-9):
                reasons[p.pn] = f"lead time {float(p.lead_time) / 604800:g} weeks (limit {lim / 604800:g})"
    for p in all_trays:
        a = p.accelerators
        internal = a.scale_up_switch == "internal"
        if dies is not None and a.dies_per_package != dies:
            reasons[p.pn] = f"{a.dies_per_package} dies per package (the generation counts {dies})"
            continue
        if not meets(float(a.scale_up_bandwidth_per_package), bw):
            reasons[p.pn] = f"{_tb(float(a.scale_up_bandwidth_per_package))} scale-up per package " \
                            f"(needs {_tb(bw)})"
            continue
        if links is not None and a.scale_up_links_per_package < links:
            reasons[p.pn] = f"{a.scale_up_links_per_package} scale-up links per package (needs {links})"
            continue
        if not any(fits_frame(p.standard, s) for s in std_ok):
            reasons[p.pn] = f"a {p.standard} part fits none of the allowed frames"
            continue
        if internal:
            if a.packages < D:
                reasons[p.pn] = f"its in-chassis domain holds {a.packages} packages (needs {D})"
                continue
            per = 1
        else:
            if nports(p, "scale_up") == 0:
                reasons[p.pn] = "no scale-up ports"
                continue
            per = math.ceil(D / a.packages)
        if not meets(per * a.packages * float(a.memory_per_package), mem):
            reasons[p.pn] = f"{per * a.packages * float(a.memory_per_package) / 8e12:.1f} TB per domain " \
                            f"(needs {mem / 8e12:.1f} TB)"
            continue
        so = sum(float(gr.speed) * gr.count for gr in ports(p, "scale_out")) / a.packages
        if so_bw is not None and not meets(so, so_bw):
            reasons[p.pn] = f"{so / 1e9:g} Gb/s scale-out per package (needs {so_bw / 1e9:g} Gb/s)"
            continue
        why = outside_envelope(p, req.site)
        if why:
            reasons[p.pn] = why
            continue
        inp = p.input
        if p.psus is not None:
            scheme = "pdu"
        elif inp.type == "dc" and float(inp.voltage_max) < LOW_VOLTAGE_DC:
            scheme = "busbar"
        else:
            scheme = "pdu"
        if ftype is not None and scheme == "pdu" and p.psus is None and inp.type != ftype:
            reasons[p.pn] = f"{inp.type.upper()} input on a {ftype.upper()} feed without PSUs of its own"
            continue
        if scheme == "pdu" and ftype is not None and p.psus is not None:
            psu = cat.get(p.psus.part)
            if psu is None or psu.input.type != ftype:
                reasons[p.pn] = f"its PSUs take {psu.input.type.upper() if psu else '?'} (the generation feeds " \
                                f"{ftype.upper()})"
                continue
        r = op_ratio(p, op)
        c.trays.append(Tray(p, per, internal, mount_power(p, op), liquid_heat(p, r),
                            float(p.liquid.min_flow) * 6e4 if p.liquid else 0.0, p.psus, scheme))
    if not c.trays:
        what = [f"{D} packages per domain"]
        if dies:
            what.append(f"{dies} dies per package")
        if bw:
            what.append(f"{_tb(bw)} scale-up per package")
        if so_bw:
            what.append(f"{so_bw / 1e9:g} Gb/s scale-out per package")
        near = "; ".join(f"{pn}: {why}" for pn, why in sorted(reasons.items())) or "the catalog has no compute tray"
        raise Infeasible(f"no compute tray in the catalog gives {', '.join(what)}", near,
                         key="scale_up")
    # ---------------------------------------------------------------- scale-up switches and cables
    ext = [t for t in c.trays if not t.internal]
    if ext:
        def su_group(p):
            gs = ports(p, "scale_up")
            return (gs[0].form_factor, float(gs[0].speed), gs[0].lanes) if gs else None

        keys = {su_group(t.part) for t in ext}
        c.switches = [s for s in _kind(cat, "switch_tray", "switch") if su_group(s) in keys
                      and any(fits_frame(s.standard, f) for f in std_ok)]
        c.su_cables = [k for k in _kind(cat, "cable") if (k.form_factor, float(k.speed), k.lanes) in keys
                       and k.breakout == 1]
        if not c.switches:
            c.trays = [t for t in c.trays if t.internal]
            if not c.trays:
                ff, sp, _ = sorted(keys)[0]
                raise Infeasible(f"no scale-up switch tray in the catalog has {ff} ports at {sp * 8 / 1e9:g} Gb/s "
                                 "for the compute trays' scale-up links", None, key="scale_up")
        elif not c.su_cables:
            ff, sp, _ = sorted(keys)[0]
            raise Infeasible(f"no cable in the catalog connects {ff} scale-up ports at {sp * 8 / 1e9:g} Gb/s", None,
                             key="scale_up")
    # ---------------------------------------------------------------- feeds
    schemes = {t.scheme for t in c.trays}
    c.feed_type = ftype or ("dc" if any(t.part.input.type == "dc" and t.scheme == "pdu" for t in c.trays)
                            else "ac")
    vmin = _f(g.power.feed_voltage_min)
    vmax = _f(g.power.feed_voltage_max)
    volts = [v for v in STANDARD_FEED_V[c.feed_type] if (vmin is None or v >= vmin - 1e-9)
             and (vmax is None or v <= vmax + 1e-9)]
    if not volts and vmin is not None and vmax is not None:
        volts = [round((vmin + vmax) / 2)]
    if not volts:
        raise Infeasible(f"no standard {c.feed_type.upper()} feed voltage lies in the generation's range", None,
                         key="power.feed_voltage_min")
    c.feed_v = volts[0]
    V = c.feed_v

    def takes(inp, v_ll: float) -> bool:
        if inp.type != c.feed_type:
            return False
        lo, hi = float(inp.voltage_min), float(inp.voltage_max)
        cands = [v_ll, v_ll / math.sqrt(3)] if c.feed_type == "ac" else [v_ll]
        return any(lo - 1e-9 <= x <= hi + 1e-9 for x in cands)

    # ---------------------------------------------------------------- power: shelves + busbars, or PDUs
    es = bool(g.power.energy_storage)
    bvmax = _f(g.power.busbar_voltage_max)
    if "busbar" in schemes:
        tv_max = min(float(t.part.input.voltage_max) for t in c.trays if t.scheme == "busbar")
        tv_min = max(float(t.part.input.voltage_min) for t in c.trays if t.scheme == "busbar")
        why = {}
        for s in _kind(cat, "power_shelf"):
            psu = cat.get(s.psus.part) if s.psus is not None else None
            if psu is None:
                why[s.pn] = "no default PSU"
                continue
            if not takes(s.input, V) or not takes(psu.input, V):
                why[s.pn] = f"does not take {V:g} V {c.feed_type.upper()}"
                continue
            vout = float(s.output_voltage)
            if vout > tv_max + 1e-9 or (bvmax is not None and vout > bvmax + 1e-9):
                why[s.pn] = f"{vout:g} V out is above the trays' or the generation's busbar maximum"
                continue
            if es and psu.energy_storage is None:
                why[s.pn] = "its PSUs have no energy storage (the generation asks for it)"
                continue
            if not any(fits_frame(s.standard, f) for f in std_ok):
                continue
            c.shelves.append((s, psu))
        c.busbars = [b for b in _kind(cat, "busbar") if abs(float(b.voltage_nominal) - 50.0) < 10.0]
        if not c.shelves:
            near = "; ".join(f"{k}: {v}" for k, v in sorted(why.items())) or "the catalog has no power shelf"
            raise Infeasible("no power shelf in the catalog feeds the trays' busbar as the generation asks "
                             f"({c.feed_type.upper()} {V:g} V in, {tv_min:g}-{tv_max:g} V out"
                             f"{', energy-storage PSUs' if es else ''})", near, key="power")
        if not c.busbars:
            raise Infeasible("no 48-54 V busbar in the catalog for the busbar-fed trays", None, key="power")
    if "pdu" in schemes:
        c.pdus = [p for p in _kind(cat, "pdu") if takes(p.input, V) and any(fits_frame(p.standard, f)
                                                                             for f in std_ok)]
        if not c.pdus:
            raise Infeasible(f"no PDU in the catalog takes a {V:g} V {c.feed_type.upper()} feed", None, key="power")
        if es:
            for t in c.trays:
                if t.scheme == "pdu" and t.psus is not None:
                    psu = cat.get(t.psus.part)
                    if psu is None or psu.energy_storage is None:
                        c.trays = [x for x in c.trays if x is not t]
            if not c.trays:
                raise Infeasible("the generation asks for PSUs with energy storage; the servers' PSUs have none",
                                 None, key="power.energy_storage")
    # ---------------------------------------------------------------- cooling
    liquid = [t for t in c.trays if t.part.liquid is not None]
    if liquid or any(s.liquid is not None for s in c.switches):
        t_fac = _f(req.site.facility_water_supply_temperature)
        coolants = set.intersection(*[set(t.part.liquid.coolants) for t in liquid]) if liquid else \
            {"water", "pg25"}
        cdus = _kind(cat, "cdu")
        why = {}
        for d in cdus:
            if d.placement != "in_row":
                why[d.pn] = "an in-rack CDU (the configurator places in-row CDUs only)"
                continue
            if t_fac is not None and ((d.facility_supply_max is not None and t_fac > float(d.facility_supply_max)
                                       + 1e-9) or (d.facility_supply_min is not None
                                                   and t_fac < float(d.facility_supply_min) - 1e-9)):
                why[d.pn] = (f"takes facility water of {float(d.facility_supply_min) - 273.15:g}-"
                             f"{float(d.facility_supply_max) - 273.15:g} degC")
                continue
            if not coolants & set(d.coolants):
                why[d.pn] = f"takes {', '.join(d.coolants)}"
                continue
            if g.cooling.pump_redundancy and d.pumps.count <= d.pumps.required:
                why[d.pn] = "no spare pump"
                continue
            c.cdus.append(d)
        if not c.cdus:
            tf = f"{t_fac - 273.15:g} degC" if t_fac is not None else "the site's"
            warmest = max((float(d.facility_supply_max) for d in cdus if d.facility_supply_max is not None),
                          default=None)
            near = "; ".join(f"{k}: {v}" for k, v in sorted(why.items())) or "the catalog has no CDU"
            if warmest is not None and t_fac is not None and t_fac > warmest:
                near = f"the warmest facility supply any CDU takes is {warmest - 273.15:g} degC ({near})"
            raise Infeasible(f"no CDU in the catalog cools the trays at a {tf} facility supply"
                             f"{' with N+1 pumps' if g.cooling.pump_redundancy else ''}", near,
                             key="site.facility_water_supply_temperature")
        ok = coolants & set.union(*[set(d.coolants) for d in c.cdus])
        c.coolant = "water" if "water" in ok else sorted(ok)[0]
        c.manifolds = [m for m in _kind(cat, "manifold") if any(fits_frame(m.standard, f) for f in std_ok)]
        if not c.manifolds:
            raise Infeasible("no rack manifold in the catalog fits an allowed frame", None, key="cooling")
    # ---------------------------------------------------------------- management
    c.mgmt = [s for s in _kind(cat, "switch") if nports(s, "management") > 0 and not ports(s, "scale_up")
              and not ports(s, "scale_out")]
    c.mgmt_cables = [k for k in _kind(cat, "cable") if k.form_factor == "RJ45" and k.breakout == 1]
    # ---------------------------------------------------------------- scale-out fabric (optional)
    keys = {so_key(t.part) for t in c.trays} - {None}
    c.so_switches = [s for s in _kind(cat, "switch") if so_key(s) in keys
                     and any(fits_frame(s.standard, f) for f in std_ok)]
    for ff, sp, ln in sorted(keys):
        xcvrs = [x for x in _kind(cat, "transceiver") if x.form_factor == ff and float(x.speed) == sp
                 and x.lanes == ln]
        for k in _kind(cat, "cable"):
            if k.breakout != 1 or float(k.speed) != sp or k.lanes != ln:
                continue
            if k.media in ("dac", "acc", "aec", "aoc") and k.form_factor == ff:
                c.so_cables.append((k, None))
            elif k.media in ("fiber_sm", "fiber_mm"):
                ok = [x for x in xcvrs if x.fiber == k.media[-2:] and float(x.reach) >= float(k.length)]
                if ok:
                    c.so_cables.append((k, min(ok, key=lambda x: (float(x.cost or 0), x.pn))))
    return c
