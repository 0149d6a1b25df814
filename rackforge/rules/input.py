"""RF0xx: input, schema, units and reference integrity."""
from __future__ import annotations

import fnmatch
from typing import Iterator

from rackforge.model.resolved import IT_KINDS
from rackforge.rules import Hit, rule
from rackforge.model.schema.catalog import MOUNTABLE_KINDS


@rule("RF001", "schema-violation", "error", "A field is missing, unknown, of the wrong type, or a quantity has "
      "no unit, an unknown unit or the wrong dimension.", check=False)
def _rf001(ctx):
    """
    **What**: the file does not match the design (or catalog) schema: a required field is missing, a field is
    unknown, a value has the wrong type, or a quantity is malformed ("12" with no unit, "12 furlongs", "12 kg"
    where a power is expected, a negative or NaN where a positive value is expected).

    **Why**: every quantity carries its unit and is checked for its dimension on load; a bare number or a
    misspelt key would otherwise be silently misread, and every later check would be wrong.

    **Fix**: follow the message: it names the field, the value given and what was expected. `rackforge schema`
    prints the JSON Schema; editors that read JSON Schema complete and check fields as you type.
    """
    return ()


@rule("RF008", "implausible-value", "error", "A value is beyond any plausible magnitude for a data-center design "
      "(a 1e30 W tray, a count of 10^9, a list of a million entries, an infinite number).", check=False)
def _rf008(ctx):
    """
    **What**: a quantity, count, list or plain number in a design, catalog or generation file lies outside the
    plausibility envelope of its kind: powers above 10 GW, lengths above 100 km, temperatures below -100 degC
    or above 1000 degC, infinite values, integers above 100,000 (4,096 inside a catalog part), lists longer
    than that. The message names the bound and why it is there.

    **Why**: such a value is a typo (an exponent, a unit prefix, a pasted number) and never a design. Left in,
    it makes the models meaningless and can make a solver, a layout or a drawing run or allocate without end;
    refusing it on load keeps every command fast and its output honest.

    **Fix**: correct the number or its unit. The bounds are far beyond any real rack, hall or campus; if a
    real value does exceed one, report it so the envelope can be widened.
    """
    return ()


def _pn_refs(ctx) -> Iterator[tuple[str, str, set[str] | None, str]]:
    """(pn, pointer, allowed kinds, what) for every part number the design names."""
    d = ctx.design
    bodies = [(f"/templates/{k}", b) for k, b in d.templates.items()]
    bodies += [(f"/racks/{i}/body", r.body) for i, r in enumerate(d.racks) if r.body is not None]
    for ptr, b in bodies:
        yield b.frame, f"{ptr}/frame", {"rack_frame"}, "frame"
        for i, m in enumerate(b.mounts):
            yield m.part, f"{ptr}/mounts/{i}/part", MOUNTABLE_KINDS, "mounted part"
            if m.psus is not None:
                yield m.psus.part, f"{ptr}/mounts/{i}/psus/part", {"psu"}, "PSU"
            if m.bbus is not None:
                yield m.bbus.part, f"{ptr}/mounts/{i}/bbus/part", {"bbu"}, "BBU"
        for i, bb in enumerate(b.power.busbars):
            yield bb.part, f"{ptr}/power/busbars/{i}/part", {"busbar"}, "busbar"
        for i, lp in enumerate(b.cooling.loops):
            if lp.cdu_part is not None:
                yield lp.cdu_part, f"{ptr}/cooling/loops/{i}/cdu_part", {"cdu"}, "CDU"
        yield from _link_refs(b.links, b.patterns, ptr)
    yield from _link_refs(d.links, d.patterns, "")


def _link_refs(links, patterns, ptr):
    for i, ln in enumerate(links):
        yield ln.cable, f"{ptr}/links/{i}/cable", {"cable"}, "cable"
        for j, t in enumerate(ln.transceivers):
            yield t, f"{ptr}/links/{i}/transceivers/{j}", {"transceiver"}, "transceiver"
    for i, pt in enumerate(patterns):
        yield pt.cable, f"{ptr}/patterns/{i}/cable", {"cable"}, "cable"
        for j, t in enumerate(pt.transceivers):
            yield t, f"{ptr}/patterns/{i}/transceivers/{j}", {"transceiver"}, "transceiver"


