"""Fabric patterns: deterministic expansion of cabling intents into link arrays.

Each pattern takes arrays of port ids (rows of the port table), arranged per
device, and returns ``(port_a, port_b)``: two ``int64`` arrays of equal length,
one entry per link. The same input always gives the same output, in the same
order: no hashing, no sets, no randomness; ties are broken by input order.

The patterns know nothing about speeds or media; :func:`links_from_pairs`
turns the pairs into a :class:`~rackforge.topology.tables.LinkTable`.
"""
from __future__ import annotations

import numpy as np

from rackforge.topology.tables import LinkTable, PortTable

__all__ = [
    "round_robin_links",
    "scale_up_links",
    "leaf_spine_links",
    "rail_optimized_links",
    "management_links",
    "rank_within_groups",
    "links_from_pairs",
]


def _as_ports(x, ndim_min: int, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.int64)
    if arr.ndim < ndim_min:
        raise ValueError(f"{name} must have at least {ndim_min} dimensions, got shape {arr.shape}")
    return arr


def round_robin_links(src_ports, dst_ports):
    """Spread every source port over the destination devices, round-robin.

    Source ports are numbered by a global counter ``k = i * p + j`` (device
    ``i``, its port ``j``); port ``k`` goes to destination device ``k mod m``
    and takes that device's next free port, slot ``k div m``::

        dst_device(i, j) = (i * p + j) mod m
        dst_slot(i, j)   = (i * p + j) div m

    With ``p`` a multiple of ``m`` every source device gets ``p / m`` links to
    every destination device; with ``p < m`` consecutive source devices are
    striped over consecutive destination devices.

    Parameters
    ----------
    src_ports : array_like of int, shape (..., n, p)
        Port ids of ``n`` source devices with ``p`` ports each. Leading
        dimensions are independent batches (e.g. one per scale-up domain).
    dst_ports : array_like of int, shape (..., m, q)
        Port ids of ``m`` destination devices with ``q`` ports each, in the
        order they are to be filled.

    Returns
    -------
    port_a, port_b : numpy.ndarray of int64, shape (n_links,)
        ``port_a`` from ``src_ports`` in C order, ``port_b`` the matched
        destination port.

    Raises
    ------
    ValueError
        When the destination has too few ports (``ceil(n p / m) > q``) or the
        batch dimensions differ.
    """
    src = _as_ports(src_ports, 2, "src_ports")
    dst = _as_ports(dst_ports, 2, "dst_ports")
    if src.shape[:-2] != dst.shape[:-2]:
        raise ValueError(f"batch shapes differ: {src.shape[:-2]} vs {dst.shape[:-2]}")
    n, p = src.shape[-2:]
    m, q = dst.shape[-2:]
    if n * p == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if m == 0 or (n * p - 1) // m >= q:
        raise ValueError(f"{n}x{p} source ports do not fit on {m}x{q} destination ports")
    k = np.arange(n * p, dtype=np.int64)
    dev, slot = k % m, k // m
    batch = int(np.prod(src.shape[:-2], dtype=np.int64))
    src2 = src.reshape(batch, n * p)
    dst2 = dst.reshape(batch, m, q)
    port_b = dst2[:, dev, slot]
    return src2.reshape(-1).copy(), port_b.reshape(-1)


def scale_up_links(accelerator_ports, switch_ports):
    """Scale-up pattern: every accelerator port to the domain's switch chips.

    Round-robin (:func:`round_robin_links`): port ``j`` of accelerator ``i``
    goes to chip ``(i p + j) mod m``. For NVL72 (72 GPUs x 18 NVLink ports, 18
    NVSwitch chips x 72 ports, chips ordered tray by tray: tray ``t`` holds
    chips ``2t`` and ``2t+1``) this gives 72 x 18 = 1,296 links, GPU ``i``
    port ``j`` to chip ``j`` port ``i``: each GPU exactly one link to each chip.

    Parameters
    ----------
    accelerator_ports : array_like of int, shape (..., n_acc, p)
        Scale-up port ids per accelerator; leading dimensions index domains.
    switch_ports : array_like of int, shape (..., n_chips, q)
        Scale-up port ids per switch chip, trays flattened chip by chip.

    Returns
    -------
    port_a, port_b : numpy.ndarray of int64
        Accelerator port, switch port.

    References
    ----------
    NVIDIA DGX GB200 user guide (18 compute trays x 4 GPUs, 9 NVLink switch
    trays x 2 chips; 18 NVLink 5 links per GPU).
    """
    return round_robin_links(accelerator_ports, switch_ports)


