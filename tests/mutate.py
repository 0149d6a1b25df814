"""Seed mutators for the robustness fuzz (issue 20, issue 13 item 8).

One mutant = a seed design (and, sometimes, a side catalog of altered copies of the parts it uses) with one to
three mutations, each from one class: ``type`` (a value of another JSON type), ``unit`` (a quantity in another
or a nonsense unit), ``magnitude`` (0, negative, NaN, inf, 1e30, 1e308, 10^9, 10^100), ``kind`` (a part number
of another kind where a part is named), ``reference`` (an id swapped for another id or a dangling one),
``count`` (a list inflated to thousands of entries, a row of 100,000 racks, a count of 10^9), ``delete``
(a key or list entry dropped) and ``catalog`` (a part the design uses redefined in a side catalog with absurd
figures: a 1e9 RU part, a 100 MW tray, 1 bit/s where a power is expected).

Everything is driven by one :class:`random.Random`, so a mutant is reproducible from its seed file and the
random's seed (``benches/fuzz.py``), and hypothesis can drive and shrink it through ``st.randoms()``
(``tests/test_fuzz.py``). No rackforge import here: the mutator must not share the code it tests.
"""
from __future__ import annotations

import copy
import json
import math
import random
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CATALOG_PARTS = ROOT / "catalogs" / "parts"

CLASSES = ("type", "unit", "magnitude", "kind", "reference", "count", "delete", "catalog")
COMMANDS = ("validate", "analyze", "bom", "render", "report")

QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S.*)?$")
ODD_VALUES = [None, True, False, 0, -1, 1.5, "", "x", "1e400", [], {}, [1, 2], {"a": 1}, "12 V", "-"]
UNITS = ["bit/s", "kg", "V", "A", "W", "MW", "degC", "degF", "K", "m", "mm", "Pa", "L/min", "m**3/s", "Hz",
         "furlong", "%", "", "V/V", "1/s", "kW*h", "USD", "week", "RU", "kg/m**2", "W/K", "m/s**2"]
MAGNITUDES = [0, -0.0, -1, -1e9, 1e-300, 1e9, 1e30, 1e308, "nan", "inf", "-inf", 10 ** 9, 2 ** 63, 10 ** 100,
              0.5, 100_000_000]
BIG_COUNTS = [2, 10, 100, 1000, 5000]


def seed_files() -> list[Path]:
    return sorted(p for p in SEEDS.iterdir() if p.suffix in (".json", ".yaml", ".yml"))


def load_seed(path: Path) -> dict:
    text = path.read_text()
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


_PARTS: dict | None = None


def catalog_parts() -> dict[str, dict]:
    """pn -> raw part mapping of the default catalog (read as plain YAML, not through rackforge)."""
    global _PARTS
    if _PARTS is None:
        _PARTS = {}
        for f in sorted(CATALOG_PARTS.glob("*.yaml")):
            for p in (yaml.safe_load(f.read_text()) or {}).get("parts", []) or []:
                if isinstance(p, dict) and "pn" in p:
                    _PARTS[p["pn"]] = p
    return _PARTS


# --- tree helpers ------------------------------------------------------------------------------------------

