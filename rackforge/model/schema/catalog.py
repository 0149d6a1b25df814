"""The parts catalog: one model per part kind, discriminated by ``kind``.

Every figure is a quantity with its unit. Every part names a ``source`` (a public document, datasheet or spec,
or the word ``estimate``) and may cite a source per field in ``sources``.
"""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from rackforge.model.schema.common import (
    Country, Current, Data, DataRate, Energy, Flow, Fraction, Id, Length, Mass, Model, Money, PartNumber,
    PosCurrent, PosDataRate, PosFlow, PosLength, PosPower, PosVoltage, Power, Pressure, Resistance,
    ResistancePerLength, Temperature, TempDiff, ThermalResistance, Time, Voltage,
)

FrameStandard = Literal["eia19", "ocp21", "orw"]
Face = Literal["front", "rear"]
PortRole = Literal["scale_up", "scale_out", "front_end", "management", "storage"]
Coolant = Literal["water", "pg25", "pg30", "eg25"]
AirDirection = Literal["front_to_back", "back_to_front", "none"]


class PartBase(Model):
    pn: PartNumber = Field(description="Part number, unique across all loaded catalogs.")
    name: str
    manufacturer: str | None = None
    description: str | None = None
    source: str = Field(min_length=3, description="Public document, datasheet or spec the figures come from, "
                        "or 'estimate'.")
    sources: dict[str, str] = Field(default_factory=dict, description="Per-field citations, keyed by field name.")
    mass: Mass | None = None
    cost: Money | None = Field(default=None, description="Unit cost, e.g. '12000 USD'.")
    origin: Country | None = Field(default=None, description="Country of origin, ISO 3166-1 alpha-2.")
    suppliers: list[str] = Field(default_factory=list)
    lead_time: Time | None = None
    notes: str | None = None


class Mountable(PartBase):
    height: Length = Field(description="Height in the rack, e.g. '1 RU', '1 OU', '0 RU' for side-mounted.")
    standard: FrameStandard | Literal["any"] = Field(
        default="any", description="Frame width the part needs: eia19 (19\" EIA-310), ocp21 (21\" Open Rack), "
        "orw (Open Rack Wide), or any.")
    depth: Length | None = None


class PowerDraw(Model):
    idle: Power
    typical: Power
    max: Power
    peak_factor: float = Field(default=1.0, ge=1.0, le=3.0, description="Transient peak over max, e.g. 1.2.")

    @model_validator(mode="after")
    def _ordered(self) -> "PowerDraw":
        if not (float(self.idle) <= float(self.typical) <= float(self.max)):
            raise ValueError("power must satisfy idle <= typical <= max")
        return self


class PowerInput(Model):
    type: Literal["ac", "dc"]
    voltage_min: PosVoltage
    voltage_max: PosVoltage
    phases: Literal[1, 3] | None = Field(default=None, description="AC only: 1 (single-phase) or 3.")

    @model_validator(mode="after")
    def _range(self) -> "PowerInput":
        if float(self.voltage_min) > float(self.voltage_max):
            raise ValueError("voltage_min is above voltage_max")
        return self


class PortGroup(Model):
    name: Id = Field(description="Port names are NAME0..NAME{count-1}.")
    role: PortRole
    form_factor: str = Field(description="Connector/cage: OSFP, QSFP112, QSFP-DD, RJ45, SFP28, NVLINK-BP, ...")
    speed: PosDataRate = Field(description="Line rate of one direction: a 400G Ethernet/InfiniBand port is "
                               "'400 Gbit/s'; an NVLink 5 link is '50 GB/s' (NVIDIA quotes 100 GB/s bidirectional).")
    lanes: int = Field(ge=1, le=32)
    count: int = Field(ge=1, le=4096)
    face: Face = "front"
    max_breakout: int = Field(default=1, ge=1, le=8)


class Accelerators(Model):
    model: str
    packages: int = Field(ge=1, description="Accelerator packages (what a buyer counts as GPUs).")
    dies_per_package: int = Field(ge=1, description="Compute dies per package (what some vendors count).")
    memory_per_package: Data
    scale_up_bandwidth_per_package: DataRate = Field(description="Aggregate bidirectional scale-up bandwidth.")
    scale_up_links_per_package: int = Field(ge=0)
    tdp_per_package: Power
    scale_up_switch: Literal["external", "internal"] = Field(
        default="external", description="external: the scale-up links leave the tray through its scale_up ports "
        "to switch trays; internal: they end on switches inside the chassis (DGX/HGX H100 NVSwitch baseboard), "
        "so the tray is one whole domain and needs no scale-up cabling.")


class ColdPlateUse(Model):
    part: PartNumber
    count: int = Field(ge=1)
    heat: Power = Field(description="Heat into the coolant per plate at the max operating point.")
    max_case_temperature: Temperature
    cools: str = Field(default="accelerator", description="What the plate sits on: accelerator, cpu, switch, nic...")


