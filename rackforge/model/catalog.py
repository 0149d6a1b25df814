"""The parts catalog and the generation profiles: the embedded default plus any extra catalog files.

The default catalog ships inside the installed package (``rackforge/_catalogs``, copied from the repository's
``catalogs/`` at build time); in a source checkout it is read from ``catalogs/`` directly.
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rackforge.io.document import DESIGN_SUFFIXES, Document, load_document, pointer_from_loc
from rackforge.errors import InputError


def default_catalog_dir() -> Path:
    here = Path(__file__).resolve().parents[1]  # the package (rackforge/model/catalog.py)
    packaged = here / "_catalogs"
    if packaged.is_dir():
        return packaged
    return here.parent / "catalogs"


@dataclass
class Problem:
    """A problem found while loading: becomes an RF0xx finding."""

    code: str
    message: str
    doc: Document | None
    file: str
    pointer: str = ""
    hint: str | None = None


@dataclass
class Catalog:
    parts: dict[str, Any] = field(default_factory=dict)               # pn -> Part model
    part_where: dict[str, tuple[str, str]] = field(default_factory=dict)  # pn -> (file, pointer)
    generations: dict[str, Any] = field(default_factory=dict)         # id -> Generation model (unresolved)
    generation_where: dict[str, tuple[str, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def get(self, pn: str):
        return self.parts.get(pn)

    def suggest(self, pn: str, kinds: set[str] | None = None, n: int = 3) -> list[str]:
        pool = [p for p, part in self.parts.items() if kinds is None or part.kind in kinds]
        close = difflib.get_close_matches(pn, pool, n=n, cutoff=0.5)
        if not close:
            low = pn.lower()
            close = [p for p in pool if low[:4] and low[:4] in p.lower()][:n]
        return close

    def merged(self, other: "Catalog") -> "Catalog":
        out = Catalog(dict(self.parts), dict(self.part_where), dict(self.generations),
                      dict(self.generation_where), list(self.problems), list(self.files))
        out.add(other)
        return out

    def add(self, other: "Catalog") -> None:
        self.problems.extend(other.problems)
        self.files.extend(other.files)
        for pn, part in other.parts.items():
            if pn in self.parts:
                f0, p0 = self.part_where[pn]
                f1, p1 = other.part_where[pn]
                self.problems.append(Problem("RF003", f"part number {pn!r} is defined twice (first in {f0})",
                                             None, f1, p1, hint="rename one of them or drop the duplicate"))
                continue
            self.parts[pn] = part
            self.part_where[pn] = other.part_where[pn]
        for gid, gen in other.generations.items():
            if gid in self.generations:
                f0, _ = self.generation_where[gid]
                f1, p1 = other.generation_where[gid]
                self.problems.append(Problem("RF003", f"generation {gid!r} is defined twice (first in {f0})",
                                             None, f1, p1))
                continue
            self.generations[gid] = gen
            self.generation_where[gid] = other.generation_where[gid]


def validation_problems(exc, doc: Document, prefix_loc=()) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(prefix_loc) + tuple(err["loc"])
        code = "RF008" if err.get("type") == "plausibility" else "RF001"
        out.append(Problem(code, schema_message(err), doc, doc.path, pointer_from_loc(_clean_loc(loc, doc.data))))
    return out


def _clean_loc(loc: tuple, data: Any) -> tuple:
    """Drop pydantic's union/discriminator tags from an error location, keeping real keys/indexes."""
    out = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and isinstance(part, str) and part not in node and (
                i < len(loc) - 1 or part in {v for v in node.values() if isinstance(v, str)}):
            # a discriminator tag (``cable`` in ``parts/3/cable/length``): not a key of the data, and either
            # more of the location follows it (a missing field is always last) or it is the tag's own value
            continue
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, (dict, list)):
            # a tag (discriminator value, function name) or a missing key
            if isinstance(node, dict) and isinstance(part, str) and not _is_tag(part):
                out.append(part)  # a missing required field: point at it (locate falls back to the parent)
                node = None
            continue
        else:
            continue
    return tuple(out)


def _is_tag(part: str) -> bool:
    return part.startswith(("function-", "union[", "tagged-union[", "json-or-python[")) or "[" in part


def schema_message(err: dict) -> str:
    typ = err.get("type", "")
    msg = err.get("msg", "")
    loc = err.get("loc", ())
    field_name = next((str(p) for p in reversed(loc) if isinstance(p, str) and not _is_tag(p)), "")
    if typ == "missing":
        return f"missing required field {field_name!r}"
    if typ == "extra_forbidden":
        return f"unknown field {field_name!r}"
    if typ in ("quantity", "quantity_range", "plausibility"):
        return f"{field_name}: {err.get('ctx', {}).get('msg', msg)}"
    if typ == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return f"unknown {ctx.get('discriminator', 'kind')} {ctx.get('tag')!r}: expected one of {ctx.get('expected_tags')}"
    if typ == "union_tag_not_found":
        ctx = err.get("ctx", {})
        return f"missing {ctx.get('discriminator', 'kind')!s}"
    inp = err.get("input")
    shown = "" if isinstance(inp, (dict, list)) else f" (got {inp!r})"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return f"{field_name + ': ' if field_name else ''}{msg}{shown}"


