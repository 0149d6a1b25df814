"""Rack elevations as SVG: one column per rack, drawn to scale, one ``<g data-mount="ID">`` per mount.

A column shows the frame's slots (RU = 44.45 mm or OU = 48 mm, numbered from 1 at the bottom, drawn at
``PX_PER_M`` so racks of either pitch line up), each mount as a labelled box coloured by its kind, free slots as
faint boxes, 0U side mounts (PDUs) in the side strips, and on the rear face the busbars and the liquid manifold
with a marker where each part taps them. Parts mounted from the other face are drawn dashed and faded: a
full-depth tray is seen from both faces.

Overlays shade each mount by a figure read through :mod:`rackforge.features.render.data` (power draw, case-temperature
margin) or by the worst severity of the findings located on it, with a legend. Rear views swap the left and
right side strips (the rack is seen from behind).

Everything is plain data in, text out: no analysis is computed here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence
from xml.sax.saxutils import escape, quoteattr

from rackforge.model.findings import Finding, Severity
from rackforge.model.resolved import IT_KINDS, MountInfo, RackDef

PX_PER_M = 400.0            # drawing scale: 1 RU = 17.8 px, 1 OU = 19.2 px
SCALE_W = 34                # slot numbers
SIDE_W = 16                 # each 0U side strip
SERVICE_W = 30              # each rear service column (busbar, manifold): the bar and its label
GAP = 44                    # between racks
TOP = 74                    # caption + rack titles
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
RU_M, OU_M = 0.04445, 0.048

# interior (mounting) width per frame standard [m]: 19 in EIA-310 panel, 21 in Open Rack bay, Open Rack Wide
WIDTH_M = {"eia19": 0.4826, "ocp21": 0.5334, "orw": 0.66}

KIND_COLOURS = {
    "compute_tray": "#9ecae1",
    "switch_tray": "#a1d99b",
    "switch": "#c7e9c0",
    "power_shelf": "#fdae6b",
    "pdu": "#fdd0a2",
    "cdu": "#9edae5",
    "manifold": "#6baed6",
    "fan": "#d9d9d9",
    "rdhx": "#bcbddc",
    "blanking_panel": "#f0f0f0",
    None: "#f4a6a6",
}
KIND_NAMES = {
    "compute_tray": "compute tray", "switch_tray": "switch tray", "switch": "switch", "power_shelf": "power shelf",
    "pdu": "PDU", "cdu": "CDU", "manifold": "manifold", "fan": "fan", "rdhx": "rear-door HX",
    "blanking_panel": "blanking panel", None: "unknown part",
}
SEVERITY_COLOURS = {Severity.ERROR: "#e45756", Severity.WARNING: "#f2b447", Severity.INFO: "#7fb3d5"}
CLEAN = "#dcefdc"
NO_VALUE = "#e6e6e6"
POWER_STOPS = ((0.0, "#fff7bc"), (0.5, "#fd8d3c"), (1.0, "#b30000"))
MARGIN_STOPS = ((0.0, "#d73027"), (0.5, "#fee08b"), (1.0, "#1a9850"))
MARGIN_FULL_K = 20.0        # margins at or above this are full green
BUSBAR_FILL = "#c8863c"
SUPPLY, RETURN = "#3182bd", "#de2d26"

OVERLAYS = ("none", "power", "thermal", "findings")
FACES = ("front", "rear")


# ------------------------------------------------------------------------------------------- colour helpers
def _hex(c: str) -> tuple[int, int, int]:
    return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)


def ramp(stops: Sequence[tuple[float, str]], t: float) -> str:
    """Colour at ``t`` in [0, 1] along linear RGB stops."""
    t = 0.0 if math.isnan(t) else min(1.0, max(0.0, t))
    for (t0, c0), (t1, c1) in zip(stops, stops[1:]):
        if t <= t1:
            f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            a, b = _hex(c0), _hex(c1)
            return "#%02x%02x%02x" % tuple(round(x + (y - x) * f) for x, y in zip(a, b))
    return stops[-1][1]


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (relative luminance, sRGB weights)."""
    r, g, b = _hex(fill)
    return "#000000" if (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 > 0.5 else "#ffffff"


def fmt_power(w: float) -> str:
    return f"{w / 1000:.1f} kW" if abs(w) >= 1000 else f"{w:.0f} W"


# ---------------------------------------------------------------------------------------------- overlays
@dataclass
class Shade:
    fill: str
    value: str = ""                      # short text drawn at the box's right end
    note: str = ""                       # tooltip line
    attrs: dict = field(default_factory=dict)


@dataclass
class Legend:
    title: str
    swatches: list[tuple[str, str]] = field(default_factory=list)      # (colour, label)
    gradient: tuple[Sequence[tuple[float, str]], str, str] | None = None  # stops, left label, right label
    note: str = ""


def mount_severities(findings: Iterable[Finding], rdef: RackDef) -> dict[str, tuple[Severity, list[str]]]:
    """Worst severity and the codes of the findings located on each mount of ``rdef`` (by JSON Pointer)."""
    out: dict[str, tuple[Severity, list[str]]] = {}
    ptrs = [(mi.ptr, mi.id) for mi in rdef.mounts]
    for f in findings:
        p = f.pointer or ""
        for mp, mid in ptrs:
            if p == mp or p.startswith(mp + "/"):
                sev, codes = out.get(mid, (Severity.INFO, []))
                out[mid] = (max(sev, f.severity) if codes else f.severity, codes + [f.code])
                break
    return out


class Shader:
    """Colours mounts for one overlay across all drawn racks (one scale for the whole picture)."""

    def __init__(self, ctx, defs: Sequence[RackDef], overlay: str, findings: Sequence[Finding] | None = None):
        from rackforge.features.render import data

        if overlay not in OVERLAYS:
            raise ValueError(f"unknown overlay {overlay!r}: expected one of {', '.join(OVERLAYS)}")
        self.ctx, self.overlay = ctx, overlay
        self.values: dict[tuple[str, str], float | None] = {}
        self.sev: dict[str, dict[str, tuple[Severity, list[str]]]] = {}
        self.note = ""
        if overlay == "power":
            self.source = data.power_source(ctx)
            for d in defs:
                for mi in d.mounts:
                    self.values[d.key, mi.id] = data.mount_power_w(ctx, d, mi)
            self.vmax = max((v for v in self.values.values() if v is not None), default=0.0)
        elif overlay == "thermal":
            self.ok, self.note = data.thermal_available(ctx)
            if self.ok:
                for d in defs:
                    for mi in d.mounts:
                        self.values[d.key, mi.id] = data.mount_thermal_margin_k(ctx, d, mi)
        elif overlay == "findings":
            for d in defs:
                self.sev[d.key] = mount_severities(findings or (), d)

    def shade(self, d: RackDef, mi: MountInfo) -> Shade:
        kind = mi.kind
        if self.overlay == "none":
            return Shade(KIND_COLOURS.get(kind, KIND_COLOURS[None]))
        if self.overlay == "power":
            v = self.values.get((d.key, mi.id))
            if v is None:
                return Shade(NO_VALUE, note="no IT load")
            t = v / self.vmax if self.vmax > 0 else 0.0
            return Shade(ramp(POWER_STOPS, t), fmt_power(v), f"{self.source} power {fmt_power(v)}",
                         {"data-power-w": f"{v:.6g}"})
        if self.overlay == "thermal":
            v = self.values.get((d.key, mi.id))
            if v is None:
                return Shade(NO_VALUE, note="no case-temperature margin")
            return Shade(ramp(MARGIN_STOPS, v / MARGIN_FULL_K), f"{v:+.1f} K",
                         f"case-temperature margin {v:+.1f} K", {"data-margin-k": f"{v:.6g}"})
        sev = self.sev.get(d.key, {}).get(mi.id)
        if sev is None:
            return Shade(CLEAN, note="no findings", attrs={"data-severity": "none"})
        s, codes = sev
        return Shade(SEVERITY_COLOURS[s], ",".join(sorted(set(codes)))[:18],
                     f"{len(codes)} finding(s), worst {s}: {', '.join(sorted(set(codes)))}",
                     {"data-severity": str(s)})

    def legend(self, kinds: Iterable[str | None]) -> Legend:
        if self.overlay == "none":
            order = list(KIND_COLOURS)
            present = sorted(set(kinds), key=lambda k: order.index(k) if k in order else len(order))
            return Legend("part kind", [(KIND_COLOURS.get(k, KIND_COLOURS[None]), KIND_NAMES.get(k, str(k)))
                                        for k in present])
        if self.overlay == "power":
            what = ("solved load from the power analysis" if self.source == "solved"
                    else f"nameplate at the '{self.ctx.op}' operating point (constant-power loads)")
            return Legend("power draw", [(NO_VALUE, "no IT load")], (POWER_STOPS, "0 W", fmt_power(self.vmax)),
                          what)
        if self.overlay == "thermal":
            if not self.ok:
                return Legend("case-temperature margin", [(NO_VALUE, "no margin")], None, self.note)
            return Legend("case-temperature margin", [(NO_VALUE, "no margin")],
                          (MARGIN_STOPS, "0 K or less", f"{MARGIN_FULL_K:g} K or more"), self.note)
        return Legend("worst finding", [(SEVERITY_COLOURS[Severity.ERROR], "error"),
                                        (SEVERITY_COLOURS[Severity.WARNING], "warning"),
                                        (SEVERITY_COLOURS[Severity.INFO], "info"), (CLEAN, "no findings")])


# ------------------------------------------------------------------------------------------------ drawing
@dataclass
class Column:
    """One rack to draw: its definition and the titles above it."""

    rdef: RackDef
    title: str
    subtitle: str = ""


def _attr(**kw) -> str:
    return "".join(f" {k.replace('_', '-')}={quoteattr(str(v))}" for k, v in kw.items() if v is not None)


def _pitch_name(pitch: float | None) -> str:
    if pitch is None:
        return "slot"
    if abs(pitch - OU_M) < 1e-4:
        return "OU"
    if abs(pitch - RU_M) < 1e-4:
        return "RU"
    return f"{pitch * 1000:.1f} mm"


def _fit(text: str, width_px: float, font_px: float) -> str:
    """Clip ``text`` to about ``width_px`` (DejaVu Sans averages ~0.6 em per character)."""
    n = max(1, int(width_px / (0.6 * font_px)))
    return text if len(text) <= n else text[: max(1, n - 1)] + "\u2026"


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, s: str) -> None:
        self.parts.append(s)

    def text(self, x, y, s, size=10, anchor="start", weight=None, fill="#000000", rotate=None, cls=None):
        tr = f" transform=\"rotate({rotate} {x:.1f} {y:.1f})\"" if rotate is not None else ""
        self.add(f"<text x=\"{x:.1f}\" y=\"{y:.1f}\" font-size=\"{size}\"" + _attr(text_anchor=anchor if anchor
                 != "start" else None, font_weight=weight, fill=fill if fill != "#000000" else None,
                 **{"class": cls}) + f"{tr}>{escape(s)}</text>")


