"""Port positions in the hall and cable route lengths (vectorised).

Coordinate frame (metres, right-handed):

* ``x`` runs along a row: rack ``s`` of a row spans ``[s w, (s + 1) w]`` and
  its ports sit at the rack's centre line ``x = (s + 1/2) w`` (``w``: rack
  width).
* ``y`` runs across rows: row ``r`` is centred on ``y = r * row_pitch``; the
  front face of a rack is at ``y - d/2`` and the rear at ``y + d/2`` (``d``:
  rack depth), mirrored for racks with orientation ``-1`` (rows that face the
  other way across a hot or cold aisle).
* ``z`` is the height above the raised floor (or slab):
  ``z = base_offset + ru * unit_pitch`` with ``ru`` the port's rack-unit index
  counted from the bottom (EIA-310 unit pitch 44.45 mm; Open Rack 48 mm).

Routing model (:func:`route_length_m`):

* same rack: ``|z_a - z_b| + crossing * [face_a != face_b] + slack_intra``,
  i.e. vertically along the rack's cable management, across the rack once
  when the faces differ;
* different racks: up (or down) to the cable tray at height ``h``, a
  Manhattan run along and across rows, and down to the port:
  ``|h - z_a| + |x_a - x_b| + |y_a - y_b| + |h - z_b| + 2 slack_per_end``.
  Overhead trays have ``h`` above the racks, underfloor trays ``h < 0``.

References: EIA/ECA-310-E (rack unit 1.75 in = 44.45 mm); OCP Open Rack V3
base specification (OU = 48 mm); ANSI/TIA-942-B (hall layout, overhead and
underfloor pathways; Manhattan routing along the pathways).
"""
from __future__ import annotations

import numpy as np

from rackforge.topology.codes import Face
from rackforge.topology.tables import LinkTable, PortTable

__all__ = ["RACK_UNIT_M", "OPEN_RACK_UNIT_M", "port_xyz", "route_length_m", "link_route_lengths"]

#: EIA-310 rack unit [m].
RACK_UNIT_M = 0.04445
#: Open Rack "OU" [m].
OPEN_RACK_UNIT_M = 0.048


def port_xyz(
    port_rack,
    port_ru,
    port_face,
    rack_row,
    rack_slot,
    *,
    rack_width_m: float,
    row_pitch_m: float,
    rack_depth_m: float,
    unit_pitch_m: float = RACK_UNIT_M,
    base_offset_m: float = 0.0,
    rack_orientation=None,
):
    """Position of each port in the hall.

    ::

        x = (slot + 1/2) * rack_width
        y = row * row_pitch + o * (+1/2 if rear else -1/2) * rack_depth
        z = base_offset + ru * unit_pitch

    with ``o`` the rack orientation (+1, or -1 for a row turned round).

    Parameters
    ----------
    port_rack : array_like of int, shape (n_ports,)
        Rack index of each port (``device_rack[ports.device]``).
    port_ru : array_like of float, shape (n_ports,)
        Rack-unit index of the port's height, from the bottom [-].
    port_face : array_like of int, shape (n_ports,)
        :class:`~rackforge.topology.codes.Face` code.
    rack_row, rack_slot : array_like of int, shape (n_racks,)
        Row index and index within the row of each rack [-].
    rack_width_m : float
        Rack pitch along the row [m].
    row_pitch_m : float
        Distance between row centre lines [m].
    rack_depth_m : float
        Rack depth, front face to rear face [m].
    unit_pitch_m : float, optional
        Height of one rack unit [m] (EIA 0.04445, Open Rack 0.048).
    base_offset_m : float, optional
        Height of rack unit 0 above the floor [m].
    rack_orientation : array_like of int, shape (n_racks,), optional
        +1 (default) or -1 per rack.

    Returns
    -------
    x, y, z : numpy.ndarray of float, shape (n_ports,)
        Coordinates [m].

    References
    ----------
    EIA/ECA-310-E; OCP Open Rack V3 base specification.
    """
    rack = np.asarray(port_rack, dtype=np.int64)
    row = np.asarray(rack_row, dtype=np.float64)
    slot = np.asarray(rack_slot, dtype=np.float64)
    x = (slot[rack] + 0.5) * rack_width_m
    side = np.where(np.asarray(port_face) == Face.REAR, 0.5, -0.5)
    if rack_orientation is not None:
        side = side * np.asarray(rack_orientation, dtype=np.float64)[rack]
    y = row[rack] * row_pitch_m + side * rack_depth_m
    z = base_offset_m + np.asarray(port_ru, dtype=np.float64) * unit_pitch_m
    return x, y, z


