"""Project configuration: ``[tool.rackforge]`` in ``pyproject.toml``, or a ``rackforge.toml``.

The configuration of a design is the nearest one found walking up from the design's folder (stopping at the
repository root, the folder holding ``.git``); in each folder ``rackforge.toml`` wins over ``pyproject.toml``, and
a ``pyproject.toml`` without a ``[tool.rackforge]`` table is passed over. In ``rackforge.toml`` the keys sit at
the top level (a ``[tool.rackforge]`` table there is accepted too). Keys::

    select = ["RF1", "RF201"]        # only these rule codes or prefixes
    ignore = ["RF110"]               # skip these
    catalogs = ["catalogs/lab.yaml"] # extra catalogs, relative to the configuration file's folder
    fail-on = "error"                # lowest severity that fails the run: error, warning or info
    exit-zero = false                # exit 0 even with findings
    statistics = false               # count findings per rule

    [tool.rackforge.per-file-ignores]  # (in rackforge.toml: [per-file-ignores])
    "designs/legacy/**" = ["RF1"]      # globs relative to the configuration file's folder;
    "*-draft.yaml" = ["RF2"]           # a glob without "/" matches the file name in any folder

Command-line flags override the file: ``--select``/``--ignore`` replace the file's lists, ``--fail-on``,
``--exit-zero``/``--no-exit-zero`` and ``--statistics``/``--no-statistics`` replace its values, and
``--catalog`` adds to its catalogs. Per-file ignores always apply (``--isolated`` turns all of it off).

A mistake in the configuration itself (bad TOML, an unknown key, a value of the wrong type, a malformed rule
code) is an :class:`~rackforge.errors.InputError` carrying the file and, where there is one, line and column;
the CLI reports it and exits 2. Nothing is silently dropped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rackforge.errors import InputError

FILES = ("rackforge.toml", "pyproject.toml")
TABLE = ("tool", "rackforge")
KEYS = ("select", "ignore", "per-file-ignores", "catalogs", "fail-on", "exit-zero", "statistics")
SEVERITIES = ("error", "warning", "info")
_CODE = r"^RF\d{0,3}$"


@dataclass(frozen=True)
class Config:
    """One configuration file's settings (all None/empty for "no configuration")."""

    path: Path | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    catalogs: tuple[str, ...] = ()
    fail_on: str | None = None
    exit_zero: bool | None = None
    statistics: bool | None = None
    _compiled: tuple = field(default=(), repr=False, compare=False)

    @property
    def root(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()

    def ignores_for(self, design: str) -> tuple[str, ...]:
        """The per-file-ignores codes that apply to ``design`` (a path as given)."""
        if not self.per_file_ignores or design in ("-", "<stdin>"):
            return ()
        full = Path(design).resolve()
        try:
            rel = full.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            rel = full.as_posix()
        out: list[str] = []
        for (glob, codes), rx in zip(self.per_file_ignores, self._compiled):
            target = rel if "/" in glob else full.name
            if rx.fullmatch(target):
                out.extend(codes)
        return tuple(dict.fromkeys(out))


NO_CONFIG = Config()


def glob_regex(glob: str) -> re.Pattern:
    """A path glob as a regex: ``*`` and ``?`` stay inside one folder, ``**`` spans folders, ``[...]`` sets."""
    out = []
    i = 0
    g = glob[2:] if glob.startswith("./") else glob
    while i < len(g):
        c = g[i]
        if g.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif g.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = g.find("]", i + 2 if g[i + 1:i + 2] in ("!", "]") else i + 1)
            if j < 0:
                out.append(re.escape(c))
                i += 1
                continue
            body = g[i + 1:j]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out))


# --- finding the file ---------------------------------------------------------------------------------------

