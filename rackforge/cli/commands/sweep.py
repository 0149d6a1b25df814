"""`rackforge sweep`: design-space and fault sweeps on Dask distributed, results in a Parquet dataset."""
from __future__ import annotations

import sys
from typing import Optional

import typer

from rackforge.cli.app import EXIT_FINDINGS, EXIT_OK, fail_input, usage


def need_sweep_extra(*modules: str) -> None:
    """Exit 2 with the install command when an optional dependency of sweeps and envelopes is missing."""
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        usage(f"this command needs {', '.join(missing)}: pip install 'rackforge[sweep]'")


def register(app: typer.Typer) -> None:
    app.command()(sweep)


def sweep(
    spec: str = typer.Argument(..., metavar="SPEC", help="The sweep SPEC (YAML or JSON; schema in schemas/rackforge-sweep.schema.json)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Output folder of Parquet files (default: "
                                         "SPEC's name with .parquet, in the current folder). Cases already in it "
                                         "are skipped: a stopped sweep resumes."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler "
                                            "(tcp://host:8786); default: a local cluster."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1, help="Worker processes of the local "
                                          "cluster (default: one per core)."),
    serial: bool = typer.Option(False, "--serial", help="No Dask: run the cases in this process."),
    restart: bool = typer.Option(False, "--restart", help="Delete the output's earlier results first."),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="Progress bar on stderr "
                                            "(default: when stderr is a terminal)."),
):
    """Analyse every case of a SPEC (designs x generations x operating points x substitutions x fault depths x
    site points) on Dask and write one row per case to Parquet: the verdict and the `analyze --format json`
    figures, flattened. Exit 0 when every case ran, 1 when some case could not be analysed, 2 for a bad SPEC."""
    from pathlib import Path

    from rackforge.errors import InputError
    from rackforge.features.sweep.cases import load_spec

    need_sweep_extra("pyarrow", *(() if serial else ("distributed",)))
    if scheduler and (serial or workers):
        usage("--scheduler uses an existing cluster: --serial and --workers do not apply")
    try:
        ls = load_spec(spec)
    except InputError as exc:
        fail_input(exc)
    out = Path(output) if output else Path(f"{Path(spec).stem}.parquet")
    if out.exists() and not out.is_dir():
        usage(f"--output {out}: exists and is not a folder")
    if restart and out.is_dir():
        for f in out.glob("part-*.parquet"):
            f.unlink()
    from rackforge.features.sweep.run import run_sweep

    show = sys.stderr.isatty() if progress is None else progress
    try:
        s = run_sweep(ls, out, scheduler=scheduler, workers=workers, serial=serial, progress=show)
    except OSError as exc:
        usage(f"cannot reach the Dask scheduler {scheduler!r}: {exc}" if scheduler else str(exc))
    print(f"{ls.spec.name}: {s.cases} cases, {s.skipped} already in {out}, {s.ran} run on {s.workers} worker(s) "
          f"in {s.seconds:.1f} s: {s.passed} pass, {s.failed} fail"
          + (f", {s.broken} could not be analysed (see column 'failure')" if s.broken else ""))
    raise typer.Exit(EXIT_FINDINGS if s.broken else EXIT_OK)
