"""The hall seed with all three hall-level models at once: facility power chain, facility water and the generated
scale-out fabric (seeds/hall/gb200-hall-full.yaml)."""
import csv
import io

import pytest

from rackforge.engine import Context, Options, load_design
from tests.conftest import ROOT

FULL = str(ROOT / "seeds" / "hall" / "gb200-hall-full.yaml")


def test_full_hall_seed_validates_clean_and_bom_is_current(capsys):
    """Clean, and its committed BOM is current (regenerate with `rackforge bom -o seeds/hall/gb200-hall-full.bom.csv
    seeds/hall/gb200-hall-full.yaml`)."""
    from rackforge.cli.app import main

    for argv in (["validate", "--no-cache", FULL], ["bom", "--check", FULL.replace(".yaml", ".bom.csv"), FULL]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        out = capsys.readouterr().out
        assert (e.value.code or 0) == 0, (argv, out)
        if argv[0] == "validate":
            assert "0 error(s), 0 warning(s)" in out
    rows = list(csv.DictReader(io.StringIO(open(FULL.replace(".yaml", ".bom.csv")).read())))
    q: dict[str, int] = {}
    for r in rows:
        if r["line"] == "part" and r["qty"]:
            q[r["pn"]] = q.get(r["pn"], 0) + int(r["qty"])
    # hand: 4 blocks x 4 lineups; 4 x 4 facility CDUs; 192 compute racks x 18 trays x 4 NICs, one module each
    assert q["UPS-2500KW-MOD"] == 16 and q["TX-3000KVA-34.5KV-415V"] == 16 and q["CDU-FAC-2MW"] == 16
    assert q["OSFP-400G-SR4"] == 192 * 18 * 4


def test_full_hall_models_see_every_rack():
    """The switch racks the fabric generator places are on the facility chain (two tap-offs each) and off the
    water loops (air-cooled, in their own row); the compute racks are on both."""
    ctx = Context(load_design(FULL), Options())
    racks = ctx.r.racks
    net = [r for r in racks if r.rdef.key == "netrack"]
    assert net and {r.row for r in net} == {"B02x"}
    assert len(racks) == 192 + len(net)
    fa = ctx.facility_power
    assert not fa.problems and fa.racks == len(racks)
    assert sorted((t["definition"], t["feed"]) for t in fa.taps) == [("netrack", "A"), ("netrack", "B"),
                                                                    ("nvl72", "A"), ("nvl72", "B")]
    fw = ctx.facility_water
    assert not fw.problems and sum(len(lr.racks) for lr in fw.loops) == 192


def test_mixed_generations_with_the_hall_fabric(write_design):
    """The full hall with its blocks 3 and 4 tagged gb300-nvl72 (a copy of the GB200 template with `generation`):
    the fabric, the chain and the water run once as before; only those racks are reported, against GB300's
    requirements their GB200 parts miss (800 Gb/s scale-out per GPU, energy-storage PSUs, 288 GB per GPU)."""
    import copy

    import yaml

    from rackforge.engine import validate

    d = yaml.safe_load(open(FULL))
    t = copy.deepcopy(d["templates"]["nvl72"])
    t["generation"] = "gb300-nvl72"
    d["templates"]["nvl72g3"] = t
    for r in d["rows"]:
        if r["id"].startswith(("B03", "B04")):
            r["template"] = "nvl72g3"
    res = validate(str(write_design(d)))
    assert res.findings
    assert {f.code for f in res.findings} == {"RF213", "RF414", "RF416"}
    assert all(f.pointer.startswith("/templates/nvl72g3") and "generation 'gb300-nvl72'" in f.message
               for f in res.findings)
