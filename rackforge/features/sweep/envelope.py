"""The operating envelope of a design along one or two site variables.

Along ``x`` (and ``y``), a coarse scan of evenly spaced points; between two neighbouring points whose verdicts
differ, bisection to the tolerance. The verdict of a point is either

* pass/fail: no finding at error severity (of the selected rules), or
* a margin: a numeric key of the flattened ``analyze --format json`` output, or the least of several keys
  given as a glob (``cooling.loops.*.branches.*.case_temperature_margin_k``); the point passes when the margin
  is at least zero.

Bisection finds a boundary exactly (to the tolerance) where the verdict changes once between two scanned
points; a verdict that flips more than once inside one scan interval is missed, as with any scan: make the scan
finer (``points``). Each point is one case of :mod:`rackforge.features.sweep.evaluate`, run in this process.
In two dimensions the scan is a ``points`` x ``points`` grid (the pass/fail map) and the bisection runs along
``x`` at each ``y`` of the grid.
"""
from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from typing import Any

from rackforge.features.sweep.cases import make_case
from rackforge.features.sweep.evaluate import evaluate_case
from rackforge.features.sweep.spec import SITE_VARIABLES


@dataclass
class Axis:
    name: str
    lo: float        # SI
    hi: float        # SI

    @property
    def dim(self) -> str:
        return SITE_VARIABLES[self.name][0]


def parse_axis(text: str) -> Axis:
    """``NAME:FROM:TO`` (``facility_water_supply_temperature:20 degC:50 degC``) -> :class:`Axis` (SI).
    Raises ValueError with a message for the user."""
    from rackforge.model.units import UnitError, parse

    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError(f"{text!r}: expected NAME:FROM:TO, e.g. 'altitude:0 m:3000 m'")
    name, a, b = (p.strip() for p in parts)
    if name not in SITE_VARIABLES:
        raise ValueError(f"{name!r} is not a site variable: expected one of {', '.join(SITE_VARIABLES)}")
    dim = SITE_VARIABLES[name][0]
    try:
        lo, hi = float(parse(a, dim)), float(parse(b, dim))
    except UnitError as exc:
        raise ValueError(f"{text!r}: {exc}") from None
    if not lo < hi:
        raise ValueError(f"{text!r}: FROM must be below TO")
    return Axis(name, lo, hi)


@dataclass
class Envelope:
    design: str
    x: Axis
    y: Axis | None
    metric: str | None
    generation: str | None = None
    operating_point: str | None = None
    fault_depth: int | None = None
    points: list[dict] = field(default_factory=list)       # every evaluated point
    boundaries: list[dict] = field(default_factory=list)   # {y?, x, passes_below}

    def to_json(self) -> dict:
        def ax(a):
            return None if a is None else {"name": a.name, "unit": _si_unit(a.dim), "from": a.lo, "to": a.hi}

        return {"design": self.design, "x": ax(self.x), "y": ax(self.y), "metric": self.metric,
                "generation": self.generation, "operating_point": self.operating_point,
                "fault_depth": self.fault_depth, "points": self.points, "boundaries": self.boundaries,
                "pass_intervals": self.pass_intervals() if self.y is None else None}

    def pass_intervals(self) -> list[list[float]]:
        """1-D: the intervals of x where the design holds, bounded by the bisected boundaries."""
        pts = sorted((p["x"], p["pass"]) for p in self.points)
        out: list[list[float]] = []
        start = None
        bounds = sorted(b["x"] for b in self.boundaries)
        for i, (x, ok) in enumerate(pts):
            if ok and start is None:
                start = x if i == 0 else _between(bounds, pts[i - 1][0], x)
            if not ok and start is not None:
                out.append([start, _between(bounds, pts[i - 1][0], x)])
                start = None
        if start is not None:
            out.append([start, pts[-1][0]])
        return out


def _between(bounds: list[float], a: float, b: float) -> float:
    inside = [v for v in bounds if a <= v <= b]
    return inside[0] if inside else (a + b) / 2


def _si_unit(dim: str) -> str:
    return {"temperature": "K", "length": "m", "power": "W", "temperature_difference": "K",
            "mass_per_area": "kg/m**2"}[dim]