def load_catalog_file(path: str) -> Catalog:
    """Load one catalog or generation file. Raises InputError when unreadable; schema problems are recorded."""
    from pydantic import ValidationError

    from rackforge.model.schema.catalog import CatalogFile
    from rackforge.model.schema.generation import GenerationFile

    doc = load_document(path)
    cat = Catalog(files=[doc.path])
    data = doc.data
    for ptr, key in doc.duplicates:
        cat.problems.append(Problem("RF003", f"key {key!r} appears twice in the same mapping", doc, doc.path, ptr))
    if not isinstance(data, dict):
        raise InputError("a catalog file is a mapping with 'catalog' and 'parts', or 'generations'", file=doc.path,
                         line=1, col=1)
    if "generations" in data and "parts" not in data:
        try:
            gf = GenerationFile.model_validate(data)
        except ValidationError as exc:
            cat.problems.extend(validation_problems(exc, doc))
            return cat
        for i, g in enumerate(gf.generations):
            if g.id in cat.generations:
                cat.problems.append(Problem("RF003", f"generation {g.id!r} is defined twice", doc, doc.path,
                                            f"/generations/{i}/id"))
                continue
            cat.generations[g.id] = g
            cat.generation_where[g.id] = (doc.path, f"/generations/{i}")
        return cat
    # validate part by part so one bad part does not hide the others
    if not isinstance(data.get("parts", []), list):
        cat.problems.append(Problem("RF001", "'parts' must be a list", doc, doc.path, "/parts"))
        return cat
    head = {k: v for k, v in data.items() if k != "parts"}
    try:
        CatalogFile.model_validate({**head, "parts": []})
    except ValidationError as exc:
        cat.problems.extend(validation_problems(exc, doc))
    from pydantic import TypeAdapter

    adapter = _part_adapter()
    for i, raw in enumerate(data.get("parts", [])):
        try:
            part = adapter.validate_python(raw)
        except ValidationError as exc:
            cat.problems.extend(validation_problems(exc, doc, ("parts", i)))
            continue
        if part.pn in cat.parts:
            cat.problems.append(Problem("RF003", f"part number {part.pn!r} is defined twice in this catalog", doc,
                                        doc.path, f"/parts/{i}/pn"))
            continue
        cat.parts[part.pn] = part
        cat.part_where[part.pn] = (doc.path, f"/parts/{i}")
    return cat


@lru_cache(maxsize=1)
def _part_adapter():
    from pydantic import TypeAdapter

    from rackforge.model.schema.catalog import Part

    return TypeAdapter(Part)


def catalog_files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in DESIGN_SUFFIXES and p.is_file())


_default: Catalog | None = None


def default_catalog() -> Catalog:
    """The embedded catalog (parts and generations), loaded once per process (validated once per change of
    its files: :mod:`rackforge.model.catalog_cache`)."""
    global _default
    if _default is None:
        from rackforge.model.catalog_cache import load_or_build

        folder = default_catalog_dir()
        files = catalog_files_in(folder)

        def build() -> Catalog:
            cat = Catalog()
            for p in files:
                cat.add(load_catalog_file(str(p)))
            return cat

        _default = load_or_build(folder, files, build)
    return _default


def repo_root(start: Path) -> Path:
    """The design's repository: the nearest ancestor holding .git, else the design's folder."""
    start = start.resolve()
    for d in [start, *start.parents]:
        if (d / ".git").exists():
            return d
    return start


def resolve_catalog_path(ref: str, design_path: str | None, *, from_cli: bool = False) -> Path:
    """Resolve a catalog reference from a design, confined to the design's repository."""
    p = Path(ref)
    if from_cli or design_path in (None, "<stdin>", "-"):
        return p
    base = Path(design_path).resolve().parent
    if p.is_absolute():
        raise InputError(f"catalog path {ref!r} is absolute; designs may only name catalogs inside their "
                         "repository", file=design_path, hint="give it with --catalog on the command line instead")
    full = (base / p).resolve()
    root = repo_root(base)
    try:
        full.relative_to(root)
    except ValueError:
        raise InputError(f"catalog path {ref!r} leads outside the design's repository ({root})", file=design_path,
                         hint="give it with --catalog on the command line instead") from None
    return full


# --- generations -----------------------------------------------------------------------------------------

@dataclass
class ResolvedGeneration:
    gen: Any                                   # Generation model with inherited values merged
    chain: list[str]                           # own id first, then ancestors
    origin: dict[str, str]                     # field path -> generation id the value comes from
    sources: dict[str, str]                    # field path -> citation


def resolve_generation(gen_id: str, catalog: Catalog) -> ResolvedGeneration:
    """Merge a profile with the profiles it extends (child values win, field by field)."""
    from rackforge.model.schema.generation import REQUIREMENT_SECTIONS, Generation

    chain: list[str] = []
    cur: str | None = gen_id
    while cur is not None:
        if cur in chain:
            raise InputError(f"generation {gen_id!r}: 'extends' forms a cycle: {' -> '.join(chain + [cur])}",
                             file=catalog.generation_where.get(cur, ("<catalog>", ""))[0])
        if cur not in catalog.generations:
            raise KeyError(cur)
        chain.append(cur)
        cur = catalog.generations[cur].extends
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    sources: dict[str, str] = {}
    for gid in reversed(chain):
        g = catalog.generations[gid]
        for section in REQUIREMENT_SECTIONS:
            sec = getattr(g, section)
            for name in sec.model_fields_set:
                merged.setdefault(section, {})[name] = getattr(sec, name)
                origin[f"{section}.{name}"] = gid
                if f"{section}.{name}" in g.sources:
                    sources[f"{section}.{name}"] = g.sources[f"{section}.{name}"]
                elif "*" in g.sources:
                    sources[f"{section}.{name}"] = g.sources["*"]
    top = catalog.generations[gen_id]
    data = {"id": top.id, "name": top.name, "description": top.description, "extends": top.extends,
            "year": top.year, "sources": top.sources}
    # sections: rebuild from dumped values (re-validated, so the result is a normal Generation)
    for section, values in merged.items():
        data[section] = {k: (v.text if hasattr(v, "text") else v) for k, v in values.items()}
    gen = Generation.model_validate(data)
    return ResolvedGeneration(gen, chain, origin, sources)
