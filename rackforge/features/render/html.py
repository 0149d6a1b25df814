"""The design report: one self-contained HTML file (inline CSS, SVG and a few lines of JS; no network access).

Sections: summary, findings grouped by area with their locations, rack elevations (one per rack *definition*,
so a hall of a thousand identical racks stays small, plus a compact table of the instances), the power tree,
cooling tables with a chart of per-branch flow and case-temperature margin, the network summary, the worst
fault scenarios and the bill of materials. A section whose analysis does not exist says "not available" and why.

Like the other reporters it formats and computes nothing: figures come from ``analyze_summary`` and from the
adapters in :mod:`rackforge.features.render.data`.
"""
from __future__ import annotations

import sys
from collections import Counter, defaultdict
from html import escape
from typing import Any, Iterable, Sequence

from rackforge.model.findings import Finding, Severity
from rackforge.features.render import data as adapters
from rackforge.features.render.svg import Column, MARGIN_FULL_K, MARGIN_STOPS, definition_title, elevation_svg, ramp

MAX_TABLE_ROWS = 200        # generic tables: rows shown before "... and N more"
MAX_LISTED_INSTANCES = 60   # above this the instance table groups racks by row and definition
MAX_CHART_BRANCHES = 80

CSS = """
:root{--fg:#1d1d1f;--mute:#5f6368;--line:#d9d9de;--bg:#ffffff;--soft:#f5f6f8;--err:#c9302c;--warn:#b8860b;
--info:#31708f;--ok:#2e7d32}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:var(--fg);
background:var(--bg)}
header{padding:18px 28px;background:#20252b;color:#fff}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:2px 0;color:#cfd3d8}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:6px 28px;z-index:2}
nav a{margin-right:14px;color:#245;text-decoration:none;font-size:13px}
main{padding:8px 28px 40px;max-width:1500px}
section{margin:22px 0 30px}
h2{font-size:19px;border-bottom:2px solid var(--fg);padding-bottom:3px}
h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px;display:block;max-width:100%;overflow-x:auto}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:10px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:150px;background:var(--soft)}
.card b{display:block;font-size:20px}
.card span{color:var(--mute);font-size:12px}
.na{color:var(--mute);font-style:italic;border-left:4px solid var(--line);padding:4px 10px;background:var(--soft)}
.sev-error{color:var(--err);font-weight:700}.sev-warning{color:var(--warn);font-weight:700}
.sev-info{color:var(--info);font-weight:700}
.ok{color:var(--ok);font-weight:600}
.figs{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.figs figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:6px;background:#fff}
.figs figcaption{font-size:12px;color:var(--mute);margin-top:4px}
.wide{overflow-x:auto;max-width:100%;border:1px solid var(--line);border-radius:6px;background:#fff;margin:6px 0}
.wide svg{display:block}
.tree,.tree ul{list-style:none;margin:0;padding-left:18px}
.tree li{position:relative;padding:1px 0 1px 12px;border-left:1px solid #aab}
.tree li:last-child{border-left:1px solid transparent}
.tree li::before{content:"";position:absolute;left:-1px;top:0;width:10px;height:12px;border-left:1px solid #aab;
border-bottom:1px solid #aab}
.tree .node{font-weight:600}.tree .fig{color:var(--mute);font-size:12px}
.filters label{margin-right:12px;font-size:13px}
code{font-size:12px;background:var(--soft);padding:0 3px;border-radius:3px}
details>summary{cursor:pointer;color:#245}
footer{color:var(--mute);font-size:12px;padding:0 28px 20px}
"""

JS = """
(function(){
  var boxes=document.querySelectorAll('.filters input[data-sev]');
  function apply(){
    var on={};boxes.forEach(function(b){on[b.getAttribute('data-sev')]=b.checked;});
    document.querySelectorAll('tr[data-sev]').forEach(function(r){
      r.style.display=on[r.getAttribute('data-sev')]?'':'none';});
  }
  boxes.forEach(function(b){b.addEventListener('change',apply);});
  apply();
})();
"""

