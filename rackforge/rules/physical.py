"""RF1xx: physical fit: rack units, frame standard, depth, mass, floor load, placement."""
from __future__ import annotations

from rackforge.rules import Hit, rule

_WIDTH_ORDER = {"eia19": 0, "ocp21": 1, "orw": 2}


def _mm(x: float) -> str:
    return f"{x * 1000:.0f} mm"


@rule("RF101", "rack-unit-overlap", "error", "Two mounts occupy the same rack unit.")
def rf101(ctx):
    """
    **What**: two mounts on the same rack claim at least one common slot (rack unit or OpenU). Slots are
    counted in the frame's pitch: a 1 OU (48 mm) part in an EIA frame (44.45 mm) takes two RU.

    **Why**: two parts cannot be installed in the same place; the elevation drawn from the design would be
    wrong and every position-based model (busbar taps, manifold taps, cable routes) with it.

    **Fix**: move one of them (`u` is the lowest slot a part occupies, counted from 1 at the bottom).
    """
    for rd in ctx.r.defs:
        owner: dict[int, object] = {}
        for mi in rd.mounts:
            if mi.lo is None:
                continue
            clash = next((owner[s] for s in range(mi.lo, mi.hi + 1) if s in owner), None)
            if clash is not None:
                yield Hit(f"{mi.ptr}/u", f"mount {mi.id!r} (slots {mi.lo}-{mi.hi}) overlaps mount {clash.id!r} "
                          f"(slots {clash.lo}-{clash.hi})", "move one of them to free slots")
                continue
            for s in range(mi.lo, mi.hi + 1):
                owner[s] = mi


@rule("RF102", "mount-outside-frame", "error", "A mount has no slot or extends beyond the frame's slots.")
def rf102(ctx):
    """
    **What**: a mount's slots run past the top of the frame (or a part with height has no `u`).

    **Why**: the part does not fit in the rack as designed.

    **Fix**: move it down, choose a taller frame, or give it a position.
    """
    for rd in ctx.r.defs:
        if rd.frame is None:
            continue
        n = rd.frame.slots
        for mi in rd.mounts:
            part = mi.part
            if part is None or not hasattr(part, "height"):
                continue
            if mi.m.u is None and float(part.height) > 0:
                yield Hit(mi.ptr, f"mount {mi.id!r} ({part.pn}) is {part.height} high but has no 'u' position",
                          "give it the lowest slot it occupies with 'u'")
            elif mi.hi is not None and mi.hi > n:
                yield Hit(f"{mi.ptr}/u", f"mount {mi.id!r} occupies slots {mi.lo}-{mi.hi} but frame "
                          f"{rd.frame.pn!r} has {n} slots", f"move it to u <= {n - (mi.hi - mi.lo)}")


@rule("RF103", "frame-standard-mismatch", "error", "A part is wider than its frame (a 21\" Open Rack tray in a "
      "19\" EIA frame).")
def rf103(ctx):
    """
    **What**: the part needs a wider equipment bay than the frame provides: an Open Rack (21", 537 mm bay)
    part in a 19" EIA-310 frame, or an Open Rack Wide part in an ORv3 frame. Narrower parts in a wider frame
    are allowed (ORv3/MGX frames accept 19" gear with adapters).

    **Why**: it does not physically fit; Open Rack parts also expect a busbar an EIA frame lacks.

    **Fix**: use the part's variant for the frame's standard, or a frame of the part's standard.
    Reference: EIA-310-E; OCP Open Rack V3 base specification.
    """
    for rd in ctx.r.defs:
        if rd.frame is None:
            continue
        fw = _WIDTH_ORDER[rd.frame.standard]
        for mi in rd.mounts:
            std = getattr(mi.part, "standard", "any") if mi.part is not None else "any"
            if std != "any" and _WIDTH_ORDER[std] > fw:
                yield Hit(f"{mi.ptr}/part", f"{mi.part.pn!r} is a {std} part; frame {rd.frame.pn!r} is "
                          f"{rd.frame.standard}", "use a frame or a part variant of the same standard")


