"""JSON Schemas of the file formats, generated from the pydantic models (``schemas/`` holds them)."""
from __future__ import annotations

import json


def _design():
    from rackforge.model.schema.design import Design

    return Design


def _catalog():
    from rackforge.model.schema.catalog import CatalogFile

    return CatalogFile


def _generations():
    from rackforge.model.schema.generation import GenerationFile

    return GenerationFile


def _sweep():
    from rackforge.features.sweep.spec import SweepSpec

    return SweepSpec


SCHEMAS = {"design": _design, "catalog": _catalog, "generations": _generations, "sweep": _sweep}
FILES = {"design": "rackforge-design.schema.json", "catalog": "rackforge-catalog.schema.json",
         "generations": "rackforge-generations.schema.json", "sweep": "rackforge-sweep.schema.json"}


def describe(schema: dict) -> dict:
    """Fill the description of every property that has none from
    :data:`rackforge.model.schema.descriptions.FIELDS` (``Class.field``, then ``field``); in place."""
    from rackforge.model.schema.descriptions import FIELDS

    for cls, d in [(schema.get("title", ""), schema), *schema.get("$defs", {}).items()]:
        for field, prop in d.get("properties", {}).items():
            if "description" not in prop:
                text = FIELDS.get(f"{cls}.{field}") or FIELDS.get(field)
                if text:
                    prop["description"] = text
    return schema


def undescribed(schema: dict) -> list[str]:
    """``Class.field`` of every property without a description."""
    return [f"{cls}.{field}" for cls, d in [(schema.get("title", ""), schema), *schema.get("$defs", {}).items()]
            for field, prop in d.get("properties", {}).items() if "description" not in prop]


def schema_dict(name: str) -> dict:
    model = SCHEMAS[name]()
    s = describe(model.model_json_schema(mode="validation"))
    s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    s["$id"] = f"https://rackforge.dev/schemas/{FILES[name]}"
    return s


def schema_text(name: str) -> str:
    return json.dumps(schema_dict(name), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
