"""Generation profiles: seven generations (six product steps, one of them AMD's, and a European variant of GB200) with sources,
inheritance, seeds that meet them, and every requirement read by some rule (or listed as pending)."""
import re

import pytest

from rackforge.api import validate
from rackforge.model.catalog import default_catalog, resolve_generation
from rackforge.cli.app import main
from rackforge.model.findings import Severity
from rackforge.model.schema.generation import REQUIREMENT_SECTIONS, requirement_fields
from tests.conftest import ROOT, seed_files

# oldest first (year, then id): amd-helios and vr-nvl72 are both 2026
GENERATIONS = ["hgx-h100-air", "gb200-nvl72", "gb200-nvl72-eu", "gb300-nvl72", "amd-helios", "vr-nvl72",
               "rubin-ultra-kyber"]

# Requirement fields no rule reads yet: the power, cooling and supply-chain rules are being written. Remove a
# field from here in the change that adds the rule reading it (the test fails both ways).
PENDING: set = set()

TAG = re.compile(r"\[(P|S|T|D|U|L)[\], ]|estimate|policy")


def test_no_requirement_ignored():
    from rackforge.rules import all_rules

    read = set()
    for r in all_rules().values():
        read |= set(r.requires)
    fields = set(requirement_fields())
    assert read - fields == set(), "rules require fields the generation schema does not have"
    assert fields - read == PENDING


def test_generations_in_catalog_order():
    cat = default_catalog()
    assert [p for p in cat.problems if "generations" in p.file] == []
    from rackforge.features.matrix import concrete_generations

    assert concrete_generations(cat) == GENERATIONS
    assert cat.generations["ai-base"].year is None   # a base profile, not a target


@pytest.mark.parametrize("gid", ["ai-base", *GENERATIONS])
def test_every_value_cites_a_tagged_source(gid):
    g = default_catalog().generations[gid]
    for section in REQUIREMENT_SECTIONS:
        for name in getattr(g, section).model_fields_set:
            path = f"{section}.{name}"
            src = g.sources.get(path) or g.sources.get("*")
            assert src, f"{gid}: {path} has no source"
            assert TAG.search(src), f"{gid}: source of {path} has no confidence tag: {src!r}"


def test_published_envelopes():
    """Rack power per generation against the published figures (public-figures.md)."""
    cat = default_catalog()
    kw = {g: float(resolve_generation(g, cat).gen.power.rack_power_max) / 1e3 for g in GENERATIONS}
    assert kw == {"hgx-h100-air": 41.0,      # 4 x 10.2 kW DGX H100 = 40.8 kW [S]
                  "gb200-nvl72": 132.0,      # HPE 115 + 17 kW [S]
                  "gb200-nvl72-eu": 132.0,   # the same rack on 400/230 V 50 Hz
                  # NVIDIA Enterprise RA "up to 142 kW" [P]; N+N on 8 x 33 kW shelves delivers 132 kW on one side
                  # alone (tests/test_profile_check.py), so the profile holds 132 kW
                  "gb300-nvl72": 132.0,
                  # 190-230 kW Max Q / Max P [T]; the seed's 4 x 110 kW shelves carry 2 x 109.8 = 219.6 kW after the
                  # worst of the dual feeds is lost, so the profile holds 219 kW (within the published range)
                  "vr-nvl72": 219.0,
                  # AMD publishes no Helios rack power: the profile holds what its seed's 4 x 110 kW shelves carry
                  # after the worst feed is lost (219.6 kW), as vr-nvl72; the estimated trays draw 211.2 kW
                  "amd-helios": 219.0,
                  "rubin-ultra-kyber": 600.0}  # "up to 600 kW" (Tom's Hardware) [S]


def test_inheritance_and_packages_vs_dies():
    cat = default_catalog()
    vr = resolve_generation("vr-nvl72", cat)
    assert vr.chain == ["vr-nvl72", "gb300-nvl72", "gb200-nvl72", "ai-base"]
    assert vr.gen.scale_up.domain_packages == 72 and vr.origin["scale_up.domain_packages"] == "gb200-nvl72"
    # GTC 2025 "NVL144" counted dies: 72 packages x 2 dies
    assert vr.gen.scale_up.domain_packages * vr.gen.scale_up.dies_per_package == 144
    assert float(vr.gen.scale_up.bandwidth_per_accelerator) == 2 * float(
        resolve_generation("gb300-nvl72", cat).gen.scale_up.bandwidth_per_accelerator)
    ky = resolve_generation("rubin-ultra-kyber", cat).gen
    assert ky.scale_up.domain_packages * ky.scale_up.dies_per_package == 576   # "NVL576" counts dies
    assert ky.power.feed_type == "dc" and float(ky.power.feed_voltage_min) <= 800 <= float(ky.power.feed_voltage_max)
    # cleared on purpose: 800 V reaches the trays, there is no 50 V busbar to hold to a range
    assert ky.power.busbar_voltage_min is None and ky.power.busbar_voltage_max is None
    gb300 = resolve_generation("gb300-nvl72", cat).gen
    assert gb300.power.energy_storage is True and float(gb300.scale_out.bandwidth_per_accelerator) == 800e9


def _seed_by_generation():
    import yaml
    import json

    out = {}
    for p in seed_files():
        data = json.loads(p.read_text()) if p.suffix == ".json" else yaml.safe_load(p.read_text())
        out.setdefault(data["generation"], []).append(p)
    return out


