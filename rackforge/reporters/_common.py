"""Helpers the machine-readable reporters share: repository-relative paths and stable fingerprints."""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

STDIN = "<stdin>"


@lru_cache(maxsize=8)
def repo_base(cwd: str) -> Path:
    """The folder paths are reported against: the nearest ancestor of ``cwd`` holding ``.git``, else ``cwd``.

    CI systems (GitHub code scanning and annotations, GitLab Code Quality) resolve paths against the root of
    the checked-out repository, which is where such jobs run.
    """
    start = Path(cwd).resolve()
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return start


def relative_path(path: str) -> str:
    """``path`` (as given on the command line) relative to the repository, with ``/`` separators.

    A path outside the repository stays absolute; ``<stdin>`` stays as it is.
    """
    if path == STDIN:
        return path
    base = repo_base(os.getcwd())
    full = Path(path).resolve()
    try:
        return full.relative_to(base).as_posix()
    except ValueError:
        return full.as_posix()


def fingerprint(*parts: object) -> str:
    """A stable hex digest of the given parts (no line numbers, so moving a block keeps it)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


def all_findings(results):
    for r in results:
        yield from r.findings
