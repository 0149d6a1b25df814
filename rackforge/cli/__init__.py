"""Command-line interface: the typer app (:mod:`rackforge.cli.app`) and one module per command (``commands/``)."""


def main() -> None:
    from rackforge.cli.app import main as _main

    _main()