@rule("RF104", "part-too-deep", "error", "A part is deeper than the frame's equipment depth.")
def rf104(ctx):
    """
    **What**: the part's depth exceeds the frame's usable equipment depth (`max_equipment_depth`, else its
    outer depth).

    **Why**: the part would collide with the rear door, manifold or busbar, or keep the door from closing.

    **Fix**: choose a deeper frame or a shorter part.
    """
    for rd in ctx.r.defs:
        if rd.frame is None:
            continue
        limit = float(rd.frame.max_equipment_depth or rd.frame.depth)
        for mi in rd.mounts:
            depth = getattr(mi.part, "depth", None) if mi.part is not None else None
            if depth is not None and float(depth) > limit + 1e-9:
                yield Hit(f"{mi.ptr}/part", f"{mi.part.pn!r} is {_mm(float(depth))} deep; frame "
                          f"{rd.frame.pn!r} takes {_mm(limit)}", "use a deeper frame or a shorter part")


@rule("RF105", "frame-payload-exceeded", "error", "The equipment in a rack weighs more than the frame's rating.")
def rf105(ctx):
    """
    **What**: the sum of the masses of everything mounted (with PSUs and BBUs inside shelves and the busbar)
    exceeds the frame's static payload rating.

    **Why**: an overloaded frame can deform, its casters and levelling feet fail, and it is unsafe to move.

    **Fix**: move equipment to another rack, or use a frame with a higher rating (ORv3: 1,400 kg; ORW:
    4,700 kg tested, per the OCP specifications).
    """
    for rd in ctx.r.defs:
        if rd.frame is None:
            continue
        p = ctx.physical[rd.key]
        cap = float(rd.frame.max_payload)
        if p.payload_kg > cap + 1e-9:
            yield Hit(f"{rd.ptr}/frame", f"equipment weighs {p.payload_kg:.0f} kg; frame {rd.frame.pn!r} is rated "
                      f"{cap:.0f} kg", "spread the load over more racks or use a stronger frame")


@rule("RF106", "rack-mass-over-generation-limit", "error", "A rack weighs more than its generation allows.",
      requires=["physical.max_rack_mass"])
def rf106(ctx):
    """
    **What**: the rack's total mass (frame and everything in it) exceeds the generation's `max_rack_mass`.

    **Why**: the generation's limit reflects what the target data halls, lifts and floors can take.

    **Fix**: lighten the rack or split it.
    """
    lim = ctx.req("physical.max_rack_mass")
    if lim is None:
        return
    for rd in ctx.r.defs:
        p = ctx.physical[rd.key]
        if p.mass_kg > float(lim) + 1e-9:
            yield Hit(rd.ptr, f"rack weighs {p.mass_kg:.0f} kg; generation {ctx.gen.id!r} allows {lim}",
                      "lighten or split the rack", requirement="physical.max_rack_mass", value=p.mass_kg,
                      limit=float(lim), unit="kg")


@rule("RF107", "frame-standard-not-allowed", "error", "The frame's standard is not one the generation allows.",
      requires=["physical.frame_standards"])
def rf107(ctx):
    """
    **What**: the frame is of a standard (eia19, ocp21, orw) the generation's `frame_standards` excludes.

    **Why**: a generation is built around one rack family (busbar, manifold, power shelves).

    **Fix**: use a frame of an allowed standard.
    """
    allowed = ctx.req("physical.frame_standards")
    if not allowed:
        return
    for rd in ctx.r.defs:
        if rd.frame is not None and rd.frame.standard not in allowed:
            yield Hit(f"{rd.ptr}/frame", f"frame {rd.frame.pn!r} is {rd.frame.standard}; generation "
                      f"{ctx.gen.id!r} allows {', '.join(allowed)}", requirement="physical.frame_standards")


