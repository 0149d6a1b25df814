"""GitHub Actions workflow-command annotations (``::error file=...,line=...,col=...,title=...::message``).

Escaping follows the Actions toolkit (``@actions/core`` ``command.ts``): in the message ``%``, ``\\r`` and
``\\n`` become ``%25``, ``%0D`` and ``%0A``; in property values ``:`` and ``,`` also become ``%3A`` and ``%2C``.
"""
from __future__ import annotations

from typing import Any

from rackforge.model.findings import Severity
from rackforge.reporters._common import STDIN, relative_path

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def annotation(kind: str, message: str, *, file: str | None = None, line: int | None = None,
               col: int | None = None, title: str | None = None) -> str:
    props = []
    if file is not None:
        props.append(("file", file))
    if line is not None:
        props.append(("line", str(line)))
        if col is not None:
            props.append(("col", str(col)))
    if title:
        props.append(("title", title))
    head = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    return f"::{kind}{' ' + head if head else ''}::{escape_data(message)}"


def github(results, errors, **_: Any) -> str:
    from rackforge.reporters.basic import summary

    lines = []
    for e in errors:
        lines.append(annotation("error", e.message + (f"\nhint: {e.hint}" if e.hint else ""),
                                file=relative_path(e.file) if e.file not in (None, STDIN) else None,
                                line=e.line, col=e.col,
                                title="rackforge: unreadable input"))
    for r in results:
        for f in r.findings:
            msg = f.message + (f"\nhint: {f.hint}" if f.hint else "")
            where = {"file": relative_path(f.file), "line": f.line, "col": f.col}
            if f.file == STDIN:  # no file to annotate: say where in the message
                where, msg = {}, f"{STDIN}:{f.line}:{f.col}: {msg}"
            lines.append(annotation(COMMAND[f.severity], msg, title=f"{f.code} {f.name}", **where))
    lines.append(summary(results, errors))
    return "\n".join(lines) + "\n"