def nodes(tree, path=()):
    """Every (path, value) in a JSON-like tree, the root excluded."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield path + (k,), v
            yield from nodes(v, path + (k,))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield path + (i,), v
            yield from nodes(v, path + (i,))


def get(tree, path):
    for p in path:
        tree = tree[p]
    return tree


def put(tree, path, value):
    get(tree, path[:-1])[path[-1]] = value


def _num_text(x) -> str:
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return str(x)
    return str(x)


# --- one mutation of each class -----------------------------------------------------------------------------

def m_type(d: dict, rng: random.Random, side: dict) -> str:
    path, _ = rng.choice(list(nodes(d)))
    val = copy.deepcopy(rng.choice(ODD_VALUES))
    put(d, path, val)
    return f"type {_p(path)} = {val!r}"


def m_unit(d: dict, rng: random.Random, side: dict) -> str:
    cands = [(p, v) for p, v in nodes(d) if isinstance(v, str) and QUANTITY.match(v) and QUANTITY.match(v).group(2)]
    if not cands:
        return m_type(d, rng, side)
    path, v = rng.choice(cands)
    num = QUANTITY.match(v).group(1)
    new = f"{num} {rng.choice(UNITS)}".strip()
    put(d, path, new)
    return f"unit {_p(path)} = {new!r}"


def m_magnitude(d: dict, rng: random.Random, side: dict) -> str:
    cands = [(p, v) for p, v in nodes(d) if (isinstance(v, (int, float)) and not isinstance(v, bool))
             or (isinstance(v, str) and QUANTITY.match(v) and QUANTITY.match(v).group(2))]
    if not cands:
        return m_type(d, rng, side)
    path, v = rng.choice(cands)
    mag = rng.choice(MAGNITUDES)
    if isinstance(v, str):
        new = f"{_num_text(mag)} {QUANTITY.match(v).group(2)}"
    elif isinstance(mag, str):
        new = float(mag) if rng.random() < 0.5 else mag
    else:
        new = mag
    put(d, path, new)
    return f"magnitude {_p(path)} = {new!r}"


def m_kind(d: dict, rng: random.Random, side: dict) -> str:
    parts = catalog_parts()
    cands = [(p, v) for p, v in nodes(d) if isinstance(v, str) and v in parts]
    if not cands:
        return m_type(d, rng, side)
    path, v = rng.choice(cands)
    kind = parts[v].get("kind")
    others = sorted(pn for pn, p in parts.items() if p.get("kind") != kind)
    new = rng.choice(others)
    put(d, path, new)
    return f"kind {_p(path)} = {new!r} (a {parts[new].get('kind')} for a {kind})"


def m_reference(d: dict, rng: random.Random, side: dict) -> str:
    ids = sorted({v for p, v in nodes(d) if p and p[-1] == "id" and isinstance(v, str)}
                 | {k for p, v in nodes(d) if p and p[-1] == "templates" and isinstance(v, dict) for k in v})
    cands = [(p, v) for p, v in nodes(d) if isinstance(v, str) and (v in ids or ":" in v and "/" not in v[:1])
             and not (p and p[-1] in ("name", "description"))]
    if not cands or not ids:
        return m_type(d, rng, side)
    path, v = rng.choice(cands)
    new = rng.choice(ids + ["nope", "nope:p1", "r01/nope:p1", v + "x", "*", "?", "[", v + ":" + v])
    put(d, path, new)
    return f"reference {_p(path)} = {new!r}"


def m_count(d: dict, rng: random.Random, side: dict) -> str:
    r = rng.random()
    if r < 0.2 and isinstance(d.get("racks"), list) and d["racks"] and isinstance(d["racks"][0], dict) \
            and d["racks"][0].get("template"):
        n = rng.choice([1000, 5000, 20000, 100000])
        d["rows"] = [{"id": "fz", "template": d["racks"][0]["template"], "count": n}]
        return f"count /rows = one row of {n} racks"
    ints = [(p, v) for p, v in nodes(d) if isinstance(v, int) and not isinstance(v, bool)]
    if r < 0.4 and ints:
        path, _ = rng.choice(ints)
        new = rng.choice([10 ** 3, 10 ** 5, 10 ** 9, 10 ** 18])
        put(d, path, new)
        return f"count {_p(path)} = {new}"
    lists = [(p, v) for p, v in nodes(d) if isinstance(v, list) and v]
    if not lists:
        return m_type(d, rng, side)
    path, lst = rng.choice(lists)
    k = rng.choice(BIG_COUNTS)
    src = copy.deepcopy(rng.choice(lst))
    unique = rng.random() < 0.7
    extra = []
    for j in range(k):
        e = copy.deepcopy(src)
        if unique and isinstance(e, dict) and isinstance(e.get("id"), str):
            e["id"] = f"{e['id']}-fz{j}"
            if isinstance(e.get("u"), int):
                e["u"] = e["u"] + j + 1
            if isinstance(e.get("position"), dict):
                e["position"] = {**e["position"], "index": j + 1}
        extra.append(e)
    lst.extend(extra)
    return f"count {_p(path)} += {k} copies ({'unique ids' if unique else 'as is'})"


def m_delete(d: dict, rng: random.Random, side: dict) -> str:
    path, _ = rng.choice(list(nodes(d)))
    parent = get(d, path[:-1])
    del parent[path[-1]]
    return f"delete {_p(path)}"


_PART_MUTATORS = None


def m_catalog(d: dict, rng: random.Random, side: dict) -> str:
    """Redefine a part the design uses in a side catalog (new part number ``PN-FZ``) with absurd figures."""
    parts = catalog_parts()
    cands = [(p, v) for p, v in nodes(d) if isinstance(v, str) and v in parts]
    if not cands:
        return m_type(d, rng, side)
    _, pn = rng.choice(cands)
    new_pn = f"{pn}-FZ{len(side.setdefault('parts', []))}"
    part = copy.deepcopy(parts[pn])
    part["pn"] = new_pn
    part.pop("successor", None)
    inner = []
    for _ in range(rng.randint(1, 2)):
        op = rng.choice([m_magnitude, m_magnitude, m_unit, m_type, m_count])
        try:
            inner.append(op(part, rng, {}))
        except (IndexError, KeyError, TypeError):
            pass
    part["pn"] = new_pn if not isinstance(part.get("pn"), str) or rng.random() < 0.9 else part["pn"]
    side["parts"].append(part)
    for p, v in list(nodes(d)):
        if v == pn:
            put(d, p, new_pn)
    cats = d.get("catalogs")
    if not isinstance(cats, list):
        d["catalogs"] = cats = []
    if "fuzz-parts.yaml" not in cats:
        cats.append("fuzz-parts.yaml")
    return f"catalog {pn} -> {new_pn}: " + "; ".join(inner)


MUTATORS = {"type": m_type, "unit": m_unit, "magnitude": m_magnitude, "kind": m_kind, "reference": m_reference,
            "count": m_count, "delete": m_delete, "catalog": m_catalog}


def _p(path) -> str:
    return "/" + "/".join(str(x) for x in path)


def mutate(seed: dict, rng: random.Random, classes=CLASSES, n: int | None = None):
    """``(design, side_catalog_or_None, [what was done])``: 1-3 mutations of the given classes."""
    d = copy.deepcopy(seed)
    side: dict = {}
    done = []
    for _ in range(n if n is not None else rng.randint(1, 3)):
        cls = rng.choice(list(classes))
        try:
            done.append(MUTATORS[cls](d, rng, side))
        except (IndexError, KeyError, TypeError):  # the tree lost the shape this mutator needs: skip it
            done.append(f"{cls} skipped")
        if not isinstance(d, dict):
            break
    cat = {"catalog": "fuzz", "version": "1", "parts": side["parts"]} if side.get("parts") else None
    return d, cat, done


def write_mutant(folder: Path, design: dict, side_catalog: dict | None, fmt: str = "json") -> Path:
    """Write the mutant (and its side catalog) into ``folder``; returns the design's path."""
    folder.mkdir(parents=True, exist_ok=True)
    if side_catalog is not None:
        (folder / "fuzz-parts.yaml").write_text(yaml.safe_dump(side_catalog, sort_keys=False))
    if fmt == "yaml":
        p = folder / "design.yaml"
        p.write_text(yaml.safe_dump(design, sort_keys=False))
    else:
        p = folder / "design.json"
        p.write_text(json.dumps(design, indent=1, default=str))
    return p


def make_mutant(index: int, base_seed: int, classes=CLASSES, files: list[Path] | None = None):
    """Mutant ``index`` of a fuzz run seeded ``base_seed`` (reproducible): (seed name, design, catalog, ops).
    ``files``: the designs to mutate (default: the top-level seeds), taken in turn."""
    rng = random.Random(f"{base_seed}:{index}")
    files = files or seed_files()
    f = files[index % len(files)]
    d, cat, ops = mutate(load_seed(f), rng, classes)
    return f.name, d, cat, ops
