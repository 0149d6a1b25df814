"""Cases for RF4xx (cabling and topology), and RF005 on patterns."""
from tests.cases.common import Case, G, H, _t

# A scale-out leaf switch for the fabric cases (64 logical 400G OSFP ports, NDR-class).
FABRIC = {"catalog": "test-fabric", "parts": [{
    "pn": "TEST-LEAF-64", "kind": "switch", "name": "64-port 400G leaf", "source": "test fixture",
    "height": "1 RU", "standard": "any", "depth": "600 mm", "mass": "15 kg",
    "power": {"idle": "300 W", "typical": "800 W", "max": "1200 W"},
    "input": {"type": "dc", "voltage_min": "44 V", "voltage_max": "56 V"},
    "ports": [{"name": "p", "role": "scale_out", "form_factor": "OSFP", "speed": "400 Gbit/s", "lanes": 4,
               "count": 64},
              {"name": "bmc", "role": "management", "form_factor": "RJ45", "speed": "1 Gbit/s", "lanes": 1,
               "count": 1}]}]}

# A generation that asks for what the seeds' generations leave open: bisection bandwidth and redundancy.
NET_GEN = {"generations": [{
    "id": "test-net", "name": "gb200-nvl72 with a full-bisection, redundant scale-out fabric",
    "extends": "gb200-nvl72",
    "scale_out": {"min_bisection_per_accelerator": "400 Gbit/s", "redundant": True}}]}

# A 1x3 breakout: an 8-lane trunk cannot split into 3 equal legs.
BREAKOUT3 = {"catalog": "test-breakout", "parts": [{
    "pn": "TEST-DAC-1X3", "kind": "cable", "name": "1x3 breakout DAC", "source": "test fixture",
    "media": "dac", "form_factor": "OSFP", "speed": "1200 Gbit/s", "lanes": 12, "length": "2 m",
    "max_reach": "3 m", "breakout": 3}]}


def _links(d, *pairs, cable="OSFP-400G-DAC-2M", **kw):
    _t(d).setdefault("links", []).extend({"a": a, "b": b, "cable": cable, **kw} for a, b in pairs)


def _pattern(d, i):
    return _t(d)["patterns"][i]


def _fabric(d, rails=4, uplinks=18, leaves=4):
    """Add a network rack (4 leaves, 2 spines) beside r01 and design-level rail and leaf-spine patterns."""
    mounts = [{"id": f"leaf{i}", "part": "TEST-LEAF-64", "u": 10 + i} for i in range(leaves)]
    mounts += [{"id": f"spine{i}", "part": "TEST-LEAF-64", "u": 20 + i} for i in range(2)]
    d["racks"].append({"id": "net", "body": {"frame": "EIA-48U-600x1200", "mounts": mounts},
                       "position": {"row": "A", "index": 1}})
    d["patterns"] = [
        {"type": "rail", "nodes": "r01/ct*", "leaves": [f"net/leaf{i}" for i in range(rails)],
         "cable": "MPO12-SM-30M", "transceivers": ["OSFP-400G-DR4"]},
        {"type": "leaf_spine", "leaves": "net/leaf*", "spines": "net/spine*", "uplinks_per_leaf": uplinks,
         "cable": "MPO12-SM-30M", "transceivers": ["OSFP-400G-DR4"]}]


def _no_scale_up(d):
    _t(d)["patterns"] = [p for p in _t(d)["patterns"] if p["type"] != "scale_up"]


def _chain(d):
    """Scale-out links straight from tray to tray, a chain: ct01 - ct02 - ... (no switches)."""
    trays = [f"ct{i:02d}" for i in range(1, 19)]
    _links(d, *[(f"{a}:cx0", f"{b}:cx1") for a, b in zip(trays, trays[1:])])
    d["generation"] = "test-net"


MOUNTS = "/templates/nvl72/mounts"

def _fabric_design() -> dict:
    import yaml
    from pathlib import Path

    return yaml.safe_load((Path(__file__).resolve().parents[1] / "data" / "network" / "fabric.yaml").read_text())


def _fabric_catalog() -> dict:
    import yaml
    from pathlib import Path

    return yaml.safe_load((Path(__file__).resolve().parents[1] / "data" / "network" / "fabric-catalog.yaml")
                          .read_text())


_FABRIC_CATALOG = _fabric_catalog()


def _fabric_split(d: dict) -> None:
    f = _fabric_design()
    f.pop("catalogs", None)
    f["racks"].insert(1, {"id": "r02", "template": "h100-rack", "position": {"row": "A", "index": 2}})
    f["patterns"][0].update({"nodes": "r0?/node*", "nodes_per_group": 5})
    d.clear()
    d.update(f)


