"""`rackforge schema`."""
from __future__ import annotations

from typing import Optional

import typer

from rackforge.cli import _emit, _usage


def register(app: typer.Typer) -> None:
    app.command()(schema)


def schema(
    name: str = typer.Argument("design", help="design, catalog or generations."),
    output: Optional[str] = typer.Option(None, "--output", "-o"),
):
    """Print a JSON Schema of the file formats."""
    from rackforge.jsonschema import SCHEMAS, schema_text

    if name not in SCHEMAS:
        _usage(f"unknown schema {name!r}: expected one of {', '.join(SCHEMAS)}")
    _emit(schema_text(name), output)
