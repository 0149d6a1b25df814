"""Reading design and catalog files: JSON or YAML, with limits, and a map from JSON Pointer to line:col.

Parsing is the fast path (``json.loads`` or libyaml); the position map is built only when there is
something to report (:meth:`Document.locate`). YAML aliases are counted before anything is built, so a
"billion laughs" document is refused in milliseconds with bounded memory, and nesting depth is checked
before the parser can recurse.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rackforge.errors import InputError

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_YAML_NODES = 5_000_000

YAML_SUFFIXES = {".yaml", ".yml"}
JSON_SUFFIXES = {".json"}
DESIGN_SUFFIXES = YAML_SUFFIXES | JSON_SUFFIXES


def escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer_from_loc(loc: tuple | list) -> str:
    """JSON Pointer (RFC 6901) from a pydantic error location, dropping discriminator tags."""
    return "".join("/" + escape_token(str(p)) for p in loc)


@dataclass
class Document:
    path: str                      # as given (for messages)
    text: str
    data: Any
    fmt: str                       # "json" or "yaml"
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (pointer, key)
    _positions: dict[str, tuple[int, int]] | None = field(default=None, repr=False)
    _yaml_node: Any = field(default=None, repr=False)

    def locate(self, pointer: str) -> tuple[int | None, int | None]:
        """line, col (1-based) of the value at ``pointer``; the nearest existing ancestor when it is absent."""
        if self._positions is None:
            self._positions = (_json_positions(self.text) if self.fmt == "json"
                               else _yaml_positions(self._yaml_node))
        p = pointer
        while True:
            if p in self._positions:
                return self._positions[p]
            if not p:
                return (1, 1)
            p = p[: p.rfind("/")]


def read_text(path: str) -> tuple[str, str]:
    """Read a file (or ``-`` for stdin) as UTF-8 text; InputError for anything unreadable."""
    if path == "-":
        raw = sys.stdin.buffer.read(MAX_BYTES + 1)
        shown = "<stdin>"
    else:
        p = Path(path)
        shown = path
        if not p.exists():
            raise InputError("file not found", file=shown)
        if p.is_dir():
            raise InputError("is a folder, not a file", file=shown)
        try:
            if p.stat().st_size > MAX_BYTES:
                raise InputError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB", file=shown)
            raw = p.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", file=shown) from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"input is larger than {MAX_BYTES // (1024 * 1024)} MiB", file=shown)
    if b"\x00" in raw[:8192]:
        raise InputError("binary file: expected a JSON or YAML text document", file=shown)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text: expected a JSON or YAML document", file=shown, line=line, col=1) from None
    return shown, text


def load_document(path: str, fmt: str | None = None) -> Document:
    shown, text = read_text(path)
    if not text.strip():
        raise InputError("empty file: expected a JSON or YAML document", file=shown)
    if fmt is None:
        suffix = Path(path).suffix.lower() if path != "-" else ""
        if suffix in JSON_SUFFIXES:
            fmt = "json"
        elif suffix in YAML_SUFFIXES:
            fmt = "yaml"
        else:
            fmt = "json" if text.lstrip()[:1] in "{[" else "yaml"
    _check_depth(text, shown)
    if fmt == "json":
        return _load_json(shown, text)
    return _load_yaml(shown, text)


_STRINGS = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\n]|\'\')*\'')


def _check_depth(text: str, shown: str) -> None:
    """Refuse documents nested deeper than MAX_DEPTH before a recursive parser sees them."""
    depth = 0
    worst = 0
    stripped = _STRINGS.sub('""', text) if ('"' in text or "'" in text) else text
    for m in re.finditer(r"[\[\]{}]", stripped):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > worst:
                worst = depth
                if worst > MAX_DEPTH:
                    line = stripped.count("\n", 0, m.start()) + 1
                    raise InputError(f"document nested deeper than {MAX_DEPTH} levels", file=shown, line=line,
                                     col=1, hint="rackforge designs are at most a few levels deep")
        else:
            depth -= 1
    # block-style YAML depth: count distinct indentation steps cheaply
    widest = max((len(m.group()) for m in re.finditer(r"(?m)^[ \t]+(?=\S)", stripped)), default=0)
    if widest > MAX_DEPTH * 8:
        raise InputError(f"document indented deeper than {MAX_DEPTH * 8} columns", file=shown,
                         hint="rackforge designs are at most a few levels deep")


def _load_json(shown: str, text: str) -> Document:
    dups: list[tuple[str, str]] = []

    def hook(pairs):
        d = {}
        for k, v in pairs:
            if k in d:
                dups.append(("", k))
            d[k] = v
        return d

    try:
        data = json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        what = "truncated JSON" if exc.pos >= len(text.rstrip()) else "malformed JSON"
        raise InputError(f"{what}: {exc.msg}", file=shown, line=exc.lineno, col=exc.colno) from None
    except RecursionError:
        raise InputError("document nested too deeply", file=shown) from None
    doc = Document(shown, text, data, "json")
    if dups:
        # find the pointers of the duplicated keys from the position scan (rare path)
        doc.duplicates = _json_duplicates(text)
    return doc


def _yaml_loader_cls():
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(shown: str, text: str) -> Document:
    import yaml

    loader = _yaml_loader_cls()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError("empty document: expected a YAML mapping", file=shown)
        _check_yaml_size(node, shown)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "malformed YAML"
        truncated = mark is not None and mark.index >= len(text.rstrip()) - 1
        raise InputError(("truncated YAML: " if truncated else "malformed YAML: ") + str(what), file=shown,
                         line=(mark.line + 1) if mark else None, col=(mark.column + 1) if mark else None) from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", file=shown) from None
    except RecursionError:
        raise InputError("document nested too deeply", file=shown) from None
    finally:
        loader.dispose()
    doc = Document(shown, text, data, "yaml", _yaml_node=node)
    doc.duplicates = _yaml_duplicates(node)
    return doc


def _check_yaml_size(node, shown: str) -> None:
    """Count nodes as if aliases were expanded; refuse alias bombs before construction."""
    import yaml

    memo: dict[int, int] = {}
    stack = [(node, 0)]
    # iterative post-order with memo on node identity (aliases share node objects)
    order = []
    seen = set()
    while stack:
        n, depth = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if depth > MAX_DEPTH * 2:
            raise InputError(f"document nested deeper than {MAX_DEPTH} levels", file=shown,
                             line=n.start_mark.line + 1, col=n.start_mark.column + 1)
        order.append(n)
        if isinstance(n, yaml.SequenceNode):
            stack.extend((c, depth + 1) for c in n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))
    for n in reversed(order):
        if isinstance(n, yaml.SequenceNode):
            size = 1 + sum(memo.get(id(c), 1) for c in n.value)
        elif isinstance(n, yaml.MappingNode):
            size = 1 + sum(memo.get(id(k), 1) + memo.get(id(v), 1) for k, v in n.value)
        else:
            size = 1
        if size > MAX_YAML_NODES:
            raise InputError(f"document expands to more than {MAX_YAML_NODES:,} nodes (YAML alias bomb?)",
                             file=shown, line=n.start_mark.line + 1, col=n.start_mark.column + 1,
                             hint="remove the repeated anchors/aliases")
        memo[id(n)] = size


def _yaml_walk(node, pointer: str, out: dict, dups: list | None, seen: set) -> None:
    import yaml

    if id(node) in seen:  # alias: position of the anchor is good enough, do not expand
        out.setdefault(pointer, (node.start_mark.line + 1, node.start_mark.column + 1))
        return
    out[pointer] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen.add(id(node))
        keys = set()
        for k, v in node.value:
            key = str(k.value)
            child = pointer + "/" + escape_token(key)
            if dups is not None and key in keys:
                dups.append((child, key))
            keys.add(key)
            _yaml_walk(v, child, out, dups, seen)
    elif isinstance(node, yaml.SequenceNode):
        seen.add(id(node))
        for i, v in enumerate(node.value):
            _yaml_walk(v, f"{pointer}/{i}", out, dups, seen)


def _yaml_positions(node) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    if node is not None:
        _yaml_walk(node, "", out, None, set())
    return out


def _yaml_duplicates(node) -> list[tuple[str, str]]:
    import yaml

    # cheap check first: any mapping with repeated keys at all?
    stack = [node]
    found = False
    seen = set()
    while stack and not found:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.MappingNode):
            ks = [str(k.value) for k, _ in n.value]
            if len(ks) != len(set(ks)):
                found = True
            stack.extend(v for _, v in n.value)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    if not found:
        return []
    dups: list[tuple[str, str]] = []
    _yaml_walk(node, "", {}, dups, set())
    return dups


# --- JSON position scanner -------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\r\n]*")
_JSTR = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_JSCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")


class _Scanner:
    """A small JSON scanner that records where each value starts (line, col), keyed by JSON Pointer."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.out: dict[str, tuple[int, int]] = {}
        self.dups: list[tuple[str, str]] = []
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def lc(self, pos: int) -> tuple[int, int]:
        import bisect

        i = bisect.bisect_right(self.line_starts, pos) - 1
        return i + 1, pos - self.line_starts[i] + 1

    def ws(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()

    def scan(self) -> None:
        # iterative to stay safe on deep documents
        text = self.text
        pos = self.ws(0)
        # stack of (kind, pointer, index/keys)
        stack: list[list] = []
        pointer = ""
        expect_value = True
        while True:
            pos = self.ws(pos)
            if pos >= len(text):
                return
            c = text[pos]
            if expect_value:
                self.out[pointer] = self.lc(pos)
                if c == "{":
                    stack.append(["o", pointer, set()])
                    pos = self.ws(pos + 1)
                    if pos < len(text) and text[pos] == "}":
                        stack.pop()
                        pos += 1
                        expect_value = False
                        continue
                    pos, pointer = self._key(pos, stack[-1])
                    continue
                if c == "[":
                    stack.append(["a", pointer, 0])
                    pos = self.ws(pos + 1)
                    if pos < len(text) and text[pos] == "]":
                        stack.pop()
                        pos += 1
                        expect_value = False
                        continue
                    pointer = stack[-1][1] + "/0"
                    continue
                if c == '"':
                    m = _JSTR.match(text, pos)
                else:
                    m = _JSCALAR.match(text, pos)
                if not m:
                    return
                pos = m.end()
                expect_value = False
                continue
            # after a value
            if not stack:
                return
            top = stack[-1]
            if c == ",":
                pos = self.ws(pos + 1)
                if top[0] == "o":
                    pos, pointer = self._key(pos, top)
                else:
                    top[2] += 1
                    pointer = f"{top[1]}/{top[2]}"
                expect_value = True
                continue
            if c in "}]":
                stack.pop()
                pos += 1
                expect_value = False
                continue
            return

    def _key(self, pos: int, top: list) -> tuple[int, str]:
        m = _JSTR.match(self.text, pos)
        if not m:
            return len(self.text), top[1]
        key = json.loads(m.group())
        ptr = top[1] + "/" + escape_token(key)
        if key in top[2]:
            self.dups.append((ptr, key))
        top[2].add(key)
        pos = self.ws(m.end())
        if pos < len(self.text) and self.text[pos] == ":":
            pos += 1
        return pos, ptr


def _json_positions(text: str) -> dict[str, tuple[int, int]]:
    s = _Scanner(text)
    s.scan()
    return s.out


def _json_duplicates(text: str) -> list[tuple[str, str]]:
    s = _Scanner(text)
    s.scan()
    return s.dups
