"""SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), as read by GitHub code scanning.

One run; the driver lists every rule with its short description (the summary), full description and help
(the rule's doc text); each finding is a result with its rule, level, message, and a physical location whose
artifact URI is relative to the repository root (``uriBaseId`` ``%SRCROOT%``) with a line/column region
(columns count Unicode code points, ``columnKind`` ``unicodeCodePoints``). Unreadable inputs are reported as
tool execution notifications and make ``executionSuccessful`` false.

Spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rackforge.model.findings import Severity
from rackforge.reporters._common import STDIN, fingerprint, relative_path, repo_base

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SRCROOT = "%SRCROOT%"


def _artifact(path: str) -> dict | None:
    if path == STDIN:
        return None
    rel = relative_path(path)
    if rel.startswith("/"):
        return {"uri": Path(rel).as_uri()}
    return {"uri": quote(rel, safe="/"), "uriBaseId": SRCROOT}


def _location(path: str, line: int | None, col: int | None, pointer: str | None = None) -> dict | None:
    art = _artifact(path)
    if art is None:
        return None
    phys: dict[str, Any] = {"artifactLocation": art}
    if line is not None:
        region = {"startLine": line}
        if col is not None:
            region["startColumn"] = col
        phys["region"] = region
    loc: dict[str, Any] = {"physicalLocation": phys}
    if pointer:
        loc["logicalLocations"] = [{"fullyQualifiedName": pointer, "kind": "element"}]
    return loc


def _plain(markdown: str) -> str:
    """The doc text without Markdown emphasis and code marks (SARIF ``text`` is plain; ``markdown`` keeps them)."""
    return markdown.replace("**", "").replace("`", "")


def _rule(r) -> dict:
    doc = r.doc or r.summary
    return {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": _plain(doc), "markdown": doc},
        "help": {"text": _plain(doc), "markdown": f"**{r.code} {r.name}**\n\n{doc}"},
        "defaultConfiguration": {"level": LEVEL[r.severity]},
        "properties": {"tags": [r.area]},
    }


def sarif(results, errors, **_: Any) -> str:
    import os

    from rackforge._version import __version__
    from rackforge.rules import all_rules

    reg = all_rules()
    codes = list(reg)
    index = {c: i for i, c in enumerate(codes)}
    out_results = []
    for r in results:
        for f in r.findings:
            text = f.message + (f"\nHint: {f.hint}" if f.hint else "")
            res: dict[str, Any] = {"ruleId": f.code, "level": LEVEL[f.severity], "message": {"text": text}}
            if f.code in index:
                res["ruleIndex"] = index[f.code]
            loc = _location(f.file, f.line, f.col, f.pointer)
            if loc is not None:
                res["locations"] = [loc]
            res["partialFingerprints"] = {
                "rackforgeFinding/v1": fingerprint(f.code, relative_path(f.file), f.pointer, f.message)}
            if f.pointer:
                res["properties"] = {"pointer": f.pointer}
            out_results.append(res)
    notes = []
    for e in errors:
        n: dict[str, Any] = {"level": "error", "message": {"text": e.message + (f" Hint: {e.hint}" if e.hint else "")},
                             "descriptor": {"id": "unreadable-input"}}
        loc = _location(e.file, e.line, e.col, e.pointer) if e.file else None
        if loc is not None:
            n["locations"] = [loc]
        notes.append(n)
    base = repo_base(os.getcwd())
    run = {
        "tool": {"driver": {"name": "rackforge", "version": __version__, "semanticVersion": __version__,
                            "rules": [_rule(reg[c]) for c in codes]}},
        "originalUriBaseIds": {SRCROOT: {"uri": base.as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": out_results,
        "invocations": [{"executionSuccessful": not errors, "toolExecutionNotifications": notes}],
    }
    doc = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
