"""The resolved bill of materials: what a design lists and what it implies, with cost, mass, power, origin and
lead time (the formats and the ``--check`` comparison are in :mod:`rackforge.features.bom`).

A BOM is built from a resolved design (:class:`rackforge.engine.Context`) and its catalogs. It is computed once per
rack *definition* (a template or an inline rack) and multiplied by the definition's instance count, so a hall of a
thousand identical racks costs one rack's work. Parts shared by several racks (an in-row CDU, cables of
design-level links and patterns) form a ``design`` group of their own.

Listed and derived parts
------------------------
*Listed*: the rack frame, every mount, every busbar of ``power.busbars``. *Derived* (each line says where it comes
from in ``derived_from``):

- PSUs and BBU modules inside power shelves: the mount's ``psus``/``bbus`` override, else the shelf's default fill.
- Internal PSUs of servers (``psus`` of an IT part, e.g. the six 3.3 kW PSUs of a DGX H100) and cold plates inside
  trays ship inside their host and are part of its price and weight: they are listed as **included** lines with
  no extra cost, mass or power, and are left out of the supply-chain figures (their sourcing is the host's).
  They are listed so that spares and service planning see them.
- Quick disconnects and hoses per liquid-cooled mount: **2 mated QD pairs and 2 hoses** (supply and return). OCP
  UQD usage: every liquid branch leaves the rack manifold and returns to it through its own coupling, the
  tray-side plug mating a manifold-side socket; the catalog's QD part is the mated pair (OCP UQD Rev 1.0 rates
  Cv per mated pair). They are bought separately from the tray.
- Cables, grouped by part number and cut length, one per link (a 1xN breakout: one cable per trunk port) of the
  explicit links and of the fabric patterns as expanded by the network lowering (``ctx.network``, the
  expansion ``rackforge validate`` judges and ``rackforge expand`` writes out); transceivers at both ends of
  optical links (one named module means the same module at both ends; a breakout has one at the trunk and one
  per leg). The generated hall fabric (``hall_fabric``): cables per part and cut length (a 1x2 copper
  splitter once per switch cage), one transceiver per NIC port and one twin-port module per switch cage.
- Blanking panels: one 1-slot panel (``blanking_panel`` of the frame's standard or ``any``) per empty slot.
- In-row CDUs (``loops[].cdu_part``): a whole CDU is bought, so the design group holds ``ceil(sum of the
  racks' cdu_share)`` of each part. Not when the design has ``facility.water``: its loops' CDUs are the ones
  bought, and a rack's ``cdu_part`` only describes the loop the rack model checks.
- The hall (``facility``), in a group of its own (:data:`FACILITY`): every transformer, switchgear lineup, UPS,
  STS and RPP of the power chain (``repeat`` copies counted); busway runs, one line per run length (lead-in +
  racks x rack pitch; cost and mass from the part's per-metre figures); one tap-off box per rack feed; the CDUs
  of every water loop; the heat rejection units. Built from the facility lowering, so a chain with RF250
  problems adds a note instead.

Output is deterministic: groups in design order (rack definitions, then the design group), lines sorted by kind
(in :data:`KIND_ORDER`), part number, cut length and included-ness.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable

KIND_ORDER = ("rack_frame", "compute_tray", "switch_tray", "switch", "power_shelf", "psu", "bbu", "busbar", "pdu",
              "cdu", "manifold", "rdhx", "fan", "cold_plate", "quick_disconnect", "hose", "cable", "transceiver",
              "blanking_panel", "transformer", "switchgear", "ups", "sts", "rpp", "busway", "tap_off",
              "heat_rejection", "unknown")
_KIND_RANK = {k: i for i, k in enumerate(KIND_ORDER)}
WEEK_S = 7 * 86400.0
QD_PER_BRANCH = 2      # supply + return coupling per liquid-cooled mount
HOSES_PER_BRANCH = 2   # supply + return hose per liquid-cooled mount
SHARED = "(shared)"   # scope of the parts several racks share (no rack definition id can look like it)
FACILITY = "(facility)"   # scope of the hall's power chain and water plant

COLUMNS = ("design", "scope", "racks", "line", "pn", "description", "kind", "included", "length_m",
           "qty_per_rack", "qty", "unit_cost_usd", "extended_cost_usd", "unit_mass_kg", "total_mass_kg",
           "unit_power_w", "total_power_w", "origin", "domestic", "suppliers", "lead_time_weeks", "derived_from")


# ---------------------------------------------------------------------------------------------------------------
# the model


@dataclass
class Line:
    """One part number in one group. ``qty`` is per rack in a rack group, the total in the design group."""

    pn: str
    kind: str
    description: str
    qty: int = 0
    included: bool = False
    length_m: float | None = None
    unit_cost_usd: float | None = None
    unit_mass_kg: float | None = None
    unit_power_w: float | None = None
    origin: str | None = None
    suppliers: tuple[str, ...] = ()
    lead_time_s: float | None = None
    listed: int = 0                                             # of qty, how many the design lists
    derived_from: dict[str, int] = field(default_factory=dict)   # description -> count, in insertion order
    pointers: list[str] = field(default_factory=list)           # JSON Pointers of the places it comes from

    @property
    def key(self) -> tuple:
        return (self.pn, self.length_m, self.included)

    def sort_key(self) -> tuple:
        return (_KIND_RANK.get(self.kind, len(KIND_ORDER)), self.pn, self.length_m or 0.0, self.included)

    @property
    def extended_cost(self) -> float | None:
        if self.included:
            return 0.0
        return None if self.unit_cost_usd is None else self.qty * self.unit_cost_usd

    @property
    def total_mass(self) -> float | None:
        if self.included:
            return 0.0
        return None if self.unit_mass_kg is None else self.qty * self.unit_mass_kg

    @property
    def total_power(self) -> float | None:
        return None if self.unit_power_w is None or self.included else self.qty * self.unit_power_w

    @property
    def lead_time_weeks(self) -> float | None:
        return None if self.lead_time_s is None else self.lead_time_s / WEEK_S

    def derived_text(self) -> str:
        return "; ".join(self.derived_from)

    def scaled(self, n: int) -> "Line":
        out = Line(**{k: getattr(self, k) for k in self.__dataclass_fields__})
        out.qty = self.qty * n
        out.listed = self.listed * n
        out.derived_from = {k: v * n for k, v in self.derived_from.items()}
        out.pointers = list(self.pointers)
        return out


@dataclass
class Group:
    """A rack definition (``scope`` = its key, ``racks`` = instances) or the design group (``racks`` = None)."""

    scope: str
    racks: int | None
    pointer: str
    lines: list[Line] = field(default_factory=list)

    @property
    def multiplier(self) -> int:
        return 1 if self.racks is None else self.racks


@dataclass
class DesignBom:
    name: str
    path: str
    generation: str | None
    domestic_countries: tuple[str, ...] | None
    operating_point: str
    groups: list[Group]
    notes: list[str] = field(default_factory=list)

    def parts(self) -> list[Line]:
        """One line per (part number, cut length, included) over the whole design: racks x instances + shared."""
        merged: dict[tuple, Line] = {}
        for g in self.groups:
            for ln in g.lines:
                s = ln.scaled(g.multiplier)
                cur = merged.get(s.key)
                if cur is None:
                    merged[s.key] = s
                else:
                    cur.qty += s.qty
                    for k, v in s.derived_from.items():
                        cur.derived_from[k] = cur.derived_from.get(k, 0) + v
                    cur.listed += s.listed
                    cur.pointers.extend(p for p in s.pointers if p not in cur.pointers)
        return sorted(merged.values(), key=Line.sort_key)

    def is_domestic(self, origin: str | None) -> bool | None:
        if origin is None or self.domestic_countries is None:
            return None
        return origin in self.domestic_countries


def _sum(values: Iterable[float | None]) -> float:
    return float(sum(v for v in values if v is not None))


def totals(lines: Iterable[Line]) -> dict[str, float]:
    lines = list(lines)
    return {"cost_usd": _sum(ln.extended_cost for ln in lines), "mass_kg": _sum(ln.total_mass for ln in lines),
            "power_w": _sum(ln.total_power for ln in lines)}


# ---------------------------------------------------------------------------------------------------------------
# building


class _Acc:
    """Lines of one group, merged by key."""

    def __init__(self, catalog, op: str) -> None:
        self.catalog = catalog
        self.op = op
        self.lines: dict[tuple, Line] = {}

    def add(self, pn: str, qty: int, ptr: str, *, derived_from: str | None = None, included: bool = False,
            length_m: float | None = None) -> None:
        if qty <= 0:
            return
        part = self.catalog.get(pn)
        if part is not None and length_m is not None and getattr(part, "length", None) is not None and \
                abs(float(part.length) - length_m) <= 1e-9:
            length_m = None
        key = (pn, length_m, included)
        ln = self.lines.get(key)
        if ln is None:
            ln = self.lines[key] = _new_line(pn, part, self.op, included, length_m)
        ln.qty += qty
        if derived_from is not None:
            ln.derived_from[derived_from] = ln.derived_from.get(derived_from, 0) + qty
        else:
            ln.listed += qty
        if ptr not in ln.pointers:
            ln.pointers.append(ptr)

    def pointers_of(self, pn: str) -> list[str]:
        return next(ln.pointers for ln in self.lines.values() if ln.pn == pn)

    def done(self) -> list[Line]:
        return sorted(self.lines.values(), key=Line.sort_key)


def _new_line(pn: str, part, op: str, included: bool, length_m: float | None) -> Line:
    if part is None:
        return Line(pn, "unknown", "(not in the catalog)", included=included, length_m=length_m)
    desc = part.name
    unit_mass = float(part.mass) if part.mass is not None else None
    unit_cost = float(part.cost) if part.cost is not None else None
    if length_m is not None:
        desc = f"{desc} (cut to {length_m:g} m)"
        # a cable cut to length: cost and mass scale with length (connectors and all; an estimate)
        base = float(part.length)
        if unit_mass is not None:
            unit_mass *= length_m / base
        if unit_cost is not None:
            unit_cost *= length_m / base
    return Line(pn, part.kind, desc, included=included, length_m=length_m, unit_cost_usd=unit_cost,
                unit_mass_kg=unit_mass, unit_power_w=_unit_power(part, op), origin=part.origin,
                suppliers=tuple(part.suppliers),
                lead_time_s=float(part.lead_time) if part.lead_time is not None else None)


def _unit_power(part, op: str) -> float | None:
    """Power drawn by one part [W]: IT parts at the operating point, fans, transceivers, active cable ends."""
    from rackforge.model.resolved import mount_power

    if getattr(part, "power", None) is not None and hasattr(part.power, "max"):
        return mount_power(part, op)
    if part.kind in ("transceiver", "fan"):
        return float(part.power)
    if part.kind == "cable" and part.power_per_end is not None:
        return 2.0 * float(part.power_per_end)
    return None


def build(ctx) -> DesignBom:
    """The BOM of one loaded design (``ctx``: :class:`rackforge.engine.Context`)."""
    from rackforge.model.resolved import server_psus, shelf_modules

    cat = ctx.catalog
    r = ctx.r
    groups: list[Group] = []
    shared = _Acc(cat, ctx.op)
    cdu_share: dict[str, list] = {}
    links = expanded_links(ctx)
    by_def: dict[str, list[LinkBatch]] = {}
    for lb in links:
        by_def.setdefault(lb.scope, []).append(lb)
    for d in r.defs:
        if not d.instances:
            continue   # a template no rack uses
        acc = _Acc(cat, ctx.op)
        acc.add(d.body.frame, 1, f"{d.ptr}/frame")
        for i, bb in enumerate(d.body.power.busbars):
            acc.add(bb.part, 1, f"{d.ptr}/power/busbars/{i}")
        for mi in d.mounts:
            acc.add(mi.m.part, 1, mi.ptr)
            part = mi.part
            if part is None:
                continue
            for pn, n, role in shelf_modules(mi, cat):
                over = (mi.m.psus if role == "psu" else mi.m.bbus) is not None
                how = f"{mi.id} (mount override)" if over else f"{part.pn} shelf (default fill)"
                acc.add(pn, n, f"{mi.ptr}/{role}s" if over else mi.ptr,
                        derived_from=f"{n} per {how}" if not over else f"{n} in {how}")
            inside = server_psus(mi)
            if inside is not None:
                pn, n = inside
                spec = part.psus
                shipped = min(n, spec.count) if pn == spec.part else 0  # in the host's cost
                if shipped:
                    acc.add(pn, shipped, mi.ptr, included=True,
                            derived_from=f"{shipped} inside each {part.pn} (in its cost)")
                if n > shipped:  # a mount override asking for more (or other) PSUs: bought on their own
                    acc.add(pn, n - shipped, f"{mi.ptr}/psus",
                            derived_from=f"{n - shipped} more in {mi.id} (mount override of {spec.count} x "
                            f"{spec.part})")
            liquid = getattr(part, "liquid", None)
            if liquid is not None:
                plates: dict[str, int] = {}
                for cp in liquid.cold_plates:
                    plates[cp.part] = plates.get(cp.part, 0) + cp.count
                for pn, n in plates.items():
                    acc.add(pn, n, mi.ptr, included=True, derived_from=f"{n} inside each {part.pn} (in its cost)")
                acc.add(liquid.quick_disconnect, QD_PER_BRANCH, mi.ptr,
                        derived_from=f"{QD_PER_BRANCH} per liquid-cooled {part.pn} (supply + return)")
                if liquid.hose is not None:
                    acc.add(liquid.hose, HOSES_PER_BRANCH, mi.ptr,
                            derived_from=f"{HOSES_PER_BRANCH} per liquid-cooled {part.pn} (supply + return)")
        for lb in by_def.get(d.key, []):
            _add_links(acc, lb)
        _add_blanks(acc, d, cat)
        for i, loop in enumerate(d.body.cooling.loops):
            if loop.cdu_part is not None:
                cdu_share.setdefault(loop.cdu_part, []).append(
                    (float(loop.cdu_share) * len(d.instances), f"{d.ptr}/cooling/loops/{i}", loop.id))
        groups.append(Group(d.key, len(d.instances), d.ptr, acc.done()))
    for lb in by_def.get(None, []):
        _add_links(shared, lb)
    _add_hall_fabric(shared, ctx)
    fac = getattr(ctx.design, "facility", None)
    if fac is not None and fac.water is not None:
        cdu_share = {}   # the facility loops' CDUs are bought instead (see the module docstring)
    for pn, uses in cdu_share.items():
        total = sum(s for s, _, _ in uses)
        n = max(1, math.ceil(total - 1e-9))
        shared.add(pn, n, uses[0][1], derived_from=f"in-row CDU: the racks' shares sum to {total:g}, rounded up "
                   "to whole units")
        for _, ptr, _ in uses[1:]:
            shared.pointers_of(pn).append(ptr)
    if shared.lines:
        groups.append(Group(SHARED, None, "", shared.done()))
    notes = _link_notes(ctx)
    if fac is not None:
        facc = _Acc(cat, ctx.op)
        _add_facility(ctx, facc, notes)
        if facc.lines:
            groups.append(Group(FACILITY, None, "/facility", facc.done()))
    dc = ctx.req("supply_chain.domestic_countries") if ctx.gen is not None else None
    return DesignBom(ctx.design.name, ctx.doc.path, ctx.ld.generation_id,
                     tuple(dc) if dc is not None else None, ctx.op, groups, notes=notes)


def _add_facility(ctx, acc: _Acc, notes: list[str]) -> None:
    """The hall's parts (see the module docstring)."""
    fac = ctx.design.facility
    if fac.power is not None:
        fa = ctx.facility_power
        if fa.empty:
            notes.append("facility power chain not in the BOM: it cannot be built (see RF250)")
        else:
            runs: dict[tuple[str, float], list] = {}
            for e in fa.elems:
                if e.kind == "source":
                    continue
                if e.kind == "busway":
                    runs.setdefault((e.part.pn, round(e.length_m, 6)), [e, 0])[1] += 1
                    acc.add(e.tap_off.pn, e.racks, e.ptr, derived_from=f"1 per rack feed on a {e.part.pn} run")
                else:
                    acc.add(e.part.pn, 1, e.ptr)
            for (pn, length), (e, n) in runs.items():
                part = e.part
                ln = acc.lines.get((pn, length, False))
                if ln is None:
                    ln = acc.lines[(pn, length, False)] = Line(
                        pn, part.kind, f"{part.name} (runs of {length:g} m)", length_m=length,
                        unit_cost_usd=float(part.cost_per_length) * length if part.cost_per_length is not None
                        else None, unit_mass_kg=float(part.mass_per_length) * length
                        if part.mass_per_length is not None else None, origin=part.origin,
                        suppliers=tuple(part.suppliers),
                        lead_time_s=float(part.lead_time) if part.lead_time is not None else None)
                ln.qty += n
                ln.derived_from[f"{n} runs of lead-in + racks x rack pitch"] = n
                ln.pointers.append(e.ptr)
    if fac.water is not None:
        fw = ctx.facility_water
        if fw.empty:
            notes.append("facility water not in the BOM: its loops cannot be built (see RF350)")
        else:
            for lr in fw.loops:
                acc.add(lr.cdu.pn, lr.spec.cdus, lr.ptr)
            hr = fac.water.heat_rejection
            if hr is not None:
                acc.add(hr.part, hr.count, "/facility/water/heat_rejection")



