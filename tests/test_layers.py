"""Imports run one way: cli -> features -> engine -> rules -> lowering -> solvers/topology -> model -> io.

Each module of the package belongs to one layer (its folder under ``rackforge/``); a module may import from its
own layer and the layers below, never from a layer above. Solvers and topology are pure: they import nothing of
rackforge but the base modules and their own package, and neither pydantic nor pint. No module imports another
module's private (underscore) names. docs/architecture.md explains the layers.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "rackforge"

# rank of each layer; a module may import modules of equal or lower rank
LAYERS = {
    "io": 0,
    "model": 1,
    "solvers": 2, "topology": 2,
    "lowering": 3,
    "rules": 4,
    "engine": 5,
    "features": 6, "reporters": 6, "gen": 6,
    "cli": 7, "api": 7, "__main__": 7,
}
BASE = {"rackforge", "rackforge._version", "rackforge.errors"}  # importable from anywhere
PURE = {"solvers", "topology"}
PURE_FORBIDDEN = ("pydantic", "pint", "typer", "rich", "yaml")


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if module in BASE or len(parts) < 2:
        return None
    return parts[1]


def package_modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def imports_of(module: str, path: Path):
    """(imported module, imported names, line) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = pkg.split(".")
                up = up[: len(up) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            yield base, [a.name for a in node.names], node.lineno


MODULES = list(package_modules())


def test_every_module_has_a_layer():
    missing = [m for m, _ in MODULES if m not in BASE and layer_of(m) not in LAYERS]
    assert not missing, f"modules outside any layer (add a folder to LAYERS or move them): {missing}"


@pytest.mark.parametrize("module,path", MODULES, ids=[m for m, _ in MODULES])
def test_imports_run_downwards(module, path):
    own = layer_of(module)
    bad = []
    for target, names, line in imports_of(module, path):
        if not target.startswith("rackforge"):
            if own in PURE and target.split(".")[0] in PURE_FORBIDDEN:
                bad.append(f"{path.name}:{line} imports {target} (solvers and topology are pure)")
            continue
        # `from rackforge.features import bom` imports rackforge.features.bom
        targets = [f"{target}.{n}" if target.count(".") < 1 or (PKG / Path(*target.split(".")[1:]) / f"{n}.py").exists()
                   or (PKG / Path(*target.split(".")[1:]) / n).is_dir() else target for n in names] or [target]
        for t in targets:
            if t in BASE or own is None:
                continue
            tl = layer_of(t)
            if tl is None:
                continue
            if own in PURE and tl != own:
                bad.append(f"{path.name}:{line} imports {t} (solvers and topology import only themselves)")
            elif LAYERS[tl] > LAYERS[own]:
                bad.append(f"{path.name}:{line} imports {t}: layer {tl!r} is above {own!r}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module,path", MODULES, ids=[m for m, _ in MODULES])
def test_no_private_names_across_modules(module, path):
    bad = []
    for target, names, line in imports_of(module, path):
        if not target.startswith("rackforge") or target == module:
            continue
        for n in names:
            if n.startswith("_") and not n.startswith("__"):
                bad.append(f"{path.name}:{line} imports private {n} from {target}")
    assert not bad, "\n".join(bad)


def test_the_checker_catches_an_upward_import(tmp_path):
    """The checker itself: a lowering module importing the engine is caught (so the tests above can fail)."""
    p = tmp_path / "power.py"
    p.write_text("from rackforge.engine import Context\nfrom rackforge.solvers.power import _struct\n")
    found = list(imports_of("rackforge.lowering.power", p))
    assert ("rackforge.engine", ["Context"], 1) in found
    assert LAYERS[layer_of("rackforge.engine")] > LAYERS[layer_of("rackforge.lowering.power")]
    assert any(n.startswith("_") for _, names, _ in found for n in names)
