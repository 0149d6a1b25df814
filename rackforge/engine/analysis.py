"""Plain numbers computed from a resolved design (no findings here): counts, power, mass, rack units.

Rules read these; ``rackforge analyze`` prints them. Keys carry their unit (``mass_kg``, ``it_power_max_w``).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rackforge.model.resolved import IT_KINDS, LEVELS, RackDef, mount_power, shelf_modules  # noqa: F401 (LEVELS re-exported)



@dataclass
class RackPhysical:
    rdef: RackDef
    slots_total: int
    slots_used: int
    mass_kg: float
    payload_kg: float
    it_power_w: dict[str, float]
    counts: Counter
    accelerator_packages: int
    accelerator_dies: int
    depth_m: float | None
    modules: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # mount id -> (pn, count, role)




def rack_physical(rdef: RackDef, catalog) -> RackPhysical:
    frame = rdef.frame
    slots_total = frame.slots if frame is not None else 0
    used = set()
    payload = 0.0
    power = {lvl: 0.0 for lvl in LEVELS}
    counts: Counter = Counter()
    acc_p = acc_d = 0
    for mi in rdef.mounts:
        part = mi.part
        if part is None:
            continue
        counts[part.kind] += 1
        if mi.lo is not None:
            used.update(range(mi.lo, mi.hi + 1))
        if part.mass is not None:
            payload += float(part.mass)
        for pn, n, _role in shelf_modules(mi, catalog):
            mod = catalog.get(pn)
            if mod is not None and mod.mass is not None:
                payload += n * float(mod.mass)
        if part.kind in IT_KINDS:
            for lvl in LEVELS:
                power[lvl] += mount_power(part, lvl)
            acc = getattr(part, "accelerators", None)
            if acc is not None:
                acc_p += acc.packages
                acc_d += acc.packages * acc.dies_per_package
    for bb in rdef.body.power.busbars:
        part = catalog.get(bb.part)
        if part is not None and part.mass is not None:
            payload += float(part.mass)
    mass = payload + (float(frame.mass) if frame is not None and frame.mass is not None else 0.0)
    depth = float(frame.depth) if frame is not None else None
    return RackPhysical(rdef, slots_total, len(used), mass, payload, power, counts, acc_p, acc_d, depth)


def physical_summary(ctx) -> dict[str, RackPhysical]:
    return {d.key: rack_physical(d, ctx.catalog) for d in ctx.r.defs}


def analyze_summary(ctx) -> dict[str, Any]:
    """The ``analyze`` output: SI floats, the unit in every key."""
    phys = ctx.physical
    racks = []
    totals = Counter()
    for d in ctx.r.defs:
        p = phys[d.key]
        n = len(d.instances)
        racks.append({
            "definition": d.key,
            "pointer": d.ptr,
            "instances": n,
            "frame": d.body.frame,
            "rack_units_total": p.slots_total,
            "rack_units_used": p.slots_used,
            "mass_kg": round(p.mass_kg, 6),
            "payload_kg": round(p.payload_kg, 6),
            **{f"it_power_{lvl}_w": round(v, 6) for lvl, v in p.it_power_w.items()},
            "accelerator_packages": p.accelerator_packages,
            "accelerator_dies": p.accelerator_dies,
            "parts_by_kind": dict(sorted(p.counts.items())),
            # a mixed design: the generation this rack is checked against (docs/hall.md, mixed halls)
            **({"generation": d.generation} if getattr(ctx, "groups", None) else {}),
        })
        totals["racks"] += n
        totals["mass_kg"] += n * p.mass_kg
        totals["accelerator_packages"] += n * p.accelerator_packages
        totals["accelerator_dies"] += n * p.accelerator_dies
        for lvl, v in p.it_power_w.items():
            totals[f"it_power_{lvl}_w"] += n * v
    out = {
        "design": ctx.design.name,
        "generation": ctx.ld.generation_id,
        "operating_point": ctx.op,
        "totals": {k: (round(v, 6) if isinstance(v, float) else v) for k, v in totals.items()},
        "racks": racks,
    }
    # area sections, when their lowering module exists: power, cooling, network, supply_chain
    import importlib.util

    why_not = ctx.not_modelled_because() if hasattr(ctx, "not_modelled_because") else None
    for area in AREA_SECTIONS:
        if area.startswith("facility") and getattr(ctx.design, "facility", None) is None:
            continue  # no hall level in this design
        if importlib.util.find_spec(f"rackforge.lowering.{area}") is not None:
            out[area] = ({"modelled": False, "not_modelled_because": why_not} if why_not
                         else getattr(ctx, area).to_json())
    return out


AREA_SECTIONS = ("power", "cooling", "network", "supply_chain", "facility_water", "facility_power")
