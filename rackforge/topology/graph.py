"""Device-level graph checks: scale-up domain, scale-out fabric, management, SPOF.

Port-level links are first aggregated with numpy into one edge per device pair
(:func:`aggregate_device_links`, summed capacity and link count); networkx
only ever sees that device graph, so a hall of a thousand racks stays small.
Scale-up reachability is done without networkx, as an incidence-matrix
product (:func:`scale_up_report`), and scale-up domains as connected
components by numpy label propagation (:func:`connected_components`).

Start-up cost: networkx and scipy take 0.2-0.35 s to import, more than the
rest of a one-design ``validate``. They are imported inside the functions that
need them (max-flow, articulation points; the sparse product only for large
halls, above :data:`DENSE_REACH_MAX`), never at module import.

Bandwidths are per direction [bit/s] unless a key says otherwise: a link's
capacity is its ``speed_bps``; a full-duplex link carries that much each way.
Results are plain numpy arrays and dicts with the unit in the key name.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from rackforge.topology.checks import valid_link_mask
from rackforge.topology.codes import Role
from rackforge.topology.tables import LinkTable, PortTable

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

#: Largest reachability product (``n_acc * n_acc * n_devices`` multiply-adds) that :func:`scale_up_report`
#: forms densely, as an int32 numpy matmul (about 1 ns each: 4 ms at the bound); above it, scipy.sparse.
#: Integer, not float64: numpy hands float products to OpenBLAS, which runs these sizes on threads that
#: cost ~12 ms per call on a busy 2-core machine (72 x 110 x 72: int32 0.24 ms). An NVL72 rack is
#: 72 x 72 x 119 = 0.62e6; the Kyber seed 144 x 144 x 177 = 3.7e6.
DENSE_REACH_MAX = 4_000_000

__all__ = [
    "DENSE_REACH_MAX",
    "DeviceEdges",
    "link_capacity_bps",
    "link_role",
    "aggregate_device_links",
    "device_graph",
    "connected_components",
    "scale_up_domains",
    "scale_up_report",
    "bandwidth_per_owner_bps",
    "rail_misaligned_links",
    "oversubscription",
    "halves_by_order",
    "contract_sides",
    "bisection_bandwidth_bps",
    "bisection_bandwidth_bruteforce_bps",
    "devices_without_management",
    "single_points_of_failure",
    "single_points_of_failure_arrays",
]


@dataclass(frozen=True, eq=False)
class DeviceEdges:
    """Aggregated device-level edges (one row per unordered device pair).

    Attributes
    ----------
    u, v : numpy.ndarray of int64
        Device ids with ``u < v``, rows sorted by ``(u, v)``.
    capacity_bps : numpy.ndarray of float
        Summed capacity of the parallel links, per direction [bit/s].
    n_links : numpy.ndarray of int64
        Number of parallel port-level links.
    n_devices : int
        Number of devices (graph nodes ``0 .. n_devices-1``).
    """

    u: np.ndarray
    v: np.ndarray
    capacity_bps: np.ndarray
    n_links: np.ndarray
    n_devices: int

    def __len__(self) -> int:
        return int(self.u.shape[0])


def link_capacity_bps(ports: PortTable, links: LinkTable) -> np.ndarray:
    """Capacity of each link, one direction [bit/s].

    ``speed_bps`` of the link when given, else
    ``min(speed(port_a) / fanout, speed(port_b))``; 0 for invalid endpoints.

    Parameters
    ----------
    ports : PortTable
        Port table.
    links : LinkTable
        Link table.

    Returns
    -------
    numpy.ndarray of float, shape (n_links,)
        Capacity [bit/s].
    """
    ok = valid_link_mask(links, ports.n)
    a = np.where(ok, links.port_a, 0)
    b = np.where(ok, links.port_b, 0)
    fan = np.maximum(links.fanout, 1)
    fallback = np.minimum(ports.speed_bps[a] / fan, ports.speed_bps[b])
    cap = np.where(np.isnan(links.speed_bps), fallback, links.speed_bps)
    return np.where(ok, cap, 0.0)


def link_role(ports: PortTable, links: LinkTable) -> np.ndarray:
    """Role of each link: the role of its ``port_a`` (-1 for invalid endpoints).

    Parameters
    ----------
    ports : PortTable
        Port table.
    links : LinkTable
        Link table.

    Returns
    -------
    numpy.ndarray of int8
        :class:`~rackforge.topology.codes.Role` code per link.
    """
    ok = valid_link_mask(links, ports.n)
    return np.where(ok, ports.role[np.where(ok, links.port_a, 0)], -1).astype(np.int8)


def _select(ports: PortTable, links: LinkTable, roles):
    """Valid links of the given roles: (a, b) port rows and the link mask."""
    keep = valid_link_mask(links, ports.n)
    if roles is not None:
        keep &= np.isin(link_role(ports, links), np.asarray(list(roles), dtype=np.int8))
    return keep


def aggregate_device_links(ports: PortTable, links: LinkTable, roles=None, n_devices: int | None = None) -> DeviceEdges:
    """Aggregate port-level links into one edge per unordered device pair.

    ``capacity(u, v) = sum of link_capacity_bps over links between u and v``;
    links inside one device (both ends on the same device) are dropped, as are
    links with invalid endpoints.

    Parameters
    ----------
    ports : PortTable
        Port table.
    links : LinkTable
        Link table.
    roles : iterable of int, optional
        Keep only links whose ``port_a`` has one of these
        :class:`~rackforge.topology.codes.Role` codes (default: all).
    n_devices : int, optional
        Number of devices (default ``max(ports.device) + 1``).

    Returns
    -------
    DeviceEdges
        Aggregated edges.
    """
    if n_devices is None:
        n_devices = int(ports.device.max()) + 1 if ports.n else 0
    keep = _select(ports, links, roles)
    cap = link_capacity_bps(ports, links)
    idx = np.flatnonzero(keep)
    da = ports.device[links.port_a[idx]]
    db = ports.device[links.port_b[idx]]
    cap = cap[idx]
    inner = da != db
    if not inner.all():
        da, db, cap = da[inner], db[inner], cap[inner]
    u = np.minimum(da, db)
    v = np.maximum(da, db)
    key = u * np.int64(n_devices) + v
    uniq, inv = np.unique(key, return_inverse=True)
    return DeviceEdges(
        u=uniq // n_devices,
        v=uniq % n_devices,
        capacity_bps=np.bincount(inv, weights=cap, minlength=uniq.size),
        n_links=np.bincount(inv, minlength=uniq.size).astype(np.int64),
        n_devices=int(n_devices),
    )


def device_graph(edges: DeviceEdges, nodes=None) -> nx.Graph:
    """Build the networkx device graph from aggregated edges.

    Parameters
    ----------
    edges : DeviceEdges
        Output of :func:`aggregate_device_links`.
    nodes : array_like of int, optional
        Nodes to include even when isolated (default: every device
        ``0 .. n_devices-1``). Edges touching other devices are dropped.

    Returns
    -------
    networkx.Graph
        Undirected graph; edge attributes ``capacity_bps`` [bit/s] (per
        direction) and ``n_links``.
    """
    import networkx as nx

    g = nx.Graph()
    if nodes is None:
        g.add_nodes_from(range(edges.n_devices))
        keep = slice(None)
    else:
        nodes = np.unique(np.asarray(nodes, dtype=np.int64))
        g.add_nodes_from(nodes.tolist())
        inside = np.zeros(edges.n_devices, dtype=bool)
        inside[nodes] = True
        keep = inside[edges.u] & inside[edges.v]
    g.add_edges_from(
        (u, v, {"capacity_bps": c, "n_links": k})
        for u, v, c, k in zip(
            edges.u[keep].tolist(),
            edges.v[keep].tolist(),
            edges.capacity_bps[keep].tolist(),
            edges.n_links[keep].tolist(),
        )
    )
    return g


def connected_components(n: int, u, v) -> np.ndarray:
    """Connected components of an undirected graph on nodes ``0 .. n-1``, numpy only.

    Each node gets the smallest node id of its component. Label propagation with hooking and
    pointer jumping (Shiloach & Vishkin 1982): ``label`` is a forest whose parents are smaller than
    their children; every round hooks, for every edge joining two trees, the larger root under the
    smaller one, then jumps pointers until every node points at its root; it stops when no edge
    joins two trees. The label of a component's smallest node can only be itself, so the final
    root of every component is its smallest node.

    Parameters
    ----------
    n : int
        Number of nodes.
    u, v : array_like of int, shape (m,)
        Edge end points (any order; self loops and repeats allowed).

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
        Smallest node id of each node's component.

    References
    ----------
    Y. Shiloach and U. Vishkin, "An O(log n) parallel connectivity algorithm", J. Algorithms 3(1),
    57-67, 1982.
    """
    label = np.arange(n, dtype=np.int64)
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    while True:
        lu, lv = label[u], label[v]
        join = lu != lv
        if not join.any():
            return label
        lu, lv = lu[join], lv[join]
        np.minimum.at(label, np.maximum(lu, lv), np.minimum(lu, lv))
        while True:
            nxt = label[label]
            if np.array_equal(nxt, label):
                break
            label = nxt


def scale_up_domains(ports: PortTable, links: LinkTable, is_accelerator, n_devices: int | None = None):
    """Scale-up domains as connected components of the scale-up links.

    Two devices are in one domain when a path of ``SCALE_UP`` links joins them
    (through switch chips or directly). Computed with :func:`connected_components` on the
    aggregated device edges.

    Parameters
    ----------
    ports : PortTable
        Port table.
    links : LinkTable
        Link table.
    is_accelerator : array_like of bool, shape (n_devices,)
        True for accelerators (GPU packages).
    n_devices : int, optional
        Number of devices (default ``len(is_accelerator)``).

    Returns
    -------
    dict
        ``domain`` (int64 per device, -1 for devices without a scale-up link
        that are not accelerators; an isolated accelerator is a domain of
        one), ``domain_size`` (accelerators per domain id), ``n_domains``.
    """
    acc = np.asarray(is_accelerator, dtype=bool)
    n = acc.shape[0] if n_devices is None else n_devices
    e = aggregate_device_links(ports, links, roles=(Role.SCALE_UP,), n_devices=n)
    label = connected_components(n, e.u, e.v)
    touched = np.zeros(n, dtype=bool)
    touched[e.u] = True
    touched[e.v] = True
    member = touched | acc
    # renumber the components that hold members, in order of first device
    _, first, inv = np.unique(label[member], return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first, kind="stable"), kind="stable")
    domain = np.full(n, -1, dtype=np.int64)
    domain[member] = order[inv]
    size = np.bincount(domain[acc & member], minlength=first.size).astype(np.int64)
    return {"domain": domain, "domain_size": size, "n_domains": int(first.size)}


def scale_up_report(ports: PortTable, links: LinkTable, accelerators, is_switch, domain=None) -> dict:
    """Scale-up figures per accelerator and single-switch-hop reachability.

    Let ``A`` be the accelerator x switch incidence matrix of the scale-up
    links (``A[i, s] = 1`` when accelerator ``i`` has a link to switch ``s``)
    and ``D`` the accelerator x accelerator matrix of direct links. Two
    accelerators ``i != j`` of the same domain reach each other in at most one
    switch hop when ``(A A^T)[i, j] > 0`` or ``D[i, j] > 0`` (a sparse
    product: common switch neighbours). Per accelerator::

        link_count     = #scale-up links at its ports
        bandwidth_bps  = sum of their capacities (one direction)
        unreachable_peers = (domain size - 1) - #{j in domain : reachable}

    Parameters
    ----------
    ports : PortTable
        Port table.
    links : LinkTable
        Link table.
    accelerators : array_like of int, shape (n_acc,)
        Accelerator device ids.
    is_switch : array_like of bool, shape (n_devices,)
        True for scale-up switch devices (switch chips).
    domain : array_like of int, shape (n_acc,), optional
        Intended domain of each accelerator (default: the connected components
        of :func:`scale_up_domains`).

    Returns
    -------
    dict
        ``accelerator`` (ids), ``domain``, ``domain_size`` (per accelerator),
        ``link_count``, ``bandwidth_bps``, ``unreachable_peers`` (per
        accelerator), ``domain_ids``, ``domain_sizes``,
        ``domain_all_pairs_single_hop`` (bool per domain id).

    References
    ----------
    NVIDIA NVLink/NVSwitch: every GPU of an NVL72 domain one NVSwitch hop from
    every other (DGX GB200 user guide).
    """
    acc = np.asarray(accelerators, dtype=np.int64)
    is_sw = np.asarray(is_switch, dtype=bool)
    n_dev = max(is_sw.shape[0], int(ports.device.max()) + 1 if ports.n else 0, int(acc.max()) + 1 if acc.size else 0)
    if is_sw.shape[0] < n_dev:
        is_sw = np.r_[is_sw, np.zeros(n_dev - is_sw.shape[0], bool)]
    n_acc = acc.shape[0]
    acc_index = np.full(n_dev, -1, dtype=np.int64)
    acc_index[acc] = np.arange(n_acc)

    keep = _select(ports, links, (Role.SCALE_UP,))
    cap = link_capacity_bps(ports, links)[keep]
    da = ports.device[links.port_a[keep]]
    db = ports.device[links.port_b[keep]]
    ia, ib = acc_index[da], acc_index[db]
    link_count = np.bincount(ia[ia >= 0], minlength=n_acc) + np.bincount(ib[ib >= 0], minlength=n_acc)
    bw = np.bincount(ia[ia >= 0], weights=cap[ia >= 0], minlength=n_acc) + np.bincount(
        ib[ib >= 0], weights=cap[ib >= 0], minlength=n_acc
    )

    if domain is None:
        dom_all = scale_up_domains(ports, links, np.isin(np.arange(n_dev), acc), n_devices=n_dev)["domain"]
        dom = dom_all[acc]
    else:
        dom = np.asarray(domain, dtype=np.int64)
    dom_ids, dom_inv = np.unique(dom, return_inverse=True)
    dom_sizes = np.bincount(dom_inv, minlength=dom_ids.size)

    # incidence accelerator x switch (both orientations of the link)
    sw_a = (ia >= 0) & is_sw[db]
    sw_b = (ib >= 0) & is_sw[da]
    rows = np.concatenate([ia[sw_a], ib[sw_b]])
    cols = np.concatenate([db[sw_a], da[sw_b]])
    direct = (ia >= 0) & (ib >= 0)
    da_, db_ = np.r_[ia[direct], ib[direct]], np.r_[ib[direct], ia[direct]]
    r, c = _reach_pairs(rows, cols, da_, db_, n_acc, n_dev)
    same = (dom_inv[r] == dom_inv[c]) & (r != c)
    reached = np.bincount(r[same], minlength=n_acc)
    unreachable = dom_sizes[dom_inv] - 1 - reached
    all_ok = np.bincount(dom_inv, weights=(unreachable > 0), minlength=dom_ids.size) == 0
    return {
        "accelerator": acc,
        "domain": dom,
        "domain_size": dom_sizes[dom_inv],
        "link_count": link_count.astype(np.int64),
        "bandwidth_bps": bw,
        "unreachable_peers": unreachable.astype(np.int64),
        "domain_ids": dom_ids,
        "domain_sizes": dom_sizes.astype(np.int64),
        "domain_all_pairs_single_hop": all_ok,
    }


def _reach_pairs(rows, cols, da, db, n_acc: int, n_dev: int):
    """Distinct pairs ``(i, j)`` with ``(A A^T)[i, j] > 0`` or a direct link ``D[i, j]``, row-major.

    ``A`` (``n_acc x n_dev``) has a 1 at every ``(rows, cols)``; ``D`` a 1 at every ``(da, db)``.
    Dense numpy up to :data:`DENSE_REACH_MAX` multiply-adds, scipy.sparse above (imported only then).
    """
    if n_acc * n_acc * n_dev <= DENSE_REACH_MAX:
        inc = np.zeros((n_acc, n_dev), dtype=np.int32)
        inc[rows, cols] = 1
        reach = inc @ inc.T
        reach[da, db] = 1
        r, c = np.nonzero(reach > 0)
        return r.astype(np.int64), c.astype(np.int64)
    import scipy.sparse as sp

    inc = sp.csr_array((np.ones(rows.size, np.int32), (rows, cols)), shape=(n_acc, n_dev))
    inc.sum_duplicates()
    inc.data[:] = 1
    reach = (inc @ inc.T).tocsr()
    if da.size:
        reach = (reach + sp.csr_array((np.ones(da.size, np.int32), (da, db)), shape=(n_acc, n_acc))).tocsr()
    reach.sum_duplicates()  # one stored entry per distinct (i, j)
    r = np.repeat(np.arange(n_acc, dtype=np.int64), np.diff(reach.indptr))
    c = reach.indices.astype(np.int64)
    pos = reach.data > 0
    return r[pos], c[pos]


def bandwidth_per_owner_bps(ports: PortTable, links: LinkTable, owner=None, roles=(Role.SCALE_OUT,), n_owners=None):
    """Link bandwidth landing on each owner's ports, one direction [bit/s].

    ``bw[o] = sum of link_capacity_bps over link ends at ports p with
    owner[p] == o``, over links of the given roles. With ``owner`` the port's
    device this is the scale-out bandwidth per node; pass the accelerator each
    NIC port serves to get the bandwidth per accelerator.

    Parameters
    ----------
    ports : PortTable
        Port table.
    links : LinkTable
        Link table.
    owner : array_like of int, shape (n_ports,), optional
        Owner id per port, -1 for none (default ``ports.device``).
    roles : iterable of int, optional
        Roles to count (default scale-out).
    n_owners : int, optional
        Length of the result (default ``max(owner) + 1``).

    Returns
    -------
    numpy.ndarray of float
        Bandwidth per owner [bit/s].
    """
    own = ports.device if owner is None else np.asarray(owner, dtype=np.int64)
    if n_owners is None:
        n_owners = int(own.max()) + 1 if own.size else 0
    keep = _select(ports, links, roles)
    cap = link_capacity_bps(ports, links)[keep]
    out = np.zeros(n_owners)
    for end in (links.port_a[keep], links.port_b[keep]):
        o = own[end]
        m = o >= 0
        out += np.bincount(o[m], weights=cap[m], minlength=n_owners)
    return out


def rail_misaligned_links(ports: PortTable, links: LinkTable, port_rail, device_rail) -> np.ndarray:
    """Scale-out links from NIC ``i`` that do not land on a rail-``i`` switch.

    For each scale-out link and each orientation: when the near port has a
    rail (``port_rail >= 0``, a node's NIC ``i``) and the far device has a rail
    (``device_rail >= 0``, a rail leaf), they must be equal.

    Parameters
    ----------
    ports : PortTable
        Port table.
    links : LinkTable
        Link table.
    port_rail : array_like of int, shape (n_ports,)
        Rail index of each node NIC port, -1 elsewhere.
    device_rail : array_like of int, shape (n_devices,)
        Rail served by each leaf switch, -1 elsewhere.

    Returns
    -------
    numpy.ndarray of int64
        Offending link rows.

    References
    ----------
    NVIDIA DGX SuperPOD reference architecture ("rail-aligned" compute fabric).
    """
    prail = np.asarray(port_rail, dtype=np.int64)
    drail = np.asarray(device_rail, dtype=np.int64)
    keep = _select(ports, links, (Role.SCALE_OUT,))
    a = np.where(keep, links.port_a, 0)
    b = np.where(keep, links.port_b, 0)
    bad = np.zeros(links.n, dtype=bool)
    for near, far in ((a, b), (b, a)):
        r_near = prail[near]
        r_far = drail[ports.device[far]]
        bad |= (r_near >= 0) & (r_far >= 0) & (r_near != r_far)
    return np.flatnonzero(bad & keep).astype(np.int64)


def oversubscription(edges: DeviceEdges, device_tier, tier: int = 1) -> dict:
    """Down/up bandwidth ratio of every switch of one tier.

    For each device ``d`` with ``device_tier[d] == tier``::

        downlink_bps = sum of capacity to devices of a lower tier
        uplink_bps   = sum of capacity to devices of a higher tier
        oversubscription = downlink_bps / uplink_bps   (inf when uplink is 0)

    A leaf with 48 x 400G down and 16 x 400G up is 3:1 (``3.0``).

    Parameters
    ----------
    edges : DeviceEdges
        Aggregated edges (usually scale-out only).
    device_tier : array_like of int, shape (n_devices,)
        0 for endpoints (nodes), 1 leaf, 2 spine, 3 core; -1 to ignore.
    tier : int, optional
        Tier to report (default leaves).

    Returns
    -------
    dict
        ``device``, ``downlink_bps``, ``uplink_bps``, ``oversubscription``.

    References
    ----------
    M. Al-Fares et al., SIGCOMM 2008 (oversubscription of a tree level).
    """
    t = np.asarray(device_tier, dtype=np.int64)
    tu, tv = t[edges.u], t[edges.v]
    valid = (tu >= 0) & (tv >= 0)
    n = t.shape[0]
    down = np.zeros(n)
    up = np.zeros(n)
    for x, tx, ty in ((edges.u, tu, tv), (edges.v, tv, tu)):
        m = valid & (ty < tx)
        down += np.bincount(x[m], weights=edges.capacity_bps[m], minlength=n)
        m = valid & (ty > tx)
        up += np.bincount(x[m], weights=edges.capacity_bps[m], minlength=n)
    dev = np.flatnonzero(t == tier).astype(np.int64)
    d, u = down[dev], up[dev]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(u > 0, d / np.where(u > 0, u, 1.0), np.where(d > 0, np.inf, np.nan))
    return {"device": dev, "downlink_bps": d, "uplink_bps": u, "oversubscription": ratio}


def halves_by_order(endpoints):
    """Split endpoints into the first and second half of their given order.

    ``side_a = endpoints[: n // 2]``, ``side_b = endpoints[n // 2 :]``. With
    endpoints listed in rack order (row, then index in row) this is the cut
    through the middle of the hall.

    Parameters
    ----------
    endpoints : array_like of int
        Endpoint device ids in order.

    Returns
    -------
    side_a, side_b : numpy.ndarray of int64
    """
    e = np.asarray(endpoints, dtype=np.int64)
    return e[: e.size // 2], e[e.size // 2 :]


def _flow_graph(edges: DeviceEdges, side_a, side_b) -> tuple[nx.DiGraph, str, str]:
    import networkx as nx

    g = nx.DiGraph()
    cap = edges.capacity_bps.tolist()
    uu, vv = edges.u.tolist(), edges.v.tolist()
    g.add_edges_from((u, v, {"capacity": c}) for u, v, c in zip(uu, vv, cap))
    g.add_edges_from((v, u, {"capacity": c}) for u, v, c in zip(uu, vv, cap))
    s, t = "source", "sink"
    g.add_edges_from((s, int(x)) for x in side_a)  # no capacity attribute: infinite
    g.add_edges_from((int(x), t) for x in side_b)
    return g, s, t


def contract_sides(edges: DeviceEdges, side_a, side_b) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The device graph with every endpoint of ``side_a`` merged into a source and of ``side_b`` into a sink.

    The super-source of :func:`bisection_bandwidth_bps` reaches each endpoint of ``side_a`` over an arc of
    unbounded capacity, so no finite cut separates them: merging them into the source (and ``side_b`` into the
    sink) keeps every finite cut and its capacity, hence the max-flow value (Ford & Fulkerson 1956; the
    contraction of an uncuttable edge). Edges inside one side vanish, parallel edges (a leaf's links to the
    many nodes of one side) are summed. For a hall this removes the compute nodes, the bulk of the scale-out
    graph, and leaves the switches.

    Parameters
    ----------
    edges : DeviceEdges
        Aggregated device edges.
    side_a, side_b : array_like of int
        Endpoint device ids of each side (disjoint).

    Returns
    -------
    u, v : numpy.ndarray of int64
        Edge ends in the contracted graph, ``u < v``, one row per pair; node 0 is the source, 1 the sink,
        ``2 ..`` the devices on neither side (in device order).
    capacity_bps : numpy.ndarray of float
        Summed capacity per direction [bit/s].
    n_nodes : int
        Nodes of the contracted graph.
    """
    n = edges.n_devices
    node = np.full(n, -1, np.int64)
    node[np.asarray(side_a, dtype=np.int64)] = 0
    node[np.asarray(side_b, dtype=np.int64)] = 1
    rest = np.flatnonzero(node < 0)
    node[rest] = 2 + np.arange(rest.size)
    cu, cv = node[edges.u], node[edges.v]
    keep = cu != cv
    cu, cv, cap = cu[keep], cv[keep], edges.capacity_bps[keep]
    lo, hi = np.minimum(cu, cv), np.maximum(cu, cv)
    m = np.int64(rest.size + 2)
    key, inv = np.unique(lo * m + hi, return_inverse=True)
    return key // m, key % m, np.bincount(inv, weights=cap, minlength=key.size), int(m)


#: Largest value (in units of the capacities' greatest common divisor) that :func:`_maxflow_int` hands to
#: scipy's max-flow, whose capacities and flows are int32.
_INT32_SAFE = 2**31 - 1


def _maxflow_int(u, v, cap, n: int, s: int, t: int) -> float | None:
    """Max-flow ``s -> t`` with scipy's Dinic (:func:`scipy.sparse.csgraph.maximum_flow`) on undirected edges
    ``(u, v, cap)``, each two arcs. Exact in integers: the capacities are divided by their greatest common
    divisor ``g`` and the flow multiplied back. ``None`` (caller falls back) when a capacity is not an integer
    number of bit/s or the flow, in units of ``g``, may not fit in int32."""
    if cap.size == 0:
        return 0.0
    if not np.all(np.isfinite(cap)) or cap.min() < 0 or cap.max() >= 2.0**62 or np.any(cap != np.round(cap)):
        return None
    ci = cap.astype(np.int64)
    g = int(np.gcd.reduce(ci[ci > 0])) if (ci > 0).any() else 1
    units = ci // g
    out_s = int(units[(u == s) | (v == s)].sum())
    if out_s > _INT32_SAFE // 2 or 2 * int(units.max()) > _INT32_SAFE:
        return None
    import scipy.sparse as sp
    from scipy.sparse.csgraph import maximum_flow

    rows = np.r_[u, v]
    cols = np.r_[v, u]
    a = sp.csr_array((np.r_[units, units].astype(np.int32), (rows, cols)), shape=(n, n))
    a.sum_duplicates()
    return float(int(maximum_flow(a, s, t).flow_value) * g)


def bisection_bandwidth_bps(edges: DeviceEdges, side_a, side_b, flow_func=None, contract: bool = True) -> float:
    """Bandwidth across a given two-way partition of the endpoints, by max-flow.

    A super-source feeds every endpoint of ``side_a`` and every endpoint of
    ``side_b`` drains to a super-sink, both with unbounded capacity; each
    device edge is two arcs of capacity ``capacity_bps`` (full duplex, one
    direction each). By the max-flow/min-cut theorem the maximum flow equals
    the capacity of the smallest edge cut separating the two sides: the
    bandwidth one half can push to the other at once [bit/s].

    How: by default (``contract`` and no ``flow_func``) on the graph of
    :func:`contract_sides` (the sides merged into source and sink, the same
    max-flow value), with scipy's Dinic in integers when the capacities are
    whole bit/s and fit (exact), else networkx preflow-push on the contracted
    graph. ``contract=False`` or a ``flow_func`` runs networkx on the whole
    device graph with the two super-terminals (the reference path the tests
    compare against).

    Which cut: the exact bisection width (minimum over **all** balanced
    partitions) is NP-hard (Garey, Johnson & Stockmeyer 1976), so this
    function evaluates the partition it is given; :func:`halves_by_order` gives
    the conventional one, halves by rack order (the cut through the middle of
    the hall, which is the worst case for tree-like fabrics built in rack
    order). :func:`bisection_bandwidth_bruteforce_bps` gives the exact minimum
    for small fabrics to cross-check it.

    Parameters
    ----------
    edges : DeviceEdges
        Aggregated device edges (scale-out links only, usually).
    side_a, side_b : array_like of int
        Endpoint device ids of each side (disjoint).
    flow_func : callable, optional
        networkx max-flow algorithm on the whole device graph (default: the
        contracted graph, see above).
    contract : bool, optional
        Solve on the contracted graph (default True); False: networkx
        preflow-push on the whole device graph.

    Returns
    -------
    float
        Max-flow value [bit/s].

    References
    ----------
    L. R. Ford and D. R. Fulkerson, "Maximal flow through a network", Can. J.
    Math. 8, 1956; M. R. Garey, D. S. Johnson, L. Stockmeyer, "Some simplified
    NP-complete graph problems", Theor. Comput. Sci. 1, 1976.
    """
    a = np.asarray(side_a, dtype=np.int64)
    b = np.asarray(side_b, dtype=np.int64)
    if a.size == 0 or b.size == 0:
        return 0.0
    if np.intersect1d(a, b).size:
        raise ValueError("the two sides of a bisection must be disjoint")
    if contract and flow_func is None:
        u, v, cap, n = contract_sides(edges, a, b)
        val = _maxflow_int(u, v, cap, n, 0, 1)
        if val is not None:
            return val
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from((0, 1))
        cl, ul, vl = cap.tolist(), u.tolist(), v.tolist()
        g.add_edges_from((x, y, {"capacity": c}) for x, y, c in zip(ul, vl, cl))
        g.add_edges_from((y, x, {"capacity": c}) for x, y, c in zip(ul, vl, cl))
        return float(nx.maximum_flow_value(g, 0, 1, flow_func=nx.algorithms.flow.preflow_push))
    import networkx as nx

    g, s, t = _flow_graph(edges, a, b)
    if flow_func is None:
        flow_func = nx.algorithms.flow.preflow_push
    return float(nx.maximum_flow_value(g, s, t, flow_func=flow_func))


def bisection_bandwidth_bruteforce_bps(
    edges: DeviceEdges, endpoints, max_endpoints: int = 16
) -> tuple[float, np.ndarray]:
    """Exact bisection bandwidth of a small fabric: minimum over balanced partitions.

    ``min over S subset of E with |S| = floor(|E|/2)`` of the max-flow between
    ``S`` and ``E \\ S`` (:func:`bisection_bandwidth_bps`); the first endpoint
    is fixed on side ``S`` for even ``|E|`` (halving the work by symmetry).
    Exponential in ``|E|``: a cross-check for tests, not for production.

    Parameters
    ----------
    edges : DeviceEdges
        Aggregated device edges.
    endpoints : array_like of int
        Endpoint device ids.
    max_endpoints : int, optional
        Refuse larger inputs (default 16).

    Returns
    -------
    bandwidth_bps : float
        Minimum max-flow over the balanced partitions [bit/s].
    side_a : numpy.ndarray of int64
        A partition side achieving it.
    """
    e = np.asarray(endpoints, dtype=np.int64)
    n = e.size
    if n > max_endpoints:
        raise ValueError(f"{n} endpoints: brute force limited to {max_endpoints}")
    if n < 2:
        return 0.0, e[:0]
    k = n // 2
    best, best_side = np.inf, None
    if n % 2 == 0:
        cands = ((0,) + c for c in combinations(range(1, n), k - 1))
    else:
        cands = combinations(range(n), k)
    for c in cands:
        mask = np.zeros(n, dtype=bool)
        mask[list(c)] = True
        val = bisection_bandwidth_bps(edges, e[mask], e[~mask])
        if val < best:
            best, best_side = val, e[mask]
    return float(best), best_side


def devices_without_management(ports: PortTable, links: LinkTable, devices) -> np.ndarray:
    """Devices that have no link on any of their management ports.

    A device is managed when at least one valid link has one end on a port of
    that device whose role is ``MANAGEMENT``.

    Parameters
    ----------
    ports : PortTable
        Port table.
    links : LinkTable
        Link table.
    devices : array_like of int
        Devices that need out-of-band management.

    Returns
    -------
    numpy.ndarray of int64
        Listed devices without a management link, sorted.
    """
    dev = np.asarray(devices, dtype=np.int64)
    ok = valid_link_mask(links, ports.n)
    ends = np.concatenate([links.port_a[ok], links.port_b[ok]])
    ends = ends[ports.role[ends] == Role.MANAGEMENT]
    n_dev = max(int(ports.device.max()) + 1 if ports.n else 0, int(dev.max()) + 1 if dev.size else 0)
    managed = np.zeros(n_dev, dtype=bool)
    managed[ports.device[ends]] = True
    return np.unique(dev[~managed[dev]])


def single_points_of_failure(graph: nx.Graph, nodes=None) -> dict:
    """Articulation points and bridges of the device graph.

    An articulation point is a device whose failure disconnects the graph; a
    bridge is a device pair whose (aggregated) edge disconnects it when cut.
    A bridge made of several parallel cables survives a single cable failure
    but not the loss of either device: ``bridge_n_links`` says which.

    Parameters
    ----------
    graph : networkx.Graph
        Device graph from :func:`device_graph` (edge attribute ``n_links``).
    nodes : array_like of int, optional
        Restrict to the subgraph on these devices (e.g. the scale-out fabric
        of the devices that require redundancy).

    Returns
    -------
    dict
        ``articulation_points`` (int64, sorted), ``bridges`` (int64, shape
        (k, 2), rows sorted, ``u < v``), ``bridge_n_links`` (int64, (k,)),
        ``n_components`` (int).

    References
    ----------
    R. E. Tarjan, "Depth-first search and linear graph algorithms", SIAM J.
    Comput. 1(2), 1972.
    """
    import networkx as nx

    g = graph if nodes is None else graph.subgraph(np.asarray(nodes).tolist())
    ap = np.array(sorted(nx.articulation_points(g)), dtype=np.int64)
    br = [tuple(sorted(e)) for e in nx.bridges(g)]
    br.sort()
    bridges = np.array(br, dtype=np.int64).reshape(-1, 2)
    nl = np.array([g.edges[u, v].get("n_links", 1) for u, v in br], dtype=np.int64)
    return {
        "articulation_points": ap,
        "bridges": bridges,
        "bridge_n_links": nl,
        "n_components": nx.number_connected_components(g),
    }


def single_points_of_failure_arrays(edges: DeviceEdges, nodes=None) -> dict:
    """:func:`single_points_of_failure` on aggregated edges, without a networkx graph.

    The same result (articulation points, bridges, the bridges' ``n_links``, connected components) from one
    iterative depth-first search over the edge arrays
    (:func:`rackforge.topology.biconnected.articulation_points_and_bridges`, Tarjan 1972); for a hall's
    scale-out fabric (a million edges) this replaces building the networkx graph and its recursive searches.

    Parameters
    ----------
    edges : DeviceEdges
        Aggregated edges (one per device pair, ``u < v``).
    nodes : array_like of int, optional
        Restrict to the subgraph on these devices (default: every device ``0 .. n_devices-1``).

    Returns
    -------
    dict
        As :func:`single_points_of_failure`.
    """
    from rackforge.topology.biconnected import articulation_points_and_bridges

    n = edges.n_devices
    if nodes is None:
        active = np.ones(n, bool)
    else:
        active = np.zeros(n, bool)
        active[np.asarray(nodes, dtype=np.int64)] = True
    ap, br, n_comp = articulation_points_and_bridges(n, edges.u, edges.v, active)
    u, v = edges.u[br], edges.v[br]
    order = np.lexsort((v, u))
    return {
        "articulation_points": ap,
        "bridges": np.stack([u[order], v[order]], axis=1).astype(np.int64).reshape(-1, 2),
        "bridge_n_links": edges.n_links[br][order].astype(np.int64),
        "n_components": n_comp,
    }