@rule("RF108", "rack-depth-over-generation-limit", "error", "The frame is deeper than the generation allows.",
      requires=["physical.max_rack_depth"])
def rf108(ctx):
    """
    **What**: the frame's outer depth exceeds the generation's `max_rack_depth`.

    **Why**: hall layouts (aisle widths, containment) are planned for a maximum rack depth.

    **Fix**: use a shallower frame.
    """
    lim = ctx.req("physical.max_rack_depth")
    if lim is None:
        return
    for rd in ctx.r.defs:
        if rd.frame is not None and float(rd.frame.depth) > float(lim) + 1e-9:
            yield Hit(f"{rd.ptr}/frame", f"frame {rd.frame.pn!r} is {_mm(float(rd.frame.depth))} deep; generation "
                      f"{ctx.gen.id!r} allows {_mm(float(lim))}", requirement="physical.max_rack_depth",
                      value=float(rd.frame.depth), limit=float(lim), unit="m")


@rule("RF109", "floor-load-exceeded", "error", "A rack's mass over its footprint exceeds the floor's rating.")
def rf109(ctx):
    """
    **What**: the rack's total mass divided by its footprint (frame width x depth) exceeds the site's
    `floor_load_rating`.

    **Why**: raised floors and slabs have a distributed-load rating; a fully loaded AI rack (1.4 t on 0.66
    m^2) can exceed it.

    **Fix**: add spreader plates or a plinth (and raise the rating accordingly), or lighten the rack.
    """
    rating = ctx.design.site.floor_load_rating
    if rating is None:
        return
    for rd in ctx.r.defs:
        if rd.frame is None:
            continue
        area = float(rd.frame.width) * float(rd.frame.depth)
        load = ctx.physical[rd.key].mass_kg / area
        if load > float(rating) + 1e-9:
            yield Hit(rd.ptr, f"rack loads the floor with {load:.0f} kg/m^2; the site is rated {rating}",
                      "spread the load (plinth, spreader plates) or lighten the rack")


HEAVY_KG = 50.0


@rule("RF110", "heavy-part-high", "warning", "A heavy part sits in the top third of the rack.")
def rf110(ctx):
    """
    **What**: a mount of 50 kg or more sits entirely in the top third of the frame.

    **Why**: heavy parts high raise the centre of gravity, make the rack tip more easily when moved or when a
    tray is slid out, and make installation and service harder. Installation guides (and EIA-310 practice)
    put the heaviest equipment lowest.

    **Fix**: move the part lower, or waive it with a reason (e.g. a busbar zone that fixes its position).
    """
    for rd in ctx.r.defs:
        if rd.frame is None:
            continue
        top_third = rd.frame.slots * 2 / 3
        for mi in rd.mounts:
            mass = getattr(mi.part, "mass", None) if mi.part is not None else None
            if mass is not None and float(mass) >= HEAVY_KG and mi.lo is not None and mi.lo > top_third:
                yield Hit(f"{mi.ptr}/u", f"{mi.id!r} weighs {float(mass):.0f} kg and sits at slot {mi.lo} of "
                          f"{rd.frame.slots}", "mount heavy parts low")


@rule("RF111", "shelf-slots-exceeded", "error", "A power shelf holds more PSUs or BBUs than it has slots.")
def rf111(ctx):
    """
    **What**: the PSU (or BBU) count set on a power shelf mount exceeds the shelf's `psu_slots` (`bbu_slots`).

    **Why**: the modules cannot be installed; the power model would count capacity that does not exist.

    **Fix**: lower the count or use a larger shelf.
    """
    for rd in ctx.r.defs:
        for mi in rd.mounts:
            part = mi.part
            if part is None or part.kind != "power_shelf":
                continue
            for attr, slots in (("psus", part.psu_slots), ("bbus", part.bbu_slots)):
                s = getattr(mi.m, attr) or getattr(part, attr)
                if s is not None and s.count > slots:
                    yield Hit(f"{mi.ptr}/{attr}" if getattr(mi.m, attr) else f"{mi.ptr}/part",
                              f"shelf {part.pn!r} has {slots} {attr[:-1].upper()} slots but {s.count} are set")


