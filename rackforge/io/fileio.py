"""Atomic output: a failed run never leaves a half-written report or BOM."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and an atomic rename."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        from rackforge.errors import InputError

        why = "its folder does not exist" if not folder.is_dir() else (exc.strerror or str(exc)).lower()
        raise InputError(f"cannot write {str(path)!r}: {why}", file=str(path),
                         hint="create the folder first" if not folder.is_dir() else None) from None
    try:
        # mkstemp creates 0600; give the file the mode a plain open() would (0666 less the umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def prune_files(folder: str | Path, pattern: str, *, keep: int | None = None,
                max_age_s: float | None = None, now: float | None = None) -> int:
    """Delete cache files matching ``pattern`` in ``folder``: all but the ``keep`` most recently modified, and
    those not modified for ``max_age_s`` seconds. Files that vanish or cannot be deleted are left to the next
    call (several processes may prune at once). Returns the number deleted."""
    import time

    entries = []
    try:
        with os.scandir(folder) as it:
            for e in it:
                if e.is_file() and Path(e.name).match(pattern):
                    try:
                        entries.append((e.stat().st_mtime, e.path))
                    except OSError:
                        pass
    except OSError:
        return 0
    entries.sort(reverse=True)
    now = time.time() if now is None else now
    doomed = entries[keep:] if keep is not None else []
    if max_age_s is not None:
        doomed += [x for x in (entries[:keep] if keep is not None else entries) if now - x[0] > max_age_s]
    n = 0
    for _, p in doomed:
        try:
            os.unlink(p)
            n += 1
        except OSError:
            pass
    return n
