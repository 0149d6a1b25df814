"""RF330-RF339: the site against the air classes' altitude limit and against the parts' own operating envelopes
(inlet air, humidity, altitude; coolant supply temperature and pressure of liquid-cooled trays).

The generation's ASHRAE class (RF311) says what the room promises; these rules say whether each part, by its
vendor's own figures, runs in that room. Liquid figures are read from the loop results the cooling lowering
already computed (``ctx.cooling``); nothing is solved here.
"""
from __future__ import annotations

from rackforge.rules import Hit, rule

#: Altitude the ASHRAE derating starts at, and metres per kelvin, used for a part that publishes an inlet maximum
#: but no derating of its own (the A1/A2 footnote of ASHRAE TC 9.9 (2021) Table 2.1, which vendors usually cite).
DEFAULT_DERATE_ABOVE_M = 900.0
DEFAULT_DERATE_PER_M = 300.0


def _c(t_k: float) -> str:
    return f"{t_k - 273.15:.4g} degC"


def _alt(ctx) -> float:
    a = ctx.design.site.altitude
    return float(a) if a is not None else 0.0


def _by_part(ctx, want):
    """(rack definition, part, mounts) for each part number in each rack definition whose part passes ``want``."""
    for rd in ctx.r.defs:
        if not rd.instances:
            continue
        groups: dict[str, list] = {}
        parts = {}
        for mi in rd.mounts:
            p = mi.part
            if p is None or not want(p):
                continue
            groups.setdefault(p.pn, []).append(mi)
            parts[p.pn] = p
        for pn, mis in groups.items():
            yield rd, parts[pn], mis


def _who(mis) -> str:
    ids = [mi.id for mi in mis]
    return ids[0] if len(ids) == 1 else f"{ids[0]} (and {len(ids) - 1} more)"


def part_inlet_max_k(env, altitude_m: float) -> tuple[float, bool]:
    """A part's inlet maximum at an altitude [K], derated by its own figures (else ASHRAE A1/A2's), and whether
    the default derating was assumed."""
    from rackforge.solvers.air import derated_max_c

    assumed = env.derate_per is None
    above = DEFAULT_DERATE_ABOVE_M if assumed else float(env.derate_above)
    per = DEFAULT_DERATE_PER_M if assumed else float(env.derate_per)
    return float(derated_max_c(float(env.inlet_max), altitude_m, above, per)), assumed


@rule("RF330", "site-above-class-elevation", "error", "The site is higher than the generation's ASHRAE air class "
      "allows (3,050 m).", requires=["cooling.air_inlet_class"])
def rf330(ctx):
    """
    **What**: `site.altitude` is above the maximum elevation of the generation's ASHRAE air class
    (`cooling.air_inlet_class`; 3,050 m for A1-A4, taken the same for H1).

    **Why**: the class's envelope (and the altitude derating of its maximum inlet temperature, 1 degC per
    300 m above 900 m for A1/A2, per 175 m for A3, per 125 m for A4) is defined only up to that elevation; above
    it, thin air carries too little heat per unit volume and equipment is not specified to run (air density at
    3,050 m is ~70 % of sea level's).

    **Fix**: a lower site, or equipment whose vendor rates it for the altitude (and a waiver citing that).

    **Reference**: ASHRAE TC 9.9, *Thermal Guidelines for Data Processing Environments*, 5th ed. (2021),
    Table 2.1 (maximum elevation 3,050 m; derating footnotes).
    """
    cls = ctx.req("cooling.air_inlet_class")
    alt = ctx.design.site.altitude
    if cls is None or alt is None:
        return
    from rackforge.solvers.air import ASHRAE_MAX_ELEVATION_M

    if float(alt) > ASHRAE_MAX_ELEVATION_M + 1e-9:
        yield Hit("/site/altitude", f"site altitude {alt} is above class {cls}'s maximum elevation of "
                  f"{ASHRAE_MAX_ELEVATION_M:,.0f} m", "a lower site, or parts rated for the altitude",
                  requirement="cooling.air_inlet_class", value=float(alt), limit=ASHRAE_MAX_ELEVATION_M, unit="m")


@rule("RF331", "inlet-outside-part-rating", "error", "The site's air inlet temperature is outside a part's own "
      "rated range (its maximum derated for altitude).")
