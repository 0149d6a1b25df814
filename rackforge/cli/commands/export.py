"""`rackforge export netbox`: a design as NetBox bulk-import files (and optionally pushed to a NetBox)."""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from rackforge.cli.app import fail_input, usage


def register(app: typer.Typer) -> None:
    sub = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Write a design in another tool's format.")
    sub.command("netbox")(netbox)
    app.add_typer(sub, name="export")


def netbox(
    path: str = typer.Argument(..., metavar="DESIGN", help="A design file, or - for stdin."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Folder to write the bulk-import files to "
                                         "(written whole or not at all; an earlier export there is replaced)."),
    push: Optional[str] = typer.Option(None, "--push", metavar="URL", help="Also create the objects in the NetBox "
                                       "at URL through its API (needs pynetbox: pip install 'rackforge[netbox]'; "
                                       "the token is read from NETBOX_TOKEN)."),
    catalog: List[str] = typer.Option([], "--catalog", "-c", help="Extra catalog file (repeatable)."),
):
    """Write the design as NetBox bulk-import files: sites, rows, rack types and racks, device types, devices at
    their positions and faces, power panels and feeds, and cables between interfaces."""
    if output is None and push is None:
        usage("give --output DIR, --push URL or both")
    from rackforge.engine import load_design
    from rackforge.errors import InputError
    from rackforge.features.netbox.exporter import export_design, write_folder

    try:
        ld = load_design(path, catalogs=tuple(catalog))
        ex = export_design(ld)
        if output is not None:
            write_folder(ex.files(), output)
        if push is not None:
            from rackforge.features.netbox.push import connect, push as do_push

            res = do_push(ex, connect(push))
    except InputError as exc:
        fail_input(exc)
    except OSError as exc:
        usage(f"{output}: cannot write: {exc.strerror or exc}")
    n = {k: len(v) for k, v in ex.records.items()}
    if output is not None:
        print(f"wrote {output}: {len(ex.device_types)} device types, {n['racks']} racks, {n['devices']} devices, "
              f"{n['power_feeds']} power feeds, {n['cables']} cables", file=sys.stderr)
    if push is not None:
        made = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in res.created.items()) or "nothing"
        print(f"pushed to {push}: created {made}" + (f"; {sum(res.existing.values())} already there"
                                                      if res.existing else ""), file=sys.stderr)