class LiquidInterface(Model):
    cold_plates: list[ColdPlateUse] = Field(min_length=1)
    arrangement: Literal["series", "parallel"] = "parallel"
    quick_disconnect: PartNumber
    hose: PartNumber | None = None
    min_flow: PosFlow = Field(description="Flow the tray needs at its max operating point.")
    coolants: list[Coolant] = Field(default_factory=lambda: ["water", "pg25"])


class Airflow(Model):
    direction: AirDirection = "front_to_back"
    max: Flow = Field(description="Airflow the part's own fans move at full speed, e.g. '1200 CFM'.")


class InternalPsus(Model):
    part: PartNumber
    count: int = Field(ge=1)
    required: int = Field(ge=1, description="PSUs needed to carry max power (N of N+M).")


class ItPart(Mountable):
    power: PowerDraw
    input: PowerInput
    ports: list[PortGroup] = Field(default_factory=list)
    liquid: LiquidInterface | None = None
    air: Airflow | None = None
    psus: InternalPsus | None = Field(default=None, description="AC servers: their own PSUs.")


class ComputeTray(ItPart):
    kind: Literal["compute_tray"]
    accelerators: Accelerators | None = None
    cpus: int = Field(default=0, ge=0)


class SwitchPart(ItPart):
    kind: Literal["switch_tray", "switch"]
    asics: int = Field(default=1, ge=0)
    switching_capacity: DataRate | None = None


class PsuSet(Model):
    part: PartNumber
    count: int = Field(ge=0)


class PowerShelf(Mountable):
    kind: Literal["power_shelf"]
    input: PowerInput
    psu_slots: int = Field(ge=0)
    bbu_slots: int = Field(default=0, ge=0)
    psus: PsuSet | None = Field(default=None, description="PSUs it ships with (default fill).")
    bbus: PsuSet | None = None
    output_voltage: PosVoltage
    output_current_max: PosCurrent | None = Field(default=None, description="Output connector/clip rating.")


class EfficiencyPoint(Model):
    load: Fraction
    efficiency: Fraction


class Psu(PartBase):
    kind: Literal["psu"]
    rating: PosPower = Field(description="Continuous output rating.")
    input: PowerInput
    output_voltage: PosVoltage = Field(description="Output set-point at no load.")
    droop: Resistance = Field(description="Output droop for current sharing, in ohm (V per A).")
    current_limit: PosCurrent
    efficiency: list[EfficiencyPoint] = Field(min_length=2)
    power_factor: float = Field(default=0.99, gt=0, le=1)
    holdup_energy: Energy | None = None
    energy_storage: Energy | None = Field(default=None, description="In-PSU storage for load smoothing.")


class Bbu(PartBase):
    kind: Literal["bbu"]
    energy: Energy = Field(description="Usable energy at end of life.")
    power: PosPower = Field(description="Continuous discharge rating.")
    output_voltage: PosVoltage
    height: Length | None = None


class Busbar(PartBase):
    kind: Literal["busbar"]
    rated_current: PosCurrent
    resistance_per_length: ResistancePerLength = Field(description="Loop (feed + return) resistance per metre.")
    length: PosLength
    voltage_nominal: PosVoltage
    cooling: Literal["air", "liquid"] = "air"


class Pdu(Mountable):
    kind: Literal["pdu"]
    input: PowerInput
    input_current: PosCurrent = Field(description="Rated input current per phase.")
    outlets: int = Field(ge=1)
    outlet_current: PosCurrent | None = None


class FlowPoint(Model):
    flow: Flow
    pressure: Pressure


class PumpSet(Model):
    count: int = Field(ge=1)
    required: int = Field(ge=1, description="Pumps needed for rated flow (N of N+1).")
    curve: list[FlowPoint] = Field(min_length=2, description="Head (as pressure) against flow, per pump.")
    power: Power | None = None


class Cdu(Mountable):
    kind: Literal["cdu"]
    placement: Literal["in_rack", "in_row"]
    capacity: PosPower = Field(description="Heat removed at the rated approach and flows.")
    approach: TempDiff = Field(description="Secondary supply minus facility supply at rated capacity.")
    rated_flow: PosFlow
    pumps: PumpSet
    hx_pressure_drop: list[FlowPoint] = Field(min_length=1)
    max_pressure: Pressure
    coolants: list[Coolant]
    facility_supply_min: Temperature | None = None
    facility_supply_max: Temperature | None = None
    heat_exchangers: int = Field(default=1, ge=1, description="Identical heat-exchanger units sharing `capacity`; "
                                 "with more than one, the 'CDU N-1' fault scenario loses one of them.")


