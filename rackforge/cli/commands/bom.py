"""`rackforge bom`: bill of materials with derived parts, cost, origin and lead time; `--check` for drift."""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from rackforge.cli.app import EXIT_FINDINGS, EXIT_OK, fail_input, usage, expand_paths

FORMATS = "table, csv, json, markdown or xlsx"


def register(app: typer.Typer) -> None:
    app.command()(bom)


def bom(
    paths: List[str] = typer.Argument(..., metavar="PATH", help="Design files, folders (searched), or - for stdin. Several "
                                      "designs get a total over all of them."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help=f"{FORMATS}. Default: from the --output "
                                      "file's suffix (.csv, .json, .md, .xlsx), else table."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the BOM to FILE (atomically: a "
                                         "failed run leaves FILE as it was)."),
    check: Optional[str] = typer.Option(None, "--check", metavar="BOM_FILE", help="Compare a committed BOM "
                                        "(.csv, .json, .md or .xlsx) with the designs' current BOM: exit 0 when "
                                        "equal, 1 (printing the difference) when not, 2 when unreadable."),
    generation: Optional[str] = typer.Option(None, "--generation", "-g", help="Use this generation's "
                                             "domestic countries instead of the design's."),
    catalog: List[str] = typer.Option([], "--catalog", "-c", help="Extra catalog file (repeatable)."),
    operating_point: Optional[str] = typer.Option(None, "--operating-point", help="idle, typical, max or peak "
                                                  "(the power column)."),
):
    """Bill of materials: one line per part number per rack definition, with the parts a design implies."""
    from rackforge.features import bom as B

    if operating_point not in (None, "idle", "typical", "max", "peak"):
        usage(f"unknown operating point {operating_point!r}: expected idle, typical, max or peak")
    if check is not None:
        fmt_c = B.format_for(check)
        if fmt_c is None:
            usage(f"--check {check}: unknown BOM format; expected a .csv, .json, .md or .xlsx file")
        if fmt is not None and fmt != fmt_c:
            usage(f"--check {check} is a {fmt_c} file, but --format says {fmt}")
        if output is not None:
            usage("--check compares and writes nothing: drop --output")
        fmt = fmt_c
    if fmt is None:
        fmt = (B.format_for(output) if output else None) or "table"
    if fmt not in B.FORMATS:
        usage(f"unknown format {fmt!r}: expected {FORMATS}")
    if fmt == "xlsx" and output is None and check is None:
        usage("xlsx is a binary format: give --output FILE.xlsx")

    from rackforge.errors import InputError

    if check is not None:
        try:
            old = B.read_rows(check, fmt)
        except InputError as exc:
            fail_input(exc)
    boms = _build(paths, generation, catalog, operating_point)
    if check is not None:
        diff = B.compare(old, B.current_rows(boms, fmt), fmt)
        if not diff:
            print(f"{check}: up to date", file=sys.stderr)
            raise typer.Exit(EXIT_OK)
        sys.stdout.write(f"{check}: the committed BOM no longer matches "
                         f"{', '.join(b.path for b in boms)}:\n")
        sys.stdout.write("".join(f"  {ln}\n" for ln in diff))
        sys.stdout.write(f"  regenerate it: rackforge bom --output {check} {' '.join(paths)}\n")
        raise typer.Exit(EXIT_FINDINGS)
    if fmt == "table" and output is None and sys.stdout.isatty():
        import os
        import shutil

        text = B.to_table(boms, color="NO_COLOR" not in os.environ, width=shutil.get_terminal_size().columns)
    else:
        text = B.render(boms, fmt)
    if output:
        from rackforge.io.fileio import atomic_write

        try:
            atomic_write(output, text)
        except OSError as exc:
            from rackforge.errors import InputError as _IE

            fail_input(_IE(f"cannot write the BOM: {exc.strerror or exc}", file=output,
                            hint="the file was left as it was"))
    elif isinstance(text, bytes):  # pragma: no cover - refused above
        sys.stdout.buffer.write(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _build(paths, generation, catalog, operating_point):
    """Every design's BOM, or exit: 2 for unreadable input, 1 for a design that does not match the schema."""
    from rackforge.features import bom as B
    from rackforge.engine import Context, Options, load_design
    from rackforge.errors import InputError

    files, errors = expand_paths(paths)
    if errors:
        fail_input(errors[0])
    opts = Options(generation=generation, catalogs=tuple(catalog), operating_point=operating_point)
    boms = []
    for f in files:
        try:
            ld = load_design(f, catalogs=opts.catalogs, generation=opts.generation)
        except InputError as exc:
            fail_input(exc)
        if ld.design is None:
            print(ld.unusable("it has no BOM"), file=sys.stderr)
            raise typer.Exit(EXIT_FINDINGS)
        boms.append(B.build(Context(ld, opts)))
    if not boms:
        usage("no designs given")
    return boms