def _add_blanks(acc: _Acc, d, cat) -> None:
    frame = d.frame
    if frame is None:
        return
    used = set()
    for mi in d.mounts:
        if mi.lo is not None:
            used.update(s for s in range(mi.lo, mi.hi + 1) if 1 <= s <= frame.slots)
    empty = frame.slots - len(used)
    if empty <= 0:
        return
    pn = blanking_panel_for(frame, cat)
    if pn is not None:
        acc.add(pn, empty, f"{d.ptr}/frame",
                derived_from=f"{empty} empty slots of {frame.pn} ({frame.slots} slots, {len(used)} used)")


def blanking_panel_for(frame, cat) -> str | None:
    """The 1-slot blanking panel for a frame: kind ``blanking_panel``, the frame's standard or ``any``; lowest pn."""
    from rackforge.model.resolved import slots_for

    pitch = float(frame.slot)
    fits = [p.pn for p in cat.parts.values() if p.kind == "blanking_panel"
            and p.standard in (frame.standard, "any") and slots_for(float(p.height), pitch) == 1]
    return min(fits) if fits else None


# ---------------------------------------------------------------------------------------------------------------
# links: the adapter to the network lowering's pattern expansion


@dataclass
class LinkBatch:
    """Links of one source (an explicit link, or a pattern) in one scope (a rack definition key, None: design)."""

    scope: str | None
    ptr: str
    what: str             # "link" or the pattern type
    cable: str
    transceivers: tuple[str, ...]
    length_m: float | None
    legs: int             # link rows (a breakout leg is a row)
    cables: int           # physical cables (a 1xN breakout: one per trunk port)


