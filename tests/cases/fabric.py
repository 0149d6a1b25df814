"""Cases for RF423-RF425 (fabric sanity) and RF450-RF452 (generated hall fabric)."""
from tests.cases.common import Case, G
from tests.cases.network import FABRIC, _fabric

NETRACK = {
    "frame": "EIA-48U-600x1200",
    "power": {"feeds": [{"id": "A", "type": "ac3", "voltage": "415 V", "frequency": "50 Hz", "breaker": "63 A",
                         "source": "UPS-A"},
                        {"id": "B", "type": "ac3", "voltage": "415 V", "frequency": "50 Hz", "breaker": "63 A",
                         "source": "UPS-B"}]},
    "mounts": [{"id": "pdu-a", "part": "PDU-3P-415V-63A", "side": "left", "face": "rear", "feed": "A"},
               {"id": "pdu-b", "part": "PDU-3P-415V-63A", "side": "right", "face": "rear", "feed": "B"}]
    + [{"id": f"sw{k + 1:02d}", "part": "SN5600", "u": 1 + 2 * k, "feeds": ["pdu-a", "pdu-b"]} for k in range(12)],
}

MEDIA = [{"max_length": "50 m", "cable": "MPO12-MM-FIBRE", "transceivers": ["OSFP-400G-SR4", "OSFP-800G-2xSR4"],
          "stages": ["node_leaf"], "cut_step": "5 m"},
         {"max_length": "50 m", "cable": "MPO12-MM-FIBRE", "transceivers": ["OSFP-800G-2xSR4"],
          "stages": ["leaf_spine", "spine_core"], "cut_step": "5 m"}]


def _hall(d, **kw):
    """The seed's rack with a generated hall fabric: one-rack SUs, SN5600 leaves and spines (12 per rack)."""
    import copy

    d["templates"]["netrack"] = copy.deepcopy(NETRACK)
    d["hall_fabric"] = {"nodes": "*/ct*", "racks_per_su": 1, "leaf": {"template": "netrack"},
                        "spine": {"template": "netrack"}, "media": copy.deepcopy(MEDIA), **kw}


def _half_rail(d):
    _fabric(d)
    d["patterns"][0]["nodes"] = "r01/ct0*"   # ct01-ct09 on the four rails
    d.setdefault("links", []).append({"a": "r01/ct10:cx0", "b": "net/leaf0:p63", "cable": "MPO12-SM-30M",
                                      "transceivers": ["OSFP-400G-DR4"]})   # rail 0 gets a tenth node


def _short_media(d):
    _hall(d)
    for m in d["hall_fabric"]["media"]:
        m["max_length"] = "1 m"


HALL = "/templates/netrack/mounts"

CASES = [
    Case("RF423", G, _hall, HALL, "12-switch racks, 4 leaves and 1 spine used: the rest carry nothing"),
    Case("RF424", G, _half_rail, "/racks/1/body/mounts", "rail 0 leaf carries 10 nodes, rails 1-3 carry 9",
         catalog=FABRIC),
    Case("RF425", G, lambda d: _hall(d, nodes="*/ct0*", oversubscription=2.25), HALL,
         "9 nodes at 2.25:1 use 13 leaf ports: cage 6 half used"),
    Case("RF450", G, lambda d: _hall(d, leaf={"template": "nope"}), "/hall_fabric/leaf/template",
         "leaf template missing"),
    Case("RF451", G, _short_media, "/hall_fabric/media", "no option reaches past 1 m"),
    Case("RF452", G, _hall, "/hall_fabric/min_bandwidth_after_failure", "one spine: losing it loses everything"),
]
