"""Thread pools of a process that shares the cores with its siblings (validate of many files, Dask tasks).

Numba's and OpenBLAS's idle threads spin between parallel regions; with one process per core they take CPU from
the siblings, so workers run their kernels on one thread and the CLI runs OpenBLAS on one. These tests check
the settings take effect (fresh interpreters: both libraries read their settings once, when loaded).
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def _run(code: str, **env) -> str:
    e = {k: v for k, v in os.environ.items() if k not in ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    e.update(env)
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=e,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_kernel_threads_before_numba_is_loaded():
    got = _run("""
        from rackforge.solvers import kernel_threads
        kernel_threads(1)
        import numba
        print(numba.config.NUMBA_NUM_THREADS, numba.get_num_threads())
    """)
    assert got == "1 1"


def test_kernel_threads_after_numba_is_loaded():
    got = _run("""
        import numba
        from rackforge.solvers import kernel_threads
        before = numba.get_num_threads()
        kernel_threads(1)
        print(before, numba.get_num_threads())
    """, NUMBA_NUM_THREADS="2")
    assert got == "2 1"


def test_kernel_threads_before_load_wins_over_the_environment():
    got = _run("""
        from rackforge.solvers import kernel_threads
        kernel_threads(1)
        import numba
        print(numba.config.NUMBA_NUM_THREADS, numba.get_num_threads())
    """, NUMBA_NUM_THREADS="2")
    assert got == "1 1"


def test_cli_runs_openblas_on_one_thread_unless_told():
    code = """
        import os, sys
        from rackforge.cli import app
        app._quick_start()
        import numpy
        print(os.environ["OPENBLAS_NUM_THREADS"], "numpy" in sys.modules)
    """
    assert _run(code) == "1 True"
    assert _run(code, OPENBLAS_NUM_THREADS="2") == "2 True"


def test_validate_workers_run_kernels_on_one_thread():
    """The pool's initializer (fork): each worker ends with one numba thread."""
    got = _run("""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from rackforge.engine.cache import _init_worker

        def threads(_):
            import numba
            return numba.get_num_threads()

        if __name__ == "__main__":
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(2, mp_context=ctx, initializer=_init_worker, initargs=(1,)) as pool:
                print(sorted(set(pool.map(threads, range(4)))))
    """, NUMBA_NUM_THREADS="2")
    assert got == "[1]"