def expanded_links(ctx) -> list[LinkBatch]:
    """Every link the design lays, explicit and from patterns, per rack definition (per rack) and design-wide.

    The adapter to the network lowering (``ctx.network``): the BOM counts exactly the links the RF4xx rules
    judge, expanded the same way (rack-level patterns once per definition, design-level ones on the whole hall).
    """
    return _links_from_network(ctx)


def _link_notes(ctx) -> list[str]:
    probs = ctx.network.m.problems
    return [f"{len(probs)} pattern problem(s) (RF005): links a pattern could not lay are not counted"] \
        if probs else []


def _len(x) -> float | None:
    return None if x is None else float(x)


def _links_from_network(ctx) -> list[LinkBatch]:
    import numpy as np

    m = ctx.network.m
    S = m.sources
    out: list[LinkBatch] = []
    owner: dict[int, str] = {}
    for dn in m.defnets:
        lo, hi = dn.src_range
        for s in range(lo, hi):
            owner[s] = dn.rdef.key
        if not dn.links_src:
            continue
        src = np.concatenate(dn.links_src)
        pa = np.concatenate(dn.links_a)
        out.extend(_batches(dn.rdef.key, S, src, pa, range(lo, hi)))
    # design level: link rows whose source belongs to no rack definition
    src = np.asarray(m.link_src)
    mask = np.ones(src.size, bool)
    if owner:
        mask &= ~np.isin(src, np.fromiter(owner, np.int64))
    design_srcs = [s for s in range(len(S)) if s not in owner]
    out.extend(_batches(None, S, src[mask], np.asarray(m.links.port_a)[mask], design_srcs))
    return out


