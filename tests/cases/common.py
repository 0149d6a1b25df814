"""Shared helpers for rule cases. One triggering case per rule: (code, seed file, mutation of the seed dict, expected pointer prefix).

The seeds themselves are the "silent on a good design" half: tests/test_rules.py checks each rule is silent on
its case's unmutated seed and fires on the mutated one. tests/test_rules.py also fails when a registered rule
has no case here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass
class Case:
    code: str
    seed: str
    mutate: Callable[[dict], None]
    pointer: str = ""
    note: str = ""
    also: tuple = ()  # other rules to run with it (a waiver is judged only when its rule runs)
    catalog: dict | None = None  # an extra catalog written beside the design and named in its 'catalogs'
    env: dict | None = None  # environment variables set for the mutated run only (limits: RF911)


DEEP_SWITCH = {"catalog": "test-extra", "parts": [{
    "pn": "DEEP-SWITCH", "kind": "switch", "name": "a 1.2 m deep switch", "source": "test fixture",
    "height": "1 RU", "standard": "eia19", "depth": "1200 mm", "mass": "20 kg",
    "power": {"idle": "100 W", "typical": "200 W", "max": "300 W"},
    "input": {"type": "ac", "voltage_min": "200 V", "voltage_max": "240 V", "phases": 1}}]}


def _t(d, name="nvl72"):
    return d["templates"][name]


def _mount(d, mid, name="nvl72"):
    return next(m for m in _t(d, name)["mounts"] if m["id"] == mid)


G = "gb200-nvl72.json"
H = "hgx-h100-air.yaml"