class Manifold(Mountable):
    kind: Literal["manifold"]
    inner_diameter: PosLength
    taps: int = Field(ge=1)
    tap_pitch: PosLength
    roughness: Length
    tap_loss_k: float = Field(default=0.5, ge=0, description="Minor-loss coefficient per branch tee.")
    max_pressure: Pressure


class ColdPlate(PartBase):
    kind: Literal["cold_plate"]
    thermal_resistance: ThermalResistance = Field(description="Case-to-coolant inlet at nominal flow.")
    nominal_flow: PosFlow
    min_flow: PosFlow
    pressure_drop: list[FlowPoint] = Field(min_length=1)
    max_pressure: Pressure
    coolants: list[Coolant] = Field(default_factory=lambda: ["water", "pg25"])


class QuickDisconnect(PartBase):
    kind: Literal["quick_disconnect"]
    size: str
    cv: float = Field(gt=0, description="Flow coefficient of the mated pair, US units (gpm/psi^0.5).")
    max_pressure: Pressure
    max_temperature: Temperature | None = None


class Hose(PartBase):
    kind: Literal["hose"]
    inner_diameter: PosLength
    length: PosLength
    roughness: Length
    minor_loss_k: float = Field(default=1.0, ge=0)
    max_pressure: Pressure


class Fan(Mountable):
    kind: Literal["fan"]
    airflow: PosFlow
    static_pressure: Pressure
    power: Power


class Rdhx(Mountable):
    kind: Literal["rdhx"]
    capacity: PosPower
    airflow: PosFlow
    water_flow: PosFlow
    water_pressure_drop: Pressure
    max_pressure: Pressure


class Cable(PartBase):
    kind: Literal["cable"]
    media: Literal["dac", "acc", "aec", "aoc", "fiber_sm", "fiber_mm", "copper_utp", "backplane"]
    form_factor: str
    speed: PosDataRate
    lanes: int = Field(ge=1, le=32)
    length: PosLength
    max_reach: PosLength = Field(description="Maximum reach of the media at this speed.")
    power_per_end: Power | None = None
    breakout: int = Field(default=1, ge=1, le=8, description="1 for straight; N for a 1-to-N splitter.")


class Transceiver(PartBase):
    kind: Literal["transceiver"]
    form_factor: str
    speed: PosDataRate
    lanes: int = Field(ge=1, le=32)
    fiber: Literal["sm", "mm"]
    standard: str = Field(description="e.g. 2xSR4, DR8, 2xFR4.")
    reach: PosLength
    power: Power


class RackFrame(PartBase):
    kind: Literal["rack_frame"]
    standard: FrameStandard
    slot: PosLength = Field(description="Slot pitch: '1 RU' (44.45 mm) or '1 OU' (48 mm).")
    slots: int = Field(ge=1, le=100)
    width: PosLength
    depth: PosLength
    height: PosLength
    max_payload: Mass = Field(description="Static payload rating (equipment, excluding the frame).")
    max_equipment_depth: Length | None = None


class BlankingPanel(Mountable):
    kind: Literal["blanking_panel"]


Part = Annotated[
    Union[
        ComputeTray, SwitchPart, PowerShelf, Psu, Bbu, Busbar, Pdu, Cdu, Manifold, ColdPlate,
        QuickDisconnect, Hose, Fan, Rdhx, Cable, Transceiver, RackFrame, BlankingPanel,
    ],
    Field(discriminator="kind"),
]

KINDS = sorted({
    "compute_tray", "switch_tray", "switch", "power_shelf", "psu", "bbu", "busbar", "pdu", "cdu", "manifold",
    "cold_plate", "quick_disconnect", "hose", "fan", "rdhx", "cable", "transceiver", "rack_frame",
    "blanking_panel",
})
MOUNTABLE_KINDS = {"compute_tray", "switch_tray", "switch", "power_shelf", "pdu", "cdu", "manifold", "fan",
                   "rdhx", "blanking_panel"}


class CatalogFile(Model):
    """A catalog file: parts, and optionally generation profiles."""

    catalog: str = Field(description="Catalog name, e.g. 'rackforge-default' or a vendor's.")
    version: str | None = None
    parts: list[Part] = Field(default_factory=list)


def _bound_part_counts() -> None:
    """Every catalog model (not the file itself) holds at most PLAUSIBLE_PART_COUNT of anything (RF008)."""
    from rackforge.model.schema.common import PLAUSIBLE_PART_COUNT

    for obj in list(globals().values()):
        if isinstance(obj, type) and issubclass(obj, Model) and obj.__module__ == __name__ and obj is not CatalogFile:
            obj.plausible_count = PLAUSIBLE_PART_COUNT
            obj.plausible_reason = "no catalog part holds more ports, plates, PSUs, slots or entries"
    for obj in (PsuSet, InternalPsus):   # a node and a fault scenario per PSU in the power model
        obj.plausible_count = 64
        obj.plausible_reason = "no power shelf or server holds more PSUs or BBUs"


_bound_part_counts()
