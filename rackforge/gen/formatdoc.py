"""docs/format.md: the design, catalog and generation formats, generated from their JSON Schemas.

Each definition is a table of its fields (type, default, description); the topics of
:data:`rackforge.model.schema.descriptions.TOPICS` come first. ``python -m rackforge.gen`` writes it.
"""
from __future__ import annotations

import json

FILES = (("design", "Design file"), ("catalog", "Catalog file"), ("generations", "Generation profiles"))


def _type(p: dict) -> str:
    if "$ref" in p:
        name = p["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "x-dimension" in p:
        return f"quantity ({p['x-dimension'].replace('_', ' ')})"
    if "anyOf" in p or "oneOf" in p:
        alts = [a for a in p.get("anyOf", p.get("oneOf", [])) if a.get("type") != "null"]
        return " or ".join(dict.fromkeys(_type(a) for a in alts)) or "null"
    if "enum" in p:
        return " \\| ".join(f"`{v}`" for v in p["enum"])
    if "const" in p:
        return f"`{p['const']}`"
    t = p.get("type")
    if t == "array":
        return f"list of {_type(p.get('items', {}))}"
    if t == "object" and isinstance(p.get("additionalProperties"), dict):
        return f"map of id to {_type(p['additionalProperties'])}"
    return {"string": "text", "integer": "integer", "number": "number", "boolean": "true/false",
            "object": "object"}.get(t, t or "any")


def _default(p: dict) -> str:
    if "default" not in p or p["default"] in (None, [], {}):
        return ""
    return f"`{json.dumps(p['default'])}`"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(d: dict) -> list[str]:
    req = set(d.get("required", []))
    rows = ["| field | type | required | default | description |", "|---|---|---|---|---|"]
    for name, p in d.get("properties", {}).items():
        rows.append(f"| `{name}` | {_type(p)} | {'yes' if name in req else ''} | {_default(p)} | "
                    f"{_cell(p.get('description', ''))} |")
    return rows


def format_document() -> str:
    from rackforge.gen.jsonschema import FILES as SCHEMA_FILES
    from rackforge.gen.jsonschema import schema_dict
    from rackforge.model.schema.descriptions import TOPICS

    out = ["# rackforge file formats", "",
           "Generated from the models by `python -m rackforge.gen`. Do not edit. The JSON Schemas in `schemas/` "
           "carry the same descriptions, so an editor with JSON Schema support shows them as you type "
           "(`\"$schema\"` or the editor's schema mapping pointing at `schemas/rackforge-design.schema.json`).",
           ""]
    out += ["## Contents", ""]
    out += [f"- [{title}](#{title.lower().replace(' ', '-').replace(':', '').replace(',', '')})"
            for title, _ in TOPICS]
    out += [f"- [{label}](#{label.lower().replace(' ', '-')}) (`schemas/{SCHEMA_FILES[name]}`)"
            for name, label in FILES]
    out.append("")
    for title, text in TOPICS:
        out += [f"## {title}", "", text, ""]
    for name, label in FILES:
        s = schema_dict(name)
        out += [f"## {label}", "", _cell(s.get("description", "")), "", *(_table(s)), ""]
        for dname, d in sorted(s.get("$defs", {}).items()):
            if "properties" not in d:
                continue
            out += [f"### {dname}", ""]
            if d.get("description"):
                out += [_cell(d["description"]), ""]
            out += [*_table(d), ""]
    return "\n".join(out).rstrip("\n") + "\n"