SECTIONS = (("summary", "Summary"), ("findings", "Findings"), ("elevations", "Elevations"), ("power", "Power"),
            ("cooling", "Cooling"), ("network", "Network"), ("faults", "Fault scenarios"), ("bom", "Bill of materials"))
AREA_TITLES = {"input": "Input, schema and references", "physical": "Physical", "power": "Power",
               "cooling": "Cooling", "network": "Cabling and network", "supply-chain": "Supply chain and BOM",
               "meta": "Waivers and tool", "other": "Other"}


# ---------------------------------------------------------------------------------------------- formatting
UNITS = (  # key suffix -> (label, scale, format) ; the first match wins
    ("_m3_s", "L/min", 60000.0, "{:,.1f}"),
    ("_l_min", "L/min", 1.0, "{:,.1f}"),
    ("_w", "kW", 1e-3, "{:,.2f}"),
    ("_va", "kVA", 1e-3, "{:,.2f}"),
    ("_kg", "kg", 1.0, "{:,.1f}"),
    ("_pa", "kPa", 1e-3, "{:,.1f}"),
    ("_c", "\u00b0C", 1.0, "{:,.1f}"),
    ("_k", "K", 1.0, "{:,.1f}"),
    ("_bps", "Gb/s", 1e-9, "{:,.0f}"),
    ("_a", "A", 1.0, "{:,.1f}"),
    ("_v", "V", 1.0, "{:,.2f}"),
    ("_j", "kWh", 1 / 3.6e6, "{:,.2f}"),
    ("_s", "s", 1.0, "{:,.3g}"),
    ("_m", "m", 1.0, "{:,.2f}"),
    ("_usd", "USD", 1.0, "{:,.0f}"),
)


def split_key(key: str) -> tuple[str, str | None, float, str]:
    """A JSON key with a unit suffix as (label, unit, scale, format)."""
    for suffix, unit, scale, fmt in UNITS:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)].replace("_", " "), unit, scale, fmt
    return key.replace("_", " "), None, 1.0, "{:,.4g}"


def fmt_cell(key: str, v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        _, unit, scale, fmt = split_key(key)
        if unit is None and isinstance(v, int):
            return f"{v:,}"
        return fmt.format(v * scale)
    if v is None:
        return "\u2013"
    if isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v):
        return ", ".join(str(x) for x in v[:50]) + (f", \u2026 ({len(v)} in all)" if len(v) > 50 else "")
    return str(v)


def head_cell(key: str) -> str:
    label, unit, _, _ = split_key(key)
    return f"{label} [{unit}]" if unit else label


def kw(w: float) -> str:
    return f"{w / 1000:,.1f} kW"


def na(reason: str) -> str:
    return f"<p class=\"na\">Not available: {escape(reason)}.</p>"


def table(rows: Sequence[dict], keys: Sequence[str] | None = None, *, limit: int = MAX_TABLE_ROWS) -> str:
    """A table of mappings: one column per scalar key (units from the key suffixes)."""
    if not rows:
        return "<p class=\"na\">No rows.</p>"
    if keys is None:
        keys = list(dict.fromkeys(k for r in rows for k, v in r.items() if not isinstance(v, dict)
                                  and not (isinstance(v, list) and v and isinstance(v[0], (dict, list)))))
    out = ["<table><thead><tr>"]
    num = {k: any(isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool) for r in rows) for k in keys}
    out += [f"<th class=\"{'num' if num[k] else ''}\">{escape(head_cell(k))}</th>" for k in keys]
    out.append("</tr></thead><tbody>")
    for r in rows[:limit]:
        out.append("<tr>" + "".join(f"<td class=\"{'num' if num[k] else ''}\">{escape(fmt_cell(k, r.get(k)))}</td>"
                                    for k in keys) + "</tr>")
    out.append("</tbody></table>")
    if len(rows) > limit:
        out.append(f"<p class=\"na\">\u2026 and {len(rows) - limit:,} more rows (see <code>rackforge analyze "
                   f"--format json</code>).</p>")
    return "".join(out)