def _batches(scope, S, src, port_a, srcs) -> list[LinkBatch]:
    import numpy as np

    out = []
    for s in srcs:
        rows = src == s
        legs = int(rows.sum())
        if legs == 0:
            continue
        x = S[s]
        if x.what == "hall_fabric":
            continue   # counted per cage and per cut length by _add_hall_fabric
        cables = legs if x.fanout <= 1 else int(np.unique(port_a[rows]).size)
        out.append(LinkBatch(scope, x.ptr, x.what, x.cable, tuple(x.transceivers), _len(x.length_override),
                             legs, cables))
    return out


def _add_hall_fabric(acc: _Acc, ctx) -> None:
    """The generated hall fabric's cables (per part and cut length; a 1x2 splitter once per switch cage) and
    transceivers (a twin-port module once per switch cage), as the hall lowering counted them."""
    hall = getattr(ctx.network.m, "hall", None)
    if not hall:
        return
    for pn, n, ptr, why, length in hall["bom"]:
        acc.add(pn, n, ptr, derived_from=why, length_m=length)


def _add_links(acc: _Acc, lb: LinkBatch) -> None:
    what = "explicit links" if lb.what == "link" else f"{lb.what} pattern {lb.ptr}"
    acc.add(lb.cable, lb.cables, lb.ptr, derived_from=what, length_m=lb.length_m)
    xs = list(lb.transceivers)
    if not xs:
        return
    if len(xs) == 1:
        xs = xs * 2
    # a breakout: the trunk end has one module per cable, the far end one per leg
    for pn, n, end in ((xs[0], lb.cables, "a"), (xs[1], lb.legs, "b")):
        acc.add(pn, n, lb.ptr, derived_from=f"end {end} of {lb.cable} ({what})")


