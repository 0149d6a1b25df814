"""`rackforge schema`."""
from __future__ import annotations

from typing import Optional

import typer

from rackforge.cli.app import emit, usage


def register(app: typer.Typer) -> None:
    app.command()(schema)


def schema(
    name: str = typer.Argument("design", metavar="SCHEMA", help="design, catalog, generations or sweep."),
    output: Optional[str] = typer.Option(None, "--output", "-o"),
):
    """Print a JSON Schema of the file formats."""
    from rackforge.gen.jsonschema import SCHEMAS, schema_text

    if name not in SCHEMAS:
        usage(f"unknown schema {name!r}: expected one of {', '.join(SCHEMAS)}")
    emit(schema_text(name), output)
