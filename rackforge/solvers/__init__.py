"""Pure numerical solvers: SI floats and numpy arrays in, arrays out.

Nothing in this package imports pydantic, pint, the CLI or does I/O (beyond numba's kernel cache).

Numba kernel cache: the kernels are compiled with ``@njit(cache=True)``; numba keeps the compiled code in
the ``__pycache__`` folder beside the source. When rackforge is installed where that folder is not writable
(a system or read-only site-packages), this module points numba at a per-user folder instead, before numba
is imported: ``$XDG_CACHE_HOME/rackforge/numba-<version>`` (``~/.cache/...`` when XDG_CACHE_HOME is unset),
unless the user set ``NUMBA_CACHE_DIR``. The version in the name keeps caches of different releases apart.

Several processes may share one cache folder: numba writes each cache file to a unique temporary file and
then renames it into place, and tolerates lost cache files and entries ("Notes on Caching", Cache Sharing,
https://numba.readthedocs.io/en/stable/developer/caching.html#cache-sharing); on a network file system this
holds where rename is atomic. ``tests/test_numba_cache.py`` runs two processes at once on a fresh folder.
"""
from __future__ import annotations

import os as _os
import sys as _sys


def _writable(folder: str) -> bool:
    cache = _os.path.join(folder, "__pycache__")
    return _os.access(cache if _os.path.isdir(cache) else folder, _os.W_OK)


def numba_cache_dir(package_dir: str, environ, version: str, writable=_writable) -> str | None:
    """The folder to give numba as ``NUMBA_CACHE_DIR``, or None to keep numba's choice.

    None when the user set ``NUMBA_CACHE_DIR`` or when ``package_dir`` (its ``__pycache__``) is writable.
    """
    if environ.get("NUMBA_CACHE_DIR"):
        return None
    if writable(package_dir):
        return None
    base = environ.get("XDG_CACHE_HOME") or ""
    if not _os.path.isabs(base):  # the XDG base directory spec says to ignore relative paths
        base = _os.path.join(_os.path.expanduser("~"), ".cache")
    return _os.path.join(base, "rackforge", f"numba-{version}")


def _configure_numba_cache() -> None:
    from rackforge._version import __version__

    folder = numba_cache_dir(_os.path.dirname(_os.path.abspath(__file__)), _os.environ, __version__)
    if folder is None:
        return
    _os.environ["NUMBA_CACHE_DIR"] = folder
    if "numba" in _sys.modules:  # numba read its configuration already: set it there too
        from numba.core import config

        config.CACHE_DIR = folder


_configure_numba_cache()


def kernel_threads(n: int) -> None:
    """Run this process's parallel kernels (numba ``prange``: fault batches of the power and cooling solvers) on
    ``n`` threads.

    For a process that shares the machine with one sibling per core (``validate`` of many files, a Dask worker
    task): numba's default is one thread per core in every process, and its idle threads spin between parallel
    regions, taking CPU from the sibling processes. Before numba is imported this sets ``NUMBA_NUM_THREADS``
    (numba's pool is then made that small); after, it calls ``numba.set_num_threads`` (at most the pool's size).
    Results do not depend on the thread count. A ``NUMBA_NUM_THREADS`` the user set is overridden in the processes
    that call this (the pool's workers, Dask tasks): with one process per core, more threads per process only spin.
    """
    n = max(int(n), 1)
    if "numba" not in _sys.modules:
        _os.environ["NUMBA_NUM_THREADS"] = str(n)
        return
    import numba

    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
