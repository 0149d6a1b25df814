"""All rule cases: (code, seed, mutation, expected pointer), gathered from tests/cases/*.py.

The seeds are the "silent on a good design" half: tests/test_rules.py checks each rule is silent on its case's
unmutated seed and fires on the mutated one, and fails when a registered rule has no case.
"""
from __future__ import annotations

import importlib
import pkgutil

import tests.cases as _pkg
from tests.cases.common import Case

CASES: list[Case] = []
for _m in sorted(pkgutil.iter_modules(_pkg.__path__), key=lambda m: m.name):
    if _m.name != "common":
        CASES.extend(importlib.import_module(f"tests.cases.{_m.name}").CASES)