def json_html(data: Any, depth: int = 0) -> str:
    """Any analysis JSON as tables: scalars as a key/value table, lists of mappings as tables, nested
    mappings as collapsible sub-sections."""
    if isinstance(data, list):
        if data and all(isinstance(x, dict) for x in data):
            nested = [k for k in dict.fromkeys(k for r in data for k in r) if any(isinstance(r.get(k), dict)
                                                                                  for r in data)]
            return table(data) + ("".join(f"<p class=\"na\">{escape(k)}: nested per row, see the JSON.</p>"
                                          for k in nested[:1]) if nested else "")
        return f"<p>{escape(fmt_cell('', data))}</p>"
    if not isinstance(data, dict):
        return f"<p>{escape(fmt_cell('', data))}</p>"
    scalars = {k: v for k, v in data.items() if not isinstance(v, (dict, list))
               or (isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v))}
    out = []
    if scalars:
        out.append("<table><tbody>" + "".join(
            f"<tr><th>{escape(head_cell(k))}</th><td class=\"num\">{escape(fmt_cell(k, v))}</td></tr>"
            for k, v in scalars.items()) + "</tbody></table>")
    for k, v in data.items():
        if k in scalars:
            continue
        inner = json_html(v, depth + 1) if depth < 4 else "<p class=\"na\">(nested deeper; see the JSON)</p>"
        out.append(f"<details{' open' if depth < 1 else ''}><summary>{escape(k.replace('_', ' '))}</summary>"
                   f"{inner}</details>")
    return "".join(out)


# ------------------------------------------------------------------------------------------------ sections
def _summary(ctx, summary: dict, findings: Sequence[Finding]) -> str:
    t = summary.get("totals", {})
    sev = Counter(f.severity for f in findings)
    op = summary.get("operating_point", ctx.op)
    cards = [
        (f"{t.get('racks', 0):,}", "racks"),
        (f"{t.get('accelerator_packages', 0):,}", f"accelerator packages ({t.get('accelerator_dies', 0):,} dies)"),
        (kw(t.get(f"it_power_{op}_w", 0.0)), f"IT power at '{op}' (nameplate)"),
        *([(kw(t.get("it_power_max_w", 0.0)), "IT power at max (nameplate)")] if op != "max" else []),
        (f"{t.get('mass_kg', 0.0):,.0f} kg", "mass"),
        (f"{sev[Severity.ERROR]} / {sev[Severity.WARNING]} / {sev[Severity.INFO]}", "errors / warnings / info"),
    ]
    out = ["<div class=\"cards\">"]
    out += [f"<div class=\"card\"><b>{escape(v)}</b><span>{escape(label)}</span></div>" for v, label in cards]
    out.append("</div><h3>Rack definitions</h3><table><thead><tr><th>definition</th><th class=num>racks</th>"
               "<th>frame</th><th class=num>units used / total</th><th class=num>mass [kg]</th>"
               "<th class=num>IT idle / typical / max / peak [kW]</th><th class=num>accelerators</th>"
               "<th>parts by kind</th></tr></thead><tbody>")
    for r in summary.get("racks", []):
        powers = " / ".join(f"{r[f'it_power_{lvl}_w'] / 1000:,.1f}" for lvl in ("idle", "typical", "max", "peak"))
        kinds = ", ".join(f"{k} {v}" for k, v in r.get("parts_by_kind", {}).items())
        gen = f" ({r['generation']})" if r.get("generation") else ""
        out.append(f"<tr><td>{escape(r['definition'] + gen)}</td><td class=num>{r['instances']:,}</td>"
                   f"<td>{escape(str(r['frame']))}</td><td class=num>{r['rack_units_used']} / "
                   f"{r['rack_units_total']}</td><td class=num>{r['mass_kg']:,.0f}</td><td class=num>{powers}</td>"
                   f"<td class=num>{r['accelerator_packages']} ({r['accelerator_dies']} dies)</td>"
                   f"<td>{escape(kinds)}</td></tr>")
    out.append("</tbody></table>")
    out.append("<h3>Racks</h3>" + _instances(ctx))
    return "".join(out)