def find_config(start: Path) -> Path | None:
    """The nearest configuration file at or above folder ``start`` (stopping at the repository root)."""
    start = start.resolve()
    for d in (start, *start.parents):
        own = d / "rackforge.toml"
        if own.is_file():
            return own
        py = d / "pyproject.toml"
        if py.is_file() and _has_tool_table(py):
            return py
        if (d / ".git").exists():
            return None
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    # cheap test first; a full parse (with its error reporting) happens in load_config
    return re.search(r"(?m)^\s*\[\s*tool\s*\.\s*[\"']?rackforge[\"']?\s*[\].]|^\s*tool\s*\.\s*rackforge\s*[.=]",
                     text) is not None


class ConfigCache:
    """Configurations by folder and by file, so many designs in one folder cost one lookup."""

    def __init__(self) -> None:
        self._by_dir: dict[Path, Config] = {}
        self._by_file: dict[Path, Config] = {}

    def for_design(self, design: str) -> Config:
        folder = Path.cwd() if design in ("-", "<stdin>") else Path(design).resolve().parent
        if folder not in self._by_dir:
            found = find_config(folder)
            self._by_dir[folder] = self.load(found) if found else NO_CONFIG
        return self._by_dir[folder]

    def load(self, path: Path) -> Config:
        path = path.resolve()
        if path not in self._by_file:
            self._by_file[path] = load_config(path)
        return self._by_file[path]


# --- reading and checking -----------------------------------------------------------------------------------

def load_config(path: str | Path) -> Config:
    """Read and check one configuration file; raises InputError with file:line:col for any mistake in it."""
    import tomllib

    path = Path(path)
    shown = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("configuration file not found", file=shown) from None
    except IsADirectoryError:
        raise InputError("configuration path is a folder, not a file", file=shown) from None
    except OSError as exc:
        raise InputError(f"cannot read configuration: {exc.strerror}", file=shown) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("configuration is not UTF-8 text", file=shown, line=line, col=1) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", msg)
        line = col = None
        if m:
            line, col = int(m.group(1)), int(m.group(2))
            msg = msg[: m.start()]
        elif msg.endswith("(at end of document)"):
            line = text.count("\n") + 1
            col = len(text) - (text.rfind("\n") + 1) + 1
            msg = msg[: -len("(at end of document)")].rstrip()
        raise InputError(f"invalid TOML: {msg}", file=shown, line=line, col=col) from None
    own = path.name != "pyproject.toml"
    table: tuple[str, ...] = TABLE
    section = data.get("tool", {}).get("rackforge") if isinstance(data.get("tool"), dict) else None
    if own and section is None:
        section, table = data, ()
    elif own and set(data) - {"tool"}:
        extra = sorted(set(data) - {"tool"})[0]
        raise _err(f"both top-level keys and a [tool.rackforge] table; keep one ({extra!r} is top-level)",
                   path, text, (), extra)
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise _err("[tool.rackforge] must be a table", path, text, TABLE, None)
    return _check(section, path, text, table)


def _check(section: dict[str, Any], path: Path, text: str, table: tuple[str, ...]) -> Config:
    where = "[" + ".".join(table) + "]" if table else str(path.name)
    kw: dict[str, Any] = {}
    for key, value in section.items():
        if key not in KEYS:
            import difflib

            near = difflib.get_close_matches(key.replace("_", "-"), KEYS, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}?" if near else "known keys: " + ", ".join(KEYS)
            raise _err(f"unknown key {key!r} in {where}", path, text, table, key, hint)
        if key in ("select", "ignore"):
            kw[key] = _codes(value, repr(key), path, text, table, (key,))
        elif key == "catalogs":
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise _err(f"'catalogs' must be a list of file paths (strings), got {_type(value)}", path, text,
                           table, key)
            kw["catalogs"] = tuple(str((path.parent / v)) if not Path(v).is_absolute() else v for v in value)
        elif key == "fail-on":
            if not isinstance(value, str) or value.lower() not in SEVERITIES:
                raise _err(f"'fail-on' must be one of {', '.join(SEVERITIES)}, got {value!r}", path, text, table,
                           key)
            kw["fail_on"] = value.lower()
        elif key in ("exit-zero", "statistics"):
            if not isinstance(value, bool):
                raise _err(f"{key!r} must be true or false, got {_type(value)} {value!r}", path, text, table, key)
            kw[key.replace("-", "_")] = value
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise _err(f"'per-file-ignores' must be a table of glob = [codes], got {_type(value)}", path, text,
                           table, key)
            pfi = []
            for glob, codes in value.items():
                if not glob:
                    raise _err("empty glob in 'per-file-ignores'", path, text, table + (key,), glob)
                pfi.append((glob, _codes(codes, f"per-file-ignores {glob!r}", path, text, table + (key,), (glob,))))
            kw["per_file_ignores"] = tuple(pfi)
            kw["_compiled"] = tuple(glob_regex(g) for g, _ in pfi)
    return Config(path=path, **kw)