def margin_of(row: dict, metric: str) -> float | None:
    """The metric of a result row: a key, or the least value over the keys matching a glob."""
    if any(c in metric for c in "*?["):
        vals = [v for k, v in row.items() if fnmatch.fnmatchcase(k, metric) and isinstance(v, (int, float))
                and not isinstance(v, bool)]
        return min(vals) if vals else None
    v = row.get(metric)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def compute_envelope(path: str, x: Axis, y: Axis | None = None, *, metric: str | None = None, points: int = 9,
                     tolerance: float | None = None, generation: str | None = None,
                     operating_point: str | None = None, fault_depth: int | None = None,
                     catalogs: tuple[str, ...] = (), select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
                     progress=None) -> Envelope:
    """Scan and bisect (see the module text). ``tolerance`` in SI of x (default (to - from) / 1000)."""
    from rackforge.engine import expect_designs

    tol = tolerance if tolerance is not None else (x.hi - x.lo) / 1000
    env = Envelope(path, x, y, metric, generation, operating_point, fault_depth)
    ys = [None] if y is None else [y.lo + (y.hi - y.lo) * j / (points - 1) for j in range(points)]
    xs = [x.lo + (x.hi - x.lo) * i / (points - 1) for i in range(points)]
    bisect_steps = max(int(math.ceil(math.log2(max((x.hi - x.lo) / points / tol, 1)))), 0)
    prev = expect_designs(len(xs) * len(ys) + 2 * len(ys) * bisect_steps)

    def run(xv: float, yv: float | None) -> dict:
        site = [(x.name, xv)] + ([(y.name, yv)] if y is not None else [])
        case = make_case(path, path, generation=generation, operating_point=operating_point,
                         fault_depth=fault_depth, site=site)
        row = evaluate_case(case, catalogs, select, ignore)
        m = margin_of(row, metric) if metric else None
        ok = bool(row.get("pass")) if metric is None else (m is not None and m >= 0)
        pt = {"x": xv, "pass": ok, "margin": m, "error_codes": row.get("error_codes") or "",
              "failure": row.get("failure")}
        if y is not None:
            pt["y"] = yv
        env.points.append(pt)
        if progress is not None:
            progress()
        return pt

    try:
        for yv in ys:
            scan = [run(xv, yv) for xv in xs]
            for a, b in zip(scan, scan[1:]):
                if a["pass"] == b["pass"]:
                    continue
                lo, hi, lo_ok = a["x"], b["x"], a["pass"]
                while hi - lo > tol:
                    mid = (lo + hi) / 2
                    if run(mid, yv)["pass"] == lo_ok:
                        lo = mid
                    else:
                        hi = mid
                bd = {"x": (lo + hi) / 2, "passes_below": lo_ok}
                if y is not None:
                    bd["y"] = yv
                env.boundaries.append(bd)
    finally:
        expect_designs(prev)
    env.points.sort(key=lambda p: (p.get("y") or 0.0, p["x"]))
    return env


# --- plots --------------------------------------------------------------------------------------------------

def _display(dim: str, si: float) -> float:
    return si - 273.15 if dim == "temperature" else si


def _label(a: dict) -> str:
    dim = SITE_VARIABLES[a["name"]][0]
    unit = {"temperature": "\u00b0C", "length": "m", "power": "W", "temperature_difference": "K",
            "mass_per_area": "kg/m\u00b2"}[dim]
    return f"{a['name'].replace('_', ' ')} [{unit}]"


