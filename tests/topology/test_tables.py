"""Port and link table containers: coercion, defaults, shape checks."""
from __future__ import annotations

import numpy as np
import pytest

from rackforge.topology.codes import FormFactor, Media, Role
from rackforge.topology.patterns import links_from_pairs
from rackforge.topology.tables import LinkTable, PortTable, concat_links


def test_port_table_defaults_and_dtypes():
    p = PortTable([0, 0, 1], [Role.SCALE_OUT] * 3, [FormFactor.OSFP] * 3, [400e9] * 3, [4] * 3)
    assert p.n == 3 and p.device.dtype == np.int64 and p.speed_bps.dtype == np.float64
    assert p.face.tolist() == [0, 0, 0] and p.ru.tolist() == [0.0, 0.0, 0.0]


def test_column_length_mismatch_raises():
    with pytest.raises(ValueError):
        PortTable([0, 1], [0], [0, 0], [1.0, 1.0], [1, 1])
    with pytest.raises(ValueError):
        LinkTable([0, 1], [2])


def test_link_table_defaults_take_and_concat():
    lk = LinkTable([0, 2], [1, 3])
    assert lk.fanout.tolist() == [1, 1] and np.isnan(lk.length_m).all() and lk.media.tolist() == [0, 0]
    both = concat_links(lk, lk.take([1]))
    assert both.port_a.tolist() == [0, 2, 2] and both.n == 3


def test_links_from_pairs_copies_speed_and_lanes_from_port_b_and_is_writable():
    p = PortTable([0, 1], [0, 0], [6, 6], [800e9, 400e9], [8, 4])
    lk = links_from_pairs(p, [0], [1], media=Media.AOC, reach_m=30.0)
    assert lk.speed_bps.tolist() == [400e9] and lk.lanes.tolist() == [4] and lk.media.tolist() == [Media.AOC]
    lk.length_m[0] = 5.0  # columns are real arrays, not read-only broadcasts
    assert lk.length_m[0] == 5.0