def _instances(ctx) -> str:
    racks = ctx.r.racks
    if len(racks) <= MAX_LISTED_INSTANCES:
        rows = "".join(f"<tr><td>{escape(r.id)}</td><td>{escape(r.rdef.key)}</td><td>{escape(r.row)}</td>"
                       f"<td class=num>{r.index}</td></tr>" for r in racks)
        return ("<table><thead><tr><th>rack</th><th>definition</th><th>row</th><th class=num>position</th></tr>"
                f"</thead><tbody>{rows}</tbody></table>")
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for r in racks:
        groups[r.row, r.rdef.key].append(r)
    out = ["<table><thead><tr><th>row</th><th>definition</th><th class=num>racks</th><th>positions</th>"
           "<th>rack ids</th></tr></thead><tbody>"]
    for (row, key), rs in groups.items():
        idx = sorted(r.index for r in rs)
        out.append(f"<tr><td>{escape(row)}</td><td>{escape(key)}</td><td class=num>{len(rs):,}</td>"
                   f"<td>{idx[0]}\u2013{idx[-1]}</td><td>{escape(rs[0].id)} \u2026 {escape(rs[-1].id)}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _findings(findings: Sequence[Finding]) -> str:
    if not findings:
        return "<p class=\"ok\">No findings: every rule that ran is satisfied.</p>"
    from rackforge.rules import AREAS

    by_area: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_area[AREAS.get(f.code[2:3], "other")].append(f)
    sev = Counter(f.severity for f in findings)
    out = ["<div class=\"filters\">show: "]
    for s in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        out.append(f"<label><input type=\"checkbox\" data-sev=\"{s}\" checked> <span class=\"sev-{s}\">{s}</span> "
                   f"({sev[s]})</label>")
    out.append("</div>")
    order = list(AREA_TITLES)
    for area in sorted(by_area, key=lambda a: order.index(a) if a in order else len(order)):
        fs = by_area[area]
        out.append(f"<h3>{escape(AREA_TITLES.get(area, area))} ({len(fs)})</h3><table><thead><tr><th>severity</th>"
                   "<th>code</th><th>message</th><th>location</th><th>hint</th></tr></thead><tbody>")
        for f in sorted(fs, key=lambda f: (-int(f.severity), f.sort_key())):
            out.append(f"<tr data-sev=\"{f.severity}\"><td class=\"sev-{f.severity}\">{f.severity}</td>"
                       f"<td>{escape(f.code)}<br><span class=\"fig\">{escape(f.name)}</span></td>"
                       f"<td>{escape(f.message)}</td><td>{escape(f.location())}"
                       + (f"<br><code>{escape(f.pointer)}</code>" if f.pointer else "")
                       + f"</td><td>{escape(f.hint or '')}</td></tr>")
        out.append("</tbody></table>")
    return "".join(out)


def _elevations(ctx, findings: Sequence[Finding]) -> str:
    from rackforge.features.render.svg import mount_severities

    out = []
    thermal_ok, thermal_note = adapters.thermal_available(ctx)
    for i, d in enumerate(ctx.r.defs):
        col = [Column(d, definition_title(d))]
        views = [("front", "power"), ("rear", "none")]
        if any(mount_severities(findings, d).values()):
            views.append(("front", "findings"))
        if thermal_ok:
            views.append(("front", "thermal"))
        out.append(f"<h3>{escape(definition_title(d))}</h3><div class=\"figs\" data-definition=\"{escape(d.key)}\">")
        for j, (face, overlay) in enumerate(views):
            svg = elevation_svg(ctx, col, face=face, overlay=overlay, findings=findings,
                                caption=f"{face} view, {_OVERLAY_NAMES[overlay]}",
                                element_id=f"elev-{i}-{j}")
            out.append(f"<figure>{svg}</figure>")
        out.append("</div>")
    if not thermal_ok:
        out.append(f"<p class=\"na\">Thermal overlay: {escape(thermal_note)}.</p>")
    return "".join(out)


_OVERLAY_NAMES = {"none": "part kinds", "power": "power draw", "thermal": "case-temperature margin",
                  "findings": "worst finding"}


def _power_tree(ctx) -> str:
    """Feeds -> shelves/PDUs -> busbar -> trays, per rack definition, with nameplate loads at the operating point
    and the power analysis' figures for each node where it gives them."""
    out = []
    rows = _power_rows(ctx)
    for d in ctx.r.defs:
        body = d.body
        feeds = list(body.power.feeds) + [f for f in ctx.design.feeds if f.id not in {x.id for x in body.power.feeds}]
        out.append(f"<h3>{escape(definition_title(d))}</h3><ul class=\"tree\">")
        for feed in feeds:
            out.append(f"<li><span class=\"node\">feed {escape(feed.id)}</span> <span class=\"fig\">{feed.type}, "
                       f"{float(feed.voltage):g} V, breaker {float(feed.breaker):g} A at {feed.derating:.0%} "
                       f"continuous{', source ' + escape(feed.source) if feed.source else ''}</span>"
                       f"{_solved(rows, feed.id)}<ul>")
            for mi in d.mounts:
                if mi.m.feed != feed.id:
                    continue
                out.append(f"<li><span class=\"node\">{escape(mi.id)}</span> {escape(mi.m.part)} "
                           f"<span class=\"fig\">{escape(_where(mi))}{escape(_modules(ctx, mi))}</span>"
                           f"{_solved(rows, mi.id)}")
                fed = [t for t in d.mounts if mi.id in t.m.feeds]
                if fed:
                    out.append("<ul>" + "".join(_load_li(ctx, d, t, rows) for t in fed) + "</ul>")
                out.append("</li>")
            out.append("</ul></li>")
        only = len(body.power.busbars) == 1
        for bb in body.power.busbars:
            part = ctx.catalog.get(bb.part)
            shelves = [mi.id for mi in d.mounts if mi.kind == "power_shelf"
                       and (mi.m.busbar == bb.id or (mi.m.busbar is None and only))]
            loads = [mi for mi in d.mounts if mi.kind not in (None, "power_shelf") and mi.lo is not None
                     and getattr(getattr(mi.part, "input", None), "type", None) == "dc"
                     and (mi.m.busbar == bb.id or (mi.m.busbar is None and only))]
            total = sum(adapters.mount_power_w(ctx, d, mi) or 0.0 for mi in loads)
            rating = (f"{float(part.rated_current):,.0f} A at {float(part.voltage_nominal):g} V"
                      if part is not None and hasattr(part, "rated_current") else "unknown part")
            out.append(f"<li><span class=\"node\">busbar {escape(bb.id)}</span> {escape(bb.part)} <span class=\"fig\">"
                       f"{rating}; fed by {escape(', '.join(shelves) or 'no shelf')}; {len(loads)} loads, "
                       f"{kw(total)} {adapters.power_source(ctx)} at '{ctx.op}'</span>{_solved(rows, bb.id)}<ul>"
                       + "".join(_load_li(ctx, d, t, rows) for t in loads) + "</ul></li>")
        out.append("</ul>")
    return "".join(out)


def _power_rows(ctx) -> dict[str, dict]:
    res = adapters.area_json(ctx, "power")
    if not res.available:
        return {}
    out: dict[str, dict] = {}
    stack = [res.data]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            for key in ("mount", "feed", "busbar", "shelf", "id"):
                if isinstance(x.get(key), str):
                    out.setdefault(x[key], x)
                    break
            stack.extend(v for v in x.values() if isinstance(v, (dict, list)))
        elif isinstance(x, list):
            stack.extend(v for v in x if isinstance(v, (dict, list)))
    return out


def _solved(rows: dict[str, dict], node: str) -> str:
    row = rows.get(node)
    if not row:
        return ""
    figs = [f"{head_cell(k)} {fmt_cell(k, v)}" for k, v in row.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)][:6]
    return f" <span class=\"fig\">\u2014 {escape('; '.join(figs))}</span>" if figs else ""


