"""The design file: racks (inline or from templates, in rows), mounts, power, cooling, links and patterns.

A hall of a thousand identical racks stays a short file: declare the rack once under ``templates`` and
instantiate it with ``rows`` (``count`` racks each). Mount ids are unique within a rack; rack ids are unique in
the design. Link endpoints are ``MOUNT:PORT`` within a rack and ``RACK/MOUNT:PORT`` at the design level.
"""
from __future__ import annotations

import datetime as _dt
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from rackforge.model.schema.common import (
    Q, Current, Fraction, Frequency, Id, Length, MassPerArea, Model, PartNumber, PosCurrent, PosLength,
    PosVoltage, Power, TempDiff, Temperature,
)
from rackforge.model.schema.catalog import Coolant, Face
from rackforge.model.schema.hall_fabric import HallFabric
from rackforge.model.schema.facility import Facility

FORMAT_VERSION = 1

Endpoint = Annotated[str, Field(pattern=r"^([A-Za-z0-9][A-Za-z0-9_.\-]*/)?[A-Za-z0-9][A-Za-z0-9_.\-]*:[A-Za-z0-9][A-Za-z0-9_.\-]*$",
                                description="MOUNT:PORT, or RACK/MOUNT:PORT at the design level.")]
Selector = Annotated[str, Field(min_length=1, description="Mount ids, shell-style globs allowed (ct*, sw0?), "
                                "optionally RACK/ prefixed at the design level.")]


class Feed(Model):
    """A facility feed. Common systems: North America 208Y/120 V, 480Y/277 V (60 Hz); 415Y/240 V (60 Hz in
    North-American AI halls, 50 Hz in the UK); Europe 400Y/230 V (50 Hz, IEC 60038); 380 V DC and 800 V DC
    (``type: dc``). Write a three-phase system by its line-to-line voltage (``voltage: 400 V`` for 400/230 V)."""

    id: Id
    type: Literal["ac3", "ac1", "dc"] = Field(description="ac3: three-phase AC (voltage line-to-line); ac1: "
                                              "single-phase (voltage across its two conductors); dc (pole to pole).")
    voltage: PosVoltage
    frequency: Frequency | None = Field(default=None, description="AC: 50 Hz or 60 Hz; checked against the "
                                        "parts' input frequency ranges (RF216). Omitted: not checked.")
    wiring: Literal["wye", "delta"] = Field(default="wye", description="ac3 only: wye (four wires, a neutral: "
                                            "line-to-neutral loads at voltage / sqrt(3)) or delta (three wires, no "
                                            "neutral: every load line-to-line).")

    @model_validator(mode="after")
    def _wiring(self) -> "Feed":
        if self.wiring == "delta" and self.type != "ac3":
            raise ValueError("wiring 'delta' is for a three-phase (ac3) feed")
        if self.type == "dc" and self.frequency is not None:
            raise ValueError("a DC feed has no frequency")
        return self
    breaker: PosCurrent = Field(description="Breaker trip rating per phase (or per pole for DC).")
    derating: Fraction = Field(default=0.8, description="Continuous-load factor, 0.8 per NEC 210.20(A).")
    power_factor: Fraction = 0.99
    source: str | None = Field(default=None, description="Upstream source, e.g. 'UPS-A' (feeds sharing one fail together).")


class SetOverride(Model):
    part: PartNumber
    count: int = Field(ge=0)

    # RF008: the power model has a node per PSU and a fault scenario per PSU; a shelf of 100,000 never finished
    plausible_count: ClassVar[int] = 64
    plausible_reason: ClassVar[str] = "no power shelf or server holds more PSUs or BBUs"


class Mount(Model):
    id: Id
    part: PartNumber
    u: int | None = Field(default=None, ge=1, description="Lowest slot the part occupies, 1 = bottom. None: side/0U mount.")
    face: Face = "front"
    side: Literal["left", "right"] | None = Field(default=None, description="0U mounts: which side.")
    feed: Id | None = Field(default=None, description="Power shelves, PDUs: the feed they are wired to.")
    feeds: list[Id] = Field(default_factory=list, max_length=64, description="AC servers: the PDUs their PSUs "
                            "plug into (at most 64, as a PSU set).")
    phase: Literal["auto", "a", "b", "c", "ab", "bc", "ca"] = "auto"
    busbar: Id | None = Field(default=None, description="Busbar tapped (default: the rack's only busbar).")
    psus: SetOverride | None = None
    bbus: SetOverride | None = None
    loop: Id | None = Field(default=None, description="Liquid loop the mount's cold plates are on (default: the only loop).")


