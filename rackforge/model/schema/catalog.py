"""The parts catalog: one model per part kind, discriminated by ``kind``.

Every figure is a quantity with its unit. Every part names a ``source`` (a public document, datasheet or spec,
or the word ``estimate``) and may cite a source per field in ``sources``.
"""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from rackforge.model.schema.common import (
    Country, Current, Data, DataRate, Energy, Flow, Fraction, Frequency, Id, Length, Mass, Model, Money,
    PartNumber,
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


class OperatingEnvelope(Model):
    """The part's own operating environment as its vendor publishes it (cite it under ``sources.environment``)."""

    inlet_min: Temperature | None = Field(default=None, description="Lowest inlet air dry bulb it runs at.")
    inlet_max: Temperature | None = Field(default=None, description="Highest inlet air dry bulb it runs at (at or "
                                          "below `derate_above`).")
    humidity_min: Fraction | None = Field(default=None, description="Lowest relative humidity, non-condensing (0..1).")
    humidity_max: Fraction | None = Field(default=None, description="Highest relative humidity, non-condensing (0..1).")
    altitude_max: Length | None = Field(default=None, description="Highest site altitude it runs at.")
    derate_above: Length | None = Field(default=None, description="Altitude above which `inlet_max` is derated "
                                        "(ASHRAE form: 900 m).")
    derate_per: PosLength | None = Field(default=None, description="Altitude per 1 K of `inlet_max` derating above "
                                         "`derate_above`, e.g. '300 m' (ASHRAE A1/A2: 1 degC per 300 m).")

    @model_validator(mode="after")
    def _ordered(self) -> "OperatingEnvelope":
        if self.inlet_min is not None and self.inlet_max is not None and float(self.inlet_min) > float(self.inlet_max):
            raise ValueError("inlet_min is above inlet_max")
        if (self.humidity_min is not None and self.humidity_max is not None
                and float(self.humidity_min) > float(self.humidity_max)):
            raise ValueError("humidity_min is above humidity_max")
        if (self.derate_above is None) != (self.derate_per is None):
            raise ValueError("derate_above and derate_per go together")
        return self


class CageGroup(Model):
    form_factor: str = Field(description="Cage type as the ports name it: OSFP, QSFP112, RJ45, ...")
    count: int = Field(ge=0, description="Cages of this type on the part.")
    lanes: int = Field(ge=1, le=32, description="Electrical lanes per cage (OSFP 8, QSFP112 4, RJ45 1).")


class Bays(Model):
    """Physical bays and slots the chassis has, where the vendor publishes them (cite under ``sources.bays``).

    ``None`` means not published; the checks then say nothing."""

    psu: int | None = Field(default=None, ge=0, description="PSU bays.")
    fan: int | None = Field(default=None, ge=0, description="Fan module slots.")
    drive: int | None = Field(default=None, ge=0, description="Drive bays (U.2/E1.S/M.2 data drives).")
    cages: list[CageGroup] = Field(default_factory=list, description="Network cages (NIC/OSFP): the part's port "
                                   "groups of a form factor must fit in its cages' lanes.")


class Mountable(PartBase):
    height: Length = Field(description="Height in the rack, e.g. '1 RU', '1 OU', '0 RU' for side-mounted.")
    standard: FrameStandard | Literal["any"] = Field(
        default="any", description="Frame width the part needs: eia19 (19\" EIA-310), ocp21 (21\" Open Rack), "
        "orw (Open Rack Wide), or any.")
    depth: Length | None = None
    environment: OperatingEnvelope | None = Field(default=None, description="The part's own operating envelope "
                                                  "(inlet air, humidity, altitude), checked against the site.")


PowerBasis = Literal["ac_input", "dc_output", "chip_tdp"]


class PowerDraw(Model):
    """A part's power figures at its operating points, and what they measure (``basis``).

    ``basis`` says where in the power chain the vendor's figure sits, so that no conversion loss is counted
    twice (rackforge.lowering.power turns every figure into the DC load its PSUs or the busbar carry):

    * ``ac_input``: AC power at the part's input (the wall or PDU outlet), PSU losses included, as a server
      vendor publishes it ("10.2 kW max, 200-240 V AC" for a DGX H100). The DC load its PSUs carry is
      ``P_dc = P_ac x eta(P_dc / installed rating)``, solved on the PSUs' efficiency curve, so the modelled
      input equals the figure with all PSUs installed.
    * ``dc_output``: DC power the part takes from the PSU outputs, the busbar tap of an ORv3/MGX tray or the
      internal bus of a server; PSU losses come on top.
    * ``chip_tdp``: a sum of chip TDPs (GPUs, CPUs, switches) with no board, fan or conversion losses; modelled
      as a DC load like ``dc_output``, and it understates the part's power (rule RF215 warns).

    Default when omitted: ``ac_input`` for a part with an AC input, ``dc_output`` for a part with a DC input
    (what datasheets of AC servers and of busbar trays state).
    """

    idle: Power
    typical: Power
    max: Power
    peak_factor: float = Field(default=1.0, ge=1.0, le=3.0, description="Transient peak over max, e.g. 1.2.")
    basis: PowerBasis | None = Field(
        default=None, description="What the figures measure: ac_input (AC input at the wall, PSU losses "
        "included), dc_output (DC power taken from the PSU outputs / busbar), chip_tdp (sum of chip TDPs only). "
        "Default: ac_input for an AC-input part, dc_output for a DC-input part.")

    @model_validator(mode="after")
    def _ordered(self) -> "PowerDraw":
        if not (float(self.idle) <= float(self.typical) <= float(self.max)):
            raise ValueError("power must satisfy idle <= typical <= max")
        return self


class PowerInput(Model):
    """A part's power input: type, voltage range, and how it connects to a three-phase feed.

    The voltage range is the voltage across the part's input: for a single-phase AC input the voltage between
    the two conductors it is connected to (line-to-neutral or line-to-line); for a three-phase input always
    line-to-line (``346-480 V`` for an ORv3 shelf, which takes 200-277 V line-to-neutral on each PSU when it
    is connected in wye); for DC pole-to-pole.
    """

    type: Literal["ac", "dc"]
    voltage_min: PosVoltage
    voltage_max: PosVoltage
    phases: Literal[1, 3] | None = Field(default=None, description="AC only: 1 (single-phase) or 3.")
    connection: Literal["line_to_neutral", "line_to_line", "wye", "delta"] | None = Field(
        default=None, description="AC only. Single-phase: line_to_neutral or line_to_line; omitted, it connects "
        "line-to-neutral when that voltage is in range, else line-to-line. Three-phase: wye (needs the neutral: "
        "each internal PSU between a line and neutral) or delta (three wires, line-to-line); omitted, delta.")
    frequency_min: Frequency | None = Field(default=None, description="AC only: lowest input frequency, e.g. "
                                            "'47 Hz'. Omitted: not checked.")
    frequency_max: Frequency | None = Field(default=None, description="AC only: highest input frequency, e.g. "
                                            "'63 Hz'. Omitted: not checked.")

    @model_validator(mode="after")
    def _range(self) -> "PowerInput":
        if float(self.voltage_min) > float(self.voltage_max):
            raise ValueError("voltage_min is above voltage_max")
        if self.type == "dc" and (self.phases is not None or self.connection is not None
                                  or self.frequency_min is not None or self.frequency_max is not None):
            raise ValueError("a DC input has no phases, connection or frequency")
        if self.connection in ("wye", "delta") and self.phases != 3:
            raise ValueError(f"connection {self.connection!r} is for a three-phase input (phases: 3)")
        if self.connection in ("line_to_neutral", "line_to_line") and self.phases == 3:
            raise ValueError(f"connection {self.connection!r} is for a single-phase input (phases: 1)")
        if (self.frequency_min is not None and self.frequency_max is not None
                and float(self.frequency_min) > float(self.frequency_max)):
            raise ValueError("frequency_min is above frequency_max")
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
    per_cage: int = Field(default=1, ge=1, le=8, description="Logical ports per physical cage: 2 when the group "
                          "is the 2 x 400G halves of twin-port OSFP cages (ports 2k and 2k+1 share cage k).")


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
    supply_temperature_min: Temperature | None = Field(default=None, description="Lowest coolant supply "
                                                       "temperature the tray is rated for (vendor figure).")
    supply_temperature_max: Temperature | None = Field(default=None, description="Highest coolant supply "
                                                       "temperature the tray is rated for (vendor figure).")
    max_pressure: Pressure | None = Field(default=None, description="Highest coolant gauge pressure at the tray's "
                                          "inlet it is rated for (vendor figure).")


class Airflow(Model):
    """The part's own fans. The air side uses ``rated`` (the vendor's published airflow at its stated duty) when it
    is given, else ``max``; it does not scale one into the other."""

    direction: AirDirection = "front_to_back"
    max: Flow | None = Field(default=None, description="Airflow the part's own fans move at full speed, e.g. "
                             "'1200 CFM'.")
    rated: PosFlow | None = Field(default=None, description="Published airflow at the stated fan duty "
                                  "(`rated_duty`), e.g. '1100 CFM' at 80 % PWM: what the air side uses.")
    rated_duty: Fraction | None = Field(default=None, description="Fan duty (PWM, 0..1) the `rated` airflow is "
                                        "published at.")
    fans: int | None = Field(default=None, ge=0, description="Fan modules installed (checked against bays.fan).")

    @model_validator(mode="after")
    def _one(self) -> "Airflow":
        if self.max is None and self.rated is None:
            raise ValueError("give the fans' airflow: max (full speed) or rated (at rated_duty)")
        if self.rated_duty is not None and self.rated is None:
            raise ValueError("rated_duty needs rated")
        if self.rated_duty is not None and float(self.rated_duty) <= 0:
            raise ValueError("rated_duty must be above 0")
        return self

    @property
    def capacity(self) -> float:
        """Airflow the air side uses [m^3/s]: ``rated`` when given, else ``max``."""
        return float(self.rated) if self.rated is not None else float(self.max)


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
    bays: Bays | None = Field(default=None, description="PSU bays, fan slots, drive bays and network cages of the "
                              "chassis, where published.")

    @property
    def power_basis(self) -> str:
        """``power.basis``, or its default: ac_input for an AC input, dc_output for a DC input."""
        if self.power.basis is not None:
            return self.power.basis
        return "ac_input" if self.input.type == "ac" else "dc_output"


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
    no_load_loss: Power | None = Field(
        default=None, description="Input power drawn at zero output while in service (fans, controller, PFC "
        "stage), e.g. '25 W'. Below the efficiency curve's first point the loss runs linearly from it to the "
        "curve (rackforge.solvers.power_ref.psu_input_power). Omitted: the first point's efficiency holds down "
        "to zero load (no idle loss).")
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
    placement: Literal["in_rack", "in_row", "facility"] = Field(description="in_rack, in_row (beside a row), "
                                                                 "or facility (in a plant room, serving rows)")
    capacity: PosPower = Field(description="Heat removed at the rated approach and flows.")
    approach: TempDiff = Field(description="Secondary supply minus facility supply at rated capacity.")
    rated_flow: PosFlow
    pumps: PumpSet
    hx_pressure_drop: list[FlowPoint] = Field(min_length=1)
    hx_pressure_drop_coolant: Coolant = Field(default="water", description="Coolant the heat exchanger's "
                                              "pressure-drop points were measured with.")
    hx_pressure_drop_temperature: Temperature = Field(default="25 degC", validate_default=True, description="Coolant temperature of "
                                                      "those points.")
    max_pressure: Pressure
    coolants: list[Coolant]
    facility_supply_min: Temperature | None = None
    facility_supply_max: Temperature | None = None
    heat_exchangers: int = Field(default=1, ge=1, description="Identical heat-exchanger units sharing `capacity`; "
                                 "with more than one, the 'CDU N-1' fault scenario loses one of them.")


# ---- facility power chain and heat rejection (the hall level: rackforge/model/schema/facility.py) ----------------
class Transformer(PartBase):
    kind: Literal["transformer"]
    rating: PosPower = Field(description="Rated apparent power (kVA).")
    primary_voltage: PosVoltage
    secondary_voltage: PosVoltage = Field(description="Line-to-line secondary voltage.")
    no_load_loss: Power = Field(description="No-load (core) losses P0 at rated voltage (IEC 60076-1).")
    load_loss: Power = Field(description="Load (winding) losses Pk at rated current (IEC 60076-1).")
    type: Literal["liquid", "dry"] = "liquid"


class Switchgear(PartBase):
    kind: Literal["switchgear"]
    rated_current: PosCurrent = Field(description="Main bus rated current.")
    voltage: PosVoltage
    efficiency: Fraction = Field(default=1.0, description="Through efficiency (bus and breaker losses).")


class Ups(PartBase):
    kind: Literal["ups"]
    rating: PosPower = Field(description="Rated output active power of the system with all its modules.")
    voltage: PosVoltage
    modules: int = Field(default=1, ge=1, description="Power modules installed by default.")
    module_rating: PosPower | None = Field(default=None, description="Output rating of one module (default "
                                           "rating / modules).")
    efficiency: list[EfficiencyPoint] = Field(min_length=2, description="Double-conversion efficiency against "
                                              "load fraction (IEC 62040-3 test points 25/50/75/100 %).")
    battery_runtime: Time | None = Field(default=None, description="Runtime at full rated load of the default "
                                         "battery.")


class Sts(PartBase):
    kind: Literal["sts"]
    rated_current: PosCurrent
    voltage: PosVoltage
    efficiency: Fraction = 1.0


class Rpp(PartBase):
    kind: Literal["rpp"]
    rated_current: PosCurrent
    voltage: PosVoltage
    efficiency: Fraction = 1.0


class Busway(PartBase):
    kind: Literal["busway"]
    rated_current: PosCurrent
    voltage: PosVoltage
    resistance_per_length: ResistancePerLength = Field(description="Phase conductor resistance per metre at "
                                                       "operating temperature.")
    cost_per_length: Money | None = Field(default=None, description="Cost per metre (the BOM counts metres).")
    mass_per_length: Mass | None = Field(default=None, description="Mass per metre.")


class TapOff(PartBase):
    kind: Literal["tap_off"]
    rated_current: PosCurrent = Field(description="Largest breaker / rated current of the tap-off box.")
    voltage: PosVoltage


class HeatRejectionUnit(PartBase):
    kind: Literal["heat_rejection"]
    type: Literal["dry_cooler", "chiller", "cooling_tower", "adiabatic_cooler"]
    capacity: PosPower = Field(description="Heat rejected at the rated facility supply temperature.")
    rated_supply_temperature: Temperature = Field(description="Facility water supply temperature of the rating.")
    power: Power = Field(description="Electrical input (fans, compressors) at rated capacity.")


class Manifold(Mountable):
    kind: Literal["manifold"]
    inner_diameter: PosLength
    taps: int = Field(ge=1)
    tap_pitch: PosLength
    roughness: Length
    tee_loss: Literal["crane", "fixed"] = Field(
        default="crane", description="crane: the header tees lose pressure by flow ratio (Crane TP-410 90-degree "
        "tee correlations, on the header and the branch connection bore); fixed: the manifold's own "
        "coefficients, `tap_loss_k` per branch tee on the branch velocity and `run_loss_k` per tee run on the "
        "header velocity (from its datasheet).")
    tap_loss_k: float = Field(default=0.5, ge=0, description="With tee_loss 'fixed': minor-loss coefficient per "
                              "branch tee, on the branch velocity.")
    run_loss_k: float = Field(default=0.0, ge=0, description="With tee_loss 'fixed': minor-loss coefficient per "
                              "tee run, on the header velocity.")
    tap_diameter: PosLength | None = Field(default=None, description="Bore of the branch connection at a tap "
                                           "(the tee's branch); default the tray hose's inner diameter.")
    max_pressure: Pressure


class ColdPlate(PartBase):
    kind: Literal["cold_plate"]
    thermal_resistance: ThermalResistance = Field(description="Case-to-coolant inlet at nominal flow.")
    nominal_flow: PosFlow
    min_flow: PosFlow
    pressure_drop: list[FlowPoint] = Field(min_length=1)
    pressure_drop_coolant: Coolant = Field(default="water", description="Coolant the pressure-drop points were "
                                           "measured with; the loop corrects them to its own coolant.")
    pressure_drop_temperature: Temperature = Field(default="25 degC", validate_default=True, description="Coolant temperature of the "
                                                   "pressure-drop points.")
    laminar_fraction: Fraction | None = Field(
        default=None, description="Share of the pressure drop at the (first) point that is viscous, i.e. "
        "proportional to flow (laminar micro-channels are mostly viscous); with a single point, splits it into "
        "a linear and a quadratic term. Default: a single point is taken as wholly quadratic.")
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
    channels: int = Field(default=1, ge=1, le=8, description="Ports one module serves: 2 for a twin-port OSFP "
                          "(a 2x400G module is one part on two 400G ports); its speed is the sum.")


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
        Transformer, Switchgear, Ups, Sts, Rpp, Busway, TapOff, HeatRejectionUnit,
    ],
    Field(discriminator="kind"),
]

KINDS = sorted({
    "compute_tray", "switch_tray", "switch", "power_shelf", "psu", "bbu", "busbar", "pdu", "cdu", "manifold",
    "cold_plate", "quick_disconnect", "hose", "fan", "rdhx", "cable", "transceiver", "rack_frame",
    "blanking_panel", "transformer", "switchgear", "ups", "sts", "rpp", "busway", "tap_off", "heat_rejection",
})
FACILITY_KINDS = {"transformer", "switchgear", "ups", "sts", "rpp", "busway", "tap_off", "heat_rejection"}
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
