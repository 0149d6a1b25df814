"""Cases for RF201-RF216 (power distribution, read from the lowered power network and its fault sweep)."""
from tests.cases.common import Case, G, H, _mount, _t

K = "rubin-ultra-kyber.yaml"
V = "vr-nvl72.yaml"
G3 = "gb300-nvl72.yaml"
MOUNTS = "/templates/nvl72/mounts"

# A generation asking for battery hold-up (and dual feeds) on top of gb200-nvl72.
HOLDUP_GEN = {"generations": [{"id": "test-holdup", "name": "gb200-nvl72 with 90 s battery hold-up",
                               "extends": "gb200-nvl72", "power": {"battery_holdup": "90 s"}}]}
# A 208 V North-American three-phase feed and a shelf of 200-277 V PSUs (line-to-line at 208 V is in range).
DC_FEED = {"id": "A", "type": "dc", "voltage": "800 V", "breaker": "250 A", "derating": 0.8, "source": "UPS-A"}


def _feeds(d, **kw):
    for f in _t(d)["power"]["feeds"]:
        f.update(kw)


def _drop_shelves(d, *ids):
    _t(d)["mounts"] = [m for m in _t(d)["mounts"] if m["id"] not in ids]


def _one_side(d):
    """Every shelf on feed A: losing source UPS-A leaves the rack dark."""
    for m in _t(d)["mounts"]:
        if m["part"].startswith("PS-"):
            m["feed"] = "A"
    d["generation"] = "test-holdup"


def _one_bar(d):
    """Every mount on bb-lo and all eight shelves above the trays: the whole rack's current runs down the bar."""
    for m in _t(d)["mounts"]:
        if m.get("busbar") == "bb-hi":
            m["busbar"] = "bb-lo"
    for i in range(1, 9):
        _mount(d, f"ps{i}").__setitem__("u", 38 + i)


EU = "gb200-nvl72-eu.yaml"


def _psu_variant(pn, **inp):
    """A copy of the ORv3 HPR PSU with another input, as an extra catalog."""
    base = {"type": "ac", "voltage_min": "200 V", "voltage_max": "277 V", "phases": 1}
    return {"catalog": "test-psu", "parts": [{
        "pn": pn, "kind": "psu", "name": f"test PSU {pn}", "source": "test fixture", "rating": "5.5 kW",
        "input": {**base, **inp}, "output_voltage": "50 V", "droop": "8.9 mOhm", "current_limit": "124 A",
        "efficiency": [{"load": 0.1, "efficiency": 0.92}, {"load": 1.0, "efficiency": 0.965}]}]}


def _fill(d, shelf, pn):
    _mount(d, shelf)["psus"] = {"part": pn, "count": 6}


