"""Start-up budget: validating a seed design imports none of the heavy libraries (issue 8, "Speed").

numba (~0.5 s with its kernels), scipy (0.1-0.2 s), networkx (~0.1 s), pint and CoolProp are each worth a
large share of a one-design `rackforge validate`, and dask, pyarrow and matplotlib belong to `sweep` and
`envelope` only; the paths a seed takes (dense numpy solvers, numpy graph
code, tabulated coolant properties) must not need them. A fresh process per check.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import seed_files

HEAVY = ("numba", "scipy", "networkx", "pint", "CoolProp", "dask", "distributed", "pyarrow", "matplotlib")
PROBE = """
import json, sys
import rackforge.cli.app
try:
    rackforge.cli.app.main(["validate", "-f", "json", *sys.argv[1:]])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "heavy": sorted(m for m in %r if m in sys.modules)}), file=sys.stderr)
""" % (HEAVY,)


def _probe(*paths):
    out = subprocess.run([sys.executable, "-c", PROBE, *map(str, paths)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent)
    return json.loads(out.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("seed", seed_files(), ids=lambda p: Path(p).name)
def test_validating_a_seed_imports_no_heavy_library(seed):
    got = _probe(seed)
    assert got == {"code": 0, "heavy": []}


def test_a_few_designs_stay_on_the_light_path_and_many_take_numba(tmp_path):
    from rackforge.engine import NUMBA_MIN_DESIGNS

    seeds = seed_files()
    few = [seeds[i % len(seeds)] for i in range(3)]
    assert _probe(*few) == {"code": 0, "heavy": []}
    many = []
    for i in range(NUMBA_MIN_DESIGNS):
        src = Path(seeds[i % len(seeds)])
        dst = tmp_path / f"d{i}{src.suffix}"
        dst.write_text(src.read_text())
        many.append(dst)
    got = _probe("--no-cache", "--jobs", "1", *many)   # in this process (workers would load numba themselves)
    assert got["code"] == 0 and "numba" in got["heavy"]
