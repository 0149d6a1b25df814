"""`rackforge validate`."""
from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer

from rackforge.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, _emit, _usage, expand_paths


def register(app: typer.Typer) -> None:
    app.command()(validate)


def validate(
    paths: List[str] = typer.Argument(..., help="Design files, folders (searched), or - for stdin."),
    fmt: str = typer.Option("text", "--format", "-f", help="text, concise or json."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the report to FILE (atomically)."),
    select: List[str] = typer.Option([], "--select", help="Only these rule codes or prefixes (RF1, RF201)."),
    ignore: List[str] = typer.Option([], "--ignore", help="Skip these rule codes or prefixes."),
    generation: Optional[str] = typer.Option(None, "--generation", "-g", help="Check against this generation "
                                             "instead of the one the design declares."),
    catalog: List[str] = typer.Option([], "--catalog", "-c", help="Extra catalog file (repeatable)."),
    operating_point: Optional[str] = typer.Option(None, "--operating-point", help="idle, typical, max or peak."),
    fail_on: str = typer.Option("error", "--fail-on", help="Lowest severity that fails the run: error, warning."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even with findings."),
    statistics: bool = typer.Option(False, "--statistics", help="Count findings per rule."),
):
    """Check designs against their generation's requirements and the rules."""
    from rackforge.engine import Options, validate as run
    from rackforge.errors import InputError
    from rackforge.findings import Severity
    from rackforge.reporters import REPORTERS

    if fmt not in REPORTERS:
        _usage(f"unknown format {fmt!r}: expected one of {', '.join(REPORTERS)}")
    if operating_point not in (None, "idle", "typical", "max", "peak"):
        _usage(f"unknown operating point {operating_point!r}: expected idle, typical, max or peak")
    try:
        fail_sev = Severity.parse(fail_on)
    except ValueError as exc:
        _usage(str(exc))
    opts = Options(select=tuple(select), ignore=tuple(ignore), generation=generation,
                   catalogs=tuple(catalog), operating_point=operating_point)
    files, errors = expand_paths(paths)
    results = []
    for f in files:
        try:
            results.append(run(f, opts))
        except InputError as exc:
            errors.append(exc)
    color = output is None and fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    report = REPORTERS[fmt](results, errors, statistics=statistics, color=color)
    _emit(report, output)
    if errors:
        raise typer.Exit(EXIT_USAGE)
    worst = max((f.severity for r in results for f in r.findings), default=None)
    if not exit_zero and worst is not None and worst >= fail_sev:
        raise typer.Exit(EXIT_FINDINGS)
    raise typer.Exit(EXIT_OK)