def rf331(ctx):
    """
    **What**: `site.air_inlet_temperature` is below a mounted part's `environment.inlet_min` or above its
    `environment.inlet_max`, the maximum derated for `site.altitude` by the part's own `derate_above` /
    `derate_per` (when the part gives none, ASHRAE A1/A2's 1 degC per 300 m above 900 m is assumed and the
    message says so). The message gives the derated limit.

    **Why**: the generation's ASHRAE class says what the room delivers; a part may be rated narrower (a DGX H100
    runs at 5-30 degC while class A2 allows 35 degC). Above its own limit the part throttles or shuts down, and
    its warranty does not cover it.

    **Fix**: a cooler supply-air set point, a part rated for the room, or a generation whose class matches the
    parts.

    **Reference**: the part's datasheet (its `sources.environment`); ASHRAE TC 9.9 (2021) Table 2.1 footnotes
    for the default derating.
    """
    t = ctx.design.site.air_inlet_temperature
    if t is None:
        return
    alt = _alt(ctx)
    tk = float(t)
    for _rd, part, mis in _by_part(ctx, lambda p: getattr(p, "environment", None) is not None):
        env = part.environment
        if env.inlet_max is not None:
            top, assumed = part_inlet_max_k(env, alt)
            if tk > top + 1e-9:
                derated = top < float(env.inlet_max) - 1e-9
                how = (f" (derated from {env.inlet_max} at {alt:,.0f} m"
                       + (", ASHRAE A1/A2 derating assumed" if assumed else "") + ")") if derated else ""
                yield Hit(mis[0].ptr, f"{_who(mis)} ({part.pn}) is rated for inlet air up to {_c(top)}{how}; the "
                          f"site supplies {t}", "cooler supply air or a part rated for it", value=tk, limit=top,
                          unit="K")
                continue
        if env.inlet_min is not None and tk < float(env.inlet_min) - 1e-9:
            yield Hit(mis[0].ptr, f"{_who(mis)} ({part.pn}) is rated for inlet air from {env.inlet_min}; the site "
                      f"supplies {t}", "warmer supply air or a part rated for it", value=tk,
                      limit=float(env.inlet_min), unit="K")


@rule("RF332", "site-above-part-altitude", "error", "The site is higher than a part's rated maximum altitude.")
def rf332(ctx):
    """
    **What**: `site.altitude` is above a mounted part's `environment.altitude_max`.

    **Why**: fans move the same volume of thinner air, so they carry less heat; PSUs' clearances and cooling are
    also rated to an altitude. Above it the part is out of specification.

    **Fix**: a part rated for the site's altitude, or a lower site.

    **Reference**: the part's datasheet (its `sources.environment`).
    """
    alt = ctx.design.site.altitude
    if alt is None:
        return
    for _rd, part, mis in _by_part(ctx, lambda p: getattr(p, "environment", None) is not None
                                   and p.environment.altitude_max is not None):
        lim = float(part.environment.altitude_max)
        if float(alt) > lim + 1e-9:
            yield Hit(mis[0].ptr, f"{_who(mis)} ({part.pn}) is rated up to {part.environment.altitude_max}; the "
                      f"site is at {alt}", "a part rated for the altitude", value=float(alt), limit=lim, unit="m")


@rule("RF333", "humidity-outside-part-rating", "error", "The site's inlet relative humidity is outside a part's "
      "rated range.")
def rf333(ctx):
    """
    **What**: `site.air_relative_humidity` is below a mounted part's `environment.humidity_min` or above its
    `environment.humidity_max`.

    **Why**: too dry, electrostatic discharge damages components; too humid, corrosion and conductive anodic
    filament growth shorten their life.

    **Fix**: humidify or dehumidify the supply air, or use parts rated for it.

    **Reference**: the part's datasheet (its `sources.environment`); ASHRAE TC 9.9 (2021) Table 2.1 for the
    classes' humidity envelopes.
    """
    rh = ctx.design.site.air_relative_humidity
    if rh is None:
        return
    v = float(rh)
    for _rd, part, mis in _by_part(ctx, lambda p: getattr(p, "environment", None) is not None):
        env = part.environment
        if env.humidity_max is not None and v > float(env.humidity_max) + 1e-9:
            yield Hit(mis[0].ptr, f"{_who(mis)} ({part.pn}) is rated up to {float(env.humidity_max):.0%} RH; the "
                      f"site's air is at {v:.0%}", "dehumidify or use a part rated for it", value=v,
                      limit=float(env.humidity_max), unit="")
        elif env.humidity_min is not None and v < float(env.humidity_min) - 1e-9:
            yield Hit(mis[0].ptr, f"{_who(mis)} ({part.pn}) is rated from {float(env.humidity_min):.0%} RH; the "
                      f"site's air is at {v:.0%}", "humidify or use a part rated for it", value=v,
                      limit=float(env.humidity_min), unit="")


