"""Reporters format results; they compute nothing. One function per format, chosen from a table.

Every reporter is called as ``reporter(results, errors, *, statistics, color, fail_on)`` and returns text;
each imports what it needs when called, so choosing one costs nothing at start-up.
"""
from __future__ import annotations

from typing import Callable


def _lazy(module: str, name: str) -> Callable:
    def call(*args, **kwargs):
        import importlib

        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = name
    return call


REPORTERS: dict[str, Callable] = {
    "text": _lazy("rackforge.reporters.basic", "text"),
    "concise": _lazy("rackforge.reporters.basic", "concise"),
    "json": _lazy("rackforge.reporters.basic", "json_report"),
    "sarif": _lazy("rackforge.reporters.sarif", "sarif"),
    "github": _lazy("rackforge.reporters.github", "github"),
    "junit": _lazy("rackforge.reporters.junit", "junit"),
    "gitlab": _lazy("rackforge.reporters.gitlab", "gitlab"),
}
