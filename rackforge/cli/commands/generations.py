"""`rackforge generations`."""
from __future__ import annotations

from typing import List, Optional

import typer

from rackforge.cli.app import usage


def register(app: typer.Typer) -> None:
    app.command()(generations)


def generations(
    action: Optional[str] = typer.Argument(None, metavar="ACTION", help="'show' to print one profile; 'check' to check every "
                                           "profile against the parts of the seed designs that name it."),
    gen_id: Optional[str] = typer.Argument(None, metavar="GENERATION", help="Generation id."),
    catalog: List[str] = typer.Option([], "--catalog", "-c"),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    seeds: str = typer.Option("seeds", "--seeds", help="check: the directory of seed designs."),
):
    """List the generation profiles, show one with inherited values resolved and their sources, or check them
    (power envelope deliverable with the redundancy they demand by their seed's parts; air class against the
    parts' own limits). check exits 1 on an inconsistent profile or a profile without a seed."""
    from rackforge.features.genview import list_generations, show_generation

    if action is None:
        print(list_generations(catalog, fmt), end="")
    elif action == "show" and gen_id:
        try:
            print(show_generation(gen_id, catalog, fmt), end="")
        except KeyError as exc:
            usage(str(exc.args[0]))
    elif action == "check":
        import os

        from rackforge.features.profilecheck import report

        if not os.path.isdir(seeds):
            usage(f"{seeds}: not a directory of seed designs (--seeds)")
        text, code = report(seeds, catalog, fmt)
        print(text, end="")
        raise typer.Exit(code)
    else:
        usage("usage: rackforge generations [show GENERATION | check [--seeds DIR]]")
