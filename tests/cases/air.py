"""Cases for RF330-RF335 (site altitude against the air class; the parts' own operating envelopes)."""
import copy
from pathlib import Path

import yaml

from tests.cases.common import Case, G, H, _t

_ROOT = Path(__file__).resolve().parents[2]


def _part(catalog: str, pn: str, new_pn: str, **over) -> dict:
    """A copy of a catalog part under a new part number, with fields replaced (a test fixture)."""
    parts = yaml.safe_load((_ROOT / "catalogs" / "parts" / catalog).read_text())["parts"]
    p = copy.deepcopy(next(x for x in parts if x["pn"] == pn))
    p["pn"] = new_pn
    p["source"] = "test fixture"
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(p.get(k), dict):
            p[k].update(v)
        else:
            p[k] = v
    return {"catalog": "test-air", "parts": [p]}


def _site(**kv):
    return lambda d: d["site"].update(kv)


def _swap(tmpl: str, old: str, new: str, **site):
    def mut(d):
        for m in _t(d, tmpl)["mounts"]:
            if m["part"] == old:
                m["part"] = new
        d["site"].update(site)
    return mut


CASES: list[Case] = [
    # 3,200 m: above ASHRAE's 3,050 m for class A2
    Case("RF330", H, _site(altitude="3200 m"), "/site/altitude", "a site above the class's maximum elevation"),
    # 32 degC inlet: inside class A2 (35 degC) but above the DGX H100's own 30 degC
    Case("RF331", H, _site(air_inlet_temperature="32 degC"), "/templates/h100-rack/mounts",
         "32 degC inlet on a server rated 5-30 degC"),
    # a DGX rated to 1,000 m at a 1,500 m site
    Case("RF332", H, _swap("h100-rack", "DGX-H100", "TEST-DGX-ALT", altitude="1500 m"), "/templates/h100-rack/mounts",
         "site above the part's altitude rating",
         catalog=_part("hgx-h100.yaml", "DGX-H100", "TEST-DGX-ALT",
                       environment={"inlet_min": "5 degC", "inlet_max": "30 degC", "altitude_max": "1000 m"})),
    # 90 % RH for a part rated 8-80 %
    Case("RF333", H, _swap("h100-rack", "DGX-H100", "TEST-DGX-RH", air_relative_humidity=0.9),
         "/templates/h100-rack/mounts", "humid air for a part rated to 80 % RH",
         catalog=_part("hgx-h100.yaml", "DGX-H100", "TEST-DGX-RH",
                       environment={"humidity_min": 0.08, "humidity_max": 0.8})),
    # the GB200 seed's loop supplies ~30 degC; a tray rated to 20 degC supply
    Case("RF334", G, _swap("nvl72", "GB200-NVL72-CT", "TEST-CT-SUPPLY"), "/templates/nvl72/mounts",
         "coolant warmer than the tray's rating",
         catalog=_part("gb200-nvl72.yaml", "GB200-NVL72-CT", "TEST-CT-SUPPLY",
                       liquid={"supply_temperature_max": "20 degC"})),
    # the trays' supply taps are at ~300 kPa gauge; a tray rated 100 kPa
    Case("RF335", G, _swap("nvl72", "GB200-NVL72-CT", "TEST-CT-PRESS"), "/templates/nvl72/mounts",
         "loop pressure above the tray's rating",
         catalog=_part("gb200-nvl72.yaml", "GB200-NVL72-CT", "TEST-CT-PRESS", liquid={"max_pressure": "100 kPa"})),
]
