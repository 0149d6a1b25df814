"""Catalog references of a design written somewhere else (``expand -o``, ``configure -o``).

A design names its catalogs by paths relative to itself, confined to its repository (see
:func:`rackforge.model.catalog.resolve_catalog_path`). Writing the design to another folder keeps those references
valid by rewriting them relative to the new file; when a catalog would lie outside the new file's repository the
design could not name it, and the write is refused with a message saying what to do instead.
"""
from __future__ import annotations

import os
from pathlib import Path

from rackforge.errors import InputError


def refs_from(catalogs: list[Path], output: str) -> list[str] | None:
    """Catalog files as a design written to ``output`` names them (relative to it, ``/``-separated), or None when
    one lies outside that design's repository."""
    from rackforge.model.catalog import repo_root

    out_dir = Path(output).resolve().parent
    root = repo_root(out_dir)
    refs = []
    for c in catalogs:
        full = Path(c).resolve()
        try:
            full.relative_to(root)
        except ValueError:
            return None
        refs.append(os.path.relpath(full, out_dir).replace(os.sep, "/"))
    return refs


def rebase_catalogs(data: dict, source: str, output: str | None) -> dict:
    """``data`` (a design read from ``source``) with its ``catalogs`` rewritten for a file at ``output``.

    Written to stdout (``output`` None) or from stdin, the references are left as they are. Raises InputError
    (naming the catalog and both files) when a catalog would lie outside the output's repository."""
    refs = data.get("catalogs")
    if not refs or output is None or source in ("-", "<stdin>"):
        return data
    src_dir = Path(source).resolve().parent
    full = [(src_dir / r).resolve() for r in refs]
    new = refs_from(full, output)
    if new is None:
        raise InputError(f"cannot write the design to {output!r}: its catalogs {refs} would lie outside that "
                         "file's repository, where a design may not name them", file=source, pointer="/catalogs",
                         hint="write it inside the same repository, or copy the catalogs beside it")
    return {**data, "catalogs": new}
