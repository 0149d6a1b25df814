import copy
import json
import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

# `rackforge validate` keeps a per-user result cache keyed by the files' content and rackforge's source files; a
# test that patches code in-process would read entries made without its patch. Off for the suite (subprocesses
# inherit it); tests/test_sweep_validate.py turns it on where it is the subject.
os.environ.setdefault("RACKFORGE_NO_CACHE", "1")
SEEDS = ROOT / "seeds"


def seed_files():
    return sorted(p for p in SEEDS.iterdir() if p.suffix in (".json", ".yaml", ".yml"))


def load_seed(name: str) -> dict:
    p = SEEDS / name
    text = p.read_text()
    return json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)


@pytest.fixture
def write_design(tmp_path):
    """Write a design dict to a JSON file in tmp_path and return its path."""
    counter = [0]

    def _write(data, name=None, fmt="json"):
        counter[0] += 1
        p = tmp_path / (name or f"design{counter[0]}.{fmt}")
        if fmt == "json":
            p.write_text(json.dumps(data, indent=2, default=str))
        else:
            p.write_text(yaml.safe_dump(data, sort_keys=False))
        return p

    return _write


@pytest.fixture
def gb200():
    return copy.deepcopy(load_seed("gb200-nvl72.json"))


@pytest.fixture
def h100():
    return copy.deepcopy(load_seed("hgx-h100-air.yaml"))
