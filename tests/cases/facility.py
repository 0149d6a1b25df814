"""Cases for RF250-RF261 (facility power chain) and RF350-RF357 (facility water), on one block of the hall seed."""
from tests.cases.common import Case

B = "hall/gb200-hall-block.yaml"
P = "/facility/power"
W = "/facility/water"


def _gen(gid, **facility):
    return {"generations": [{"id": gid, "name": f"gb200-nvl72 with {facility}", "extends": "gb200-nvl72",
                             "facility": facility}]}


def _set(path, value):
    """A mutation setting d[path...] = value (path: keys and list indices)."""
    def mut(d):
        x = d
        for k in path[:-1]:
            x = x[k]
        x[path[-1]] = value
    return mut


def _both(*muts):
    def mut(d):
        for m in muts:
            m(d)
    return mut


def _same_ups(d):
    """Feed B of every run on the same UPS as feed A: one UPS lost drops those racks."""
    dist = d["facility"]["power"]["distribution"]
    dist[1]["from"] = list(dist[0]["from"])


UPS = ("facility", "power", "elements", 2)
LOOP = ("facility", "water", "loops", 0)
TEST_TAPOFF = {"catalog": "test-tapoff", "parts": [{
    "pn": "TEST-TAPOFF-100A", "kind": "tap_off", "name": "a 100 A tap-off", "source": "test fixture",
    "rated_current": "100 A", "voltage": "415 V"}]}
SMALL_CDU = {"catalog": "test-cdu", "parts": [{
    "pn": "TEST-CDU-1MW", "kind": "cdu", "name": "1 MW facility CDU", "source": "test fixture", "height": "0 RU",
    "placement": "facility", "capacity": "1000 kW", "approach": "5 K", "rated_flow": "3000 L/min",
    "pumps": {"count": 2, "required": 1, "curve": [{"flow": "0 L/min", "pressure": "80 psi"},
                                                 {"flow": "3000 L/min", "pressure": "60 psi"},
                                                 {"flow": "4500 L/min", "pressure": "35 psi"}], "power": "45 kW"},
    "hx_pressure_drop": [{"flow": "3000 L/min", "pressure": "70 kPa"}], "max_pressure": "150 psi",
    "coolants": ["water", "pg25"]}]}

#: a 2 MW facility CDU with a 60 K approach at capacity (an undersized heat exchanger; the approach scales with load)
HOT_CDU = {"catalog": "test-hot-cdu", "parts": [{**SMALL_CDU["parts"][0], "pn": "TEST-CDU-HOT", "capacity": "2000 kW",
                                                 "approach": "60 K", "name": "2 MW CDU of 60 K approach"}]}

CASES: list[Case] = [
    Case("RF250", B, _set(("facility", "power", "distribution", 0, "from", 0), "UPS99"), P + "/distribution/0/from",
         "a busway run hangs from no element"),
    # UPS input breaker 500 A: 374 kW in against sqrt(3) x 415 V x 0.99 x 500 A x 0.8 = 285 kW
    Case("RF251", B, _set(UPS + ("breaker",), "500 A"), P + "/elements/2", "UPS breaker too small"),
    # 700 A: 374 kW in against 398 kW (94 %) normally; a partner UPS lost: 4/3 x 362 kW out, ~499 kW in (125 %)
    Case("RF252", B, _set(UPS + ("breaker",), "700 A"), P + "/elements/2", "fits normally, not after a loss"),
    Case("RF253", B, _same_ups, P + "/elements", "both feeds of some racks on one UPS"),
    Case("RF254", B, _set(("generation",), "test-mf"), P + "/elements", "DR 4-to-make-3 is not M+F tolerant",
         catalog=_gen("test-mf", power_fault_tolerance="maintenance_plus_fault")),
    # 300 s at 2.5 MW -> at the worst single-loss load (~483 kW) 1,550 s < 3,600 s
    Case("RF255", B, _set(("generation",), "test-rt"), P + "/elements/2", "an hour of battery asked",
         catalog=_gen("test-rt", ups_runtime="60 min")),
    Case("RF256", B, _set(UPS + ("breaker",), "6000 A"), P + "/elements/2/breaker", "UPS breaker above the "
         "switchgear's 5,000 A"),
    Case("RF257", B, _set(("facility", "power", "distribution", 0, "tap_off"), "TEST-TAPOFF-100A"),
         P + "/distribution/0/tap_off", "100 A tap-off for a 250 A rack breaker", catalog=TEST_TAPOFF),
    Case("RF258", B, _set(("facility", "power", "topology"), "2N"), P + "/topology", "DR pairing declared 2N"),
    Case("RF259", B, _set(("facility", "power", "max_voltage_drop"), 0.0001), P + "/distribution",
         "0.01 % allowed"),
    # two of ten 250 kW modules: 362 kW on the one left
    Case("RF260", B, _set(UPS + ("modules",), 2), P + "/elements/2", "UPS with two modules"),
    Case("RF261", B, _set(("generation",), "test-pue"), P, "PUE 1.16 against 1.1",
         catalog=_gen("test-pue", max_pue=1.1)),
    Case("RF350", B, _set(LOOP + ("rows",), ["B{k:02d}a"]), W + "/loops", "row B01b on no loop"),
    Case("RF351", B, _set(LOOP + ("rack_connection", "diameter"), "12 mm"), W + "/loops/0", "12 mm hoses"),
    Case("RF352", B, _both(_set(LOOP + ("cdus",), 3), _set(LOOP + ("redundant",), 2),
                           _set(LOOP + ("rack_connection", "diameter"), "22 mm")), W + "/loops/0/cdus",
         "N+2 of three CDUs, narrow hoses: one pump left"),
    Case("RF353", B, _set(LOOP + ("cdu",), "TEST-CDU-1MW"), W + "/loops/0/cdus",
         "1.2 MW on 2 x 1 MW CDUs, N+1", catalog=SMALL_CDU),
    Case("RF354", B, _set(("facility", "water", "supply_temperature"), "35 degC"), W + "/supply_temperature",
         "35 degC on W32"),
    Case("RF355", B, _set(("facility", "water", "supply_temperature"), "25 degC"), W + "/heat_rejection",
         "dry coolers rated at 30 degC asked for 25 degC"),
    Case("RF356", B, _set(("facility", "water", "max_velocity"), "0.5 m/s"), W + "/loops/0", "0.5 m/s allowed"),
    # ~1.2 MW on 2 x 2 MW CDUs of 60 K approach: 30 + 60 x 1.2/4 = 48 degC supply with both running (cases fit),
    # 30 + 60 x 1.2/2 = 66 degC with one lost: the GPU plate's ~52 K over its supply (as at 33 degC in the seed)
    # puts it at ~98 degC > 85
    Case("RF357", B, _set(LOOP + ("cdu",), "TEST-CDU-HOT"), W + "/loops/0", "66 degC TCS supply with a CDU lost",
         catalog=HOT_CDU),
]
