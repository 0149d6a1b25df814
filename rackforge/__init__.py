"""rackforge: configurator and validator for AI data-center rack hardware designs."""
from rackforge._version import __version__

__all__ = ["__version__"]
