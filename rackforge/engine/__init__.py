"""The engine: load a design, resolve it against the catalogs and its generation, run the rules.

CLI -> engine -> rules -> solvers/topology/catalog/schema/units. The engine knows no output format.
"""
from __future__ import annotations

import datetime as _dt
import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from rackforge.model.catalog import (
    Catalog, Problem, ResolvedGeneration, validation_problems, default_catalog, load_catalog_file,
    resolve_catalog_path, resolve_generation,
)
from rackforge.io.document import Document, load_document
from rackforge.errors import InputError, InternalError
from rackforge.engine.limits import (
    TOO_LARGE_HINT, Progress, design_elements, max_elements, time_limit, too_large_message,
)
from rackforge.model.findings import Finding, Severity
from rackforge.model.resolved import Resolved, resolve
from rackforge.rules import Hit, Rule, all_rules, matches


#: Designs one process is about to analyse from which the power and cooling analyses take their numba path
#: for every design, even small ones. Importing numba and loading its cached kernels costs ~0.5 s once per
#: process (more on a busy machine); the numpy reference path costs ~10 ms more per seed design. Measured
#: (2 cores, load ~1.3-1.7; ``rackforge validate`` on the first N of a rotation of the five seeds, fresh
#: process, median of 5, each path forced): N=24 1.12 s reference / 1.36 s numba, N=32 1.36 / 1.48,
#: N=40 1.63 / 1.60, N=48 1.91 / 1.83, N=60 2.32 / 2.03: they cross at about 38 designs.
NUMBA_MIN_DESIGNS = 38

_expected_designs = 1


def expect_designs(n: int) -> int:
    """Tell the engine how many designs this process is about to analyse; returns the previous hint.

    A process-wide hint (default 1) read when a :class:`Context` is made: with ``n >=``
    :data:`NUMBA_MIN_DESIGNS` every design's power and cooling analyses use the numba solvers (``Context.
    prefer_numba``), whose one-time load then pays for itself. Results do not depend on it: the numba and
    reference paths agree to 1e-9 (power) and 1e-6 (cooling) in the tests. ``rackforge validate`` sets it to
    its number of files and restores the previous value when done; API users validating many designs may
    do the same.
    """
    global _expected_designs
    prev, _expected_designs = _expected_designs, max(int(n), 1)
    return prev


@dataclass
class Options:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    generation: str | None = None
    catalogs: tuple[str, ...] = ()
    operating_point: str | None = None
    today: _dt.date | None = None


@dataclass
class LoadedDesign:
    """A design file read, schema-checked and resolved (``design`` is None when the schema check failed)."""

    doc: Document
    design: Any | None
    catalog: Catalog
    problems: list[Problem] = field(default_factory=list)
    resolved: Resolved | None = None
    generation: ResolvedGeneration | None = None
    generation_id: str | None = None
    elements: int = 0                          # mounts, ports and links per rack instance (engine.limits)
    #: a mixed design (rack definitions of more than one generation): one group per generation, in order of
    #: first use; empty when every rack is of the design's generation (the usual case)
    groups: list["GenGroup"] = field(default_factory=list)

    def unusable(self, purpose: str) -> str:
        """The one-line error of a command that needs a checked design when this one has none (``design`` is
        None): too large (RF910), or not matching the schema; ``purpose`` says what cannot be done."""
        big = next((p for p in self.problems if p.code == "RF910"), None)
        if big is not None:
            return f"{self.doc.path}: error: {big.message}, so {purpose} (RF910)\n  hint: {big.hint}"
        msgs = "; ".join(f"{p.message} (at {p.pointer or '/'})" for p in self.problems[:3])
        return (f"{self.doc.path}: error: the design does not match the schema, so {purpose}: {msgs}; run "
                "'rackforge validate' for details")