CASES: list[Case] = [
    # two of the upper segment's four shelves removed: 63.2 kW on 2 x 33 kW shelves; 12 x 5.5 kW = 66 kW at
    # 95.8 % is within rating, so drop three: 63.2 kW on one 33 kW shelf
    Case("RF201", G, lambda d: _drop_shelves(d, "ps2", "ps3", "ps4"), MOUNTS, "one shelf for 63 kW"),
    # N+N: the upper segment with ps1-ps3 (A, B, A): losing feed A leaves one shelf for 63.2 kW
    Case("RF202", G, lambda d: _drop_shelves(d, "ps4"), "/templates/nvl72", "one PSU/shelf too few for N+N"),
    # five PSUs over two PDUs (a, b, a, b, a): losing pdu-a leaves 2 x 3.3 kW for the 9.8 kW DC load (10.2 kW AC)
    Case("RF203", H, lambda d: [m.update(feeds=["pdu-a", "pdu-b"], psus={"part": "PSU-3K3-AC", "count": 5})
                                for m in d["templates"]["h100-rack"]["mounts"] if m["part"] == "DGX-H100"],
         "/templates/h100-rack", "DGX with 5 PSUs on two PDUs: 2 PSUs left for 9.8 kW"),
    Case("RF204", G, lambda d: _feeds(d, breaker="150 A"), "/templates/nvl72/power/feeds"),
    Case("RF205", G, lambda d: [_mount(d, f"ps{i}").__setitem__("phase", "a") for i in range(1, 9)],
         "/templates/nvl72/power/feeds", "every PSU on phase a"),
    Case("RF206", G, lambda d: _one_bar(d), "/templates/nvl72/power/busbars/0",
         "all 117 kW on one 1,400 A bar, every shelf at its top"),
    Case("RF207", G, lambda d: _t(d)["power"]["busbars"].__setitem__(0, {"id": "bb-lo", "part": "TEST-BAR-LOSSY"}),
         MOUNTS, "a very resistive bar", catalog={"catalog": "test-bar", "parts": [{
             "pn": "TEST-BAR-LOSSY", "kind": "busbar", "name": "lossy bar", "source": "test fixture",
             "rated_current": "5000 A", "resistance_per_length": "50 mOhm/m", "length": "1.05 m",
             "voltage_nominal": "50 V"}]}),
    Case("RF208", G, _one_side, "/templates/nvl72", "no BBUs, one feed, 90 s asked",
         catalog=HOLDUP_GEN),
    Case("RF209", G, lambda d: _t(d)["power"]["feeds"].__setitem__(0, DC_FEED), MOUNTS, "AC shelves on 800 VDC"),
    Case("RF210", G, lambda d: _feeds(d, voltage="400 V"), "/templates/nvl72/power/feeds/0/voltage"),
    # a European rack whose feeds are declared 60 Hz
    Case("RF210", EU, lambda d: _feeds(d, frequency="60 Hz"), "/templates/nvl72/power/feeds/0/frequency",
         "60 Hz feeds where the generation is 50 Hz"),
    # a 100-127 V PSU wired line-to-neutral on 415Y/240 V: 240 V is outside its range
    Case("RF209", G, lambda d: _fill(d, "ps1", "TEST-PSU-LN-120"), f"{MOUNTS}/31",
         "line-to-neutral PSU at 240 V, rated 100-127 V",
         catalog=_psu_variant("TEST-PSU-LN-120", voltage_min="100 V", voltage_max="127 V",
                              connection="line_to_neutral")),
    Case("RF211", G, lambda d: d.__setitem__("operating_point", "peak") or _drop_shelves(d, "ps7", "ps8"),
         "/templates/nvl72", "peak load through the half of the bar's shelves"),
    Case("RF212", G, lambda d: d.__setitem__("operating_point", "idle"), MOUNTS, "1.5 kW trays on 264 kW of PSUs"),
    Case("RF213", G3, lambda d: [m.__setitem__("part", "PS-33K-ORV3-HPR") for m in _t(d)["mounts"]
                                 if m["part"] == "PS-33K-ORV3-HPR-ES"], "/templates/nvl72"),
    Case("RF214", G, lambda d: _mount(d, "ct01").__setitem__("busbar", None) or
         _t(d)["power"]["busbars"].append({"id": "bb-x", "part": "BUSBAR-ORV3-1400A-HALF"}), MOUNTS,
         "a tray naming no busbar in a rack with three"),
    # 60 Hz North-American feeds into a shelf of 50 Hz-only PSUs
    Case("RF216", G, lambda d: _feeds(d, frequency="60 Hz") or _fill(d, "ps1", "TEST-PSU-50HZ"), f"{MOUNTS}/31",
         "50 Hz-only PSUs on 60 Hz", catalog=_psu_variant("TEST-PSU-50HZ", frequency_min="49 Hz",
                                                          frequency_max="51 Hz")),
    Case("RF215", H, lambda d: d["templates"]["h100-rack"]["mounts"].append(
        {"id": "tdp-sw", "part": "TEST-SW-CHIP-TDP", "u": 41, "feeds": ["pdu-a", "pdu-b"]}),
         "/templates/h100-rack/mounts/9", "a switch whose figure is its ASIC's TDP", catalog={
             "catalog": "test-tdp", "parts": [{
                 "pn": "TEST-SW-CHIP-TDP", "kind": "switch", "name": "switch rated by ASIC TDP",
                 "source": "test fixture", "height": "1 RU", "standard": "eia19", "mass": "10 kg",
                 "power": {"idle": "100 W", "typical": "300 W", "max": "500 W", "basis": "chip_tdp"},
                 "input": {"type": "ac", "voltage_min": "200 V", "voltage_max": "240 V", "phases": 1}}]}),
]
