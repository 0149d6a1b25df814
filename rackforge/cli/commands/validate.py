"""`rackforge validate`."""
from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer

from rackforge.cli.app import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, emit, usage, expand_paths

FORMATS = "text, concise, json, sarif, github, junit or gitlab"


def register(app: typer.Typer) -> None:
    app.command()(validate)


def validate(
    paths: List[str] = typer.Argument(..., metavar="PATH", help="Design files, folders (searched), or - for stdin."),
    fmt: str = typer.Option("text", "--format", "-f", help=f"Output format: {FORMATS}."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the report to FILE (atomically)."),
    select: List[str] = typer.Option([], "--select", help="Only these rule codes or prefixes (RF1, RF201); "
                                     "replaces the configuration's list."),
    ignore: List[str] = typer.Option([], "--ignore", help="Skip these rule codes or prefixes; replaces the "
                                     "configuration's list."),
    generation: Optional[str] = typer.Option(None, "--generation", "-g", help="Check against this generation "
                                             "instead of the one the design declares."),
    catalog: List[str] = typer.Option([], "--catalog", "-c", help="Extra catalog file (repeatable; added to the "
                                      "configuration's catalogs)."),
    operating_point: Optional[str] = typer.Option(None, "--operating-point", help="idle, typical, max or peak."),
    fail_on: Optional[str] = typer.Option(None, "--fail-on", help="Lowest severity that fails the run: error "
                                          "(default), warning or info."),
    exit_zero: Optional[bool] = typer.Option(None, "--exit-zero/--no-exit-zero", help="Exit 0 even with findings."),
    statistics: Optional[bool] = typer.Option(None, "--statistics/--no-statistics", help="Count findings per rule."),
    config: Optional[str] = typer.Option(None, "--config", help="Read settings from this rackforge.toml or "
                                         "pyproject.toml instead of the nearest one above each design."),
    isolated: bool = typer.Option(False, "--isolated", help="Ignore configuration files."),
    skip_non_designs: bool = typer.Option(False, "--skip-non-designs", help="Skip files without a top-level "
                                          "'rackforge' key instead of reporting them (for pre-commit hooks)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the result cache "
                                  "($XDG_CACHE_HOME/rackforge/results; also RACKFORGE_NO_CACHE=1)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Worker processes for designs not in "
                                       "the cache (default: one per core; 1: this process only)."),
):
    """Check designs against their generation's requirements and the rules.

    Settings come from [tool.rackforge] in pyproject.toml or from rackforge.toml, the nearest one above each
    design; command-line flags override them.
    """
    from rackforge.engine.config import NO_CONFIG, ConfigCache, check_codes
    from rackforge.engine import Options
    from rackforge.errors import InputError
    from rackforge.model.findings import Severity
    from rackforge.reporters import REPORTERS

    if fmt not in REPORTERS:
        usage(f"unknown format {fmt!r}: expected {FORMATS}")
    if operating_point not in (None, "idle", "typical", "max", "peak"):
        usage(f"unknown operating point {operating_point!r}: expected idle, typical, max or peak")
    for flag, codes in (("--select", select), ("--ignore", ignore)):
        bad = check_codes(codes)
        if bad:
            usage(f"{flag}: {bad}; rule codes are RF followed by up to three digits ('rackforge rules' lists them)")
    cli_fail = None
    if fail_on is not None:
        try:
            cli_fail = Severity.parse(fail_on)
        except ValueError as exc:
            usage(str(exc))
    files, errors = expand_paths(paths)
    if skip_non_designs:
        files = [f for f in files if f == "-" or _looks_like_design(f)]
    # configuration: one explicit file, or the nearest one per design; any mistake in it stops the run (exit 2)
    cache = ConfigCache()
    try:
        if isolated:
            configs = {f: NO_CONFIG for f in files}
        elif config is not None:
            explicit = cache.load(_path(config))
            configs = {f: explicit for f in files}
        else:
            configs = {f: cache.for_design(f) for f in files}
    except InputError as exc:
        print(exc.render(), file=sys.stderr)
        raise typer.Exit(EXIT_USAGE)
    # each design: its settings, then the cache (content-keyed), then the misses across processes (one per core)
    from rackforge.engine import Result
    from rackforge.engine.cache import ResultCache, validate_many

    rcache = ResultCache(enabled=not no_cache)
    plan = []                                   # (file, Options, cache key)
    for f in files:
        cfg = configs[f]
        opts = Options(
            select=tuple(select) if select else (cfg.select or ()),
            ignore=(tuple(ignore) if ignore else (cfg.ignore or ())) + cfg.ignores_for(f),
            generation=generation, catalogs=cfg.catalogs + tuple(catalog), operating_point=operating_point)
        key = rcache.key(f, select=opts.select, ignore=opts.ignore, generation=opts.generation,
                         catalogs=opts.catalogs, operating_point=opts.operating_point)
        plan.append((f, opts, key))
    outcome: dict[int, tuple] = {}
    todo: dict = {}                             # key (or a per-file token) -> plan indexes
    for i, (f, opts, key) in enumerate(plan):
        hit = rcache.get(key, f)
        if hit is not None:
            outcome[i] = ("ok", (f, hit))
        else:
            todo.setdefault(key if key is not None else ("file", i), []).append(i)
    firsts = [idx[0] for idx in todo.values()]  # identical designs (same key) are validated once
    done = validate_many([(plan[i][0], plan[i][1]) for i in firsts], jobs)
    for (k, idx), (status, value) in zip(todo.items(), done):
        if status == "ok":
            path0, found = value
            rcache.put(plan[idx[0]][2], path0, found)
            outcome[idx[0]] = ("ok", (path0, found))        # path0: as the engine names it ("<stdin>" for -)
            for i in idx[1:]:
                outcome[i] = ("ok", (plan[i][0], rcache.retarget(found, path0, plan[i][0])))
        else:
            for i in idx:
                outcome[i] = (status, value)
    results = []
    failing = False
    for i, (f, opts, key) in enumerate(plan):
        status, value = outcome[i]
        if status != "ok":
            errors.append(value)
            continue
        res = Result(value[0], value[1])
        results.append(res)
        cfg = configs[f]
        sev = cli_fail if cli_fail is not None else Severity.parse(cfg.fail_on or "error")
        zero = exit_zero if exit_zero is not None else bool(cfg.exit_zero)
        worst = res.worst()
        if not zero and worst is not None and worst >= sev:
            failing = True
    stats = statistics if statistics is not None else any(c.statistics for c in configs.values())
    color = output is None and fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    report_fail = cli_fail if cli_fail is not None else Severity.parse(
        next((c.fail_on for c in configs.values() if c.fail_on), "error"))
    report = REPORTERS[fmt](results, errors, statistics=stats, color=color, fail_on=report_fail)
    emit(report, output)
    if errors:
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_OK)


def _path(p: str):
    from pathlib import Path

    return Path(p)


def _looks_like_design(path: str) -> bool:
    """A JSON/YAML file whose head has a top-level 'rackforge' key (unreadable files are kept, to be reported)."""
    from rackforge.cli.app import DESIGN_MARK

    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return True
    return DESIGN_MARK.search(head) is not None
