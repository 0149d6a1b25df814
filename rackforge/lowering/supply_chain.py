"""Supply-chain lowering: the design's bill of materials and the figures the RF5xx rules and ``analyze`` read.

``analyze(ctx)`` builds the BOM once (:func:`rackforge.lowering.bom.build`: per rack definition x instances, plus parts
shared by the design) and derives from it, over every part that is bought (included parts ride with their host):

- cost-weighted domestic content: the share of cost (of the parts whose origin is known) made in one of the
  generation's ``supply_chain.domestic_countries`` (ISO 3166-1 alpha-2 codes);
- the share of cost by country of origin;
- the parts with a single supplier (none listed counts as single);
- the longest lead time (the critical path of a build: nothing ships before its slowest part arrives);
- the parts that lack a cost, an origin or a lead time.
"""
from __future__ import annotations

import functools
from typing import Any


class SupplyChainResult:
    """``ctx.supply_chain``: ``bom`` (:class:`rackforge.lowering.bom.DesignBom`), ``parts`` (one line per part number over
    the design), ``figures`` (dict, see :func:`rackforge.lowering.bom.figures`)."""

    def __init__(self, ctx) -> None:
        from rackforge.lowering import bom

        self.bom = bom.build(ctx)

    @functools.cached_property
    def parts(self):
        return self.bom.parts()

    @functools.cached_property
    def bought(self):
        """Lines bought as such: not included in a host, and known to the catalog."""
        return [ln for ln in self.parts if not ln.included and ln.kind != "unknown"]

    @functools.cached_property
    def figures(self) -> dict[str, Any]:
        from rackforge.lowering.bom import figures

        return figures(self.bom)

    def to_json(self) -> dict[str, Any]:
        from rackforge.lowering.bom import round6, totals

        t = totals(self.parts)
        return {
            "parts": len(self.parts),
            "parts_bought": len(self.bought),
            "units": sum(ln.qty for ln in self.bought),
            "mass_kg": round6(t["mass_kg"]),
            **self.figures,
            "notes": list(self.bom.notes),
        }


def analyze(ctx) -> SupplyChainResult:
    """Build the design's BOM and supply-chain figures (``ctx.supply_chain``)."""
    return SupplyChainResult(ctx)
