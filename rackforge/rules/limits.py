"""RF910-919: limits of a check: designs too large to check, checks stopped by the time limit (issue 20)."""
from __future__ import annotations

from rackforge.rules import rule


@rule("RF910", "design-too-large", "error", "The design is larger than the element limit of a check, so it was "
      "not checked.", check=False)
def _rf910(ctx):
    """
    **What**: the design's elements (its mounts, their ports and its links, counted once per rack instance)
    exceed the limit of a check (default 3,000,000, about 1,000 GB200 NVL72 racks; `RACKFORGE_MAX_ELEMENTS` or
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