def plot(data: dict, path: str | None = None, fmt: str | None = None) -> bytes:
    """The envelope figure (matplotlib, Agg): 1-D margin (or pass/fail) against x with the pass intervals
    shaded and the boundaries marked; 2-D the pass/fail map with the bisected boundary. Returns the file bytes
    (SVG or PNG, from ``fmt`` or the suffix of ``path``) and writes ``path`` atomically when given."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    fmt = (fmt or (path.rsplit(".", 1)[-1] if path and "." in path else "svg")).lower()
    xa, ya = data["x"], data["y"]
    xdim = SITE_VARIABLES[xa["name"]][0]
    fig, ax = plt.subplots(figsize=(7.0, 4.2), dpi=110)
    pts = data["points"]
    title = f"{data['design'].rsplit('/', 1)[-1]}: operating envelope"
    if data.get("fault_depth"):
        title += f" (fault depth {data['fault_depth']})"
    if ya is None:
        xs = [_display(xdim, p["x"]) for p in pts]
        for lo, hi in data.get("pass_intervals") or []:
            ax.axvspan(_display(xdim, lo), _display(xdim, hi), color="#2e7d32", alpha=0.12, lw=0)
        if data.get("metric") and any(p["margin"] is not None for p in pts):
            mx = [(x, p["margin"]) for x, p in zip(xs, pts) if p["margin"] is not None]
            ax.plot([m[0] for m in mx], [m[1] for m in mx], "-", color="#37474f", lw=1.2, zorder=2)
            ax.scatter([x for x, p in zip(xs, pts) if p["margin"] is not None],
                       [p["margin"] for p in pts if p["margin"] is not None],
                       c=["#2e7d32" if p["pass"] else "#c62828" for p in pts if p["margin"] is not None],
                       s=18, zorder=3)
            ax.axhline(0, color="#c62828", lw=0.8, ls="--")
            ax.set_ylabel(_metric_label(data["metric"]))
        else:
            ax.scatter(xs, [1 if p["pass"] else 0 for p in pts],
                       c=["#2e7d32" if p["pass"] else "#c62828" for p in pts], s=18, zorder=3)
            ax.set_yticks([0, 1], ["fail", "pass"])
            ax.set_ylim(-0.5, 1.5)
        for b in data["boundaries"]:
            bx = _display(xdim, b["x"])
            ax.axvline(bx, color="#1565c0", lw=1.0)
            ax.annotate(f"{bx:.4g}", (bx, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -12),
                        textcoords="offset points", color="#1565c0", fontsize=8)
        pad = 0.02 * (xa["to"] - xa["from"])
        ax.set_xlim(_display(xdim, xa["from"] - pad), _display(xdim, xa["to"] + pad))
        ax.legend(handles=[Patch(color="#2e7d32", alpha=0.3, label="holds"),
                           Patch(color="#1565c0", label="boundary (bisection)")], loc="best", fontsize=8)
    else:
        from matplotlib.patches import Rectangle

        ydim = SITE_VARIABLES[ya["name"]][0]
        gy = sorted({p["y"] for p in pts})
        ey = _edges([_display(ydim, v) for v in gy])
        ey[0], ey[-1] = _display(ydim, ya["from"]), _display(ydim, ya["to"])
        x0, x1 = _display(xdim, xa["from"]), _display(xdim, xa["to"])
        colour = {True: "#a5d6a7", False: "#ef9a9a"}
        for j, yv in enumerate(gy):
            # one band per scanned y: the verdict of its first point, switching at each bisected boundary
            row = sorted((p for p in pts if p["y"] == yv), key=lambda p: p["x"])
            cuts = sorted((b["x"], b["passes_below"]) for b in data["boundaries"] if b["y"] == yv)
            left, ok = x0, row[0]["pass"]
            for bx, below in cuts:
                bx = _display(xdim, bx)
                ax.add_patch(Rectangle((left, ey[j]), bx - left, ey[j + 1] - ey[j], color=colour[below], lw=0))
                left, ok = bx, not below
            ax.add_patch(Rectangle((left, ey[j]), x1 - left, ey[j + 1] - ey[j], color=colour[ok], lw=0))
        grid_pts = [p for p in pts if _on_grid(p["x"], xa, pts)]
        ax.scatter([_display(xdim, p["x"]) for p in grid_pts], [_display(ydim, p["y"]) for p in grid_pts],
                   c=["#2e7d32" if p["pass"] else "#c62828" for p in grid_pts], s=8, zorder=3)
        bd = sorted(data["boundaries"], key=lambda b: (b["y"], b["x"]))
        if bd:
            ax.plot([_display(xdim, b["x"]) for b in bd], [_display(ydim, b["y"]) for b in bd], "o-",
                    color="#1565c0", ms=4, lw=1.0, zorder=4)
        ax.set_xlim(x0, x1)
        ax.set_ylim(ey[0], ey[-1])
        ax.set_ylabel(_label(ya))
        ax.legend(handles=[Patch(color="#a5d6a7", label="pass"), Patch(color="#ef9a9a", label="fail"),
                           Patch(color="#1565c0", label="boundary (bisection)")], loc="upper left",
                  bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0)
    ax.set_xlabel(_label(xa))
    if data.get("metric"):
        title += f"\nmargin: {data['metric']} \u2265 0"
    ax.set_title(title, fontsize=9)
    ax.grid(True, lw=0.3, alpha=0.5)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
    out = buf.getvalue()
    if path:
        from rackforge.io.fileio import atomic_write

        atomic_write(path, out)
    return out


def _on_grid(xv: float, xa: dict, pts: list[dict]) -> bool:
    n = len({p["y"] for p in pts})  # points per axis equals the number of y grid values
    if n < 2:
        return True
    step = (xa["to"] - xa["from"]) / (n - 1)
    k = (xv - xa["from"]) / step
    return abs(k - round(k)) < 1e-9


def _edges(c: list[float]) -> list[float]:
    if len(c) == 1:
        return [c[0] - 0.5, c[0] + 0.5]
    mids = [(a + b) / 2 for a, b in zip(c, c[1:])]
    return [c[0] - (mids[0] - c[0])] + mids + [c[-1] + (c[-1] - mids[-1])]


def _metric_label(metric: str) -> str:
    """A short axis label: the metric's last key (the full key or glob is in the title and the JSON)."""
    last = metric.rsplit(".", 1)[-1]
    return ("least " if any(ch in metric for ch in "*?[") else "") + last


