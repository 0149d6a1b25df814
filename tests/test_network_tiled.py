"""The scale-up report computed once per rack definition and tiled over its instances
(:func:`rackforge.lowering.network_result.scale_up_tiled`) equals the report on the global tables.

The tiled path applies when every scale-up link is a rack definition's own; a design-level scale-up pattern
makes it step aside (None) and the global path runs. Every seed, a three-rack row of the NVL72 seed, a row with
a rack whose NVLink cartridge is half cabled (unreachable peers), the same row with its scale-up patterns at the
design level, and a small hall with a generated fabric: the ``scale_up`` figures (domain, domain size, links,
bandwidth, unreachable peers, memory, judged) and the findings must be identical both ways.
"""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from tests.conftest import load_seed, seed_files


def _both(path):
    from rackforge.engine import Context, Options, load_design, run_rules
    from rackforge.lowering import network_result as nr

    out = []
    for tile in (True, False):
        nr.NetworkResult.tile_scale_up = tile
        try:
            ld = load_design(str(path))
            ctx = Context(ld, Options())
            found = [(f.code, f.pointer, f.message) for f in run_rules(ld, Options(), ctx)]
            out.append((ctx, found))
        finally:
            nr.NetworkResult.tile_scale_up = True
    (c1, f1), (c2, f2) = out
    su1, su2 = c1.network.scale_up, c2.network.scale_up
    assert su1.keys() == su2.keys()
    for k in su1:
        assert np.array_equal(su1[k], su2[k]), k
    assert f1 == f2
    return c1


@pytest.mark.parametrize("seed", [s for s in seed_files() if "/halls/" not in str(s) and "gb200-hall.yaml" not in
                                  str(s)], ids=lambda p: str(p).split("seeds/")[-1])
def test_tiled_scale_up_equals_global_on_seeds(seed):
    _both(seed)


def _row(n=3):
    d = load_seed("gb200-nvl72.json")
    rack = d.pop("racks")[0]
    d["racks"] = [{"id": f"r{k + 1:02d}", "template": rack["template"], "position": {"row": "A", "index": k}}
                  for k in range(n)]
    return d


def test_tiled_scale_up_on_a_row_and_a_half_cabled_rack(write_design):
    from rackforge.lowering.network_result import scale_up_tiled

    ctx = _both(write_design(_row()))
    m = ctx.network.m
    acc = np.flatnonzero(m.dev_kind == 1)
    assert scale_up_tiled(m, acc, m.dev_kind == 2, False) is not None
    assert ctx.network.scale_up["domain_sizes"].tolist() == [72, 72, 72]
    # a second definition: an inline copy of the rack whose scale-up pattern reaches only four switch trays
    d = _row()
    body = copy.deepcopy(d["templates"]["nvl72"])
    body["patterns"][0]["switches"] = "st[1-4]"
    d["racks"][1] = {"id": "r02", "position": {"row": "A", "index": 1}, "body": body}
    ctx = _both(write_design(d))
    m = ctx.network.m
    acc = np.flatnonzero(m.dev_kind == 1)
    assert scale_up_tiled(m, acc, m.dev_kind == 2, False) is not None
    su = ctx.network.scale_up
    # racks r01 and r03 whole; r02's packages are not one domain of 72 (its pattern cannot lay every link)
    sizes = su["domain_sizes"].tolist()
    assert sizes[0] == 72 and sizes[-1] == 72 and len(sizes) > 3
    assert (su["link_count"][:72] == 18).all() and (su["link_count"][72:144] < 18).all()


def test_design_level_scale_up_links_take_the_global_path(write_design):
    from rackforge.lowering.network_result import scale_up_tiled

    d = _row()
    pat = d["templates"]["nvl72"]["patterns"].pop(0)
    d["patterns"] = [dict(pat, accelerators=f"{r}/ct*", switches=f"{r}/st*") for r in ("r01", "r02", "r03")]
    ctx = _both(write_design(d))
    m = ctx.network.m
    acc = np.flatnonzero(m.dev_kind == 1)
    assert scale_up_tiled(m, acc, m.dev_kind == 2, False) is None
    assert ctx.network.scale_up["domain_sizes"].tolist() == [72, 72, 72]


def test_tiled_scale_up_in_a_small_hall(tmp_path):
    from tests.cases.fabric import _hall

    d = _row(4)
    _hall(d, racks_per_su=2, min_bandwidth_after_failure=0.0)
    p = tmp_path / "hall.json"
    p.write_text(json.dumps(d))
    ctx = _both(p)
    assert ctx.network.scale_up["domain_sizes"].tolist() == [72] * 4
