"""`rackforge generations`."""
from __future__ import annotations

from typing import List, Optional

import typer

from rackforge.cli.app import usage


def register(app: typer.Typer) -> None:
    app.command()(generations)


def generations(
    action: Optional[str] = typer.Argument(None, help="'show' to print one profile."),
    gen_id: Optional[str] = typer.Argument(None, help="Generation id."),
    catalog: List[str] = typer.Option([], "--catalog", "-c"),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
):
    """List the generation profiles, or show one with inherited values resolved and their sources."""
    from rackforge.features.genview import list_generations, show_generation

    if action is None:
        print(list_generations(catalog, fmt), end="")
    elif action == "show" and gen_id:
        try:
            print(show_generation(gen_id, catalog, fmt), end="")
        except KeyError as exc:
            usage(str(exc.args[0]))
    else:
        usage("usage: rackforge generations [show GENERATION]")
