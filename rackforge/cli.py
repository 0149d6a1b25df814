"""The command line: a thin layer over the engine and the reporters.

``main()`` answers ``--version`` before anything heavy is imported.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import List, Optional

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["--version"], ["-V"]):
        from rackforge._version import __version__

        print(f"rackforge {__version__}")
        raise SystemExit(0)
    app = build_app()
    try:
        app(args=args, prog_name="rackforge", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover
        raise SystemExit(130)


_DESIGN_MARK = re.compile(r'(?m)^\s*\{?\s*"?rackforge"?\s*:')


def expand_paths(paths: list[str]) -> tuple[list[str], list]:
    """Files as given; folders searched for design files (JSON/YAML with a top-level 'rackforge' key)."""
    from rackforge.document import DESIGN_SUFFIXES
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
                    if _DESIGN_MARK.search(head):
                        found.append(str(f))
            if not found:
                errors.append(InputError("folder holds no design files (JSON or YAML with a top-level "
                                         "'rackforge' key)", file=p))
            files.extend(found)
        else:
            files.append(p)
    return files, errors


def build_app():
    import typer

    app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                      help="Validate, analyse and configure AI data-center rack designs.",
                      context_settings={"help_option_names": ["-h", "--help"]})

    @app.callback()
    def _root(version: bool = typer.Option(False, "--version", "-V", help="Print the version and exit.")):
        if version:
            from rackforge._version import __version__

            print(f"rackforge {__version__}")
            raise typer.Exit(0)

    @app.command()
    def validate(
        paths: List[str] = typer.Argument(..., help="Design files, folders (searched), or - for stdin."),
        fmt: str = typer.Option("text", "--format", "-f", help="text, concise or json."),
        output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the report to FILE (atomically)."),
        select: List[str] = typer.Option([], "--select", help="Only these rule codes or prefixes (RF1, RF201)."),
        ignore: List[str] = typer.Option([], "--ignore", help="Skip these rule codes or prefixes."),
        generation: Optional[str] = typer.Option(None, "--generation", "-g", help="Check against this generation "
                                                 "instead of the one the design declares."),
        catalog: List[str] = typer.Option([], "--catalog", "-c", help="Extra catalog file (repeatable)."),
        operating_point: Optional[str] = typer.Option(None, "--operating-point", help="idle, typical, max or peak."),
        fail_on: str = typer.Option("error", "--fail-on", help="Lowest severity that fails the run: error, warning."),
        exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even with findings."),
        statistics: bool = typer.Option(False, "--statistics", help="Count findings per rule."),
    ):
        """Check designs against their generation's requirements and the rules."""
        from rackforge.engine import Options, validate as run
        from rackforge.errors import InputError
        from rackforge.findings import Severity
        from rackforge.reporters import REPORTERS

        if fmt not in REPORTERS:
            _usage(f"unknown format {fmt!r}: expected one of {', '.join(REPORTERS)}")
        if operating_point not in (None, "idle", "typical", "max", "peak"):
            _usage(f"unknown operating point {operating_point!r}: expected idle, typical, max or peak")
        try:
            fail_sev = Severity.parse(fail_on)
        except ValueError as exc:
            _usage(str(exc))
        opts = Options(select=tuple(select), ignore=tuple(ignore), generation=generation,
                       catalogs=tuple(catalog), operating_point=operating_point)
        files, errors = expand_paths(paths)
        results = []
        for f in files:
            try:
                results.append(run(f, opts))
            except InputError as exc:
                errors.append(exc)
        color = output is None and fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        report = REPORTERS[fmt](results, errors, statistics=statistics, color=color)
        _emit(report, output)
        if errors:
            raise typer.Exit(EXIT_USAGE)
        worst = max((f.severity for r in results for f in r.findings), default=None)
        if not exit_zero and worst is not None and worst >= fail_sev:
            raise typer.Exit(EXIT_FINDINGS)
        raise typer.Exit(EXIT_OK)

    @app.command()
    def analyze(
        path: str = typer.Argument(..., help="A design file, or - for stdin."),
        fmt: str = typer.Option("text", "--format", "-f", help="json or text."),
        output: Optional[str] = typer.Option(None, "--output", "-o"),
        generation: Optional[str] = typer.Option(None, "--generation", "-g"),
        catalog: List[str] = typer.Option([], "--catalog", "-c"),
        operating_point: Optional[str] = typer.Option(None, "--operating-point"),
    ):
        """Print the computed model (counts, power, mass, rack units) with SI units in the keys."""
        import json

        from rackforge.engine import Options
        from rackforge.api import analyze as run
        from rackforge.errors import InputError

        if fmt not in ("json", "text"):
            _usage(f"unknown format {fmt!r}: expected json or text")
        try:
            data = run(path, Options(generation=generation, catalogs=tuple(catalog),
                                     operating_point=operating_point))
        except InputError as exc:
            _fail_input(exc)
        except ValueError as exc:  # design with schema errors
            print(f"{path}: error: {exc}", file=sys.stderr)
            raise typer.Exit(EXIT_FINDINGS)
        if fmt == "json":
            _emit(json.dumps(data, indent=2) + "\n", output)
        else:
            _emit(_analysis_text(data), output)

    @app.command()
    def rules(
        code: Optional[str] = typer.Argument(None, help="A rule code (RF101) or name to explain."),
        fmt: str = typer.Option("text", "--format", "-f", help="text, json or markdown."),
    ):
        """List the rules, or explain one."""
        from rackforge.rules import all_rules
        from rackforge.ruledocs import rule_json, rule_markdown, rules_table

        reg = all_rules()
        if code is None:
            if fmt == "json":
                import json

                print(json.dumps([rule_json(r) for r in reg.values()], indent=2))
            elif fmt == "markdown":
                print(rules_table(reg), end="")
            else:
                for r in reg.values():
                    print(f"{r.code}  {r.severity!s:<8} {r.name:<38} {r.summary}")
            return
        r = reg.get(code.upper()) or next((x for x in reg.values() if x.name == code), None)
        if r is None:
            _usage(f"unknown rule {code!r}; 'rackforge rules' lists them")
        if fmt == "json":
            import json

            print(json.dumps(rule_json(r), indent=2))
        else:
            print(rule_markdown(r), end="")

    @app.command()
    def schema(
        name: str = typer.Argument("design", help="design, catalog or generations."),
        output: Optional[str] = typer.Option(None, "--output", "-o"),
    ):
        """Print a JSON Schema of the file formats."""
        from rackforge.jsonschema import SCHEMAS, schema_text

        if name not in SCHEMAS:
            _usage(f"unknown schema {name!r}: expected one of {', '.join(SCHEMAS)}")
        _emit(schema_text(name), output)

    @app.command()
    def generations(
        action: Optional[str] = typer.Argument(None, help="'show' to print one profile."),
        gen_id: Optional[str] = typer.Argument(None, help="Generation id."),
        catalog: List[str] = typer.Option([], "--catalog", "-c"),
        fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    ):
        """List the generation profiles, or show one with inherited values resolved and their sources."""
        from rackforge.genview import list_generations, show_generation

        if action is None:
            print(list_generations(catalog, fmt), end="")
        elif action == "show" and gen_id:
            try:
                print(show_generation(gen_id, catalog, fmt), end="")
            except KeyError as exc:
                _usage(str(exc.args[0]))
        else:
            _usage("usage: rackforge generations [show GENERATION]")

    return app


