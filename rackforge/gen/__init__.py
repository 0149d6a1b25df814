"""Regenerate the generated files: JSON Schemas in ``schemas/``, ``docs/rules.md``, the unit table.

``python -m rackforge.gen`` writes them; ``python -m rackforge.gen --check`` exits 1 when one is stale
(tests run the check).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository (rackforge/gen/__init__.py)


def generated() -> dict[Path, str]:
    from rackforge.gen.jsonschema import FILES, schema_text
    from rackforge.gen.formatdoc import format_document
    from rackforge.gen.ruledocs import rules_document
    from rackforge.rules import all_rules
    from rackforge.model.units import TABLE_PATH, generate_table

    out = {ROOT / "schemas" / fname: schema_text(name) for name, fname in FILES.items()}
    out[ROOT / "docs" / "rules.md"] = rules_document(all_rules())
    out[ROOT / "docs" / "format.md"] = format_document()
    out[TABLE_PATH] = generate_table()
    try:
        from rackforge.gen.hooks import hooks_yaml

        out[ROOT / ".pre-commit-hooks.yaml"] = hooks_yaml()
    except ImportError:
        pass
    return out


def stale() -> list[Path]:
    return [p for p, text in generated().items() if not p.exists() or p.read_text(encoding="utf-8") != text]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = stale()
        for p in bad:
            print(f"stale: {p.relative_to(ROOT)} (run: python -m rackforge.gen)")
        return 1 if bad else 0
    for p, text in generated().items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        print(f"wrote {p.relative_to(ROOT)}")
    return 0

