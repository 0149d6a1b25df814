"""Cases for RF112-RF114 (what fits in a chassis: PSU bays, network cages, fan slots)."""
from tests.cases.air import _part, _swap
from tests.cases.common import Case, H, _mount

CASES: list[Case] = [
    # 9 PSUs in the 6-bay DGX H100 (what `configure` could write before the bays were declared)
    Case("RF112", H, lambda d: _mount(d, "node1", "h100-rack").update(psus={"part": "PSU-3K3-AC", "count": 9}),
         "/templates/h100-rack/mounts/2/psus", "9 PSUs in a 6-bay chassis"),
    # eight 4-lane OSFP ports (32 lanes) in two 8-lane cages (16 lanes)
    Case("RF113", H, _swap("h100-rack", "DGX-H100", "TEST-DGX-CAGE"), "/templates/h100-rack/mounts",
         "ports beyond the cages", catalog=_part("hgx-h100.yaml", "DGX-H100", "TEST-DGX-CAGE",
                                                 bays={"psu": 6, "cages": [{"form_factor": "OSFP", "count": 2,
                                                                            "lanes": 8}]})),
    Case("RF114", H, _swap("h100-rack", "DGX-H100", "TEST-DGX-FAN"), "/templates/h100-rack/mounts",
         "more fans than slots", catalog=_part("hgx-h100.yaml", "DGX-H100", "TEST-DGX-FAN",
                                               bays={"psu": 6, "fan": 4},
                                               air={"direction": "front_to_back", "rated": "1100 CFM",
                                                    "rated_duty": 0.8, "fans": 6})),
]