def load_design(path: str, *, catalogs: Iterable[str] = (), generation: str | None = None) -> LoadedDesign:
    """Read and check a design file. Raises :class:`InputError` (exit 2) for unreadable input."""
    from pydantic import ValidationError

    from rackforge.model.schema.design import Design

    doc = load_document(path)
    problems: list[Problem] = []
    for ptr, key in doc.duplicates:
        problems.append(Problem("RF003", f"key {key!r} appears twice in the same mapping; the last one would "
                                "silently win", doc, doc.path, ptr, hint="remove or rename one of them"))
    catalog = default_catalog()
    if not isinstance(doc.data, dict):
        problems.append(Problem("RF001", "a design is a mapping with 'rackforge', 'name', 'generation' and racks",
                                doc, doc.path, ""))
        return LoadedDesign(doc, None, catalog, problems)
    # extra catalogs: from the command line, then those the design names (paths confined to its repository)
    extra = list(catalogs)
    named = doc.data.get("catalogs", [])
    paths = [resolve_catalog_path(c, None, from_cli=True) for c in extra]
    if isinstance(named, list):
        for i, c in enumerate(named):
            if isinstance(c, str):
                try:
                    paths.append(resolve_catalog_path(c, doc.path))
                except InputError as exc:
                    exc.pointer = f"/catalogs/{i}"
                    exc.line, exc.col = doc.locate(exc.pointer)
                    raise
    if paths:
        catalog = catalog.merged(Catalog())
        for p in paths:
            catalog.add(load_catalog_file(str(p)))
    try:
        design = Design.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(validation_problems(exc, doc))
        return LoadedDesign(doc, None, catalog, problems)
    ld = LoadedDesign(doc, design, catalog, problems)
    ld.elements, racks = design_elements(design, catalog)
    limit = max_elements()
    if limit and ld.elements > limit:  # refused before any model is built (RF910): no command runs for minutes
        problems.append(Problem("RF910", too_large_message(ld.elements, racks, limit), doc, doc.path, "",
                                hint=TOO_LARGE_HINT))
        ld.design = None
        return ld
    ld.resolved = resolve(design, catalog)
    if getattr(design, "hall_fabric", None) is not None:
        from rackforge.lowering.hall_fabric import place

        place(ld.resolved, catalog)
    gid = generation or design.generation
    ld.generation_id = gid
    if gid in catalog.generations:
        ld.generation = resolve_generation(gid, catalog)
    ld.groups = generation_groups(ld, gid)
    return ld


@dataclass
class GenGroup:
    """The rack definitions of one generation in a mixed design."""

    generation_id: str
    generation: ResolvedGeneration | None     # None: unknown generation (RF007 reports it)
    defs: list = field(default_factory=list)  # RackDef


def generation_groups(ld: LoadedDesign, gid: str) -> list[GenGroup]:
    """Tag every rack definition with its generation (its ``generation``, else the design's ``gid``); the groups
    when a rack is of another generation than the design's, else [] (the usual case, checked as before)."""
    groups: dict[str, GenGroup] = {}
    for d in ld.resolved.defs:
        g = d.body.generation or gid
        d.generation = g
        grp = groups.get(g)
        if grp is None:
            grp = groups[g] = GenGroup(g, None)
        grp.defs.append(d)
    if len(groups) < 2 and gid in groups:
        return []
    for grp in groups.values():
        if grp.generation_id == gid:
            grp.generation = ld.generation
        elif grp.generation_id in ld.catalog.generations:
            grp.generation = resolve_generation(grp.generation_id, ld.catalog)
    return list(groups.values())


