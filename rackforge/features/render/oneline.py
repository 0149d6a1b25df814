"""Hall drawings as SVG: the one-line diagram of the facility power chain, and the facility water network.

``oneline_svg(ctx, rows)``: the chain that feeds the selected rows, top (sources) to bottom (rows): one box per
source, transformer, switchgear, UPS, STS, RPP and busway run, coloured by its worst loading over the single-loss
scenarios, labelled with its rating, its base loading and that worst loading; solid lines from the upstream an
element normally takes, dashed to a transfer alternate; busway runs to rows in one colour per rack feed.

``water_svg(ctx, loops)``: each selected loop as a schematic: its CDUs, the main, one row header per row with a
tick per rack coloured by its flow against its need (the worst-placed rack marked), and the loop's figures with
one CDU lost.

A hall repeats its blocks; by default both drawings show the rows of the first distribution entry / first loop
and say how many others there are. ``rows`` (row ids) or ``loops`` (loop ids) choose others.
"""
from __future__ import annotations

from xml.sax.saxutils import escape

from rackforge.features.render.svg import ramp, text_colour

LOAD_STOPS = ((0.0, "#d9f0d3"), (0.6, "#a6dba0"), (0.85, "#fee08b"), (1.0, "#f46d43"), (1.2, "#a50026"))
RATIO_STOPS = ((0.0, "#a50026"), (0.99, "#f46d43"), (1.0, "#fee08b"), (1.3, "#a6dba0"), (2.0, "#1a9850"))
FEED_COLOURS = ("#2166ac", "#d6604d", "#1b7837", "#762a83")
BOX_W, BOX_H, GAP_X, GAP_Y = 170, 58, 16, 70
SHORT = {"source": "", "transformer": "TX", "switchgear": "SWGR", "ups": "UPS", "sts": "STS", "rpp": "RPP",
         "busway": "busway"}


def _ramp(stops, v: float) -> str:
    """:func:`ramp` over stops given in the value's own scale (``ramp`` takes 0..1)."""
    top = stops[-1][0]
    return ramp([(t / top, c) for t, c in stops], v / top)


def _t(x, y, s, size=11, anchor="middle", fill="#000", weight="normal"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
            f'font-weight="{weight}" font-family="DejaVu Sans, Arial, sans-serif">{escape(s)}</text>')


def _svg(w, h, body, title):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" viewBox="0 0 {w:.0f} {h:.0f}">'
            f'<title>{escape(title)}</title><rect width="100%" height="100%" fill="#ffffff"/>' + "".join(body) +
            "</svg>\n")


def _rating(e) -> str:
    p = e.part
    if e.kind == "source":
        return f"{float(e.spec.capacity) / 1e6:g} MVA {float(e.spec.voltage) / 1e3:g} kV"
    if e.kind == "transformer":
        return f"{float(p.rating) / 1e3:g} kVA, {float(p.primary_voltage) / 1e3:g} kV/{float(p.secondary_voltage):g} V"
    if e.kind == "ups":
        mods = e.spec.modules or p.modules
        return f"{float(p.rating) / 1e3:g} kW, {mods} mod."
    if e.kind == "busway":
        return f"{float(p.rated_current):g} A, {e.racks} racks, {e.length_m:.1f} m"
    return f"{float(p.rated_current):g} A {float(p.voltage):g} V"


def default_rows(ctx) -> tuple[list[str], int]:
    """The rows of the first distribution entry (first copy), and how many rows the design has."""
    from rackforge.lowering.facility_power import expand, fmt

    rows_all = sorted({r.row for r in ctx.r.racks})
    fp = ctx.design.facility.power
    if not fp.distribution:
        return rows_all[:4], len(rows_all)
    probs: list = []
    d, p, vals = expand(fp.distribution, "", probs)[0]
    return [fmt(r, vals, "", probs) for r in d.rows], len(rows_all)


