"""RF5xx: supply chain and bill of materials: domestic content, single sourcing, lead time, missing data.

The rules read ``ctx.supply_chain`` (:mod:`rackforge.lowering.supply_chain`): the design's BOM with its derived
parts, one line per part number over the whole design. Parts shipped inside another part (server PSUs, cold
plates) ride with their host and are not judged on their own; parts missing from the catalog are RF002's.
"""
from __future__ import annotations

from rackforge.rules import Hit, rule

WEEK_S = 7 * 86400.0


def _weeks(s: float) -> str:
    return f"{s / WEEK_S:g} weeks"


def _where(ln) -> str:
    return ln.pointers[0] if ln.pointers else ""


def _places(ln) -> str:
    n = len(ln.pointers)
    return "" if n <= 1 else f" (and {n - 1} other place{'s' if n > 2 else ''} in the design)"


@rule("RF500", "domestic-content-below-minimum", "error",
      "The cost-weighted domestic content of the design is below the generation's minimum.",
      requires=["supply_chain.domestic_share_min", "supply_chain.domestic_countries"])
def rf500(ctx):
    """
    **What**: the share of the design's cost (every part bought, racks x instances plus shared parts such as
    in-row CDUs, at catalog unit cost) whose country of origin is one of the generation's `domestic_countries`
    is below `domestic_share_min`. The share is taken over the cost whose origin is known; parts without an
    origin are reported by RF503.

    **Why**: procurement rules, tariffs and incentives (content requirements of public programmes) are met or
    missed on cost-weighted domestic content; a design that misses the share cannot be bought for the
    programme it was drawn for.

    **Fix**: choose parts made in a domestic country (the BOM's `origin` and `domestic` columns and
    `rackforge bom` show the biggest foreign-made cost), or, if the policy changed, change the generation's
    `supply_chain.domestic_share_min`.
    """
    lim = ctx.req("supply_chain.domestic_share_min")
    if lim is None:
        return
    f = ctx.supply_chain.figures
    share = f["domestic_share"]
    if share is None:
        return   # no part with both a cost and an origin: RF503 says which data are missing
    if share < float(lim) - 1e-9:
        countries = ", ".join(f["domestic_countries"] or []) or "none listed"
        top = ", ".join(f"{c} {v:.1%}" for c, v in list(f["cost_share_by_country"].items())[:3])
        yield Hit("", f"domestic content is {share:.1%} of cost (domestic: {countries}); generation "
                  f"{ctx.gen.id!r} requires at least {float(lim):.1%}. Cost by origin: {top}",
                  "source the largest foreign-made lines from a domestic supplier (see 'rackforge bom')",
                  requirement="supply_chain.domestic_share_min", value=share, limit=float(lim), unit="1")


@rule("RF501", "single-sourced-critical-part", "error",
      "A part in a critical role has a single supplier.",
      requires=["supply_chain.single_source_critical_kinds"])
def rf501(ctx):
    """
    **What**: a part whose kind the generation names in `single_source_critical_kinds` (power shelves, PSUs,
    CDUs, busbars, ...) lists one supplier, or none, in the catalog. Derived parts count too: the PSUs filling
    a power shelf are judged as `psu`, whether the shelf's default fill or a mount's override.

    **Why**: a critical part from one supplier is a single point of failure of the build: one factory's
    shortage, quality hold or allocation stops every rack of the generation.

    **Fix**: qualify a second source and add it to the part's `suppliers`, or choose an equivalent part that
    has two; waive it (with a reason and an expiry) while the second source is being qualified.
    """
    kinds = ctx.req("supply_chain.single_source_critical_kinds")
    if not kinds:
        return
    for ln in ctx.supply_chain.bought:
        if ln.kind in kinds and len(ln.suppliers) <= 1:
            who = f"only {ln.suppliers[0]!r}" if ln.suppliers else "no supplier"
            yield Hit(_where(ln), f"{ln.pn} ({ln.kind}, {ln.qty} in the design) has {who}{_places(ln)}; "
                      f"generation {ctx.gen.id!r} treats {ln.kind} as critical",
                      "qualify a second source and list it in the part's 'suppliers'")


@rule("RF502", "lead-time-over-limit", "error",
      "A part's lead time is longer than the generation allows.",
      requires=["supply_chain.max_lead_time"])
def rf502(ctx):
    """
    **What**: a part bought for the design (derived parts included) has a catalog `lead_time` longer than the
    generation's `max_lead_time`. The longest lead time is the critical path of a build: no rack ships before
    its slowest part arrives.

    **Why**: the generation's schedule (when its racks must be in the hall) allows that much time between order
    and delivery; a longer lead time moves the whole deployment.

    **Fix**: choose a part with a shorter lead time, order it ahead (and raise the generation's limit to match
    the plan), or split the design so the long-lead part is not on its critical path.
    """
    lim = ctx.req("supply_chain.max_lead_time")
    if lim is None:
        return
    for ln in ctx.supply_chain.bought:
        if ln.lead_time_s is not None and ln.lead_time_s > float(lim) * (1 + 1e-9):
            yield Hit(_where(ln), f"{ln.pn} ({ln.kind}) has a lead time of {_weeks(ln.lead_time_s)}{_places(ln)}; "
                      f"generation {ctx.gen.id!r} allows {_weeks(float(lim))}",
                      "choose a part with a shorter lead time or order it ahead of the build",
                      requirement="supply_chain.max_lead_time", value=ln.lead_time_s, limit=float(lim), unit="s")


@rule("RF503", "part-missing-supply-data", "warning",
      "A part in the BOM has no cost, country of origin or lead time.")
def rf503(ctx):
    """
    **What**: a part the design buys (listed or derived) has no `cost`, `origin` or `lead_time` in its catalog
    entry. Parts shipped inside another part (server PSUs, cold plates) are not judged: their host's figures
    cover them.

    **Why**: the BOM's totals, the domestic-content share and the critical path silently leave such a part out;
    a cost or schedule figure computed without it looks better than it is.

    **Fix**: add the missing fields to the part's catalog entry, with a `sources` entry saying where each figure
    comes from (a quote, a datasheet, or `estimate`).
    """
    for ln in ctx.supply_chain.bought:
        miss = [n for n, v in (("cost", ln.unit_cost_usd), ("origin", ln.origin), ("lead_time", ln.lead_time_s))
                if v is None]
        if miss:
            yield Hit(_where(ln), f"{ln.pn} ({ln.kind}) has no {', '.join(miss)} in the catalog{_places(ln)}, so "
                      "the BOM's totals and supply-chain figures leave it out",
                      f"add {', '.join(miss)} to the catalog entry of {ln.pn}, with a source")
