"""`rackforge render`: rack elevations as SVG."""
from __future__ import annotations

from typing import List, Optional

import typer

from rackforge.cli.app import emit, usage, load_design_or_exit


def register(app: typer.Typer) -> None:
    app.command()(render)


def render(
    path: str = typer.Argument(..., metavar="DESIGN", help="A design file, or - for stdin."),
    rack: List[str] = typer.Option([], "--rack", "-r", help="A rack id, template name or row to draw "
                                   "(repeatable; a row draws its racks side by side). Default: one elevation "
                                   "per rack definition."),
    view: str = typer.Option("elevation", "--view", help="elevation (rack elevations), floor (the hall from above: "
                             "rows, compute racks, the hall fabric's switch racks by tier), oneline (the facility "
                             "power chain feeding the rows given with --rack, default the first block) or water (the "
                             "facility water loops given with --loop, default the first)."),
    loop: List[str] = typer.Option([], "--loop", help="--view water: a facility water loop id (repeatable)."),
    face: str = typer.Option("front", "--face", help="front or rear (rear shows busbars and manifolds)."),
    overlay: str = typer.Option("none", "--overlay", help="none (colour by kind), power, thermal or findings."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the SVG to FILE (atomically); "
                                         "default stdout."),
    generation: Optional[str] = typer.Option(None, "--generation", "-g"),
    catalog: List[str] = typer.Option([], "--catalog", "-c", help="Extra catalog file (repeatable)."),
    operating_point: Optional[str] = typer.Option(None, "--operating-point", help="idle, typical, max or peak."),
):
    """Draw rack elevations as SVG: rack-unit scale, one labelled box per mount, optional overlay and legend."""
    from rackforge.features.render.svg import FACES, OVERLAYS

    if view not in ("elevation", "floor", "oneline", "water"):
        usage(f"unknown view {view!r}: expected elevation, floor, oneline or water")
    if face not in FACES:
        usage(f"unknown face {face!r}: expected front or rear")
    if overlay not in OVERLAYS:
        usage(f"unknown overlay {overlay!r}: expected one of {', '.join(OVERLAYS)}")
    if operating_point not in (None, "idle", "typical", "max", "peak"):
        usage(f"unknown operating point {operating_point!r}: expected idle, typical, max or peak")
    from rackforge.engine import Context, Options, run_rules
    from rackforge.features.render.svg import columns_for, elevation_svg

    opts = Options(generation=generation, catalogs=tuple(catalog), operating_point=operating_point)
    ld = load_design_or_exit(path, opts, "it cannot be drawn")
    if view == "floor":
        from rackforge.features.render.floor import floor_svg

        emit(floor_svg(Context(ld, opts), caption=f"{ld.design.name}: floor plan"), output)
        return
    if view in ("oneline", "water"):
        if ld.design.facility is None or getattr(ld.design.facility, "power" if view == "oneline" else "water") is None:
            usage(f"{ld.doc.path}: --view {view} needs facility.{'power' if view == 'oneline' else 'water'} in the "
                  "design")
        from rackforge.features.render.oneline import oneline_svg, water_svg

        ctx = Context(ld, opts)
        if view == "oneline":
            rows = {r.row for r in ld.resolved.racks}
            bad = [r for r in rack if r not in rows]
            if bad:
                usage(f"{ld.doc.path}: --rack: {bad[0]!r} is not a row of the design (--view oneline takes rows)")
            emit(oneline_svg(ctx, rack), output)
        else:
            emit(water_svg(ctx, loop), output)
        return
    try:
        columns = columns_for(ld.resolved, rack)
    except ValueError as exc:
        usage(f"{ld.doc.path}: --rack: {exc}")
    if not columns:
        usage(f"{ld.doc.path}: the design has no racks to draw")
    ctx = Context(ld, opts)
    findings = run_rules(ld, opts, ctx) if overlay == "findings" else None
    caption = f"{ld.design.name}: {face} view, overlay {overlay}"
    emit(elevation_svg(ctx, columns, face=face, overlay=overlay, findings=findings, caption=caption), output)
