"""Fabric pattern expansion: counts, structure, determinism."""
from __future__ import annotations

import numpy as np
import pytest

from rackforge.topology.patterns import (
    leaf_spine_links,
    management_links,
    rail_optimized_links,
    rank_within_groups,
    round_robin_links,
    scale_up_links,
)


def nvl72_ports(n_domains=1):
    """Port ids: GPUs' 18 NVLink ports first, then the 18 chips' 72 ports, per domain."""
    per = 72 * 18 * 2
    base = np.arange(n_domains)[:, None, None] * per
    gpu = base + np.arange(72 * 18).reshape(72, 18)
    chip = base + 72 * 18 + np.arange(18 * 72).reshape(18, 72)
    return gpu, chip


def test_nvl72_scale_up_counts_and_each_gpu_once_to_each_chip():
    gpu, chip = nvl72_ports()
    a, b = scale_up_links(gpu[0], chip[0])
    assert a.size == b.size == 72 * 18 == 1296
    gpu_of = a // 18  # GPU i owns ports 18 i .. 18 i + 17
    chip_of = (b - 72 * 18) // 72
    pairs = gpu_of * 18 + chip_of
    # every (GPU, chip) pair exactly once: 72 x 18 distinct pairs
    assert np.unique(pairs).size == 1296
    assert np.all(np.bincount(gpu_of, minlength=72) == 18)
    assert np.all(np.bincount(chip_of, minlength=18) == 72)
    # every port used exactly once on both sides
    assert np.unique(a).size == 1296 and np.unique(b).size == 1296
    # the documented mapping: GPU i port j -> chip j port i
    i, j = 5, 7
    k = np.flatnonzero(a == gpu[0, i, j])[0]
    assert b[k] == chip[0, j, i]


def test_nvl72_chips_grouped_in_nine_trays_each_tray_gets_two_links_per_gpu():
    gpu, chip = nvl72_ports()
    a, b = scale_up_links(gpu[0], chip[0])
    tray_of = (b - 72 * 18) // 72 // 2  # tray t holds chips 2t, 2t+1
    per_gpu_tray = np.bincount((a // 18) * 9 + tray_of, minlength=72 * 9)
    assert np.all(per_gpu_tray == 2)


def test_scale_up_batched_domains_do_not_cross():
    gpu, chip = nvl72_ports(n_domains=3)
    a, b = scale_up_links(gpu, chip)
    assert a.size == 3 * 1296
    per = 72 * 18 * 2
    assert np.array_equal(a // per, b // per)


def test_scale_up_with_four_cables_per_link():
    # 72 ports per GPU (4 per NVLink port) over 18 chips of 288 ports: 4 links per pair
    gpu = np.arange(72 * 72).reshape(72, 72)
    chip = 72 * 72 + np.arange(18 * 288).reshape(18, 288)
    a, b = scale_up_links(gpu, chip)
    assert a.size == 5184
    pairs = (a // 72) * 18 + (b - 72 * 72) // 288
    assert np.all(np.bincount(pairs, minlength=1296) == 4)


def test_expansion_is_deterministic():
    gpu, chip = nvl72_ports(2)
    r1 = scale_up_links(gpu, chip)
    r2 = scale_up_links(gpu.copy(), chip.copy())
    assert all(np.array_equal(x, y) for x, y in zip(r1, r2))
    grp = np.array([1, 0, 1, 0, 0])
    nic = np.arange(10).reshape(5, 2)
    leaf = 100 + np.arange(2 * 2 * 3).reshape(2, 2, 3)
    s1 = rail_optimized_links(nic, grp, leaf)
    s2 = rail_optimized_links(nic, grp, leaf)
    assert all(np.array_equal(x, y) for x, y in zip(s1, s2))


def test_round_robin_too_few_destination_ports():
    with pytest.raises(ValueError):
        round_robin_links(np.arange(6).reshape(3, 2), 10 + np.arange(4).reshape(2, 2))


def test_leaf_spine_full_bipartite_when_uplinks_multiple_of_spines():
    leaves = np.arange(16).reshape(4, 4)  # 4 leaves x 4 uplinks
    spines = 100 + np.arange(16).reshape(2, 8)  # 2 spines x 8 ports
    a, b = leaf_spine_links(leaves, spines)
    leaf_of, spine_of = a // 4, (b - 100) // 8
    counts = np.bincount(leaf_of * 2 + spine_of, minlength=8)
    assert np.all(counts == 2)  # 4 uplinks / 2 spines
    assert np.unique(b).size == 16


def test_leaf_spine_uplink_count_and_striping():
    leaves = np.arange(4 * 6).reshape(4, 6)
    spines = 100 + np.arange(4 * 2).reshape(4, 2)
    a, b = leaf_spine_links(leaves, spines, uplinks_per_leaf=2)
    # leaf l uses its ports 0, 1 only, to spines 2l mod 4 and 2l+1 mod 4
    assert np.array_equal(a, [0, 1, 6, 7, 12, 13, 18, 19])
    assert np.array_equal((b - 100) // 2, [0, 1, 2, 3, 0, 1, 2, 3])
    with pytest.raises(ValueError):
        leaf_spine_links(leaves, spines, uplinks_per_leaf=7)


def test_rail_optimized_nic_i_to_leaf_i_of_group():
    nic = np.array([[0, 1], [2, 3], [4, -1]])  # node 2 lacks NIC 1
    grp = np.array([0, 0, 1])
    leaf = 100 + np.arange(8).reshape(2, 2, 2)  # (group, rail, downlink)
    a, b = rail_optimized_links(nic, grp, leaf)
    assert np.array_equal(a, [0, 1, 2, 3, 4])
    # node 0 -> slot 0 of leaves (0,0),(0,1); node 1 -> slot 1; node 2 -> leaf (1,0) slot 0
    assert np.array_equal(b, [100, 102, 101, 103, 104])
    with pytest.raises(ValueError):
        rail_optimized_links(nic, np.array([0, 0, 0]), leaf)  # 3 nodes, 2 downlinks


def test_management_links_per_rack_in_device_order():
    mg = np.array([10, 11, -1, 12, 13])
    rack = np.array([0, 1, 0, 0, 1])
    tor = np.array([[50, 51], [60, 61]])
    a, b = management_links(mg, rack, tor)
    assert np.array_equal(a, [10, 11, 12, 13])
    assert np.array_equal(b, [50, 60, 51, 61])
    with pytest.raises(ValueError):
        management_links(np.array([1, 2, 3]), np.zeros(3, int), tor)


def test_rank_within_groups():
    assert np.array_equal(rank_within_groups([3, 1, 3, 3, 1]), [0, 0, 1, 2, 1])