def _catalog_refs(ctx):
    """Part numbers that catalog parts name (cold plates, quick disconnects, hoses, PSUs, BBUs)."""
    cat = ctx.catalog
    for pn, part in cat.parts.items():
        file, ptr = cat.part_where[pn]
        liq = getattr(part, "liquid", None)
        if liq is not None:
            for i, cp in enumerate(liq.cold_plates):
                yield cp.part, file, f"{ptr}/liquid/cold_plates/{i}/part", {"cold_plate"}, "cold plate"
            yield liq.quick_disconnect, file, f"{ptr}/liquid/quick_disconnect", {"quick_disconnect"}, "quick disconnect"
            if liq.hose is not None:
                yield liq.hose, file, f"{ptr}/liquid/hose", {"hose"}, "hose"
        ip = getattr(part, "psus", None)
        if ip is not None:
            yield ip.part, file, f"{ptr}/psus/part", {"psu"}, "PSU"
        bb = getattr(part, "bbus", None)
        if bb is not None:
            yield bb.part, file, f"{ptr}/bbus/part", {"bbu"}, "BBU"


def _used_catalog_parts(ctx) -> set[str]:
    return {pn for pn, *_ in _pn_refs(ctx)}


@rule("RF002", "unknown-part", "error", "A part number is not in any loaded catalog.")
def rf002(ctx):
    """
    **What**: the design (or a catalog part) names a part number that no loaded catalog defines.

    **Why**: an unknown part has no dimensions, power, mass or ports, so nothing about it can be checked and
    the bill of materials would miss it.

    **Fix**: correct the part number (the message suggests the closest known ones), or add the part to a
    catalog the design names in `catalogs:` or that you pass with `--catalog`.
    """
    cat = ctx.catalog
    for pn, ptr, kinds, what in _pn_refs(ctx):
        if cat.get(pn) is None:
            sugg = cat.suggest(pn, kinds)
            yield Hit(ptr, f"unknown part number {pn!r} for the {what}"
                      + (f"; did you mean {', '.join(repr(s) for s in sugg)}?" if sugg else ""),
                      "correct it, or add the part to a catalog named in 'catalogs' or given with --catalog")
    for pn, file, ptr, kinds, what in _catalog_refs(ctx):
        if cat.get(pn) is None:
            sugg = cat.suggest(pn, kinds)
            yield Hit(ptr, f"catalog part names unknown part number {pn!r} for its {what}"
                      + (f"; did you mean {', '.join(repr(s) for s in sugg)}?" if sugg else ""), None, None, file)


@rule("RF003", "duplicate-id", "error", "Two things share an id (a mount, rack, feed, loop, busbar, part number, "
      "or a repeated key).")
def rf003(ctx):
    """
    **What**: two mounts in one rack, two racks, two feeds, two loops or two busbars share an id; or a
    mapping repeats a key; or two catalogs define the same part number.

    **Why**: references by id become ambiguous, and with a repeated key the parser would silently keep only
    the last value, losing what was written first.

    **Fix**: give each one a unique id (rack ids generated by rows must not collide with explicit racks).
    """
    d = ctx.design
    bodies = [(f"/templates/{k}", b) for k, b in d.templates.items()]
    bodies += [(f"/racks/{i}/body", r.body) for i, r in enumerate(d.racks) if r.body is not None]
    for ptr, b in bodies:
        yield from _dups([m.id for m in b.mounts], f"{ptr}/mounts", "mount id")
        yield from _dups([f.id for f in b.power.feeds], f"{ptr}/power/feeds", "feed id")
        yield from _dups([x.id for x in b.power.busbars], f"{ptr}/power/busbars", "busbar id")
        yield from _dups([x.id for x in b.cooling.loops], f"{ptr}/cooling/loops", "loop id")
    yield from _dups([f.id for f in d.feeds], "/feeds", "feed id")
    seen: dict[str, str] = {}
    reported: set[str] = set()
    for inst in ctx.r.racks:
        if inst.id in seen and inst.ptr not in reported:
            reported.add(inst.ptr)
            yield Hit(inst.ptr, f"rack id {inst.id!r} is used twice (first at {seen[inst.id]})",
                      "rename the rack or change the row's rack_id_format")
        seen.setdefault(inst.id, inst.ptr)
    yield from _dups([r.id for r in d.rows], "/rows", "row id")


