"""The design x generation matrix: does each design meet each generation, and if not, what binds and by how much.

Each design is read once and checked against every concrete generation of the catalog (one with a ``year``; a
profile without one, such as ``ai-base``, is a base that others extend, not a target), with
the same rules as ``rackforge validate --generation G``. A cell passes when no finding reaches the failing
severity (error by default). A failing cell names its *binding* finding: the finding against a generation
requirement that misses worst, ranked

1. categorical requirement misses (a value that is simply not allowed, e.g. a frame standard), then
2. numeric requirement misses by relative margin ``|value - limit| / |limit|`` (largest first), then
3. findings with no requirement (the design is unsound on its own terms), by code.

Findings carry the margin as ``requirement``/``value``/``limit``/``unit`` (SI floats); see
:class:`rackforge.model.findings.Finding`. The JSON form is stable and sorted, so it can be committed as a test
expectation.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable

from rackforge.model.findings import Finding, Severity


def concrete_generations(catalog) -> list[str]:
    """Generation ids a design can target (those with a ``year``), oldest first (year, then id)."""
    gens = catalog.generations
    return sorted((g for g in gens if gens[g].year is not None), key=lambda g: (gens[g].year, g))


def relative_miss(f: Finding) -> float | None:
    """How far a finding's value is past its limit, relative to the limit (0.25 = 25%); None without numbers."""
    if f.value is None or f.limit is None:
        return None
    if f.limit == 0:
        return float("inf") if f.value != f.limit else 0.0
    return abs(f.value - f.limit) / abs(f.limit)


def _rank(f: Finding) -> tuple:
    miss = relative_miss(f)
    if f.requirement is not None and miss is None:
        return (0, 0.0, f.code, f.pointer)
    if f.requirement is not None:
        return (1, -miss, f.code, f.pointer)
    return (2, 0.0, f.code, f.pointer)


def binding(findings: Iterable[Finding]) -> Finding | None:
    """The finding that binds (see the module doc), or None when there is none."""
    fs = sorted(findings, key=_rank)
    return fs[0] if fs else None


def _finding_json(f: Finding) -> dict:
    miss = relative_miss(f)
    return {
        "code": f.code, "name": f.name, "severity": str(f.severity), "message": f.message, "pointer": f.pointer,
        "requirement": f.requirement, "unit": f.unit,
        "value": _round(f.value), "limit": _round(f.limit),
        "miss": _round(f.value - f.limit) if f.value is not None and f.limit is not None else None,
        "relative_miss": _round(miss) if miss is not None and miss != float("inf") else None,
    }


def _round(x: float | None) -> float | None:
    if x is None:
        return None
    return float(f"{x:.6g}")


@dataclass
class Cell:
    generation: str
    passed: bool
    findings: list[Finding] = field(default_factory=list)   # at or above the failing severity
    warnings: int = 0

    @property
    def binding(self) -> Finding | None:
        return binding(self.findings)

    def to_json(self) -> dict:
        b = self.binding
        return {"generation": self.generation, "pass": self.passed, "errors": len(self.findings),
                "warnings": self.warnings, "binding": _finding_json(b) if b is not None else None,
                "requirements": sorted({f.requirement for f in self.findings if f.requirement})}


@dataclass
class Row:
    file: str
    name: str | None
    generation: str | None            # the generation the design declares
    cells: list[Cell] = field(default_factory=list)
    problem: str | None = None         # the design could not be checked at all (schema errors)

    def to_json(self) -> dict:
        return {"file": self.file, "name": self.name, "generation": self.generation, "problem": self.problem,
                "cells": {c.generation: c.to_json() for c in self.cells}}


@dataclass
class Matrix:
    generations: list[str]
    rows: list[Row]

    def own_failures(self) -> list[Row]:
        """Designs that fail their own declared generation (or cannot be checked)."""
        out = []
        for r in self.rows:
            own = next((c for c in r.cells if c.generation == r.generation), None)
            if r.problem or (own is not None and not own.passed):
                out.append(r)
        return out

    def to_json(self) -> dict:
        return {"generations": self.generations, "designs": [r.to_json() for r in self.rows]}


# Rows are ordered by the declared generation's place in ``generations`` (oldest first), then by file.