def leaf_spine_links(leaf_uplink_ports, spine_ports, uplinks_per_leaf=None):
    """Leaf-spine pattern: each leaf's uplinks spread over the spines.

    Uplink ``j`` of leaf ``l`` goes to spine ``(l u + j) mod m`` (global
    round-robin, :func:`round_robin_links`) with ``u`` uplinks per leaf and
    ``m`` spines: with ``u`` a multiple of ``m`` every leaf has ``u / m`` links
    to every spine (a full bipartite Clos stage); with ``u < m`` leaves are
    striped over the spines.

    Parameters
    ----------
    leaf_uplink_ports : array_like of int, shape (..., n_leaves, >= u)
        Uplink-capable port ids per leaf.
    spine_ports : array_like of int, shape (..., n_spines, q)
        Downlink port ids per spine.
    uplinks_per_leaf : int, optional
        Uplink count ``u`` per leaf; the first ``u`` columns are used
        (default: all columns).

    Returns
    -------
    port_a, port_b : numpy.ndarray of int64
        Leaf port, spine port.

    References
    ----------
    C. Clos, "A study of non-blocking switching networks", Bell Syst. Tech. J.
    32(2), 1953; M. Al-Fares et al., "A scalable, commodity data center network
    architecture", SIGCOMM 2008.
    """
    up = _as_ports(leaf_uplink_ports, 2, "leaf_uplink_ports")
    if uplinks_per_leaf is not None:
        if uplinks_per_leaf > up.shape[-1]:
            raise ValueError(f"{uplinks_per_leaf} uplinks requested, leaves have {up.shape[-1]} ports")
        up = up[..., :uplinks_per_leaf]
    return round_robin_links(up, spine_ports)


def rank_within_groups(group) -> np.ndarray:
    """Position of each element among the elements of its group, in input order.

    ``rank[i] = #{j < i : group[j] == group[i]}``.

    Parameters
    ----------
    group : array_like of int, shape (n,)
        Group id per element (any integers).

    Returns
    -------
    numpy.ndarray of int64
        Rank per element.
    """
    g = np.asarray(group, dtype=np.int64)
    if g.size == 0:
        return np.zeros(0, np.int64)
    order = np.argsort(g, kind="stable")
    gs = g[order]
    start = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
    run = np.diff(np.r_[start, gs.size])
    rank_sorted = np.arange(g.size, dtype=np.int64) - np.repeat(start, run)
    rank = np.empty_like(rank_sorted)
    rank[order] = rank_sorted
    return rank


def rail_optimized_links(nic_ports, node_group, leaf_ports):
    """Rail-optimised scale-out: NIC ``i`` of each node to leaf ``i`` of its group.

    Nodes of a group take the leaves' downlink ports in node order: the
    ``k``-th node (input order) of group ``g`` uses port ``k`` of leaf
    ``(g, i)`` for its NIC ``i``::

        port_b(node, i) = leaf_ports[group(node), i, rank_in_group(node)]

    Parameters
    ----------
    nic_ports : array_like of int, shape (n_nodes, n_rails)
        Scale-out port id of NIC ``i`` of each node (-1: NIC absent, skipped).
    node_group : array_like of int, shape (n_nodes,)
        Rail group (scalable unit) of each node, ``0 .. n_groups-1``.
    leaf_ports : array_like of int, shape (n_groups, n_rails, d)
        Downlink port ids of the leaf serving rail ``i`` of group ``g``.

    Returns
    -------
    port_a, port_b : numpy.ndarray of int64
        NIC port, leaf port; node-major, rail-minor order.

    Raises
    ------
    ValueError
        When a group has more nodes than its leaves have downlinks, or the
        rail counts differ.

    References
    ----------
    NVIDIA DGX SuperPOD reference architecture (rail-aligned compute fabric);
    Juniper JVD "Rail Optimized Fabric".
    """
    nic = _as_ports(nic_ports, 2, "nic_ports")
    grp = np.asarray(node_group, dtype=np.int64)
    leaf = _as_ports(leaf_ports, 3, "leaf_ports")
    n_nodes, n_rails = nic.shape
    if grp.shape != (n_nodes,):
        raise ValueError("node_group must have one entry per node")
    if leaf.shape[1] != n_rails:
        raise ValueError(f"nodes have {n_rails} rails, leaves have {leaf.shape[1]}")
    if n_nodes == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if grp.min() < 0 or grp.max() >= leaf.shape[0]:
        raise ValueError("node_group out of range of leaf_ports")
    rank = rank_within_groups(grp)
    if rank.max() >= leaf.shape[2]:
        raise ValueError(f"a group has {rank.max() + 1} nodes, leaves have {leaf.shape[2]} downlinks")
    port_b = leaf[grp[:, None], np.arange(n_rails)[None, :], rank[:, None]]
    present = nic >= 0
    return nic[present], port_b[present]


