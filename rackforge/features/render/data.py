"""Adapters: the only place the renderers read analysis results from.

The power, cooling, network and supply-chain analyses are computed by ``rackforge.lowering.<area>`` (exposed on
the engine :class:`~rackforge.engine.Context` as ``ctx.power``, ``ctx.cooling``, ...). Until a module exists its
section says "not available". Each function here is small so that switching it to a richer result object is a
one-place change.

Shapes read from ``ctx.<area>.to_json()`` (SI floats, the unit in the key):

* per-mount rows anywhere in the tree: a mapping with ``mount`` (mount id) and optionally ``rack`` or
  ``definition``, plus ``..._w`` loads (``load_w``/``power_w``), ``flow_m3_s``, ``min_flow_m3_s`` and a
  case-temperature margin key containing ``margin`` and ending in ``_k`` (``case_temperature_margin_k``);
* fault scenarios: a list under a key containing ``scenario``, each row a mapping; rows are ranked by their
  first key containing ``margin`` (smallest first).
"""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from typing import Any, Iterator

from rackforge.model.resolved import IT_KINDS, MountInfo, RackDef, mount_power

AREAS = ("power", "cooling", "network", "supply_chain")


def lowering_exists(area: str) -> bool:
    """True when ``rackforge.lowering.<area>`` is installed (its analysis can be computed)."""
    try:
        return importlib.util.find_spec(f"rackforge.lowering.{area}") is not None
    except (ImportError, ValueError):
        return False


@dataclass
class AreaResult:
    """An area's analysis as JSON, or why there is none."""

    area: str
    data: dict | None
    reason: str | None = None

    @property
    def available(self) -> bool:
        return self.data is not None


def area_json(ctx, area: str) -> AreaResult:
    """``ctx.<area>.to_json()``, or the reason it is not available (module missing, or the analysis failed)."""
    cache = ctx.__dict__.setdefault("_render_area_cache", {})
    if area in cache:
        return cache[area]
    why_not = ctx.not_modelled_because() if hasattr(ctx, "not_modelled_because") else None
    if not lowering_exists(area):
        res = AreaResult(area, None, f"no {area.replace('_', ' ')} analysis in this version of rackforge")
    elif why_not:
        res = AreaResult(area, None, f"not modelled: {why_not}")
    else:
        try:
            res = AreaResult(area, getattr(ctx, area).to_json())
        except Exception as exc:  # one failing analysis must not take the whole report down
            print(f"rackforge: warning: {area} analysis failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            res = AreaResult(area, None, f"the {area.replace('_', ' ')} analysis failed "
                                         f"({type(exc).__name__}: {exc})")
    cache[area] = res
    return res


def iter_rows(data: Any) -> Iterator[dict]:
    """Every mapping in a JSON tree that names a mount (``mount``/``mount_id``/``tray``)."""
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            if any(isinstance(x.get(k), str) for k in ("mount", "mount_id", "tray")):
                yield x
            stack.extend(v for v in x.values() if isinstance(v, (dict, list)))
        elif isinstance(x, list):
            stack.extend(v for v in reversed(x) if isinstance(v, (dict, list)))


def row_mount(row: dict) -> str:
    for k in ("mount", "mount_id", "tray"):
        if isinstance(row.get(k), str):
            return row[k]
    return ""


def row_rack(row: dict) -> str | None:
    for k in ("definition", "rack", "template"):
        if isinstance(row.get(k), str):
            return row[k]
    return None


def first_key(row: dict, *, contains: str = "", suffix: str = "", prefix: str = "") -> str | None:
    for k, v in row.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool) and contains in k and k.endswith(suffix) \
                and k.startswith(prefix):
            return k
    return None


def _rows_for(ctx, area: str, rdef: RackDef) -> dict[str, dict]:
    res = area_json(ctx, area)
    if not res.available:
        return {}
    ids = {rdef.key, *(i.id for i in rdef.instances)}
    out: dict[str, dict] = {}
    for row in iter_rows(res.data):
        rk = row_rack(row)
        if rk is not None and rk not in ids:
            continue
        out.setdefault(row_mount(row), row)
    return out


# ------------------------------------------------------------------------------------------------ power
def power_source(ctx) -> str:
    """What the power overlay shows: a solved load when the power analysis gives one, else nameplate."""
    cache = ctx.__dict__.setdefault("_render_area_cache", {})
    if "_power_source" not in cache:
        cache["_power_source"] = ("solved" if area_json(ctx, "power").available and _any_power_rows(ctx)
                                  else "nameplate")
    return cache["_power_source"]