def _where(mi) -> str:
    if mi.lo is not None:
        return f"U{mi.lo}" + (f"-{mi.hi}" if mi.hi != mi.lo else "")
    return f"0U {mi.m.side or ''} {mi.m.face}".replace("  ", " ")


def _modules(ctx, mi) -> str:
    from rackforge.model.resolved import shelf_modules

    mods = []
    for pn, n, role in shelf_modules(mi, ctx.catalog):
        part = ctx.catalog.get(pn)
        each = ""
        if part is not None and role == "psu":
            each = f" ({float(part.rating) / 1000:g} kW each)"
        elif part is not None and role == "bbu":
            each = f" ({float(part.energy) / 3.6e6:g} kWh each)" if hasattr(part, "energy") else ""
        mods.append(f"{n} \u00d7 {pn}{each}")
    return ("; " + ", ".join(mods)) if mods else ""


def _load_li(ctx, d, mi, rows) -> str:
    p = adapters.mount_power_w(ctx, d, mi)
    load = f", {kw(p)} {adapters.power_source(ctx)}" if p is not None else ""
    return (f"<li><span class=\"node\">{escape(mi.id)}</span> {escape(mi.m.part)} <span class=\"fig\">"
            f"{escape(_where(mi))}{load}</span>{_solved(rows, mi.id)}</li>")