#: slots drawn above a frame's top for mounts that run past it (in red); mounts higher still are left out
OVER_SLOTS = 12


def _column_geometry(col: Column, face: str) -> dict:
    d = col.rdef
    frame = d.frame
    pitch = float(frame.slot) if frame is not None else RU_M
    slots = frame.slots if frame is not None else 0
    # mounts above the frame (RF102) are drawn up to OVER_SLOTS slots above its top, never more: the drawing's
    # size is bounded by the frame, not by a mount's position (a mount at u 1e5 must not draw 1e5 slots)
    top_slot = min(max([slots] + [mi.hi for mi in d.mounts if mi.hi is not None]), max(slots, 1) + OVER_SLOTS)
    std = frame.standard if frame is not None else "eia19"
    inner = WIDTH_M.get(std, WIDTH_M["eia19"]) * PX_PER_M
    n_bus = len(d.body.power.busbars) if face == "rear" else 0
    manifolds = [mi for mi in d.mounts if mi.kind == "manifold" and mi.lo is None and mi.m.face == face]
    services = (n_bus + len(manifolds)) * SERVICE_W + (6 if n_bus or manifolds else 0)
    width = SCALE_W + SIDE_W + inner + SIDE_W + services
    return dict(pitch=pitch, slots=slots, top_slot=max(top_slot, 1), inner=inner, h=pitch * PX_PER_M,
                width=width, manifolds=manifolds, n_bus=n_bus, std=std)


