"""Shared field types: quantities with a dimension, identifiers, part-number references."""
from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator, model_validator
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
        _plausible_quantity(q, v, self.dim)
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


# Plausibility envelope per dimension (SI), checked on load for every quantity of every design, catalog and
# generation file (rule RF008): far beyond anything in a data-center design, so no real value is refused,
# but an absurd magnitude (a typo of the exponent, a wrong unit prefix, a fuzzed 1e30) stops at the door
# instead of driving a solver, a layout or a drawing to loop or allocate without end. (bound, reason)
PLAUSIBLE: dict[str, tuple[float, str]] = {
    "dimensionless": (1e6, "factors and ratios in a design are far smaller"),
    "length": (1e5, "100 km: longer than any cable run, building or campus"),
    "area": (1e7, "10 km^2: larger than any campus"),
    "volume": (1e6, "a million m^3: larger than any tank or hall"),
    "mass": (1e7, "10,000 t: heavier than a whole data hall of racks"),
    "time": (3.2e9, "100 years"),
    "temperature": (1273.15, "1000 degC: hotter than any air, coolant or part in service"),
    "temperature_difference": (1000.0, "1000 K: no air or coolant loop changes temperature this much"),
    "power": (1e10, "10 GW: more than the largest data-center campus"),
    "energy": (1e15, "a petajoule: more than a campus uses in a week"),
    "voltage": (1e6, "1 MV: above the transmission voltages that feed a site"),
    "current": (1e6, "1 MA: far above any busbar or feeder"),
    "resistance": (1e9, "1 GOhm: an open circuit, not a conductor"),
    "resistance_per_length": (1e6, "1 MOhm/m: not a conductor"),
    "pressure": (1e8, "1,000 bar: far above any coolant loop"),
    "volumetric_flow": (100.0, "100 m^3/s: more than the cooling water of a whole campus"),
    "velocity": (1e3, "1 km/s: supersonic"),
    "frequency": (1e12, "1 THz"),
    "data_rate": (1e16, "10 Pbit/s: more than any link, switch or accelerator"),
    "data": (1e18, "an exabit: more than any device's memory"),
    "thermal_resistance": (1e6, "1e6 K/W: no thermal path at all"),
    "currency": (1e12, "a trillion USD"),
    "mass_per_area": (1e6, "1,000 t/m^2: no floor carries this"),
    "flow_per_power": (1.0, "1 m^3/s per W: a million times any real airflow or coolant need"),
}
#: the lowest plausible absolute temperature [K]: -100 degC, colder than any air or coolant in service
PLAUSIBLE_T_MIN = 173.15


def _plausible_quantity(q: Any, v: float, dim: str) -> None:
    if math.isinf(v):
        raise PydanticCustomError("plausibility", "{msg}", {"msg": f"{q.text!r} is infinite; check the number"})
    bound, why = PLAUSIBLE[dim]
    if abs(v) > bound:
        raise PydanticCustomError("plausibility", "{msg}", {
            "msg": f"{q.text!r} is implausible: a {dim.replace('_', ' ')} in a design is at most {bound:g} "
                   f"{DIMENSIONS[dim].si} ({why}); check the number and its unit".replace("  ", " ")})
    if dim == "temperature" and v < PLAUSIBLE_T_MIN:
        raise PydanticCustomError("plausibility", "{msg}", {
            "msg": f"{q.text!r} is implausible: a temperature in a design is at least {PLAUSIBLE_T_MIN:g} K "
                   "(-100 degC, colder than any air or coolant in service); check the number and its unit"})


#: Largest integer any count, index or position in a design may hold (the longest row the schema allows), and
#: the longest list; catalog parts lower both (:data:`PLAUSIBLE_PART_COUNT`). Checked by :class:`Model`.
PLAUSIBLE_COUNT = 100_000
PLAUSIBLE_PART_COUNT = 4096
#: Largest magnitude of a plain number (coefficients: a quick disconnect's Cv, a loss coefficient)
PLAUSIBLE_NUMBER = 1e9


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
    """Base of every file model: unknown keys are errors, never silently ignored; counts, lists and plain
    numbers are bounded for plausibility (RF008: a count of 10^9 or a list of a million entries is refused on
    load, naming the bound, instead of making the solvers allocate without end)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=False, defer_build=True)
    #: the largest count and longest list of this model (catalog models lower it to PLAUSIBLE_PART_COUNT)
    plausible_count: ClassVar[int] = PLAUSIBLE_COUNT
    plausible_reason: ClassVar[str] = "the longest row the schema allows"

    @field_validator("*", mode="after")
    @classmethod
    def _plausible(cls, v: Any, info: Any) -> Any:
        t = type(v)
        if t is int and abs(v) > cls.plausible_count:
            raise PydanticCustomError("plausibility", "{msg}", {
                "msg": f"{v} is implausible: at most {cls.plausible_count:,} "
                       f"({cls.plausible_reason})"})
        if t is float and not (abs(v) <= PLAUSIBLE_NUMBER):
            raise PydanticCustomError("plausibility", "{msg}", {
                "msg": f"{v!r} is implausible: a plain number here is finite and at most "
                       f"{PLAUSIBLE_NUMBER:g} in magnitude"})
        return v

    @model_validator(mode="before")
    @classmethod
    def _plausible_length(cls, data: Any) -> Any:
        # before validation: a list of a million entries is refused before each entry is validated
        if isinstance(data, dict):
            for k, v in data.items():
                if isinstance(v, (list, dict)) and len(v) > cls.plausible_count:
                    raise PydanticCustomError("plausibility", "{msg}", {
                        "msg": f"{k!r} has {len(v):,} entries, which is implausible: at most {cls.plausible_count:,} "
                               f"({cls.plausible_reason})"})
        return data
