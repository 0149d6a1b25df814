"""Reporters format results; they compute nothing. One function per format, chosen from a table."""
from __future__ import annotations

from typing import Callable

from rackforge.reporters.basic import concise, json_report, text

REPORTERS: dict[str, Callable] = {
    "text": text,
    "concise": concise,
    "json": json_report,
}