def elevation_svg(ctx, columns: Sequence[Column], *, face: str = "front", overlay: str = "none",
                  findings: Sequence[Finding] | None = None, caption: str | None = None,
                  element_id: str | None = None) -> str:
    """An SVG document of ``columns`` side by side, seen from ``face``, shaded by ``overlay``."""
    if face not in FACES:
        raise ValueError(f"unknown face {face!r}: expected front or rear")
    defs = list({id(c.rdef): c.rdef for c in columns}.values())
    shader = Shader(ctx, defs, overlay, findings)
    geo = [_column_geometry(c, face) for c in columns]
    body_h = max((g["top_slot"] * g["h"] for g in geo), default=0.0)
    w = _Writer()
    x = 10.0
    kinds: list[str | None] = []
    any_other_face = False
    services: set[str] = set()
    for col, g in zip(columns, geo):
        k, other, sv = _draw_column(w, ctx, col, g, x, body_h, face, shader)
        kinds.extend(k)
        any_other_face |= other
        services |= sv
        x += g["width"] + GAP
    width = max(x - GAP + 10, 560.0)
    legend = shader.legend(kinds)
    ly = TOP + body_h + 22
    legend_h = _draw_legend(w, legend, 10, ly, width - 20, services, any_other_face, element_id or "rf")
    height = ly + legend_h + 8
    cap = caption or f"{face} view, overlay: {overlay}"
    head = (f"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0f}\" height=\"{height:.0f}\" "
            f"viewBox=\"0 0 {width:.0f} {height:.0f}\" font-family=\"{FONT}\""
            + _attr(id=element_id, data_face=face, data_overlay=overlay, role="img")
            + f"><title>{escape(cap)}</title>"
            f"<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>")
    w.parts.insert(0, head)
    w.parts.insert(1, f"<text x=\"10\" y=\"18\" font-size=\"13\" font-weight=\"bold\">{escape(cap)}</text>")
    w.add("</svg>")
    return "".join(w.parts)