def _dups(ids, base, what):
    seen = {}
    for i, x in enumerate(ids):
        if x in seen:
            yield Hit(f"{base}/{i}/id", f"{what} {x!r} is used twice (first at {base}/{seen[x]})",
                      "give each one a unique id")
        else:
            seen[x] = i


@rule("RF004", "dangling-reference", "error", "A reference names a template, feed, busbar, loop, PDU or mount "
      "that does not exist.")
def rf004(ctx):
    """
    **What**: a rack names a template that is not defined; a power shelf names a feed, a tray a busbar or a
    loop, a server a PDU, a loop a CDU or manifold mount, or a fabric pattern a selector that matches nothing.

    **Why**: the power, cooling and network models are built by following these references; a dangling one
    silently leaves a load unpowered or a tray uncooled.

    **Fix**: define the missing item or correct the id (ids are case-sensitive).
    """
    d = ctx.design
    for i, r in enumerate(d.racks):
        if r.template is not None and r.template not in d.templates:
            yield Hit(f"/racks/{i}/template", f"template {r.template!r} is not defined",
                      _known(d.templates))
    for i, row in enumerate(d.rows):
        if row.template not in d.templates:
            yield Hit(f"/rows/{i}/template", f"template {row.template!r} is not defined", _known(d.templates))
    design_feeds = {f.id for f in d.feeds}
    for rd in ctx.r.defs:
        b = rd.body
        feeds = {f.id for f in b.power.feeds} | design_feeds
        busbars = {x.id for x in b.power.busbars}
        loops = {x.id for x in b.cooling.loops}
        for mi in rd.mounts:
            m = mi.m
            if m.feed is not None and m.feed not in feeds:
                yield Hit(f"{mi.ptr}/feed", f"feed {m.feed!r} is not defined", _known(feeds))
            for j, pdu in enumerate(m.feeds):
                if pdu not in rd.by_id:
                    yield Hit(f"{mi.ptr}/feeds/{j}", f"PDU mount {pdu!r} does not exist in this rack")
            if m.busbar is not None and m.busbar not in busbars:
                yield Hit(f"{mi.ptr}/busbar", f"busbar {m.busbar!r} is not defined", _known(busbars))
            if m.loop is not None and m.loop not in loops:
                yield Hit(f"{mi.ptr}/loop", f"loop {m.loop!r} is not defined", _known(loops))
        for i, lp in enumerate(b.cooling.loops):
            for attr in ("cdu", "manifold"):
                ref = getattr(lp, attr)
                if ref is not None and ref not in rd.by_id:
                    yield Hit(f"{rd.ptr}/cooling/loops/{i}/{attr}", f"{attr} mount {ref!r} does not exist")
        for i, pt in enumerate(b.patterns):
            for attr in ("accelerators", "switches", "nodes", "spines", "devices", "switch"):
                sel = getattr(pt, attr, None)
                if isinstance(sel, str) and not _select(rd, sel):
                    yield Hit(f"{rd.ptr}/patterns/{i}/{attr}", f"selector {sel!r} matches no mount")
            if getattr(pt, "leaves", None) is not None:
                leaves = pt.leaves if isinstance(pt.leaves, list) else [pt.leaves]
                for j, sel in enumerate(leaves):
                    if not _select(rd, sel):
                        ptr = f"{rd.ptr}/patterns/{i}/leaves" + (f"/{j}" if isinstance(pt.leaves, list) else "")
                        yield Hit(ptr, f"selector {sel!r} matches no mount")


def _select(rd, sel: str):
    return [mi for mi in rd.mounts if fnmatch.fnmatchcase(mi.id, sel)]