def _power(ctx) -> str:
    res = adapters.area_json(ctx, "power")
    out = ["<h3>Power tree</h3>"]
    if not res.available:
        out.append(f"<p class=\"na\">Power analysis not available: {escape(res.reason or '')}. The tree shows the "
                   f"design's wiring with nameplate loads at the '{escape(ctx.op)}' operating point; currents, "
                   "voltages and margins appear when the power analysis exists.</p>")
    out.append(_power_tree(ctx))
    if res.available:
        out.append("<h3>Power analysis</h3>" + json_html(res.data))
    return "".join(out)


def _cooling(ctx) -> str:
    res = adapters.area_json(ctx, "cooling")
    if not res.available:
        return na(res.reason or "no cooling analysis")
    branches = adapters.cooling_branches(ctx)
    out = []
    if branches:
        out.append("<h3>Per-branch flow and case-temperature margin</h3>" + _branch_chart(branches))
    out.append("<h3>Cooling analysis</h3>" + json_html(res.data))
    return "".join(out)


def _branch_chart(branches: Sequence[adapters.Branch]) -> str:
    """Two bar panels sharing rows: flow [L/min] with the branch's minimum as a tick, and margin [K]."""
    rows = list(branches)[:MAX_CHART_BRANCHES]
    row_h, label_w, panel_w, gap = 16, 150, 300, 40
    fmax = max([b.flow_m3_s or 0 for b in rows] + [b.min_flow_m3_s or 0 for b in rows] + [1e-12]) * 60000
    mvals = [b.margin_k for b in rows if b.margin_k is not None]
    mmax = max([abs(v) for v in mvals] + [MARGIN_FULL_K])
    height = 30 + row_h * len(rows) + 10
    width = label_w + 2 * panel_w + gap + 50   # room for the margin labels right of the panel ("-123.4")
    x_f, x_m = label_w, label_w + panel_w + gap
    zero_m = x_m + panel_w * (mmax / (2 * mmax)) if any(v < 0 for v in mvals) else x_m
    scale_m = (panel_w / 2 if any(v < 0 for v in mvals) else panel_w) / mmax
    out = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{width}\" height=\"{height}\" "
           f"viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"10\">",
           f"<text x=\"{x_f}\" y=\"14\" font-weight=\"bold\">flow [L/min] (tick: minimum), max {fmax:,.1f}</text>",
           f"<text x=\"{x_m}\" y=\"14\" font-weight=\"bold\">case-temperature margin [K]</text>"]
    for i, b in enumerate(rows):
        y = 24 + i * row_h
        label = f"{b.rack + '/' if b.rack else ''}{b.mount}"
        out.append(f"<text x=\"{label_w - 6}\" y=\"{y + 11}\" text-anchor=\"end\">{escape(label[:24])}</text>")
        if b.flow_m3_s is not None:
            wf = panel_w * b.flow_m3_s * 60000 / fmax
            low = b.min_flow_m3_s is not None and b.flow_m3_s < b.min_flow_m3_s
            out.append(f"<rect x=\"{x_f}\" y=\"{y + 2}\" width=\"{wf:.1f}\" height=\"{row_h - 4}\" "
                       f"fill=\"{'#d73027' if low else '#4a90c2'}\"><title>{escape(label)}: "
                       f"{b.flow_m3_s * 60000:,.2f} L/min</title></rect>")
        if b.min_flow_m3_s is not None:
            xm = x_f + panel_w * b.min_flow_m3_s * 60000 / fmax
            out.append(f"<line x1=\"{xm:.1f}\" y1=\"{y}\" x2=\"{xm:.1f}\" y2=\"{y + row_h}\" stroke=\"#000\" "
                       "stroke-width=\"1.5\"/>")
        if b.margin_k is not None:
            wm = abs(b.margin_k) * scale_m
            xm = zero_m if b.margin_k >= 0 else zero_m - wm
            out.append(f"<rect x=\"{xm:.1f}\" y=\"{y + 2}\" width=\"{wm:.1f}\" height=\"{row_h - 4}\" "
                       f"fill=\"{ramp(MARGIN_STOPS, b.margin_k / MARGIN_FULL_K)}\" stroke=\"#555\" "
                       f"stroke-width=\"0.4\"><title>{escape(label)}: {b.margin_k:+.1f} K</title></rect>"
                       f"<text x=\"{x_m + panel_w + 4}\" y=\"{y + 11}\">{b.margin_k:+.1f}</text>")
    out.append(f"<line x1=\"{zero_m:.1f}\" y1=\"20\" x2=\"{zero_m:.1f}\" y2=\"{height - 6}\" stroke=\"#333\"/>")
    out.append("</svg>")
    note = (f"<p class=\"na\">Showing {len(rows)} of {len(branches):,} branches.</p>"
            if len(branches) > len(rows) else "")
    return "".join(out) + note


