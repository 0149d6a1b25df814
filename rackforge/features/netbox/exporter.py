"""NetBox out: a design as NetBox bulk-import files, or pushed to a NetBox through its API.

The folder holds, numbered in the order NetBox needs them (each object refers to the ones before it):

``01-manufacturers.csv``, ``02-device-roles.csv``, ``03-device-types/<Manufacturer>/<slug>.yaml`` (devicetype-library
YAML, NetBox's Device Types -> Import), ``04-sites.csv``, ``05-locations.csv`` (one per row of racks),
``06-rack-types.csv`` (NetBox 4.1+), ``07-racks.csv``, ``08-power-panels.csv`` (one per upstream source),
``09-power-feeds.csv``, ``10-devices.csv`` (rack, position = lowest rack unit, face), ``11-cables.csv`` (interface to
interface, with the cable's length and NetBox cable type) and ``README.txt`` (the order and what was mapped how).

Device types carry what a NetBox device type can: u_height (the part's height in rack units, rounded up to 0.5 U),
weight in kg, airflow, power ports with maximum_draw / allocated_draw (the part's max and typical power spread
evenly over its supplies, rounded up / to the nearest watt: NetBox sums a device's ports), power outlets (PDUs),
interfaces of the NetBox type of each port (:func:`~rackforge.features.netbox.iftypes.netbox_type`; ``other``
where NetBox has none, e.g. NVLink backplane ports). Each interface's description carries a ``rackforge:`` tag with
the port's role, form factor, speed, lanes and face, so ``rackforge catalog import-netbox`` reads them back exactly.

Everything is built in memory first; :func:`write_folder` writes it to a temporary folder beside the target and
renames it into place, so a failed run leaves no half-written folder.
"""
from __future__ import annotations

import csv
import io
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rackforge.errors import InputError
from rackforge.features.netbox.iftypes import netbox_type

RU_M = 0.04445
MARKER = "README.txt"
MARK_TEXT = "written by 'rackforge export netbox'"
ROLE_OF_KIND = {  # kind -> (role name, slug, colour)
    "compute_tray": ("Compute", "compute", "4caf50"), "switch_tray": ("Scale-up switch", "scale-up-switch", "3f51b5"),
    "switch": ("Switch", "switch", "2196f3"), "power_shelf": ("Power shelf", "power-shelf", "ff9800"),
    "pdu": ("PDU", "pdu", "ffc107"), "cdu": ("CDU", "cdu", "00bcd4"), "manifold": ("Manifold", "manifold", "009688"),
    "fan": ("Fan", "fan", "9e9e9e"), "rdhx": ("Rear-door heat exchanger", "rdhx", "607d8b"),
    "blanking_panel": ("Blanking panel", "blanking-panel", "cccccc"),
}
CABLE_TYPE = {"dac": "dac-passive", "acc": "dac-active", "aec": "dac-active", "aoc": "aoc", "fiber_sm": "smf",
              "fiber_mm": "mmf", "copper_utp": "cat6", "backplane": ""}
AIRFLOW = {"front_to_back": "front-to-rear", "back_to_front": "rear-to-front", "none": "passive"}
WIDTH = {"eia19": 19, "ocp21": 21, "orw": 21}
FILES = ("01-manufacturers.csv", "02-device-roles.csv", "04-sites.csv", "05-locations.csv", "06-rack-types.csv",
         "07-racks.csv", "08-power-panels.csv", "09-power-feeds.csv", "10-devices.csv", "11-cables.csv")
RECORDS = ("manufacturers", "device_roles", "sites", "locations", "rack_types", "racks", "power_panels",
           "power_feeds", "devices", "cables")


class ExportError(InputError):
    """The design cannot be exported (schema errors, patterns that do not expand) or the folder not written."""