def _known(ids) -> str:
    ids = sorted(ids)
    return f"known: {', '.join(ids[:12])}" + (" ..." if len(ids) > 12 else "") if ids else "none are defined"


def parse_endpoint(ep: str) -> tuple[str | None, str, str]:
    rack, _, rest = ep.rpartition("/")
    mount, _, port = rest.partition(":")
    return (rack or None), mount, port


def port_exists(part, port: str) -> bool:
    for g in getattr(part, "ports", []) or []:
        if port.startswith(g.name):
            tail = port[len(g.name):]
            if tail.isdigit() and int(tail) < g.count and (tail == "0" or not tail.startswith("0")):
                return True
    return False


@rule("RF005", "link-endpoint-missing", "error", "A link names a rack, mount or port that does not exist.")
def rf005(ctx):
    """
    **What**: a link endpoint `MOUNT:PORT` (or `RACK/MOUNT:PORT` at the design level) names a mount that is not
    in the rack, or a port the mounted part does not have (ports are named by group: `osfp0` .. `osfp3`).

    **Why**: the cable would have nowhere to go; the topology checks and the bill of materials would count
    a link that cannot be built.

    Fabric patterns are held to the same standard when they expand: a selected mount without the ports the
    pattern needs (no accelerators, fewer NIC ports than rails, too few free switch ports), or a design-level
    selector that matches no mount.

    **Fix**: correct the endpoint; `rackforge analyze` lists each part's port groups and counts.
    """
    for rd in ctx.r.defs:
        for i, ln in enumerate(rd.body.links):
            for end in ("a", "b"):
                ep = getattr(ln, end)
                rack, mount, port = parse_endpoint(ep)
                ptr = f"{rd.ptr}/links/{i}/{end}"
                if rack is not None:
                    yield Hit(ptr, f"endpoint {ep!r}: a rack-level link cannot name another rack",
                              "put links between racks in the design-level 'links'")
                    continue
                yield from _check_end(rd, mount, port, ep, ptr)
    for i, ln in enumerate(ctx.design.links):
        for end in ("a", "b"):
            ep = getattr(ln, end)
            rack, mount, port = parse_endpoint(ep)
            ptr = f"/links/{i}/{end}"
            inst = ctx.r.rack_by_id.get(rack) if rack else None
            if inst is None:
                yield Hit(ptr, f"endpoint {ep!r}: rack {rack!r} does not exist" if rack else
                          f"endpoint {ep!r}: a design-level link names its rack as RACK/MOUNT:PORT")
                continue
            yield from _check_end(inst.rdef, mount, port, ep, ptr)
    # patterns: expanded (and their problems found) by rackforge.lowering.network
    yield from ctx.network.pattern_problems


def _check_end(rd, mount, port, ep, ptr):
    mi = rd.by_id.get(mount)
    if mi is None:
        yield Hit(ptr, f"{_likely(rd, mount)} {mount!r} named by link endpoint {ep!r} is not mounted in rack "
                  f"{rd.key!r}", _siblings_hint(rd, mount))
        return
    if mi.part is None:
        return  # unknown part: RF002
    if not port_exists(mi.part, port):
        groups = ", ".join(f"{g.name}0..{g.name}{g.count - 1}" for g in getattr(mi.part, "ports", []) or [])
        yield Hit(ptr, f"endpoint {ep!r}: part {mi.part.pn!r} has no port {port!r} "
                  f"({'its ports: ' + groups if groups else 'it has no ports'})",
                  "ports are named by group and index, counted from 0")


_KIND_WORDS = {"compute_tray": "compute tray", "switch_tray": "switch tray", "power_shelf": "power shelf",
               "rack_frame": "rack frame", "quick_disconnect": "quick disconnect"}


def _prefix(mount_id: str) -> str:
    return mount_id.rstrip("0123456789-_")


def _siblings(rd, mount: str):
    pre = _prefix(mount)
    return [mi for mi in rd.mounts if pre and _prefix(mi.id) == pre and mi.part is not None] if pre else []


