"""The sweep SPEC: which designs, generations, site conditions, operating points, part substitutions and fault
depths to analyse, as a YAML or JSON file checked like a design (pydantic model; JSON Schema in
``schemas/rackforge-sweep.schema.json``, written by ``python -m rackforge.gen``).

Example::

    rackforge-sweep: 1
    name: hall-a-study
    designs: [../seeds/gb200-nvl72.json]           # relative to this file
    generations: [gb200-nvl72, gb300-nvl72]        # default: the generation each design declares
    operating_points: [typical, max]               # default: the design's
    site:                                          # one axis per variable: a list, or a range
      facility_water_supply_temperature: {from: 20 degC, to: 45 degC, steps: 6}
      altitude: [0 m, 1500 m, 3000 m]
    sample: {count: 40, seed: 1}                   # optional: random points instead of the full grid
    substitutions:                                 # catalog alternatives (baseline = no replacement)
      - {name: baseline}
      - {name: bigger-cdu, replace: {CDU-ROW-1MW: CDU-ROW-2MW}}
    faults: [1, 2]                                 # fault depth: every single fault; every pair in a rack
    batch: 8                                       # cases per task

Every combination of design x generation x operating point x substitution x fault depth x site point is one
case; a case is one ``analyze`` and one ``validate`` of the design with those values put in.
"""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from rackforge.model.schema.common import Model

#: site variables a sweep or an envelope may vary: name -> (dimension, SI unit of its column)
SITE_VARIABLES: dict[str, tuple[str, str]] = {
    "air_inlet_temperature": ("temperature", "k"),
    "facility_water_supply_temperature": ("temperature", "k"),
    "altitude": ("length", "m"),
    "room_air_capacity_per_rack": ("power", "w"),
    "air_temperature_rise": ("temperature_difference", "k"),
    "floor_load_rating": ("mass_per_area", "kg_m2"),
}
_SI_TEXT = {"temperature": "K", "length": "m", "power": "W", "temperature_difference": "K",
            "mass_per_area": "kg/m**2"}


class Range(Model):
    """Evenly spaced values from ``from`` to ``to`` (both included), ``steps`` of them (a grid axis), or the
    bounds of a uniform random draw when the SPEC has ``sample``."""

    from_: str = Field(alias="from", description="First value, with its unit (\"20 degC\").")
    to: str = Field(description="Last value, with its unit.")
    steps: int = Field(default=5, ge=1, le=10000)


Axis = Union[Annotated[list[str], Field(min_length=1)], Range]


class SiteAxes(Model):
    air_inlet_temperature: Axis | None = None
    facility_water_supply_temperature: Axis | None = None
    altitude: Axis | None = None
    room_air_capacity_per_rack: Axis | None = None
    air_temperature_rise: Axis | None = None
    floor_load_rating: Axis | None = None


class Sample(Model):
    count: int = Field(ge=1, le=1_000_000, description="Random site points (uniform in each range; lists are "
                                                       "drawn from with equal weight).")
    seed: int = Field(default=0, description="Random seed: the same SPEC gives the same cases.")


class Substitution(Model):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.+-]+$")
    replace: dict[str, str] = Field(default_factory=dict, description="Part number -> part number, replaced "
                                                                       "everywhere the design names it.")


class SweepSpec(Model):
    rackforge_sweep: Literal[1] = Field(alias="rackforge-sweep", description="Sweep format version.")
    name: str = Field(min_length=1)
    description: str | None = None
    designs: list[str] = Field(min_length=1, description="Design files, relative to the SPEC's folder.")
    generations: list[str] = Field(default_factory=list, description="Check each design against each of "
                                   "these; empty: the generation each design declares.")
    operating_points: list[Literal["idle", "typical", "max", "peak"]] = Field(default_factory=list)
    site: SiteAxes = Field(default_factory=SiteAxes)
    sample: Sample | None = None
    substitutions: list[Substitution] = Field(default_factory=list)
    faults: list[Literal[1, 2]] = Field(default_factory=list, description="Fault depths: 1 every single fault, "
                                        "2 also every pair within a rack; empty: the generation's.")
    catalogs: list[str] = Field(default_factory=list, description="Extra catalog files, relative to the SPEC.")
    select: list[Annotated[str, Field(pattern=r"^RF\d{0,3}$")]] = Field(default_factory=list)
    ignore: list[Annotated[str, Field(pattern=r"^RF\d{0,3}$")]] = Field(default_factory=list)
    batch: int = Field(default=8, ge=1, le=10000, description="Cases per task (amortises each worker's "
                                                               "solver load).")

    @model_validator(mode="after")
    def _unique_substitutions(self):
        names = [s.name for s in self.substitutions]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"substitution names must be unique: {', '.join(dup)} repeated")
        return self


def si_text(value: float, dim: str) -> str:
    """A quantity string the design schema reads back to ``value`` (SI)."""
    return f"{value!r} {_SI_TEXT[dim]}"
