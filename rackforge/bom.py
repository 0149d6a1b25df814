"""Bill of materials: what a design lists and what it implies, with cost, mass, power, origin and lead time.

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
  per leg).
- Blanking panels: one 1-slot panel (``blanking_panel`` of the frame's standard or ``any``) per empty slot.
- In-row CDUs (``loops[].cdu_part``): a whole CDU is bought, so the design group holds ``ceil(sum of the
  racks' cdu_share)`` of each part.

Output is deterministic: groups in design order (rack definitions, then the design group), lines sorted by kind
(in :data:`KIND_ORDER`), part number, cut length and included-ness.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable

KIND_ORDER = ("rack_frame", "compute_tray", "switch_tray", "switch", "power_shelf", "psu", "bbu", "busbar", "pdu",
              "cdu", "manifold", "rdhx", "fan", "cold_plate", "quick_disconnect", "hose", "cable", "transceiver",
              "blanking_panel", "unknown")
_KIND_RANK = {k: i for i, k in enumerate(KIND_ORDER)}
WEEK_S = 7 * 86400.0
QD_PER_BRANCH = 2      # supply + return coupling per liquid-cooled mount
HOSES_PER_BRANCH = 2   # supply + return hose per liquid-cooled mount
SHARED = "(shared)"   # scope of the parts several racks share (no rack definition id can look like it)
FORMATS = ("table", "csv", "json", "markdown", "xlsx")

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
    from rackforge.model import mount_power

    if getattr(part, "power", None) is not None and hasattr(part.power, "max"):
        return mount_power(part, op)
    if part.kind in ("transceiver", "fan"):
        return float(part.power)
    if part.kind == "cable" and part.power_per_end is not None:
        return 2.0 * float(part.power_per_end)
    return None


def build(ctx) -> DesignBom:
    """The BOM of one loaded design (``ctx``: :class:`rackforge.engine.Context`)."""
    from rackforge.analysis import shelf_modules

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
            psus = getattr(part, "psus", None)
            if psus is not None and part.kind != "power_shelf":
                acc.add(psus.part, psus.count, mi.ptr, included=True,
                        derived_from=f"{psus.count} inside each {part.pn} (in its cost)")
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
    for pn, uses in cdu_share.items():
        total = sum(s for s, _, _ in uses)
        n = max(1, math.ceil(total - 1e-9))
        shared.add(pn, n, uses[0][1], derived_from=f"in-row CDU: the racks' shares sum to {total:g}, rounded up "
                   "to whole units")
        for _, ptr, _ in uses[1:]:
            shared.pointers_of(pn).append(ptr)
    if shared.lines:
        groups.append(Group(SHARED, None, "", shared.done()))
    dc = ctx.req("supply_chain.domestic_countries") if ctx.gen is not None else None
    return DesignBom(ctx.design.name, ctx.doc.path, ctx.ld.generation_id,
                     tuple(dc) if dc is not None else None, ctx.op, groups, notes=_link_notes(ctx))


def for_file(path: str, options=None) -> DesignBom:
    """The BOM of a design file (the Python API of ``rackforge bom``). Raises InputError when unreadable,
    ValueError when the design does not match the schema."""
    from rackforge.engine import Context, Options, load_design

    options = options or Options()
    ld = load_design(path, catalogs=options.catalogs, generation=options.generation)
    if ld.design is None:
        msgs = "; ".join(p.message for p in ld.problems[:3])
        raise ValueError(f"the design does not match the schema ({msgs}); run 'rackforge validate' for details")
    return build(Context(ld, options))


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
    from rackforge.model import slots_for

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
        cables = legs if x.fanout <= 1 else int(np.unique(port_a[rows]).size)
        out.append(LinkBatch(scope, x.ptr, x.what, x.cable, tuple(x.transceivers), _len(x.length_override),
                             legs, cables))
    return out


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


# ---------------------------------------------------------------------------------------------------------------
# rows (shared by csv, xlsx, markdown and table)


def _num(x: float | int | None) -> str:
    if x is None:
        return ""
    if isinstance(x, int) or float(x).is_integer():
        return str(int(round(x)))
    return f"{x:.6f}".rstrip("0").rstrip(".")


def _rnd(x: float | None) -> float | int | None:
    if x is None:
        return None
    r = round(float(x), 6)
    return int(r) if r.is_integer() else r


def rows(boms: list[DesignBom]) -> list[dict[str, Any]]:
    """The BOM as rows of :data:`COLUMNS` (typed values: int, float, str or None): part lines per group, a
    subtotal per group (its ``unit_*`` columns hold one rack's figures), a total per design and, for several
    designs, a grand total."""
    out: list[dict[str, Any]] = []
    for b in boms:
        out.extend(design_rows(b))
    if len(boms) > 1:
        out.append(grand_total_row(boms))
    return out


def grand_total_row(boms: list[DesignBom]) -> dict[str, Any]:
    grand = {"cost_usd": 0.0, "mass_kg": 0.0, "power_w": 0.0}
    for b in boms:
        for k, v in totals(b.parts()).items():
            grand[k] += v
    return _total_row("", "", sum(g.racks or 0 for b in boms for g in b.groups), "total",
                      f"total over {len(boms)} designs", grand, None)


def design_rows(b: DesignBom) -> list[dict[str, Any]]:
    """One design's rows: its groups' part lines and subtotals, then the design total."""
    out: list[dict[str, Any]] = []
    for g in b.groups:
        for ln in g.lines:
            s = ln.scaled(g.multiplier)
            out.append({
                "design": b.name, "scope": g.scope, "racks": g.racks, "line": "part", "pn": ln.pn,
                "description": ln.description, "kind": ln.kind, "included": "yes" if ln.included else "",
                "length_m": _rnd(ln.length_m), "qty_per_rack": ln.qty if g.racks is not None else None,
                "qty": s.qty, "unit_cost_usd": _rnd(0.0 if ln.included else ln.unit_cost_usd),
                "extended_cost_usd": _rnd(s.extended_cost),
                "unit_mass_kg": _rnd(0.0 if ln.included else ln.unit_mass_kg),
                "total_mass_kg": _rnd(s.total_mass),
                "unit_power_w": _rnd(None if ln.included else ln.unit_power_w),
                "total_power_w": _rnd(s.total_power), "origin": ln.origin or "",
                "domestic": _yn(b.is_domestic(ln.origin)), "suppliers": ", ".join(ln.suppliers),
                "lead_time_weeks": _rnd(ln.lead_time_weeks), "derived_from": ln.derived_text(),
            })
        one = totals(g.lines)
        allr = totals(ln.scaled(g.multiplier) for ln in g.lines)
        out.append(_total_row(b.name, g.scope, g.racks, "subtotal",
                              f"subtotal per rack x {g.racks}" if g.racks is not None else "subtotal, shared parts",
                              allr, one if g.racks is not None else None))
    out.append(_total_row(b.name, "", sum(g.racks or 0 for g in b.groups), "total", "design total",
                          totals(b.parts()), None))
    return out


def _yn(v: bool | None) -> str:
    return "" if v is None else ("yes" if v else "no")


def _total_row(design, scope, racks, line, desc, t, per_rack) -> dict[str, Any]:
    row = {c: None for c in COLUMNS}
    row.update({"design": design, "scope": scope, "racks": racks, "line": line, "description": desc,
                "extended_cost_usd": _rnd(t["cost_usd"]), "total_mass_kg": _rnd(t["mass_kg"]),
                "total_power_w": _rnd(t["power_w"])})
    if per_rack is not None:
        row.update({"unit_cost_usd": _rnd(per_rack["cost_usd"]), "unit_mass_kg": _rnd(per_rack["mass_kg"]),
                    "unit_power_w": _rnd(per_rack["power_w"])})
    return row


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (int, float)):
        return _num(v)
    return str(v)


# ---------------------------------------------------------------------------------------------------------------
# formats


def to_csv(boms: list[DesignBom]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for row in rows(boms):
        w.writerow([_cell(row[c]) for c in COLUMNS])
    return buf.getvalue()


def to_json(boms: list[DesignBom]) -> str:
    data = {"designs": [], "columns": list(COLUMNS), "rows": rows(boms)}
    for b in boms:
        data["designs"].append({
            "design": b.name, "generation": b.generation, "operating_point": b.operating_point,
            "parts": [{"pn": ln.pn, "kind": ln.kind, "included": ln.included, "length_m": _rnd(ln.length_m),
                       "qty": ln.qty, "extended_cost_usd": _rnd(ln.extended_cost),
                       "total_mass_kg": _rnd(ln.total_mass)} for ln in b.parts()],
            "totals": {k: _rnd(v) for k, v in totals(b.parts()).items()},
            "supply_chain": figures(b),
            "notes": b.notes,
        })
    return json.dumps(data, indent=2) + "\n"


_MD_COLS = ("scope", "pn", "description", "kind", "qty_per_rack", "qty", "unit_cost_usd", "extended_cost_usd",
            "total_mass_kg", "total_power_w", "origin", "domestic", "suppliers", "lead_time_weeks", "derived_from")


def to_markdown(boms: list[DesignBom]) -> str:
    out = []
    for b in boms:
        out.append(f"## {b.name}\n")
        out.append(f"Generation `{b.generation}`, operating point `{b.operating_point}`. Quantities per rack and "
                   "in total; costs in USD, mass in kg, power in W, lead times in weeks.\n")
        out.append("| " + " | ".join(_MD_COLS) + " |")
        out.append("|" + "|".join("---:" if c in _NUMERIC else "---" for c in _MD_COLS) + "|")
        for row in design_rows(b):
            cells = [_cell(row[c]) for c in _MD_COLS]
            if row["line"] != "part":
                cells[2] = f"**{row['description']}**"
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        out.append("")
        for note in b.notes:
            out.append(f"Note: {note}\n")
    if len(boms) > 1:
        g = grand_total_row(boms)
        out.append(f"**{g['description']}**: {_cell(g['extended_cost_usd'])} USD, {_cell(g['total_mass_kg'])} kg, "
                   f"{_cell(g['total_power_w'])} W\n")
    return "\n".join(out).rstrip("\n") + "\n"


_NUMERIC = {"racks", "length_m", "qty_per_rack", "qty", "unit_cost_usd", "extended_cost_usd", "unit_mass_kg",
            "total_mass_kg", "unit_power_w", "total_power_w", "lead_time_weeks"}


def to_xlsx(boms: list[DesignBom]) -> bytes:
    """A workbook with sheet ``BOM`` (the CSV's rows, numbers as numbers) and ``Supply chain`` (figures)."""
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - depends on the installation
        from rackforge.errors import InputError

        raise InputError("xlsx output needs openpyxl: pip install 'rackforge[xlsx]'") from None
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "BOM"
    ws.append(list(COLUMNS))
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in rows(boms):
        ws.append([("" if row[c] is None else row[c]) if c not in _NUMERIC else row[c] for c in COLUMNS])
        if row["line"] != "part":
            for c in ws[ws.max_row]:
                c.font = Font(bold=True)
    ws.freeze_panes = "A2"
    sc = wb.create_sheet("Supply chain")
    sc.append(["design", "figure", "value"])
    for b in boms:
        f = figures(b)
        sc.append([b.name, "total_cost_usd", f["total_cost_usd"]])
        sc.append([b.name, "domestic_share", f["domestic_share"]])
        for c, v in f["cost_share_by_country"].items():
            sc.append([b.name, f"cost_share_{c}", v])
        if f["critical_path"]:
            sc.append([b.name, "longest_lead_time_weeks", f["critical_path"]["lead_time_weeks"]])
            sc.append([b.name, "critical_path_parts", ", ".join(f["critical_path"]["parts"])])
        sc.append([b.name, "single_source_parts", ", ".join(p["pn"] for p in f["single_source_parts"])])
    # fixed document properties, so the same BOM gives the same workbook content
    import datetime as _dt

    fixed = _dt.datetime(2000, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "rackforge"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_table(boms: list[DesignBom], *, color: bool = False, width: int = 200) -> str:
    """Rich tables, one per design, for the terminal."""
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    con = Console(file=buf, width=width, color_system="auto" if color else None, force_terminal=color,
                  no_color=not color)
    cols = ("scope", "pn", "description", "kind", "qty_per_rack", "qty", "unit_cost_usd", "extended_cost_usd",
            "total_mass_kg", "origin", "domestic", "lead_time_weeks", "derived_from")
    heads = ("scope", "part", "description", "kind", "per rack", "qty", "unit USD", "ext. USD", "kg", "origin",
             "dom.", "weeks", "derived from")
    for b in boms:
        t = Table(title=f"{b.name} ({b.generation}, {b.operating_point})", show_lines=False)
        for h, c in zip(heads, cols):
            t.add_column(h, justify="right" if c in _NUMERIC else "left",
                         overflow="fold", max_width=48 if c in ("description", "derived_from") else None)
        for row in design_rows(b):
            cells = [_cell(row[c]) if c not in ("unit_cost_usd", "extended_cost_usd") else _money(row[c])
                     for c in cols]
            style = "bold" if row["line"] != "part" else None
            t.add_row(*cells, style=style)
        con.print(t)
        f = figures(b)
        share = f["domestic_share"]
        crit = f["critical_path"]
        con.print(f"domestic content {'n/a' if share is None else f'{share:.1%}'} "
                  f"({', '.join(f['domestic_countries'] or []) or 'no domestic countries'}); cost by country "
                  + ", ".join(f"{c} {v:.1%}" for c, v in f["cost_share_by_country"].items())
                  + (f"; longest lead time {crit['lead_time_weeks']:g} weeks ({', '.join(crit['parts'])})"
                     if crit else "")
                  + f"; single-sourced: {', '.join(p['pn'] for p in f['single_source_parts']) or 'none'}")
        for note in b.notes:
            con.print(f"note: {note}")
    if len(boms) > 1:
        g = grand_total_row(boms)
        con.print(f"{g['description']}: {_money(g['extended_cost_usd'])} USD, {_cell(g['total_mass_kg'])} kg")
    return buf.getvalue()


def _money(v) -> str:
    return "" if v is None else f"{v:,.2f}".rstrip("0").rstrip(".")


def render(boms: list[DesignBom], fmt: str) -> str | bytes:
    if fmt == "csv":
        return to_csv(boms)
    if fmt == "json":
        return to_json(boms)
    if fmt == "markdown":
        return to_markdown(boms)
    if fmt == "xlsx":
        return to_xlsx(boms)
    return to_table(boms)


# ---------------------------------------------------------------------------------------------------------------
# drift check


def format_for(path: str) -> str | None:
    low = path.lower()
    for suffix, fmt in ((".csv", "csv"), (".json", "json"), (".md", "markdown"), (".markdown", "markdown"),
                        (".xlsx", "xlsx")):
        if low.endswith(suffix):
            return fmt
    return None


def read_rows(path: str, fmt: str) -> list[list[str]]:
    """A committed BOM's rows as lists of strings (header first). Raises InputError when unreadable."""
    from rackforge.errors import InputError

    try:
        if fmt == "xlsx":
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            if "BOM" not in wb.sheetnames:
                raise InputError("workbook has no 'BOM' sheet", file=path)
            out = [[_cell(v) for v in r] for r in wb["BOM"].iter_rows(values_only=True)]
            wb.close()
            return out
        with open(path, encoding="utf-8", newline="") as fh:
            text = fh.read()
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError) as exc:
        raise InputError(f"cannot read the BOM: {exc}", file=path) from None
    except Exception as exc:  # openpyxl raises a zoo of errors for a damaged workbook
        raise InputError(f"cannot read the workbook: {type(exc).__name__}: {exc}", file=path) from None
    if fmt == "csv":
        try:
            return [r for r in csv.reader(io.StringIO(text.replace("\r\n", "\n")))]
        except csv.Error as exc:
            raise InputError(f"not a CSV file: {exc}", file=path) from None
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON: {exc.msg}", file=path, line=exc.lineno, col=exc.colno) from None
        if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
            raise InputError("not a rackforge BOM (a JSON object with 'rows')", file=path)
        cols = data.get("columns") or list(COLUMNS)
        return [list(cols)] + [[_cell(r.get(c)) if isinstance(r, dict) else "" for c in cols] for r in data["rows"]]
    return [[ln] for ln in text.replace("\r\n", "\n").split("\n")]


def current_rows(boms: list[DesignBom], fmt: str) -> list[list[str]]:
    if fmt in ("csv", "xlsx", "json"):
        return [list(COLUMNS)] + [[_cell(r[c]) for c in COLUMNS] for r in rows(boms)]
    return [[ln] for ln in to_markdown(boms).split("\n")]


def compare(old: list[list[str]], new: list[list[str]], fmt: str) -> list[str]:
    """Human-readable differences between a committed BOM's rows and the design's (empty when equal)."""
    if old == new:
        return []
    if fmt == "markdown" or not old or old[0] != new[0]:
        import difflib

        if fmt != "markdown" and old and old[0] != new[0]:
            head = ["columns differ: committed " + ",".join(old[0]) + " vs current " + ",".join(new[0])]
        else:
            head = []
        a = [",".join(r) for r in old]
        b = [",".join(r) for r in new]
        return head + [ln.rstrip("\n") for ln in difflib.unified_diff(a, b, "committed", "current", lineterm="")]
    cols = new[0]
    ix = {c: i for i, c in enumerate(cols)}
    width = len(cols)
    old = [list(r[:width]) + [""] * (width - len(r)) for r in old]

    def key(r):
        if r[ix["line"]] not in ("part", "subtotal", "total"):
            return ("?", ",".join(r).rstrip(","))
        if r[ix["line"]] == "part":
            return tuple(r[ix[c]] for c in ("design", "scope", "pn", "length_m", "included"))
        return tuple(r[ix[c]] for c in ("design", "scope", "line"))

    def name(k, r):
        if k[0] == "?" and len(k) == 2:
            return f"unrecognised row {k[1]!r}"
        if len(k) == 5:
            d, s, pn, length, inc = k
            extra = (f" cut to {length} m" if length else "") + (" (included)" if inc else "")
            return f"{d} [{s}] {pn}{extra}: qty {r[ix['qty']]}"
        return f"{k[0]} [{k[1]}] {r[ix['description']] or k[2]}: {r[ix['extended_cost_usd']]} USD"

    a = {key(r): r for r in old[1:]}
    b = {key(r): r for r in new[1:]}
    out = []
    for k in [k for k in a if k not in b]:
        out.append(f"- {name(k, a[k])} (committed, no longer in the design)")
    for k in [k for k in b if k not in a]:
        out.append(f"+ {name(k, b[k])} (in the design, not committed)")
    for k in [k for k in b if k in a and a[k] != b[k]]:
        ch = [f"{c} {a[k][i]!r} -> {b[k][i]!r}" for c, i in ix.items() if a[k][i] != b[k][i]]
        out.append(f"~ {name(k, b[k]).rsplit(':', 1)[0]}: " + ", ".join(ch))
    if not out:
        out.append("rows are in a different order")
    return out
