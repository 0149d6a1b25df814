"""NetBox device types in: devicetype-library YAML files to rackforge catalog parts.

A device-type file (the community devicetype-library format, which NetBox's device-type import reads) gives
manufacturer, model, part_number, u_height, is_full_depth, weight + weight_unit, airflow, power-ports with
maximum_draw / allocated_draw [W], interfaces with NetBox interface types, front/rear ports, module-bays,
power-outlets. A rackforge part needs more: its kind, an input type and voltage range, idle/typical/max power.
What the file does not say is assumed and marked: in the part's ``sources`` (the per-field citations, as
``estimate: ...`` or ``assumed: ...``) and summed up in ``notes``. Nothing is filled in silently.

The mapping:

* kind: ``--kind`` when given; else the kind ``rackforge export netbox`` wrote into the comments; else ``pdu``
  when the type has power outlets, ``switch`` when it has 16 or more
  data ports or says "switch" in its model or comments, ``compute_tray`` when it has data ports (a guess, noted).
* power (IT parts): max = the sum of the power ports' ``maximum_draw`` (NetBox sums the ports of a device the same
  way; with redundant supplies it is an upper bound); typical = the sum of ``allocated_draw`` (assumed: NetBox's
  allocated draw is the planned draw), else max; idle = 30 % of max (estimate). No draw at all: 0 W placeholders,
  marked, and a warning.
* input: from the power-port connector: IEC 60320 C14/C16/C20/C22 and NEMA 6 single-phase AC 200-240 V, NEMA 5
  100-127 V, IEC 60309 3P / NEMA L15/L21/L22 three-phase, dc-terminal DC 40-60 V; the voltage range is an
  assumption the connector only bounds (marked).
* ports: consecutive interfaces of one type become one port group (``swp1..swp64`` -> ``swp0..swp63``), figures
  from :mod:`rackforge.features.netbox.iftypes`; mgmt_only -> management; otherwise scale_out (assumed). An
  interface whose description carries a ``rackforge:`` tag (written by ``rackforge export netbox``) keeps the
  role, form factor, speed, lanes and face given there.
* mass from weight and weight_unit (kg, g, lb, oz); airflow front-to-rear -> front_to_back, rear-to-front ->
  back_to_front; the file gives no flow, so the fans' flow is estimated as the flow that carries max power at a
  20 K rise from 25 degC (marked estimate); is_full_depth, console ports, front/rear ports and module bays are
  recorded in ``notes`` only.

Bad input raises :class:`~rackforge.errors.InputError` (file, JSON Pointer, line:col); :func:`import_files` collects
them all.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rackforge.errors import InputError
from rackforge.features.netbox import iftypes

IMPORT_KINDS = ("compute_tray", "switch", "switch_tray", "pdu")
WEIGHT_KG = {"kg": 1.0, "g": 1e-3, "lb": 0.45359237, "oz": 0.028349523125}
AIRFLOW = {"front-to-rear": "front_to_back", "rear-to-front": "back_to_front", "passive": "none"}
AIRFLOWS = ("front-to-rear", "rear-to-front", "left-to-right", "right-to-left", "side-to-rear", "rear-to-side",
            "bottom-to-top", "top-to-bottom", "passive", "mixed")
KNOWN_KEYS = {"manufacturer", "model", "slug", "part_number", "u_height", "is_full_depth", "airflow", "weight",
              "weight_unit", "front_image", "rear_image", "subdevice_role", "is_powered", "console-ports",
              "console-server-ports", "power-ports", "power-outlets", "interfaces", "front-ports", "rear-ports",
              "module-bays", "device-bays", "inventory-items", "description", "comments", "exclude_from_utilization",
              "default_platform"}
IDLE_FRACTION = 0.3
AIR_RISE_K = 20.0       # air temperature rise assumed for the estimated fan flow [K]
AIR_INLET_C = 25.0      # inlet temperature of that estimate [degC]
CFM_M3_S = 0.3048 ** 3 / 60.0   # one cubic foot per minute [m^3/s]
SWITCH_MIN_PORTS = 16
TAG = re.compile(r"rackforge:\s*(.*)$")


@dataclass
class Imported:
    part: dict
    warnings: list[str] = field(default_factory=list)


def _err(doc, msg: str, pointer: str, hint: str | None = None) -> InputError:
    line, col = doc.locate(pointer)
    return InputError(msg, file=doc.path, pointer=pointer, line=line, col=col, hint=hint)


def _fmt_rate(bps: float) -> str:
    for unit, f in (("Tbit/s", 1e12), ("Gbit/s", 1e9), ("Mbit/s", 1e6)):
        if bps >= f and abs(bps / f - round(bps / f, 3)) < 1e-9:
            return f"{round(bps / f, 3):g} {unit}"
    return f"{bps:g} bit/s"


def _fmt_w(w: float) -> str:
    return f"{w / 1000:g} kW" if w >= 1000 and w % 100 == 0 else f"{w:g} W"


def _id(s: str, fallback: str) -> str:
    t = re.sub(r"[^A-Za-z0-9_.\-]+", "-", s).strip("-.")
    return t if t and t[0].isalnum() else fallback


def _prefix(names: list[str]) -> str:
    """Common leading letters of interface names (``swp1``, ``swp2`` -> ``swp``; ``P0.0`` -> ``P``)."""
    heads = [re.match(r"[A-Za-z_\-]*", n).group().rstrip("-_") for n in names]
    head = heads[0]
    return head if all(h == head for h in heads) else ""


def _parse_tag(desc: str | None) -> dict[str, str] | None:
    if not desc:
        return None
    m = TAG.search(desc)
    if not m:
        return None
    out = {}
    for tok in m.group(1).split():
        k, _, v = tok.partition("=")
        if v:
            out[k] = v
    return out


def _input_for(ptype: str | None) -> tuple[dict, str]:
    """(PowerInput dict, why) from a NetBox power-port connector type."""
    t = (ptype or "").lower()
    if t.startswith("iec-60309-3p") or t.startswith(("nema-l15", "nema-l21", "nema-l22", "nema-15-", "cs8365",
                                                      "cs8465")):
        if t.startswith(("nema-l21", "nema-l15", "nema-15-")):
            v = ("200 V", "208 V")
        elif t.startswith("nema-l22"):
            v = ("415 V", "480 V")
        else:
            v = ("380 V", "415 V")
        return ({"type": "ac", "voltage_min": v[0], "voltage_max": v[1], "phases": 3},
                f"assumed: three-phase {v[0]}-{v[1]} from the {ptype} connector")
    if t == "dc-terminal":
        return ({"type": "dc", "voltage_min": "40 V", "voltage_max": "60 V"},
                "assumed: DC 40-60 V (48-54 V class) from the dc-terminal connector")
    if t.startswith(("nema-5-", "nema-l5-", "nema-1-", "nema-l1-")):
        return ({"type": "ac", "voltage_min": "100 V", "voltage_max": "127 V", "phases": 1},
                f"assumed: single-phase 100-127 V from the {ptype} connector")
    why = f"the {ptype} connector" if ptype else "no power-port type given"
    return ({"type": "ac", "voltage_min": "200 V", "voltage_max": "240 V", "phases": 1},
            f"assumed: single-phase 200-240 V ({why})")


def _outlet_current(otype: str | None) -> float | None:
    t = (otype or "").lower()
    if t in ("iec-60320-c13", "iec-60320-c15"):
        return 10.0
    if t in ("iec-60320-c19", "iec-60320-c21"):
        return 16.0
    return None


def _check_list(doc, data: dict, key: str, required: tuple[str, ...]) -> list[dict]:
    items = data.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise _err(doc, f"'{key}' must be a list", f"/{key}")
    for i, it in enumerate(items):
        if not isinstance(it, dict):
            raise _err(doc, f"'{key}' entries are mappings (name, type, ...)", f"/{key}/{i}")
        for r in required:
            if it.get(r) in (None, ""):
                raise _err(doc, f"{key} entry has no '{r}'", f"/{key}/{i}")
    return items


def _number(doc, data: dict, key: str, ptr: str, *, minimum: float = 0.0, integer: bool = False) -> float | None:
    v = data.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
        raise _err(doc, f"'{key}' must be {'an integer' if integer else 'a number'} (got {v!r})", ptr)
    if v < minimum or not math.isfinite(v):
        raise _err(doc, f"'{key}' must be at least {minimum:g} (got {v!r})", ptr)
    return float(v)


def convert(doc, kind: str | None = None) -> Imported:
    """One device-type document (:class:`~rackforge.io.document.Document`) as a catalog part dict."""
    data = doc.data
    if not isinstance(data, dict):
        raise _err(doc, "a NetBox device type is a mapping (manufacturer, model, u_height, ...)", "")
    if doc.duplicates:
        ptr, key = doc.duplicates[0]
        raise _err(doc, f"key {key!r} appears twice in the same mapping; the last one would silently win",
                   ptr)
    warnings: list[str] = []
    for k in data:
        if k not in KNOWN_KEYS:
            warnings.append(f"{doc.path}: key {k!r} is not a device-type field; ignored")
    for key in ("manufacturer", "model"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise _err(doc, f"missing '{key}' (a device type needs manufacturer, model and u_height)",
                       f"/{key}" if key in data else "")
    if "u_height" not in data:
        raise _err(doc, "missing 'u_height' (height in rack units, e.g. 1 or 0 for a vertical PDU)", "")
    u = _number(doc, data, "u_height", "/u_height")
    if u is None or abs(u * 2 - round(u * 2)) > 1e-9:
        raise _err(doc, f"'u_height' must be a multiple of 0.5 (got {data['u_height']!r})", "/u_height")
    if "is_full_depth" in data and not isinstance(data["is_full_depth"], bool):
        raise _err(doc, "'is_full_depth' must be true or false", "/is_full_depth")
    manufacturer, model = data["manufacturer"].strip(), data["model"].strip()
    pn = str(data.get("part_number") or model).strip()
    sources: dict[str, str] = {}
    notes: list[str] = []
    origin = f"NetBox device type {Path(doc.path).name}" + (f" ({data['slug']})" if data.get("slug") else "")
    part: dict[str, Any] = {"pn": pn, "kind": None, "name": f"{manufacturer} {model}", "manufacturer": manufacturer}
    if data.get("description"):
        part["description"] = str(data["description"])
    url = re.search(r"https?://\S+", str(data.get("comments") or ""))
    part["source"] = origin + (f"; datasheet {url.group().rstrip(')>.,')}" if url else "")
    part["sources"] = sources
    # weight
    if ("weight" in data) != ("weight_unit" in data):
        raise _err(doc, "'weight' and 'weight_unit' go together", "/weight" if "weight" in data else "/weight_unit")
    if "weight" in data:
        w = _number(doc, data, "weight", "/weight")
        unit = data["weight_unit"]
        if unit not in WEIGHT_KG:
            raise _err(doc, f"unknown weight_unit {unit!r}: expected one of kg, g, lb, oz", "/weight_unit")
        part["mass"] = f"{round(w * WEIGHT_KG[unit], 3):g} kg"
    # airflow
    air = data.get("airflow")
    if air is not None and air not in AIRFLOWS:
        raise _err(doc, f"unknown airflow {air!r}: expected one of {', '.join(AIRFLOWS)}", "/airflow")
    if air is not None:
        notes.append(f"airflow {air}" + (f" ({AIRFLOW[air]})" if air in AIRFLOW else "") + "; flow not in the file")
    if "is_full_depth" in data:
        notes.append(f"is_full_depth {str(data['is_full_depth']).lower()} (depth not in the file)")

    # power ports
    pports = _check_list(doc, data, "power-ports", ("name",))
    max_w = alloc_w = 0.0
    n_max = n_alloc = 0
    for i, pp in enumerate(pports):
        mx = _number(doc, pp, "maximum_draw", f"/power-ports/{i}/maximum_draw", minimum=1, integer=True)
        al = _number(doc, pp, "allocated_draw", f"/power-ports/{i}/allocated_draw", minimum=1, integer=True)
        if mx is not None and al is not None and al > mx:
            raise _err(doc, f"allocated_draw {al:g} W is above maximum_draw {mx:g} W (NetBox refuses this too)",
                       f"/power-ports/{i}/allocated_draw")
        if mx is not None:
            max_w += mx
            n_max += 1
        if al is not None:
            alloc_w += al
            n_alloc += 1
    # interfaces
    ifaces = _check_list(doc, data, "interfaces", ("name", "type"))
    groups: list[dict] = []
    skipped: dict[str, int] = {}
    assumed_ff: set[str] = set()
    assumed_lanes: set[str] = set()
    for i, it in enumerate(ifaces):
        t = str(it["type"])
        tag = _parse_tag(it.get("description"))
        if tag and {"role", "ff", "speed_bps", "lanes"} <= tag.keys():
            try:
                spec = (tag["role"], tag["ff"], float(tag["speed_bps"]), int(tag["lanes"]), tag.get("face", "front"))
            except ValueError:
                raise _err(doc, f"malformed rackforge tag in the description of {it['name']!r}",
                           f"/interfaces/{i}/description") from None
            tagged = True
        else:
            if iftypes.is_skipped(t):
                skipped[t] = skipped.get(t, 0) + 1
                continue
            ft = iftypes.lookup(t)
            if ft is None:
                if t == "other":
                    skipped[t] = skipped.get(t, 0) + 1
                    continue
                raise _err(doc, f"unknown NetBox interface type {t!r} on {it['name']!r}", f"/interfaces/{i}/type",
                           hint="use a type of NetBox's InterfaceTypeChoices, e.g. 400gbase-x-osfp, 1000base-t, "
                           "infiniband-ndr-4x")
            if "form_factor" in ft.assumed:
                assumed_ff.add(t)
            if "lanes" in ft.assumed:
                assumed_lanes.add(t)
            role = "management" if it.get("mgmt_only") else None
            spec = (role, ft.form_factor, ft.speed_bps, ft.lanes, "front")
            tagged = False
        key = (spec, tagged)
        if groups and groups[-1]["key"] == key:
            groups[-1]["names"].append(str(it["name"]))
        else:
            groups.append({"key": key, "names": [str(it["name"])], "type": t})
    data_ports = sum(len(g["names"]) for g in groups if g["key"][0][0] not in ("management",))
    outlets = _check_list(doc, data, "power-outlets", ("name",))

    # kind
    text = f"{model} {data.get('comments') or ''} {data.get('description') or ''}".lower()
    mark = re.search(r"rackforge part \S+ \(kind (\w+)\)", str(data.get("comments") or ""))
    if kind is not None:
        sources["kind"] = "given on the command line (--kind)"
    elif mark and mark.group(1) in IMPORT_KINDS:
        kind = mark.group(1)
        sources["kind"] = "from the comments written by 'rackforge export netbox'"
    elif outlets:
        kind = "pdu"
        sources["kind"] = f"guessed: {len(outlets)} power outlets"
    elif data_ports >= SWITCH_MIN_PORTS or re.search(r"\bswitch\b", text):
        kind = "switch"
        sources["kind"] = (f"guessed: {data_ports} data ports" if data_ports >= SWITCH_MIN_PORTS
                           else "guessed: 'switch' in the model or comments")
    elif groups:
        kind = "compute_tray"
        sources["kind"] = f"guessed: {data_ports} data ports, no power outlets"
    else:
        raise _err(doc, "cannot tell what part this is (no interfaces, no power outlets)", "",
                   hint=f"pass --kind {pn}=KIND with KIND one of {', '.join(IMPORT_KINDS)}")
    part["kind"] = kind
    part["height"] = f"{u:g} RU"
    ptype = pports[0].get("type") if pports else None
    inp, why = _input_for(ptype)
    if len({p.get("type") for p in pports}) > 1:
        why += f"; ports of several types ({', '.join(sorted(str(p.get('type')) for p in pports))})"
    part["input"] = inp
    sources["input"] = why

    if kind == "pdu":
        if not outlets:
            raise _err(doc, "a PDU needs power-outlets", "", hint="or import it with another --kind")
        part["outlets"] = len(outlets)
        oc = {_outlet_current(o.get("type")) for o in outlets}
        if len(oc) == 1 and None not in oc:
            part["outlet_current"] = f"{oc.pop():g} A"
            sources["outlet_current"] = f"IEC 60320 rating of the {outlets[0].get('type')} outlet"
        v = (float(inp["voltage_min"].split()[0]) + float(inp["voltage_max"].split()[0])) / 2
        if max_w > 0:
            amps = max_w / (math.sqrt(3) * v) if inp.get("phases") == 3 else max_w / v
            part["input_current"] = f"{math.ceil(amps):g} A"
            k = "sqrt(3) x " if inp.get("phases") == 3 else ""
            sources["input_current"] = f"derived: {max_w:g} W maximum_draw / ({k}{v:g} V)"
        else:
            part["input_current"] = "16 A"
            sources["input_current"] = "estimate: 16 A placeholder (no maximum_draw in the file)"
            warnings.append(f"{doc.path}: PDU {pn!r} has no maximum_draw; input_current is a 16 A placeholder")
    else:
        if n_max:
            p_max = max_w
            sources["power.max"] = f"sum of maximum_draw of {n_max} power port(s) ({origin}); an upper bound " \
                                   "when the supplies are redundant"
        elif n_alloc:
            p_max = alloc_w
            sources["power.max"] = "assumed: sum of allocated_draw (no maximum_draw in the file)"
        else:
            p_max = 0.0
            sources["power.max"] = "estimate: 0 W placeholder, no power draw in the file; replace it"
            warnings.append(f"{doc.path}: {pn!r} gives no power draw; power is a 0 W placeholder")
        if n_alloc:
            p_typ = min(alloc_w, p_max)
            sources["power.typical"] = "assumed: sum of allocated_draw (NetBox's planned draw)"
        else:
            p_typ = p_max
            sources["power.typical"] = "assumed: equal to max (no allocated_draw in the file)"
        p_idle = round(IDLE_FRACTION * p_max, 1)
        sources["power.idle"] = f"estimate: {IDLE_FRACTION:.0%} of max"
        part["power"] = {"idle": _fmt_w(min(p_idle, p_typ)), "typical": _fmt_w(p_typ), "max": _fmt_w(p_max)}
        if air in AIRFLOW and air != "passive" and p_max > 0:
            from rackforge.solvers.air import required_airflow

            cfm = math.ceil(float(required_airflow(p_max, AIR_RISE_K, AIR_INLET_C)) / CFM_M3_S)
            part["air"] = {"direction": AIRFLOW[air], "max": f"{cfm} CFM"}
            sources["air"] = (f"estimate: the flow that carries max power at a {AIR_RISE_K:g} K rise from "
                              f"{AIR_INLET_C:g} degC (P / (rho cp dT)); the file gives the direction only")
        ports = []
        used_names: set[str] = set()
        roles_assumed = False
        for g in groups:
            (role, ff, speed, lanes, face), tagged = g["key"]
            if role is None:
                role = "scale_out"
                roles_assumed = True
            name = _id(_prefix(g["names"]) or "port", "port")
            base, k = name, 2
            while name in used_names:
                name, k = f"{base}{k}", k + 1
            used_names.add(name)
            ports.append({"name": name, "role": role, "form_factor": ff, "speed": _fmt_rate(speed), "lanes": lanes,
                          "count": len(g["names"]), "face": face})
            if not tagged and g["names"][0] != f"{name}0":
                n = len(g["names"])
                notes.append(f"NetBox {g['names'][0]} -> port {name}0" if n == 1 else
                             f"NetBox {g['names'][0]}..{g['names'][-1]} -> ports {name}0..{name}{n - 1}")
        if ports:
            part["ports"] = ports
            why = []
            if roles_assumed:
                why.append("role scale_out assumed for every port not marked mgmt_only")
            if assumed_ff:
                why.append(f"form factor assumed for {', '.join(sorted(assumed_ff))}")
            if assumed_lanes:
                why.append(f"lanes assumed for {', '.join(sorted(assumed_lanes))}")
            sources["ports"] = "NetBox interface types (rackforge.features.netbox.iftypes)" + (
                "; " + "; ".join(why) if why else "")
    if skipped:
        notes.append("interfaces not modelled: " + ", ".join(f"{n}x {t}" for t, n in sorted(skipped.items())))
    for key in ("console-ports", "front-ports", "rear-ports", "module-bays", "device-bays"):
        items = _check_list(doc, data, key, ("name",))
        if items:
            notes.append(f"{len(items)} {key} not modelled ({', '.join(str(x['name']) for x in items[:4])}"
                         f"{', ...' if len(items) > 4 else ''})")
    if kind != "pdu" and outlets:
        notes.append(f"{len(outlets)} power-outlets not modelled")
    assumed = sorted(k for k, v in sources.items() if v.startswith(("assumed", "estimate", "guessed")))
    notes.insert(0, f"imported from {origin}" + (f"; assumed or estimated: {', '.join(assumed)}" if assumed else ""))
    part["notes"] = "; ".join(notes)
    return Imported(part, warnings)


def parse_kinds(specs: list[str]) -> dict[str, str]:
    """``--kind PN=KIND`` options (PN is the part number, model or slug the part comes from)."""
    out = {}
    for s in specs:
        key, sep, kind = s.rpartition("=")
        if not sep or not key or kind not in IMPORT_KINDS:
            raise ValueError(f"--kind {s!r}: expected PN=KIND with KIND one of {', '.join(IMPORT_KINDS)}")
        out[key] = kind
    return out


def import_files(paths: list[str], kinds: dict[str, str] | None = None, catalog: str = "netbox-import"
                 ) -> tuple[dict, list[str], list[InputError]]:
    """(catalog document, warnings, errors) for device-type files; every file is read even after an error."""
    from rackforge.io.document import load_document

    kinds = kinds or {}
    parts: list[dict] = []
    warnings: list[str] = []
    errors: list[InputError] = []
    seen: dict[str, str] = {}
    for p in paths:
        try:
            doc = load_document(p)
            data = doc.data if isinstance(doc.data, dict) else {}
            keys = {str(data.get(k)) for k in ("part_number", "model", "slug") if data.get(k)}
            kind = next((kinds[k] for k in keys if k in kinds), None)
            got = convert(doc, kind)
        except InputError as exc:
            errors.append(exc)
            continue
        pn = got.part["pn"]
        if pn in seen:
            errors.append(_err(doc, f"part number {pn!r} is also imported from {seen[pn]}",
                               "/part_number" if "part_number" in doc.data else "/model"))
            continue
        seen[pn] = doc.path
        parts.append(got.part)
        warnings += got.warnings
    return {"catalog": catalog, "parts": parts}, warnings, errors


def check_catalog(cat: dict) -> list[str]:
    """Problems of the written catalog against rackforge's part schema (empty when it loads)."""
    from pydantic import TypeAdapter, ValidationError

    from rackforge.model.schema.catalog import CatalogFile, Part

    out = []
    CatalogFile.model_validate({**cat, "parts": []})
    adapter = TypeAdapter(Part)
    for i, p in enumerate(cat["parts"]):
        try:
            adapter.validate_python(p)
        except ValidationError as exc:
            for e in exc.errors():
                out.append(f"/parts/{i}/{'/'.join(map(str, e['loc']))}: {e['msg']}")
    return out


def dump(cat: dict) -> str:
    import yaml

    head = ("# Catalog parts imported from NetBox device types by 'rackforge catalog import-netbox'.\n"
            "# Figures the files did not give are marked in each part's sources ('assumed', 'estimate',\n"
            "# 'guessed') and notes: check them before trusting the checks that use them.\n")
    return head + yaml.safe_dump(cat, sort_keys=False, allow_unicode=True, width=120)
