"""The resolved design: racks instantiated from templates, mounts joined with their catalog parts.

This is what rules read. It is built once per design and holds no file positions: rules speak in JSON
Pointers and the engine turns them into line:col only when something is reported.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from rackforge.model.schema.catalog import MOUNTABLE_KINDS

IT_KINDS = {"compute_tray", "switch_tray", "switch"}
LEVELS = ("idle", "typical", "max", "peak")  # operating points of a part's power figures


@dataclass
class MountInfo:
    m: Any                      # schema Mount
    part: Any | None            # catalog part (None when unknown)
    ptr: str                    # JSON Pointer of the mount
    lo: int | None = None       # lowest slot occupied (1-based), None for 0U/side mounts
    hi: int | None = None       # highest slot occupied

    @property
    def id(self) -> str:
        return self.m.id

    @property
    def kind(self) -> str | None:
        return self.part.kind if self.part is not None else None


@dataclass
class RackDef:
    """One rack body: a template, or an inline rack. Checks on it hold for all its instances."""

    key: str
    body: Any
    ptr: str
    frame: Any | None
    mounts: list[MountInfo]
    by_id: dict[str, MountInfo]
    instances: list["RackInst"] = field(default_factory=list)
    #: the generation id this rack is checked against: its body's ``generation``, else the design's (set by the
    #: engine's ``load_design``, which knows a ``--generation`` override; None until then)
    generation: str | None = None

    def slot_pitch(self) -> float | None:
        return float(self.frame.slot) if self.frame is not None else None


@dataclass
class RackInst:
    id: str
    rdef: RackDef
    ptr: str
    row: str
    index: int


def slots_for(height_m: float, pitch_m: float) -> int:
    """Slots a part of ``height_m`` occupies at slot pitch ``pitch_m`` (a 1 OU part takes 2 RU)."""
    if height_m <= 0:
        return 0
    return max(1, math.ceil(height_m / pitch_m - 1e-6))


def mount_power(part: Any, op: str) -> float:
    """IT power [W] of a part at an operating point (idle, typical, max, peak)."""
    pw = getattr(part, "power", None)
    if pw is None or not hasattr(pw, "max"):
        return 0.0
    if op == "peak":
        return float(pw.max) * pw.peak_factor
    return float(getattr(pw, op))


def server_psus(mi) -> tuple[str, int] | None:
    """(pn, count) of the PSUs inside an IT part (a DGX's six 3.3 kW PSUs, an 800 V pod's converters): the
    mount's ``psus`` override, else the part's own. None for parts without internal PSUs. The power model, the
    BOM and ``diff`` all count them here."""
    part = mi.part
    if part is None or part.kind == "power_shelf":
        return None
    spec = getattr(part, "psus", None)
    if spec is None:
        return None
    if mi.m.psus is not None:
        return mi.m.psus.part, mi.m.psus.count
    return spec.part, spec.count


def shelf_modules(mi, catalog) -> list[tuple[str, int, str]]:
    """(pn, count, 'psu'|'bbu') installed in a power shelf: the mount's override, else the shelf's default fill.

    The one place the count of a shelf's modules is resolved: the power model, the BOM, ``diff`` and the
    drawings all read it here."""
    out = []
    part = mi.part
    if part is None or part.kind != "power_shelf":
        return out
    psus = mi.m.psus or part.psus
    bbus = mi.m.bbus or part.bbus
    if psus is not None and psus.count:
        out.append((psus.part, psus.count, "psu"))
    if bbus is not None and bbus.count:
        out.append((bbus.part, bbus.count, "bbu"))
    return out


@dataclass
class Resolved:
    design: Any
    catalog: Any
    defs: list[RackDef]
    racks: list[RackInst]
    rack_by_id: dict[str, RackInst]
    hall_fabric: Any = None     # the hall fabric layout (rackforge.lowering.hall_fabric.place), when generated

    def iter_mounts(self) -> Iterator[tuple[RackDef, MountInfo]]:
        for d in self.defs:
            for mi in d.mounts:
                yield d, mi

    def subset(self, defs: Iterable[RackDef]) -> "Resolved":
        """The same design seen through some of its rack definitions (a mixed hall's racks of one generation):
        those definitions and their instances, in the original order. The objects are shared, not copied, so
        every pointer still points into the original document and findings stay located. The hall fabric
        layout (which places every rack of the hall) is not carried over."""
        keep = {id(d) for d in defs}
        sub_defs = [d for d in self.defs if id(d) in keep]
        racks = [r for r in self.racks if id(r.rdef) in keep]
        by_id: dict[str, RackInst] = {}
        for r in racks:
            by_id.setdefault(r.id, r)
        return Resolved(self.design, self.catalog, sub_defs, racks, by_id)


def resolve(design: Any, catalog: Any) -> Resolved:
    defs: list[RackDef] = []
    tmpl_defs: dict[str, RackDef] = {}

    def make_def(key: str, body: Any, ptr: str) -> RackDef:
        frame = catalog.get(body.frame)
        if frame is not None and frame.kind != "rack_frame":
            frame = None
        pitch = float(frame.slot) if frame is not None else None
        mounts = []
        by_id: dict[str, MountInfo] = {}
        for i, m in enumerate(body.mounts):
            part = catalog.get(m.part)
            if part is not None and part.kind not in MOUNTABLE_KINDS:
                # a cable, PSU or transceiver used as a mount: RF006 reports it (reading the catalog); every
                # other rule and model sees no part here, as for an unknown one, instead of reading figures
                # (height, standard, ports) that kind does not have
                part = None
            mi = MountInfo(m, part, f"{ptr}/mounts/{i}")
            if part is not None and m.u is not None and pitch and hasattr(part, "height"):
                n = slots_for(float(part.height), pitch)
                if n > 0:
                    mi.lo, mi.hi = m.u, m.u + n - 1
            mounts.append(mi)
            by_id.setdefault(m.id, mi)
        d = RackDef(key, body, ptr, frame, mounts, by_id)
        defs.append(d)
        return d

    for name, body in design.templates.items():
        tmpl_defs[name] = make_def(name, body, f"/templates/{_esc(name)}")
    racks: list[RackInst] = []
    for i, r in enumerate(design.racks):
        if r.body is not None:
            d = make_def(r.id, r.body, f"/racks/{i}/body")
        else:
            d = tmpl_defs.get(r.template)
            if d is None:
                continue  # dangling template: reported by RF004
        inst = RackInst(r.id, d, f"/racks/{i}", r.position.row, r.position.index)
        d.instances.append(inst)
        racks.append(inst)
    for i, row in enumerate(design.rows):
        d = tmpl_defs.get(row.template)
        if d is None:
            continue
        for k in range(row.count):
            idx = row.start_index + k
            try:
                rid = row.rack_id_format.format(row=row.id, index=idx)
            except (KeyError, IndexError, ValueError):
                rid = f"{row.id}-{idx:03d}"
            inst = RackInst(rid, d, f"/rows/{i}", row.id, idx)
            d.instances.append(inst)
            racks.append(inst)
    by_id: dict[str, RackInst] = {}
    for r in racks:
        by_id.setdefault(r.id, r)
    return Resolved(design, catalog, defs, racks, by_id)


def _esc(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