def _unit_text(a: dict) -> str:
    return "\u00b0C" if SITE_VARIABLES[a["name"]][0] == "temperature" else a["unit"]


def describe(data: dict) -> str:
    """One line: where the design holds (1-D) or the boundary per y (2-D)."""
    xa = data["x"]
    xdim = SITE_VARIABLES[xa["name"]][0]
    u = _unit_text(xa)
    if data["y"] is None:
        iv = data.get("pass_intervals") or []
        txt = ", ".join(f"{_display(xdim, a):.4g} to {_display(xdim, b):.4g} {u}" for a, b in iv) or "nowhere"
        return f"{data['design']}: holds for {xa['name']} from {txt} (scanned {_display(xdim, xa['from']):.4g} " \
               f"to {_display(xdim, xa['to']):.4g} {u})"
    ya = data["y"]
    ydim = SITE_VARIABLES[ya["name"]][0]
    bs = "; ".join(f"{ya['name']} {_display(ydim, b['y']):.4g} {_unit_text(ya)}: {_display(xdim, b['x']):.4g} {u}"
                   for b in sorted(data["boundaries"], key=lambda b: (b["y"], b["x"])))
    return f"{data['design']}: boundaries along {xa['name']}: {bs or 'none in the scanned range'}"


def envelope_html(data: dict) -> str:
    """The report section: the figure (inline SVG) and the limits."""
    from html import escape

    svg = plot(data, fmt="svg").decode("utf-8")
    svg = svg[svg.find("<svg"):]
    # matplotlib's <style> sets "*{...}": inside an HTML page it would restyle every element, not just the figure
    import re

    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    xa = data["x"]
    xdim = SITE_VARIABLES[xa["name"]][0]
    unit = "\u00b0C" if xdim == "temperature" else xa["unit"]
    crit = f"margin {escape(data['metric'])} \u2265 0" if data.get("metric") else "no finding at error severity"
    rows = []
    if data["y"] is None:
        iv = data.get("pass_intervals") or []
        txt = ", ".join(f"{_display(xdim, a):.4g} to {_display(xdim, b):.4g} {unit}" for a, b in iv) or "nowhere"
        rows.append(f"<p>Holds ({crit}) for {escape(xa['name'])} from {txt}, scanned from "
                    f"{_display(xdim, xa['from']):.4g} to {_display(xdim, xa['to']):.4g} {unit}.</p>")
    else:
        ya = data["y"]
        ydim = SITE_VARIABLES[ya["name"]][0]
        yunit = "\u00b0C" if ydim == "temperature" else ya["unit"]
        rows.append(f"<p>Pass/fail map ({crit}); boundaries along {escape(xa['name'])} at each "
                    f"{escape(ya['name'])}:</p><table><tr><th>{escape(ya['name'])} [{yunit}]</th>"
                    f"<th>{escape(xa['name'])} [{unit}]</th><th>passes</th></tr>")
        for b in sorted(data["boundaries"], key=lambda b: (b["y"], b["x"])):
            rows.append(f"<tr><td>{_display(ydim, b['y']):.4g}</td><td>{_display(xdim, b['x']):.4g}</td>"
                        f"<td>{'below' if b['passes_below'] else 'above'}</td></tr>")
        rows.append("</table>")
    codes = sorted({c for p in data["points"] for c in (p.get("error_codes") or "").split()})
    if codes:
        rows.append(f"<p>Rules failing somewhere in the scan: {escape(', '.join(codes))}.</p>")
    return f"<figure class=\"envelope\">{svg}</figure>" + "".join(rows)