class Context:
    """What a rule sees: the resolved design, its generation, and analyses computed on first use.

    A mixed design (racks of several generations, ``LoadedDesign.groups``) has one whole-design context (the
    design's generation: hall, input and supply-chain checks) and, in :attr:`groups`, one context per generation
    whose ``r`` holds only that generation's racks (:meth:`Resolved.subset`), whose ``gen`` and ``op`` are that
    generation's, and whose power and cooling models are its own; the network model is the whole design's
    (design-level links and the hall fabric join racks of every group), shared. ``parent`` is the whole-design
    context (itself for the whole design)."""

    def __init__(self, ld: LoadedDesign, options: Options, group: GenGroup | None = None,
                 parent: "Context | None" = None) -> None:
        self.ld = ld
        self.doc = ld.doc
        self.design = ld.design
        self.catalog = ld.catalog
        self.group = group
        self.parent: Context = parent if parent is not None else self
        if group is None:
            self.r: Resolved = ld.resolved  # type: ignore[assignment]
            rg = ld.generation
        else:
            self.r = ld.resolved.subset(group.defs)  # type: ignore[union-attr]
            rg = group.generation
        self.gen = rg.gen if rg else None
        self.options = options
        op = options.operating_point or (self.design.operating_point if self.design else None)
        if op is None and self.gen is not None and self.gen.power.operating_point:
            op = self.gen.power.operating_point
        self.op: str = op or "max"
        #: numba for the power and cooling solvers even for a small design (see :func:`expect_designs`)
        self.prefer_numba: bool = _expected_designs >= NUMBA_MIN_DESIGNS

    def req(self, path: str) -> Any:
        """A generation requirement by dotted path, or None (no generation, or not required)."""
        if self.gen is None:
            return None
        section, name = path.split(".", 1)
        return getattr(getattr(self.gen, section), name)

    def req_ptr(self, path: str) -> str:
        return path

    @functools.cached_property
    def groups(self) -> list["Context"]:
        """A mixed design's per-generation contexts (see the class doc); [] for a design of one generation, and
        for a group's own context."""
        if self.group is not None or not self.ld.groups:
            return []
        return [Context(self.ld, self.options, g, self) for g in self.ld.groups]

    def by_generation(self) -> list["Context"]:
        """The contexts whose models cover every rack once: the groups of a mixed design, else ``[self]``. The
        hall models (facility power and water) take each rack's load and loop from the context of its
        generation through this."""
        return self.groups or [self]

    @functools.cached_property
    def input_errors(self) -> list[str]:
        """Codes of the reference-integrity errors in the design (unknown part, duplicate id, dangling reference,
        wrong part kind: RF002, RF003, RF004, RF006), whatever rules are selected. With any of them the power,
        cooling, network and supply-chain models are not built, by the rules, ``analyze`` or ``report`` alike:
        they would be meaningless, and slow or fragile on input that is not a design yet."""
        if self.parent is not self:
            return self.parent.input_errors
        codes = {p.code for p in self.ld.problems if p.code in _INTEGRITY}
        rules = all_rules()
        for code in sorted(_INTEGRITY - codes):
            r = rules.get(code)
            if r is None or r.check is None:
                continue
            if any(_finding(r, h, self.doc).severity == Severity.ERROR for h in _checked(r, self, self.ld)):
                codes.add(code)
        return sorted(codes)

    def not_modelled_because(self) -> str | None:
        """Why the area models are not built (None: they are)."""
        if not self.input_errors:
            return None
        return (f"the design has reference errors ({', '.join(self.input_errors)}: 'rackforge validate' lists them); "
                "the power, cooling, network and supply-chain models are built once they are fixed")

    @functools.cached_property
    def physical(self):
        from rackforge.engine.analysis import physical_summary

        return physical_summary(self)

    # Area analyses: each is computed on first use by ``rackforge.lowering.<area>.analyze(ctx)``, which lowers
    # the design into plain arrays, runs the pure solvers and returns a result object that rules read and
    # ``analyze`` prints (its ``to_json()`` gives SI floats with units in the keys).
    @functools.cached_property
    def power(self):
        return self._area("power")

    @functools.cached_property
    def cooling(self):
        return self._area("cooling")

    @functools.cached_property
    def network(self):
        if self.parent is not self:   # a generation group: the whole design's network model, read with its gen
            from rackforge.lowering.network_result import NetworkResult

            return NetworkResult(self, model=self.parent.network.m)
        return self._area("network")

    @functools.cached_property
    def supply_chain(self):
        if self.parent is not self:
            return self.parent.supply_chain
        return self._area("supply_chain")

    # the hall level (design.facility): rackforge.lowering.facility_power / facility_water
    @functools.cached_property
    def facility_power(self):
        if self.parent is not self:
            return self.parent.facility_power
        return self._area("facility_power")

    @functools.cached_property
    def facility_water(self):
        if self.parent is not self:
            return self.parent.facility_water
        return self._area("facility_water")

    def _area(self, name: str):
        import importlib

        return importlib.import_module(f"rackforge.lowering.{name}").analyze(self)


