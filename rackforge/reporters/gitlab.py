"""GitLab Code Quality report: a JSON array of issues (a subset of the Code Climate issue format).

Each issue has ``description``, ``check_name``, ``fingerprint`` (unique per issue, stable across line moves),
``severity`` (info, minor, major, critical, blocker) and ``location.path`` / ``location.lines.begin``.
"""
from __future__ import annotations

import json
from typing import Any

from rackforge.model.findings import Severity
from rackforge.reporters._common import fingerprint, relative_path

SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def gitlab(results, errors, **_: Any) -> str:
    issues = []
    seen: dict[str, int] = {}

    def add(issue: dict, *key: object) -> None:
        fp = fingerprint(*key)
        n = seen.get(fp, 0)
        seen[fp] = n + 1
        issue["fingerprint"] = fp if n == 0 else fingerprint(*key, n)
        issues.append(issue)

    for e in errors:
        path = relative_path(e.file) if e.file else "."
        add({"type": "issue", "description": e.message, "check_name": "rackforge/unreadable-input",
             "severity": "critical", "categories": ["Bug Risk"],
             "location": {"path": path, "lines": {"begin": e.line or 1}}}, "input", path, e.message)
    for r in results:
        for f in r.findings:
            path = relative_path(f.file)
            desc = f"{f.code} {f.message}" + (f" (hint: {f.hint})" if f.hint else "")
            add({"type": "issue", "description": desc, "check_name": f"{f.code} {f.name}",
                 "severity": SEVERITY[f.severity], "categories": ["Bug Risk"],
                 "location": {"path": path, "lines": {"begin": f.line or 1}}},
                f.code, path, f.pointer, f.message)
    return json.dumps(issues, indent=2) + "\n"
