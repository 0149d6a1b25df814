"""Hall scale-out fabric generator: counts and links of a rail-optimised 2- or 3-tier Clos, by scalable unit.

Pure: integers and numpy arrays in and out (port ids are rows of the caller's port table).

Counting rules
--------------
With ``N`` nodes of ``R`` rails in scalable units (SUs) of ``n`` nodes, leaf radix ``k_l`` and a leaf
oversubscription (downlink:uplink) ``o``::

    SUs                      S  = ceil(N / n)
    leaf downlinks at most   d_max = floor(k_l * o / (1 + o))
    leaves per rail per SU   g  = ceil(n / d_max)
    nodes per leaf           d  = ceil(n / g)
    uplinks per leaf         u  = ceil(d / o)
    leaves                   L  = S * R * g

Two tiers: every leaf has the same number of links to every spine (equal-cost paths), so the spine count
``s`` divides ``u``; it is the smallest such divisor whose ports hold all uplinks, ``s * k_s >= L * u``. No
divisor of ``u`` fits: three tiers.

Three tiers: a pod per SU. Pod spines are non-blocking (``k_s / 2`` down, ``k_s / 2`` up); ``p``, the pod's
spine count, is the smallest divisor of ``u`` with ``p * k_s / 2 >= R g u`` (each leaf ``u / p`` links to
every spine of its pod). Spine ``j`` of every pod joins core group ``j``; a group has ``c`` cores, the smallest
divisor of the spine uplinks ``v = R g u / p`` with ``S * v / c <= k_c``; cores ``C = p * c``.

These reproduce the published DGX SuperPOD compute-fabric tables (H100 RA 1-4 SU: 8/16/24/32 leaves and
4/8/16/16 spines; B200 RA 2-64 SU including the three-tier 16-64 SU rows; B300 XDR RA 1-18 SU), see
tests/test_hall_fabric.py.

References: C. Clos, Bell Syst. Tech. J. 32(2), 1953; M. Al-Fares et al., SIGCOMM 2008 (fat tree, pods,
core groups); NVIDIA DGX SuperPOD reference architectures (rail-aligned compute fabric, SU).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["FabricPlan", "plan_fabric", "rail_links", "clos_links", "choose_media", "failure_domains",
           "STAGE_NODE_LEAF", "STAGE_LEAF_SPINE", "STAGE_SPINE_CORE"]

STAGE_NODE_LEAF = 0
STAGE_LEAF_SPINE = 1
STAGE_SPINE_CORE = 2


@dataclass(frozen=True)
class FabricPlan:
    """Counts of a generated fabric (every field an integer)."""

    tiers: int
    sus: int
    rails: int
    nodes: int
    nodes_per_su: int
    leaves_per_rail_per_su: int     # g
    nodes_per_leaf: int             # d (downlinks used per leaf)
    uplinks_per_leaf: int           # u
    leaves: int
    spines: int
    spines_per_pod: int             # p (three tiers); = spines in two tiers
    spine_uplinks: int              # v (three tiers), 0 in two tiers
    cores_per_group: int            # c (three tiers)
    cores: int
    node_leaf_links: int
    leaf_spine_links: int
    spine_core_links: int

    @property
    def leaves_per_su(self) -> int:
        return self.rails * self.leaves_per_rail_per_su

    @property
    def switches(self) -> int:
        return self.leaves + self.spines + self.cores


def _smallest_divisor_at_least(n: int, lo: float) -> int | None:
    for d in range(max(1, math.ceil(lo - 1e-9)), n + 1):
        if n % d == 0:
            return d
    return None


def plan_fabric(nodes: int, rails: int, nodes_per_su: int, leaf_ports: int, spine_ports: int,
                core_ports: int | None = None, oversubscription: float = 1.0, tiers: int | None = None) -> FabricPlan:
    """Counts of a rail-optimised Clos (see the module text for the rules).

    Parameters
    ----------
    nodes : int
        Compute nodes ``N`` [-].
    rails : int
        Scale-out NIC ports used per node ``R`` [-].
    nodes_per_su : int
        Nodes per scalable unit ``n`` [-].
    leaf_ports, spine_ports, core_ports : int
        Radix of each tier's switch at the node port speed [-] (core: default the spine's).
    oversubscription : float
        Leaf downlink:uplink ratio ``o`` [-] (1: non-blocking).
    tiers : int, optional
        2 or 3; None: two when they fit, else three.

    Returns
    -------
    FabricPlan

    Raises
    ------
    ValueError
        When no fabric of the requested tiers fits (the message says which count overflows).
    """
    if min(nodes, rails, nodes_per_su, leaf_ports, spine_ports) < 1:
        raise ValueError("nodes, rails, SU size and switch radices must be positive")
    core_ports = spine_ports if core_ports is None else core_ports
    o = float(oversubscription)
    S = math.ceil(nodes / nodes_per_su)
    d_max = int(math.floor(leaf_ports * o / (1.0 + o) + 1e-9))
    if d_max < 1:
        raise ValueError(f"a {leaf_ports}-port leaf at {o:g}:1 has no downlink port")
    g = math.ceil(nodes_per_su / d_max)
    d = math.ceil(nodes_per_su / g)
    u = math.ceil(d / o - 1e-9)
    L = S * rails * g
    s2 = _smallest_divisor_at_least(u, L * u / spine_ports)
    if tiers == 2 or (tiers is None and s2 is not None):
        if s2 is None:
            raise ValueError(f"two tiers: {L} leaves x {u} uplinks need more than {u} spines of {spine_ports} "
                             "ports (each leaf must reach every spine); use three tiers")
        return FabricPlan(2, S, rails, nodes, nodes_per_su, g, d, u, L, s2, s2, 0, 0, 0,
                          nodes * rails, L * u, 0)
    half = spine_ports // 2
    per_pod = rails * g * u
    p = _smallest_divisor_at_least(u, per_pod / half) if half else None
    if p is None:
        raise ValueError(f"three tiers: a pod's {per_pod} leaf uplinks do not fit on at most {u} spines with "
                         f"{half} downlinks each")
    v = per_pod // p
    c = _smallest_divisor_at_least(v, S * v / core_ports)
    if c is None:
        raise ValueError(f"three tiers: {S} pods x {v} spine uplinks per core group exceed {v} cores of "
                         f"{core_ports} ports")
    return FabricPlan(3, S, rails, nodes, nodes_per_su, g, d, u, L, S * p, p, v, c, p * c,
                      nodes * rails, L * u, S * p * v)


def rail_links(plan: FabricPlan, nic_ports, node_su, node_rank, leaf_down_ports):
    """Node NIC ``i`` to the rail-``i`` leaf of its block in its SU.

    A node of SU ``su`` with rank ``r`` in it hangs off block ``b = r div d``, port ``r mod d`` of the leaf of
    rail ``i``: leaf index ``(su * R + i) * g + b`` (leaves SU by SU, rail by rail, block by block).

    Parameters
    ----------
    plan : FabricPlan
    nic_ports : array_like of int, shape (N, R)
        Scale-out port ids per node (-1: absent, skipped).
    node_su, node_rank : array_like of int, shape (N,)
        SU of each node and its rank among the SU's nodes.
    leaf_down_ports : array_like of int, shape (L, >= d)
        Downlink port ids of each leaf, leaves in plan order.

    Returns
    -------
    port_a, port_b : numpy.ndarray of int64
        Node port, leaf port (node-major, rail-minor).
    """
    nic = np.asarray(nic_ports, np.int64)
    down = np.asarray(leaf_down_ports, np.int64)
    su = np.asarray(node_su, np.int64)
    r = np.asarray(node_rank, np.int64)
    R = nic.shape[1]
    b, slot = r // plan.nodes_per_leaf, r % plan.nodes_per_leaf
    leaf = (su[:, None] * R + np.arange(R, dtype=np.int64)[None, :]) * plan.leaves_per_rail_per_su + b[:, None]
    pb = down[leaf, slot[:, None]]
    keep = nic >= 0
    return nic[keep], pb[keep]


def clos_links(plan: FabricPlan, leaf_up_ports, spine_down_ports, spine_up_ports=None, core_ports=None):
    """Leaf-spine (and spine-core) links of the plan.

    Two tiers: uplink ``j`` of leaf ``l`` to spine ``j mod s`` (port ``l * u / s + j div s`` of it). Three
    tiers: the same inside each pod (leaves ``su * R g ..``, spines ``su * p ..``); uplink ``j`` of spine ``k``
    of pod ``q`` to core ``(k, j mod c)`` (core group ``k``), port ``q * v / c + j div c`` of it.

    Parameters
    ----------
    plan : FabricPlan
    leaf_up_ports : array_like of int, shape (L, >= u)
    spine_down_ports : array_like of int, shape (spines, >= L u / s or R g u / p)
    spine_up_ports : array_like of int, shape (spines, >= v), three tiers only
    core_ports : array_like of int, shape (cores, >= S v / c), three tiers only; cores group-major

    Returns
    -------
    port_a, port_b, stage : numpy.ndarray of int64
        Lower-tier port, upper-tier port, stage code (``STAGE_LEAF_SPINE`` / ``STAGE_SPINE_CORE``).
    """
    up = np.asarray(leaf_up_ports, np.int64)[:, :plan.uplinks_per_leaf]
    sd = np.asarray(spine_down_ports, np.int64)
    L, u = up.shape
    if plan.tiers == 2:
        s = plan.spines
        j = np.arange(u, dtype=np.int64)
        spine = np.broadcast_to(j % s, (L, u))
        slot = np.arange(L, dtype=np.int64)[:, None] * (u // s) + (j // s)[None, :]
        return up.ravel(), sd[spine, slot].ravel(), np.full(L * u, STAGE_LEAF_SPINE, np.int64)
    p = plan.spines_per_pod
    per_pod = plan.leaves_per_su
    leaf = np.arange(L, dtype=np.int64)
    pod, lip = leaf // per_pod, leaf % per_pod
    j = np.arange(u, dtype=np.int64)
    spine = pod[:, None] * p + (j % p)[None, :]
    slot = lip[:, None] * (u // p) + (j // p)[None, :]
    a1, b1 = up.ravel(), sd[spine, slot].ravel()
    su_ = np.asarray(spine_up_ports, np.int64)[:, :plan.spine_uplinks]
    cp = np.asarray(core_ports, np.int64)
    c, v = plan.cores_per_group, plan.spine_uplinks
    sp = np.arange(plan.spines, dtype=np.int64)
    spod, k = sp // p, sp % p
    jj = np.arange(v, dtype=np.int64)
    core = k[:, None] * c + (jj % c)[None, :]
    cslot = spod[:, None] * (v // c) + (jj // c)[None, :]
    a2, b2 = su_.ravel(), cp[core, cslot].ravel()
    stage = np.r_[np.full(a1.size, STAGE_LEAF_SPINE, np.int64), np.full(a2.size, STAGE_SPINE_CORE, np.int64)]
    return np.r_[a1, a2], np.r_[b1, b2], stage


def choose_media(route_m, max_length_m, cage_a, cage_b, iterations: int = 8):
    """Media option per link: the first whose ``max_length`` covers the route, made uniform per cage.

    A twin-port module serves both ports of a cage, so both links of a cage must use the same option: each
    cage takes the largest option of its links, each link the larger of its two cages', repeated until stable
    (monotone, so it converges in a few passes).

    Parameters
    ----------
    route_m : array_like of float, shape (n,)
        Route length of each link [m].
    max_length_m : array_like of float, shape (k,)
        Options' maximum route lengths, ascending [m].
    cage_a, cage_b : array_like of int, shape (n,)
        Cage id of each end (-1: a single-port cage, no constraint).

    Returns
    -------
    numpy.ndarray of int64
        Option index per link; ``k`` (one past the last) when no option reaches.
    """
    r = np.asarray(route_m, np.float64)
    ml = np.asarray(max_length_m, np.float64)
    opt = np.searchsorted(ml, r - 1e-9, side="left").astype(np.int64)
    ca = np.asarray(cage_a, np.int64)
    cb = np.asarray(cage_b, np.int64)
    n_cage = int(max(ca.max(initial=-1), cb.max(initial=-1))) + 2
    for _ in range(iterations):
        best = np.zeros(n_cage, np.int64)
        for c in (ca, cb):
            np.maximum.at(best, np.where(c >= 0, c, n_cage - 1), opt)
        best[n_cage - 1] = 0
        new = np.maximum(opt, np.maximum(np.where(ca >= 0, best[np.where(ca >= 0, ca, 0)], 0),
                                         np.where(cb >= 0, best[np.where(cb >= 0, cb, 0)], 0)))
        if np.array_equal(new, opt):
            break
        opt = new
    return opt


def failure_domains(plan: FabricPlan, spines_per_rack: int | None = None) -> dict:
    """Share of the fabric's bandwidth left after losing one leaf, one spine, or one spine group.

    Every leaf spreads its ``u`` uplinks evenly over the spines it reaches, so losing a switch removes exactly
    its links and ECMP spreads the traffic over the rest:

    * one leaf: its ``d`` nodes lose one rail of ``R`` and keep ``(R - 1) / R`` of their bandwidth;
    * one spine: two tiers, every leaf keeps ``(s - 1) / s`` of its uplinks; three tiers, the leaves of its pod
      keep ``(p - 1) / p``;
    * one spine group, the spines of one switch rack (``m`` of them; a rack shares power, cooling and a
      placement, so it fails as one): two tiers, ``(s - m) / s`` left; three tiers (spines placed pod by pod),
      the hall keeps ``1 - m / (S p)`` of its spine bandwidth and ``floor(m / p)`` whole pods (``n`` nodes
      each) are cut off;
    * three tiers, one core group (the ``c`` cores behind spine ``k`` of every pod): ``(p - 1) / p`` of the
      spine-core bandwidth left.

    Parameters
    ----------
    plan : FabricPlan
    spines_per_rack : int, optional
        Spines per switch rack ``m`` (default: all spines in one group).

    Returns
    -------
    dict
        Fractions in [0, 1]: ``leaf`` (what its nodes keep), ``leaf_hall`` (the hall's node bandwidth left,
        ``1 - 1 / L``), ``spine`` (what the leaves it serves keep), ``spine_hall`` (the hall's leaf-spine
        bandwidth left), ``spine_group`` (hall), ``core_group`` (three tiers, hall);
        ``isolated_nodes_spine_group``: nodes cut off by one spine group.
    """
    R = plan.rails
    out: dict = {"leaf": (R - 1) / R if R else 0.0, "leaf_hall": 1.0 - 1.0 / plan.leaves}
    m = plan.spines if spines_per_rack is None else max(1, min(int(spines_per_rack), plan.spines))
    if plan.tiers == 2:
        s = plan.spines
        out["spine"] = out["spine_hall"] = (s - 1) / s
        out["spine_group"] = (s - m) / s
        out["isolated_nodes_spine_group"] = plan.nodes if m >= s else 0
    else:
        p = plan.spines_per_pod
        out["spine"] = (p - 1) / p
        out["spine_hall"] = 1.0 - 1.0 / plan.spines
        out["spine_group"] = 1.0 - m / plan.spines
        out["isolated_nodes_spine_group"] = min(plan.nodes, (m // p) * plan.nodes_per_su)
        out["core_group"] = (p - 1) / p
    return out