def run_rules(ld: LoadedDesign, options: Options, ctx: "Context | None" = None) -> list[Finding]:
    """Run the selected rules. Pass ``ctx`` to reuse its analyses afterwards (``report`` draws from the same
    power/cooling/network results the rules read, instead of computing them twice)."""
    rules = all_rules()
    findings: list[Finding] = []

    def selected(code: str) -> bool:
        if options.select and not matches(code, options.select):
            return False
        return not (options.ignore and matches(code, options.ignore))

    for pr in [*ld.catalog.problems, *ld.problems]:
        r = rules.get(pr.code) or rules["RF001"]   # a load problem is never dropped for want of its rule
        if selected(r.code):
            findings.append(_finding(r, Hit(pr.pointer, pr.message, pr.hint, None, pr.file), pr.doc or ld.doc))
    if ld.design is None:
        return _located(findings, ld)
    ctx = ctx if ctx is not None else Context(ld, options)
    blocked: dict[str, Finding] = {}  # area digit -> the first integrity finding that makes its model meaningless
    skipped: dict[str, int] = {}      # area digit -> rules not run
    groups = ctx.groups            # a mixed design: rack-level rules run once per generation (see _per_group)
    todo = [(code, r) for code, r in rules.items() if r.check is not None and selected(code)
            and not (r.needs_generation and ctx.gen is None and not (groups and _per_group(r)))]
    if groups:
        owner = _owners(ctx)
        seen: set[tuple] = set()
    limit_s = time_limit()
    t0 = time.monotonic()
    progress = Progress(f"checking {Path(ld.doc.path).name}", len(todo), ld.elements)
    for k, (code, r) in enumerate(todo):
        area = code[2]
        if area in blocked or (code in _READS_MODELS and ("2" in blocked or "3" in blocked)):
            skipped[area] = skipped.get(area, 0) + 1
            continue
        progress.step(k, code)
        if limit_s and time.monotonic() - t0 > limit_s and "RF911" in rules:
            left = [c for c, _ in todo[k:]]
            findings.append(_finding(rules["RF911"], Hit("", f"the time limit of {limit_s:g} s was reached after "
                                                         f"{k} of {len(todo)} rules; not run: {', '.join(left)}",
                                                         "raise it with RACKFORGE_TIME_LIMIT=S or 'rackforge "
                                                         "--time-limit S COMMAND ...' (0: no limit), or check "
                                                         "fewer rules with --select"), ld.doc))
            break
        if groups:
            hits = _mixed_hits(r, ctx, ld, owner, seen)
        else:
            hits = _checked(r, ctx, ld)
        for hit in hits:
            f = _finding(r, hit, ld.doc)
            findings.append(f)
            if f.code in _INTEGRITY and f.severity == Severity.ERROR:
                for a in areas_broken_by(f.code, f.pointer):
                    blocked.setdefault(a, f)
    progress.close()
    skipped = {a: n for a, n in skipped.items() if a in blocked}
    if skipped and "RF030" in rules and selected("RF030"):
        findings.extend(_skip_notes(rules["RF030"], blocked, skipped, ld.doc))
    findings = apply_waivers(findings, ctx, rules, selected, options.today)
    return _located(findings, ld)


# A mixed design (racks of several generations): the rules that judge racks against their generation (physical
# RF1xx, power RF2xx, cooling RF3xx, network RF4xx, and RF912 which reads the power and cooling models) run once per
# generation group; the hall (facility power RF25x-26x, facility water RF35x-36x, hall fabric RF45x-46x), the input
# checks (RF0xx), the supply chain of the whole BOM (RF5xx) and the meta rules run once, on the whole design with its
# top-level generation. Network rules that read no generation run once on the whole design: the network model is
# the whole design's, shared by the groups, so they would say the same thing in every group.
_HALL_RANGES = (("RF250", "RF269"), ("RF350", "RF369"), ("RF450", "RF469"))


