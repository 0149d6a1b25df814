"""Cases for RF3xx (cooling): the GB200 seed (in-row CDU, PG25, MGX manifold) and the air-cooled H100 seed."""
import copy

from tests.cases.common import Case, G, H, _mount, _t

# the GB200 seed's in-row CDU (catalogs/parts/common.yaml), as a fixture to vary
_CDU = {"pn": "TEST-CDU", "kind": "cdu", "name": "test CDU", "source": "test fixture", "height": "0 RU",
        "placement": "in_row", "capacity": "1000 kW", "approach": "5 K", "rated_flow": "1500 L/min",
        "pumps": {"count": 2, "required": 1, "curve": [{"flow": "0 L/min", "pressure": "55 psi"},
                                                       {"flow": "1500 L/min", "pressure": "40 psi"},
                                                       {"flow": "2200 L/min", "pressure": "22 psi"}]},
        "hx_pressure_drop": [{"flow": "1500 L/min", "pressure": "60 kPa"}], "max_pressure": "100 psi",
        "coolants": ["water", "pg25", "pg30"], "facility_supply_min": "17 degC", "facility_supply_max": "45 degC"}


def _cdu(**over):
    part = copy.deepcopy(_CDU)
    part.update(over)
    return {"catalog": "test-cooling", "parts": [part]}


def _use_cdu(d):
    _t(d)["cooling"]["loops"][0]["cdu_part"] = "TEST-CDU"


def _loop(**kv):
    return lambda d: _t(d)["cooling"]["loops"][0].update(kv)


def _site(**kv):
    return lambda d: d["site"].update(kv)


def _gen(gid, parent, **cooling):
    return {"generations": [{"id": gid, "name": f"{parent} with a cooling limit", "extends": parent,
                             "cooling": cooling}]}


def _use(gid):
    return lambda d: d.__setitem__("generation", gid)


LOOP = "/templates/nvl72/cooling/loops/0"

CASES: list[Case] = [
    # no loop left: 27 liquid-cooled trays with nowhere to go
    Case("RF300", G, lambda d: _t(d)["cooling"].__setitem__("loops", []), "/templates/nvl72/mounts",
         "liquid-cooled trays in a rack without a loop"),
    # 5 % of the in-row CDU: the compute trays get ~3.4 L/min for 7.5 L/min
    Case("RF301", G, _loop(cdu_share=0.05), "/templates/nvl72/mounts", "a small share of the CDU's pumps"),
    # 60 degC facility water: GPU cases at ~96 degC for 85 degC
    Case("RF302", G, _site(facility_water_supply_temperature="60 degC"), "/templates/nvl72/mounts",
         "hot facility water"),
    # 9 % of 1 MW = 90 kW for 99.9 kW of plate heat
    Case("RF303", G, _loop(cdu_share=0.09), LOOP, "share below the liquid heat"),
    # one pump installed, one required: no spare
    Case("RF304", G, _use_cdu, LOOP + "/cdu_part", "no spare pump",
         catalog=_cdu(pumps={**_CDU["pumps"], "count": 1})),
    # a CDU rated 200 kPa: its outlet is at ~308 kPa gauge
    Case("RF305", G, _use_cdu, LOOP + "/cdu_part", "CDU outlet above its rating",
         catalog=_cdu(max_pressure="200 kPa")),
    Case("RF306", G, _use("test-ret"), LOOP, "return at ~39.8 degC against 35 degC",
         catalog=_gen("test-ret", "gb200-nvl72", max_return_temperature="35 degC")),
    # the trays accept water and PG25 only
    Case("RF307", G, _loop(coolant="pg30"), "/templates/nvl72/mounts", "PG30 in trays that take water or PG25"),
    Case("RF308", G, _use("test-liq"), "/templates/nvl72", "85.2 % liquid against 90 %",
         catalog=_gen("test-liq", "gb200-nvl72", liquid_share_min=0.9)),
    Case("RF309", G, _site(facility_water_supply_temperature="35 degC"), "/site/facility_water_supply_temperature",
         "35 degC water for a W32 generation"),
    Case("RF310", G, _site(facility_water_supply_temperature="15 degC"), "/site/facility_water_supply_temperature",
         "below the CDU's 17 degC minimum"),
    Case("RF311", G, _site(air_inlet_temperature="40 degC"), "/site/air_inlet_temperature",
         "40 degC inlet, class A2 allows 35 degC"),
    # DGX H100 at 10.2 kW through its published 1,100 CFM (80 % PWM) is a ~16 K rise; an 8 K hot aisle needs ~2,250 CFM
    Case("RF312", H, _site(air_temperature_rise="8 K"), "/templates/h100-rack/mounts", "8 K allowed rise"),
    Case("RF313", H, lambda d: _mount(d, "node2", "h100-rack").update(face="rear"), "/templates/h100-rack/mounts/3",
         "a server mounted on the rear face"),
    # 40.9 kW of air heat against 30 kW
    Case("RF314", H, _site(room_air_capacity_per_rack="30 kW"), "/templates/h100-rack", "air-cooled rack, small room"),
    # the seed's loop delivers ~2.3 L/min/kW at full pump speed
    Case("RF315", G, _use("test-fph"), LOOP, "2.3 L/min/kW against at least 3",
         catalog=_gen("test-fph", "gb200-nvl72", flow_per_heat_min="3 L/min/kW")),
    Case("RF316", G, _use("test-fpx"), LOOP, "2.3 L/min/kW against at most 2",
         catalog=_gen("test-fpx", "gb200-nvl72", flow_per_heat_max="2 L/min/kW")),
    # 50 psi at shut-off rising to 56 psi at 500 L/min
    Case("RF317", G, _use_cdu, LOOP + "/cdu_part", "a drooping pump curve",
         catalog=_cdu(pumps={**_CDU["pumps"], "curve": [{"flow": "0 L/min", "pressure": "50 psi"},
                                                        {"flow": "500 L/min", "pressure": "56 psi"},
                                                        {"flow": "1500 L/min", "pressure": "40 psi"},
                                                        {"flow": "2200 L/min", "pressure": "22 psi"}]})),
    # 25 degC room air at 80% RH: dew point 21.3 degC; facility water at 17 degC -> supply 20.3 degC below it
    Case("RF370", G, lambda d: d["site"].update({"air_relative_humidity": 0.8,
                                                 "facility_water_supply_temperature": "17 degC"}),
         "/templates/nvl72/cooling/loops/0"),
]
