"""Findings: one rule's verdict on one place of a design."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import NamedTuple


class Severity(IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}: expected error, warning or info") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass
class Finding:
    code: str
    severity: Severity
    message: str
    file: str
    pointer: str = ""
    line: int | None = None
    col: int | None = None
    hint: str | None = None
    name: str = ""
    waived_by: str | None = field(default=None, compare=False)
    # machine-readable margin, for findings against a generation requirement (rackforge matrix):
    # the dotted requirement path (power.rack_power_max), the design's value and the limit, SI floats in `unit`
    requirement: str | None = None
    value: float | None = None
    limit: float | None = None
    unit: str | None = None

    def location(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.col or 1}"

    def sort_key(self) -> tuple:
        return (self.file, self.line or 0, self.col or 0, self.code, self.pointer, self.message)

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.col,
            "pointer": self.pointer,
            "hint": self.hint,
            "requirement": self.requirement,
            "value": self.value,
            "limit": self.limit,
            "unit": self.unit,
        }


class Hit(NamedTuple):
    """What a rule (or a lowering check the rules report) yields: the place, the message and optional margin;
    the engine turns it into a :class:`Finding` with the rule's code and the place's ``file:line:col``."""
    pointer: str
    message: str
    hint: str | None = None
    severity: Severity | None = None
    file: str | None = None
    # optional margin against a generation requirement: dotted path, the design's value, the limit (SI, `unit`)
    requirement: str | None = None
    value: float | None = None
    limit: float | None = None
    unit: str | None = None