class BusbarUse(Model):
    id: Id
    part: PartNumber


class RackPower(Model):
    feeds: list[Feed] = Field(default_factory=list, max_length=64, description="The rack's input feeds (at most "
                              "64; a rack has two to eight).")
    busbars: list[BusbarUse] = Field(default_factory=list)


class Loop(Model):
    id: Id
    cdu: Id | None = Field(default=None, description="Mount id of an in-rack CDU.")
    cdu_part: PartNumber | None = Field(default=None, description="In-row CDU part serving this loop.")
    cdu_share: Q("dimensionless", gt=0, le=1) = Field(  # 0 left the loop a CDU of no capacity (a division by it)
        default=1.0, description="In-row CDU: the share of its capacity given to this rack (more than 0, at most 1).")
    coolant: Coolant
    manifold: Id | None = Field(default=None, description="Mount id of the rack manifold.")

    @model_validator(mode="after")
    def _one_cdu(self) -> "Loop":
        if (self.cdu is None) == (self.cdu_part is None):
            raise ValueError("a loop names exactly one of cdu (an in-rack CDU mount) or cdu_part (an in-row CDU)")
        return self


class RackCooling(Model):
    loops: list[Loop] = Field(default_factory=list)


class Link(Model):
    a: Endpoint
    b: Endpoint
    cable: PartNumber
    transceivers: list[PartNumber] = Field(default_factory=list, max_length=2,
                                           description="Optical links: the module at end a and at end b.")
    length: PosLength | None = Field(default=None, description="This cable's length when it differs from the "
                                     "catalog part's (a fibre cut to length).")


class _PatternBase(Model):
    cable: PartNumber
    transceivers: list[PartNumber] = Field(default_factory=list, max_length=2)
    length: PosLength | None = Field(default=None, description="Length of every cable the pattern lays, when it "
                                     "differs from the catalog part's.")


class ScaleUpPattern(_PatternBase):
    type: Literal["scale_up"]
    accelerators: Selector
    switches: Selector


class RailPattern(_PatternBase):
    type: Literal["rail"]
    nodes: Selector
    leaves: list[Selector] = Field(min_length=1, description="Leaf i carries rail i: NIC port i of every node.")
    nodes_per_group: int | None = Field(default=None, ge=1, description="Nodes per rail group (scalable unit): "
                                        "when each selector matches G leaves, the nodes are cut into G groups "
                                        "of this many, in order (default: as even as possible).")


class LeafSpinePattern(_PatternBase):
    type: Literal["leaf_spine"]
    leaves: Selector
    spines: Selector
    uplinks_per_leaf: int = Field(ge=1)


class ManagementPattern(_PatternBase):
    type: Literal["management"]
    devices: Selector
    switch: Selector


Pattern = Annotated[Union[ScaleUpPattern, RailPattern, LeafSpinePattern, ManagementPattern],
                    Field(discriminator="type")]


class RackBody(Model):
    generation: Id | None = Field(default=None, description="Generation this rack is checked against (a mixed "
                                  "hall: GB300 rows next to Vera Rubin rows); default: the design's `generation`, "
                                  "which also checks the hall (facility power, facility water, hall fabric). See "
                                  "docs/hall.md.")
    frame: PartNumber
    mounts: list[Mount] = Field(default_factory=list)
    power: RackPower = Field(default_factory=RackPower)
    cooling: RackCooling = Field(default_factory=RackCooling)
    links: list[Link] = Field(default_factory=list)
    patterns: list[Pattern] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _plausible_mounts(cls, data):
        # RF008: a rack's fault model grows as the square of its mounts (every PSU, shelf and PDU lost against
        # every node); 5,000 mounts in one rack never finished. Frames have at most 100 slots.
        if isinstance(data, dict) and isinstance(data.get("mounts"), list) and len(data["mounts"]) > MAX_MOUNTS:
            raise PydanticCustomError("plausibility", "{msg}", {
                "msg": f"'mounts' has {len(data['mounts']):,} entries, which is implausible: a rack holds at most "
                       f"{MAX_MOUNTS} mounts (frames have at most 100 slots; side and 0U mounts included)"})
        return data


