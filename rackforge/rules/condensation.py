"""RF370: coolant supplied below the room's dew point (condensation on cold plates, hoses and manifolds)."""
from __future__ import annotations

import math

from rackforge.model.findings import Severity
from rackforge.rules import Hit, rule

#: Supply at least this far above the dew point: "2 degC (4 degF) above the maximum anticipated dew point"
#: (HPE/Motivair liquid-cooled door QuickSpecs); "supply >= dew point + 2-3 degC" (CDU commissioning practice).
DEW_POINT_MARGIN_K = 2.0


def room_dew_point(ctx) -> tuple[float, str] | None:
    """(dew point [degC], how it was found): from the site's inlet temperature and relative humidity, else the
    highest dew point the generation's ASHRAE air class allows (the room may legally be that humid)."""
    from rackforge.solvers.air import AIR_CLASSES
    from rackforge.solvers.psychro import dew_point

    site = ctx.design.site
    if site.air_inlet_temperature is not None and site.air_relative_humidity is not None:
        t, rh = float(site.air_inlet_temperature), float(site.air_relative_humidity)
        return dew_point(t, rh), f"{t:.1f} degC air at {rh:.0%} RH"
    cls = ctx.req("cooling.air_inlet_class") if ctx.gen is not None else None
    env = AIR_CLASSES.get(cls) if cls else None
    if env is not None:
        return env.max_dew_point_c, f"the {cls} class's maximum dew point"
    return None


@rule("RF370", "coolant-below-dew-point", "error", "A liquid loop's coolant supply is below (or within 2 K of) the "
      "room's dew point.")
def rf370(ctx):
    """
    **What**: the secondary coolant supply temperature of a loop (the CDU's supply, as the cooling model solves
    it) against the dew point of the room air. The dew point comes from `site.air_inlet_temperature` and
    `site.air_relative_humidity` (Magnus form, Alduchov and Eskridge 1996); without a humidity, from the highest
    dew point the generation's ASHRAE air class allows (A1 17 degC, A2 21 degC, A3/A4 24 degC). Below the dew
    point is an error; less than 2 K above it a warning.

    **Why**: cold plates, hoses, quick disconnects and manifolds are not insulated; below the dew point water
    condenses on them and drips onto electronics. Vendors ask for supply at least 2 degC above the highest
    anticipated dew point (HPE/Motivair liquid-cooled door QuickSpecs; CDU commissioning practice: dew point + 2-3
    degC), and CDUs with dew-point control raise their supply when the room is humid.

    **Fix**: raise the facility water (or the CDU's setpoint) so the supply stays above the dew point, or dry the
    room air (lower its relative humidity); give `site.air_relative_humidity` when the room is drier than its
    class allows.

    Reference: ASHRAE TC 9.9 Thermal Guidelines (2021), Table 2.1 (dew-point limits of the air classes).
    """
    found = room_dew_point(ctx)
    if found is None:
        return
    td, how = found
    for lr in ctx.cooling.loops:
        ts = lr.t_supply_c
        if not lr.solved or ts is None or not math.isfinite(ts):
            continue
        if ts < td:
            yield Hit(lr.ptr, f"coolant supply {ts:.1f} degC is below the room's dew point {td:.1f} degC ({how}): "
                      "water condenses on plates, hoses and manifolds", "raise the supply (facility water or CDU "
                      "setpoint) above the dew point, or dry the room air", value=ts, limit=td, unit="degC")
        elif ts < td + DEW_POINT_MARGIN_K:
            yield Hit(lr.ptr, f"coolant supply {ts:.1f} degC is within {DEW_POINT_MARGIN_K:g} K of the room's dew "
                      f"point {td:.1f} degC ({how})", "keep the supply at least 2 K above the dew point",
                      Severity.WARNING, value=ts, limit=td + DEW_POINT_MARGIN_K, unit="degC")
