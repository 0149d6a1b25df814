"""Numba's kernel cache: a per-user folder when the package folder is not writable, shared safely by
concurrent processes (numba writes cache files through a temporary file and an atomic rename)."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from rackforge._version import __version__
from rackforge.solvers import numba_cache_dir

ROOT = Path(__file__).resolve().parent.parent


def test_cache_dir_choice():
    never = lambda _: False  # noqa: E731
    always = lambda _: True  # noqa: E731
    pkg = "/opt/site-packages/rackforge/solvers"
    # the package folder is writable: numba's own __pycache__ beside the source
    assert numba_cache_dir(pkg, {"HOME": "/h"}, "1.2.3", writable=always) is None
    # the user chose a folder: keep it
    assert numba_cache_dir(pkg, {"NUMBA_CACHE_DIR": "/mine"}, "1.2.3", writable=never) is None
    # read-only install: XDG_CACHE_HOME, else ~/.cache
    assert numba_cache_dir(pkg, {"XDG_CACHE_HOME": "/x/cache"}, "1.2.3", writable=never) == \
        "/x/cache/rackforge/numba-1.2.3"
    home = os.path.expanduser("~")
    assert numba_cache_dir(pkg, {}, "1.2.3", writable=never) == f"{home}/.cache/rackforge/numba-1.2.3"
    # a relative XDG_CACHE_HOME is invalid per the XDG base directory spec and ignored
    assert numba_cache_dir(pkg, {"XDG_CACHE_HOME": "rel"}, "1.2.3", writable=never) == \
        f"{home}/.cache/rackforge/numba-1.2.3"


KERNELS = textwrap.dedent('''
    import numpy as np
    from numba import njit, prange

    @njit(cache=True)
    def darcy(f, L, D, rho, v):
        return f * L / D * rho * v * v / 2.0

    @njit(cache=True, parallel=True)
    def many(n):
        out = np.empty(n)
        for i in prange(n):
            out[i] = darcy(0.02, 1.0 + i, 0.01, 1000.0, 1.0)
        return out
''')

# The child pretends the installed package folder is read-only (as root, permissions cannot make it so),
# imports rackforge.solvers (which must pick the per-user folder), waits at a barrier so both children compile
# at the same moment, then compiles and runs the cached kernels and reports numba's cache statistics.
CHILD = textwrap.dedent('''
    import os, sys, time
    solvers_dir = os.path.join(sys.argv[1], "rackforge", "solvers")
    real_access = os.access
    os.access = lambda p, m, *a, **k: False if str(p).startswith(solvers_dir) else real_access(p, m, *a, **k)
    import rackforge.solvers
    os.access = real_access
    print("CACHE", os.environ["NUMBA_CACHE_DIR"])
    barrier, me, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
    open(os.path.join(barrier, me), "w").close()
    deadline = time.monotonic() + 120
    while len(os.listdir(barrier)) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    sys.path.insert(0, sys.argv[5])
    import kern
    out = kern.many(64)
    assert abs(kern.darcy(0.02, 1.0, 0.01, 1000.0, 1.0) - 1000.0) < 1e-9  # 0.02 * 100 * 500 Pa
    assert abs(out[9] - 10000.0) < 1e-9
    hits = sum(kern.darcy.stats.cache_hits.values()) + sum(kern.many.stats.cache_hits.values())
    misses = sum(kern.darcy.stats.cache_misses.values()) + sum(kern.many.stats.cache_misses.values())
    print("HITS", hits)
    print("MISSES", misses)
''')


def _children(tmp_path, n, tag):
    barrier = tmp_path / f"barrier-{tag}"
    barrier.mkdir()
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"), PYTHONPATH=str(ROOT))
    env.pop("NUMBA_CACHE_DIR", None)
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(ROOT), str(barrier), f"p{i}", str(n),
                               str(tmp_path / "src")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for i in range(n)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        outs.append(dict((line.split()[0], line.split()[1:]) for line in out.splitlines()))
    return outs


def test_read_only_package_uses_user_cache_and_two_processes_share_it(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "kern.py").write_text(KERNELS)
    expected = tmp_path / "xdg" / "rackforge" / f"numba-{__version__}"
    # two processes at once on a fresh cache folder: both compile, both succeed, neither sees a broken file
    first = _children(tmp_path, 2, "a")
    for o in first:
        assert o["CACHE"] == [str(expected)]
    index = sorted(p.name for p in expected.rglob("*.nbi"))
    assert any(n.startswith("kern.darcy") for n in index) and any(n.startswith("kern.many") for n in index)
    assert list(expected.rglob("*.nbc")) and not list(expected.rglob("*.tmp*"))
    # a later process loads both kernels from that cache instead of compiling them
    [later] = _children(tmp_path, 1, "b")
    assert int(later["HITS"][0]) >= 2 and later["MISSES"] == ["0"]
