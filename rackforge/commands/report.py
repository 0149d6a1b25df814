"""`rackforge report`: one self-contained HTML design report."""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from rackforge.cli import EXIT_FINDINGS, _emit, _fail_input, _usage


def register(app: typer.Typer) -> None:
    app.command()(report)


def report(
    path: str = typer.Argument(..., help="A design file, or - for stdin."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the HTML to FILE (atomically); "
                                         "default stdout."),
    generation: Optional[str] = typer.Option(None, "--generation", "-g"),
    catalog: List[str] = typer.Option([], "--catalog", "-c", help="Extra catalog file (repeatable)."),
    operating_point: Optional[str] = typer.Option(None, "--operating-point", help="idle, typical, max or peak."),
    select: List[str] = typer.Option([], "--select", help="Only these rule codes or prefixes."),
    ignore: List[str] = typer.Option([], "--ignore", help="Skip these rule codes or prefixes."),
):
    """Write a self-contained HTML report: summary, findings, elevations, power, cooling, network, faults, BOM.

    The report is written whatever the findings (exit 0); exit 1 only when the design cannot be read as a design.
    """
    if operating_point not in (None, "idle", "typical", "max", "peak"):
        _usage(f"unknown operating point {operating_point!r}: expected idle, typical, max or peak")
    from rackforge.engine import Context, Options, load_design, run_rules
    from rackforge.errors import InputError
    from rackforge.render.html import report_html

    opts = Options(select=tuple(select), ignore=tuple(ignore), generation=generation, catalogs=tuple(catalog),
                   operating_point=operating_point)
    try:
        ld = load_design(path, catalogs=opts.catalogs, generation=opts.generation)
    except InputError as exc:
        _fail_input(exc)
    if ld.design is None:
        msgs = "; ".join(f"{p.message} (at {p.pointer or '/'})" for p in ld.problems[:3])
        print(f"{ld.doc.path}: error: the design does not match the schema, so no report can be made: {msgs}; "
              "run 'rackforge validate' for details", file=sys.stderr)
        raise typer.Exit(EXIT_FINDINGS)
    ctx = Context(ld, opts)
    findings = run_rules(ld, opts, ctx)      # the rules and the report share one set of analyses
    _emit(report_html(ctx, findings), output)