def _draw_column(w: _Writer, ctx, col: Column, g: dict, x0: float, body_h: float, face: str,
                 shader: Shader) -> tuple[list, bool, set]:
    d = col.rdef
    h, top_slot, inner = g["h"], g["top_slot"], g["inner"]
    y_base = TOP + body_h                       # bottom edge of slot 1
    ix = x0 + SCALE_W + SIDE_W                  # interior left
    w.add(f"<g class=\"rack\"{_attr(data_rack=d.key, data_face=face)}>")
    w.text(x0, TOP - 36, _fit(col.title, g["width"], 13), size=13, weight="bold")
    sub = col.subtitle or f"{d.body.frame}"
    w.text(x0, TOP - 22, _fit(sub, g["width"], 10), size=10, fill="#444444")

    def ytop(slot_hi: int) -> float:
        return y_base - slot_hi * h

    # frame: posts and side strips
    fx, fw = x0 + SCALE_W, SIDE_W * 2 + inner
    w.add(f"<rect x=\"{fx:.1f}\" y=\"{ytop(top_slot) - 4:.1f}\" width=\"{fw:.1f}\" height=\"{top_slot * h + 8:.1f}\""
          f" fill=\"#f7f7f7\" stroke=\"#333333\" stroke-width=\"3\" rx=\"3\"/>")
    # slot scale and free slots
    used = set()
    for mi in d.mounts:
        if mi.lo is not None and mi.lo <= top_slot:
            used.update(range(mi.lo, min(mi.hi, top_slot) + 1))
    w.text(x0 + SCALE_W - 5, ytop(top_slot) - 8, _pitch_name(g["pitch"]), size=9, anchor="end", fill="#444444")
    w.text(fx + 4, ytop(top_slot) - 8, _fit(f"{g['slots']} \u00d7 {g['pitch'] * 1000:.2f} mm {_pitch_name(g['pitch'])}"
                                          f", {g['std']}, {face}", g["width"] - SCALE_W, 9), size=9, fill="#444444")
    for s in range(1, top_slot + 1):
        y = ytop(s)
        w.text(x0 + SCALE_W - 5, y + h / 2 + 3, str(s), size=8, anchor="end", fill="#555555")
        w.add(f"<line x1=\"{x0 + SCALE_W - 3:.1f}\" y1=\"{y:.1f}\" x2=\"{x0 + SCALE_W:.1f}\" y2=\"{y:.1f}\" "
              f"stroke=\"#999999\"/>")
        if s not in used:
            over = " stroke=\"#d62728\"" if s > g["slots"] else " stroke=\"#cccccc\""
            w.add(f"<rect class=\"empty\" data-slot=\"{s}\" x=\"{ix + 1:.1f}\" y=\"{y + 1:.1f}\" "
                  f"width=\"{inner - 2:.1f}\" height=\"{h - 2:.1f}\" fill=\"#ffffff\"{over} "
                  f"stroke-dasharray=\"3 3\"/>")
    # label runs of free slots
    run: list[int] = []
    for s in list(range(1, top_slot + 1)) + [top_slot + 1]:
        if s <= top_slot and s not in used:
            run.append(s)
            continue
        if len(run) >= 2:
            yc = (ytop(run[-1]) + ytop(run[0] - 1)) / 2 + 3
            w.text(ix + inner / 2, yc, f"{len(run)} {_pitch_name(g['pitch'])} free", size=9, anchor="middle",
                   fill="#999999")
        run = []

    kinds: list = []
    services: set[str] = set()
    other_face = False
    # mounts in slots
    drawn: set[int] = set()
    for mi in d.mounts:
        if mi.lo is None and not (mi.part is None and mi.m.u is not None):
            continue
        lo, hi = (mi.lo, mi.hi) if mi.lo is not None else (mi.m.u, mi.m.u)
        if lo > top_slot:   # far above the frame (RF102 reports it): not drawn
            continue
        hi = min(hi, top_slot)
        mine = mi.m.face == face
        other_face |= not mine
        kinds.append(mi.kind)
        sh = shader.shade(d, mi)
        y, bh = ytop(hi), (hi - lo + 1) * h
        clash = any(s in drawn for s in range(lo, hi + 1))
        drawn.update(range(lo, hi + 1))
        bx, bw = (ix + inner / 2, inner / 2) if clash else (ix, inner)   # an overlapping mount: right half
        dash = "" if mine else " stroke-dasharray=\"4 2\" fill-opacity=\"0.55\""
        stroke = "#d62728\" stroke-width=\"2" if clash else "#333333\" stroke-width=\"0.8"
        tip = (f"{mi.id}: {mi.m.part} ({KIND_NAMES.get(mi.kind, mi.kind)}), {_pitch_name(g['pitch'])} {lo}"
               + (f"-{hi}" if hi != lo else "") + ("" if mine else f", mounted from the {mi.m.face}")
               + (f"; {sh.note}" if sh.note else ""))
        w.add(f"<g class=\"mount\"{_attr(data_mount=mi.id, data_rack=d.key, data_kind=mi.kind or 'unknown', data_part=mi.m.part, data_u=lo, data_face=mi.m.face)}"
              + "".join(f" {k}={quoteattr(v)}" for k, v in sh.attrs.items()) + f"><title>{escape(tip)}</title>")
        w.add(f"<rect x=\"{bx + 1:.1f}\" y=\"{y + 0.5:.1f}\" width=\"{bw - 2:.1f}\" height=\"{bh - 1:.1f}\" "
              f"fill=\"{sh.fill}\" stroke=\"{stroke}\" rx=\"1.5\"{dash}/>")
        fs = 10 if bh >= 14 else max(6, int(bh * 0.7))
        tc = text_colour(sh.fill) if mine else "#222222"
        val_w = (len(sh.value) * 0.6 * fs + 8) if sh.value else 0
        yc = y + bh / 2 + fs * 0.35
        label = _fit(f"{mi.id}  {mi.m.part}", bw - 10 - val_w, fs)
        w.text(bx + 5, yc, label, size=fs, fill=tc)
        if sh.value:
            w.text(bx + bw - 5, yc, sh.value, size=fs, anchor="end", fill=tc, weight="bold")
        w.add("</g>")

    # 0U side mounts on this face (rear view: left and right swap)
    sides: dict[str, list[MountInfo]] = {"left": [], "right": []}
    for mi in d.mounts:
        if mi.lo is None and mi.kind != "manifold" and mi.m.face == face and not (mi.part is None and mi.m.u):
            side = mi.m.side or "left"
            if face == "rear":
                side = "right" if side == "left" else "left"
            sides[side].append(mi)
    for side, items in sides.items():
        sx0 = x0 + SCALE_W if side == "left" else ix + inner
        for k, mi in enumerate(items):
            sw = SIDE_W / len(items)
            sx = sx0 + k * sw
            kinds.append(mi.kind)
            sh = shader.shade(d, mi)
            tip = f"{mi.id}: {mi.m.part} ({KIND_NAMES.get(mi.kind, mi.kind)}), 0U {mi.m.side or 'left'} side"
            w.add(f"<g class=\"mount\"{_attr(data_mount=mi.id, data_rack=d.key, data_kind=mi.kind or 'unknown', data_part=mi.m.part, data_side=mi.m.side or 'left', data_face=mi.m.face)}"
                  + "".join(f" {k2}={quoteattr(v)}" for k2, v in sh.attrs.items())
                  + f"><title>{escape(tip + (f'; {sh.note}' if sh.note else ''))}</title>")
            y1 = ytop(top_slot)
            w.add(f"<rect x=\"{sx + 1:.1f}\" y=\"{y1:.1f}\" width=\"{sw - 2:.1f}\" height=\"{top_slot * h:.1f}\" "
                  f"fill=\"{sh.fill}\" stroke=\"#333333\" stroke-width=\"0.8\" rx=\"2\"/>")
            w.text(sx + sw / 2 + 3, y1 + top_slot * h / 2, _fit(f"{mi.id}  {mi.m.part}", top_slot * h - 10, 9),
                   size=9, anchor="middle", rotate=-90, fill=text_colour(sh.fill))
            w.add("</g>")

    # rear services: busbars and manifolds, with tap markers
    sx = ix + inner + SIDE_W + 6
    if g["n_bus"]:
        only = len(d.body.power.busbars) == 1
        for bb in d.body.power.busbars:
            part = ctx.catalog.get(bb.part)
            length = float(part.length) if part is not None and hasattr(part, "length") else top_slot * g["pitch"]
            taps = [mi for mi in d.mounts if mi.lo is not None and mi.part is not None
                    and (mi.m.busbar == bb.id or (mi.m.busbar is None and only))
                    and (mi.kind == "power_shelf" or (mi.kind in IT_KINDS and mi.part.input.type == "dc"))]
            lo, n = _span(taps, length, g["pitch"], top_slot)
            rating = ""
            if part is not None and hasattr(part, "rated_current"):
                rating = f", {float(part.rated_current):,.0f} A at {float(part.voltage_nominal):g} V"
            tip = f"busbar {bb.id}: {bb.part}{rating}, {length:.2f} m, {len(taps)} taps"
            w.add(f"<g class=\"busbar\"{_attr(data_busbar=bb.id, data_rack=d.key, data_taps=len(taps))}>"
                  f"<title>{escape(tip)}</title>")
            w.add(f"<rect x=\"{sx + 2:.1f}\" y=\"{ytop(lo + n - 1):.1f}\" width=\"12\" height=\"{n * h:.1f}\""
                  f" fill=\"{BUSBAR_FILL}\" stroke=\"#6b4420\" rx=\"2\"/>")
            for mi in taps:
                yc = (ytop(mi.hi) + ytop(mi.lo - 1)) / 2
                w.add(f"<line x1=\"{ix + inner:.1f}\" y1=\"{yc:.1f}\" x2=\"{sx + 2:.1f}\" y2=\"{yc:.1f}\" "
                      f"stroke=\"#6b4420\" stroke-width=\"1\"/><circle cx=\"{sx + 8:.1f}\" "
                      f"cy=\"{yc:.1f}\" r=\"2.2\" fill=\"#3b2410\"/>")
            w.text(sx + 23, ytop(lo + n - 1) + n * h / 2, _fit(f"busbar {bb.id}  {bb.part}{rating}", n * h - 10, 9),
                   size=9, anchor="middle", rotate=-90, fill="#6b4420")
            services.add("busbar")
            w.add("</g>")
            sx += SERVICE_W
    for mi in g["manifolds"]:
        part = mi.part
        loop_ids = {lp.id for lp in d.body.cooling.loops if lp.manifold == mi.id}
        only = len(d.body.cooling.loops) == 1
        taps = [t for t in d.mounts if t.lo is not None and t.part is not None
                and getattr(t.part, "liquid", None) is not None
                and ((t.m.loop in loop_ids) or (t.m.loop is None and only and loop_ids))]
        length = (part.taps * float(part.tap_pitch) if part is not None and hasattr(part, "taps")
                  else top_slot * g["pitch"])
        lo, n = _span(taps, length, g["pitch"], top_slot)
        sh = shader.shade(d, mi)
        tip = f"{mi.id}: {mi.m.part} (manifold, supply and return), {len(taps)} taps used" + (
            f", {part.taps} available" if part is not None and hasattr(part, "taps") else "")
        w.add(f"<g class=\"mount\"{_attr(data_mount=mi.id, data_rack=d.key, data_kind='manifold', data_part=mi.m.part, data_face=mi.m.face, data_taps=len(taps))}"
              + "".join(f" {k2}={quoteattr(v)}" for k2, v in sh.attrs.items()) + f"><title>{escape(tip)}</title>")
        y1 = ytop(lo + n - 1)
        if shader.overlay == "none":
            w.add(f"<rect x=\"{sx + 2:.1f}\" y=\"{y1:.1f}\" width=\"7\" height=\"{n * h:.1f}\" fill=\"{SUPPLY}\" rx=\"3\"/>"
                  f"<rect x=\"{sx + 11:.1f}\" y=\"{y1:.1f}\" width=\"7\" height=\"{n * h:.1f}\" fill=\"{RETURN}\" rx=\"3\"/>")
            services.add("manifold")
        else:
            kinds.append(mi.kind)
            w.add(f"<rect x=\"{sx + 2:.1f}\" y=\"{y1:.1f}\" width=\"16\" height=\"{n * h:.1f}\" fill=\"{sh.fill}\" "
                  f"stroke=\"#333333\" stroke-width=\"0.8\" rx=\"3\"/>")
        dot = "#ffffff" if shader.overlay == "none" else "#444444"
        for t in taps:
            yc = (ytop(t.hi) + ytop(t.lo - 1)) / 2
            w.add(f"<circle cx=\"{sx + 5.5:.1f}\" cy=\"{yc:.1f}\" r=\"1.8\" fill=\"{dot}\"/>"
                  f"<circle cx=\"{sx + 14.5:.1f}\" cy=\"{yc:.1f}\" r=\"1.8\" fill=\"{dot}\"/>")
        w.text(sx + 27, y1 + n * h / 2, _fit(f"{mi.id}  {mi.m.part}", n * h - 10, 9), size=9,
               anchor="middle", rotate=-90, fill="#08306b")
        w.add("</g>")
        sx += SERVICE_W
    w.add("</g>")
    return kinds, other_face, services


