"""Per-port and per-link checks: each one triggered, and silent on a clean table."""
from __future__ import annotations

import numpy as np
import pytest

from rackforge.topology import checks as C
from rackforge.topology.codes import FormFactor as F
from rackforge.topology.codes import Media as M
from rackforge.topology.codes import Role as R
from rackforge.topology.codes import Transceiver as X
from rackforge.topology.codes import default_media_reach_m
from rackforge.topology.tables import LinkTable, concat_links
from tests.topology.fabrics import ports_of

# port rows used throughout
PORTS = ports_of(
    [
        (0, R.SCALE_OUT, F.OSFP, 800e9, 8),  # 0 trunk: 800G OSFP, 8 lanes
        (1, R.SCALE_OUT, F.QSFP, 400e9, 4),  # 1 400G QSFP112
        (2, R.SCALE_OUT, F.QSFP, 400e9, 4),  # 2 400G QSFP112
        (3, R.SCALE_OUT, F.OSFP, 800e9, 8),  # 3 800G OSFP
        (4, R.SCALE_OUT, F.OSFP, 800e9, 8),  # 4 800G OSFP
        (5, R.SCALE_OUT, F.OSFP, 800e9, 4),  # 5 800G OSFP but 4 lanes (4x200G)
        (6, R.MANAGEMENT, F.RJ45, 1e9, 1),  # 6 management
        (7, R.SCALE_OUT, F.QSFP, 200e9, 2),  # 7 200G, 2 lanes
        (8, R.SCALE_OUT, F.OSFP, 800e9, 8),  # 8 spare 800G OSFP
    ]
)


def link(a, b, **kw):
    return LinkTable([a], [b], **{k: [v] for k, v in kw.items()})


GOOD = concat_links(
    # 1x2 breakout 800G OSFP -> 2x 400G QSFP, with connectors given
    link(0, 1, media=M.DAC, speed_bps=400e9, lanes=4, fanout=2, connector_a=F.OSFP, connector_b=F.QSFP,
         length_m=2.0, reach_m=3.0),
    link(0, 2, media=M.DAC, speed_bps=400e9, lanes=4, fanout=2, connector_a=F.OSFP, connector_b=F.QSFP,
         length_m=2.0, reach_m=3.0),
    # straight 800G OSFP - OSFP
    link(3, 4, media=M.AEC, speed_bps=800e9, lanes=8, length_m=5.0, reach_m=7.0),
)


def test_clean_table_is_silent():
    route = np.array([1.5, 1.9, 4.0])
    res = C.run_link_checks(PORTS, GOOD, route, np.zeros(3, int), np.zeros(3, int))
    assert all(v.size == 0 for v in res.values()), res


def test_invalid_endpoints():
    bad = LinkTable([0, -1, 3, 2], [1, 2, 99, 2])
    assert np.array_equal(C.links_with_invalid_endpoints(bad, PORTS.n), [1, 2, 3])
    # other checks judge only row 0 (800G to 400G) and ignore the invalid rows instead of raising
    assert np.array_equal(C.links_with_speed_mismatch(PORTS, bad), [0])
    assert np.array_equal(C.links_with_form_factor_mismatch(PORTS, bad), [0])
    assert C.valid_link_mask(bad, PORTS.n).tolist() == [True, False, False, False]


def test_port_used_twice_and_breakout_allowance():
    silent = C.overused_ports(PORTS.n, GOOD)
    assert silent.size == 0
    # a straight cable reusing port 4
    twice = concat_links(GOOD, link(8, 4))
    assert np.array_equal(C.overused_ports(PORTS.n, twice), [4])
    assert np.array_equal(C.links_on_ports(twice, [4], PORTS.n), [2, 3])
    # a third leg on a 1x2 breakout trunk
    three = concat_links(GOOD, link(0, 7, fanout=2))
    assert np.array_equal(C.overused_ports(PORTS.n, three), [0])
    # a breakout leg plus a straight cable on the same trunk: allowance drops to 1
    mixed = concat_links(GOOD.take([0]), link(0, 8))
    assert np.array_equal(C.overused_ports(PORTS.n, mixed), [0])
    # a port used as port_b by a leg and again elsewhere
    leg_b = concat_links(GOOD.take([0]), link(1, 2))
    assert np.array_equal(C.overused_ports(PORTS.n, leg_b), [1])


def test_role_mismatch():
    assert C.links_with_role_mismatch(PORTS, GOOD).size == 0
    assert np.array_equal(C.links_with_role_mismatch(PORTS, link(3, 6)), [0])


def test_form_factor_mismatch():
    assert C.links_with_form_factor_mismatch(PORTS, GOOD).size == 0
    # straight copper, no connector data, OSFP cage to QSFP cage
    assert np.array_equal(C.links_with_form_factor_mismatch(PORTS, link(3, 1, media=M.DAC)), [0])
    # connector given and wrong for the cage
    assert np.array_equal(
        C.links_with_form_factor_mismatch(PORTS, link(3, 4, media=M.DAC, connector_a=F.QSFP)), [0]
    )
    # fibre between transceivers: cages may differ (OSFP switch, QSFP NIC)
    assert C.links_with_form_factor_mismatch(PORTS, link(3, 1, media=M.FIBER_MM)).size == 0


def test_speed_mismatch_straight_and_breakout():
    assert C.links_with_speed_mismatch(PORTS, GOOD).size == 0
    # straight 800G to 400G
    assert np.array_equal(C.links_with_speed_mismatch(PORTS, link(3, 1)), [0])
    # 1x2 breakout of 800G lands on a 200G port: 800/2 = 400 != 200
    assert np.array_equal(C.links_with_speed_mismatch(PORTS, link(0, 7, fanout=2)), [0])
    # 1x4 breakout of 800G onto 200G is right for speed
    assert C.links_with_speed_mismatch(PORTS, link(0, 7, fanout=4)).size == 0
    # link speed given and disagreeing with the ports
    assert np.array_equal(C.links_with_speed_mismatch(PORTS, link(3, 4, speed_bps=400e9)), [0])


