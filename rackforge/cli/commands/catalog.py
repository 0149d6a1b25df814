"""`rackforge catalog import-netbox`: NetBox device types (devicetype-library YAML) to catalog parts."""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from rackforge.cli.app import EXIT_USAGE, emit, usage


def register(app: typer.Typer) -> None:
    sub = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Work on parts catalogs.")
    sub.command("import-netbox")(import_netbox)
    app.add_typer(sub, name="catalog")


def import_netbox(
    paths: List[str] = typer.Argument(..., metavar="FILE", help="NetBox device-type files (devicetype-library YAML) or folders "
                                      "of them."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the catalog to FILE (atomically); "
                                         "default stdout."),
    kind: List[str] = typer.Option([], "--kind", "-k", help="PN=KIND: the part kind of a device type (PN is its "
                                   "part_number, model or slug; KIND compute_tray, switch, switch_tray or pdu). "
                                   "Without it the kind is guessed and marked."),
    name: str = typer.Option("netbox-import", "--name", help="The catalog's name."),
    prefix: str = typer.Option("", "--prefix", help="Prefix for every imported part number (to import device types "
                               "the default catalog already has under numbers of their own)."),
):
    """Turn NetBox device types into rackforge catalog parts; every figure the files do not give is marked."""
    from pathlib import Path

    from rackforge.features.netbox.importer import check_catalog, dump, import_files, parse_kinds

    try:
        kinds = parse_kinds(kind)
    except ValueError as exc:
        usage(str(exc))
    files: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(str(f) for f in path.rglob("*") if f.suffix.lower() in (".yaml", ".yml") and f.is_file())
            if not found:
                usage(f"{p}: folder holds no .yaml/.yml files")
            files += found
        else:
            files.append(p)
    cat, warnings, errors = import_files(files, kinds, catalog=name)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if errors:
        for e in errors:
            print(e.render(), file=sys.stderr)
        print(f"rackforge: {len(errors)} file(s) not imported; no catalog written", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE)
    if prefix:
        for part in cat["parts"]:
            part["pn"] = prefix + part["pn"]
    else:  # part numbers are unique across loaded catalogs: the default catalog's own entry wins
        from rackforge.model.catalog import default_catalog

        known = default_catalog()
        kept = []
        for part in cat["parts"]:
            if known.get(part["pn"]) is not None:
                print(f"warning: {part['pn']} is in the default catalog already (with its sources): not imported; "
                      "use --prefix to import it under a number of its own", file=sys.stderr)
            else:
                kept.append(part)
        cat["parts"] = kept
    problems = check_catalog(cat)
    if problems:  # pragma: no cover - the importer writes only what the schema accepts; a bug if it does not
        for pr in problems:
            print(f"rackforge: internal error: imported part does not match the catalog schema: {pr}",
                  file=sys.stderr)
        raise typer.Exit(EXIT_USAGE)
    emit(dump(cat), output)
    print(f"imported {len(cat['parts'])} part(s) from {len(files)} file(s)", file=sys.stderr)
