"""Configuration: [tool.rackforge] in pyproject.toml or rackforge.toml, found upward from the design; flags
override it; mistakes in it exit 2 with file:line:col."""
import copy
import json
import subprocess
import sys

import pytest

from rackforge.engine.config import ConfigCache, find_config, glob_regex, load_config, locate
from rackforge.errors import InputError


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "rackforge", "validate", "-f", "concise", *args],
                          capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def repo(tmp_path, gb200):
    """A repository with a design that has an overlap (RF101, error) in designs/a/ and a clean one."""
    (tmp_path / ".git").mkdir()
    gb200 = copy.deepcopy(gb200)
    ms = gb200["templates"]["nvl72"]["mounts"]
    ms[10]["u"] = ms[9]["u"]
    d = tmp_path / "designs" / "a"
    d.mkdir(parents=True)
    (d / "overlap.json").write_text(json.dumps(gb200, indent=2))
    return tmp_path


# --- finding the file --------------------------------------------------------------------------------------

def test_found_upward_and_nearest_wins(repo):
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n\n[tool.rackforge]\nignore = ['RF1']\n")
    assert find_config(repo / "designs" / "a") == repo / "pyproject.toml"
    (repo / "designs" / "rackforge.toml").write_text("select = ['RF2']\n")
    assert find_config(repo / "designs" / "a") == repo / "designs" / "rackforge.toml"
    cfg = ConfigCache().for_design(str(repo / "designs" / "a" / "overlap.json"))
    assert cfg.select == ("RF2",) and cfg.ignore is None


