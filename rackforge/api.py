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
        msgs = "; ".join(p.message for p in ld.problems[:3])
        raise ValueError(f"the design does not match the schema ({msgs}); run 'rackforge validate' for details")
    return analyze_summary(Context(ld, options))


__all__ = ["validate", "analyze", "load_design", "Options", "Result", "LoadedDesign", "run_rules"]