def _codes(value: Any, what: str, path: Path, text: str, table: tuple[str, ...], key: tuple[str, ...]):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _err(f"{what!s} must be a list of rule codes or prefixes (strings like \"RF1\" or \"RF201\"), "
                   f"got {_type(value)}", path, text, table + key[:-1], key[-1])
    bad = check_codes(value)
    if bad:
        raise _err(f"{what!s}: {bad}", path, text, table + key[:-1], key[-1],
                   "rule codes are RF followed by up to three digits; 'rackforge rules' lists them")
    return tuple(v.upper() for v in value)


def check_codes(codes) -> str | None:
    """None when every code is a well-formed code or prefix of a known rule; else what is wrong."""
    for c in codes:
        if not re.match(_CODE, c.upper()):
            return f"{c!r} is not a rule code or prefix"
    full = [c.upper() for c in codes if len(c) == 5]
    if full:
        from rackforge.rules import all_rules

        reg = all_rules()
        for c in full:
            if c not in reg:
                return f"no rule has the code {c!r}"
    return None


def _type(v: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
            dict: "a table"}.get(type(v), type(v).__name__)


def _err(msg: str, path: Path, text: str, table: tuple[str, ...], key: str | None, hint: str | None = None):
    line, col = locate(text, table, key)
    return InputError(msg, file=str(path), line=line, col=col, hint=hint)


# --- where a key is in the TOML text ------------------------------------------------------------------------

_HEADER = r"^\s*\[(?!\[)\s*(.+?)\s*\]\s*(?:#.*)?$"
_KEY = r"""(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_\-]+)"""
_KEYLINE = r"^(\s*)(" + _KEY + r"(?:\s*\.\s*" + _KEY + r")*)\s*="
_PART = r"\s*(" + _KEY + r")\s*(?:\.|$)"


def _split_key(s: str) -> tuple[str, ...]:
    import json

    parts = []
    for m in re.finditer(_PART, s):
        p = m.group(1)
        if p.startswith('"'):
            try:
                p = json.loads(p)
            except ValueError:
                p = p[1:-1]
        elif p.startswith("'"):
            p = p[1:-1]
        parts.append(p)
    return tuple(parts)


def locate(text: str, table: tuple[str, ...], key: str | None) -> tuple[int | None, int | None]:
    """line, col (1-based) of ``key`` in ``table`` (or of the table itself when key is None), best effort."""
    want = table + ((key,) if key is not None else ())
    current: tuple[str, ...] = ()
    table_at: tuple[int, int] | None = None
    for i, line in enumerate(text.splitlines(), 1):
        h = re.match(_HEADER, line)
        if h:
            current = _split_key(h.group(1))
            if current == want or (table_at is None and current == table):
                if current == want:
                    return i, line.index("[") + 1
                table_at = (i, line.index("[") + 1)
            continue
        k = re.match(_KEYLINE, line)
        if k:
            full = current + _split_key(k.group(2))
            if full[: len(want)] == want:
                return i, len(k.group(1)) + 1
    return table_at if table_at else (None, None)
