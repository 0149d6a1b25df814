"""Cases for RF5xx (supply chain and BOM)."""
from tests.cases.common import Case, G, H, _t


def _gen(gid, parent, **supply_chain):
    """A generation file with one profile extending ``parent`` with the given supply-chain limits."""
    return {"generations": [{"id": gid, "name": f"{parent} with a supply-chain limit", "extends": parent,
                             "supply_chain": supply_chain}]}


# a part the design buys with no cost (and no origin): RF503
NO_COST = {"catalog": "test-supply", "parts": [{
    "pn": "TEST-BLANK-NOCOST", "kind": "blanking_panel", "name": "blanking panel without a price",
    "source": "test fixture", "height": "1 RU", "standard": "any", "mass": "0.3 kg", "lead_time": "2 week",
    "suppliers": ["A", "B"]}]}


def _use(gid):
    return lambda d: d.__setitem__("generation", gid)


CASES: list[Case] = [
    # GB200 seed: 4.5 % of its cost is made in the US (frame, busbars, QDs, hoses, blanks, the in-row CDU)
    Case("RF500", G, _use("test-dom"), "", "domestic share 4.5 % < 50 %",
         catalog=_gen("test-dom", "gb200-nvl72", domestic_share_min=0.5)),
    # DGX H100: NVIDIA is its only supplier
    Case("RF501", H, _use("test-single"), "/templates/h100-rack/mounts/2", "single-sourced server",
         catalog=_gen("test-single", "hgx-h100-air", single_source_critical_kinds=["compute_tray"])),
    # GB200 compute and switch trays: 30 weeks
    Case("RF502", G, _use("test-lead"), "/templates/nvl72/mounts", "30-week trays against 26 weeks",
         catalog=_gen("test-lead", "gb200-nvl72", max_lead_time="26 week")),
    Case("RF503", G, lambda d: _t(d)["mounts"].append({"id": "blank", "part": "TEST-BLANK-NOCOST", "u": 40}),
         "/templates/nvl72/mounts/38", "a panel without cost or origin", catalog=NO_COST),
]
