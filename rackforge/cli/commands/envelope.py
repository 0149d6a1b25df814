"""`rackforge envelope`: how far a design holds along one or two site variables."""
from __future__ import annotations

import json
import sys
from typing import List, Optional

import typer

from rackforge.cli.app import EXIT_OK, emit, fail_input, usage


def register(app: typer.Typer) -> None:
    app.command()(envelope)


def envelope(
    path: str = typer.Argument(..., metavar="DESIGN", help="A design file."),
    x: str = typer.Option(..., "--x", help="First site variable and range, NAME:FROM:TO, e.g. "
                          "'facility_water_supply_temperature:20 degC:50 degC'."),
    y: Optional[str] = typer.Option(None, "--y", help="Second site variable (a pass/fail map), NAME:FROM:TO."),
    metric: Optional[str] = typer.Option(None, "--metric", help="Bisect on this margin instead of pass/fail: a "
                                         "key of the flattened `analyze --format json` output, or a glob whose "
                                         "least value counts (cooling.loops.*.branches.*.case_temperature_margin_k)"
                                         "; the design holds where it is >= 0."),
    points: int = typer.Option(9, "--points", min=2, max=101, help="Scan points per variable."),
    tolerance: Optional[str] = typer.Option(None, "--tolerance", help="Bisection stops at this width of x, with "
                                            "its unit ('0.05 K'); default (TO - FROM)/1000."),
    generation: Optional[str] = typer.Option(None, "--generation", "-g"),
    catalog: List[str] = typer.Option([], "--catalog", "-c", help="Extra catalog file (repeatable)."),
    operating_point: Optional[str] = typer.Option(None, "--operating-point", help="idle, typical, max or peak."),
    fault_depth: Optional[int] = typer.Option(None, "--fault-depth", min=1, max=2, help="1: every single fault; "
                                              "2: also every pair in a rack (default: the generation's)."),
    select: List[str] = typer.Option([], "--select", help="Only these rule codes decide pass/fail."),
    ignore: List[str] = typer.Option([], "--ignore", help="These rule codes do not decide pass/fail."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the envelope as JSON to FILE "
                                         "(for `rackforge report --envelope`); default stdout."),
    plot: List[str] = typer.Option([], "--plot", help="Write the figure to FILE.svg or FILE.png (repeatable)."),
):
    """Scan one or two site variables and bisect where the design stops holding (pass/fail, or a margin);
    write the points and boundaries as JSON and the figure as SVG/PNG."""
    from rackforge.errors import InputError
    from rackforge.engine.config import check_codes
    from rackforge.features.sweep.envelope import compute_envelope, parse_axis, plot as draw

    if operating_point not in (None, "idle", "typical", "max", "peak"):
        usage(f"unknown operating point {operating_point!r}: expected idle, typical, max or peak")
    if plot:
        from rackforge.cli.commands.sweep import need_sweep_extra

        need_sweep_extra("matplotlib")
    for flag, codes in (("--select", select), ("--ignore", ignore)):
        bad = check_codes(codes)
        if bad:
            usage(f"{flag}: {bad}")
    for p in plot:
        if not p.lower().endswith((".svg", ".png")):
            usage(f"--plot {p}: the file name must end in .svg or .png")
    try:
        ax = parse_axis(x)
        ay = parse_axis(y) if y else None
    except ValueError as exc:
        usage(f"--{'y' if y and str(exc).startswith(repr(y)) else 'x'}: {exc}")
    tol = None
    if tolerance is not None:
        from rackforge.model.units import UnitError, parse
        from rackforge.features.sweep.spec import SITE_VARIABLES

        dim = SITE_VARIABLES[ax.name][0]
        try:
            tol = float(parse(tolerance, "temperature_difference" if dim == "temperature" else dim))
        except UnitError as exc:
            usage(f"--tolerance: {exc}")
        if not tol > 0:
            usage("--tolerance must be positive")
    # the design must be readable and match the schema before a scan of it means anything
    from rackforge.cli.app import load_design_or_exit
    from rackforge.engine import Options

    load_design_or_exit(path, Options(generation=generation, catalogs=tuple(catalog)), "it has no envelope")
    try:
        env = compute_envelope(path, ax, ay, metric=metric, points=points, tolerance=tol, generation=generation,
                               operating_point=operating_point, fault_depth=fault_depth, catalogs=tuple(catalog),
                               select=tuple(select), ignore=tuple(ignore))
    except InputError as exc:
        fail_input(exc)
    data = env.to_json()
    if metric and all(p["margin"] is None for p in data["points"]):
        usage(f"--metric {metric!r} matches no numeric key of the analysis (see `rackforge analyze -f json`)")
    for p in plot:
        draw(data, p)
    emit(json.dumps(data, indent=2) + "\n", output)
    if output:
        from rackforge.features.sweep.envelope import describe

        print(describe(data), file=sys.stderr)
    raise typer.Exit(EXIT_OK)
