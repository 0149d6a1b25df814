"""Cases for RF0xx, RF1xx, RF200 and RF9xx."""
from tests.cases.common import DEEP_SWITCH, Case, G, H, _mount, _t  # noqa: F401

def _cold_switch() -> dict:
    """DEEP_SWITCH's figures, 600 mm deep, drawing 0 W."""
    import copy

    sw = copy.deepcopy(DEEP_SWITCH["parts"][0])
    sw.update(pn="COLD-SWITCH", depth="600 mm", power={"idle": "0 W", "typical": "0 W", "max": "0 W"})
    return {"catalog": "test-cold", "parts": [sw]}


def _hot_ct() -> dict:
    """The GB200 compute tray with its cold plates repeated 1,000 times (2,000 entries, under the 4,096 bound)."""
    import copy
    from pathlib import Path

    import yaml

    parts = yaml.safe_load((Path(__file__).resolve().parents[2] / "catalogs/parts/gb200-nvl72.yaml").read_text())
    ct = copy.deepcopy(next(p for p in parts["parts"] if p["pn"] == "GB200-NVL72-CT"))
    ct["pn"] = "HOT-CT"
    ct["liquid"]["cold_plates"] = ct["liquid"]["cold_plates"][:2] * 1000
    return {"catalog": "test-hot", "parts": [ct]}


def _shared_design_feed(d) -> None:
    """The GB200 rack's A shelves on a design-level feed, and a second template (a copy checked against
    gb300-nvl72) whose shelves use the same feed."""
    import copy

    t = _t(d)
    fa = copy.deepcopy(t["power"]["feeds"][0])
    fa["id"] = "HALL-A"
    d["feeds"] = [fa]
    for m in t["mounts"]:
        if m.get("feed") == "A":
            m["feed"] = "HALL-A"
    t2 = copy.deepcopy(t)
    t2["generation"] = "gb300-nvl72"
    d["templates"]["nvl72b"] = t2
    d["racks"].append({"id": "r02", "template": "nvl72b", "position": {"row": "A", "index": 1}})


