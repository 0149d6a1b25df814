"""Cooling lowering, the air side: per rack, the heat left to air, the airflow it needs and the fans give,
the exhaust temperature and what reaches the room.

:func:`rack_air` is called by :func:`rackforge.lowering.cooling.analyze` for every rack definition after its
liquid loops are solved (their plate heat is what does not go to air); :func:`rack_json` is its part of
:meth:`rackforge.lowering.cooling.CoolingResult.to_json`. Equations and references: :mod:`rackforge.solvers.air`.

Model (SI units)
----------------
* **Air side.** Per rack: heat to air = each IT part's power at the operating point less its plate heat (trays
  whose loop cannot be built count wholly to air). Airflow needed at the allowed rise (``site.air_temperature_rise``,
  default 20 K) at the inlet temperature, the site's altitude and relative humidity (dry air when not given), per part against its fans (``air.rated``, the
  vendor's airflow at its stated duty, else ``air.max``; not scaled), and
  per rack against all fans (parts' and fan units'). Exhaust temperature at the airflow the fans can give. A
  rear-door heat exchanger removes up to its capacity before the air reaches the room; what is left is
  compared with ``site.room_air_capacity_per_rack``. Airflow direction per part, reversed for parts mounted on
  the rear face. Power-conversion losses (power shelves, PDUs) are not counted here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rackforge.model.resolved import IT_KINDS, MountInfo, RackDef, mount_power

if TYPE_CHECKING:  # annotations only (cooling imports this module)
    from rackforge.lowering.cooling import LoopResult


#: Air inlet when the site gives none: the top of ASHRAE's recommended envelope [degC].
DEFAULT_AIR_INLET_C = 27.0
#: Allowed air temperature rise when the site gives none [K] (typical server design rise 10-20 K).
DEFAULT_AIR_RISE_K = 20.0


@dataclass
class DeviceAir:
    mi: MountInfo
    power_w: float
    liquid_w: float
    air_w: float
    needed: float             # airflow needed at the allowed rise [m^3/s]
    available: float          # the part's fans [m^3/s]
    direction: str            # effective direction in the rack (rear-mounted parts reversed), or "none"


@dataclass
class RackAir:
    rdef: RackDef
    it_w: float
    liquid_w: float
    air_w: float
    devices: list[DeviceAir]
    inlet_c: float
    rise_k: float
    needed: float
    available: float
    exhaust_c: float
    rdhx_w: float
    room_w: float
    room_capacity_w: float | None

    @property
    def liquid_share(self) -> float | None:
        return self.liquid_w / self.it_w if self.it_w > 0 else None


def air_inlet(ctx) -> float:
    t = ctx.design.site.air_inlet_temperature
    return float(t) - 273.15 if t is not None else DEFAULT_AIR_INLET_C


def rack_air(ctx, rdef: RackDef, loops: list[LoopResult], site) -> RackAir:
    from rackforge.solvers.air import exhaust_temperature, required_airflow

    liquid = {br.mi.id: br.heat_w for lr in loops if lr.why_not is None and lr.cdu is not None
              for br in lr.branches}
    inlet = air_inlet(ctx)
    rise = float(site.air_temperature_rise) if site.air_temperature_rise is not None else DEFAULT_AIR_RISE_K
    alt = float(site.altitude) if site.altitude is not None else 0.0
    rh = float(site.air_relative_humidity) if site.air_relative_humidity is not None else 0.0  # dry air unless given
    devices = []
    fans = 0.0
    rdhx_cap = 0.0
    for mi in rdef.mounts:
        part = mi.part
        if part is None:
            continue
        if part.kind == "fan":
            fans += float(part.airflow)
            continue
        if part.kind == "rdhx":
            rdhx_cap += float(part.capacity)
            continue
        if part.kind not in IT_KINDS:
            continue
        p = mount_power(part, ctx.op)
        liq = min(liquid.get(mi.id, 0.0), p)
        air = max(p - liq, 0.0)
        a = getattr(part, "air", None)
        avail = a.capacity if a is not None else 0.0  # published airflow at its stated duty, else full speed
        direction = a.direction if a is not None else "none"
        if mi.m.face == "rear" and direction != "none":
            direction = "back_to_front" if direction == "front_to_back" else "front_to_back"
        need = float(required_airflow(air, rise, inlet, alt, rh)) if air > 0 else 0.0
        devices.append(DeviceAir(mi, p, liq, air, need, avail, direction))
    it = sum(d.power_w for d in devices)
    liq = sum(d.liquid_w for d in devices)
    air = sum(d.air_w for d in devices)
    need = sum(d.needed for d in devices)
    avail = sum(d.available for d in devices) + fans
    flow = min(need, avail) if avail > 0 else 0.0
    exhaust = float(exhaust_temperature(air, flow, inlet, alt, rh)) if air > 0 else inlet
    rdhx = min(air, rdhx_cap)
    cap = site.room_air_capacity_per_rack
    return RackAir(rdef, it, liq, air, devices, inlet, rise, need, avail, exhaust, rdhx, air - rdhx,
                   float(cap) if cap is not None else None)

def rack_json(ra: RackAir) -> dict:
    return {
        "definition": ra.rdef.key,
        "instances": len(ra.rdef.instances),
        "it_heat_w": ra.it_w,
        "heat_to_liquid_w": ra.liquid_w,
        "heat_to_air_w": ra.air_w,
        "liquid_share": ra.liquid_share,
        "air_inlet_temperature_c": ra.inlet_c,
        "air_temperature_rise_k": ra.rise_k,
        "airflow_needed_m3_s": ra.needed,
        "airflow_available_m3_s": ra.available,
        "exhaust_temperature_c": ra.exhaust_c,
        "rdhx_heat_w": ra.rdhx_w,
        "heat_to_room_w": ra.room_w,
        "room_air_capacity_w": ra.room_capacity_w,
        "devices": [{"device": d.mi.id, "power_w": d.power_w, "heat_to_liquid_w": d.liquid_w,
                     "heat_to_air_w": d.air_w, "airflow_needed_m3_s": d.needed,
                     "airflow_available_m3_s": d.available, "airflow_direction": d.direction}
                    for d in ra.devices],
    }
