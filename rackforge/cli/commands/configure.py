"""`rackforge configure`: a valid, optimised design from a generation's requirements and a catalog."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from rackforge.cli.app import EXIT_FINDINGS, fail_input, usage

SET_HELP = ("Override a requirement or the site: SECTION.FIELD=VALUE of a generation profile "
            "(power.rack_power_max=60kW, scale_up.domain_packages=36) or site.FIELD=VALUE "
            "(site.facility_water_supply_temperature=45degC). Tighter overrides are met; looser ones are recorded "
            "as waivers in the design. Repeatable.")


def register(app: typer.Typer) -> None:
    app.command()(configure)


def _alt_path(output: str, k: int) -> str:
    p = Path(output)
    return str(p.with_name(f"{p.stem}-{k}{p.suffix}")) if k > 1 else output


def _catalog_refs(catalogs: list[str], output: str) -> list[str] | None:
    """Catalog paths as the written design names them (relative to it), when they lie in its repository."""
    from rackforge.features.relocate import refs_from

    return refs_from([Path(c) for c in catalogs], output) if catalogs else None


def configure(
    generation: str = typer.Option(..., "--generation", "-g", help="The generation profile to design for."),
    output: str = typer.Option(..., "--output", "-o", help="Write the design to FILE (atomically; .yaml/.yml "
                               "writes YAML, else JSON). Alternatives go to FILE-2, FILE-3, ..."),
    catalog: List[str] = typer.Option([], "--catalog", "-c", help="Extra catalog file (repeatable)."),
    objective: str = typer.Option("cost", "--objective", help="cost, power, weight or domestic (the domestic "
                                  "cost share, maximised). Ties are broken by cost."),
    racks: Optional[int] = typer.Option(None, "--racks", min=1, help="Number of identical racks (default: 1, or "
                                        "the fewest that hold --accelerators)."),
    accelerators: Optional[int] = typer.Option(None, "--accelerators", min=1, help="Accelerator packages to "
                                               "provide in all (default: fill each rack with whole scale-up "
                                               "domains)."),
    sets: List[str] = typer.Option([], "--set", help=SET_HELP),
    alternatives: int = typer.Option(1, "--alternatives", "-k", min=1, max=20, help="Write the K best distinct "
                                     "designs and print a comparison table."),
    bom: Optional[str] = typer.Option(None, "--bom", help="Write the design's BOM to FILE too (format from its "
                                      "suffix: .csv, .json, .md, .xlsx)."),
    name: Optional[str] = typer.Option(None, "--name", help="The design's name (default GENERATION-configured)."),
):
    """Configure a design: parts, counts, placement, power, cooling and cabling chosen by a CP-SAT model and
    checked by every rule; the result validates clean. Exit 1 when no design is possible (with the reason)."""
    from rackforge.features.configure import OBJECTIVES, Infeasible
    from rackforge.features.configure import configure as run
    from rackforge.features.configure.requirements import parse_sets
    from rackforge.errors import InputError
    from rackforge.io.fileio import atomic_write

    if objective not in OBJECTIVES:
        usage(f"unknown objective {objective!r}: expected {', '.join(OBJECTIVES)}")
    bom_fmt = None
    if bom is not None:
        from rackforge.features import bom as B

        bom_fmt = B.format_for(bom)
        if bom_fmt is None:
            usage(f"--bom {bom}: unknown BOM format; expected a .csv, .json, .md or .xlsx file")
    fmt = "yaml" if output.lower().endswith((".yaml", ".yml")) else "json"
    for target in [output] + ([bom] if bom else []):
        folder = Path(target).parent
        if not folder.is_dir():
            usage(f"cannot write {target}: folder {str(folder)!r} does not exist")
    quiet = not sys.stderr.isatty()
    try:
        designs = run(generation, catalogs=list(catalog), objective=objective, racks=racks,
                      accelerators=accelerators, sets=parse_sets(list(sets)), alternatives=alternatives,
                      name=name, catalog_refs=_catalog_refs(list(catalog), output),
                      progress=None if quiet else (lambda s: print(f"  {s}", file=sys.stderr)))
    except InputError as exc:
        fail_input(exc)
    except Infeasible as exc:
        print(f"rackforge configure: no design for {generation}: {exc.requirement}", file=sys.stderr)
        if exc.closest:
            print(f"  closest: {exc.closest}", file=sys.stderr)
        raise typer.Exit(EXIT_FINDINGS)
    from rackforge.features.expand import dump

    written = []
    for k, cfg in enumerate(designs, start=1):
        path = _alt_path(output, k)
        atomic_write(path, cfg.text if fmt == "json" else dump(cfg.design, "yaml"))
        written.append(path)
        if bom is not None and k == 1:
            _write_bom(path, bom, bom_fmt, catalog)
    if catalog and _catalog_refs(list(catalog), output) is None:
        print(f"  note: the catalogs lie outside the design's repository; validate it with "
              f"{' '.join('--catalog ' + c for c in catalog)}", file=sys.stderr)
    m = designs[0].metrics
    print(f"{written[0]}: {generation}, {m['racks']} rack(s), {m['accelerators']} accelerator packages, "
          f"validates clean ({designs[0].rounds} round(s))", file=sys.stderr)
    if len(designs) < alternatives:
        print(f"  only {len(designs)} distinct design(s) validate clean (asked for {alternatives})", file=sys.stderr)
    if alternatives > 1:
        sys.stdout.write(comparison_table(designs, written))


def _write_bom(design_path: str, bom_path: str, fmt: str, catalogs: list[str]) -> None:
    from rackforge.features import bom as B
    from rackforge.engine import Context, Options, load_design
    from rackforge.io.fileio import atomic_write

    ld = load_design(design_path, catalogs=tuple(catalogs))
    b = B.build(Context(ld, Options(catalogs=tuple(catalogs))))
    atomic_write(bom_path, B.render([b], fmt))


COLUMNS = (("design", "design", "{}"), ("cost_usd", "cost USD", "{:,.0f}"), ("power_w", "power kW", "{:,.1f}"),
           ("mass_kg", "mass kg", "{:,.0f}"), ("domestic_share", "domestic", "{:.1%}"), ("cables", "cables", "{:,}"),
           ("power_margin", "power margin", "{:.1%}"), ("cooling_margin", "cooling margin", "{:.1%}"))


def comparison_table(designs, paths) -> str:
    """A plain-text table of the alternatives (machine-friendly: fixed columns, one line per design)."""
    rows = [[c[1] for c in COLUMNS]]
    for cfg, path in zip(designs, paths):
        m = dict(cfg.metrics, design=path)
        if m.get("power_w") is not None:
            m["power_w"] = m["power_w"] / 1000
        rows.append([("-" if m.get(k) is None else f.format(m[k])) for k, _, f in COLUMNS])
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    out = []
    for r in rows:
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    return "\n".join(out) + "\n"
