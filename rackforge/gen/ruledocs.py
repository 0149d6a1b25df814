"""Rule documentation generated from the registry (``docs/rules.md`` is this output; a test keeps it fresh)."""
from __future__ import annotations

from rackforge.rules import Rule


def rule_json(r: Rule) -> dict:
    return {"code": r.code, "name": r.name, "severity": str(r.severity), "area": r.area, "summary": r.summary,
            "doc": r.doc, "requires": list(r.requires)}


def rule_markdown(r: Rule) -> str:
    out = [f"## {r.code} {r.name}", "", f"*{r.area}, default severity: {r.severity}*", "", r.summary, "", r.doc, ""]
    if r.requires:
        out += ["Generation requirements read: " + ", ".join(f"`{x}`" for x in r.requires), ""]
    return "\n".join(out)


def rules_table(reg: dict[str, Rule]) -> str:
    lines = ["| code | name | severity | area | summary |", "|---|---|---|---|---|"]
    for r in reg.values():
        lines.append(f"| {r.code} | {r.name} | {r.severity} | {r.area} | {r.summary} |")
    return "\n".join(lines) + "\n"


def rules_document(reg: dict[str, Rule]) -> str:
    parts = ["# rackforge rules", "", "Generated from the rule registry by `python -m rackforge.gen`. Do not edit.",
             "", rules_table(reg)]
    for r in reg.values():
        parts.append(rule_markdown(r))
    return "\n".join(parts)