def test_one_seed_per_generation():
    by_gen = _seed_by_generation()
    assert {g: len(v) for g, v in by_gen.items()} == {g: 1 for g in GENERATIONS}


# IT power at max by hand from the catalog figures (tray counts x per-tray max)
HAND_IT_MAX_W = {
    "hgx-h100-air": 4 * 10200 + 120,
    "gb200-nvl72": 18 * 6300 + 9 * 400 + 2 * 120,
    "gb200-nvl72-eu": 18 * 6300 + 9 * 400 + 2 * 120,
    "gb300-nvl72": 18 * 6600 + 9 * 400 + 2 * 120,
    "vr-nvl72": 18 * 11000 + 9 * 1000 + 2 * 120,
    "rubin-ultra-kyber": 4 * 142200 + 9 * 1500 + 2 * 120,
    "amd-helios": 18 * 11020 + 6 * 2100 + 2 * 120,
}


@pytest.mark.parametrize("gid", GENERATIONS)
def test_seed_meets_its_generation_by_hand(gid):
    """What the seed provides against what its generation asks, including requirements no rule checks yet."""
    from rackforge.api import analyze

    path = _seed_by_generation()[gid][0]
    res = validate(str(path))
    assert [f"{f.code} {f.message}" for f in res.findings if f.severity >= Severity.WARNING] == []
    gen = resolve_generation(gid, default_catalog()).gen
    rack = analyze(str(path))["racks"][0]
    assert rack["it_power_max_w"] == pytest.approx(HAND_IT_MAX_W[gid], rel=1e-12)
    assert rack["it_power_max_w"] <= float(gen.power.rack_power_max)
    # whole scale-up domains: one per rack for NVL-class racks, one per 8-GPU server for HGX
    assert rack["accelerator_packages"] % gen.scale_up.domain_packages == 0
    assert rack["accelerator_dies"] == rack["accelerator_packages"] * gen.scale_up.dies_per_package
    ld = res.loaded
    accs = [mi.part for d in ld.resolved.defs for mi in d.mounts if getattr(mi.part, "accelerators", None)]
    for p in accs:
        assert p.accelerators.dies_per_package == gen.scale_up.dies_per_package
        mem = gen.scale_up.domain_packages * float(p.accelerators.memory_per_package)
        assert mem >= float(gen.scale_up.memory_per_domain) * (1 - 0.01)   # within rounding of "20.7 TB"
        assert float(p.accelerators.scale_up_bandwidth_per_package) >= float(gen.scale_up.bandwidth_per_accelerator)
        so = sum(float(g.speed) * g.count for g in p.ports if g.role == "scale_out")
        assert so / p.accelerators.packages >= float(gen.scale_out.bandwidth_per_accelerator)


def test_seed_power_margins_by_hand():
    """Busbar, shelf and feed sizing of the Oberon seeds, computed here from the catalog figures."""
    # GB300: two 1,400 A segments; the worse holds 9 trays x 6.6 kW + 9 switch trays x 0.4 kW at 49 V
    lower = 9 * 6600 + 9 * 400
    assert lower / 49 == pytest.approx(1285.7, abs=0.1) and lower / 49 < 1400
    assert 2 * 33000 >= lower              # N+N: after a feed loss two 33 kW shelves per segment remain
    # VR: 4 x 110 kW shelves, N+1 and a feed loss (2 shelves left)
    vr = HAND_IT_MAX_W["vr-nvl72"]
    assert 3 * 110000 >= vr and 2 * 110000 >= vr
    assert vr / 50 < 5000                  # liquid-cooled busbar rating, at the lowest busbar voltage
    per_phase = vr / 0.97 / (3 ** 0.5 * 415 * 0.99)
    assert per_phase == pytest.approx(300.0, abs=1) and per_phase < 400 * 0.8
    # Kyber: 13 of 14 converters per pod carry the pod; one 800 V feed carries the rack
    assert 13 * 12000 >= 142200
    assert HAND_IT_MAX_W["rubin-ultra-kyber"] / 0.975 / 800 < 1000 * 0.8


def test_generations_cli(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["generations"])
    assert exc.value.code in (0, None)
    out = capsys.readouterr().out
    for g in GENERATIONS:
        assert g in out
    with pytest.raises(SystemExit) as exc:
        main(["generations", "show", "rubin-ultra-kyber"])
    out = capsys.readouterr().out
    assert "extends: rubin-ultra-kyber <- vr-nvl72 <- gb300-nvl72 <- gb200-nvl72 <- ai-base" in out
    assert "(from gb200-nvl72)" in out
    assert "power.busbar_voltage_min" in out and "not required" in out   # cleared, with its reason
    with pytest.raises(SystemExit) as exc:
        main(["generations", "show", "no-such-gen"])
    assert exc.value.code == 2
    assert "unknown generation 'no-such-gen'" in capsys.readouterr().err


def test_generations_cli_json(capsys):
    import json

    with pytest.raises(SystemExit):
        main(["generations", "show", "gb300-nvl72", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    f = {x["field"]: x for x in data["fields"]}
    assert f["scale_out.bandwidth_per_accelerator"]["si"] == 800e9
    assert f["scale_up.domain_packages"]["from"] == "gb200-nvl72"
    assert "[P]" in f["power.rack_power_max"]["source"]
