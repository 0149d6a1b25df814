"""The command line: a thin layer over the engine and the reporters.

``main()`` answers ``--version`` before anything heavy is imported.
"""
from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path
from typing import Optional

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
REPORT_URL = "https://github.com/rackforge/rackforge/issues"

# One module per command in rackforge/cli/commands/, each with register(app). Add a command: a module + a name here.
COMMANDS = ["validate", "analyze", "rules", "schema", "generations", "render", "report", "matrix", "diff", "bom", "expand",
            "configure", "catalog", "export", "sweep", "envelope"]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["--version"], ["-V"]):
        from rackforge._version import __version__

        print(f"rackforge {__version__}")
        raise SystemExit(0)
    _quick_start()
    debug = bool(os.environ.get("RACKFORGE_DEBUG"))
    if args[:1] == ["--debug"]:
        debug, args = True, args[1:]
    app = build_app(only=_command_of(args))
    from rackforge.errors import InputError

    try:
        app(args=args, prog_name="rackforge", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover
        raise SystemExit(130)
    except InputError as exc:  # an input or output problem no command caught: one message, exit 2
        print(exc.render(), file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
    except OSError as exc:  # the system refused a read or write (disk full, permission): not a bug
        if debug:
            raise
        print(f"rackforge: error: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""),
              file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
    except Exception as exc:  # a bug: one line, not a traceback (unless asked for)
        if debug:
            raise
        print(internal_error_text(exc, args), file=sys.stderr)
        raise SystemExit(EXIT_INTERNAL)


def _quick_start() -> None:
    """Process settings that keep a short run short (a fresh ``validate`` of one rack is ~0.5 s, most of it
    imports and class creation):

    * pydantic plugins are not looked up: the lookup scans every installed distribution's entry points (~20 ms)
      and rackforge uses none. Set ``PYDANTIC_DISABLE_PLUGINS=`` (empty) to have them loaded.
    * the cyclic garbage collector's first generation runs every 50,000 allocations instead of 700: start-up
      allocates hundreds of thousands of long-lived objects (classes, schemas) and rescanning them dozens of
      times cost ~10 % of a one-design run. Cycles are still collected, in fewer, larger passes.
    * OpenBLAS (numpy's and scipy's BLAS) runs on one thread: rackforge's dense algebra is small blocks (a
      fault batch's [s, k, k] solves), too small to share, and OpenBLAS's idle threads spin between calls. On 2
      cores, 200 seed files on one process per core went 3.8 -> 2.9 s and a 1,056-rack hall 2.9 -> 1.8 s. Set
      ``OPENBLAS_NUM_THREADS`` (or ``MKL_NUM_THREADS`` for an MKL numpy) to have more.
    """
    import gc

    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # read when numpy loads, which is after this
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    gc.set_threshold(50_000, 20, 20)


def internal_error_text(exc: BaseException, args: list[str]) -> str:
    """The one line a user sees when rackforge itself fails: where (rule or command), which file, what, and how
    to report it. Exit code 3 (:data:`EXIT_INTERNAL`), distinct from findings (1) and bad input (2)."""
    from rackforge.errors import InternalError

    command = next((a for a in args if not a.startswith("-")), "?")
    where, file, cause = f"command {command!r}", None, exc
    if isinstance(exc, InternalError):
        where, file = f"{exc.where} during {command!r}", exc.file
        cause = exc.__cause__ or exc
    if file is None:
        file = next((a for a in args[1:] if a == "-" or (not a.startswith("-") and Path(a).is_file())), None)
    what = " ".join(f"{type(cause).__name__}: {cause}".split())   # one line, whatever the message holds
    if len(what) > 200:
        what = what[:197] + "..."
    return (f"rackforge: internal error in {where}" + (f" on {file}" if file else "") + f": {what}. This is a "
            f"bug in rackforge, not a finding about the design: please report it at {REPORT_URL} with the "
            "design file (run again with --debug before the command, or RACKFORGE_DEBUG=1, for the traceback).")


DESIGN_MARK = re.compile(r'(?m)^\s*\{?\s*"?rackforge"?\s*:')


def expand_paths(paths: list[str]) -> tuple[list[str], list]:
    """Files as given; folders searched for design files (JSON/YAML with a top-level 'rackforge' key)."""
    from rackforge.io.document import DESIGN_SUFFIXES
    from rackforge.errors import InputError

    files: list[str] = []
    errors: list = []
    for p in paths:
        if p == "-":
            files.append(p)
            continue
        path = Path(p)
        if path.is_dir():
            found = []
            for f in sorted(path.rglob("*")):
                if f.suffix.lower() in DESIGN_SUFFIXES and f.is_file() and not any(
                        part.startswith(".") for part in f.relative_to(path).parts):
                    try:
                        head = f.read_text(encoding="utf-8", errors="replace")[:4096]
                    except OSError:
                        continue
                    if DESIGN_MARK.search(head):
                        found.append(str(f))
            if not found:
                errors.append(InputError("folder holds no design files (JSON or YAML with a top-level "
                                         "'rackforge' key)", file=p))
            files.extend(found)
        else:
            files.append(p)
    return files, errors


_VALUED_ROOT_OPTIONS = ("--max-elements", "--time-limit")


def _command_of(args: list[str]) -> str | None:
    """The command a command line runs (None: help, a misspelling, or no command): the first word that is not
    a root option or a root option's value."""
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a in _VALUED_ROOT_OPTIONS:
            skip = True
        elif not a.startswith("-"):
            return a if a in COMMANDS else None
    return None


def build_app(only: str | None = None):
    """The typer app with every command, or with ``only`` that one (what a run needs: the other commands'
    registration is ~25 ms of a 0.5 s one-design run; help, a misspelt command and completion get them all)."""
    import typer

    app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                      help="Validate, analyse and configure AI data-center rack designs.",
                      context_settings={"help_option_names": ["-h", "--help"]})

    @app.callback()
    def _root(version: bool = typer.Option(False, "--version", "-V", help="Print the version and exit."),
              debug: bool = typer.Option(False, "--debug", help="Show the traceback of an internal error "
                                         "(also RACKFORGE_DEBUG=1) instead of the one-line report."),
              max_elements: Optional[int] = typer.Option(None, "--max-elements", min=0, help="Largest design "
                                                         "checked, in mounts, ports and links per rack instance "
                                                         "(default 32,000,000; 0: no limit; also "
                                                         "RACKFORGE_MAX_ELEMENTS)."),
              time_limit: Optional[float] = typer.Option(None, "--time-limit", min=0, help="Seconds of checking "
                                                         "after which the remaining rules are skipped (default "
                                                         "300; 0: no limit; also RACKFORGE_TIME_LIMIT).")):
        if max_elements is not None:
            os.environ["RACKFORGE_MAX_ELEMENTS"] = str(max_elements)
        if time_limit is not None:
            os.environ["RACKFORGE_TIME_LIMIT"] = repr(float(time_limit))
        if version:
            from rackforge._version import __version__

            print(f"rackforge {__version__}")
            raise typer.Exit(0)

    for name in ([only] if only else COMMANDS):
        importlib.import_module(f"rackforge.cli.commands.{name}").register(app)
    return app


def usage(msg: str):
    import typer

    print(f"rackforge: error: {msg}", file=sys.stderr)
    raise typer.Exit(EXIT_USAGE)


def fail_input(exc):
    import typer

    print(exc.render(), file=sys.stderr)
    raise typer.Exit(EXIT_USAGE)


def load_design_or_exit(path: str, opts, purpose: str):
    """Load a design for a command that needs a schema-valid one (render, report): exit 2 when unreadable, 1 when
    it does not match the schema, naming the first problems and ``purpose`` ("it cannot be drawn")."""
    import typer

    from rackforge.engine import load_design
    from rackforge.errors import InputError

    try:
        ld = load_design(path, catalogs=opts.catalogs, generation=opts.generation)
    except InputError as exc:
        fail_input(exc)
    if ld.design is None:
        print(ld.unusable(purpose), file=sys.stderr)
        raise typer.Exit(EXIT_FINDINGS)
    return ld


def emit(text: str, output: str | None) -> None:
    if output:
        from rackforge.io.fileio import atomic_write

        atomic_write(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def analysis_text(data: dict) -> str:
    lines = [f"design {data['design']!r}  generation {data['generation']}  operating point {data['operating_point']}"]
    t = data["totals"]
    lines.append(f"  racks {t.get('racks', 0)}   accelerators {t.get('accelerator_packages', 0)} packages / "
                 f"{t.get('accelerator_dies', 0)} dies   mass {t.get('mass_kg', 0):,.0f} kg   IT power max "
                 f"{t.get('it_power_max_w', 0) / 1000:,.1f} kW")
    for r in data["racks"]:
        gen = f" ({r['generation']})" if r.get("generation") else ""
        lines.append(f"  rack {r['definition']} x{r['instances']}{gen}: frame {r['frame']}, {r['rack_units_used']}/"
                     f"{r['rack_units_total']} units, {r['mass_kg']:,.0f} kg, IT idle/typical/max/peak "
                     f"{r['it_power_idle_w'] / 1000:,.1f}/{r['it_power_typical_w'] / 1000:,.1f}/"
                     f"{r['it_power_max_w'] / 1000:,.1f}/{r['it_power_peak_w'] / 1000:,.1f} kW")
        kinds = ", ".join(f"{k} {v}" for k, v in r["parts_by_kind"].items())
        lines.append(f"    parts: {kinds}")
    lines += _power_text(data.get("power") or {})
    lines += _cooling_text(data.get("cooling"))
    return "\n".join(lines) + "\n"


def _power_text(p: dict) -> list[str]:
    """The short power table of `rackforge analyze` (first instance of each rack definition)."""
    if not p.get("modelled"):
        return []
    kw = lambda w: f"{(w or 0) / 1000:,.1f}"  # noqa: E731
    out = [f"  power ({p['solver']} solver, {p['scenarios']} scenarios): facility input {kw(p['facility_input_w'])} kW"
           f" = IT {kw(p['it_load_w'])} + PSU loss {kw(p['psu_loss_w'])} + busbar loss {kw(p['busbar_loss_w'])} kW"]
    for f in p.get("feeds", []):
        cur = "/".join(f"{x:.0f}" for x in f["line_current_a"]) if f["line_current_a"] else f"{f['current_a']:.0f}"
        out.append(f"    feed {f['name']:<12} {kw(f['input_w']):>8} kW  {cur} A of {f['limit_a']:.0f} A "
                   f"({f['loading']:.0%}; worst {f['worst_loading']:.0%} under {f['worst_scenario']})")
    for g in p.get("shelves", []) + p.get("servers", [])[:8]:
        lf = f"{g['psu_load_fraction_max']:.0%}" if g.get("psu_rating_w") else "-"
        out.append(f"    {g['kind']:<6} {g['rack']}/{g['name']:<10} {g['psus']} PSU  {kw(g['output_w']):>8} kW out  "
                   f"PSU load {lf}")
    if p.get("min_tap_voltage"):
        t = p["min_tap_voltage"]
        out.append(f"    lowest tap {t['load']} {t['voltage_v']:.2f} V (min {t['minimum_v']:.1f} V)")
    w = p.get("worst_scenario")
    if w:
        out.append(f"    worst fault: {w['scenario']} (margin {w['margin']:.1%}"
                   + (f", unserved {kw(w['unserved_w'])} kW" if w["unserved_w"] else "") + ")")
    return out


def _cooling_text(c: dict | None) -> list[str]:
    """The short cooling table of `rackforge analyze`: per loop its CDU, temperatures, flows and worst fault; per
    rack the heat split and airflow."""
    if not c:
        return []
    out = []
    for lp in c.get("loops", []):
        head = (f"  cooling loop {lp['definition']}/{lp['loop']}: {lp['cdu']} ({lp['cdu_placement']}, share "
                f"{lp['cdu_share']:g}), {lp['coolant']}")
        if not lp.get("solved"):
            out.append(f"{head}: not solved ({lp.get('not_solved_because')})")
            continue
        out.append(f"{head}, {lp.get('solver')} solver")
        pump = lp.get("pump") or {}
        out.append(f"    liquid {lp['heat_to_liquid_w'] / 1e3:,.1f} kW of {lp['cdu_capacity_w'] / 1e3:,.1f} kW capacity,"
                   f" supply {lp['supply_temperature_c']:.1f} degC, return {lp['return_temperature_c']:.1f} degC, "
                   f"pumps {(pump.get('flow_m3_s') or 0) * 6e4:,.1f} L/min at "
                   f"{(pump.get('pressure_rise_pa') or 0) / 1e3:,.0f} kPa")
        br = lp.get("branches") or []
        flows = [b["flow_m3_s"] * 6e4 for b in br if b.get("flow_m3_s") is not None]
        margins = [b["case_temperature_margin_k"] for b in br if b.get("case_temperature_margin_k") is not None]
        if flows:
            out.append(f"    {len(br)} branches: {min(flows):.2f}-{max(flows):.2f} L/min"
                       + (f", least case-temperature margin {min(margins):.1f} K" if margins else ""))
        w = lp.get("worst_scenario")
        if w and w.get("case_temperature_margin_k") is not None:
            out.append(f"    worst fault: {w['scenario']} (case-temperature margin "
                       f"{w['case_temperature_margin_k']:.1f} K)")
    for r in c.get("racks", []):
        share = r.get("liquid_share")
        out.append(f"  cooling rack {r['definition']}: {r['heat_to_liquid_w'] / 1e3:,.1f} kW to liquid, "
                   f"{r['heat_to_air_w'] / 1e3:,.1f} kW to air" + (f" ({share:.0%} liquid)" if share is not None else "")
                   + f", airflow {r['airflow_needed_m3_s'] / 4.719474e-4:,.0f} of "
                   f"{r['airflow_available_m3_s'] / 4.719474e-4:,.0f} CFM, exhaust {r['exhaust_temperature_c']:.1f} degC")
    return out


if __name__ == "__main__":  # pragma: no cover
    main()
