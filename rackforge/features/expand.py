"""Expand a design's fabric patterns into explicit links, so users can see and diff what a pattern means.

Rack-level patterns (in a template or an inline rack) expand identically in every instance, so their links go
into that template's (or rack's) ``links`` as ``MOUNT:PORT`` endpoints and the template stays a template: no rack
needs to be instantiated. Design-level patterns become design-level ``links`` with ``RACK/MOUNT:PORT`` endpoints.
The links come out in the order the patterns lay them (the order validation uses), each with the pattern's
``cable``, ``transceivers`` and ``length`` exactly as written. Everything else in the document is kept as it is.
"""
from __future__ import annotations

import copy
from typing import Any

from rackforge.model.catalog import Problem


class ExpandError(Exception):
    """The design cannot be expanded: schema errors or patterns that do not fit (each a :class:`Problem`)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _walk(data: Any, pointer: str) -> Any:
    node = data
    for tok in pointer.split("/")[1:]:
        tok = tok.replace("~1", "/").replace("~0", "~")
        node = node[int(tok)] if isinstance(node, list) else node[tok]
    return node


def _link(a: str, b: str, pattern: dict) -> dict:
    out = {"a": a, "b": b, "cable": pattern["cable"]}
    if pattern.get("transceivers"):
        out["transceivers"] = list(pattern["transceivers"])
    if pattern.get("length") is not None:
        out["length"] = pattern["length"]
    return out


def expand_design(ld) -> dict:
    """The design document of ``ld`` (a :class:`~rackforge.engine.LoadedDesign`) with its patterns expanded.

    Raises :class:`ExpandError` when the design has schema errors or a pattern cannot expand.
    """
    import numpy as np

    from rackforge.engine import Context, Options

    if ld.design is None:
        raise ExpandError(ld.problems)
    net = Context(ld, Options()).network
    m = net.m
    if m.problems:
        raise ExpandError([Problem("RF005", h.message, ld.doc, ld.doc.path, h.pointer, h.hint) for h in m.problems])
    data = copy.deepcopy(ld.doc.data)
    for dn in m.defnets:
        body_ptr = dn.rdef.ptr
        body = _walk(data, body_ptr)
        patterns = body.get("patterns") or []
        if not patterns:
            continue
        names = dn.port_names()
        new = list(body.get("links") or [])
        if dn.links_a:
            a = np.concatenate(dn.links_a)
            b = np.concatenate(dn.links_b)
            s = np.concatenate(dn.links_src)
            for ai, bi, si in zip(a.tolist(), b.tolist(), s.tolist()):
                src = m.sources[si]
                if src.what == "link":
                    continue
                k = int(src.ptr.rsplit("/", 1)[1])
                new.append(_link(names[ai], names[bi], patterns[k]))
        body["links"] = new
        del body["patterns"]
    patterns = data.get("patterns") or []
    if patterns:
        srcs = [i for i, s in enumerate(m.sources) if s.ptr.startswith("/patterns/")]
        rows = np.flatnonzero(np.isin(m.link_src, srcs))
        a = m.port_names(m.links.port_a[rows])
        b = m.port_names(m.links.port_b[rows])
        k = [int(m.sources[s].ptr.rsplit("/", 1)[1]) for s in m.link_src[rows].tolist()]
        data["links"] = list(data.get("links") or []) + [_link(x, y, patterns[j]) for x, y, j in zip(a, b, k)]
        del data["patterns"]
    return data


def dump(data: dict, fmt: str) -> str:
    """The document as JSON (indented) or YAML (block style, keys in document order)."""
    if fmt == "json":
        import json

        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
