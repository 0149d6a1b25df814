"""The Python API the CLI is a thin layer over."""
from __future__ import annotations

from typing import Any

from rackforge.engine import Context, LoadedDesign, Options, Result, load_design, run_rules
from rackforge.engine import validate as _validate


def validate(path: str, options: Options | None = None, **kw: Any) -> Result:
    """Validate a design file; returns a :class:`Result` with its findings (raises InputError if unreadable)."""
    return _validate(path, options or Options(**kw))


def analyze(path: str, options: Options | None = None, **kw: Any) -> dict[str, Any]:
    """The computed model of a design as a dict of SI floats with units in the keys."""
    from rackforge.engine.analysis import analyze_summary

    options = options or Options(**kw)
    ld = load_design(path, catalogs=options.catalogs, generation=options.generation)
    if ld.design is None:
        raise UnusableDesign(ld.unusable("it cannot be analysed"))
    return analyze_summary(Context(ld, options))


class UnusableDesign(ValueError):
    """The design does not match the schema or is too large to check (RF910): nothing to analyse."""


__all__ = ["validate", "analyze", "UnusableDesign", "load_design", "Options", "Result", "LoadedDesign", "run_rules"]