# ---------------------------------------------------------------------------------------------------------------
# supply-chain figures


def figures(b: DesignBom) -> dict[str, Any]:
    """Cost-weighted domestic content, cost by country, single-sourced parts, the longest lead time, missing data.

    Over the design's parts (racks x instances + shared), leaving out included lines (their host carries them) and
    parts not in the catalog (RF002 reports those). Shares are of the cost whose origin is known.
    """
    parts = [ln for ln in b.parts() if not ln.included and ln.kind != "unknown"]
    total = _sum(ln.extended_cost for ln in parts)
    by_country: dict[str, float] = {}
    for ln in parts:
        if ln.extended_cost is not None and ln.origin is not None:
            by_country[ln.origin] = by_country.get(ln.origin, 0.0) + ln.extended_cost
    known = sum(by_country.values())
    dom = sum(v for c, v in by_country.items() if b.domestic_countries and c in b.domestic_countries)
    lead = [ln for ln in parts if ln.lead_time_s is not None]
    longest = max((ln.lead_time_s for ln in lead), default=None)
    crit = [ln for ln in lead if ln.lead_time_s == longest] if longest is not None else []
    missing = []
    for ln in parts:
        miss = [n for n, v in (("cost", ln.unit_cost_usd), ("origin", ln.origin), ("lead_time", ln.lead_time_s))
                if v is None]
        if miss:
            missing.append({"pn": ln.pn, "kind": ln.kind, "missing": miss})
    order = sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "total_cost_usd": round(total, 6),
        "cost_with_origin_usd": round(known, 6),
        "domestic_countries": list(b.domestic_countries) if b.domestic_countries is not None else None,
        "domestic_cost_usd": round(dom, 6),
        "domestic_share": round(dom / known, 9) if known > 0 else None,
        "cost_by_country_usd": {c: round(v, 6) for c, v in order},
        "cost_share_by_country": {c: round(v / known, 9) for c, v in order} if known > 0 else {},
        "single_source_parts": [{"pn": ln.pn, "kind": ln.kind, "supplier": ln.suppliers[0] if ln.suppliers else None,
                                 "qty": ln.qty} for ln in parts if len(ln.suppliers) <= 1],
        "critical_path": {"lead_time_s": longest, "lead_time_weeks": round(longest / WEEK_S, 6),
                          "parts": sorted({ln.pn for ln in crit})} if longest is not None else None,
        "missing_data": missing,
    }



def round6(x: float | None) -> float | int | None:
    """``x`` rounded to 6 decimals, as an int when whole (the BOM's figures in JSON and CSV)."""
    if x is None:
        return None
    r = round(float(x), 6)
    return int(r) if r.is_integer() else r
