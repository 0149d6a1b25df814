"""A per-user cache of the validated default catalog, so a fresh process does not re-validate it.

Validating the embedded catalog (every part through its pydantic model) costs ~30 ms per process, about a
tenth of a one-design ``rackforge validate``; unpickling the result costs ~1 ms. The cache file is
``$XDG_CACHE_HOME/rackforge/catalog-<key>.pickle`` (``~/.cache/...`` when XDG_CACHE_HOME is unset or
relative), beside numba's kernel cache. Its key is a SHA-256 over everything the result depends on:

* the bytes and names of every catalog file, and the folder they were read from (the result records paths);
* the versions of rackforge, pydantic, pydantic-core and Python (the pickled models are theirs).
* the source of ``rackforge/model/schema/*.py`` (a model pickled before a field was added lacks that field).

Change a catalog file and the key changes: the catalog is validated again and a new file written. A cache
that cannot be read (missing, truncated, written by other code) is ignored and rebuilt; one that cannot be
written (read-only home) is simply not written. ``RACKFORGE_NO_CATALOG_CACHE=1`` turns the cache off. Files are
written atomically (:func:`rackforge.io.fileio.atomic_write`), so processes racing on one cache see a whole file
or none. Like numba's kernel cache beside it, the cache trusts the user's own cache folder: whoever can
write there can already change what the user's processes run.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Callable

__all__ = ["cache_dir", "cache_key", "load_or_build"]


def cache_dir(environ=os.environ) -> Path:
    """The per-user cache folder of rackforge (the XDG base directory rules)."""
    base = environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rackforge"


def cache_key(folder: Path, files: list[Path]) -> str:
    """SHA-256 (hex) of the catalog files' names and bytes, their folder and the library versions."""
    import pydantic
    import pydantic_core

    from rackforge._version import __version__

    h = hashlib.sha256()
    for part in (__version__, pydantic.VERSION, pydantic_core.__version__, sys.version, str(folder)):
        h.update(part.encode() + b"\0")
    # the schema's source too: a pickled model of an older schema (a field added since) must not be reused
    for src in sorted((Path(__file__).parent / "schema").glob("*.py")):
        h.update(src.name.encode() + b"\0" + src.read_bytes())
    for p in files:
        h.update(str(p.relative_to(folder)).encode() + b"\0")
        data = p.read_bytes()
        h.update(str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()


#: Catalog pickles kept (the newest by modification time; a hit refreshes it). Each install, catalog change or
#: schema change writes a new one, so without a bound the folder grows with every upgrade.
KEEP_CATALOGS = 8
#: Result-cache entries (``results/``, see :mod:`rackforge.engine.cache`) unused for this long are deleted when
#: a new catalog pickle is written (an upgrade or a catalog change: the moment old results go stale).
RESULTS_MAX_AGE_S = 30 * 86400


def prune_cache(folder: Path) -> None:
    """Bound the cache folder: :data:`KEEP_CATALOGS` catalog pickles, results used in the last 30 days."""
    from rackforge.io.fileio import prune_files

    prune_files(folder, "catalog-*.pickle", keep=KEEP_CATALOGS)
    prune_files(folder / "results", "*.pickle", max_age_s=RESULTS_MAX_AGE_S)


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


def load_or_build(folder: Path, files: list[Path], build: Callable[[], object], environ=os.environ):
    """The cached result of ``build()`` for these catalog files, or ``build()`` (then cached)."""
    if environ.get("RACKFORGE_NO_CATALOG_CACHE"):
        return build()
    try:
        path = cache_dir(environ) / f"catalog-{cache_key(folder, files)}.pickle"
    except OSError:
        return build()
    try:
        with open(path, "rb") as fh:
            out = pickle.load(fh)
        _touch(path)  # the newest stay when the folder is pruned
        return out
    except Exception:  # missing, truncated or unreadable: rebuild
        pass
    result = build()
    try:
        from rackforge.io.fileio import atomic_write

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        prune_cache(path.parent)
    except Exception:  # read-only or full cache folder, or an unpicklable result: run without the cache
        pass
    return result