def _likely(rd, mount: str) -> str:
    """'switch tray' when the missing id shares its prefix with mounts of one kind (st1..st8), else 'mount'."""
    kinds = {mi.part.kind for mi in _siblings(rd, mount)}
    return _KIND_WORDS.get(next(iter(kinds)), next(iter(kinds)).replace("_", " ")) if len(kinds) == 1 else "mount"


def _siblings_hint(rd, mount: str) -> str | None:
    sib = _siblings(rd, mount)
    if not sib:
        return None
    pns = sorted({mi.part.pn for mi in sib})
    ids = [mi.id for mi in sib]
    shown = ", ".join(ids[:6]) + (" ..." if len(ids) > 6 else "")
    return f"mount it (like {shown}: {', '.join(pns)}) or correct the endpoint"


@rule("RF030", "checks-skipped", "info", "Checks of an area were not run because an input error makes its model "
      "meaningless.", check=False)
def rf030(ctx):
    """
    **What**: an unknown part (RF002), a duplicate id (RF003), a dangling reference (RF004) or a part of the
    wrong kind (RF006) was found, and the rules of the areas whose model it breaks were not run. The finding
    names those areas, how many rules were skipped, and the error that caused it. A dangling feed, busbar or
    PDU reference skips only power; a dangling loop, CDU or manifold only cooling; a pattern selector that
    matches nothing only network; an unknown part, duplicate id or wrong kind skips power, cooling, network
    and supply chain. Physical (RF1xx) checks always run.

    **Why**: judged on a broken model those areas would report follow-on errors (a renamed tray shows up as a
    missing GPU domain and an unpowered load) that hide the one real mistake; saying that they were skipped
    keeps a clean-looking report from being read as a pass.

    **Fix**: fix the error named in the message and validate again.
    """
    return ()


@rule("RF006", "wrong-part-kind", "error", "A part of the wrong kind is used in a slot (a PSU as a frame, a "
      "cable as a mount).")
def rf006(ctx):
    """
    **What**: a part number exists but is of the wrong kind for where it is used: the frame must be a
    `rack_frame`, a mount a rack-mountable kind, a busbar a `busbar`, a link's cable a `cable`, a loop's CDU a
    `cdu`, a PSU override a `psu`, a server's `feeds` must name PDU mounts.

    **Why**: the model reads kind-specific figures (slots, ratings, flows); the wrong kind has none of them.

    **Fix**: use a part of the expected kind (the message names it).
    """
    cat = ctx.catalog
    for pn, ptr, kinds, what in _pn_refs(ctx):
        part = cat.get(pn)
        if part is not None and kinds is not None and part.kind not in kinds:
            yield Hit(ptr, f"{pn!r} is a {part.kind}, but a {what} must be a {' or '.join(sorted(kinds))}",
                      None)
    for pn, file, ptr, kinds, what in _catalog_refs(ctx):
        part = cat.get(pn)
        if part is not None and part.kind not in kinds:
            yield Hit(ptr, f"{pn!r} is a {part.kind}, but a {what} must be a {' or '.join(sorted(kinds))}",
                      None, None, file)
    for rd in ctx.r.defs:
        for mi in rd.mounts:
            for j, ref in enumerate(mi.m.feeds):
                tgt = rd.by_id.get(ref)
                if tgt is not None and tgt.kind is not None and tgt.kind != "pdu":
                    yield Hit(f"{mi.ptr}/feeds/{j}", f"{ref!r} is a {tgt.kind}, but a server's feeds are PDU mounts")
        for i, lp in enumerate(rd.body.cooling.loops):
            for attr, kind in (("cdu", "cdu"), ("manifold", "manifold")):
                ref = getattr(lp, attr)
                tgt = rd.by_id.get(ref) if ref else None
                if tgt is not None and tgt.kind is not None and tgt.kind != kind:
                    yield Hit(f"{rd.ptr}/cooling/loops/{i}/{attr}", f"mount {ref!r} is a {tgt.kind}, not a {kind}")