def oneline_svg(ctx, rows=()) -> str:
    fa = ctx.facility_power
    if fa.empty:
        why = fa.problems[0][1] if fa.problems else "the design has no facility.power"
        return _svg(700, 60, [_t(10, 30, f"no one-line diagram: {why}", 13, "start")], "one-line")
    sel, n_rows = (list(rows), len({r.row for r in ctx.r.racks})) if rows else default_rows(ctx)
    elems = fa.elems
    chosen = fa.base_chosen
    keep = set()
    for i, e in enumerate(elems):
        if e.kind == "busway" and e.row in sel:
            keep.add(i)
    stack = list(keep)
    while stack:
        v = stack.pop()
        for u in elems[v].up:
            if u not in keep:
                keep.add(u)
                stack.append(u)
    depth: dict[int, int] = {}
    for i in sorted(keep):
        depth[i] = 0 if not elems[i].up else 1 + max(depth[u] for u in elems[i].up if u in depth)
    # busways on one level, rows under them
    bw_level = max((depth[i] for i in keep if elems[i].kind == "busway"), default=0)
    for i in keep:
        if elems[i].kind == "busway":
            depth[i] = bw_level
    levels: dict[int, list[int]] = {}
    for i in sorted(keep):
        levels.setdefault(depth[i], []).append(i)
    x_of: dict[int, float] = {}
    for lv in sorted(levels):
        items = levels[lv]
        if lv:
            items.sort(key=lambda i: (sum(x_of.get(u, 0) for u in elems[i].up[:1]), elems[i].row or "", elems[i].id))
        levels[lv] = items
        for k, i in enumerate(items):
            x_of[i] = k
    width_n = max(len(v) for v in levels.values())
    W = 40 + width_n * (BOX_W + GAP_X)
    n_lv = bw_level + 1
    H = 80 + n_lv * (BOX_H + GAP_Y) + BOX_H + 50
    body = []

    def pos(i):
        lv = depth[i]
        n = len(levels[lv])
        span = n * (BOX_W + GAP_X) - GAP_X
        x0 = (W - span) / 2
        return x0 + x_of[i] * (BOX_W + GAP_X), 80 + lv * (BOX_H + GAP_Y)

    # edges first
    for i in keep:
        x, y = pos(i)
        for k, u in enumerate(elems[i].up):
            if u not in keep:
                continue
            ux, uy = pos(u)
            normal = int(chosen[i]) == u
            dash = "" if normal else ' stroke-dasharray="6,4"'
            body.append(f'<line x1="{ux + BOX_W / 2:.1f}" y1="{uy + BOX_H:.1f}" x2="{x + BOX_W / 2:.1f}" y2="{y:.1f}" '
                        f'stroke="{"#333" if normal else "#999"}" stroke-width="{1.6 if normal else 1}"{dash}/>')
    # rows
    row_y = 80 + n_lv * (BOX_H + GAP_Y)
    row_w = (W - 40 - GAP_X * (len(sel) - 1)) / max(len(sel), 1)
    row_x = {r: 20 + k * (row_w + GAP_X) for k, r in enumerate(sel)}
    feeds: list[str] = []
    for i in keep:
        e = elems[i]
        if e.kind != "busway":
            continue
        if e.feed not in feeds:
            feeds.append(e.feed)
        x, y = pos(i)
        c = FEED_COLOURS[feeds.index(e.feed) % len(FEED_COLOURS)]
        body.append(f'<line x1="{x + BOX_W / 2:.1f}" y1="{y + BOX_H:.1f}" x2="{row_x[e.row] + row_w / 2:.1f}" '
                    f'y2="{row_y:.1f}" stroke="{c}" stroke-width="1.2" opacity="0.8"/>')
    for r in sel:
        n = sum(1 for x in ctx.r.racks if x.row == r)
        body.append(f'<rect x="{row_x[r]:.1f}" y="{row_y:.1f}" width="{row_w:.1f}" height="{BOX_H - 14}" '
                    f'fill="#eef3f8" stroke="#555" rx="4"/>')
        body.append(_t(row_x[r] + row_w / 2, row_y + 18, f"row {r}: {n} racks", 12, weight="bold"))
        body.append(_t(row_x[r] + row_w / 2, row_y + 34, "feeds " + ", ".join(feeds), 10))
    # boxes
    for i in keep:
        e = elems[i]
        x, y = pos(i)
        worst = float(fa.single_worst[i])
        fill = _ramp(LOAD_STOPS, worst)
        tc = text_colour(fill)
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W}" height="{BOX_H}" fill="{fill}" stroke="#222" '
                    f'rx="{10 if e.kind == "source" else 3}"/>')
        body.append(_t(x + BOX_W / 2, y + 15, e.id, 11, fill=tc, weight="bold"))
        body.append(_t(x + BOX_W / 2, y + 29, f"{SHORT[e.kind]} {_rating(e)}".strip(), 9, fill=tc))
        body.append(_t(x + BOX_W / 2, y + 43, f"load {fa.base_loading[i]:.0%}, 1-loss {worst:.0%}", 10, fill=tc))
        lbl = fa.single_worst_label[i].replace("loss of ", "")
        body.append(_t(x + BOX_W / 2, y + 54, f"worst: {lbl}" if lbl != "base" else "", 8, fill=tc))
    b = fa.breakdown
    title = f"{ctx.design.name}: facility power one-line ({fa.topology})"
    body.insert(0, _t(20, 26, title, 16, "start", weight="bold"))
    body.insert(1, _t(20, 46, f"rows {', '.join(sel)} of {n_rows}; {fa.racks} racks in all; IT input "
                    f"{b['it_equipment_input_w'] / 1e6:.2f} MW, grid {b['grid_input_w'] / 1e6:.2f} MW, PUE "
                    f"{b['pue']:.3f}. Colour: worst loading over single losses. Dashed: transfer alternate.",
                    11, "start"))
    ly = H - 30
    for k, f in enumerate(feeds):
        c = FEED_COLOURS[k % len(FEED_COLOURS)]
        body.append(f'<line x1="{20 + k * 140}" y1="{ly}" x2="{50 + k * 140}" y2="{ly}" stroke="{c}" stroke-width="3"/>')
        body.append(_t(56 + k * 140, ly + 4, f"rack feed {f}", 11, "start"))
    for k, (v, lab) in enumerate(((0.3, "< 60 %"), (0.8, "60-85 %"), (0.95, "85-100 %"), (1.1, "> 100 %"))):
        x = 20 + (len(feeds) + k) * 140
        body.append(f'<rect x="{x}" y="{ly - 9}" width="30" height="14" fill="{_ramp(LOAD_STOPS, v)}" stroke="#222"/>')
        body.append(_t(x + 36, ly + 3, lab, 11, "start"))
    return _svg(W, H, body, title)