def _per_group(r: Rule) -> bool:
    code = r.code
    if code in _READS_MODELS:
        return True
    if code[2] not in "1234" or any(lo <= code <= hi for lo, hi in _HALL_RANGES):
        return False
    return not (code[2] == "4" and not r.needs_generation)


def _owners(ctx: Context) -> dict[str, int]:
    """A mixed design: the generation group (index into ``ctx.groups``) of each rack definition's and rack
    instance's pointer head (``/templates/NAME``, ``/racks/I``, ``/rows/I``)."""
    out: dict[str, int] = {}
    for i, g in enumerate(ctx.groups):
        for d in g.r.defs:
            out[_head(d.ptr)] = i
            for inst in d.instances:
                out[_head(inst.ptr)] = i
    return out


def _head(ptr: str) -> str:
    parts = ptr.split("/", 3)
    return "/".join(parts[:3]) if len(parts) >= 3 and parts[1] in ("templates", "racks", "rows") else ""


def _mixed_hits(r: Rule, ctx: Context, ld: LoadedDesign, owner: dict[str, int], seen: set[tuple]) -> list[Hit]:
    """A rule's hits on a mixed design: per generation group (keeping a group's hits on its own racks, and those
    on design-level places, which each group judges with its generation) or once on the whole design; a hit said
    the same way by two groups (same pointer, file and message) is kept once."""
    if not _per_group(r):
        return _checked(r, ctx, ld)
    out: list[Hit] = []
    for i, g in enumerate(ctx.groups):
        if r.needs_generation and g.gen is None:
            continue
        for h in _checked(r, g, ld):
            o = owner.get(_head(h.pointer)) if not h.file or h.file == ld.doc.path else None
            if o is not None and o != i:
                continue   # the shared network model: another generation's rack, judged by its own group
            key = (r.code, h.file, h.pointer, h.message)
            if key in seen:
                continue
            seen.add(key)
            out.append(h)
    return out


def _checked(r: Rule, ctx: Context, ld: LoadedDesign) -> list[Hit]:
    """The rule's hits; a rule (or an analysis it reads) that raises becomes an :class:`InternalError` naming
    the rule and the design, which the CLI reports in one line (exit 3) instead of a traceback."""
    try:
        return list(r.check(ctx))
    except (InputError, InternalError):
        raise
    except Exception as exc:
        raise InternalError(f"rule {r.code} ({r.name})", file=ld.doc.path) from exc


# An unknown part, a duplicate id, a dangling reference or a part of the wrong kind can make a model meaningless
# (a renamed tray shows up as a missing GPU domain, an unpowered load, ...). Such an error switches off only the
# areas whose model it breaks (areas_broken_by), and RF030 says which checks were not run and why; physical
# checks (RF1xx) always run, they read each mount on its own. A link to a missing mount (RF005) breaks no model:
# the network rules report what the missing mount leaves undone.
_INTEGRITY = frozenset({"RF002", "RF003", "RF004", "RF006"})
_MODELLED_AREAS = "2345"
AREA_NAMES = {"2": "power", "3": "cooling", "4": "network", "5": "supply-chain"}


def areas_broken_by(code: str, pointer: str) -> str:
    """The areas (digits of rule codes) whose model an integrity error at ``pointer`` makes meaningless.

    A dangling reference breaks only the model that follows it: a shelf's feed, a PDU or busbar the power model;
    a loop, CDU or manifold the cooling model; a pattern selector the network. An unknown part, a duplicate id,
    a part of the wrong kind or a missing template breaks every model (the part's power, heat, ports and price
    are unknown or ambiguous)."""
    if code == "RF004":
        leaf = pointer.rstrip("/").split("/")
        tail = [x for x in leaf if not x.isdigit()]
        last = tail[-1] if tail else ""
        if last in ("feed", "feeds", "busbar"):
            return "2"
        if last in ("loop", "cdu", "manifold") or "cooling" in tail:
            return "3"
        if "patterns" in tail:
            return "4"
    return _MODELLED_AREAS