def compute(paths: Iterable[str], *, generations: Iterable[str] | None = None, catalogs: Iterable[str] = (),
            operating_point: str | None = None, fail_on: Severity = Severity.ERROR) -> Matrix:
    """Check every design against every generation. Raises InputError for unreadable input, KeyError for an
    unknown generation id."""
    from rackforge.model.catalog import resolve_generation
    from rackforge.engine import Options, load_design, run_rules

    paths = list(paths)
    gens: list[str] | None = list(generations) if generations else None
    rows: list[Row] = []
    for path in paths:
        ld = load_design(path, catalogs=catalogs)
        if gens is None:
            gens = concrete_generations(ld.catalog)
        for g in gens:
            if g not in ld.catalog.generations:
                raise KeyError(g)
        declared = ld.design.generation if ld.design is not None else None
        row = Row(ld.doc.path, ld.design.name if ld.design is not None else None, declared)
        rows.append(row)
        if ld.design is None:
            row.problem = "; ".join(p.message for p in ld.problems[:3]) or "the design does not pass its schema"
            continue
        for g in gens:
            ld.generation_id = g
            ld.generation = resolve_generation(g, ld.catalog)
            found = run_rules(ld, Options(generation=g, catalogs=tuple(catalogs), operating_point=operating_point))
            bad = [f for f in found if f.severity >= fail_on]
            warn = sum(1 for f in found if f.severity == Severity.WARNING and f.severity < fail_on)
            row.cells.append(Cell(g, not bad, bad, warn))
    order = {g: i for i, g in enumerate(gens or [])}
    rows.sort(key=lambda r: (order.get(r.generation, len(order)), r.file))
    return Matrix(gens or [], rows)


# ----------------------------------------------------------------------------------------------- formatting

_PREFIX = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""))


def fmt_quantity(x: float, unit: str | None) -> str:
    """A SI float for people: 582540 W -> '582.5 kW', 1.219 m -> '1219 mm', 8e11 bps -> '800 Gb/s'."""
    if unit is None:
        return f"{x:.4g}"
    if unit == "m":
        return f"{x * 1000:.0f} mm"
    if unit == "kg":
        return f"{x:,.0f} kg"
    if unit in ("K", "degC", "s"):
        return f"{x:.1f} {unit}"
    if unit in ("bps", "B"):
        u = "b/s" if unit == "bps" else "B"
        for f, p in _PREFIX:
            if abs(x) >= f:
                return f"{x / f:.4g} {p}{u}"
        return f"{x:.4g} {u}"
    for f, p in _PREFIX:
        if abs(x) >= f:
            return f"{x / f:.4g} {p}{unit}"
    return f"{x:.4g} {unit}"


def describe_miss(f: Finding) -> str:
    """'power.rack_power_max: 582.5 kW vs 230 kW (+352.5 kW, 153%)', or the requirement and code alone."""
    what = f.requirement or f.name or f.code
    if f.value is None or f.limit is None:
        return f"{what} ({f.code})"
    miss = f.value - f.limit
    rel = relative_miss(f)
    sign = "+" if miss > 0 else "-"
    pct = f", {rel * 100:.0f}%" if rel is not None and rel != float("inf") else ""
    return (f"{what}: {fmt_quantity(f.value, f.unit)} vs {fmt_quantity(f.limit, f.unit)} "
            f"({sign}{fmt_quantity(abs(miss), f.unit)}{pct}) ({f.code})")


def _label(r: Row) -> str:
    return r.name or r.file


def render_text(m: Matrix) -> str:
    names = [_label(r) for r in m.rows]
    w0 = max([len("design")] + [len(n) for n in names])
    ws = [max(len(g), 4) for g in m.generations]
    lines = ["design".ljust(w0) + "  " + "  ".join(g.ljust(w) for g, w in zip(m.generations, ws))]
    for r, n in zip(m.rows, names):
        if r.problem:
            lines.append(n.ljust(w0) + "  " + f"cannot be checked: {r.problem}")
            continue
        cells = []
        for c, w in zip(r.cells, ws):
            mark = ("pass" if c.passed else "FAIL") + ("*" if c.generation == r.generation else "")
            cells.append(mark.ljust(w))
        lines.append(n.ljust(w0) + "  " + "  ".join(cells))
    lines.append("(* the design's own generation)")
    fails = [(r, c) for r in m.rows for c in r.cells if not c.passed]
    if fails:
        lines.append("")
        lines.append("binding requirement of each failing cell:")
        for r, c in fails:
            b = c.binding
            more = f"  (+{len(c.findings) - 1} more)" if len(c.findings) > 1 else ""
            lines.append(f"  {_label(r)} x {c.generation}: {describe_miss(b)}{more}")
    return "\n".join(lines) + "\n"


def render_markdown(m: Matrix) -> str:
    head = "| design | " + " | ".join(f"`{g}`" for g in m.generations) + " |"
    sep = "|---|" + "---|" * len(m.generations)
    lines = [head, sep]
    for r in m.rows:
        if r.problem:
            lines.append(f"| {_label(r)} | " + " | ".join("cannot be checked" for _ in m.generations) + " |")
            continue
        cells = []
        for c in r.cells:
            own = " (own)" if c.generation == r.generation else ""
            if c.passed:
                cells.append(f"pass{own}")
            else:
                cells.append(f"**fail**{own}: " + describe_miss(c.binding).replace("|", "\\|"))
        lines.append(f"| {_label(r)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_json(m: Matrix) -> str:
    return json.dumps(m.to_json(), indent=2, sort_keys=True) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