def _hottest(lr, sol) -> str:
    """The loop's hottest cold plate against its maximum (RF357's figures), as a sentence."""
    plates = lr.plates(sol)
    if not plates:
        return ""
    p = min(plates, key=lambda x: x["margin_k"])
    return (f" Hottest plate: {p['cools']} in {p['rack']} {p['mount']}, {p['case_temperature_c']:.1f} degC "
            f"(max {p['max_case_temperature_c']:.0f}).")


def water_svg(ctx, loops=()) -> str:
    fw = ctx.facility_water
    if fw.empty:
        why = fw.problems[0][1] if fw.problems else "the design has no facility.water"
        return _svg(700, 60, [_t(10, 30, f"no water diagram: {why}", 13, "start")], "water")
    sel = [lr for lr in fw.loops if lr.id in loops] if loops else fw.loops[:1]
    body = []
    y0 = 70
    W = 1100.0
    for lr in sel:
        b, l = lr.base, lr.lost
        n_rows = len(lr.rows)
        racks_per_row = [sum(1 for r in lr.racks if r.row == row) for row in lr.rows]
        maxr = max(racks_per_row)
        tick = min(32.0, 760.0 / max(maxr, 1))
        W = max(W, 260 + 30 + maxr * tick + 330)
        h = 150 + n_rows * 80
        # CDU block
        body.append(f'<rect x="20" y="{y0 + 30}" width="170" height="{60 + 16 * lr.spec.cdus}" fill="#deebf7" '
                    f'stroke="#222" rx="4"/>')
        body.append(_t(105, y0 + 48, f"{lr.spec.cdus} x {lr.cdu.pn}", 11, weight="bold"))
        body.append(_t(105, y0 + 63, f"N+{lr.spec.redundant}, {lr.spec.coolant}", 10))
        for k in range(lr.spec.cdus):
            body.append(f'<rect x="40" y="{y0 + 72 + 16 * k}" width="130" height="12" '
                        f'fill="{"#9ecae1" if k < lr.spec.cdus - lr.spec.redundant else "#f0f0f0"}" stroke="#555"/>')
        body.append(_t(105, y0 + 82 + 16 * lr.spec.cdus, f"{b.pump_flow * 6e4:,.0f} L/min, "
                       f"{b.pump_rise / 1e3:.0f} kPa", 10))
        # main
        xm = 190
        x_hdr = 260
        body.append(f'<line x1="{xm}" y1="{y0 + 50}" x2="{x_hdr}" y2="{y0 + 50}" stroke="#2166ac" stroke-width="5"/>')
        body.append(f'<line x1="{xm}" y1="{y0 + 60}" x2="{x_hdr - 10}" y2="{y0 + 60}" stroke="#b2182b" stroke-width="5"/>')
        body.append(f'<line x1="{x_hdr}" y1="{y0 + 50}" x2="{x_hdr}" y2="{y0 + 60 + 80 * n_rows}" stroke="#2166ac" '
                    f'stroke-width="5"/>')
        body.append(f'<line x1="{x_hdr - 10}" y1="{y0 + 60}" x2="{x_hdr - 10}" y2="{y0 + 68 + 80 * n_rows}" '
                    f'stroke="#b2182b" stroke-width="5"/>')
        body.append(_t(225, y0 + 40, f"main DN{float(lr.spec.main.diameter) * 1e3:.0f}, "
                       f"{b.main_velocity:.1f} m/s", 9))
        worst = int(b.ratio.argmin())
        k0 = 0
        for ri, row in enumerate(lr.rows):
            yr = y0 + 100 + 80 * ri
            n = racks_per_row[ri]
            body.append(f'<line x1="{x_hdr}" y1="{yr}" x2="{x_hdr + 30 + n * tick}" y2="{yr}" stroke="#2166ac" '
                        f'stroke-width="3"/>')
            body.append(f'<line x1="{x_hdr - 10}" y1="{yr + 36}" x2="{x_hdr + 30 + n * tick}" y2="{yr + 36}" '
                        f'stroke="#b2182b" stroke-width="3"/>')
            for k in range(n):
                g = k0 + k
                x = x_hdr + 30 + k * tick
                fill = _ramp(RATIO_STOPS, float(b.ratio[g]))
                body.append(f'<rect x="{x + 1:.1f}" y="{yr + 6}" width="{tick - 2:.1f}" height="24" fill="{fill}" '
                            f'stroke="{"#000" if g == worst else "#777"}" stroke-width="{2.5 if g == worst else 0.6}"/>')
            body.append(_t(x_hdr + 40 + n * tick, yr + 22, f"row {row}: {n} racks, header "
                           f"DN{float(lr.spec.header.diameter) * 1e3:.0f} ({lr.spec.layout} return)", 10, "start"))
            k0 += n
        rk = lr.racks[worst]
        txt = (f"loop {lr.id}: {lr.heat_w / 1e6:.2f} MW to liquid on {b.capacity_w / 1e6:.1f} MW of CDUs; TCS "
               f"{b.t_supply_c:.1f} -> {b.t_return_c:.1f} degC (facility {fw.t_fws_c:.1f} degC). Worst-placed rack "
               f"{rk.id}: {b.flows[worst] * 6e4:.0f} L/min at {b.dps[worst] / 1e3:.0f} kPa = {b.ratio[worst]:.0%} "
               f"of its need.{_hottest(lr, b)}")
        body.append(_t(20, y0 + h - 30, txt, 11, "start"))
        if l is not None:
            j = int(l.ratio.argmin())
            body.append(_t(20, y0 + h - 14, f"{lr.cdus_lost} CDU lost: {l.pump_flow * 6e4:,.0f} L/min, worst rack "
                           f"{lr.racks[j].id} at {l.ratio[j]:.0%} of its need, TCS supply {l.t_supply_c:.1f} degC, "
                           f"capacity {l.capacity_w / 1e6:.1f} MW.{_hottest(lr, l)}", 11, "start"))
        y0 += h
    title = f"{ctx.design.name}: facility water"
    more = f" (loop {', '.join(lr.id for lr in sel)} of {len(fw.loops)})"
    body.insert(0, _t(20, 26, title + more, 16, "start", weight="bold"))
    body.insert(1, _t(20, 46, "Rack colour: flow against the flow its worst tray needs (red below 100 %); outlined: "
                      "the worst-placed rack. Blue supply, red return.", 11, "start"))
    return _svg(W, y0 + 10, body, title)
