"""The per-user cache of the validated default catalog: same result as validating, and never stale."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rackforge.model import catalog as C
from rackforge.model import catalog_cache as cc

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A private cache folder and a copy of the default catalog files to change."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("RACKFORGE_NO_CATALOG_CACHE", raising=False)
    folder = tmp_path / "catalogs"
    shutil.copytree(ROOT / "catalogs", folder)
    return folder


def _load(folder, calls):
    files = C.catalog_files_in(folder)

    def build():
        calls.append(1)
        cat = C.Catalog()
        for p in files:
            cat.add(C.load_catalog_file(str(p)))
        return cat

    return cc.load_or_build(folder, files, build)


def _dump(cat):
    return ({pn: p.model_dump() for pn, p in cat.parts.items()}, dict(cat.part_where),
            {g: x.model_dump() for g, x in cat.generations.items()}, [pr.message for pr in cat.problems])


def test_second_load_comes_from_the_cache_and_equals_validation(env):
    calls = []
    first = _load(env, calls)
    assert calls == [1] and len(list((env.parent / "cache" / "rackforge").glob("catalog-*.pickle"))) == 1
    second = _load(env, calls)
    assert calls == [1]  # not validated again
    assert second is not first and _dump(second) == _dump(first)
    assert len(second.parts) > 40 and second.problems == []


def test_a_changed_catalog_file_is_validated_again(env):
    calls = []
    before = _load(env, calls)
    f = env / "parts" / "gb200-nvl72.yaml"
    pn = next(p for p, (file, _) in before.part_where.items() if file.endswith("gb200-nvl72.yaml"))
    text = f.read_text()
    f.write_text(text.replace(f"  - pn: {pn}\n", f"  - pn: {pn}-X\n", 1))
    after = _load(env, calls)
    assert calls == [1, 1]
    assert pn not in after.parts and f"{pn}-X" in after.parts and pn in before.parts
    f.write_text(text)  # back to the first content: the first cache file serves again
    assert pn in _load(env, calls).parts and calls == [1, 1]


def test_a_broken_cache_file_is_rebuilt(env):
    calls = []
    good = _load(env, calls)
    (path,) = (env.parent / "cache" / "rackforge").glob("catalog-*.pickle")
    path.write_bytes(path.read_bytes()[:100])  # truncated
    again = _load(env, calls)
    assert calls == [1, 1] and _dump(again) == _dump(good)
    assert _load(env, calls) is not None and calls == [1, 1]  # rewritten whole


def test_unwritable_cache_and_switched_off_cache_still_validate(env, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # rackforge/ cannot be made under a file
    calls = []
    assert len(_load(env, calls).parts) > 40 and len(_load(env, calls).parts) > 40 and calls == [1, 1]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache2"))
    monkeypatch.setenv("RACKFORGE_NO_CATALOG_CACHE", "1")
    calls.clear()
    _load(env, calls)
    _load(env, calls)
    assert calls == [1, 1] and not (tmp_path / "cache2").exists()


def test_key_covers_versions_folder_and_names(env, monkeypatch):
    files = C.catalog_files_in(env)
    k = cc.cache_key(env, files)
    assert k == cc.cache_key(env, files)
    import rackforge._version

    monkeypatch.setattr(rackforge._version, "__version__", "0.0.0-other")
    assert cc.cache_key(env, files) != k
    monkeypatch.undo()
    moved = env.parent / "moved"
    shutil.copytree(env, moved)
    assert cc.cache_key(moved, C.catalog_files_in(moved)) != k  # recorded paths differ
    (env / "parts" / "common.yaml").rename(env / "parts" / "common2.yaml")
    assert cc.cache_key(env, C.catalog_files_in(env)) != k


def test_default_catalog_uses_the_cache(env, monkeypatch):
    monkeypatch.setattr(C, "_default", None)
    fresh = C.default_catalog()
    monkeypatch.setattr(C, "_default", None)
    monkeypatch.setattr(C, "load_catalog_file", lambda p: pytest.fail("validated again"))
    cached = C.default_catalog()
    assert _dump(cached) == _dump(fresh)


def test_the_cache_folder_stays_bounded(env):
    # every install, catalog change or schema change writes a new catalog pickle: only the newest
    # KEEP_CATALOGS stay, and result-cache entries unused for 30 days go when a new one is written
    import os
    import time

    folder = env.parent / "cache" / "rackforge"
    (folder / "results").mkdir(parents=True)
    now = time.time()
    for k in range(12):   # stale pickles of earlier installs, one a minute apart, the oldest first
        p = folder / f"catalog-{k:064x}.pickle"
        p.write_bytes(b"old")
        os.utime(p, (now - 3600 + 60 * k, now - 3600 + 60 * k))
    fresh, stale = folder / "results" / "a.pickle", folder / "results" / "b.pickle"
    for p, age_days in ((fresh, 29), (stale, 31)):
        p.write_bytes(b"r")
        os.utime(p, (now - age_days * 86400, now - age_days * 86400))
    calls = []
    _load(env, calls)   # a new key: validated, written, folder pruned
    left = sorted(p.name for p in folder.glob("catalog-*.pickle"))
    assert calls == [1] and len(left) == cc.KEEP_CATALOGS
    # the new one and the 7 most recent old ones (k = 5..11)
    assert [f"catalog-{k:064x}.pickle" for k in range(5, 12)] == [n for n in left if "0" * 50 in n]
    assert fresh.exists() and not stale.exists()


def test_a_cache_hit_refreshes_the_file_so_pruning_keeps_it(env):
    import os

    calls = []
    _load(env, calls)
    (p,) = (env.parent / "cache" / "rackforge").glob("catalog-*.pickle")
    os.utime(p, (1, 1))
    _load(env, calls)
    assert calls == [1] and p.stat().st_mtime > 1e9