def test_pyproject_without_table_is_passed_over_and_search_stops_at_repo_root(repo, tmp_path):
    (repo / "designs" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_config(repo / "designs" / "a") is None
    (repo / "rackforge.toml").write_text("ignore = ['RF1']\n")
    assert find_config(repo / "designs" / "a") == repo / "rackforge.toml"


def test_same_folder_rackforge_toml_wins(repo):
    (repo / "pyproject.toml").write_text("[tool.rackforge]\nignore = ['RF1']\n")
    (repo / "rackforge.toml").write_text("ignore = ['RF2']\n")
    assert find_config(repo) == repo / "rackforge.toml"


# --- effect on a run ---------------------------------------------------------------------------------------

def test_ignore_from_pyproject(repo):
    assert _cli("designs", cwd=repo).returncode == 1
    (repo / "pyproject.toml").write_text("[tool.rackforge]\nignore = ['RF10']\n")
    out = _cli("designs", cwd=repo)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "RF101" not in out.stdout


def test_cli_select_replaces_file_select(repo):
    (repo / "rackforge.toml").write_text("select = ['RF2']\n")
    assert _cli("designs", cwd=repo).returncode == 0
    out = _cli("designs", "--select", "RF1", cwd=repo)
    assert out.returncode == 1 and "RF101" in out.stdout


def test_per_file_ignores(repo):
    (repo / "designs" / "b").mkdir()
    src = repo / "designs" / "a" / "overlap.json"
    (repo / "designs" / "b" / "overlap.json").write_text(src.read_text())
    (repo / "rackforge.toml").write_text('[per-file-ignores]\n"designs/a/**" = ["RF101"]\n')
    out = _cli("designs", cwd=repo)
    assert out.returncode == 1
    assert "designs/b/overlap.json" in out.stdout and "designs/a/overlap.json:" not in out.stdout
    (repo / "rackforge.toml").write_text('[per-file-ignores]\n"overlap.json" = ["RF1"]\n')
    assert _cli("designs", cwd=repo).returncode == 0  # no "/": the file name in any folder


def test_glob_semantics():
    assert glob_regex("designs/*.json").fullmatch("designs/x.json")
    assert not glob_regex("designs/*.json").fullmatch("designs/a/x.json")
    assert glob_regex("designs/**/*.json").fullmatch("designs/x.json")
    assert glob_regex("designs/**/*.json").fullmatch("designs/a/b/x.json")
    assert glob_regex("d?.[jy]*").fullmatch("d1.yaml") and not glob_regex("d?.[!y]*").fullmatch("d1.yaml")


def test_fail_on_exit_zero_statistics_and_flags_override(repo, gb200):
    # a design with only a warning: RF902 (a waiver that matches nothing)
    gb200["waivers"] = [{"rule": "RF2", "target": "/racks", "reason": "nothing to waive"}]
    (repo / "w").mkdir()
    (repo / "w" / "warn.json").write_text(json.dumps(gb200))
    assert _cli("w", cwd=repo).returncode == 0
    (repo / "rackforge.toml").write_text('fail-on = "warning"\nstatistics = true\n')
    out = _cli("w", cwd=repo)
    assert out.returncode == 1 and "RF902" in out.stdout
    assert any(line.split()[:2] == ["1", "RF902"] for line in out.stdout.splitlines())  # statistics line
    assert _cli("w", "--fail-on", "error", cwd=repo).returncode == 0
    assert "waiver-unused" not in _cli("w", "--no-statistics", cwd=repo).stdout.split("RF902 [warning]")[-1]
    (repo / "rackforge.toml").write_text('fail-on = "warning"\nexit-zero = true\n')
    assert _cli("w", cwd=repo).returncode == 0
    assert _cli("w", "--no-exit-zero", cwd=repo).returncode == 1
    assert _cli("w", "--isolated", cwd=repo).returncode == 0


def test_catalogs_relative_to_config(repo, gb200):
    cat = {"catalog": "lab", "parts": [{"pn": "LAB-1", "kind": "cable", "name": "x", "source": "t",
                                       "media": "copper_utp", "form_factor": "RJ45", "speed": "1 Gbit/s",
                                       "lanes": 1, "length": "3 m", "max_reach": "100 m"}]}
    (repo / "cats").mkdir()
    (repo / "cats" / "lab.json").write_text(json.dumps(cat))
    gb200["templates"]["nvl72"]["patterns"][1]["cable"] = "LAB-1"
    (repo / "u").mkdir()
    (repo / "u" / "d.json").write_text(json.dumps(gb200))
    out = _cli("u", cwd=repo)
    assert out.returncode == 1 and "RF002" in out.stdout and "LAB-1" in out.stdout
    (repo / "rackforge.toml").write_text('catalogs = ["cats/lab.json"]\n')
    out = _cli("u", cwd=repo / "u")  # from another working folder: still relative to the config file
    assert "RF002" not in out.stdout, out.stdout


# --- mistakes in the configuration -------------------------------------------------------------------------

@pytest.mark.parametrize("name,text,msg,line,col", [
    ("rackforge.toml", "select = ['RF1']\nignor = ['RF2']\n", "unknown key 'ignor'", 2, 1),
    ("rackforge.toml", "select = 'RF1'\n", "'select' must be a list", 1, 1),
    ("rackforge.toml", "\n\nexit-zero = 1\n", "'exit-zero' must be true or false", 3, 1),
    ("rackforge.toml", 'fail-on = "fatal"\n', "'fail-on' must be one of error, warning, info", 1, 1),
    ("rackforge.toml", "ignore = ['RF1', 'E501']\n", "'E501' is not a rule code", 1, 1),
    ("rackforge.toml", "ignore = ['RF999']\n", "no rule has the code 'RF999'", 1, 1),
    ("rackforge.toml", "select = [\n", "invalid TOML", None, None),
    ("rackforge.toml", "a = 1\nb = = 2\n", "invalid TOML", 2, 5),
    ("rackforge.toml", '[per-file-ignores]\n"x/*" = "RF1"\n', "per-file-ignores 'x/*' must be a list", 2, 1),
    ("pyproject.toml", "[project]\nname='x'\n\n[tool.rackforge]\n  statistcs = true\n", "unknown key 'statistcs'",
     5, 3),
    ("pyproject.toml", "[tool.rackforge.per-file-ignores]\n'a' = ['RF1']\n'b' = [1]\n",
     "per-file-ignores 'b' must be a list", 3, 1),
])
def test_config_errors_have_place_and_exit_2(repo, name, text, msg, line, col):
    (repo / name).write_text(text)
    with pytest.raises(InputError) as ei:
        load_config(repo / name)
    e = ei.value
    assert msg in e.message and e.file == str(repo / name)
    if line is not None:
        assert (e.line, e.col) == (line, col)
    out = _cli("designs", cwd=repo)
    assert out.returncode == 2 and out.stdout == ""
    assert msg in out.stderr and "Traceback" not in out.stderr
    if line is not None:
        assert f"{name}:{line}:{col}: error:" in out.stderr


def test_unknown_key_hint(repo):
    (repo / "rackforge.toml").write_text("exit_zero = true\n")
    with pytest.raises(InputError) as ei:
        load_config(repo / "rackforge.toml")
    assert "did you mean 'exit-zero'" in ei.value.hint


def test_explicit_config_and_missing_config(repo, tmp_path):
    other = repo / "elsewhere.toml"
    other.write_text("ignore = ['RF1']\n")
    assert _cli("designs", "--config", str(other), cwd=repo).returncode == 0
    out = _cli("designs", "--config", "nope.toml", cwd=repo)
    assert out.returncode == 2 and "nope.toml: error: configuration file not found" in out.stderr


def test_bad_cli_codes_are_usage_errors(repo):
    out = _cli("designs", "--ignore", "E501", cwd=repo)
    assert out.returncode == 2 and "--ignore: 'E501' is not a rule code" in out.stderr


def test_locate_dotted_and_header_keys():
    text = "[tool]\nrackforge.select = ['RF1']\n[tool.rackforge.per-file-ignores]\n\"a b\" = []\n"
    assert locate(text, ("tool", "rackforge"), "select") == (2, 1)
    assert locate(text, ("tool", "rackforge", "per-file-ignores"), "a b") == (4, 1)
    assert locate(text, ("tool", "rackforge"), "per-file-ignores") == (3, 1)