def test_lane_mismatch():
    assert C.links_with_lane_mismatch(PORTS, GOOD).size == 0
    # same speed, 8 lanes vs 4 lanes (8x100G vs 4x200G)
    lk = link(3, 5)
    assert C.links_with_speed_mismatch(PORTS, lk).size == 0
    assert np.array_equal(C.links_with_lane_mismatch(PORTS, lk), [0])
    # 1x4 breakout of 8 lanes onto 2-lane ports is right
    assert C.links_with_lane_mismatch(PORTS, link(0, 7, fanout=4)).size == 0
    # link lanes given and wrong
    assert np.array_equal(C.links_with_lane_mismatch(PORTS, link(3, 4, lanes=4)), [0])


def test_bad_breakout():
    assert C.links_with_bad_breakout(PORTS, GOOD).size == 0
    # 8 lanes cannot split 3 ways; fanout 0 is meaningless
    bad = concat_links(link(0, 7, fanout=3), link(3, 8, fanout=0), link(4, 7, fanout=8))
    assert np.array_equal(C.links_with_bad_breakout(PORTS, bad), [0, 1])


def test_cable_shorter_than_route():
    lk = concat_links(link(3, 4, length_m=2.0), link(0, 8, length_m=3.0), link(1, 2))
    route = np.array([2.5, 3.0, 10.0])  # unknown length (NaN) is not judged
    assert np.array_equal(C.links_shorter_than_route(lk, route), [0])


def test_reach_with_cable_and_transceivers():
    lk = concat_links(
        link(3, 4, media=M.DAC, reach_m=3.0, length_m=3.5),  # cable longer than reach
        link(3, 4, media=M.DAC, reach_m=3.0, length_m=3.0),  # route longer than reach
        link(3, 4, media=M.FIBER_MM),  # SR transceivers: 50 m
        link(3, 4, media=M.FIBER_SM),  # FR transceivers: 2 km
        link(3, 4, media=M.DAC, reach_m=np.nan, length_m=9.0),  # unknown reach
        link(3, 4, media=M.AOC, reach_m=30.0, length_m=20.0),  # fine
    )
    route = np.array([2.0, 3.2, 60.0, 60.0, 9.0, 18.0])
    xa = np.array([0, 0, X.SR, X.FR, 0, 0])
    assert np.array_equal(C.links_beyond_reach(lk, route, xa, xa), [0, 1, 2])
    assert np.allclose(C.effective_reach_m(lk, xa, xa)[[2, 3]], [50.0, 2000.0])


def test_reach_defaults_to_media_table_at_lane_rate():
    # no cable reach given: an 800G DAC (8 x 100G lanes) reaches 3 m, a 100G DAC (4 x 25G) 5 m
    lk = concat_links(
        link(3, 4, media=M.DAC, speed_bps=800e9, lanes=8),
        link(3, 4, media=M.DAC, speed_bps=100e9, lanes=4),
    )
    route = np.array([4.0, 4.0])
    assert np.array_equal(C.links_beyond_reach(lk, route), [0])
    assert C.links_beyond_reach(lk, route, xcvr_a=None).size == 1
    assert np.allclose(C.effective_reach_m(lk), [3.0, 5.0])
    assert np.isnan(C.effective_reach_m(lk, default_media_reach=False)).all()


def test_missing_transceivers():
    lk = concat_links(link(3, 4, media=M.FIBER_MM), link(3, 4, media=M.FIBER_SM), link(3, 4, media=M.AOC))
    xa = np.array([X.SR, 0, 0])
    xb = np.array([0, 0, 0])
    assert np.array_equal(C.links_missing_transceivers(lk, xa, xb), [0, 1])
    assert C.links_missing_transceivers(lk, [X.SR, X.DR, 0], [X.SR, X.DR, 0]).size == 0


def test_mismatched_transceivers():
    lk = concat_links(
        link(3, 4, media=M.FIBER_MM),  # SR - DR: different PMD
        link(3, 4, media=M.FIBER_SM),  # SR on single-mode
        link(3, 4, media=M.DAC),  # transceiver on copper
        link(3, 4, media=M.FIBER_SM),  # DR - DR on SM: fine
        link(3, 4, media=M.FIBER_MM),  # unknown code
    )
    xa = np.array([X.SR, X.SR, X.SR, X.DR, 42])
    xb = np.array([X.DR, X.SR, 0, X.DR, 42])
    assert np.array_equal(C.links_with_mismatched_transceivers(lk, xa, xb), [0, 1, 2, 4])


@pytest.mark.parametrize(
    "media, lane_rate, expected",
    [
        (M.DAC, 25e9, 5.0),  # 100G DAC (4x25G NRZ)
        (M.DAC, 100e9, 3.0),  # 800G DAC (8x100G PAM4), NVIDIA LinkX <= 3 m
        (M.ACC, 100e9, 5.0),
        (M.AEC, 100e9, 7.0),
        (M.AOC, 100e9, 30.0),
        (M.TWISTED_PAIR, 1e9, 100.0),
    ],
)
def test_default_media_reach(media, lane_rate, expected):
    assert default_media_reach_m(media, lane_rate) == expected


def test_default_media_reach_unknown_is_nan():
    assert np.isnan(default_media_reach_m(M.DAC, 200e9))
    assert np.isnan(default_media_reach_m(M.FIBER_SM, 100e9))