def _skip_notes(r: Rule, blocked: dict[str, Finding], skipped: dict[str, int], doc: Document) -> list[Finding]:
    by_cause: dict[int, list[str]] = {}
    causes: dict[int, Finding] = {}
    for area in sorted(skipped):
        f = blocked[area]
        by_cause.setdefault(id(f), []).append(area)
        causes[id(f)] = f
    out = []
    for key, areas in by_cause.items():
        f = causes[key]
        names = [AREA_NAMES[a] for a in areas]
        n = sum(skipped[a] for a in areas)
        what = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
        out.append(_finding(r, Hit(f.pointer, f"{what} checks ({n} rules) were not run: {f.code} {f.name} here "
                                   f"makes the {what} model meaningless ({f.message})",
                                   f"fix the {f.code} error and validate again"), doc))
    return out

_READS_MODELS = frozenset({"RF912"})   # meta rules that read the power and cooling models



def _finding(r: Rule, hit: Hit, doc: Document) -> Finding:
    return Finding(code=r.code, severity=hit.severity if hit.severity is not None else r.severity,
                   message=hit.message, file=hit.file or doc.path, pointer=hit.pointer, hint=hit.hint, name=r.name,
                   requirement=hit.requirement, value=hit.value, limit=hit.limit, unit=hit.unit)


def _located(findings: list[Finding], ld: LoadedDesign) -> list[Finding]:
    docs: dict[str, Document] = {ld.doc.path: ld.doc}
    for f in findings:
        doc = docs.get(f.file)
        if doc is None:
            try:
                doc = docs[f.file] = load_document(f.file)
            except InputError:
                continue
        f.line, f.col = doc.locate(f.pointer)
    findings.sort(key=Finding.sort_key)
    return findings


def apply_waivers(findings: list[Finding], ctx: Context, rules: dict[str, Rule], selected, today) -> list[Finding]:
    """Drop waived findings; report expired and unused waivers (RF901, RF902)."""
    waivers = ctx.design.waivers
    if not waivers:
        return findings
    today = today or _dt.date.today()
    used = [False] * len(waivers)
    expired = [w.expires is not None and w.expires < today for w in waivers]
    id_ptrs = _id_pointers(ctx)
    kept = []
    for f in findings:
        waived = False
        for i, w in enumerate(waivers):
            if expired[i] or not f.code.startswith(w.rule) or f.code.startswith("RF9"):
                continue
            target = id_ptrs.get(w.target, w.target)
            if f.pointer == target or f.pointer.startswith(target.rstrip("/") + "/") or target in ("", "/"):
                waived = True
                used[i] = True
        if not waived:
            kept.append(f)
    for i, w in enumerate(waivers):
        ptr = f"/waivers/{i}"
        if expired[i] and selected("RF901"):
            r = rules["RF901"]
            kept.append(_finding(r, Hit(ptr + "/expires", f"waiver of {w.rule} on {w.target!r} expired on "
                                        f"{w.expires.isoformat()}", "fix the finding or renew the waiver with "
                                        "a new date and reason"), ctx.doc))
        elif not used[i] and selected("RF902") and selected(w.rule):
            r = rules["RF902"]
            kept.append(_finding(r, Hit(ptr, f"waiver of {w.rule} on {w.target!r} matches no finding",
                                        "remove the waiver: the problem it excused is gone"), ctx.doc))
    return kept


def _id_pointers(ctx: Context) -> dict[str, str]:
    out: dict[str, str] = {}
    for d in ctx.r.defs:
        for mi in d.mounts:
            out.setdefault(mi.id, mi.ptr)
            for inst in d.instances:
                out.setdefault(f"{inst.id}/{mi.id}", mi.ptr)
        for inst in d.instances:
            out.setdefault(inst.id, inst.ptr)
    return out


@dataclass
class Result:
    path: str
    findings: list[Finding]
    loaded: LoadedDesign | None = None

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)


def validate(path: str, options: Options | None = None) -> Result:
    """Validate one design file; raises InputError for unreadable input (exit 2)."""
    options = options or Options()
    ld = load_design(path, catalogs=options.catalogs, generation=options.generation)
    return Result(ld.doc.path, run_rules(ld, options), ld)