def _it_mounts(ctx):
    for rd in ctx.r.defs:
        for mi in rd.mounts:
            part = mi.part
            if part is not None and getattr(part, "bays", None) is not None:
                yield rd, mi, part


@rule("RF112", "psu-bays-exceeded", "error", "A server is given more PSUs than its chassis has PSU bays.")
def rf112(ctx):
    """
    **What**: the PSU count of a mounted part (the mount's `psus` override, else the catalog's `psus.count`)
    exceeds the part's `bays.psu`.

    **Why**: the PSUs cannot be installed; the power model would count capacity (and redundancy) that does not
    exist, e.g. 9 PSUs in a 6-bay DGX H100.

    **Fix**: lower the count to the bays, or use a chassis with more bays.

    **Reference**: the part's datasheet (its `sources.bays`).
    """
    for _rd, mi, part in _it_mounts(ctx):
        bays = part.bays.psu
        if bays is None:
            continue
        over = mi.m.psus
        spec = over or part.psus
        if spec is not None and spec.count > bays:
            yield Hit(f"{mi.ptr}/psus" if over is not None else f"{mi.ptr}/part",
                      f"{mi.id} ({part.pn}) has {bays} PSU bays but {spec.count} PSUs are set",
                      f"set at most {bays} PSUs", value=float(spec.count), limit=float(bays), unit="")


@rule("RF113", "network-cages-exceeded", "error", "A part's network ports need more cages (lanes) of a form factor "
      "than its chassis has.")
def rf113(ctx):
    """
    **What**: for a form factor the part lists under `bays.cages`, the lanes of its port groups of that form
    factor (`count` x `lanes`) exceed the cages' lanes (`count` x `lanes`): e.g. ten 4-lane OSFP ports where
    four 8-lane OSFP cages give 32 lanes.

    **Why**: the catalog describes ports the chassis cannot carry; the fabric checks would count links that
    cannot be cabled.

    **Fix**: correct the part's ports or its cages in the catalog.

    **Reference**: the part's datasheet (its `sources.bays`).
    """
    seen = set()
    for _rd, mi, part in _it_mounts(ctx):
        if part.pn in seen:
            continue
        seen.add(part.pn)
        for cg in part.bays.cages:
            need = sum(g.count * g.lanes for g in part.ports if g.form_factor.upper() == cg.form_factor.upper())
            have = cg.count * cg.lanes
            if need > have:
                yield Hit(f"{mi.ptr}/part", f"{part.pn}'s {cg.form_factor} ports need {need} lanes; its "
                          f"{cg.count} {cg.form_factor} cages give {have}", "correct the catalog's ports or cages",
                          value=float(need), limit=float(have), unit="")


@rule("RF114", "fan-slots-exceeded", "error", "A part lists more fan modules than its chassis has fan slots.")
def rf114(ctx):
    """
    **What**: a part's `air.fans` (fan modules installed) exceeds its `bays.fan`.

    **Why**: the airflow the air side credits the part with assumes fans that cannot be installed.

    **Fix**: correct the part's fan count or its slots in the catalog.

    **Reference**: the part's datasheet (its `sources.bays`).
    """
    seen = set()
    for _rd, mi, part in _it_mounts(ctx):
        air = getattr(part, "air", None)
        if part.pn in seen or part.bays.fan is None or air is None or air.fans is None:
            continue
        seen.add(part.pn)
        if air.fans > part.bays.fan:
            yield Hit(f"{mi.ptr}/part", f"{part.pn} lists {air.fans} fan modules for {part.bays.fan} fan slots",
                      "correct the catalog's fans or slots", value=float(air.fans), limit=float(part.bays.fan),
                      unit="")
