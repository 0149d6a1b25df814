"""``rackforge generations check``: is each generation profile consistent with the parts its seed uses?

Two checks per concrete profile (one with a ``year``), on every seed design that names it:

* **RF903 envelope-not-deliverable** (error): the rack's PSUs, after the faults the profile's
  ``power.psu_redundancy`` tolerates (and, with ``feed_redundancy: dual``, after the worst feed is lost, for
  power shelves), must carry ``power.rack_power_max``:

  - power shelves on a busbar: installed capacity ``C = sum(PSUs x rating)``; ``N+N``: the shelves left after
    losing the worst feed (one side alone); ``N+k``: ``C`` less the ``k`` largest PSUs; ``N``: ``C``;
  - parts with their own PSUs (AC servers, 800 V pods): per part ``(count - k) x rating`` (``N+N``: half of
    them, rounded down); parts with neither (a management switch on a PDU) count their own nameplate maximum.

  The sum over the rack is compared with ``rack_power_max``. This is a statement about the *profile*: the
  envelope it promises must be deliverable by the redundancy it demands with the parts its reference design
  uses (a design at a lower load may still pass RF202 at its own operating point).
* **RF904 class-wider-than-parts** (warning): the profile's ASHRAE air class allows inlet air (its allowable
  maximum at sea level) warmer than a part of the seed is rated for (``environment.inlet_max``): the class
  alone does not keep the part in its envelope, RF331 must (the site must stay at or below the part's limit).

The codes are reserved in the profile-consistency range (RF903-909); they are not design rules, so
``rackforge validate`` does not run them.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

_K = {"N": 0, "N+1": 1, "N+2": 2}


@dataclass
class Item:
    code: str
    severity: str            # "error" or "warning"
    generation: str
    seed: str
    rack: str
    message: str
    value: float | None = None
    limit: float | None = None


def _psu_rating(cat, pn) -> float:
    p = cat.get(pn) if pn else None
    return float(p.rating) if p is not None and getattr(p, "rating", None) is not None else 0.0


def deliverable_w(rd, cat, redundancy: str | None, feed_group, dual: bool = False) -> tuple[float, str]:
    """Power [W] the rack definition's PSUs deliver after the faults ``redundancy`` tolerates, and how it was
    counted (for the message)."""
    from rackforge.model.resolved import IT_KINDS

    shelves: list[tuple[str, float, int]] = []   # (feed group, rating, count)
    own = 0.0
    self_powered = 0.0
    for mi in rd.mounts:
        part = mi.part
        if part is None:
            continue
        if part.kind == "power_shelf":
            s = mi.m.psus or part.psus
            if s is not None and s.count > 0:
                shelves.append((feed_group(mi.m.feed), _psu_rating(cat, s.part), s.count))
            continue
        if part.kind not in IT_KINDS:
            continue
        spec = getattr(part, "psus", None)
        if spec is not None:
            n = (mi.m.psus.count if mi.m.psus is not None else spec.count)
            pn = mi.m.psus.part if mi.m.psus is not None else spec.part
            lose = n - n // 2 if redundancy == "N+N" else _K.get(redundancy or "N", 0)
            own += max(n - lose, 0) * _psu_rating(cat, pn)
        elif part.input.type == "ac" or not shelves_expected(rd):
            self_powered += float(part.power.max)
    cap = sum(r * n for _g, r, n in shelves)
    how = []
    left = 0.0
    if shelves:
        by: dict = {}
        for g, r, n in shelves:
            by[g] = by.get(g, 0.0) + r * n
        side = cap - max(by.values()) if len(by) > 1 else 0.0
        if redundancy == "N+N":
            left = side
            how.append(f"shelves {cap / 1e3:.0f} kW installed, {left / 1e3:.0f} kW on one side alone")
        else:
            k = _K.get(redundancy or "N", 0)
            ratings = sorted((r for _g, r, n in shelves for _ in range(n)), reverse=True)
            left = cap - sum(ratings[:k])
            how.append(f"shelves {cap / 1e3:.0f} kW installed, {left / 1e3:.0f} kW with {k} PSU(s) lost")
            if dual and side < left:
                left = side
                how.append(f"{side / 1e3:.0f} kW after the worst feed lost (dual feeds)")
    if own:
        how.append(f"parts' own PSUs {own / 1e3:.1f} kW after {redundancy or 'N'} losses")
    if self_powered:
        how.append(f"{self_powered / 1e3:.2f} kW of parts on their own supply")
    return left + own + self_powered, "; ".join(how)


def shelves_expected(rd) -> bool:
    return any(mi.part is not None and mi.part.kind == "power_shelf" for mi in rd.mounts)


def seeds_by_generation(seed_dir: Path) -> dict[str, list[Path]]:
    from rackforge.io.document import load_document

    out: dict[str, list[Path]] = {}
    for p in sorted(seed_dir.iterdir()):
        if p.suffix not in (".json", ".yaml", ".yml"):
            continue
        data = load_document(str(p)).data
        if isinstance(data, dict) and isinstance(data.get("generation"), str) and "rackforge" in data:
            out.setdefault(data["generation"], []).append(p)
    return out


def check(seed_dir: str | Path, extra_catalogs=()) -> tuple[list[Item], list[str]]:
    """All findings over every concrete profile with a seed, and the profiles that have no seed."""
    from rackforge.engine import Context, Options, load_design
    from rackforge.model.catalog import Catalog, default_catalog, load_catalog_file, resolve_generation
    from rackforge.solvers.air import AIR_CLASSES

    cat = default_catalog()
    if extra_catalogs:
        cat = cat.merged(Catalog())
        for p in extra_catalogs:
            cat.add(load_catalog_file(p))
    seeds = seeds_by_generation(Path(seed_dir))
    items: list[Item] = []
    unseeded = []
    for gid in sorted(cat.generations, key=lambda g: (cat.generations[g].year or 0, g)):
        if cat.generations[gid].year is None:
            continue
        g = resolve_generation(gid, cat).gen
        if gid not in seeds:
            unseeded.append(gid)
            continue
        pmax = g.power.rack_power_max
        red = g.power.psu_redundancy
        cls = g.cooling.air_inlet_class
        for path in seeds[gid]:
            ld = load_design(str(path), catalogs=list(extra_catalogs))
            ctx = Context(ld, Options())
            feeds = {}
            for f in list(ld.design.feeds):
                feeds[f.id] = f.source or f.id
            for rd in ctx.r.defs:
                local = dict(feeds)
                for f in rd.body.power.feeds:
                    local[f.id] = f.source or f.id
                if pmax is not None and red is not None:
                    dual = g.power.feed_redundancy == "dual"
                    have, how = deliverable_w(rd, ld.catalog, red, lambda fid: local.get(fid, fid), dual)
                    ok = have >= float(pmax) * (1 - 1e-9)
                    items.append(Item("RF903", "ok" if ok else "error", gid, path.name, rd.key,
                                      f"{red}{' dual-fed' if dual else ''} with the seed's parts delivers "
                                      f"{have / 1e3:.1f} kW for the {float(pmax) / 1e3:.0f} kW envelope ({how})",
                                      have, float(pmax)))
                if cls is not None:
                    top = AIR_CLASSES[cls].allowable_max_c
                    seen = set()
                    for mi in rd.mounts:
                        env = getattr(mi.part, "environment", None) if mi.part is not None else None
                        if env is None or env.inlet_max is None or mi.part.pn in seen:
                            continue
                        seen.add(mi.part.pn)
                        pm = float(env.inlet_max) - 273.15
                        if pm < top - 1e-9:
                            items.append(Item("RF904", "warning", gid, path.name, rd.key,
                                              f"class {cls} allows inlet air to {top:g} degC; {mi.part.pn} is rated "
                                              f"to {pm:g} degC: the site must hold the part's limit (RF331)",
                                              pm, top))
    return items, unseeded


def report(seed_dir, extra_catalogs=(), fmt: str = "text") -> tuple[str, int]:
    """Text or JSON report and the exit code (1 when an error is found or a profile has no seed)."""
    items, unseeded = check(seed_dir, extra_catalogs)
    bad = any(i.severity == "error" for i in items) or bool(unseeded)
    if fmt == "json":
        return json.dumps({"findings": [asdict(i) for i in items], "profiles_without_seed": unseeded},
                          indent=2) + "\n", int(bad)
    lines = [f"{i.generation} ({i.seed}, {i.rack}): {i.code if i.severity != 'ok' else 'ok   '} "
             f"{i.severity if i.severity != 'ok' else ''}{' ' if i.severity != 'ok' else ''}{i.message}"
             for i in items]
    lines += [f"{g}: no seed design names it; not checked" for g in unseeded]
    n_err = sum(i.severity == "error" for i in items)
    n_warn = sum(i.severity == "warning" for i in items)
    lines.append(f"profiles checked: {n_err} error(s), {n_warn} warning(s)" +
                 (f", {len(unseeded)} without a seed" if unseeded else ""))
    return "\n".join(lines) + "\n", int(bad)
