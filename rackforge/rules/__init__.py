"""The rule registry: every check has a stable code, a name that says what is wrong, a default severity,
an area, a doc text (what, why, how to fix, reference) and the generation requirements it reads.

A rule is a small function ``check(ctx) -> Iterable[Hit]``; ``@rule(...)`` registers it. Rules whose
verdicts are produced while loading (schema and unit errors) register with ``check=None`` so they are
documented and listed like the others.
"""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from typing import Callable, Iterable, NamedTuple

from rackforge.model.findings import Hit, Severity  # noqa: F401 (Hit: what a rule yields)

AREAS = {
    "0": "input", "1": "physical", "2": "power", "3": "cooling", "4": "network", "5": "supply-chain",
    "9": "meta",
}

# modules holding rules, imported on first use of the registry
RULE_MODULES = (
    "rackforge.rules.input",
    "rackforge.rules.physical",
    "rackforge.rules.power",
    "rackforge.rules.meta",
    "rackforge.rules.network",
    "rackforge.rules.fabric",
    "rackforge.rules.cooling",
    "rackforge.rules.air",
    "rackforge.rules.condensation",
    "rackforge.rules.scalable_units",
    "rackforge.rules.supply_chain",
    "rackforge.rules.limits",
    "rackforge.rules.facility_power",
    "rackforge.rules.facility_water",
)




@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    doc: str
    check: Callable | None
    requires: tuple[str, ...] = field(default=())
    needs_generation: bool = False

    @property
    def area(self) -> str:
        return AREAS.get(self.code[2], "other")


REGISTRY: dict[str, Rule] = {}


def rule(code: str, name: str, severity: str, summary: str, *, requires: Iterable[str] = (),
         needs_generation: bool = False, check: bool = True):
    """Register the decorated function as rule ``code``; its docstring is the rule's doc text."""

    def deco(fn: Callable) -> Callable:
        if code in REGISTRY:
            raise RuntimeError(f"rule code {code} registered twice")
        REGISTRY[code] = Rule(code, name, Severity.parse(severity), summary, inspect.cleandoc(fn.__doc__ or ""),
                              fn if check else None, tuple(requires), needs_generation or bool(requires))
        return fn

    return deco


def all_rules() -> dict[str, Rule]:
    for mod in RULE_MODULES:
        importlib.import_module(mod)
    return dict(sorted(REGISTRY.items()))


def matches(code: str, patterns: Iterable[str]) -> bool:
    return any(code.startswith(p) for p in patterns)