CASES: list[Case] = [
    Case("RF001", G, lambda d: d["site"].__setitem__("altitude", 100), "/site/altitude", "bare number"),
    Case("RF002", G, lambda d: _mount(d, "ct01").__setitem__("part", "GB200-NVL72-CX"), "/templates/nvl72/mounts"),
    Case("RF003", G, lambda d: _mount(d, "ct02").__setitem__("id", "ct01"), "/templates/nvl72/mounts"),
    Case("RF004", G, lambda d: _mount(d, "ps1").__setitem__("feed", "C"), "/templates/nvl72/mounts"),
    Case("RF005", G, lambda d: _t(d).__setitem__("links", [
        {"a": "ct01:nvl99", "b": "st1:nvl0", "cable": "NVL5-CARTRIDGE-LINK"}]), "/templates/nvl72/links/0/a"),
    Case("RF006", G, lambda d: _mount(d, "ct01").__setitem__("part", "PSU-5K5-ORV3-HPR"), "/templates/nvl72/mounts"),
    Case("RF030", G, lambda d: _mount(d, "ct01").__setitem__("part", "GB200-NVL72-CX"), "/templates/nvl72/mounts",
         "unknown part skips power, cooling, network and supply chain", also=("RF002", "RF2", "RF3", "RF4", "RF5")),
    Case("RF030", G, lambda d: _mount(d, "ps1").__setitem__("feed", "C"), "/templates/nvl72/mounts",
         "a dangling feed skips only power", also=("RF004", "RF2", "RF3")),
    Case("RF007", G, lambda d: d.__setitem__("generation", "gb999"), "/generation"),
    Case("RF007", G, lambda d: _t(d).__setitem__("generation", "gb999"), "/templates/nvl72/generation",
         "a template's own generation"),
    Case("RF020", G, _shared_design_feed, "/feeds/0", "a design-level feed shared by racks of two generations"),
    Case("RF008", G, lambda d: d["site"].__setitem__("altitude", "1e30 m"), "/site/altitude", "implausible"),
    Case("RF009", H, lambda d: d["templates"]["h100-rack"]["mounts"].append(
        {"id": "x", "part": "COLD-SWITCH", "u": 45}), "/templates/h100-rack/mounts/9", catalog=_cold_switch()),
    Case("RF910", G, lambda d: d.__setitem__("rows", [{"id": "big", "template": "nvl72", "count": 100000}]), "",
         "a row of 100,000 NVL72 racks: 287 M elements"),
    Case("RF912", G, lambda d: _mount(d, "ct01").__setitem__("part", "HOT-CT"), "/templates/nvl72/cooling/loops/0",
         "a tray with 2,000 cold plates drives the loop past the coolant data's 100 degC", catalog=_hot_ct()),
    Case("RF911", G, lambda d: None, "", "any design, with a time limit of 1 ns", also=("RF101",),
         env={"RACKFORGE_TIME_LIMIT": "1e-9"}),
    Case("RF101", G, lambda d: _mount(d, "ct02").__setitem__("u", _mount(d, "ct01")["u"]), "/templates/nvl72/mounts"),
    Case("RF102", G, lambda d: _mount(d, "mg2").__setitem__("u", 49), "/templates/nvl72/mounts"),
    Case("RF103", H, lambda d: d["templates"]["h100-rack"]["mounts"].append(
        {"id": "x", "part": "GB200-NVL72-ST", "u": 45}), "/templates/h100-rack/mounts/9"),
    Case("RF104", H, lambda d: d["templates"]["h100-rack"]["mounts"].append(
        {"id": "x", "part": "DEEP-SWITCH", "u": 45}), "/templates/h100-rack/mounts/9", catalog=DEEP_SWITCH),
    Case("RF105", H, lambda d: d["templates"]["h100-rack"]["mounts"].extend(
        [{"id": f"n{i}", "part": "DGX-H100", "u": 33 + 8 * (i % 2)} for i in range(2)] +
        [{"id": f"m{i}", "part": "DGX-H100", "u": None, "side": "left"} for i in range(5)]),
        "/templates/h100-rack/frame"),
    Case("RF106", G, lambda d: [_t(d)["mounts"].append({"id": f"x{i}", "part": "GB200-NVL72-CT", "u": 39 + i})
                                for i in range(9)], "/templates/nvl72"),
    Case("RF107", H, lambda d: d.__setitem__("generation", "gb200-nvl72"), "/templates/h100-rack/frame"),
    Case("RF108", G, lambda d: d.__setitem__("generation", "hgx-h100-air"), "/templates/nvl72/frame"),
    Case("RF109", G, lambda d: d["site"].__setitem__("floor_load_rating", "1000 kg/m**2"), "/templates/nvl72"),
    Case("RF110", H, lambda d: d["templates"]["h100-rack"]["mounts"][5].__setitem__("u", 40) or
         d["templates"]["h100-rack"]["mounts"][6].__setitem__("u", 25), "/templates/h100-rack/mounts/5/u"),
    Case("RF111", G, lambda d: _mount(d, "ps1").__setitem__("psus", {"part": "PSU-5K5-ORV3-HPR", "count": 7}),
         "/templates/nvl72/mounts"),
    Case("RF200", G, lambda d: [_t(d)["mounts"].append({"id": f"x{i}", "part": "GB200-NVL72-CT", "u": 39 + i})
                                for i in range(3)], "/templates/nvl72"),
    Case("RF901", G, lambda d: d.__setitem__("waivers", [
        {"rule": "RF101", "target": "ct01", "reason": "temporary", "expires": "2020-01-01"}]), "/waivers/0"),
    Case("RF902", G, lambda d: d.__setitem__("waivers", [
        {"rule": "RF101", "target": "ct01", "reason": "nothing here"}]), "/waivers/0", also=("RF101",)),
]