def _any_power_rows(ctx) -> bool:
    return any(first_key(r, suffix="_w", contains="load") or first_key(r, suffix="_w", contains="power")
               for r in iter_rows(area_json(ctx, "power").data))


def mount_power_w(ctx, rdef: RackDef, mi: MountInfo) -> float | None:
    """Power drawn by a mount [W]: the solved load when the power analysis has it, else the nameplate power at
    the operating point (IT parts only; None for parts that draw no IT load)."""
    if power_source(ctx) == "solved":
        row = _rows_for(ctx, "power", rdef).get(mi.id)
        if row is not None:
            k = first_key(row, suffix="_w", contains="load") or first_key(row, suffix="_w", contains="power")
            if k:
                return float(row[k])
    if mi.part is None or mi.part.kind not in IT_KINDS:
        return None
    return mount_power(mi.part, ctx.op)


# ---------------------------------------------------------------------------------------------- cooling
def thermal_available(ctx) -> tuple[bool, str]:
    """Whether case-temperature margins exist, and the legend's note when they do not."""
    res = area_json(ctx, "cooling")
    if not res.available:
        return False, "no thermal analysis available" + (f": {res.reason}" if res.reason else "")
    if not any(first_key(r, contains="margin", suffix="_k") for r in iter_rows(res.data)):
        return False, "no thermal analysis available: the cooling analysis gives no case-temperature margins"
    return True, "case-temperature margin from the cooling analysis"


def mount_thermal_margin_k(ctx, rdef: RackDef, mi: MountInfo) -> float | None:
    """Case-temperature margin of a mount [K] (limit minus the hottest case), or None."""
    row = _rows_for(ctx, "cooling", rdef).get(mi.id)
    if row is None:
        return None
    k = first_key(row, contains="margin", suffix="_k")
    return float(row[k]) if k else None


@dataclass
class Branch:
    rack: str | None
    mount: str
    flow_m3_s: float | None
    min_flow_m3_s: float | None
    margin_k: float | None


def cooling_branches(ctx) -> list[Branch]:
    """Per-branch flow and case-temperature margin from the cooling analysis (empty when there is none)."""
    res = area_json(ctx, "cooling")
    if not res.available:
        return []
    out = []
    for row in iter_rows(res.data):
        fk = next((k for k in row if k.startswith("flow") and k.endswith("_m3_s")
                   and isinstance(row[k], (int, float))), None)
        mk = next((k for k in row if k.startswith("min_flow") and k.endswith("_m3_s")
                   and isinstance(row[k], (int, float))), None)
        tk = first_key(row, contains="margin", suffix="_k")
        if fk is None and tk is None:
            continue
        out.append(Branch(row_rack(row), row_mount(row), float(row[fk]) if fk else None,
                          float(row[mk]) if mk else None, float(row[tk]) if tk else None))
    return out


# ---------------------------------------------------------------------------------------- fault scenarios
def fault_scenarios(ctx, limit: int = 10) -> list[tuple[str, dict]]:
    """The worst fault scenarios of every area: (area, row), smallest margin first."""
    rows: list[tuple[str, dict]] = []
    for area in ("power", "cooling"):
        res = area_json(ctx, area)
        if not res.available:
            continue
        for key, val in _walk_items(res.data):
            if "scenario" in key and isinstance(val, list):
                rows.extend((area, r) for r in val if isinstance(r, dict))

    def rank(item):
        k = first_key(item[1], contains="margin")
        return (0, item[1][k]) if k else (1, 0.0)

    rows.sort(key=rank)
    return rows[:limit]


def _walk_items(data: Any) -> Iterator[tuple[str, Any]]:
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            for k, v in x.items():
                yield k, v
                if isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(x, list):
            stack.extend(v for v in x if isinstance(v, (dict, list)))


# ---------------------------------------------------------------------------------------------------- BOM
def bom_rows(ctx) -> tuple[list[dict] | None, str]:
    """BOM lines (a list of mappings) and where they came from, or None and why not."""
    if lowering_exists("supply_chain"):
        res = area_json(ctx, "supply_chain")
        if res.available:
            for key, val in _walk_items(res.data):
                if key in ("bom", "lines", "items") and isinstance(val, list) and all(isinstance(r, dict)
                                                                                       for r in val):
                    return val, "supply-chain analysis"
            return None, "the supply-chain analysis gives no BOM lines"
        return None, res.reason or "not available"
    return None, "no BOM in this version of rackforge"
