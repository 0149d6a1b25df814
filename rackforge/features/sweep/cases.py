"""A sweep SPEC read and checked, and expanded into cases.

A case is a plain, picklable record (it crosses to Dask workers): the design file, the generation, the
operating point, the part substitution, the fault depth and the site values (SI floats). Its ``case_id`` is a
hash of those values and the design path as the SPEC writes it, so the same SPEC gives the same ids in every
run: a resumed sweep skips the ids already in its output.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from rackforge.errors import InputError
from rackforge.features.sweep.spec import SITE_VARIABLES, Range, SweepSpec


@dataclass(frozen=True)
class Case:
    case_id: str
    design: str                                  # the design path as the SPEC writes it
    path: str                                    # the path to open (resolved against the SPEC's folder)
    generation: str | None = None                # None: the design's own
    operating_point: str | None = None           # None: the design's (or its generation's)
    substitution: str = "baseline"
    replace: tuple[tuple[str, str], ...] = ()
    fault_depth: int | None = None               # None: the generation's
    site: tuple[tuple[str, float], ...] = ()     # (site variable, SI value)

    def columns(self) -> dict:
        """The case's own columns of a result row."""
        out = {"case_id": self.case_id, "case.design": self.design, "case.generation": self.generation,
               "case.operating_point": self.operating_point, "case.substitution": self.substitution,
               "case.fault_depth": self.fault_depth}
        for name, v in self.site:
            out[f"case.site.{name}_{SITE_VARIABLES[name][1]}"] = v
        return out


def make_case(design: str, path: str, *, generation=None, operating_point=None, substitution="baseline",
              replace=(), fault_depth=None, site=()) -> Case:
    key = json.dumps([design, generation, operating_point, substitution, sorted(replace), fault_depth,
                      sorted((k, repr(float(v))) for k, v in site)], separators=(",", ":"))
    cid = hashlib.sha256(key.encode()).hexdigest()[:20]
    return Case(cid, design, path, generation, operating_point, substitution, tuple(sorted(replace)), fault_depth,
                tuple(site))


@dataclass
class LoadedSpec:
    spec: SweepSpec
    path: str
    folder: Path
    cases: list[Case] = field(default_factory=list)

    @property
    def catalogs(self) -> tuple[str, ...]:
        return tuple(str((self.folder / c)) for c in self.spec.catalogs)


def load_spec(path: str) -> LoadedSpec:
    """Read, schema-check and expand a SPEC. Raises :class:`InputError` (file, pointer, line:col) when bad."""
    from pydantic import ValidationError

    from rackforge.io.document import load_document
    from rackforge.model.catalog import validation_problems

    doc = load_document(path)
    if doc.duplicates:
        ptr, key = doc.duplicates[0]
        raise _err(doc, ptr, f"key {key!r} appears twice in the same mapping")
    if not isinstance(doc.data, dict):
        raise _err(doc, "", "a sweep SPEC is a mapping with 'rackforge-sweep: 1', 'name' and 'designs'")
    try:
        spec = SweepSpec.model_validate(doc.data)
    except ValidationError as exc:
        probs = validation_problems(exc, doc)
        first = probs[0]
        more = f" (and {len(probs) - 1} more)" if len(probs) > 1 else ""
        raise _err(doc, first.pointer, first.message + more) from None
    folder = Path(doc.path).resolve().parent if path != "-" else Path.cwd()
    ls = LoadedSpec(spec, doc.path, folder)
    for i, d in enumerate(spec.designs):
        p = folder / d
        if not p.is_file():
            raise _err(doc, f"/designs/{i}", f"design file {d!r} not found (looked for {p})")
    for i, c in enumerate(spec.catalogs):
        if not (folder / c).is_file():
            raise _err(doc, f"/catalogs/{i}", f"catalog file {c!r} not found (looked for {folder / c})")
    axes = _axes(spec, doc)
    ls.cases = expand(spec, folder, axes)
    return ls


def _err(doc, pointer: str, message: str) -> InputError:
    line, col = doc.locate(pointer)
    return InputError(message, file=doc.path, pointer=pointer, line=line, col=col)


def _axes(spec: SweepSpec, doc) -> dict[str, list[float] | tuple[float, float, int]]:
    """Per site variable: a list of SI values, or (low, high, steps) for a range."""
    from rackforge.model.units import UnitError, parse

    out: dict = {}
    for name, (dim, _col) in SITE_VARIABLES.items():
        axis = getattr(spec.site, name)
        if axis is None:
            continue
        base = f"/site/{name}"

        def val(text, ptr):
            try:
                return float(parse(text, dim))
            except UnitError as exc:
                raise _err(doc, ptr, str(exc)) from None

        if isinstance(axis, Range):
            lo, hi = val(axis.from_, base + "/from"), val(axis.to, base + "/to")
            out[name] = (lo, hi, axis.steps)
        else:
            out[name] = [val(t, f"{base}/{i}") for i, t in enumerate(axis)]
    return out


def grid_values(axis) -> list[float]:
    if isinstance(axis, tuple):
        lo, hi, n = axis
        return [lo] if n == 1 else [lo + (hi - lo) * i / (n - 1) for i in range(n)]
    return list(axis)


def site_points(spec: SweepSpec, axes: dict) -> list[tuple[tuple[str, float], ...]]:
    names = list(axes)
    if not names:
        return [()]
    if spec.sample is None:
        return [tuple(zip(names, combo)) for combo in itertools.product(*(grid_values(axes[n]) for n in names))]
    rng = random.Random(spec.sample.seed)
    pts = []
    for _ in range(spec.sample.count):
        pt = []
        for n in names:
            a = axes[n]
            pt.append((n, rng.uniform(a[0], a[1]) if isinstance(a, tuple) else rng.choice(a)))
        pts.append(tuple(pt))
    return pts


def expand(spec: SweepSpec, folder: Path, axes: dict) -> list[Case]:
    subs = spec.substitutions or []
    sub_list = [(s.name, tuple(s.replace.items())) for s in subs] or [("baseline", ())]
    cases = []
    seen = set()
    for d in spec.designs:
        path = str(folder / d)
        for g in spec.generations or [None]:
            for op in spec.operating_points or [None]:
                for sname, rep in sub_list:
                    for fd in spec.faults or [None]:
                        for pt in site_points(spec, axes):
                            c = make_case(d, path, generation=g, operating_point=op, substitution=sname,
                                          replace=rep, fault_depth=fd, site=pt)
                            if c.case_id not in seen:     # a random sample may draw one list point twice
                                seen.add(c.case_id)
                                cases.append(c)
    return cases
