"""Vectorised per-port and per-link checks over the port and link tables.

Every check returns a sorted ``int64`` array of offending row indices (link
rows unless stated otherwise); an empty array means the check is silent. The
checks are independent so a rule can run exactly the one it owns.

Links whose endpoints are invalid (see :func:`links_with_invalid_endpoints`) are
reported by that check only; every other link check ignores them, so one bad
row cannot raise an ``IndexError`` or cascade into other findings.

All functions are pure: numpy arrays in, numpy arrays out.
"""
from __future__ import annotations

import numpy as np

from rackforge.topology.codes import (
    MEDIA_FIBER,
    MEDIA_USES_TRANSCEIVERS,
    TRANSCEIVER_FIBER,
    TRANSCEIVER_REACH_M,
    FormFactor,
    default_media_reach_m,
)
from rackforge.topology.tables import LinkTable, PortTable

__all__ = [
    "valid_link_mask",
    "links_with_invalid_endpoints",
    "overused_ports",
    "links_on_ports",
    "links_with_role_mismatch",
    "links_with_form_factor_mismatch",
    "links_with_speed_mismatch",
    "links_with_lane_mismatch",
    "links_with_bad_breakout",
    "links_shorter_than_route",
    "effective_reach_m",
    "links_beyond_reach",
    "links_missing_transceivers",
    "links_with_mismatched_transceivers",
    "run_link_checks",
]

#: Relative tolerance used when comparing speeds [-].
SPEED_RTOL = 1e-9


def _nz(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask).astype(np.int64, copy=False)