@dataclass
class Export:
    device_types: list[dict] = field(default_factory=list)      # devicetype-library dicts
    records: dict[str, list[dict]] = field(default_factory=lambda: {k: [] for k in RECORDS})
    notes: list[str] = field(default_factory=list)

    def files(self) -> dict[str, str]:
        """Relative path -> text of every file of the export."""
        import yaml

        out: dict[str, str] = {}
        for name, key in zip(FILES, RECORDS):
            out[name] = _csv(self.records[key])
        for dt in self.device_types:
            out[f"03-device-types/{_safe(dt['manufacturer'])}/{dt['slug']}.yaml"] = "---\n" + yaml.safe_dump(
                dt, sort_keys=False, allow_unicode=True, width=120)
        out[MARKER] = _readme(self)
        return out


def slugify(s: str) -> str:
    t = re.sub(r"[^a-z0-9_]+", "-", s.lower()).strip("-")
    return t[:100] or "x"


def _safe(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", s).strip("._") or "x"


def _csv(rows: list[dict]) -> str:
    if not rows:
        return ""
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r[k]) for k in cols})
    return buf.getvalue()


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 3)


def u_height(part) -> float:
    """Height in rack units (44.45 mm), rounded up to NetBox's 0.5 U step."""
    h = float(getattr(part, "height", 0) or 0)
    if h <= 0:
        return 0
    return _num(math.ceil(h / RU_M * 2 - 1e-6) / 2)


def manufacturer_of(part) -> str:
    return (getattr(part, "manufacturer", None) or "Generic").strip()[:100]


def _power_port_type(inp, per_port_w: float | None) -> str:
    if inp is None:
        return "other"
    if inp.type == "dc":
        return "dc-terminal"
    if inp.phases == 3:
        return "iec-60309-3p-n-e-6h"
    # C14 inlets are rated 10 A, C20 16 A (IEC 60320-1): above ~2.2 kW at 230 V a supply needs C20
    return "iec-60320-c20" if per_port_w is None or per_port_w > 2200 else "iec-60320-c14"


