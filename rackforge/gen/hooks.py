"""pre-commit hook definitions; ``python -m rackforge.gen`` writes them to ``.pre-commit-hooks.yaml``.

Use from a project's ``.pre-commit-config.yaml``::

    repos:
      - repo: <this repository's URL>
        rev: <a tag or commit>
        hooks:
          - id: rackforge-validate          # every staged JSON/YAML design, several per call
            files: ^designs/                # optional: where the designs live
          - id: rackforge-bom-check         # a committed BOM still matches its design
            args: [bom/rack.csv, designs/rack.json]

``rackforge-validate`` receives the staged JSON and YAML files and skips those without a top-level
``rackforge`` key, so catalogs and unrelated YAML pass through; it reads ``[tool.rackforge]`` or
``rackforge.toml`` like the command line. ``rackforge-bom-check`` runs ``rackforge bom --check BOM DESIGN``
once (it takes its two paths from ``args``), whenever a JSON, YAML or CSV file is staged.
"""
from __future__ import annotations

HOOKS: list[dict] = [
    {
        "id": "rackforge-validate",
        "name": "rackforge validate",
        "description": "Check rack designs (JSON or YAML) against their generation's requirements and the rules.",
        "entry": "rackforge validate --format concise --skip-non-designs",
        "language": "python",
        "types_or": ["json", "yaml"],
        "require_serial": False,
        "minimum_pre_commit_version": "3.0.0",
    },
    {
        "id": "rackforge-bom-check",
        "name": "rackforge bom --check",
        "description": "Check that a committed bill of materials still matches its design (args: BOM DESIGN).",
        "entry": "rackforge bom --check",
        "language": "python",
        "files": r"\.(json|ya?ml|csv)$",
        "pass_filenames": False,
        "minimum_pre_commit_version": "3.0.0",
    },
]


def hooks_yaml() -> str:
    import yaml

    head = ("# Generated from rackforge/gen/hooks.py by `python -m rackforge.gen`. Do not edit.\n"
            "# pre-commit hooks: https://pre-commit.com/#creating-new-hooks\n")
    return head + yaml.safe_dump(HOOKS, sort_keys=False, default_flow_style=False, width=120)
