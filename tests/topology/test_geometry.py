"""Route lengths against hand calculations.

Hall used throughout: rack width 0.6 m, row pitch 3.0 m, rack depth 1.2 m,
EIA unit 0.04445 m, unit 0 at 0.1 m, overhead tray at 2.5 m, 0.5 m slack per
end between racks, 0.3 m slack inside a rack.

Racks: 0 = (row 0, slot 0), 1 = (row 0, slot 3), 2 = (row 2, slot 0).

Ports (x, y, z):
  A rack 0, RU 10, front:  x = 0.5*0.6 = 0.3,  y = -0.6,      z = 0.1 + 10*0.04445 = 0.5445
  B rack 1, RU 20, rear:   x = 3.5*0.6 = 2.1,  y = +0.6,      z = 0.1 + 20*0.04445 = 0.9890
  C rack 2, RU 0,  front:  x = 0.3,            y = 6.0 - 0.6 = 5.4, z = 0.1
  D rack 0, RU 20, rear:   x = 0.3,            y = +0.6,      z = 0.9890
  E rack 0, RU 30, front:  z = 0.1 + 30*0.04445 = 1.4335
"""
from __future__ import annotations

import numpy as np
import pytest

from rackforge.topology.codes import Face, FormFactor, Role
from rackforge.topology.geometry import link_route_lengths, port_xyz, route_length_m
from rackforge.topology.tables import LinkTable
from tests.topology.fabrics import ports_of

HALL = dict(rack_width_m=0.6, row_pitch_m=3.0, rack_depth_m=1.2, base_offset_m=0.1)
ROUTE = dict(tray_height_m=2.5, crossing_m=1.2, slack_intra_m=0.3, slack_per_end_m=0.5)
RACK_ROW = np.array([0, 0, 2])
RACK_SLOT = np.array([0, 3, 0])

#          A     B     C     D     E
RACK = np.array([0, 1, 2, 0, 0])
RU = np.array([10.0, 20.0, 0.0, 20.0, 30.0])
FACE = np.array([Face.FRONT, Face.REAR, Face.FRONT, Face.REAR, Face.FRONT])


def xyz():
    return port_xyz(RACK, RU, FACE, RACK_ROW, RACK_SLOT, **HALL)


def test_port_positions_by_hand():
    x, y, z = xyz()
    assert np.allclose(x, [0.3, 2.1, 0.3, 0.3, 0.3])
    assert np.allclose(y, [-0.6, 0.6, 5.4, 0.6, -0.6])
    assert np.allclose(z, [0.5445, 0.989, 0.1, 0.989, 1.4335])


def lengths(pairs, **over):
    x, y, z = xyz()
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    kw = {**ROUTE, **over}
    return route_length_m(RACK[a], RACK[b], (x[a], y[a], z[a]), (x[b], y[b], z[b]), FACE[a], FACE[b], **kw)


def test_between_racks_same_row_overhead():
    # up 2.5-0.5445=1.9555, along 1.8, across 1.2 (front to rear face), down 2.5-0.989=1.511, slack 2*0.5
    assert lengths([(0, 1)])[0] == pytest.approx(1.9555 + 1.8 + 1.2 + 1.511 + 1.0)


def test_between_rows_overhead():
    # up 1.9555, along 0, across |-0.6-5.4| = 6.0, down 2.5-0.1 = 2.4, slack 1.0
    assert lengths([(0, 2)])[0] == pytest.approx(1.9555 + 6.0 + 2.4 + 1.0)


def test_underfloor_tray():
    # down |-0.3-0.5445| = 0.8445, along 1.8, across 1.2, up |-0.3-0.989| = 1.289, slack 1.0
    assert lengths([(0, 1)], tray_height_m=-0.3)[0] == pytest.approx(0.8445 + 1.8 + 1.2 + 1.289 + 1.0)


def test_inside_one_rack():
    # A (RU10 front) to D (RU20 rear): 10 units 0.4445 + crossing 1.2 + slack 0.3
    # A (RU10 front) to E (RU30 front): 20 units 0.889 + slack 0.3
    got = lengths([(0, 3), (0, 4)])
    assert got == pytest.approx([0.4445 + 1.2 + 0.3, 0.889 + 0.3])


def test_symmetric_in_ends():
    assert np.allclose(lengths([(0, 1), (2, 3)]), lengths([(1, 0), (3, 2)]))


def test_rack_orientation_mirrors_faces():
    x, y, z = port_xyz(RACK, RU, FACE, RACK_ROW, RACK_SLOT, rack_orientation=np.array([1, -1, 1]), **HALL)
    assert y[1] == pytest.approx(-0.6)  # rear of a turned rack faces the other aisle


def test_link_route_lengths_from_tables():
    # devices 0..4 = the five ports' devices, racks as above
    ports = ports_of([(d, Role.SCALE_OUT, FormFactor.OSFP, 400e9, 4, FACE[d], RU[d]) for d in range(5)])
    links = LinkTable([0, 0, 0, 7], [1, 3, 2, 1])
    got = link_route_lengths(ports, links, RACK, RACK_ROW, RACK_SLOT, tray_height_m=2.5,
                             slack_intra_m=0.3, slack_per_end_m=0.5, **HALL)
    assert got[:3] == pytest.approx([1.9555 + 1.8 + 1.2 + 1.511 + 1.0, 0.4445 + 1.2 + 0.3, 1.9555 + 6.0 + 2.4 + 1.0])
    assert np.isnan(got[3])  # invalid endpoint