def _usage(msg: str):
    import typer

    print(f"rackforge: error: {msg}", file=sys.stderr)
    raise typer.Exit(EXIT_USAGE)


def _fail_input(exc):
    import typer

    print(exc.render(), file=sys.stderr)
    raise typer.Exit(EXIT_USAGE)


def _emit(text: str, output: str | None) -> None:
    if output:
        from rackforge.fileio import atomic_write

        atomic_write(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _analysis_text(data: dict) -> str:
    lines = [f"design {data['design']!r}  generation {data['generation']}  operating point {data['operating_point']}"]
    t = data["totals"]
    lines.append(f"  racks {t.get('racks', 0)}   accelerators {t.get('accelerator_packages', 0)} packages / "
                 f"{t.get('accelerator_dies', 0)} dies   mass {t.get('mass_kg', 0):,.0f} kg   IT power max "
                 f"{t.get('it_power_max_w', 0) / 1000:,.1f} kW")
    for r in data["racks"]:
        lines.append(f"  rack {r['definition']} x{r['instances']}: frame {r['frame']}, {r['rack_units_used']}/"
                     f"{r['rack_units_total']} units, {r['mass_kg']:,.0f} kg, IT idle/typical/max/peak "
                     f"{r['it_power_idle_w'] / 1000:,.1f}/{r['it_power_typical_w'] / 1000:,.1f}/"
                     f"{r['it_power_max_w'] / 1000:,.1f}/{r['it_power_peak_w'] / 1000:,.1f} kW")
        kinds = ", ".join(f"{k} {v}" for k, v in r["parts_by_kind"].items())
        lines.append(f"    parts: {kinds}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    main()
