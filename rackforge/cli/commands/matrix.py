"""`rackforge matrix`."""
from __future__ import annotations

from typing import List, Optional

import typer

from rackforge.cli.app import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, emit, usage, expand_paths


def register(app: typer.Typer) -> None:
    app.command()(matrix)


def matrix(
    paths: List[str] = typer.Argument(..., metavar="PATH", help="Design files or folders (searched)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text, json or markdown (a table for pull requests)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the table to FILE (atomically)."),
    generation: List[str] = typer.Option([], "--generation", "-g", help="Only these generations (repeatable; "
                                         "default: every generation with a year, i.e. not a base profile)."),
    catalog: List[str] = typer.Option([], "--catalog", "-c", help="Extra catalog file (repeatable)."),
    operating_point: Optional[str] = typer.Option(None, "--operating-point", help="idle, typical, max or peak."),
    fail_on: str = typer.Option("error", "--fail-on", help="Lowest severity that fails a cell: error, warning."),
):
    """Check every design against every generation: pass or fail, the binding requirement and by how much.

    Exits 1 when a design fails its own declared generation, 0 otherwise (failing other generations is the
    point of the table, not an error).
    """
    from rackforge.errors import InputError
    from rackforge.model.findings import Severity
    from rackforge.features.matrix import RENDERERS, compute

    if fmt not in RENDERERS:
        usage(f"unknown format {fmt!r}: expected one of {', '.join(RENDERERS)}")
    if operating_point not in (None, "idle", "typical", "max", "peak"):
        usage(f"unknown operating point {operating_point!r}: expected idle, typical, max or peak")
    try:
        sev = Severity.parse(fail_on)
    except ValueError as exc:
        usage(str(exc))
    files, errors = expand_paths(paths)
    if errors:
        import sys

        for e in errors:
            print(e.render(), file=sys.stderr)
        raise typer.Exit(EXIT_USAGE)
    try:
        m = compute(files, generations=generation, catalogs=catalog, operating_point=operating_point, fail_on=sev)
    except InputError as exc:
        from rackforge.cli.app import fail_input

        fail_input(exc)
    except KeyError as exc:
        usage(f"unknown generation {exc.args[0]!r}")
    emit(RENDERERS[fmt](m), output)
    raise typer.Exit(EXIT_FINDINGS if m.own_failures() else EXIT_OK)