@rule("RF007", "unknown-generation", "error", "The design declares a generation that no catalog defines.")
def rf007(ctx):
    """
    **What**: the design's `generation` (or the one given with `--generation`), or a rack template's or inline
    rack's own `generation` (a mixed hall), is not a known profile.

    **Why**: a design is confirmed against the requirements of its generation; with an unknown one none of
    the generation limits can be checked (for a rack's own generation: none of that rack's).

    **Fix**: use one of the generations listed in the message (`rackforge generations` lists them with their
    figures), or add a profile to a catalog.
    """
    known = sorted(ctx.catalog.generations)
    if ctx.gen is None:
        gid = ctx.ld.generation_id
        yield Hit("/generation", f"unknown generation {gid!r}; known generations: {', '.join(known)}",
                  "run 'rackforge generations' to see them")
    for rd in ctx.r.defs:
        g = rd.body.generation
        if g is not None and g not in ctx.catalog.generations:
            what = f"template {rd.key!r}" if rd.ptr.startswith("/templates/") else f"rack {rd.key!r}"
            yield Hit(f"{rd.ptr}/generation", f"{what} names unknown generation {g!r}, so its generation limits "
                      f"are not checked; known generations: {', '.join(known)}",
                      "run 'rackforge generations' to see them, or remove the field to use the design's")


@rule("RF020", "design-feed-shared-across-generations", "warning", "A design-level feed powers racks of more than "
      "one generation, so its total load is not checked.")
def rf020(ctx):
    """
    **What**: in a mixed design (racks of several generations, a template's own `generation`), a feed under the
    design's `feeds` is named by power shelves or PDUs of racks of two or more generations.

    **Why**: each generation's racks are checked with their own power model (their generation's fault cases and
    operating point, see docs/hall.md), which carries only those racks: a feed shared across generations is
    loaded by each model with part of its load, and its breaker (RF204) is never checked against the sum.

    **Fix**: give each generation's racks their own design-level feeds, or model the hall's distribution with
    `facility.power` (busway runs and tap-offs carry every rack of every generation).
    """
    if not ctx.groups or not ctx.design.feeds:
        return
    ids = {f.id: i for i, f in enumerate(ctx.design.feeds)}
    users: dict[str, list[str]] = {}
    for g in ctx.groups:
        for rd in g.r.defs:
            if not rd.instances:
                continue
            own = {f.id for f in rd.body.power.feeds}
            for mi in rd.mounts:
                fid = mi.m.feed
                if fid and fid not in own and fid in ids and g.group.generation_id not in users.get(fid, []):
                    users.setdefault(fid, []).append(g.group.generation_id)
    for fid, gens in users.items():
        if len(gens) > 1:
            yield Hit(f"/feeds/{ids[fid]}", f"design-level feed {fid!r} powers racks of generations "
                      f"{', '.join(repr(x) for x in gens)}; each generation's power model carries only its own "
                      "racks, so the feed's total load is not checked",
                      "give each generation its own feeds, or distribute power with facility.power")


__all__ = ["parse_endpoint", "port_exists", "IT_KINDS"]


@rule("RF009", "it-part-draws-no-power", "error", "A compute tray or switch the design uses draws 0 W at max, so "
      "its power and heat would pass every check unseen.")
def rf009(ctx):
    """
    **What**: a compute tray, switch tray or switch mounted in the design has a catalog `power.max` of zero.

    **Why**: no such part draws nothing at full load; a zero (a missing figure written as 0, a wrong unit
    prefix) removes its load from every feed, busbar, PSU and cooling check, which then pass silently.

    **Fix**: give the part its datasheet power (idle, typical, max), or use the right part number.
    """
    seen: set[str] = set()
    for _rd, mi in ctx.r.iter_mounts():
        part = mi.part
        if part is None or mi.kind not in IT_KINDS or part.pn in seen:
            continue
        pw = getattr(part, "power", None)
        if pw is not None and float(pw.max) <= 0.0:
            seen.add(part.pn)
            yield Hit(f"{mi.ptr}/part", f"{part.pn!r} ({mi.kind}) draws {pw.max.text if hasattr(pw.max, 'text') else pw.max} "
                      "at max: an IT part that draws no power", "give the part its datasheet power figures")
