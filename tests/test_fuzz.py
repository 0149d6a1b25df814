"""Robustness under hostile input (issue 20, issue 13 item 8): mutated seeds through all five commands.

Every run ends with exit 0, 1 or 2: never a traceback, never the internal-error exit (3), never a hang. The
mutations (tests/mutate.py) change types, units, magnitudes (0, negative, NaN, inf, 1e308, 10^100), part kinds,
references and counts (lists inflated to thousands, rows of 100,000 racks, counts of 10^9), in the design and in a
side catalog of altered parts. Here hypothesis drives them with a fixed budget (derandomized: the same examples
in every CI run); ``benches/fuzz.py`` runs thousands in subprocesses with CPU and memory caps. A mutant that once
failed is kept in ``tests/data/fuzz/`` and replayed by :func:`test_regression_case`.
"""
from __future__ import annotations

import contextlib
import io
import json
import random
import signal
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from rackforge.cli.app import main  # noqa: E402
from tests.mutate import CLASSES, COMMANDS, load_seed, mutate, seed_files, write_mutant  # noqa: E402

REGRESSIONS = Path(__file__).resolve().parent / "data" / "fuzz"
#: a run that takes longer than this is a hang (a guard against blocking CI, not a timing test: a seed's five
#: commands take about a second)
HANG_S = 120


class Hang(BaseException):
    """Not an Exception: rackforge's own handlers (a rule that raises becomes an internal error) must not
    catch it."""


