"""`rackforge diff`."""
from __future__ import annotations

from typing import List, Optional

import typer

from rackforge.cli.app import EXIT_OK, emit, usage


def register(app: typer.Typer) -> None:
    app.command()(diff)


def diff(
    a: str = typer.Argument(..., metavar="BEFORE", help="The design before (file, or - for stdin)."),
    b: str = typer.Argument(..., metavar="AFTER", help="The design after."),
    fmt: str = typer.Option("text", "--format", "-f", help="text, json or markdown."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the diff to FILE (atomically)."),
    generation: Optional[str] = typer.Option(None, "--generation", "-g", help="Check both against this generation "
                                             "(default: each against its own)."),
    catalog: List[str] = typer.Option([], "--catalog", "-c", help="Extra catalog file (repeatable)."),
    operating_point: Optional[str] = typer.Option(None, "--operating-point", help="idle, typical, max or peak."),
):
    """Show what changed between two designs: parts and counts, power, mass, bandwidths, cost, findings."""
    from rackforge.features.diff import RENDERERS, diff as run, figures_of
    from rackforge.errors import InputError

    if fmt not in RENDERERS:
        usage(f"unknown format {fmt!r}: expected one of {', '.join(RENDERERS)}")
    if operating_point not in (None, "idle", "typical", "max", "peak"):
        usage(f"unknown operating point {operating_point!r}: expected idle, typical, max or peak")
    if a == "-" and b == "-":
        usage("only one of the two designs can come from stdin")
    try:
        fa = figures_of(a, generation=generation, catalogs=catalog, operating_point=operating_point)
        fb = figures_of(b, generation=generation, catalogs=catalog, operating_point=operating_point)
    except InputError as exc:
        from rackforge.cli.app import fail_input

        fail_input(exc)
    emit(RENDERERS[fmt](run(fa, fb)), output)
    raise typer.Exit(EXIT_OK)