def route_length_m(
    rack_a,
    rack_b,
    xyz_a,
    xyz_b,
    face_a,
    face_b,
    *,
    tray_height_m: float,
    crossing_m: float,
    slack_intra_m: float = 0.0,
    slack_per_end_m: float = 0.0,
):
    """Cable route length of each link under the tray-routing model.

    ::

        same rack:  L = |z_a - z_b| + crossing * [face_a != face_b] + slack_intra
        otherwise:  L = |h - z_a| + |x_a - x_b| + |y_a - y_b| + |h - z_b| + 2 slack_per_end

    Parameters
    ----------
    rack_a, rack_b : array_like of int, shape (n_links,)
        Rack index of each end.
    xyz_a, xyz_b : tuple of array_like of float
        ``(x, y, z)`` of each end [m], from :func:`port_xyz`.
    face_a, face_b : array_like of int
        :class:`~rackforge.topology.codes.Face` code of each end.
    tray_height_m : float
        Height ``h`` of the cable tray above the floor [m]; negative for an
        underfloor tray.
    crossing_m : float
        Length to cross a rack from front to rear [m] (about its depth).
    slack_intra_m : float, optional
        Service slack added to an in-rack cable [m].
    slack_per_end_m : float, optional
        Service slack added at each end of an inter-rack cable [m].

    Returns
    -------
    numpy.ndarray of float, shape (n_links,)
        Route length [m].

    References
    ----------
    ANSI/TIA-942-B (cable pathways); ANSI/TIA-569-D (pathway routing).
    """
    xa, ya, za = (np.asarray(v, dtype=np.float64) for v in xyz_a)
    xb, yb, zb = (np.asarray(v, dtype=np.float64) for v in xyz_b)
    same = np.asarray(rack_a) == np.asarray(rack_b)
    dz = np.abs(za - zb)
    cross = np.where(np.asarray(face_a) != np.asarray(face_b), crossing_m, 0.0)
    intra = dz + cross + slack_intra_m
    h = tray_height_m
    inter = np.abs(h - za) + np.abs(h - zb) + np.abs(xa - xb) + np.abs(ya - yb) + 2.0 * slack_per_end_m
    return np.where(same, intra, inter)


def link_route_lengths(
    ports: PortTable,
    links: LinkTable,
    device_rack,
    rack_row,
    rack_slot,
    *,
    rack_width_m: float,
    row_pitch_m: float,
    rack_depth_m: float,
    tray_height_m: float,
    crossing_m: float | None = None,
    unit_pitch_m: float = RACK_UNIT_M,
    base_offset_m: float = 0.0,
    slack_intra_m: float = 0.0,
    slack_per_end_m: float = 0.0,
    rack_orientation=None,
):
    """Route length of every link from the port table's ``ru`` and ``face``.

    Composes :func:`port_xyz` and :func:`route_length_m` for the two ends of
    each link; see those for the equations. Links with invalid endpoints get
    ``NaN``.

    Parameters
    ----------
    ports : PortTable
        Port table (``device``, ``ru``, ``face``).
    links : LinkTable
        Link table (``port_a``, ``port_b``).
    device_rack : array_like of int, shape (n_devices,)
        Rack index of each device.
    rack_row, rack_slot : array_like of int, shape (n_racks,)
        Row index and index within the row of each rack.
    rack_width_m, row_pitch_m, rack_depth_m : float
        Hall geometry [m].
    tray_height_m : float
        Cable tray height [m] (negative: underfloor).
    crossing_m : float, optional
        Front-to-rear crossing length [m] (default: ``rack_depth_m``).
    unit_pitch_m, base_offset_m : float, optional
        Rack-unit pitch and height of unit 0 [m].
    slack_intra_m, slack_per_end_m : float, optional
        Slack [m].
    rack_orientation : array_like of int, optional
        +1 / -1 per rack.

    Returns
    -------
    numpy.ndarray of float, shape (n_links,)
        Route length [m].
    """
    n = ports.n
    a, b = links.port_a, links.port_b
    ok = (a >= 0) & (a < n) & (b >= 0) & (b < n)
    if not ok.all():
        a, b = np.where(ok, a, 0), np.where(ok, b, 0)
    drack = np.asarray(device_rack, dtype=np.int64)
    out = np.empty(links.n)
    # process in chunks to bound temporaries at hall scale
    chunk = 1 << 21
    for s in range(0, links.n, chunk):
        e = min(s + chunk, links.n)
        pa, pb = a[s:e], b[s:e]
        ra, rb = drack[ports.device[pa]], drack[ports.device[pb]]
        kw = dict(
            rack_width_m=rack_width_m,
            row_pitch_m=row_pitch_m,
            rack_depth_m=rack_depth_m,
            unit_pitch_m=unit_pitch_m,
            base_offset_m=base_offset_m,
            rack_orientation=rack_orientation,
        )
        fa, fb = ports.face[pa], ports.face[pb]
        xyz_a = port_xyz(ra, ports.ru[pa], fa, rack_row, rack_slot, **kw)
        xyz_b = port_xyz(rb, ports.ru[pb], fb, rack_row, rack_slot, **kw)
        out[s:e] = route_length_m(
            ra,
            rb,
            xyz_a,
            xyz_b,
            fa,
            fb,
            tray_height_m=tray_height_m,
            crossing_m=rack_depth_m if crossing_m is None else crossing_m,
            slack_intra_m=slack_intra_m,
            slack_per_end_m=slack_per_end_m,
        )
    if not ok.all():
        out[~ok] = np.nan
    return out
