"""Bill of materials as users read it: rows, CSV, JSON, Markdown, xlsx, a rich table, and the ``--check``
comparison of a committed BOM with the current one.

What a design lists and implies (lines, groups, derived parts, totals, supply-chain figures) is built by
:mod:`rackforge.lowering.bom`, the one source the power, cooling and supply-chain models share.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from rackforge.lowering.bom import (  # noqa: F401  (re-exported: the BOM API of rackforge.features.bom)
    COLUMNS, KIND_ORDER, SHARED, DesignBom, Group, Line, build, figures, round6, totals,
)

FORMATS = ("table", "csv", "json", "markdown", "xlsx")

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


# ---------------------------------------------------------------------------------------------------------------
# rows (shared by csv, xlsx, markdown and table)


def _num(x: float | int | None) -> str:
    if x is None:
        return ""
    if isinstance(x, int) or float(x).is_integer():
        return str(int(round(x)))
    return f"{x:.6f}".rstrip("0").rstrip(".")


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
                "length_m": round6(ln.length_m), "qty_per_rack": ln.qty if g.racks is not None else None,
                "qty": s.qty, "unit_cost_usd": round6(0.0 if ln.included else ln.unit_cost_usd),
                "extended_cost_usd": round6(s.extended_cost),
                "unit_mass_kg": round6(0.0 if ln.included else ln.unit_mass_kg),
                "total_mass_kg": round6(s.total_mass),
                "unit_power_w": round6(None if ln.included else ln.unit_power_w),
                "total_power_w": round6(s.total_power), "origin": ln.origin or "",
                "domestic": _yn(b.is_domestic(ln.origin)), "suppliers": ", ".join(ln.suppliers),
                "lead_time_weeks": round6(ln.lead_time_weeks), "derived_from": ln.derived_text(),
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
                "extended_cost_usd": round6(t["cost_usd"]), "total_mass_kg": round6(t["mass_kg"]),
                "total_power_w": round6(t["power_w"])})
    if per_rack is not None:
        row.update({"unit_cost_usd": round6(per_rack["cost_usd"]), "unit_mass_kg": round6(per_rack["mass_kg"]),
                    "unit_power_w": round6(per_rack["power_w"])})
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
            "parts": [{"pn": ln.pn, "kind": ln.kind, "included": ln.included, "length_m": round6(ln.length_m),
                       "qty": ln.qty, "extended_cost_usd": round6(ln.extended_cost),
                       "total_mass_kg": round6(ln.total_mass)} for ln in b.parts()],
            "totals": {k: round6(v) for k, v in totals(b.parts()).items()},
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
