"""Size and time limits of a check, and a progress line for big designs on a terminal (issue 20).

The cost of checking a design grows with its *elements*: mounts and their ports, once per rack instance
(a template used by 1,000 racks is lowered, solved and wired 1,000 times), plus its links. Above
:data:`DEFAULT_MAX_ELEMENTS` a design is refused on load with RF910, naming the count, the limit and how to raise
it, instead of running for minutes or exhausting memory. Between rules, a run that has used more than the time
limit stops with RF911, naming the rules it did not run.

Both limits are read from the environment (``RACKFORGE_MAX_ELEMENTS``, ``RACKFORGE_TIME_LIMIT`` in seconds; 0
turns a limit off) or set with the root options ``rackforge --max-elements N --time-limit S COMMAND ...``.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Any

from rackforge.errors import InputError

#: Elements (mount and port instances, links) checked by default: a hall of about 10,000 NVL72-class racks, the
#: documented scale of benches/hall.py and benches/hall_fabric.py (issue 14: 10,000 racks in under 10 minutes).
#: The GB200 NVL72 rack is 2,869 elements; ``rackforge validate`` costs about 3-8 us of CPU and 0.2-0.3 kB of
#: memory per element (1,056-rack hall, 3.0 M: 22.5 s, 0.79 GiB; 10,032 racks, 28.8 M: 223 s, 5.7 GiB, both with
#: the facility power chain and water, benches/hall.py on 2 loaded cores), so a design at the limit takes a few
#: minutes and ~6 GiB. Larger designs are refused at once with RF910; fuzzing sets a lower limit.
DEFAULT_MAX_ELEMENTS = 32_000_000
#: Seconds of checking after which the remaining rules are skipped (RF911).
DEFAULT_TIME_LIMIT = 300.0
#: Designs at least this big show a progress line on a terminal.
PROGRESS_MIN_ELEMENTS = 100_000


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        v = float(raw)
    except ValueError:
        raise InputError(f"{name}={raw!r} is not a number", file="<environment>",
                         hint=f"give a number, or 0 for no limit (default {default:,.0f})") from None
    if not v >= 0 or v == float("inf"):
        raise InputError(f"{name}={raw!r} must be a finite number >= 0", file="<environment>",
                         hint="0 turns the limit off")
    return v


def max_elements() -> int:
    """The element limit (0: none)."""
    return int(_env_number("RACKFORGE_MAX_ELEMENTS", DEFAULT_MAX_ELEMENTS))


def time_limit() -> float:
    """The time limit in seconds (0: none)."""
    return _env_number("RACKFORGE_TIME_LIMIT", DEFAULT_TIME_LIMIT)


def design_elements(design: Any, catalog: Any) -> tuple[int, int]:
    """(elements, rack instances) of a schema-valid design, before it is resolved: each rack body's mounts, their
    ports and its links, counted once per instance (at least once: an unused template is still checked), plus
    design-level links. Cheap (no rack instance is made), so a row of 100,000 racks is refused at once."""
    uses: dict[str, int] = {}
    for r in design.racks:
        if r.template is not None:
            uses[r.template] = uses.get(r.template, 0) + 1
    for row in design.rows:
        uses[row.template] = uses.get(row.template, 0) + int(row.count)

    def per_rack(body: Any) -> int:
        n = len(body.mounts) + len(body.links)
        for m in body.mounts:
            for g in getattr(catalog.get(m.part), "ports", None) or ():
                n += int(g.count)
        return n

    total = sum(per_rack(b) * max(1, uses.get(name, 0)) for name, b in design.templates.items())
    total += sum(per_rack(r.body) for r in design.racks if r.body is not None)
    racks = sum(1 for r in design.racks if r.body is not None) + sum(
        n for name, n in uses.items() if name in design.templates)
    return total + len(design.links), racks


def too_large_message(elements: int, racks: int, limit: int) -> str:
    return (f"the design has {elements:,} elements (mounts, ports and links, counted per rack instance, in "
            f"{racks:,} racks), above the limit of {limit:,} that a check is allowed; it was not checked")


TOO_LARGE_HINT = ("split the design, or raise the limit: RACKFORGE_MAX_ELEMENTS=N or 'rackforge --max-elements N "
                  "COMMAND ...' (0: no limit; checking costs about 3 us of CPU and 0.3 kB of memory per element)")


class Progress:
    """A one-line progress display on stderr, only when stderr is a terminal and the design is big."""

    def __init__(self, label: str, total: int, elements: int) -> None:
        self.on = elements >= PROGRESS_MIN_ELEMENTS and total > 0 and _tty()
        self.label, self.total, self.t0 = label, total, time.monotonic()

    def step(self, i: int, what: str) -> None:
        if self.on:
            width = 24
            done = int(width * i / self.total)
            sys.stderr.write(f"\r{self.label} [{'#' * done}{'.' * (width - done)}] {i}/{self.total} {what:<8} "
                             f"{time.monotonic() - self.t0:5.0f} s")
            sys.stderr.flush()

    def close(self) -> None:
        if self.on:
            sys.stderr.write("\r" + " " * 79 + "\r")
            sys.stderr.flush()


def _tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
