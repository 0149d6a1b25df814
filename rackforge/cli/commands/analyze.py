"""`rackforge analyze`."""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from rackforge.cli.app import analysis_text, EXIT_FINDINGS, emit, fail_input, usage


def register(app: typer.Typer) -> None:
    app.command()(analyze)


def analyze(
    path: str = typer.Argument(..., metavar="DESIGN", help="A design file, or - for stdin."),
    fmt: str = typer.Option("text", "--format", "-f", help="json or text."),
    output: Optional[str] = typer.Option(None, "--output", "-o"),
    generation: Optional[str] = typer.Option(None, "--generation", "-g"),
    catalog: List[str] = typer.Option([], "--catalog", "-c"),
    operating_point: Optional[str] = typer.Option(None, "--operating-point"),
):
    """Print the computed model (counts, power, mass, rack units) with SI units in the keys."""
    import json

    from rackforge.engine import Options
    from rackforge.api import UnusableDesign, analyze as run
    from rackforge.errors import InputError

    if fmt not in ("json", "text"):
        usage(f"unknown format {fmt!r}: expected json or text")
    try:
        data = run(path, Options(generation=generation, catalogs=tuple(catalog),
                                 operating_point=operating_point))
    except InputError as exc:
        fail_input(exc)
    except UnusableDesign as exc:  # schema errors, or too large (any other ValueError is a bug: not hidden)
        print(str(exc), file=sys.stderr)
        raise typer.Exit(EXIT_FINDINGS)
    if fmt == "json":
        emit(json.dumps(data, indent=2) + "\n", output)
    else:
        emit(analysis_text(data), output)
