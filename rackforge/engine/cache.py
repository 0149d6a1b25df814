"""Validation of many designs: a per-user result cache and one process per core.

**Cache.** ``rackforge validate`` keeps each design's findings under ``$XDG_CACHE_HOME/rackforge/results/``
(``~/.cache/rackforge/results/`` when XDG_CACHE_HOME is unset or relative), beside the numba kernel cache and
the validated default catalog (:mod:`rackforge.model.catalog_cache`). Like a linter's cache, an entry is keyed by
a SHA-256 over everything the findings depend on:

* the design file's bytes;
* the bytes of every catalog it is checked with: the default catalog's files, ``--catalog`` and configuration
  catalogs, and the catalogs the design names;
* the settings that change findings: selected and ignored rules (with per-file ignores), generation,
  operating point, and today's date (waivers expire);
* rackforge's version and the size and modification time of each of its source files (an edited checkout is
  a new version), and Python's version.

The design's path is not in the key: findings are stored with the design's own path left out and get the path
they are asked for back, so identical copies of a design are analysed once. Settings that only change the
report (format, fail-on, exit-zero, statistics) are not in the key either. Input errors (exit 2) are not
cached. ``--no-cache`` or ``RACKFORGE_NO_CACHE=1`` turn the cache off; delete the folder to empty it. Entries
are written atomically; one that cannot be read is ignored and rewritten; a cache folder that cannot be
written is not used. Whoever can write the user's cache folder can already change what the user's processes
run (numba's cache is there too), so entries are trusted like those.

**Processes.** Designs not in the cache are validated in a pool of worker processes (``--jobs``, default one
per core) when there are enough of them to pay for the pool; each worker validates a share of the files in the
order given and the results are reported in that order, so the output is the same byte for byte as a serial
run.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Any, Sequence

#: misses from which a process pool is used (fork costs ~10-30 ms per worker; a design ~0.1-0.5 s)
MIN_PARALLEL = 4

_code_fp: str | None = None


def results_dir(environ=os.environ) -> Path:
    from rackforge.model.catalog_cache import cache_dir

    return cache_dir(environ) / "results"


def code_fingerprint() -> str:
    """rackforge's version, Python's, and (path, size, mtime) of every file of the package and the default
    catalog: any edit of a checkout changes it."""
    global _code_fp
    if _code_fp is None:
        from rackforge._version import __version__
        from rackforge.model.catalog import default_catalog_dir

        h = hashlib.sha256(f"{__version__}\0{sys.version}\0".encode())
        pkg = Path(__file__).resolve().parents[1]
        for root in (pkg, default_catalog_dir()):
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
                for name in sorted(filenames):
                    if name.endswith((".pyc", ".tmp")):
                        continue
                    p = os.path.join(dirpath, name)
                    try:
                        st = os.stat(p)
                    except OSError:
                        continue
                    h.update(f"{os.path.relpath(p, root)}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        _code_fp = h.hexdigest()
    return _code_fp


class ResultCache:
    """Findings per design, keyed by content (see the module text)."""

    def __init__(self, enabled: bool = True, folder: Path | None = None, environ=os.environ) -> None:
        self.enabled = enabled and not environ.get("RACKFORGE_NO_CACHE")
        self.folder = folder if folder is not None else results_dir(environ)
        self._catalog_bytes: dict[str, bytes | None] = {}

    def _file_digest(self, path: str) -> bytes | None:
        if path not in self._catalog_bytes:
            try:
                self._catalog_bytes[path] = hashlib.sha256(Path(path).read_bytes()).digest()
            except OSError:
                self._catalog_bytes[path] = None
        return self._catalog_bytes[path]

    def key(self, path: str, *, select: Sequence[str] = (), ignore: Sequence[str] = (),
            generation: str | None = None, catalogs: Sequence[str] = (), operating_point: str | None = None,
            today: _dt.date | None = None) -> str | None:
        """The cache key of validating ``path`` with these settings; None when it cannot be cached (stdin, an
        unreadable file or catalog: validation reports those)."""
        if not self.enabled or path == "-":
            return None
        try:
            data = Path(path).read_bytes()
        except OSError:
            return None
        h = hashlib.sha256(code_fingerprint().encode())
        settings = repr((tuple(select), tuple(ignore), generation, operating_point,
                         (today or _dt.date.today()).isoformat()))
        h.update(settings.encode() + b"\0")
        cats = [(c, c) for c in catalogs] + [(f"design:{c}", c) for c in self._named_catalogs(path, data)]
        for label, c in cats:
            d = self._file_digest(c)
            if d is None:
                return None
            h.update(label.encode() + b"\0" + d)
        h.update(b"design\0" + data)
        return h.hexdigest()

    @staticmethod
    def _named_catalogs(path: str, data: bytes) -> list[str]:
        """The catalog files a design names (resolved), read only when its text mentions 'catalogs'."""
        if b"catalogs" not in data:
            return []
        from rackforge.errors import InputError
        from rackforge.io.document import load_document
        from rackforge.model.catalog import resolve_catalog_path

        try:
            doc = load_document(path)
            named = doc.data.get("catalogs", []) if isinstance(doc.data, dict) else []
            return [str(resolve_catalog_path(c, path)) for c in named if isinstance(c, str)] \
                if isinstance(named, list) else []
        except InputError:
            return ["\0unresolvable"]  # not cacheable: _file_digest fails on it

    def get(self, key: str | None, path: str):
        if key is None:
            return None
        try:
            with open(self.folder / f"{key}.pickle", "rb") as fh:
                stored = pickle.load(fh)
            os.utime(self.folder / f"{key}.pickle")  # used: kept when the cache is pruned (catalog_cache)
        except Exception:  # missing, truncated, or from other code: validate again
            return None
        return _with_path(stored, path)

    @staticmethod
    def retarget(findings: list, old: str, new: str) -> list:
        """The findings of the design at ``old`` for an identical design at ``new``."""
        return findings if old == new else _with_path(_without_path(findings, old), new)

    def put(self, key: str | None, path: str, findings: list) -> None:
        if key is None:
            return
        try:
            from rackforge.io.fileio import atomic_write

            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self.folder / f"{key}.pickle",
                         pickle.dumps(_without_path(findings, path), protocol=pickle.HIGHEST_PROTOCOL))
        except Exception:  # read-only or full cache folder: run without the cache
            pass


_SELF = "\0design"


def _without_path(findings: list, path: str) -> list:
    import dataclasses

    return [dataclasses.replace(f, file=_SELF) if f.file == path else f for f in findings]


def _with_path(findings: list, path: str) -> list:
    import dataclasses

    return [dataclasses.replace(f, file=path) if f.file == _SELF else f for f in findings]


# --- processes ------------------------------------------------------------------------------------------------

def _validate_one(item: tuple[str, Any]) -> tuple[str, Any]:
    from rackforge.engine import validate
    from rackforge.errors import InputError

    path, opts = item
    try:
        res = validate(path, opts)
    except InputError as exc:
        return "error", exc
    return "ok", (res.path, res.findings)


def _init_worker(expected: int) -> None:
    from rackforge.engine import expect_designs
    from rackforge.solvers import kernel_threads

    expect_designs(expected)
    kernel_threads(1)  # one process per core: each one's kernels on one thread


def validate_many(items: list[tuple[str, Any]], jobs: int | None = None) -> list[tuple[str, Any]]:
    """``("ok", (path, findings))`` or ``("error", InputError)`` per ``(path, Options)``, in order; in a pool of
    ``jobs`` processes (default one per core) when there are at least :data:`MIN_PARALLEL` items."""
    from rackforge.engine import expect_designs

    jobs = jobs or os.cpu_count() or 1
    jobs = min(jobs, len(items))
    if jobs < 2 or len(items) < MIN_PARALLEL:
        prev = expect_designs(len(items))
        try:
            return [_validate_one(it) for it in items]
        finally:
            expect_designs(prev)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    share = -(-len(items) // jobs)
    chunk = max(1, -(-share // 4))
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                             initargs=(share,)) as pool:
        return list(pool.map(_validate_one, items, chunksize=chunk))