def _network(ctx) -> str:
    res = adapters.area_json(ctx, "network")
    return json_html(res.data) if res.available else na(res.reason or "no network analysis")


def _faults(ctx) -> str:
    if not any(adapters.area_json(ctx, a).available for a in ("power", "cooling")):
        return na("fault scenarios come from the power and cooling analyses, and neither exists yet")
    rows = adapters.fault_scenarios(ctx)
    if not rows:
        return na("the power and cooling analyses report no fault scenarios")
    return table([{"area": a, **{k: v for k, v in r.items() if not isinstance(v, (dict, list))}} for a, r in rows])


def _is_hall(ctx) -> bool:
    """A design with hall-level content: a facility power chain or water system, or a generated hall fabric."""
    fac = ctx.design.facility
    return (fac is not None and (fac.power is not None or fac.water is not None)) or \
        getattr(ctx.r, "hall_fabric", None) is not None


def _drawing(name: str, make) -> str:
    """One hall drawing in a horizontally scrolling box (drawn at its own scale), or why it could not be drawn."""
    try:
        return f"<div class=\"wide\">{make()}</div>"
    except Exception as exc:  # one failing drawing must not take the whole report down
        print(f"rackforge: warning: {name} drawing failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return na(f"the {name} could not be drawn ({type(exc).__name__}: {exc})")


def _hall(ctx) -> str:
    """Floor plan, facility power one-line (the first distribution block) and facility water (the first loop),
    each with its analysis; the others are drawn by ``rackforge render --view oneline --rack ROW`` / ``--view water
    --loop ID``."""
    from rackforge.features.render.floor import floor_svg
    from rackforge.features.render.oneline import oneline_svg, water_svg

    fac = ctx.design.facility
    out = ["<h3>Floor plan</h3>", _drawing("floor plan", lambda: floor_svg(ctx, caption=f"{ctx.design.name}: "
                                                                                      "floor plan"))]
    parts = (("power", "Facility power", "One-line of the first distribution block; <code>rackforge render --view "
              "oneline --rack ROW</code> draws the chain of other rows.", "power one-line", oneline_svg),
             ("water", "Facility water", "The first loop; <code>rackforge render --view water --loop ID</code> draws "
              "the others.", "water diagram", water_svg))
    for key, title, note, name, draw in parts:
        if fac is None or getattr(fac, key) is None:
            continue
        res = adapters.area_json(ctx, f"facility_{key}")
        out += [f"<h3>{title}</h3><p>{note}</p>", _drawing(name, lambda: draw(ctx)),
                json_html(res.data) if res.available else na(res.reason or f"no facility {key} analysis")]
    return "".join(out)


def _bom(ctx) -> str:
    rows, why = adapters.bom_rows(ctx)
    if rows is None:
        return na(why)
    return f"<p>From the {escape(why)}.</p>" + table(rows)


# -------------------------------------------------------------------------------------------------- report
def _summary_data(ctx) -> dict:
    from rackforge.engine.analysis import analyze_summary

    try:
        return analyze_summary(ctx)
    except Exception as exc:  # an area analysis failed: keep the core figures, say so on stderr
        print(f"rackforge: warning: analysis summary incomplete: {type(exc).__name__}: {exc}", file=sys.stderr)
        import rackforge.engine.analysis as an

        saved = an.AREA_SECTIONS
        an.AREA_SECTIONS = ()
        try:
            return analyze_summary(ctx)
        finally:
            an.AREA_SECTIONS = saved


def report_html(ctx, findings: Iterable[Finding], *, source: str | None = None,
                envelope: str | None = None) -> str:
    """The whole report as one HTML document. ``envelope``: an HTML fragment (from
    :func:`rackforge.features.sweep.envelope.envelope_html`) shown as an "Operating envelope" section."""
    from rackforge._version import __version__

    findings = list(findings)
    summary = _summary_data(ctx)
    sections = list(SECTIONS)
    if _is_hall(ctx):   # the hall drawings after the rack elevations
        sections.insert(3, ("hall", "Hall"))
    design = ctx.design
    title = f"rackforge report: {design.name}"
    parts = [
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>{escape(design.name)}</h1>",
        f"<p>{escape(design.description or '')}</p>" if design.description else "",
        f"<p>file {escape(source or ctx.doc.path)} \u00b7 generation {escape(str(ctx.ld.generation_id))} "
        f"\u00b7 operating point {escape(ctx.op)} \u00b7 rackforge {escape(__version__)}</p></header>",
        "<nav>" + "".join(f"<a href=\"#{sid}\">{escape(t)}</a>" for sid, t in sections)
        + ("<a href=\"#envelope\">Operating envelope</a>" if envelope else "") + "</nav><main>",
    ]
    bodies = {
        "summary": lambda: _summary(ctx, summary, findings),
        "findings": lambda: _findings(findings),
        "elevations": lambda: _elevations(ctx, findings),
        "power": lambda: _power(ctx),
        "cooling": lambda: _cooling(ctx),
        "network": lambda: _network(ctx),
        "faults": lambda: _faults(ctx),
        "bom": lambda: _bom(ctx),
        "hall": lambda: _hall(ctx),
    }
    for sid, t in sections:
        parts.append(f"<section id=\"{sid}\"><h2>{escape(t)}</h2>{bodies[sid]()}</section>")
    if envelope:
        parts.append(f"<section id=\"envelope\"><h2>Operating envelope</h2>{envelope}</section>")
    parts.append(f"</main><footer>Generated by rackforge {escape(__version__)}. Self-contained: no network "
                 f"access is needed to view this file.</footer><script>{JS}</script></body></html>\n")
    return "".join(parts)
