"""RF440: a rail pattern whose scalable-unit boundary cuts through a rack."""
from __future__ import annotations

from rackforge.rules import Hit, rule


@rule("RF440", "rack-split-across-scalable-units", "warning", "A rail pattern cables the nodes of one rack to the "
      "leaves of two scalable units.")
def rf440(ctx):
    """
    **What**: a design-level `rail` pattern over several racks cuts its nodes into groups (scalable units) of
    `nodes_per_group` in selector order, one leaf per rail per group. When a group boundary falls inside a rack,
    that rack's nodes are cabled to the leaves of two units: some of its servers belong to one SU, the rest to
    the next.

    **Why**: a scalable unit is built, cabled, powered and failed as whole racks (NVIDIA's DGX SuperPOD SU is
    32 nodes in 8 racks with its own 8 rail leaves); a rack split between two units runs its cables to two leaf
    groups, usually across rows, breaks the unit's failure domain and most often means `nodes_per_group` is not a
    multiple of the nodes per rack, or the selector order is not rack order.

    **Fix**: make `nodes_per_group` a multiple of the nodes in each rack (or leave it out when the racks divide
    evenly), and select the nodes rack by rack.
    """
    net = ctx.network.m
    for ptr, inst, groups, per in net.su_splits:
        rid = net.racks[inst].id
        yield Hit(f"{ptr}/nodes", f"rail pattern: the nodes of rack {rid!r} are cabled to the leaves of "
                  f"{len(groups)} scalable units ({', '.join(str(g) for g in groups)}) with {per} nodes per unit",
                  "make nodes_per_group a multiple of the nodes in each rack")