def device_type(part, catalog=None) -> dict:
    """A catalog part as a NetBox device type in the devicetype-library format (``catalog`` gives the rating of
    the part's own PSUs, which picks their inlet)."""
    man = manufacturer_of(part)
    kind = part.kind
    dt: dict[str, Any] = {"manufacturer": man, "model": part.pn[:100], "slug": slugify(f"{man}-{part.pn}"),
                          "part_number": part.pn[:50]}
    uh = u_height(part)
    dt["u_height"] = uh
    depth = getattr(part, "depth", None)
    dt["is_full_depth"] = bool(uh) and (depth is None or float(depth) >= 0.5)
    air = getattr(part, "air", None)
    if air is not None:
        dt["airflow"] = AIRFLOW[air.direction]
    if getattr(part, "mass", None) is not None:
        dt["weight"] = _num(float(part.mass))
        dt["weight_unit"] = "kg"
    dt["description"] = (part.name or part.pn)[:200]
    dt["comments"] = f"rackforge part {part.pn} (kind {kind}). Source: {part.source}"
    inp = getattr(part, "input", None)
    pw = getattr(part, "power", None)
    if pw is not None and hasattr(pw, "max"):
        n = part.psus.count if getattr(part, "psus", None) is not None else 1
        mx, typ = float(pw.max), float(pw.typical)
        psu = catalog.get(part.psus.part) if catalog is not None and getattr(part, "psus", None) else None
        rating = float(psu.rating) if psu is not None and hasattr(psu, "rating") else mx / n
        per_max = max(1, math.ceil(mx / n - 1e-9))
        per_typ = min(per_max, max(1, round(typ / n)))
        ports = []
        for i in range(n):
            pp = {"name": f"PSU{i + 1}" if n > 1 else "PWR", "type": _power_port_type(inp, rating)}
            if mx > 0:
                pp["maximum_draw"] = per_max
                pp["allocated_draw"] = per_typ
            ports.append(pp)
        dt["power-ports"] = ports
    elif kind == "pdu":
        v = (float(inp.voltage_min) + float(inp.voltage_max)) / 2
        cur = float(part.input_current)
        draw = math.sqrt(3) * v * cur if inp.phases == 3 else v * cur
        dt["power-ports"] = [{"name": "Input", "type": _power_port_type(inp, None), "maximum_draw": round(draw)}]
        otype = "iec-60320-c19" if part.outlet_current is None or float(part.outlet_current) > 10 else "iec-60320-c13"
        legs = "ABC" if inp.phases == 3 else "A"
        dt["power-outlets"] = [{"name": f"Outlet{i + 1}", "type": otype, "power_port": "Input",
                                "feed_leg": legs[i * len(legs) // part.outlets]} for i in range(part.outlets)]
    elif kind in ("power_shelf", "cdu"):
        dt["power-ports"] = [{"name": "Input", "type": _power_port_type(inp, None)}]
    ifaces = []
    for g in getattr(part, "ports", None) or []:
        t = netbox_type(g.form_factor, float(g.speed), g.lanes)
        tag = (f"rackforge: role={g.role} ff={g.form_factor} speed_bps={float(g.speed):.0f} lanes={g.lanes} "
               f"face={g.face}")
        for i in range(g.count):
            it = {"name": f"{g.name}{i}", "type": t}
            if g.role == "management":
                it["mgmt_only"] = True
            it["description"] = tag
            ifaces.append(it)
    if ifaces:
        dt["interfaces"] = ifaces
    return dt


def export_design(ld) -> Export:
    """The NetBox objects of a loaded design (:class:`~rackforge.engine.LoadedDesign`)."""
    from rackforge.engine import Context, Options

    if ld.design is None or ld.resolved is None:
        msgs = "; ".join(f"{p.message} (at {p.pointer or '/'})" for p in ld.problems[:3])
        raise ExportError(f"the design does not match the schema, so it cannot be exported: {msgs}",
                          file=ld.doc.path, hint="run 'rackforge validate' for details")
    design, r, cat = ld.design, ld.resolved, ld.catalog
    missing = sorted({mi.m.part for _, mi in r.iter_mounts() if mi.part is None})
    if missing:
        raise ExportError(f"unknown part(s) {', '.join(missing)}: a device needs its device type",
                          file=ld.doc.path, hint="run 'rackforge validate' for details")
    net = Context(ld, Options()).network.m
    if net.problems:
        h = net.problems[0]
        line, col = ld.doc.locate(h.pointer)
        raise ExportError(f"a link or pattern does not fit, so the cables cannot be listed: {h.message}",
                          file=ld.doc.path, pointer=h.pointer, line=line, col=col,
                          hint="run 'rackforge validate' for details")
    ex = Export()
    R = ex.records
    site = design.name[:100]
    site_slug = slugify(site)
    R["sites"].append({"name": site, "slug": site_slug, "status": "planned",
                       "description": (design.description or "")[:200].strip() or None})
    # device types and their manufacturers and roles, in first-use order
    parts: dict[str, Any] = {}
    frames: dict[str, Any] = {}
    for d in r.defs:
        if d.frame is not None:
            frames.setdefault(d.frame.pn, d.frame)
        for mi in d.mounts:
            parts.setdefault(mi.part.pn, mi.part)
    mans: dict[str, None] = {}
    for p in list(frames.values()) + list(parts.values()):
        mans.setdefault(manufacturer_of(p))
    R["manufacturers"] = [{"name": m, "slug": slugify(m)} for m in mans]
    roles: dict[str, tuple] = {}
    for p in parts.values():
        roles.setdefault(p.kind, ROLE_OF_KIND.get(p.kind, (p.kind.replace("_", " ").capitalize(),
                                                          slugify(p.kind), "9e9e9e")))
    R["device_roles"] = [{"name": n, "slug": s, "color": c} for n, s, c in roles.values()]
    dtypes = {pn: device_type(p, cat) for pn, p in parts.items()}
    ex.device_types = list(dtypes.values())
    for f in frames.values():
        R["rack_types"].append({
            "manufacturer": manufacturer_of(f), "model": f.pn[:100], "slug": slugify(f"{manufacturer_of(f)}-{f.pn}"),
            "form_factor": "4-post-cabinet", "width": WIDTH.get(f.standard, 19), "u_height": _rack_units(f),
            "outer_width": round(float(f.width) * 1000), "outer_depth": round(float(f.depth) * 1000),
            "outer_unit": "mm", "max_weight": round(float(f.max_payload)), "weight_unit": "kg",
            "description": f.name[:200]})
        if float(f.slot) > RU_M * 1.001:
            ex.notes.append(f"frame {f.pn} counts {float(f.slot) * 1000:g} mm slots; NetBox counts 44.45 mm units, "
                            "so its racks and positions are given in rack units (rounded down to 0.5 U)")
    # locations (rows), racks, power
    rows = sorted({inst.row for inst in r.racks})
    for row in rows:
        R["locations"].append({"site": site, "name": f"Row {row}", "slug": slugify(f"row-{row}"), "status": "planned"})
    panels: dict[str, None] = {}
    dev_name: dict[tuple[str, str], str] = {}
    for inst in r.racks:
        d = inst.rdef
        f = d.frame
        R["racks"].append({"site": site, "location": f"Row {inst.row}", "name": inst.id, "status": "planned",
                           "rack_type": f.pn if f is not None else None,
                           "u_height": _rack_units(f) if f is not None else 42,
                           "width": WIDTH.get(f.standard, 19) if f is not None else 19,
                           "form_factor": "4-post-cabinet", "facility_id": f"{inst.row}-{inst.index}"})
        feeds = list(d.body.power.feeds)
        for k, fd in enumerate(feeds):
            panel = fd.source or f"panel-{inst.id}-{fd.id}"
            panels.setdefault(panel)
            R["power_feeds"].append({
                "site": site, "power_panel": panel, "name": f"{inst.id}-{fd.id}", "rack": inst.id,
                "status": "planned", "type": "primary" if k == 0 else "redundant",
                "supply": "dc" if fd.type == "dc" else "ac",
                "phase": "three-phase" if fd.type == "ac3" else "single-phase",
                "voltage": round(float(fd.voltage)), "amperage": round(float(fd.breaker)),
                "max_utilization": round(float(fd.derating) * 100)})
        pitch = float(f.slot) if f is not None else RU_M
        for mi in d.mounts:
            name = f"{inst.id}-{mi.id}"
            dev_name[(inst.id, mi.id)] = name
            row = {"name": name, "role": roles[mi.part.kind][0], "manufacturer": manufacturer_of(mi.part),
                   "device_type": mi.part.pn[:100], "status": "planned", "site": site,
                   "location": f"Row {inst.row}", "rack": inst.id, "position": None, "face": None}
            if mi.m.u is not None and u_height(mi.part):
                row["position"] = _num(1 + math.floor((mi.m.u - 1) * pitch / RU_M * 2 + 1e-6) / 2)
                row["face"] = mi.m.face
            R["devices"].append(row)
    for fd in design.feeds:
        panel = fd.source or f"panel-{fd.id}"
        panels.setdefault(panel)
        R["power_feeds"].append({
            "site": site, "power_panel": panel, "name": fd.id, "rack": None, "status": "planned", "type": "primary",
            "supply": "dc" if fd.type == "dc" else "ac", "phase": "three-phase" if fd.type == "ac3" else "single-phase",
            "voltage": round(float(fd.voltage)), "amperage": round(float(fd.breaker)),
            "max_utilization": round(float(fd.derating) * 100)})
    R["power_panels"] = [{"site": site, "name": p} for p in panels]
    # cables
    L = net.links
    names_a = net.port_names(L.port_a) if len(L.port_a) else []
    names_b = net.port_names(L.port_b) if len(L.port_b) else []
    for i, (a, b) in enumerate(zip(names_a, names_b)):
        if int(L.port_a[i]) < 0 or int(L.port_b[i]) < 0:
            continue
        src = net.sources[int(net.link_src[i])]
        cab = cat.get(src.cable)
        ctype = CABLE_TYPE.get(getattr(cab, "media", ""), "")
        if ctype == "cat6" and cab is not None:
            m = re.search(r"cat\s*-?\s*(5e|6a|6|7a|7|8)", f"{cab.pn} {cab.name}", re.I)
            ctype = f"cat{m.group(1).lower()}" if m else "cat6"
        length = float(L.length_m[i])
        (ra, ma, pa), (rb, mb, pb) = _split(a), _split(b)
        R["cables"].append({
            "side_a_site": site, "side_a_device": dev_name[(ra, ma)], "side_a_type": "dcim.interface",
            "side_a_name": pa, "side_b_site": site, "side_b_device": dev_name[(rb, mb)],
            "side_b_type": "dcim.interface", "side_b_name": pb, "type": ctype or None, "status": "planned",
            "label": src.cable, "length": round(length, 2) if math.isfinite(length) else None,
            "length_unit": "m" if math.isfinite(length) else None})
    return ex


def _rack_units(frame) -> int:
    return int(math.floor(frame.slots * float(frame.slot) / RU_M + 1e-6))


def _split(name: str) -> tuple[str, str, str]:
    rack, _, rest = name.rpartition("/")
    mount, _, port = rest.partition(":")
    return rack, mount, port


def _readme(ex: Export) -> str:
    n = {k: len(v) for k, v in ex.records.items()}
    lines = [f"NetBox bulk-import files {MARK_TEXT}.", "",
             "Import them in this order (Import in each object list of the NetBox UI, or the REST API):",
             f"  01-manufacturers.csv    {n['manufacturers']} manufacturers",
             f"  02-device-roles.csv     {n['device_roles']} device roles",
             f"  03-device-types/        {len(ex.device_types)} device types (Device Types -> Import, YAML)",
             f"  04-sites.csv            {n['sites']} site",
             f"  05-locations.csv        {n['locations']} locations (rows)",
             f"  06-rack-types.csv       {n['rack_types']} rack types (NetBox 4.1 or later)",
             f"  07-racks.csv            {n['racks']} racks",
             f"  08-power-panels.csv     {n['power_panels']} power panels",
             f"  09-power-feeds.csv      {n['power_feeds']} power feeds",
             f"  10-devices.csv          {n['devices']} devices",
             f"  11-cables.csv           {n['cables']} cables", "",
             "Interface descriptions carry a 'rackforge:' tag (role, form factor, speed, lanes, face) that",
             "'rackforge catalog import-netbox' reads back. Ports NetBox has no interface type for (NVLink",
             "backplane ports) are typed 'other'; backplane cables have no NetBox cable type."]
    lines += [f"Note: {x}" for x in ex.notes]
    return "\n".join(lines) + "\n"


def write_folder(files: dict[str, str], out: str | Path) -> None:
    """Write ``files`` into folder ``out`` all at once: a temporary folder beside it, renamed into place. An
    existing ``out`` is replaced only when it is empty or an earlier export (it holds this module's README)."""
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise ExportError("exists and is not a folder", file=str(out))
        marker = out / MARKER
        empty = not any(out.iterdir())
        if not empty and not (marker.is_file() and MARK_TEXT in marker.read_text(encoding="utf-8", errors="replace")):
            raise ExportError("folder exists and is not an earlier 'rackforge export netbox' folder; not replacing it",
                              file=str(out), hint="choose a new or empty folder")
    parent = out.parent if str(out.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    from rackforge.io.fileio import atomic_write

    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    try:
        for rel, text in files.items():
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(p, text)
        os.chmod(tmp, 0o777 & ~_umask())
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=parent))
            os.rmdir(old)
            os.replace(out, old)
            try:
                os.replace(tmp, out)
            except BaseException:
                os.replace(old, out)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m
