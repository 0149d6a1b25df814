"""Shared field types: quantities with a dimension, identifiers, part-number references."""
from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError, core_schema

from rackforge.model.units import DIMENSIONS, Qty, UnitError, describe, parse

_QTY_PATTERN = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*\S.*$"


class QuantitySpec:
    """Annotated metadata: a quantity of dimension ``dim`` with optional bounds in SI units."""

    def __init__(self, dim: str, *, gt: float | None = None, ge: float | None = None,
                 le: float | None = None, lt: float | None = None) -> None:
        assert dim in DIMENSIONS, dim
        self.dim, self.gt, self.ge, self.le, self.lt = dim, gt, ge, le, lt

    def _check(self, value: Any) -> Qty:
        try:
            q = parse(value, self.dim)
        except UnitError as exc:
            raise PydanticCustomError("quantity", "{msg}", {"msg": str(exc)}) from None
        v = float(q)
        if math.isnan(v):
            raise PydanticCustomError("quantity", "{msg}", {"msg": f"{value!r} is not a number"})
        if self.gt is not None and not v > self.gt:
            raise PydanticCustomError("quantity_range", "{msg}", {
                "msg": f"{q.text!r} must be greater than {self.gt:g} {DIMENSIONS[self.dim].si}".rstrip()})
        if self.ge is not None and not v >= self.ge:
            raise PydanticCustomError("quantity_range", "{msg}", {
                "msg": f"{q.text!r} must not be negative" if self.ge == 0
                else f"{q.text!r} must be at least {self.ge:g} {DIMENSIONS[self.dim].si}".rstrip()})
        if self.le is not None and not v <= self.le:
            raise PydanticCustomError("quantity_range", "{msg}", {
                "msg": f"{q.text!r} must be at most {self.le:g} {DIMENSIONS[self.dim].si}".rstrip()})
        if self.lt is not None and not v < self.lt:
            raise PydanticCustomError("quantity_range", "{msg}", {
                "msg": f"{q.text!r} must be less than {self.lt:g} {DIMENSIONS[self.dim].si}".rstrip()})
        return q

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self._check,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda q: q.text if isinstance(q, Qty) else q
            ),
        )

    def __get_pydantic_json_schema__(self, cs: Any, handler: Any) -> dict[str, Any]:
        d = DIMENSIONS[self.dim]
        desc = describe(self.dim)
        bounds = []
        if self.gt is not None:
            bounds.append(f"> {self.gt:g} {d.si}".strip())
        if self.ge is not None:
            bounds.append(f">= {self.ge:g} {d.si}".strip())
        if self.le is not None:
            bounds.append(f"<= {self.le:g} {d.si}".strip())
        if self.lt is not None:
            bounds.append(f"< {self.lt:g} {d.si}".strip())
        if bounds:
            desc += " (" + ", ".join(bounds) + ")"
        if self.dim == "dimensionless":
            return {"anyOf": [{"type": "number"}, {"type": "string", "pattern": _QTY_PATTERN}],
                    "description": desc, "x-dimension": self.dim}
        return {"type": "string", "pattern": _QTY_PATTERN, "description": desc,
                "examples": [d.example], "x-dimension": self.dim}


def Q(dim: str, **bounds: float) -> Any:
    return Annotated[Qty, QuantitySpec(dim, **bounds)]


Length = Q("length", ge=0)
PosLength = Q("length", gt=0)
Mass = Q("mass", ge=0)
Time = Q("time", ge=0)
Temperature = Q("temperature", gt=0)
TempDiff = Q("temperature_difference", ge=0)
Power = Q("power", ge=0)
PosPower = Q("power", gt=0)
Energy = Q("energy", ge=0)
Voltage = Q("voltage", ge=0)
PosVoltage = Q("voltage", gt=0)
Current = Q("current", ge=0)
PosCurrent = Q("current", gt=0)
Resistance = Q("resistance", ge=0)
ResistancePerLength = Q("resistance_per_length", ge=0)
Pressure = Q("pressure", ge=0)
Flow = Q("volumetric_flow", ge=0)
PosFlow = Q("volumetric_flow", gt=0)
DataRate = Q("data_rate", ge=0)
PosDataRate = Q("data_rate", gt=0)
Data = Q("data", ge=0)
ThermalResistance = Q("thermal_resistance", ge=0)
Money = Q("currency", ge=0)
Frequency = Q("frequency", gt=0)
MassPerArea = Q("mass_per_area", gt=0)
FlowPerPower = Q("flow_per_power", gt=0)
Fraction = Q("dimensionless", ge=0, le=1)
PosFactor = Q("dimensionless", gt=0)

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=128)]
PartNumber = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^\S(.*\S)?$")]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class Model(BaseModel):
    """Base of every file model: unknown keys are errors, never silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=False)