def _close(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.abs(x - y) <= SPEED_RTOL * np.maximum(np.abs(x), np.abs(y))


def _lut(table: np.ndarray, codes: np.ndarray, fill):
    """Look ``codes`` up in ``table``; out-of-range codes give ``fill``."""
    codes = np.asarray(codes, dtype=np.int64)
    ok = (codes >= 0) & (codes < table.shape[0])
    out = table[np.where(ok, codes, 0)]
    if not ok.all():
        out = np.where(ok, out, fill)
    return out


def valid_link_mask(links: LinkTable, n_ports: int) -> np.ndarray:
    """Boolean mask of links whose two endpoints are valid, distinct port rows.

    Parameters
    ----------
    links : LinkTable
        Links to test.
    n_ports : int
        Number of rows of the port table [-].

    Returns
    -------
    numpy.ndarray of bool, shape (n_links,)
        ``0 <= port_a < n_ports``, ``0 <= port_b < n_ports`` and ``port_a != port_b``.
    """
    a, b = links.port_a, links.port_b
    return (a >= 0) & (a < n_ports) & (b >= 0) & (b < n_ports) & (a != b)


def links_with_invalid_endpoints(links: LinkTable, n_ports: int) -> np.ndarray:
    """Links with an endpoint out of range, or both ends on the same port.

    Parameters
    ----------
    links : LinkTable
        Links to test.
    n_ports : int
        Number of rows of the port table [-].

    Returns
    -------
    numpy.ndarray of int64
        Offending link rows.
    """
    return _nz(~valid_link_mask(links, n_ports))


def _ends(ports: PortTable, links: LinkTable):
    ok = valid_link_mask(links, ports.n)
    if ok.all():
        return ok, links.port_a, links.port_b
    return ok, np.where(ok, links.port_a, 0), np.where(ok, links.port_b, 0)


def overused_ports(n_ports: int, links: LinkTable) -> np.ndarray:
    """Ports used by more links than they may carry.

    A port may appear in one link, except the trunk port of a 1xN breakout
    (``port_a`` of legs with ``fanout = N``), which may appear in up to N legs.
    The allowance of a port is the minimum over its appearances (a port used
    as ``port_b`` anywhere, or by a straight cable, allows exactly one use)::

        uses[p]    = #{links with port_a == p} + #{links with port_b == p}
        allowed[p] = min( {fanout_i : port_a_i == p} U {1 : port_b_i == p} )
        offender   <=>  uses[p] > allowed[p]

    Parameters
    ----------
    n_ports : int
        Number of rows of the port table [-].
    links : LinkTable
        Links; rows with invalid endpoints are ignored.

    Returns
    -------
    numpy.ndarray of int64
        Offending **port** rows. Use :func:`links_on_ports` to get the links.
    """
    ok = valid_link_mask(links, n_ports)
    a, b, fan = links.port_a, links.port_b, links.fanout
    if not ok.all():
        a, b, fan = a[ok], b[ok], fan[ok]
    uses = np.bincount(a, minlength=n_ports) + np.bincount(b, minlength=n_ports)
    allowed = np.full(n_ports, np.iinfo(np.int32).max, dtype=np.int64)
    allowed[b] = 1
    straight = fan <= 1
    allowed[a[straight]] = 1
    np.minimum.at(allowed, a[~straight], fan[~straight].astype(np.int64))
    return _nz(uses > allowed)


def links_on_ports(links: LinkTable, port_rows: np.ndarray, n_ports: int) -> np.ndarray:
    """Links that touch any of ``port_rows`` at either end.

    Parameters
    ----------
    links : LinkTable
        Links to scan.
    port_rows : array_like of int
        Port rows of interest (e.g. the output of :func:`overused_ports`).
    n_ports : int
        Number of rows of the port table [-].

    Returns
    -------
    numpy.ndarray of int64
        Link rows touching a listed port.
    """
    flag = np.zeros(n_ports + 1, dtype=bool)
    flag[np.asarray(port_rows, dtype=np.int64)] = True
    ok = valid_link_mask(links, n_ports)
    a = np.where(ok, links.port_a, n_ports)
    b = np.where(ok, links.port_b, n_ports)
    return _nz(flag[a] | flag[b])


def links_with_role_mismatch(ports: PortTable, links: LinkTable) -> np.ndarray:
    """Links joining ports of different roles (e.g. a scale-up port to a management port).

    Offender when ``role(port_a) != role(port_b)``.

    Parameters
    ----------
    ports : PortTable
        Port table (``role``).
    links : LinkTable
        Link table.

    Returns
    -------
    numpy.ndarray of int64
        Offending link rows.
    """
    ok, a, b = _ends(ports, links)
    return _nz(ok & (ports.role[a] != ports.role[b]))


def links_with_form_factor_mismatch(ports: PortTable, links: LinkTable) -> np.ndarray:
    """Links whose connector does not fit the port cage.

    For each end, when both the port's form factor and the link's connector
    form factor are given (not ``NONE``) they must be equal. When neither
    connector is given, a straight (``fanout == 1``) cable of a media without
    pluggable transceivers must join two ports of the same form factor; fibre
    between transceivers and breakouts without connector data are not judged
    by that fallback (give ``connector_a`` / ``connector_b`` for them).

    Parameters
    ----------
    ports : PortTable
        Port table (``form_factor`` column).
    links : LinkTable
        Links (``connector_a``, ``connector_b``, ``media``, ``fanout``).

    Returns
    -------
    numpy.ndarray of int64
        Offending link rows.

    References
    ----------
    SFF-8665 (QSFP28), QSFP-DD MSA, OSFP MSA: cages accept only their own plug.
    """
    ok, a, b = _ends(ports, links)
    none = FormFactor.NONE
    ff_a, ff_b = ports.form_factor[a], ports.form_factor[b]
    ca, cb = links.connector_a, links.connector_b
    bad = ((ca != none) & (ff_a != none) & (ca != ff_a)) | ((cb != none) & (ff_b != none) & (cb != ff_b))
    uses_x = _lut(MEDIA_USES_TRANSCEIVERS, links.media, False)
    fallback = (ca == none) & (cb == none) & ~uses_x & (links.fanout <= 1)
    bad |= fallback & (ff_a != none) & (ff_b != none) & (ff_a != ff_b)
    return _nz(bad & ok)


def links_with_speed_mismatch(ports: PortTable, links: LinkTable) -> np.ndarray:
    """Links whose speed does not agree with the ports at its ends.

    With N = ``fanout`` (1 for a straight cable)::

        speed(port_a) / N == speed(port_b)                 (always)
        speed(link)       == speed(port_b)                 (when the link speed is given)

    compared with a relative tolerance of 1e-9.

    Parameters
    ----------
    ports : PortTable
        Port table (``speed_bps`` [bit/s]).
    links : LinkTable
        Links (``speed_bps`` [bit/s], ``fanout``).

    Returns
    -------
    numpy.ndarray of int64
        Offending link rows (rows with ``fanout < 1`` are left to
        :func:`links_with_bad_breakout`).
    """
    ok, a, b = _ends(ports, links)
    n = links.fanout.astype(np.float64)
    good_fan = links.fanout >= 1
    sa = ports.speed_bps[a] / np.where(good_fan, n, 1.0)
    sb = ports.speed_bps[b]
    bad = ~_close(sa, sb)
    ls = links.speed_bps
    bad |= ~np.isnan(ls) & ~_close(ls, sb)
    return _nz(bad & ok & good_fan)


def links_with_lane_mismatch(ports: PortTable, links: LinkTable) -> np.ndarray:
    """Links whose lane count does not agree with the ports at its ends.

    With N = ``fanout``::

        lanes(port_a) == N * lanes(port_b)                  (always)
        lanes(link)   == lanes(port_b)                      (when link lanes > 0)

    Parameters
    ----------
    ports : PortTable
        Port table (``lanes``).
    links : LinkTable
        Links (``lanes``, ``fanout``).

    Returns
    -------
    numpy.ndarray of int64
        Offending link rows (``fanout < 1`` is left to :func:`links_with_bad_breakout`).
    """
    ok, a, b = _ends(ports, links)
    fan = links.fanout.astype(np.int64)
    good_fan = fan >= 1
    la = ports.lanes[a].astype(np.int64)
    lb = ports.lanes[b].astype(np.int64)
    bad = la != fan * lb
    ll = links.lanes
    bad |= (ll > 0) & (ll != lb)
    return _nz(bad & ok & good_fan)


def links_with_bad_breakout(ports: PortTable, links: LinkTable) -> np.ndarray:
    """Breakout legs that cannot be right whatever the far end.

    A leg is malformed when ``fanout < 1``, or when the trunk port's lanes do
    not divide into ``fanout`` equal groups (``lanes(port_a) % fanout != 0``):
    a 1xN breakout splits the trunk's lanes evenly across N ports of speed
    ``speed(port_a) / N`` (e.g. an 8-lane 800G OSFP into 2x 4-lane 400G, or
    4x 2-lane 200G). Too many legs on one trunk port is reported by
    :func:`overused_ports`.

    Parameters
    ----------
    ports : PortTable
        Port table (``lanes``).
    links : LinkTable
        Links (``fanout``).

    Returns
    -------
    numpy.ndarray of int64
        Offending link rows.

    References
    ----------
    IEEE Std 802.3-2022 clause 80 (lane-split PMDs); OSFP MSA rev 5 (twin-port).
    """
    ok, a, _ = _ends(ports, links)
    fan = links.fanout.astype(np.int64)
    la = ports.lanes[a].astype(np.int64)
    bad = (fan < 1) | ((fan > 1) & (la % np.maximum(fan, 1) != 0))
    return _nz(bad & ok)


def links_shorter_than_route(links: LinkTable, route_m: np.ndarray) -> np.ndarray:
    """Cables shorter than the route they must follow.

    Offender when ``length_m < route_m``. Rows with an unknown (``NaN``) cable
    length or route are not judged.

    Parameters
    ----------
    links : LinkTable
        Links (``length_m`` [m]).
    route_m : array_like of float, shape (n_links,)
        Route length from :func:`rackforge.topology.geometry.route_length_m` [m].

    Returns
    -------
    numpy.ndarray of int64
        Offending link rows.
    """
    route = np.asarray(route_m, dtype=np.float64)
    return _nz(links.length_m < route)


def effective_reach_m(
    links: LinkTable, xcvr_a=None, xcvr_b=None, xcvr_reach_m=None, default_media_reach: bool = True
) -> np.ndarray:
    """Reach of each link: the smallest of the cable's and the transceivers' reach.

    ``reach = min(reach_m(link), reach(xcvr_a), reach(xcvr_b))``, ignoring
    unknown (``NaN``) terms; ``NaN`` only when every term is unknown. Where the
    link's ``reach_m`` is unknown and ``default_media_reach`` is set, the
    media's default reach at the link's lane rate ``speed_bps / lanes``
    (:func:`~rackforge.topology.codes.default_media_reach_m`) stands in for it.

    Parameters
    ----------
    links : LinkTable
        Links (``reach_m`` [m]).
    xcvr_a, xcvr_b : array_like of int, optional
        :class:`~rackforge.topology.codes.Transceiver` code at each end.
    xcvr_reach_m : array_like of float, optional
        Reach per transceiver code [m]; defaults to
        :data:`~rackforge.topology.codes.TRANSCEIVER_REACH_M`.
    default_media_reach : bool, optional
        Fill unknown cable reach from the media table (default True).

    Returns
    -------
    numpy.ndarray of float
        Reach per link [m].
    """
    table = TRANSCEIVER_REACH_M if xcvr_reach_m is None else np.asarray(xcvr_reach_m, np.float64)
    reach = links.reach_m.copy()
    if default_media_reach:
        unknown = np.isnan(reach)
        if unknown.any():
            lanes = links.lanes[unknown].astype(np.float64)
            rate = links.speed_bps[unknown] / np.where(lanes > 0, lanes, np.nan)
            reach[unknown] = default_media_reach_m(links.media[unknown], rate)
    for x in (xcvr_a, xcvr_b):
        if x is not None:
            r = _lut(table, x, np.nan)
            r = np.where(np.isinf(r), np.nan, r)
            reach = np.fmin(reach, r)
    return reach


def links_beyond_reach(links: LinkTable, route_m=None, xcvr_a=None, xcvr_b=None, xcvr_reach_m=None) -> np.ndarray:
    """Links whose route or cable is longer than the media reaches at its speed.

    Offender when ``max(route_m, length_m) > reach`` with ``reach`` from
    :func:`effective_reach_m` (cable reach, else the media's default reach at
    the lane rate, capped by the transceivers'); ``NaN`` terms are ignored (a link with no known
    reach is not judged). The cable length is included because a cable longer
    than its reach is out of specification even on a short route.

    Parameters
    ----------
    links : LinkTable
        Links (``length_m`` [m], ``reach_m`` [m]).
    route_m : array_like of float, optional
        Route length per link [m].
    xcvr_a, xcvr_b : array_like of int, optional
        Transceiver code at each end.
    xcvr_reach_m : array_like of float, optional
        Reach per transceiver code [m].

    Returns
    -------
    numpy.ndarray of int64
        Offending link rows.

    References
    ----------
    NVIDIA LinkX cable and transceiver documentation; IEEE Std 802.3-2022
    (maximum reach per PMD).
    """
    need = links.length_m
    if route_m is not None:
        need = np.fmax(need, np.asarray(route_m, dtype=np.float64))
    reach = effective_reach_m(links, xcvr_a, xcvr_b, xcvr_reach_m)
    return _nz(need > reach)


def links_missing_transceivers(links: LinkTable, xcvr_a, xcvr_b) -> np.ndarray:
    """Fibre links without a pluggable transceiver at one or both ends.

    Offender when the media needs transceivers (``FIBER_MM``, ``FIBER_SM``)
    and ``xcvr_a == NONE`` or ``xcvr_b == NONE``.

    Parameters
    ----------
    links : LinkTable
        Links (``media``).
    xcvr_a, xcvr_b : array_like of int, shape (n_links,)
        Transceiver code at each end.

    Returns
    -------
    numpy.ndarray of int64
        Offending link rows.
    """
    xa = np.asarray(xcvr_a)
    xb = np.asarray(xcvr_b)
    need = _lut(MEDIA_USES_TRANSCEIVERS, links.media, False)
    return _nz(need & ((xa == 0) | (xb == 0)))


def links_with_mismatched_transceivers(links: LinkTable, xcvr_a, xcvr_b) -> np.ndarray:
    """Links whose transceivers cannot talk to each other or to the fibre.

    Offender when both ends have a transceiver and

    * their families differ (``SR`` vs ``DR``: different wavelength / PMD), or
    * a transceiver needs another fibre kind than the media carries (``SR`` on
      single-mode, ``DR`` on multimode), or
    * a code is unknown;

    or when a media without pluggable optics (copper, AOC, backplane) has a
    transceiver at either end.

    Parameters
    ----------
    links : LinkTable
        Links (``media``).
    xcvr_a, xcvr_b : array_like of int, shape (n_links,)
        Transceiver code at each end.

    Returns
    -------
    numpy.ndarray of int64
        Offending link rows.

    References
    ----------
    IEEE Std 802.3-2022 clauses 138 (SR), 124/140 (DR), 151 (FR/LR).
    """
    xa = np.asarray(xcvr_a, dtype=np.int64)
    xb = np.asarray(xcvr_b, dtype=np.int64)
    uses = _lut(MEDIA_USES_TRANSCEIVERS, links.media, False)
    fiber = _lut(MEDIA_FIBER, links.media, -1)
    fa = _lut(TRANSCEIVER_FIBER, xa, -1)
    fb = _lut(TRANSCEIVER_FIBER, xb, -1)
    both = (xa != 0) & (xb != 0)
    bad = uses & both & ((xa != xb) | (fa != fiber) | (fb != fiber))
    bad |= ~uses & ((xa != 0) | (xb != 0))
    return _nz(bad)


def run_link_checks(ports: PortTable, links: LinkTable, route_m=None, xcvr_a=None, xcvr_b=None) -> dict:
    """Run every per-port and per-link check and collect the offenders.

    Parameters
    ----------
    ports : PortTable
        Port table.
    links : LinkTable
        Link table.
    route_m : array_like of float, optional
        Route length per link [m]; length and reach checks use it when given.
    xcvr_a, xcvr_b : array_like of int, optional
        Transceiver codes per link end; transceiver checks run when given.

    Returns
    -------
    dict of str to numpy.ndarray
        ``invalid_endpoint_links``, ``overused_ports`` (port rows),
        ``role_mismatch_links``, ``form_factor_mismatch_links``, ``speed_mismatch_links``,
        ``lane_mismatch_links``, ``bad_breakout_links``, ``reach_exceeded_links``,
        and when inputs allow ``short_cable_links``,
        ``missing_transceiver_links``, ``mismatched_transceiver_links``.
    """
    out = {
        "invalid_endpoint_links": links_with_invalid_endpoints(links, ports.n),
        "overused_ports": overused_ports(ports.n, links),
        "role_mismatch_links": links_with_role_mismatch(ports, links),
        "form_factor_mismatch_links": links_with_form_factor_mismatch(ports, links),
        "speed_mismatch_links": links_with_speed_mismatch(ports, links),
        "lane_mismatch_links": links_with_lane_mismatch(ports, links),
        "bad_breakout_links": links_with_bad_breakout(ports, links),
        "reach_exceeded_links": links_beyond_reach(links, route_m, xcvr_a, xcvr_b),
    }
    if route_m is not None:
        out["short_cable_links"] = links_shorter_than_route(links, route_m)
    if xcvr_a is not None and xcvr_b is not None:
        out["missing_transceiver_links"] = links_missing_transceivers(links, xcvr_a, xcvr_b)
        out["mismatched_transceiver_links"] = links_with_mismatched_transceivers(links, xcvr_a, xcvr_b)
    return out