def _solved(ctx):
    return [lr for lr in ctx.cooling.loops if lr.solved and lr.branches]


@rule("RF334", "coolant-supply-outside-part-rating", "error", "A liquid-cooled part's coolant supply temperature is "
      "outside the range it is rated for.")
def rf334(ctx):
    """
    **What**: the loop's supply temperature, as the cooling lowering computes it (facility water plus the CDU
    approach, or the assumed facility water when the site gives none), is below a tray's
    `liquid.supply_temperature_min` or above its `liquid.supply_temperature_max`.

    **Why**: the vendor qualifies the tray's cold plates, quick disconnects and thermal margins for a band of
    supply temperatures; warmer coolant eats the case-temperature margin, colder coolant risks condensation.

    **Fix**: a facility water temperature or CDU that brings the supply into the band, or trays rated for it.

    **Reference**: the part's datasheet (its `sources.liquid`).
    """
    for lr in _solved(ctx):
        t = lr.t_supply_c + 273.15
        if t != t:
            continue
        assumed = " (facility water assumed)" if lr.facility_assumed else ""
        seen = set()
        for br in lr.branches:
            liq = br.part.liquid
            if br.part.pn in seen:
                continue
            seen.add(br.part.pn)
            hi, lo = liq.supply_temperature_max, liq.supply_temperature_min
            if hi is not None and t > float(hi) + 1e-9:
                yield Hit(br.mi.ptr, f"loop {lr.loop.id!r} supplies {br.part.pn} at {_c(t)}{assumed}; it is rated up "
                          f"to {hi}", "cooler facility water or a CDU with a smaller approach", value=t,
                          limit=float(hi), unit="K")
            elif lo is not None and t < float(lo) - 1e-9:
                yield Hit(br.mi.ptr, f"loop {lr.loop.id!r} supplies {br.part.pn} at {_c(t)}{assumed}; it is rated "
                          f"from {lo}", "warmer facility water", value=t, limit=float(lo), unit="K")


@rule("RF335", "coolant-pressure-over-part-rating", "error", "A liquid-cooled part sees more coolant pressure at "
      "its inlet than it is rated for.")
def rf335(ctx):
    """
    **What**: the solved gauge pressure at a tray's supply tap (from the loop solution the cooling lowering
    computed) exceeds the tray's own `liquid.max_pressure`. RF305 checks the tray's loop parts (quick
    disconnects, hose, cold plates) against theirs; this checks the tray as its vendor rates it.
    The tray's minimum flow is RF301's.

    **Why**: the tray's internal plumbing (manifold, fittings, plates) is qualified to a working pressure; above
    it, a leak onto live electronics.

    **Fix**: lower the pump head (a CDU with a flatter curve or a differential-pressure set point), or trays
    rated for the pressure.

    **Reference**: the part's datasheet (its `sources.liquid`).
    """
    for lr in _solved(ctx):
        for br in lr.branches:
            lim = br.part.liquid.max_pressure
            if lim is None or br.inlet_pressure != br.inlet_pressure:
                continue
            if br.inlet_pressure > float(lim) * (1 + 1e-9):
                yield Hit(br.mi.ptr, f"{br.mi.id} ({br.part.pn}) sees {br.inlet_pressure / 1e3:.0f} kPa at its inlet "
                          f"on loop {lr.loop.id!r}; it is rated {lim}", "lower the loop pressure or use trays rated "
                          "for it", value=br.inlet_pressure, limit=float(lim), unit="Pa")