def _span(taps: Sequence[MountInfo], length_m: float, pitch: float, top_slot: int) -> tuple[int, int]:
    """Where a busbar or manifold is drawn: (lowest slot, slots spanned). Its length from the catalog, placed to
    start at the lowest part tapping it (the design does not say where it sits), kept inside the frame."""
    n = max(1, math.ceil(length_m / pitch - 1e-6))
    lo = min((t.lo for t in taps), default=1)
    hi = max((t.hi for t in taps), default=lo)
    n = min(max(n, hi - lo + 1), top_slot)
    lo = max(1, min(lo, top_slot - n + 1))
    return lo, n


def _draw_legend(w: _Writer, lg: Legend, x: float, y: float, width: float, services: set[str],
                 other_face: bool, prefix: str) -> float:
    w.add("<g class=\"legend\">")
    w.text(x, y, lg.title, size=11, weight="bold")
    cx, cy = x, y + 10
    row_h = 18
    items = list(lg.swatches)
    if "busbar" in services:
        items.append((BUSBAR_FILL, "busbar (dots: taps)"))
    if "manifold" in services:
        items += [(SUPPLY, "manifold supply"), (RETURN, "manifold return")]
    if lg.gradient is not None:
        stops, left, right = lg.gradient
        gid = f"{prefix}-grad"
        w.add(f"<defs><linearGradient id=\"{gid}\">" + "".join(
            f"<stop offset=\"{t:g}\" stop-color=\"{c}\"/>" for t, c in stops) + "</linearGradient></defs>")
        w.text(cx, cy + 11, left, size=10)
        lx = cx + len(left) * 6 + 6
        w.add(f"<rect x=\"{lx:.1f}\" y=\"{cy:.1f}\" width=\"140\" height=\"14\" fill=\"url(#{gid})\" stroke=\"#333333\" "
              f"stroke-width=\"0.6\"/>")
        w.text(lx + 146, cy + 11, right, size=10)
        cx = lx + 146 + len(right) * 6 + 20
    for colour, label in items:
        need = 22 + len(label) * 6 + 16
        if cx + need > x + width and cx > x:
            cx, cy = x, cy + row_h
        w.add(f"<rect x=\"{cx:.1f}\" y=\"{cy:.1f}\" width=\"16\" height=\"14\" fill=\"{colour}\" stroke=\"#333333\" "
              f"stroke-width=\"0.6\"/>")
        w.text(cx + 22, cy + 11, label, size=10)
        cx += need
    extra = []
    if other_face:
        extra.append("dashed and faded: mounted from the other face")
    if lg.note:
        extra.insert(0, lg.note)
    for line in extra:
        cy += row_h
        w.text(x, cy + 11, _fit(line, width, 10), size=10, fill="#444444", cls="legend-note")
    w.add("</g>")
    return cy - y + row_h