CASES: list[Case] = [
    Case("RF005", G, lambda d: _pattern(d, 0).__setitem__("switches", "st[1-4]"), "/templates/nvl72/patterns/0",
         "a scale-up pattern on too few switch ports"),
    Case("RF400", G, lambda d: _links(d, ("ct01:bf0", "ct02:bf0"), ("ct01:bf0", "ct03:bf0"),
                                      cable="OSFP-400G-DAC-2M"), "/templates/nvl72/links"),
    Case("RF401", G, lambda d: _links(d, ("ct01:bf0", "ct02:bf0")), "/templates/nvl72/links/0"),
    Case("RF402", G, lambda d: _links(d, ("ct01:bf0", "mg2:up0")), "/templates/nvl72/links/0"),
    Case("RF403", G, lambda d: _links(d, ("ct01:bf0", "ct02:bf0"), cable="CAT6-RJ45-3M"),
         "/templates/nvl72/links/0"),
    Case("RF404", G, lambda d: _links(d, ("ct01:cx0", "ct02:cx0"), cable="TEST-DAC-1X3"),
         "/templates/nvl72/links/0", catalog=BREAKOUT3),
    Case("RF405", G, lambda d: _pattern(d, 1).__setitem__("length", "0.5 m"), "/templates/nvl72/patterns/1"),
    Case("RF406", G, lambda d: _pattern(d, 1).__setitem__("length", "150 m"), "/templates/nvl72/patterns/1"),
    Case("RF407", G, lambda d: _links(d, ("ct01:cx0", "ct02:cx0"), cable="MPO12-SM-30M"),
         "/templates/nvl72/links/0"),
    Case("RF408", G, lambda d: _links(d, ("ct01:cx0", "ct02:cx0"), transceivers=["OSFP-400G-DR4"]),
         "/templates/nvl72/links/0", "transceivers on a DAC"),
    Case("RF409", G, lambda d: _links(d, ("ct01:bf0", "ct02:cx0")), "/templates/nvl72/links/0"),
    Case("RF410", G, lambda d: _pattern(d, 0).__setitem__("accelerators", "ct0*"), MOUNTS),
    Case("RF411", G, _no_scale_up, MOUNTS),
    Case("RF412", G, lambda d: _no_scale_up(d) or _links(
        d, ("ct01:nvl0", "st1:nvl0"), ("ct01:nvl18", "st1:nvl72"), ("ct01:nvl36", "st1:nvl1"),
        ("ct01:nvl37", "st1:nvl73"), cable="NVL5-CARTRIDGE-LINK"), MOUNTS,
         "package 0 on chip 0, package 1 on chip 1, package 2 on both: 0 and 1 are two hops apart"),
    Case("RF413", G, _no_scale_up, MOUNTS),
    Case("RF414", G, _no_scale_up, MOUNTS),
    Case("RF415", H, lambda d: d.__setitem__("generation", "gb200-nvl72"), "/templates/h100-rack/mounts"),
    Case("RF416", G, lambda d: _fabric(d, rails=2, uplinks=9, leaves=2), MOUNTS, "2 of 4 NICs cabled",
         catalog=FABRIC),
    Case("RF417", G, lambda d: _fabric(d, rails=3, uplinks=18, leaves=3), MOUNTS, catalog=FABRIC),
    Case("RF418", G, lambda d: _fabric(d, rails=3, uplinks=18) or d.__setitem__("links", [
        {"a": "r01/ct01:cx3", "b": "net/leaf0:p63", "cable": "MPO12-SM-30M", "transceivers": ["OSFP-400G-DR4"]}]),
         "/links/0", "NIC 3 on the rail-0 leaf", catalog=FABRIC),
    Case("RF419", G, lambda d: _fabric(d, uplinks=9), "/racks/1/body/mounts", "18 down, 9 up: 2:1",
         catalog=FABRIC),
    Case("RF420", G, _chain, "/templates/nvl72/links", "one 400G link between the halves", catalog=NET_GEN),
    Case("RF421", G, lambda d: _pattern(d, 1).__setitem__("devices", "ct*"), MOUNTS, "switch trays unmanaged"),
    Case("RF422", G, _chain, MOUNTS, "a chain: every inner tray is an articulation point", catalog=NET_GEN),
    # the fabric fixture with a second rack of four DGX: groups of 5 nodes split r02 across the two units
    Case("RF440", H, lambda d: _fabric_split(d), "/patterns/0/nodes", catalog=_FABRIC_CATALOG),
]
