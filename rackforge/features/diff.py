"""``rackforge diff A B``: what changed between two designs.

Compares, over all racks of each design (template instances counted): parts and their counts (mounted parts,
the PSUs and BBUs in shelves and trays, busbars, frames, explicitly listed cables and transceivers), IT power at
each operating point, mass, accelerator packages and dies, memory, scale-up and scale-out bandwidth, cost (when
every counted part has one; otherwise the known part and how many parts lack a cost), and which findings
appeared or went away (each design checked against its own generation, or both against ``--generation``).

Findings are matched by rule code and JSON Pointer, so a finding whose numbers changed but still fires at the
same place is "still there", not "gone and new".
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rackforge.model.resolved import LEVELS


@dataclass
class Figures:
    """The numbers of one design that a diff compares (SI floats, the unit in the key)."""

    file: str
    name: str
    generation: str | None
    parts: Counter = field(default_factory=Counter)           # pn -> count
    kinds: dict[str, str] = field(default_factory=dict)       # pn -> kind
    figures: dict[str, float] = field(default_factory=dict)
    cost_usd: float = 0.0
    cost_missing: list[str] = field(default_factory=list)     # part numbers without a cost
    findings: dict[tuple[str, str], Any] = field(default_factory=dict)  # (code, pointer) -> Finding


def _part_counts(ld) -> Counter:
    from rackforge.model.resolved import server_psus, shelf_modules

    cat = ld.catalog
    out: Counter = Counter()
    r = ld.resolved
    for d in r.defs:
        n = len(d.instances)
        if n == 0:
            continue
        if d.body.frame:
            out[d.body.frame] += n
        for mi in d.mounts:
            out[mi.m.part] += n
            for pn, k, _role in shelf_modules(mi, cat):
                out[pn] += n * k
            inside = server_psus(mi)
            if inside is not None:
                out[inside[0]] += n * inside[1]
        for bb in d.body.power.busbars:
            out[bb.part] += n
        for ln in d.body.links:
            out[ln.cable] += n
            for t in ln.transceivers:
                out[t] += n
    for ln in ld.design.links:
        out[ln.cable] += 1
        for t in ln.transceivers:
            out[t] += 1
    return out


def figures_of(path: str, *, generation: str | None = None, catalogs=(), operating_point: str | None = None) -> Figures:
    """Read a design and compute what :func:`diff` compares. Raises InputError for unreadable input."""
    from rackforge.engine import Context, Options, load_design, run_rules

    ld = load_design(path, catalogs=catalogs, generation=generation)
    opts = Options(generation=generation, catalogs=tuple(catalogs), operating_point=operating_point)
    fig = Figures(ld.doc.path, ld.design.name if ld.design is not None else path, ld.generation_id)
    for f in run_rules(ld, opts):
        fig.findings.setdefault((f.code, f.pointer), f)
    if ld.design is None:
        return fig
    ctx = Context(ld, opts)
    fig.parts = _part_counts(ld)
    for pn in fig.parts:
        part = ld.catalog.get(pn)
        fig.kinds[pn] = part.kind if part is not None else "?"
        cost = getattr(part, "cost", None) if part is not None else None
        if cost is None:
            fig.cost_missing.append(pn)
        else:
            fig.cost_usd += fig.parts[pn] * float(cost)
    t: Counter = Counter()
    su_bw = so_bw = mem = 0.0
    for d in ld.resolved.defs:
        n = len(d.instances)
        p = ctx.physical[d.key]
        t["racks"] += n
        t["mass_kg"] += n * p.mass_kg
        for lvl in LEVELS:
            t[f"it_power_{lvl}_w"] += n * p.it_power_w[lvl]
        t["accelerator_packages"] += n * p.accelerator_packages
        t["accelerator_dies"] += n * p.accelerator_dies
        for mi in d.mounts:
            part = mi.part
            if part is None:
                continue
            acc = getattr(part, "accelerators", None)
            if acc is not None:
                su_bw += n * acc.packages * float(acc.scale_up_bandwidth_per_package)
                mem += n * acc.packages * float(acc.memory_per_package)
                for pg in getattr(part, "ports", []):
                    if pg.role == "scale_out":
                        so_bw += n * pg.count * float(pg.speed)
    t["memory_bytes"] = mem / 8  # data quantities are held in bit
    t["scale_up_bandwidth_bps"] = su_bw
    t["scale_out_bandwidth_bps"] = so_bw
    pk = t["accelerator_packages"]
    t["scale_up_bandwidth_per_accelerator_bps"] = su_bw / pk if pk else 0.0
    t["scale_out_bandwidth_per_accelerator_bps"] = so_bw / pk if pk else 0.0
    fig.figures = {k: float(v) for k, v in t.items()}
    return fig


def diff(a: Figures, b: Figures) -> dict:
    """The changes from ``a`` to ``b`` as a JSON-ready dict."""
    parts = []
    for pn in sorted(set(a.parts) | set(b.parts)):
        na, nb = a.parts.get(pn, 0), b.parts.get(pn, 0)
        if na != nb:
            parts.append({"pn": pn, "kind": b.kinds.get(pn) or a.kinds.get(pn), "a": na, "b": nb, "change": nb - na})
    figs = []
    for k in sorted(set(a.figures) | set(b.figures), key=_figure_order):
        va, vb = a.figures.get(k, 0.0), b.figures.get(k, 0.0)
        figs.append({"figure": k, "a": _r(va), "b": _r(vb), "change": _r(vb - va),
                     "relative": _r((vb - va) / va) if va else None})
    cost = None
    if not a.cost_missing and not b.cost_missing:
        cost = {"a_usd": _r(a.cost_usd), "b_usd": _r(b.cost_usd), "change_usd": _r(b.cost_usd - a.cost_usd)}
    gone = [_fj(a.findings[k]) for k in sorted(set(a.findings) - set(b.findings))]
    new = [_fj(b.findings[k]) for k in sorted(set(b.findings) - set(a.findings))]
    kept = len(set(a.findings) & set(b.findings))
    return {
        "a": {"file": a.file, "name": a.name, "generation": a.generation},
        "b": {"file": b.file, "name": b.name, "generation": b.generation},
        "parts": parts, "figures": figs, "cost": cost,
        "cost_missing": {"a": sorted(a.cost_missing), "b": sorted(b.cost_missing)},
        "findings": {"appeared": new, "gone": gone, "unchanged": kept},
    }


_ORDER = ["racks", "accelerator_packages", "accelerator_dies", "memory_bytes", "scale_up_bandwidth_bps",
          "scale_up_bandwidth_per_accelerator_bps", "scale_out_bandwidth_bps",
          "scale_out_bandwidth_per_accelerator_bps", *[f"it_power_{lvl}_w" for lvl in LEVELS], "mass_kg"]


def _figure_order(k: str):
    return (_ORDER.index(k) if k in _ORDER else len(_ORDER), k)


def _r(x: float | None):
    return None if x is None else float(f"{x:.6g}")


def _fj(f) -> dict:
    return {"code": f.code, "severity": str(f.severity), "message": f.message, "pointer": f.pointer,
            "requirement": f.requirement}


_UNITS = {"_w": "W", "_kg": "kg", "_bps": "bps", "_bytes": "B"}


def _fmt(k: str, v: float) -> str:
    from rackforge.features.matrix import fmt_quantity

    for suf, unit in _UNITS.items():
        if k.endswith(suf):
            return fmt_quantity(v, unit)
    return f"{v:,.0f}"


def _label(k: str) -> str:
    for suf in _UNITS:
        if k.endswith(suf):
            return k[: -len(suf)].replace("_", " ")
    return k.replace("_", " ")


def render_text(d: dict) -> str:
    lines = [f"a: {d['a']['name']} ({d['a']['file']}, generation {d['a']['generation']})",
             f"b: {d['b']['name']} ({d['b']['file']}, generation {d['b']['generation']})", ""]
    lines.append("parts (count a -> b):" if d["parts"] else "parts: no change")
    for p in d["parts"]:
        lines.append(f"  {p['change']:+d}  {p['pn']} ({p['kind']}): {p['a']} -> {p['b']}")
    lines.append("")
    lines.append("figures:")
    for f in d["figures"]:
        if f["change"] == 0:
            continue
        rel = f"  ({f['relative'] * 100:+.0f}%)" if f["relative"] is not None else ""
        lines.append(f"  {_label(f['figure']):<42} {_fmt(f['figure'], f['a']):>12} -> {_fmt(f['figure'], f['b']):>12}{rel}")
    if all(f["change"] == 0 for f in d["figures"]):
        lines.append("  no change")
    lines.append("")
    if d["cost"] is not None:
        c = d["cost"]
        lines.append(f"cost: {c['a_usd']:,.0f} USD -> {c['b_usd']:,.0f} USD ({c['change_usd']:+,.0f} USD)")
    else:
        miss = sorted(set(d["cost_missing"]["a"]) | set(d["cost_missing"]["b"]))
        lines.append(f"cost: not comparable, no cost in the catalog for {', '.join(miss)}")
    lines.append("")
    fd = d["findings"]
    lines.append(f"findings: {len(fd['appeared'])} appeared, {len(fd['gone'])} gone, {fd['unchanged']} unchanged")
    for f in fd["appeared"]:
        lines.append(f"  + {f['code']} {f['pointer'] or '/'}: {f['message']}")
    for f in fd["gone"]:
        lines.append(f"  - {f['code']} {f['pointer'] or '/'}: {f['message']}")
    return "\n".join(lines) + "\n"


def render_markdown(d: dict) -> str:
    lines = [f"**{d['a']['name']}** -> **{d['b']['name']}**", ""]
    if d["parts"]:
        lines += ["| part | kind | a | b | change |", "|---|---|---:|---:|---:|"]
        lines += [f"| `{p['pn']}` | {p['kind']} | {p['a']} | {p['b']} | {p['change']:+d} |" for p in d["parts"]]
        lines.append("")
    rows = [f for f in d["figures"] if f["change"] != 0]
    if rows:
        lines += ["| figure | a | b | change |", "|---|---:|---:|---:|"]
        for f in rows:
            rel = f"{f['relative'] * 100:+.0f}%" if f["relative"] is not None else "new"
            lines.append(f"| {_label(f['figure'])} | {_fmt(f['figure'], f['a'])} | {_fmt(f['figure'], f['b'])} | {rel} |")
        lines.append("")
    if d["cost"] is not None:
        c = d["cost"]
        lines.append(f"Cost: {c['a_usd']:,.0f} USD -> {c['b_usd']:,.0f} USD ({c['change_usd']:+,.0f} USD)")
        lines.append("")
    fd = d["findings"]
    lines.append(f"Findings: {len(fd['appeared'])} appeared, {len(fd['gone'])} gone.")
    for f in fd["appeared"]:
        lines.append(f"- new `{f['code']}` `{f['pointer'] or '/'}`: {f['message']}")
    for f in fd["gone"]:
        lines.append(f"- gone `{f['code']}` `{f['pointer'] or '/'}`: {f['message']}")
    return "\n".join(lines) + "\n"


def render_json(d: dict) -> str:
    return json.dumps(d, indent=2, sort_keys=True) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