def management_links(mgmt_ports, device_rack, tor_ports):
    """Management pattern: each device's management port to its rack's ToR switch.

    The ``k``-th device (input order) with a management port in rack ``r``
    takes ToR port ``tor_ports[r, k]``; give the ports of several management
    switches of a rack concatenated in the order they are to be filled.

    Parameters
    ----------
    mgmt_ports : array_like of int, shape (n_devices,)
        Management port id per device (-1: none, skipped).
    device_rack : array_like of int, shape (n_devices,)
        Rack index per device, ``0 .. n_racks-1``.
    tor_ports : array_like of int, shape (n_racks, t)
        Management-switch access port ids per rack.

    Returns
    -------
    port_a, port_b : numpy.ndarray of int64
        Device management port, ToR port.

    Raises
    ------
    ValueError
        When a rack has more managed devices than ToR ports.
    """
    mg = np.asarray(mgmt_ports, dtype=np.int64)
    rack = np.asarray(device_rack, dtype=np.int64)
    tor = _as_ports(tor_ports, 2, "tor_ports")
    if rack.shape != mg.shape:
        raise ValueError("device_rack must have one entry per device")
    keep = mg >= 0
    mg, rack = mg[keep], rack[keep]
    if mg.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if rack.min() < 0 or rack.max() >= tor.shape[0]:
        raise ValueError("device_rack out of range of tor_ports")
    rank = rank_within_groups(rack)
    if rank.max() >= tor.shape[1]:
        raise ValueError(f"a rack has {rank.max() + 1} managed devices, ToR has {tor.shape[1]} ports")
    return mg, tor[rack, rank]


def links_from_pairs(ports: PortTable, port_a, port_b, media=0, length_m=np.nan, reach_m=np.nan) -> LinkTable:
    """Build a straight-cable :class:`LinkTable` from pattern output.

    Speed and lanes of each link are taken from ``port_b`` (the check
    :func:`rackforge.topology.checks.links_with_speed_mismatch` then compares
    them with ``port_a``); ``fanout`` is 1.

    Parameters
    ----------
    ports : PortTable
        Port table the ids refer to.
    port_a, port_b : array_like of int
        Pattern output.
    media : int or array_like of int, optional
        :class:`~rackforge.topology.codes.Media` code(s).
    length_m : float or array_like of float, optional
        Cable length [m].
    reach_m : float or array_like of float, optional
        Cable reach [m].

    Returns
    -------
    LinkTable
        One row per pair.
    """
    a = np.asarray(port_a, dtype=np.int64)
    b = np.asarray(port_b, dtype=np.int64)
    n = a.shape[0]
    return LinkTable(
        port_a=a,
        port_b=b,
        media=np.array(np.broadcast_to(np.asarray(media, np.int8), (n,))),
        length_m=np.array(np.broadcast_to(np.asarray(length_m, np.float64), (n,))),
        reach_m=np.array(np.broadcast_to(np.asarray(reach_m, np.float64), (n,))),
        speed_bps=ports.speed_bps[b],
        lanes=ports.lanes[b],
    )