# ------------------------------------------------------------------------------------------ rack selection
def definition_title(d: RackDef) -> str:
    n = len(d.instances)
    if n == 1 and d.instances[0].id == d.key:
        return d.key
    return f"{d.key} (\u00d7{n} rack{'s' if n != 1 else ''})"


def columns_for(resolved, selectors: Sequence[str] = ()) -> list[Column]:
    """The racks to draw. No selector: one column per rack definition (template or inline rack). A selector is
    a rack id, a definition (template) name, or a row: every rack in the row, side by side in position order.
    Raises ValueError naming what exists when a selector matches nothing."""
    if not selectors:
        return [Column(d, definition_title(d)) for d in resolved.defs]
    out: list[Column] = []
    by_def = {d.key: d for d in resolved.defs}
    for sel in selectors:
        inst = resolved.rack_by_id.get(sel)
        if inst is not None:
            out.append(Column(inst.rdef, inst.id, f"{inst.rdef.key} \u00b7 row {inst.row}, position {inst.index}"))
            continue
        if sel in by_def:
            out.append(Column(by_def[sel], definition_title(by_def[sel])))
            continue
        row = sorted((r for r in resolved.racks if r.row == sel), key=lambda r: (r.index, r.id))
        if row:
            out.extend(Column(r.rdef, r.id, f"{r.rdef.key} \u00b7 row {r.row}, position {r.index}") for r in row)
            continue
        known = [r.id for r in resolved.racks[:8]] + list(by_def)[:4] + sorted({r.row for r in resolved.racks})[:4]
        raise ValueError(f"no rack, template or row named {sel!r}; known: {', '.join(dict.fromkeys(known))}"
                         + (", ..." if len(resolved.racks) > 8 else ""))
    return out
