"""One case: the design with the case's values put in, validated and analysed, as one flat result row.

Runs in Dask workers (and in-process for ``--serial`` and ``rackforge envelope``). Each worker process parses
each design file once and keeps it; a case works on a copy of the parsed data with the site values, the
operating point, the part substitution and the fault depth put in. Positions (line:col) of findings are those
of the original file: the changed values sit at the same JSON Pointers.

A row holds the case's columns (``case.*``), the verdict (``pass``: no finding at error severity; ``errors``,
``warnings``, ``infos``; ``error_codes``) and the ``analyze --format json`` output flattened with ``.`` between
keys and list indexes (``power.feeds.0.input_w``): the same SI keys. A case that raises records the message in
``failure`` instead of stopping the sweep.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Any

from rackforge.features.sweep.cases import Case
from rackforge.features.sweep.spec import SITE_VARIABLES, si_text

_DOCS: dict[str, Any] = {}          # per process: path -> parsed Document
_NO_REPLACE_KEYS = frozenset({"id", "name", "description", "reason", "target", "generation"})


def flatten(obj: Any, prefix: str = "", out: dict | None = None) -> dict:
    """Nested dicts and lists as one level: keys joined with ``.``, list items by index."""
    out = {} if out is None else out
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                flatten(v, f"{prefix}{k}.", out)
            else:
                out[f"{prefix}{k}"] = v
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            if isinstance(v, (dict, list)):
                flatten(v, f"{prefix}{i}.", out)
            else:
                out[f"{prefix}{i}"] = v
    else:
        out[prefix.rstrip(".")] = obj
    return out


def _document(path: str):
    doc = _DOCS.get(path)
    if doc is None:
        from rackforge.io.document import load_document

        doc = _DOCS[path] = load_document(path)
    return doc


def _replace_parts(node: Any, mapping: dict[str, str], key: str | None = None) -> tuple[Any, int]:
    """``node`` with every string value equal to a key of ``mapping`` replaced (not ids, names or texts)."""
    if isinstance(node, dict):
        n = 0
        for k in list(node):
            node[k], c = _replace_parts(node[k], mapping, k)
            n += c
        return node, n
    if isinstance(node, list):
        n = 0
        for i, v in enumerate(node):
            node[i], c = _replace_parts(v, mapping, key)
            n += c
        return node, n
    if isinstance(node, str) and key not in _NO_REPLACE_KEYS and node in mapping:
        return mapping[node], 1
    return node, 0


def variant_data(case: Case, data: Any) -> tuple[Any, int]:
    """A copy of the design data with the case's site values and part substitution; replacements made."""
    data = copy.deepcopy(data)
    n = 0
    if isinstance(data, dict):
        if case.site:
            site = data.get("site")
            site = dict(site) if isinstance(site, dict) else {}
            for name, v in case.site:
                site[name] = si_text(v, SITE_VARIABLES[name][0])
            data["site"] = site
        if case.replace:
            data, n = _replace_parts(data, dict(case.replace))
    return data, n


def load_variant(case: Case, catalogs: tuple[str, ...] = ()):
    """The case's design loaded and resolved like :func:`rackforge.engine.load_design` does for a file."""
    from pydantic import ValidationError

    from rackforge.engine import LoadedDesign
    from rackforge.model.catalog import (Catalog, Problem, default_catalog, load_catalog_file,
                                         resolve_catalog_path, resolve_generation, validation_problems)
    from rackforge.model.resolved import resolve
    from rackforge.model.schema.design import Design

    base = _document(case.path)
    data, n = variant_data(case, base.data)
    doc = dataclasses.replace(base, data=data)
    problems = [Problem("RF003", f"key {key!r} appears twice in the same mapping; the last one would silently "
                        "win", doc, doc.path, ptr) for ptr, key in doc.duplicates]
    catalog = default_catalog()
    if not isinstance(data, dict):
        return LoadedDesign(doc, None, catalog, problems + [Problem(
            "RF001", "a design is a mapping with 'rackforge', 'name', 'generation' and racks", doc, doc.path,
            "")]), n
    paths = [resolve_catalog_path(c, None, from_cli=True) for c in catalogs]
    named = data.get("catalogs", [])
    if isinstance(named, list):
        paths += [resolve_catalog_path(c, doc.path) for c in named if isinstance(c, str)]
    if paths:
        catalog = catalog.merged(Catalog())
        for p in paths:
            catalog.add(load_catalog_file(str(p)))
    try:
        design = Design.model_validate(data)
    except ValidationError as exc:
        return LoadedDesign(doc, None, catalog, problems + validation_problems(exc, doc)), n
    ld = LoadedDesign(doc, design, catalog, problems)
    ld.resolved = resolve(design, catalog)
    gid = case.generation or design.generation
    ld.generation_id = gid
    if gid in catalog.generations:
        ld.generation = resolve_generation(gid, catalog)
        if case.fault_depth is not None:
            g = ld.generation.gen
            g = g.model_copy(update={"power": g.power.model_copy(update={"fault_depth": case.fault_depth})})
            ld.generation = dataclasses.replace(ld.generation, gen=g)
    from rackforge.engine import generation_groups

    ld.groups = generation_groups(ld, gid)   # a mixed hall: racks of their own generation (docs/hall.md)
    return ld, n


def evaluate_case(case: Case, catalogs: tuple[str, ...] = (), select: tuple[str, ...] = (),
                  ignore: tuple[str, ...] = ()) -> dict:
    """The result row of one case (never raises for a problem of the case itself)."""
    from rackforge.engine import Context, Options, run_rules
    from rackforge.engine.analysis import analyze_summary
    from rackforge.model.findings import Severity

    row = case.columns()
    opts = Options(select=select, ignore=ignore, generation=case.generation, catalogs=catalogs,
                   operating_point=case.operating_point)
    try:
        ld, n = load_variant(case, catalogs)
        row["case.replacements"] = n
        ctx = Context(ld, opts) if ld.design is not None else None
        findings = run_rules(ld, opts, ctx)
        sev = [f.severity for f in findings]
        row["errors"] = sev.count(Severity.ERROR)
        row["warnings"] = sev.count(Severity.WARNING)
        row["infos"] = sev.count(Severity.INFO)
        row["error_codes"] = " ".join(sorted({f.code for f in findings if f.severity == Severity.ERROR}))
        row["pass"] = row["errors"] == 0
        row["failure"] = None
        if ctx is not None:
            flatten(analyze_summary(ctx), "", row)
    except Exception as exc:  # one broken case must not stop a sweep of thousands: record it
        row.update({"pass": False, "failure": f"{type(exc).__name__}: {exc}"})
    return row


def evaluate_batch(cases: list[Case], catalogs: tuple[str, ...] = (), select: tuple[str, ...] = (),
                   ignore: tuple[str, ...] = (), expected: int = 1) -> list[dict]:
    """Rows of a batch of cases. ``expected`` is the number of cases of the whole sweep: it picks the solver
    path (numba from :data:`rackforge.engine.NUMBA_MIN_DESIGNS` on) the same way in every worker and in a
    serial run, so results do not depend on how the sweep was split."""
    from rackforge.engine import expect_designs

    prev = expect_designs(expected)
    try:
        return [evaluate_case(c, catalogs, select, ignore) for c in cases]
    finally:
        expect_designs(prev)
