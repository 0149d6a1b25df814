"""`rackforge export netbox`: a design as NetBox bulk-import files (and optionally pushed to a NetBox)."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    sub = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Write a design in another tool's format.")
    app.add_typer(sub, name="export")
