"""rackforge: configurator and validator for AI data-center rack hardware designs.

The public API (imported lazily, so ``import rackforge`` stays cheap)::

    rackforge.load_design(path)   -> LoadedDesign
    rackforge.validate(path)      -> Result (findings)
    rackforge.analyze(path)       -> dict (SI floats, units in keys)
"""
from rackforge._version import __version__

__all__ = ["__version__", "load_design", "validate", "analyze"]


def __getattr__(name: str):
    if name in ("load_design", "validate", "analyze"):
        from rackforge import api

        return getattr(api, name)
    raise AttributeError(name)
