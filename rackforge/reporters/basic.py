"""text, concise and json reporters."""
from __future__ import annotations

import json
from collections import Counter
from typing import Any

from rackforge.model.findings import Severity


def summary(results, errors) -> str:
    counts = Counter(f.severity for r in results for f in r.findings)
    n_files = len(results) + len(errors)
    parts = [f"{counts[Severity.ERROR]} error(s)", f"{counts[Severity.WARNING]} warning(s)"]
    if counts[Severity.INFO]:
        parts.append(f"{counts[Severity.INFO]} info")
    s = f"{n_files} file(s) checked: " + ", ".join(parts)
    if errors:
        s += f", {len(errors)} unreadable"
    return s


def concise(results, errors, *, statistics: bool = False, color: bool = False, **_: Any) -> str:
    lines = [e.render().splitlines()[0] for e in errors]
    for r in results:
        for f in r.findings:
            lines.append(f"{f.location()}: {f.code} [{f.severity}] {f.message}")
    if statistics:
        lines.extend(_stats(results))
    lines.append(summary(results, errors))
    return "\n".join(lines) + "\n"


def _stats(results) -> list[str]:
    c = Counter((f.code, f.name) for r in results for f in r.findings)
    return [f"{n:6d}  {code}  {name}" for (code, name), n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))]


def text(results, errors, *, statistics: bool = False, color: bool = False, **_: Any) -> str:
    """Findings grouped by file, one line each, with the pointer and the hint under it. In colour through rich;
    without colour (not a terminal, ``--no-color``) the same lines as plain text, without importing rich."""
    style = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
    lines: list[list[tuple[str, str]]] = []   # per line: (text, rich style) segments
    for e in errors:
        lines.append([(e.render(), "bold red")])
    for r in results:
        if not r.findings:
            lines.append([(r.path, "bold"), (": ", ""), ("ok", "green")])
            continue
        lines.append([(r.path, "bold underline")])
        for f in r.findings:
            loc = f"{f.line}:{f.col}" if f.line is not None else ""
            if f.file != r.path:
                loc = f"{f.file}:{loc}"
            lines.append([("  " + loc.ljust(9), "dim"), (" ", ""), (f"{f.code}", style[f.severity]), (" ", ""),
                          (str(f.severity), style[f.severity]), (" ", ""), (f.message, ""),
                          (f"  [{f.name}]", "dim")])
            if f.pointer:
                lines.append([(f"             at {f.pointer}", "dim")])
            if f.hint:
                lines.append([(f"             hint: {f.hint}", "dim")])
    if statistics:
        lines.extend([(line, "")] for line in _stats(results))
    lines.append([(summary(results, errors), "")])
    if not color:
        return "".join("".join(t for t, _ in segs) + "\n" for segs in lines)
    from io import StringIO

    from rich.console import Console
    from rich.text import Text

    buf = StringIO()
    con = Console(file=buf, force_terminal=True, width=120, highlight=False, soft_wrap=True)
    for segs in lines:
        con.print(Text.assemble(*[(t, st) if st else t for t, st in segs]))
    return buf.getvalue()


def json_report(results, errors, **_: Any) -> str:
    doc = {
        "version": 1,
        "files": [
            {"file": r.path, "findings": [f.to_dict() for f in r.findings]} for r in results
        ],
        "errors": [
            {"file": e.file, "line": e.line, "column": e.col, "pointer": e.pointer, "message": e.message,
             "hint": e.hint}
            for e in errors
        ],
        "summary": {
            "files": len(results) + len(errors),
            "errors": sum(f.severity == Severity.ERROR for r in results for f in r.findings),
            "warnings": sum(f.severity == Severity.WARNING for r in results for f in r.findings),
            "infos": sum(f.severity == Severity.INFO for r in results for f in r.findings),
            "unreadable": len(errors),
        },
    }
    return json.dumps(doc, indent=2) + "\n"