#: Most mounts in one rack body (RF008)
MAX_MOUNTS = 256


class Position(Model):
    row: str = "A"
    index: int = Field(default=0, ge=0)


class Rack(Model):
    id: Id
    template: Id | None = None
    body: RackBody | None = Field(default=None, description="The rack itself, when it uses no template.")
    position: Position = Field(default_factory=Position)

    @model_validator(mode="after")
    def _one(self) -> "Rack":
        if (self.template is None) == (self.body is None):
            raise ValueError("a rack has exactly one of template or body")
        return self


class Row(Model):
    id: Id
    template: Id
    count: int = Field(ge=1, le=100000)
    start_index: int = Field(default=0, ge=0)
    rack_id_format: str = Field(default="{row}-{index:03d}", description="Python format with {row} and {index}.")


class Site(Model):
    air_inlet_temperature: Temperature | None = None
    facility_water_supply_temperature: Temperature | None = None
    altitude: Length | None = Field(default=None, description="Site altitude above sea level: derates the "
                                    "allowable inlet temperature above 900 m (ASHRAE) and the air density.")
    air_relative_humidity: Fraction | None = Field(default=None, description="Inlet air relative humidity (0..1), "
                                                   "checked against the parts' own ratings.")
    room_air_capacity_per_rack: Power | None = None
    air_temperature_rise: TempDiff | None = Field(default=None, description="Air temperature rise allowed from "
                                                  "inlet to exhaust, for the airflow a rack needs (default 20 K).")
    floor_load_rating: MassPerArea | None = None
    rack_pitch: PosLength | None = Field(default=None, description="Centre-to-centre rack spacing in a row.")
    row_pitch: PosLength | None = Field(default=None, description="Centre-to-centre row spacing.")
    cable_tray: Literal["overhead", "underfloor"] = "overhead"
    cable_tray_height: Length | None = Field(default=None, description="Height of the cable tray above the floor "
                                             "(underfloor: its depth below it). Default: 300 mm above the tallest "
                                             "frame, or 300 mm below the floor.")
    cable_slack: Length | None = Field(default=None, description="Service slack at each end of a cable between "
                                       "racks (default 0.5 m).")


class Waiver(Model):
    rule: str = Field(pattern=r"^RF\d{1,3}$", description="A rule code or code prefix (RF4 waives all of RF4xx).")
    target: str = Field(min_length=1, description="JSON Pointer into the design (prefix match) or a rack/mount id.")
    reason: str = Field(min_length=3)
    expires: _dt.date | None = None


class Design(Model):
    rackforge: Literal[1] = Field(description="Design format version.")
    name: str
    description: str | None = None
    generation: Id
    operating_point: Literal["idle", "typical", "max", "peak"] | None = Field(
        default=None, description="Load level to check at; default: the generation's (else max).")
    catalogs: list[str] = Field(default_factory=list, description="Extra catalog files, relative to this file.")
    site: Site = Field(default_factory=Site)
    feeds: list[Feed] = Field(default_factory=list, description="Design-level feeds shared by racks.")
    templates: dict[Id, RackBody] = Field(default_factory=dict)
    racks: list[Rack] = Field(default_factory=list)
    rows: list[Row] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    patterns: list[Pattern] = Field(default_factory=list)
    hall_fabric: HallFabric | None = Field(default=None, description="Generated hall scale-out fabric "
                                           "(rail-optimised, by scalable unit).")
    waivers: list[Waiver] = Field(default_factory=list)
    facility: Facility | None = Field(default=None, description="The hall: facility power chain and facility "
                                      "water (the hall's scale-out fabric is `hall_fabric`). See docs/hall.md.")

    @model_validator(mode="after")
    def _has_racks(self) -> "Design":
        if not self.racks and not self.rows:
            raise ValueError("a design needs at least one rack (racks or rows)")
        return self
