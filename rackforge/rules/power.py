"""RF2xx: power distribution."""
from __future__ import annotations

from rackforge.rules import Hit, rule


def _kw(w: float) -> str:
    return f"{w / 1000:.1f} kW"


@rule("RF200", "nameplate-power-over-envelope", "error", "A rack's IT power at the operating point exceeds the "
      "generation's envelope.", requires=["power.rack_power_max", "power.operating_point"])
def rf200(ctx):
    """
    **What**: the sum of the IT power of every compute and switch tray in a rack, at the design's operating
    point (idle, typical, max, or peak = max x the part's peak factor), exceeds the generation's
    `rack_power_max`.

    **Why**: the generation's envelope is what the hall's power and cooling are provisioned for, per rack. A
    rack above it overloads its feeds and its share of the cooling.

    **Fix**: remove or swap trays, lower the operating point only if the trays are capped at it (power
    capping), or move the design to a generation with a larger envelope.
    """
    lim = ctx.req("power.rack_power_max")
    if lim is None:
        return
    for rd in ctx.r.defs:
        p = ctx.physical[rd.key].it_power_w[ctx.op]
        if p > float(lim) * (1 + 1e-9):
            yield Hit(rd.ptr, f"IT power at {ctx.op} is {_kw(p)}; generation {ctx.gen.id!r} allows {lim} per rack "
                      f"({_kw(p - float(lim))} over)", "remove trays, cap their power, or change generation",
                      requirement="power.rack_power_max", value=p, limit=float(lim), unit="W")
