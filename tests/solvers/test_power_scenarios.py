"""Fault-scenario enumeration: counts by formula, masks, labels, de-duplication."""

from math import comb

import numpy as np
import pytest

from rackforge.solvers.power_scenarios import (
    KIND_BASE,
    KIND_BBU,
    KIND_FEED,
    KIND_PAIR,
    KIND_PSU,
    KIND_SHELF,
    enumerate_scenarios,
    n_scenarios,
)

# NVL72-class rack: 8 shelves x 6 PSUs; shelves 0-3 on feed A, 4-7 on feed B
SHELF = np.repeat(np.arange(8), 6)
FEED = (SHELF >= 4).astype(int)


def test_single_fault_counts():
    sc = enumerate_scenarios(SHELF, FEED, n_bbu=0)
    assert sc.n_scen == 1 + 48 + 8 + 2
    kinds = np.bincount(sc.kind, minlength=6)
    assert list(kinds[:5]) == [1, 48, 8, 2, 0]
    assert sc.psu_failed.shape == (59, 48) and sc.feed_failed.shape == (59, 2) and sc.bbu_failed.shape == (59, 0)
    assert sc.labels[0] == "base" and sc.labels[1] == "psu 0" and sc.labels[49] == "shelf 0" and sc.labels[57] == "feed 0"
    # masks: a PSU scenario fails one PSU, a shelf its 6 PSUs, a feed scenario only the feed
    assert sc.psu_failed[sc.kind == KIND_PSU].sum(axis=1).tolist() == [1] * 48
    assert sc.psu_failed[sc.kind == KIND_SHELF].sum(axis=1).tolist() == [6] * 8
    assert np.array_equal(np.flatnonzero(sc.psu_failed[49 + 3]), np.arange(18, 24))
    assert sc.feed_failed[sc.kind == KIND_FEED].tolist() == [[True, False], [False, True]]
    assert not sc.psu_failed[0].any() and not sc.feed_failed[0].any()


def test_bbus_and_pairs_by_formula():
    n1 = 48 + 8 + 2 + 3
    sc = enumerate_scenarios(SHELF, FEED, n_bbu=3, depth=2)
    assert sc.n_scen == 1 + n1 + comb(n1, 2) == n_scenarios(48, 8, 2, 3, depth=2)
    assert np.count_nonzero(sc.kind == KIND_BBU) == 3
    assert np.count_nonzero(sc.kind == KIND_PAIR) == comb(n1, 2) == n1 * (n1 - 1) // 2
    # pairs are unordered and distinct
    pairs = sc.members[sc.kind == KIND_PAIR]
    keys = {(a, b, c, d) for a, b, c, d in pairs}
    assert len(keys) == pairs.shape[0]
    assert not np.any((pairs[:, 0] == pairs[:, 2]) & (pairs[:, 1] == pairs[:, 3]))
    s = sc.labels.index("psu 3 + feed 1")
    assert np.flatnonzero(sc.psu_failed[s]).tolist() == [3] and sc.feed_failed[s].tolist() == [False, True]
    s = sc.labels.index("shelf 7 + bbu 2")
    assert sc.psu_failed[s].sum() == 6 and sc.bbu_failed[s].tolist() == [False, False, True]


def test_unique_drops_equivalent_outages():
    sc = enumerate_scenarios(SHELF, FEED, n_bbu=0, depth=2, unique=True)
    full = enumerate_scenarios(SHELF, FEED, n_bbu=0, depth=2)
    assert sc.n_scen < full.n_scen
    assert "psu 0 + shelf 0" not in sc.labels  # same outage as "shelf 0"
    assert "shelf 0 + feed 0" not in sc.labels  # shelf 0 sits on feed 0
    # effective outages are pairwise distinct
    out = sc.psu_failed | sc.feed_failed[:, FEED]
    assert len({row.tobytes() for row in out}) == sc.n_scen


def test_names_and_guard():
    sc = enumerate_scenarios([0, 0], [0, 1], names={"psu": ["PS1", "PS2"], "feed": ["A", "B"]})
    assert sc.labels == ("base", "PS1", "PS2", "shelf 0", "A", "B")
    with pytest.raises(ValueError):
        enumerate_scenarios(SHELF, FEED, depth=2, max_scenarios=100)
    assert sc.kind[0] == KIND_BASE
