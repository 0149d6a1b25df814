"""RF910-919: limits of a check: designs too large to check, checks stopped by the time limit (issue 20)."""
from __future__ import annotations

from rackforge.rules import Hit, rule


@rule("RF910", "design-too-large", "error", "The design is larger than the element limit of a check, so it was "
      "not checked.", check=False)
def _rf910(ctx):
    """
    **What**: the design's elements (its mounts, their ports and its links, counted once per rack instance)
    exceed the limit of a check (default 32,000,000, about 10,000 GB200 NVL72 racks; `RACKFORGE_MAX_ELEMENTS` or
    `rackforge --max-elements N`). Nothing else is checked, drawn or analysed.

    **Why**: checking costs time and memory in proportion to the elements (about 3 us of CPU and 0.3 kB each,
    see `rackforge/engine/limits.py`); a row of 100,000 racks would run for hours or exhaust memory.
    Refusing it at once, with the figure, is better than a command that never ends.

    **Fix**: check the hall in parts (one file per row or pod), or raise the limit when the machine has the
    time and memory: `rackforge --max-elements 5000000 validate hall.json` (0: no limit).
    """
    return ()


@rule("RF911", "time-limit-reached", "error", "The check stopped at its time limit; some rules were not run.",
      check=False)
def _rf911(ctx):
    """
    **What**: checking the design took longer than the time limit (default 300 s; `RACKFORGE_TIME_LIMIT` or
    `rackforge --time-limit S`), so the rules after that point were not run; the message lists them.

    **Why**: a design that is not fully checked must not pass silently; the limit keeps a pre-commit hook or
    a CI job from hanging on a design far beyond the documented scale.

    **Fix**: raise the limit (0: none), check fewer rules with `--select`, or split the design.
    """
    return ()


@rule("RF912", "analysis-not-converged", "error", "A power or coolant-loop solution did not converge, or left the "
      "range of its property data, so the checks that read it are not reliable.")
def rf912(ctx):
    """
    **What**: an iterative solver stopped at its iteration bound without meeting its tolerance (the power flow
    of some fault scenarios, the hydraulic network of a coolant loop), or a loop's state left the range of the
    coolant property data (a loop driven to hundreds of degrees by absurd heat), so it was not solved.

    **Why**: every solver in rackforge is bounded, so a hostile or extreme design cannot make it run forever;
    when the bound is reached its answer is not a solution, and the power and cooling checks built on it (feed
    loading, voltage drop, flow and case-temperature margins) cannot be trusted. Saying so beats a silent pass.

    **Fix**: look for what drives the model out of its range: loads far above their feeds or CDU, flows or
    pressures of the wrong magnitude, a unit typo. The other findings on the same rack usually name it.
    """
    import numpy as np

    pw = ctx.power
    conv = getattr(pw, "converged", None)
    if conv is not None and np.size(conv) and not bool(np.all(conv)):
        labels = list(getattr(pw, "labels", None) or [])
        bad = [i for i, ok in enumerate(np.asarray(conv, bool).ravel()) if not ok]
        named = ", ".join(str(labels[i]) if i < len(labels) else f"#{i}" for i in bad[:5])
        yield Hit("", f"the power-flow solution did not converge in {len(bad)} of {np.size(conv)} scenarios "
                  f"({named}{', ...' if len(bad) > 5 else ''}); power findings for them are not reliable",
                  "look for loads far beyond their feeds, shelves or busbars")
    for lr in ctx.cooling.loops:
        failure = getattr(lr, "failure", None)
        if failure:
            yield Hit(lr.ptr, f"coolant loop {lr.loop.id!r}: {failure}",
                      "look for heat far beyond the CDU's capacity or flows of the wrong magnitude")
        elif lr.solved and not lr.converged:
            yield Hit(lr.ptr, f"coolant loop {lr.loop.id!r}: the hydraulic solution did not converge; flow and "
                      "temperature findings for it are not reliable",
                      "look for flows, pressures or pump curves of the wrong magnitude")
