"""`rackforge report`: one self-contained HTML design report."""
from __future__ import annotations

from typing import List, Optional

import typer

from rackforge.cli.app import emit, usage, load_design_or_exit


def register(app: typer.Typer) -> None:
    app.command()(report)


def report(
    path: str = typer.Argument(..., metavar="DESIGN", help="A design file, or - for stdin."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the HTML to FILE (atomically); "
                                         "default stdout."),
    generation: Optional[str] = typer.Option(None, "--generation", "-g"),
    catalog: List[str] = typer.Option([], "--catalog", "-c", help="Extra catalog file (repeatable)."),
    operating_point: Optional[str] = typer.Option(None, "--operating-point", help="idle, typical, max or peak."),
    select: List[str] = typer.Option([], "--select", help="Only these rule codes or prefixes."),
    ignore: List[str] = typer.Option([], "--ignore", help="Skip these rule codes or prefixes."),
    envelope: Optional[str] = typer.Option(None, "--envelope", help="Add an operating envelope section: the "
                                           "JSON written by `rackforge envelope -o FILE`."),
):
    """Write a self-contained HTML report: summary, findings, elevations, the hall (floor plan, power one-line and
    water drawings, when the design has a facility or a hall fabric), power, cooling, network, faults, BOM.

    The report is written whatever the findings (exit 0); exit 1 only when the design cannot be read as a design.
    """
    if operating_point not in (None, "idle", "typical", "max", "peak"):
        usage(f"unknown operating point {operating_point!r}: expected idle, typical, max or peak")
    from rackforge.engine import Context, Options, run_rules
    from rackforge.features.render.html import report_html

    opts = Options(select=tuple(select), ignore=tuple(ignore), generation=generation, catalogs=tuple(catalog),
                   operating_point=operating_point)
    ld = load_design_or_exit(path, opts, "no report can be made")
    env_html = _envelope(envelope) if envelope else None
    ctx = Context(ld, opts)
    findings = run_rules(ld, opts, ctx)      # the rules and the report share one set of analyses
    emit(report_html(ctx, findings, envelope=env_html), output)


def _envelope(path: str) -> str:
    """The envelope section from a `rackforge envelope` JSON file (exit 2 when unreadable or not one)."""
    import json

    from rackforge.cli.commands.sweep import need_sweep_extra
    from rackforge.features.sweep.envelope import envelope_html

    need_sweep_extra("matplotlib")
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        usage(f"--envelope {path}: cannot read it as JSON: {exc}")
    if not (isinstance(data, dict) and isinstance(data.get("x"), dict) and isinstance(data.get("points"), list)
            and "boundaries" in data):
        usage(f"--envelope {path}: not an envelope (write one with `rackforge envelope -o FILE`)")
    try:
        return envelope_html(data)
    except (KeyError, TypeError, ValueError) as exc:
        usage(f"--envelope {path}: malformed envelope ({type(exc).__name__}: {exc})")
