"""`rackforge expand`."""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from rackforge.cli.app import EXIT_FINDINGS, emit, fail_input, usage


def register(app: typer.Typer) -> None:
    app.command()(expand)


def expand(
    path: str = typer.Argument(..., metavar="DESIGN", help="A design file, or - for stdin."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the expanded design to FILE "
                                         "(atomically); its suffix picks JSON or YAML."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="json or yaml (default: as the output file's "
                                      "suffix, else as the input)."),
    catalog: List[str] = typer.Option([], "--catalog", "-c", help="Extra catalog file (repeatable)."),
):
    """Write the design with its fabric patterns expanded into explicit links (see and diff what they mean)."""
    from rackforge.engine import load_design
    from rackforge.errors import InputError
    from rackforge.features.expand import ExpandError, dump, expand_design
    from rackforge.features.relocate import rebase_catalogs

    if fmt not in (None, "json", "yaml"):
        usage(f"unknown format {fmt!r}: expected json or yaml")
    try:
        ld = load_design(path, catalogs=tuple(catalog))
        data = rebase_catalogs(expand_design(ld), path, output)
    except InputError as exc:
        fail_input(exc)
    except ExpandError as exc:
        for pr in exc.problems:
            doc = pr.doc or ld.doc
            line, col = doc.locate(pr.pointer) if doc is not None else (None, None)
            where = f"{pr.file}:{line}:{col}" if line is not None else pr.file
            print(f"{where}: {pr.code} {pr.message}" + (f" (at {pr.pointer})" if pr.pointer else ""),
                  file=sys.stderr)
        print(f"{path}: not expanded; fix the problems above ('rackforge validate' shows them all)", file=sys.stderr)
        raise typer.Exit(EXIT_FINDINGS)
    if fmt is None:
        suffix = (output or "").lower()
        fmt = ("json" if suffix.endswith(".json") else "yaml" if suffix.endswith((".yaml", ".yml"))
               else ld.doc.fmt)
    emit(dump(data, fmt), output)
