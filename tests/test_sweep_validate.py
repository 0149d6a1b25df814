"""`rackforge validate` of many files (issue 15 part 3): the result cache and the process pool change nothing in
the output (byte-identical JSON), and the cache notices every input the findings depend on."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SEEDS, load_seed


def _run(*args, cache: Path | None, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "RACKFORGE_NO_CACHE"}
    if cache is None:
        env["RACKFORGE_NO_CACHE"] = "1"
    else:
        env["XDG_CACHE_HOME"] = str(cache)
    return subprocess.run([sys.executable, "-m", "rackforge", "validate", *map(str, args)], capture_output=True,
                          cwd=cwd or ROOT, env=env)


@pytest.fixture
def designs(tmp_path):
    """Seeds, an identical copy of one at another path, designs with findings at known places, a schema error
    and a missing file."""
    d = tmp_path / "designs"
    d.mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("hgx-h100-air.yaml", "gb200-nvl72.json"):
        shutil.copy(SEEDS / name, d / name)
    shutil.copy(SEEDS / "hgx-h100-air.yaml", d / "copy-of-h100.yaml")
    hot = load_seed("hgx-h100-air.yaml")
    hot.setdefault("site", {})["air_inlet_temperature"] = "41 degC"        # outside ASHRAE A2: an error
    (d / "hot.yaml").write_text(yaml.safe_dump(hot, sort_keys=False))
    (d / "hot-again.yaml").write_text(yaml.safe_dump(hot, sort_keys=False))
    bad = load_seed("gb200-nvl72.json")
    bad["site"]["rack_pitch"] = "600 kg"                                   # RF001 at a line:col
    (d / "bad.json").write_text(json.dumps(bad, indent=1))
    files = sorted(d.iterdir()) + [d / "missing.yaml"]
    return tmp_path, files


def test_json_output_is_byte_identical_with_and_without_cache_and_processes(designs):
    tmp, files = designs
    plain = _run("-f", "json", "--jobs", "1", *files, cache=None)
    cold = _run("-f", "json", "--jobs", "2", *files, cache=tmp / "c")
    entries = sorted((tmp / "c" / "rackforge" / "results").glob("*.pickle"))
    warm = _run("-f", "json", "--jobs", "2", *files, cache=tmp / "c")
    serial_warm = _run("-f", "json", "--jobs", "1", *files, cache=tmp / "c")
    assert plain.returncode == cold.returncode == warm.returncode == serial_warm.returncode == 2   # missing file
    assert plain.stdout == cold.stdout == warm.stdout == serial_warm.stdout
    assert plain.stderr == cold.stderr == warm.stderr
    out = json.loads(plain.stdout)
    text = plain.stdout.decode()
    assert "hot-again.yaml" in text and "copy-of-h100.yaml" in text and "RF001" in text and "missing.yaml" in text
    # identical contents share one entry: 6 readable designs, 4 distinct (the missing file is not cached)
    assert len(entries) == 4
    assert out  # a real report


def test_cache_notices_design_catalog_configuration_and_date_inputs(tmp_path, gb200):
    (tmp_path / ".git").mkdir()
    cache = tmp_path / "cache"
    cats = tmp_path / "cats"
    cats.mkdir()

    def catalog(pn):
        return json.dumps({"catalog": "lab", "parts": [{
            "pn": pn, "kind": "cable", "name": "x", "source": "test fixture (estimate)", "media": "copper_utp", "form_factor": "RJ45",
            "speed": "1 Gbit/s", "lanes": 1, "length": "3 m", "max_reach": "100 m"}]})

    (cats / "lab.json").write_text(catalog("LAB-0"))
    gb200["catalogs"] = ["../cats/lab.json"]
    gb200["templates"]["nvl72"]["patterns"][1]["cable"] = "LAB-1"
    (tmp_path / "u").mkdir()
    design = tmp_path / "u" / "d.json"
    design.write_text(json.dumps(gb200, indent=1))
    first = _run("-f", "concise", design, cache=cache)
    assert first.returncode == 1 and b"RF002" in first.stdout and b"LAB-1" in first.stdout
    assert _run("-f", "concise", design, cache=cache).stdout == first.stdout          # warm: the same
    (cats / "lab.json").write_text(catalog("LAB-1"))                                   # the named catalog changes
    fixed = _run("-f", "concise", design, cache=cache)
    assert b"RF002" not in fixed.stdout, fixed.stdout
    assert fixed.stdout == _run("-f", "concise", "--no-cache", design, cache=cache).stdout
    # configuration: an ignore in rackforge.toml beside the design
    (cats / "lab.json").write_text(catalog("LAB-0"))
    assert b"RF002" in _run("-f", "concise", design, cache=cache).stdout
    (tmp_path / "rackforge.toml").write_text('ignore = ["RF002"]\n')
    assert b"RF002" not in _run("-f", "concise", design, cache=cache).stdout
    # the design itself
    (tmp_path / "rackforge.toml").unlink()
    gb200["templates"]["nvl72"]["patterns"][1]["cable"] = "LAB-0"
    design.write_text(json.dumps(gb200, indent=1))
    assert b"RF002" not in _run("-f", "concise", design, cache=cache).stdout


def test_cache_key_covers_settings_date_and_code(tmp_path):
    import datetime as dt

    from rackforge.engine import cache as c

    p = tmp_path / "d.yaml"
    p.write_text((SEEDS / "hgx-h100-air.yaml").read_text())
    rc = c.ResultCache(folder=tmp_path / "r", environ={})
    base = rc.key(str(p))
    assert base is not None and rc.key(str(p)) == base
    others = [rc.key(str(p), select=("RF1",)), rc.key(str(p), ignore=("RF1",)), rc.key(str(p), generation="x"),
              rc.key(str(p), operating_point="idle"), rc.key(str(p), today=dt.date(2000, 1, 1))]
    assert len({base, *others}) == 6
    assert rc.key("-") is None and rc.key(str(tmp_path / "nope.yaml")) is None
    assert c.ResultCache(environ={"RACKFORGE_NO_CACHE": "1"}).key(str(p)) is None
    # an edit of any of rackforge's own files is a new key (a checkout between releases)
    fp = c.code_fingerprint()
    assert len(fp) == 64


def test_cache_folder_follows_xdg(tmp_path):
    from rackforge.engine.cache import results_dir

    assert results_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "rackforge" / "results"
    assert results_dir({"XDG_CACHE_HOME": "relative"}) == Path.home() / ".cache" / "rackforge" / "results"
