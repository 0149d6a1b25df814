"""Generation requirement profiles: what a rack generation must deliver, derived from model needs.

Every field is optional: ``None`` means no requirement. A profile may ``extends`` another; values it sets
override the parent's, field by field. ``sources`` cites where each figure comes from, keyed by the dotted
field path (``power.rack_power_max``).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from rackforge.model.schema.common import (
    Data, DataRate, FlowPerPower, Fraction, Frequency, Id, Length, Mass, Model, PosDataRate, Power, Temperature,
    Time, Voltage,
)

AirClass = Literal["A1", "A2", "A3", "A4", "H1"]
WaterClass = Literal["W17", "W27", "W32", "W40", "W45", "W+"]


class ScaleUpReq(Model):
    domain_packages: int | None = Field(default=None, ge=1, description="Accelerator packages in one scale-up domain.")
    dies_per_package: int | None = Field(default=None, ge=1)
    bandwidth_per_accelerator: DataRate | None = None
    links_per_accelerator: int | None = Field(default=None, ge=1)
    max_switch_hops: int | None = Field(default=None, ge=0)
    memory_per_domain: Data | None = None


class ScaleOutReq(Model):
    bandwidth_per_accelerator: DataRate | None = None
    rail_optimized: bool | None = None
    max_oversubscription: float | None = Field(default=None, ge=1.0)
    min_bisection_per_accelerator: DataRate | None = None
    redundant: bool | None = Field(default=None, description="The scale-out fabric has no single point of failure: "
                                   "no switch or device-to-device cable bundle whose loss splits it.")


class PowerReq(Model):
    rack_power_max: Power | None = Field(default=None, description="IT power envelope per rack at the operating point.")
    operating_point: Literal["idle", "typical", "max", "peak"] | None = None
    feed_type: Literal["ac", "dc"] | None = None
    feed_voltage_min: Voltage | None = None
    feed_voltage_max: Voltage | None = None
    feed_frequency: Frequency | None = Field(default=None, description="AC feeds: the halls' mains frequency, "
                                             "50 Hz or 60 Hz.")
    busbar_voltage_min: Voltage | None = None
    busbar_voltage_max: Voltage | None = None
    psu_redundancy: Literal["N", "N+1", "N+2", "N+N"] | None = None
    feed_redundancy: Literal["single", "dual"] | None = None
    fault_depth: Literal[1, 2] | None = None
    battery_holdup: Time | None = None
    energy_storage: bool | None = None
    max_phase_imbalance: Fraction | None = None


class CoolingReq(Model):
    liquid_share_min: Fraction | None = None
    facility_water_class: WaterClass | None = None
    air_inlet_class: AirClass | None = None
    max_return_temperature: Temperature | None = None
    pump_redundancy: bool | None = None
    flow_per_heat_min: FlowPerPower | None = Field(
        default=None, description="Least coolant flow a loop delivers per kW of liquid heat, e.g. '1.25 L/min/kW'.")
    flow_per_heat_max: FlowPerPower | None = Field(
        default=None, description="Most coolant flow a loop delivers per kW of liquid heat, e.g. '2.0 L/min/kW'.")


class FacilityReq(Model):
    power_fault_tolerance: Literal["single", "maintenance_plus_fault"] | None = Field(
        default=None, description="The facility power chain rides through any single element lost (single), or "
        "any element out for maintenance plus any one more lost (maintenance_plus_fault).")
    ups_runtime: Time | None = Field(default=None, description="Battery runtime every UPS must give at its "
                                     "worst-case load (until generators take over).")
    max_pue: float | None = Field(default=None, ge=1.0, description="Upper bound of the hall's power usage "
                                  "effectiveness at the operating point (total facility power / IT power).")


class PhysicalReq(Model):
    frame_standards: list[Literal["eia19", "ocp21", "orw"]] | None = None
    max_rack_mass: Mass | None = None
    max_rack_depth: Length | None = None


class SupplyChainReq(Model):
    domestic_countries: list[str] | None = None
    domestic_share_min: Fraction | None = None
    max_lead_time: Time | None = None
    single_source_critical_kinds: list[str] | None = None


class Generation(Model):
    id: Id
    name: str
    description: str | None = None
    extends: Id | None = None
    year: int | None = Field(default=None, ge=2015, le=2040)
    sources: dict[str, str] = Field(default_factory=dict)
    scale_up: ScaleUpReq = Field(default_factory=ScaleUpReq)
    scale_out: ScaleOutReq = Field(default_factory=ScaleOutReq)
    power: PowerReq = Field(default_factory=PowerReq)
    cooling: CoolingReq = Field(default_factory=CoolingReq)
    physical: PhysicalReq = Field(default_factory=PhysicalReq)
    facility: FacilityReq = Field(default_factory=FacilityReq)
    supply_chain: SupplyChainReq = Field(default_factory=SupplyChainReq)


class GenerationFile(Model):
    generations: list[Generation]


REQUIREMENT_SECTIONS = ("scale_up", "scale_out", "power", "cooling", "physical", "supply_chain", "facility")


def requirement_fields() -> list[str]:
    """Every requirement as a dotted path (``power.rack_power_max``): the list rules must cover."""
    out = []
    for section in REQUIREMENT_SECTIONS:
        model = Generation.model_fields[section].annotation
        out.extend(f"{section}.{name}" for name in model.model_fields)  # type: ignore[union-attr]
    return out