def run_cli(argv: list[str]) -> tuple[int, str]:
    """Run one command in-process; (exit code, stdout + stderr)."""
    out, err = io.StringIO(), io.StringIO()

    def _alarm(signum, frame):
        raise Hang(f"{argv} ran for more than {HANG_S} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_S)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(argv)
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return code, out.getvalue() + err.getvalue()


def check_all_commands(design_path: Path, what: str) -> None:
    for cmd in COMMANDS:
        argv = [cmd, "-f", "concise", str(design_path)] if cmd == "validate" else [cmd, str(design_path)]
        code, text = run_cli(argv)
        assert "Traceback" not in text, f"{cmd} on {what}: traceback\n{text[-3000:]}"
        assert "internal error" not in text, f"{cmd} on {what}: {text[-1500:]}"
        assert code in (0, 1, 2), f"{cmd} on {what}: exit {code}\n{text[-1500:]}"


SEEDS = {p.name: load_seed(p) for p in seed_files()}


@settings(max_examples=24, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(seed=st.sampled_from(sorted(SEEDS)), classes=st.lists(st.sampled_from(CLASSES), min_size=1, max_size=3),
       rnd=st.randoms(use_true_random=False))
def test_mutated_seed_never_crashes(seed, classes, rnd):
    design, cat, ops = mutate(SEEDS[seed], rnd, classes, n=len(classes))
    with tempfile.TemporaryDirectory(prefix="rf-hyp-") as tmp:
        path = write_mutant(Path(tmp), design, cat)
        try:
            check_all_commands(path, f"{seed} with {ops}")
        except (AssertionError, Hang) as exc:
            raise AssertionError(f"{exc}\nmutant kept in {keep_failure(Path(tmp), seed, ops)}: copy that folder "
                                 "into tests/data/fuzz/ to make it a regression case") from exc


def keep_failure(folder: Path, seed: str, ops: list[str]) -> Path:
    """Copy a failing mutant to ./fuzz-failures/hyp-N (the layout of benches/fuzz.py --keep and tests/data/fuzz)."""
    import shutil

    root = Path("fuzz-failures")
    root.mkdir(exist_ok=True)
    n = len(list(root.glob("hyp-*")))
    dest = root / f"hyp-{n:03d}"
    shutil.copytree(folder, dest)
    (dest / "case.json").write_text(json.dumps({"seed": seed, "ops": ops, "found_by": "tests/test_fuzz.py"}, indent=1))
    return dest


@pytest.mark.parametrize("value", ["0 W", "-5 kW", "nan kW", "1e308 W", "1e400 W", "inf W"])
def test_absurd_power_is_a_finding_not_a_pass(value, tmp_path):
    """Negative, NaN, infinite and 1e308 powers are input errors with the field named, never a silent pass."""
    d = json.loads(json.dumps(SEEDS["gb200-nvl72.json"]))
    d["site"]["room_air_capacity_per_rack"] = value
    p = write_mutant(tmp_path, d, None)
    code, text = run_cli(["validate", "-f", "concise", str(p)])
    if value == "0 W":   # zero is a legal capacity: it must then be judged (the rack's heat exceeds it)
        assert code == 1 and "RF314" in text, text
    else:
        assert code == 1 and "room_air_capacity_per_rack" in text and ("RF001" in text or "RF008" in text), text


def test_count_of_a_billion_is_refused_with_the_bound(tmp_path):
    d = json.loads(json.dumps(SEEDS["gb200-nvl72.json"]))
    d["templates"]["nvl72"]["mounts"][0]["u"] = 10 ** 9
    p = write_mutant(tmp_path, d, None)
    code, text = run_cli(["validate", "-f", "concise", str(p)])
    assert code == 1 and "RF008" in text and "at most 100,000" in text, text


def test_huge_row_is_refused_at_once_naming_the_limit(tmp_path, monkeypatch):
    d = json.loads(json.dumps(SEEDS["gb200-nvl72.json"]))
    d["rows"] = [{"id": "big", "template": "nvl72", "count": 100000}]
    p = write_mutant(tmp_path, d, None)
    for cmd in COMMANDS:
        code, text = run_cli([cmd, str(p)])
        assert code == 1, (cmd, text)
        if cmd != "validate":   # validate reports it in its format on stdout
            assert "RF910" in text and "RACKFORGE_MAX_ELEMENTS" in text, (cmd, text)
    # 100,000 racks + the seed's own one, x 2,869 elements each (counted by tests/test_fuzz.py's author from the
    # seed: 45 mounts and their ports, 2,824, plus no rack-level links) = 100,001 x 2,869 = 286,902,869
    code, text = run_cli(["validate", "-f", "concise", str(p)])
    assert "RF910" in text and "286,902,869 elements" in text and "100,001 racks" in text, text
    # the root option sets the variable in this process: setenv first, so that monkeypatch restores its absence
    monkeypatch.setenv("RACKFORGE_MAX_ELEMENTS", "3000000")
    code, text = run_cli(["--max-elements", "0", "analyze", str(write_mutant(tmp_path / "s", SEEDS[
        "hgx-h100-air.yaml"], None))])
    assert code == 0, text


def test_internal_error_is_one_line_with_exit_3(monkeypatch, tmp_path):
    """A rule that raises (here: a module that fails to import) names the rule, the command and the file, asks
    for a report, exits 3; the traceback only with --debug or RACKFORGE_DEBUG."""
    import dataclasses

    from rackforge.rules import REGISTRY, all_rules

    all_rules()
    r = REGISTRY["RF101"]

    def boom(ctx):
        import rackforge_no_such_module  # noqa: F401
        yield

    monkeypatch.setitem(REGISTRY, "RF101", dataclasses.replace(r, check=boom))
    monkeypatch.delenv("RACKFORGE_DEBUG", raising=False)
    code, text = run_cli(["validate", "seeds/gb200-nvl72.json"])
    assert code == 3, text
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in text, text
    assert "internal error in rule RF101 (rack-unit-overlap) during 'validate' on seeds/gb200-nvl72.json" in text
    assert "ModuleNotFoundError" in text and "please report it" in text
    from rackforge.errors import InternalError

    with pytest.raises(InternalError) as exc:   # uncaught: python prints the chained traceback
        main(["--debug", "validate", "seeds/gb200-nvl72.json"])
    assert isinstance(exc.value.__cause__, ModuleNotFoundError)
    monkeypatch.setenv("RACKFORGE_DEBUG", "1")
    with pytest.raises(InternalError):
        main(["validate", "seeds/gb200-nvl72.json"])


def _regression_cases() -> list[Path]:
    return sorted(p for p in REGRESSIONS.glob("*/design.json")) if REGRESSIONS.is_dir() else []


@pytest.mark.parametrize("design", _regression_cases(), ids=lambda p: p.parent.name)
def test_regression_case(design):
    """Mutants that once crashed, hung or ran out of memory (found by benches/fuzz.py; case.json says how)."""
    case = json.loads((design.parent / "case.json").read_text())
    check_all_commands(design, f"{design.parent.name}: {case.get('ops')}")


def test_server_with_5000_feeds_is_refused(tmp_path):
    """benches/fuzz.py --seed 2028 --seeds seeds/hall/..., mutant 215 (gb200-hall-full, 88 kB, kept out of tests/
    data): a switch's `feeds` list grown to 5,002 PDUs made 5,002 virtual PSUs, and the fault scenarios' arrays
    (61 x 422,184 floats) ran bom and report out of their 2 GiB. A mount lists at most 64 feeds, like a PSU set."""
    import copy

    d = copy.deepcopy(SEEDS["hgx-h100-air.yaml"])
    node = next(m for m in d["templates"]["h100-rack"]["mounts"] if m["id"] == "node1")
    node["feeds"] = node["feeds"] * 1251            # 4 PDUs x 1,251 = 5,004 cords
    p = write_mutant(tmp_path, d, None)
    code, text = run_cli(["validate", "-f", "concise", str(p)])
    assert code == 1 and "RF001" in text and "feeds: List should have at most 64 items" in text, text


def test_rack_with_5000_feeds_is_refused(tmp_path):
    """benches/fuzz.py --seed 2029 --seeds seeds/hall/..., mutant 227 (gb200-hall-full): a rack's power feeds grown
    to 5,001 made the fault scenarios' arrays (61 x 300,504 floats) run every command out of its 2 GiB."""
    import copy

    d = copy.deepcopy(SEEDS["gb200-nvl72.json"])
    feeds = d["templates"]["nvl72"]["power"]["feeds"]
    feeds.extend({**copy.deepcopy(feeds[0]), "id": f"F{j}"} for j in range(5000))
    p = write_mutant(tmp_path, d, None)
    code, text = run_cli(["validate", "-f", "concise", str(p)])
    assert code == 1 and "RF001" in text and "feeds: List should have at most 64 items" in text, text


def test_mutator_is_reproducible():
    a = mutate(SEEDS["gb200-nvl72.json"], random.Random("20:7"))
    b = mutate(SEEDS["gb200-nvl72.json"], random.Random("20:7"))
    assert a == b


def test_rack_of_5000_servers_is_refused(tmp_path):
    """Fuzz seed 2026 mutant 397 (kept out of tests/data: 800 kB): 5,000 copies of a server in one rack spent
    minutes in the k^2 fault-pair sweep and needed ~8 GB of dense scenario arrays; now RF008 on load."""
    import copy

    d = copy.deepcopy(SEEDS["hgx-h100-air.yaml"])
    ms = d["templates"]["h100-rack"]["mounts"]
    node = next(m for m in ms if m["id"] == "node1")
    ms.extend({**copy.deepcopy(node), "id": f"n{j}", "u": 50 + j} for j in range(5000))
    p = write_mutant(tmp_path, d, None)
    code, text = run_cli(["validate", "-f", "concise", str(p)])
    assert code == 1 and "RF008" in text and "'mounts' has 5,009 entries" in text and "at most 256" in text, text
