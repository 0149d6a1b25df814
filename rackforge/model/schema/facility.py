"""The hall level of a design: the facility power chain and the facility water, under ``facility:``.

``facility`` is optional; a design without it is checked rack by rack as before. Its sub-keys:

* ``power`` (:class:`FacilityPower`): sources (utility MV feeds, generators), the chain of elements below them
  (transformers, switchgear, UPS, static transfer switches, RPPs) and the ``distribution`` that maps every rack
  feed onto a busway run (with one tap-off box per rack feed) of the chain.
* ``water`` (:class:`FacilityWater`): the CDUs and row headers of each secondary (TCS) loop, the facility supply
  temperature and the heat rejection plant.
* the hall scale-out fabric is the design's own ``hall_fabric`` section (rackforge/model/schema/hall_fabric.py).

**How a rack feed maps onto the chain.** A ``distribution`` entry names rows and a rack feed id (``feed: A``,
the ``id`` of a feed in the racks' ``power.feeds``). Each named row's racks, in row order (``index``), are cut
into busway runs of ``racks_per_busway`` racks; run ``j`` across the listed rows (counted over the rows in the
order given) hangs from ``from[j % len(from)]``. Every rack feed ``A`` of a rack in such a row then draws from
one tap-off box (``tap_off`` part) on that run. The racks' own ``feeds[].source`` keeps its meaning for the
rack power model (feeds with one source fail together); the facility model follows ``distribution``.

**Compact repetition.** An element, a distribution entry or a water loop may carry ``repeat: {k: [1, 22]}``
(inclusive integer ranges; several names give their product): it stands for one copy per value, its string
fields formatted with Python ``str.format`` (``"UPS{k:02d}-{j}"``).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from rackforge.model.schema.common import (
    Fraction, Id, Length, Model, PartNumber, PosCurrent, PosLength, PosPower, PosVoltage, Q, Temperature, Time,
)
from rackforge.model.schema.catalog import Coolant

Velocity = Q("velocity", gt=0)
#: a hall's water pipes, 5 mm to 3 m: above DN3000 (the largest district-cooling mains) or below 5 mm the value is a
#: typo; a km-wide pipe has no friction left for the solver to balance, a 0.1 mm main no flow (fuzz mutants)
PipeDiameter = Q("length", ge=0.005, le=3.0)
#: rack connection hoses, 1 mm to 0.5 m inner diameter
HoseDiameter = Q("length", ge=0.001, le=0.5)
WaterClass = Literal["W17", "W27", "W32", "W40", "W45", "W+"]

_REPEAT_DOC = ("Copies of this entry, one per value of each name (inclusive ranges, their product when several): "
               "{k: [1, 22]}; string fields are formatted with them ('UPS{k:02d}').")


def _check_repeat(v: dict[str, list[int]] | None) -> dict[str, list[int]] | None:
    if v is None:
        return v
    for name, rng in v.items():
        if not name.isidentifier():
            raise ValueError(f"repeat name {name!r} is not an identifier")
        if len(rng) != 2 or rng[0] > rng[1]:
            raise ValueError(f"repeat {name}: give [first, last] with first <= last")
        if rng[1] - rng[0] > 100000:
            raise ValueError(f"repeat {name}: more than 100,000 copies")
    return v


class Source(Model):
    id: str = Field(min_length=1, max_length=128)
    kind: Literal["utility", "generator"] = Field(default="utility", description="utility: a medium-voltage "
                                                  "utility feed; generator: a standby generator (set).")
    voltage: PosVoltage = Field(description="Nominal line-to-line voltage.")
    capacity: PosPower = Field(description="Apparent power the source can deliver (kVA / MVA).")
    repeat: dict[str, list[int]] | None = Field(default=None, description=_REPEAT_DOC)

    _rep = field_validator("repeat")(_check_repeat)


class Element(Model):
    """One piece of equipment of the chain: a transformer, switchgear lineup, UPS system, STS or RPP."""

    id: str = Field(min_length=1, max_length=128, description="Unique among sources and elements.")
    part: PartNumber = Field(description="Catalog part: kind transformer, switchgear, ups, sts or rpp.")
    from_: list[str] = Field(alias="from", min_length=1, description="Upstream source(s) or element(s). One: "
                             "fed from it. Several: a transfer (STS, ATS, main-tie-main) that takes the first "
                             "one alive, in order.")
    modules: int | None = Field(default=None, ge=1, description="UPS: power modules installed (default: the "
                                "part's).")
    battery_runtime: Time | None = Field(default=None, description="UPS: battery runtime at the UPS's full rated "
                                         "load (what vendors quote), e.g. '5 min'.")
    breaker: PosCurrent | None = Field(default=None, description="Rating of the breaker feeding this element "
                                       "(on the upstream board), default: the part's rated current.")
    breaker_type: Literal["electronic", "thermal_magnetic"] = Field(
        default="electronic", description="electronic (LSI trip unit: selectivity by time settings) or "
        "thermal_magnetic (selectivity only by current ratio).")
    derating: Fraction = Field(default=0.8, description="Continuous-load factor of the breaker: 0.8 for a "
                               "standard breaker (NEC 215.3), 1.0 for a 100 %-rated one.")
    repeat: dict[str, list[int]] | None = Field(default=None, description=_REPEAT_DOC)

    _rep = field_validator("repeat")(_check_repeat)


class Distribution(Model):
    """Rack feeds of some rows onto busway runs of the chain (see the module docstring)."""

    rows: list[str] = Field(min_length=1, description="Row ids (the design's rows, or racks' position.row).")
    feed: Id = Field(description="The rack feed id (in the racks' power.feeds) this entry maps.")
    from_: list[str] = Field(alias="from", min_length=1, description="Element each busway run hangs from: run j "
                             "(over the listed rows, in order) from from[j % len(from)].")
    busway: PartNumber = Field(description="Busway part (kind busway).")
    tap_off: PartNumber = Field(description="Tap-off box part (kind tap_off), one per rack feed.")
    racks_per_busway: int = Field(ge=1, le=1000)
    lead_in: Length | None = Field(default=None, description="Busway length from its feeder to the first rack "
                                   "(default 5 m).")
    breaker: PosCurrent | None = Field(default=None, description="Feeder breaker of each run (default: the busway's "
                                       "rated current).")
    breaker_type: Literal["electronic", "thermal_magnetic"] = "electronic"
    derating: Fraction = 0.8
    repeat: dict[str, list[int]] | None = Field(default=None, description=_REPEAT_DOC)

    _rep = field_validator("repeat")(_check_repeat)


class FacilityPower(Model):
    topology: Literal["2N", "distributed_redundant", "block_redundant", "N"] = Field(
        description="Declared redundancy: 2N (two independent UPS systems, each rack on both), distributed "
        "redundant (k UPS systems, each rack on two of them, k-to-make-(k-1)), block redundant (a reserve UPS "
        "reached by transfer switches), N (none).")
    power_factor: Fraction = Field(default=0.99, description="Power factor of the load (ORv3-class PSUs: 0.99).")
    sources: list[Source] = Field(min_length=1)
    elements: list[Element] = Field(default_factory=list)
    distribution: list[Distribution] = Field(min_length=1)
    selectivity_ratio: float = Field(default=1.6, ge=1.0, le=10.0, description="Upstream/downstream breaker rating "
                                     "ratio below which thermal-magnetic breakers are not selective.")
    max_voltage_drop: Fraction = Field(default=0.02, description="Voltage drop allowed along a busway run, as a "
                                       "fraction of nominal.")


class RackConnection(Model):
    diameter: HoseDiameter = Field(description="Inner diameter of the hoses from the row header to the rack "
                                   "(1 mm to 0.5 m).")
    length: PosLength = Field(description="Supply plus return hose length.")
    k: float = Field(default=6.0, ge=0, description="Minor losses of the connection (valves, tees, bends).")


class Pipe(Model):
    diameter: PipeDiameter = Field(description="Inner diameter (5 mm to 3 m).")
    roughness: Length = Field(default="0.045 mm", validate_default=True, description="Absolute roughness (commercial steel 0.045 mm).")


class MainPipe(Pipe):
    length: Length = Field(description="Pipe length from the CDUs to the first row's header.")


class WaterLoop(Model):
    """One secondary (TCS) loop: CDUs in parallel feeding the row headers of some rows."""

    id: str = Field(min_length=1, max_length=128)
    cdu: PartNumber = Field(description="CDU part (kind cdu, placement in_row or facility).")
    cdus: int = Field(ge=1, description="CDUs installed on the loop.")
    redundant: int = Field(default=1, ge=0, description="CDUs that may be lost (N+1: 1).")
    coolant: Coolant
    rows: list[str] = Field(min_length=1)
    header: Pipe = Field(description="Row supply and return headers (along each row, one tap per rack).")
    main: MainPipe = Field(description="Pipe from the CDUs to the rows; between rows it runs the row pitch.")
    rack_connection: RackConnection
    layout: Literal["direct", "reverse"] = Field(default="direct", description="Row headers: direct or reverse "
                                                 "return.")
    repeat: dict[str, list[int]] | None = Field(default=None, description=_REPEAT_DOC)

    _rep = field_validator("repeat")(_check_repeat)


class HeatRejection(Model):
    part: PartNumber = Field(description="Heat rejection unit (kind heat_rejection: dry cooler, chiller, tower).")
    count: int = Field(ge=1)
    redundant: int = Field(default=1, ge=0)


class FacilityWater(Model):
    supply_temperature: Temperature | None = Field(default=None, description="Facility water supply to the CDUs "
                                                   "(default: site.facility_water_supply_temperature).")
    water_class: WaterClass | None = Field(default=None, description="ASHRAE liquid class the plant is built for "
                                           "(default: the generation's cooling.facility_water_class).")
    max_velocity: Velocity = Field(default="3 m/s", validate_default=True, description="Header velocity above which erosion and noise "
                                   "are a concern.")
    loops: list[WaterLoop] = Field(min_length=1)
    heat_rejection: HeatRejection | None = None


class Facility(Model):
    power: FacilityPower | None = None
    water: FacilityWater | None = None
