"""Floor plan of the hall as SVG: rows of racks seen from above, switch racks of the generated scale-out fabric
coloured by tier, the overhead cable tray along each row. In a hall of several rack generations (racks with a
``generation`` of their own) the compute racks are coloured by generation.

Geometry is the network lowering's (:mod:`rackforge.lowering.network`): rack ``index`` along its row at the rack
pitch, rows sorted by name at the row pitch; one rack is a ``pitch x depth`` rectangle. The cable-tray model
the hall fabric's cable lengths use: up to the tray over the rack, along the row, across the rows, along the
far row and down (Manhattan), with service slack at both ends; the dashed lines are the trays over each row.
"""
from __future__ import annotations

from xml.sax.saxutils import escape

FILL = {"compute": "#6a9fd4", "leaf": "#e8a33d", "spine": "#c0504d", "core": "#7b4fa0", "other": "#b0b0b0"}
LABEL = {"compute": "compute rack", "leaf": "leaf switch rack", "spine": "spine switch rack",
         "core": "core switch rack", "other": "other rack"}
#: compute racks of the 2nd, 3rd, ... generation of a mixed hall (the first keeps FILL["compute"])
GEN_FILLS = ("#5bb381", "#4fb3bf", "#a3b84a", "#d4838f", "#8c8cd9")


def floor_svg(ctx, caption: str = "") -> str:
    """The resolved design's racks as a floor plan (see the module text)."""
    r = ctx.r
    site = ctx.design.site
    frames = [d.frame for d in r.defs if d.frame is not None]
    pitch = float(site.rack_pitch) if site.rack_pitch is not None else max((float(f.width) for f in frames),
                                                                             default=0.6)
    depth = max((float(f.depth) for f in frames), default=1.2)
    row_pitch = float(site.row_pitch) if site.row_pitch is not None else depth + 1.2
    rows = sorted({i.row for i in r.racks})
    row_ix = {n: k for k, n in enumerate(rows)}
    tier_of: dict[int, str] = {}
    lay = getattr(r, "hall_fabric", None)
    if lay is not None:
        for t, idx in lay.tier_racks.items():
            for i in idx:
                tier_of[i] = t
    fill, label = dict(FILL), dict(LABEL)
    kinds = []
    for i, inst in enumerate(r.racks):
        if i in tier_of:
            kinds.append(tier_of[i])
        elif any(mi.kind == "compute_tray" for mi in inst.rdef.mounts):
            kinds.append(f"compute:{inst.rdef.generation or ''}")
        else:
            kinds.append("other")
    gens = list(dict.fromkeys(k for k in kinds if k.startswith("compute:")))
    for j, k in enumerate(gens):     # one generation: "compute rack"; several: one colour and label each
        fill[k] = FILL["compute"] if j == 0 else GEN_FILLS[(j - 1) % len(GEN_FILLS)]
        label[k] = "compute rack" + (f", {k[8:]}" if len(gens) > 1 else "")
    s = 14.0                                   # px per metre
    left, top = 70.0, 84.0
    max_idx = max((i.index for i in r.racks), default=0)
    legend_w = max([230.0] + [60 + 6.2 * len(label[k]) for k in set(kinds)])   # ~6.2 px per 11 px character
    width = left + (max_idx + 1) * pitch * s + legend_w
    height = top + len(rows) * row_pitch * s + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif">',
           f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>',
           f'<text x="{left}" y="24" font-size="15" font-weight="bold">{escape(caption)}</text>']
    sub = f"{len(r.racks):,} racks in {len(rows)} rows; rack pitch {pitch:g} m, row pitch {row_pitch:g} m"
    out.append(f'<text x="{left}" y="44" font-size="11">{escape(sub)}</text>')
    if lay is not None and lay.plan is not None:
        p = lay.plan
        sub = (f"scale-out fabric: {p.tiers} tiers, {p.sus} SUs, {p.leaves:,} leaves, {p.spines:,} spines"
                + (f", {p.cores:,} cores" if p.tiers == 3 else ""))
        out.append(f'<text x="{left}" y="60" font-size="11">{escape(sub)}</text>')
    for name, k in row_ix.items():
        y = top + k * row_pitch * s
        out.append(f'<text x="{left - 8}" y="{y + depth * s / 2 + 4:.1f}" font-size="10" '
                   f'text-anchor="end">{escape(name)}</text>')
        xs = [i.index for i in r.racks if i.row == name]
        x1 = left + (max(xs) + 1) * pitch * s
        out.append(f'<line x1="{left}" y1="{y - 3:.1f}" x2="{x1:.1f}" y2="{y - 3:.1f}" stroke="#888" '
                   'stroke-width="1" stroke-dasharray="4 3"/>')
    for inst, kind in zip(r.racks, kinds):
        x = left + inst.index * pitch * s
        y = top + row_ix[inst.row] * row_pitch * s
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{pitch * s - 1:.1f}" height="{depth * s:.1f}" '
                   f'fill="{fill[kind]}" stroke="#333" stroke-width="0.4"><title>{escape(inst.id)} '
                   f'({escape(label[kind])})</title></rect>')
    lx = left + (max_idx + 1) * pitch * s + 24
    counts = {k: kinds.count(k) for k in [*gens, *FILL] if kinds.count(k)}
    for j, (k, n) in enumerate(counts.items()):
        y = top + j * 20
        out.append(f'<rect x="{lx}" y="{y}" width="14" height="14" fill="{fill[k]}" stroke="#333"/>')
        out.append(f'<text x="{lx + 20}" y="{y + 11}" font-size="11">{escape(label[k])}: {n:,}</text>')
    y = top + len(counts) * 20 + 4
    out.append(f'<line x1="{lx}" y1="{y + 7}" x2="{lx + 14}" y2="{y + 7}" stroke="#888" stroke-dasharray="4 3"/>')
    out.append(f'<text x="{lx + 20}" y="{y + 11}" font-size="11">overhead cable tray (per row)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
