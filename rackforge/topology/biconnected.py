"""Articulation points, bridges and connected components of an undirected graph in one depth-first search.

Pure: numpy arrays in and out; the search is a numba kernel (an iterative form of Tarjan's algorithm, so a
deep graph does not hit a recursion limit). Imports numba at module level: import this module only where the
search is needed (:func:`rackforge.topology.graph.single_points_of_failure_arrays`), never at start-up.

For every node ``x`` the search records its discovery time ``disc[x]`` and ``low[x]``, the smallest discovery
time reachable from the subtree of ``x`` over one back edge. With ``p`` the parent of ``x`` in the DFS tree::

    edge (p, x) is a bridge              iff  low[x] >  disc[p]
    p (not a root) is an articulation point iff  low[x] >= disc[p] for some child x
    a root is an articulation point      iff  it has two or more children in the DFS tree

The tree edge to the parent is skipped by its edge id (not by the parent node), so parallel edges count as a
second path. Cost O(n + m).

Reference: R. E. Tarjan, "Depth-first search and linear graph algorithms", SIAM J. Comput. 1(2), 146-160, 1972;
J. Hopcroft and R. Tarjan, "Algorithm 447: efficient algorithms for graph manipulation", Comm. ACM 16(6), 1973.
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["articulation_points_and_bridges"]


@njit(cache=True)
def _search(n, indptr, nbr, eid, active, n_edges):  # pragma: no cover - compiled
    disc = np.full(n, -1, np.int64)
    low = np.zeros(n, np.int64)
    pedge = np.full(n, -1, np.int64)
    it = np.zeros(n, np.int64)
    stack = np.zeros(n, np.int64)
    is_ap = np.zeros(n, np.bool_)
    is_bridge = np.zeros(n_edges, np.bool_)
    t = 0
    n_comp = 0
    for r in range(n):
        if not active[r] or disc[r] >= 0:
            continue
        n_comp += 1
        disc[r] = t
        low[r] = t
        t += 1
        it[r] = indptr[r]
        top = 0
        stack[0] = r
        root_children = 0
        while top >= 0:
            x = stack[top]
            if it[x] < indptr[x + 1]:
                k = it[x]
                it[x] += 1
                y = nbr[k]
                e = eid[k]
                if not active[y] or e == pedge[x]:
                    continue
                if disc[y] < 0:
                    pedge[y] = e
                    disc[y] = t
                    low[y] = t
                    t += 1
                    it[y] = indptr[y]
                    if x == r:
                        root_children += 1
                    top += 1
                    stack[top] = y
                elif disc[y] < low[x]:
                    low[x] = disc[y]
            else:
                top -= 1
                if top >= 0:
                    p = stack[top]
                    if low[x] < low[p]:
                        low[p] = low[x]
                    if low[x] > disc[p]:
                        is_bridge[pedge[x]] = True
                    if p != r and low[x] >= disc[p]:
                        is_ap[p] = True
        if root_children > 1:
            is_ap[r] = True
    return is_ap, is_bridge, n_comp


def articulation_points_and_bridges(n: int, u, v, active=None):
    """Articulation points, bridges and the number of connected components of an undirected graph.

    Parameters
    ----------
    n : int
        Number of nodes ``0 .. n-1``.
    u, v : array_like of int, shape (m,)
        Edge ends (self loops are ignored; parallel edges are separate edges).
    active : array_like of bool, shape (n,), optional
        Restrict to the subgraph induced by these nodes (default: all); inactive nodes and the edges touching
        them are left out, and do not count as components.

    Returns
    -------
    articulation_points : numpy.ndarray of int64
        Node ids, sorted.
    bridge_edges : numpy.ndarray of int64
        Indices into ``u``/``v`` of the bridge edges, sorted.
    n_components : int
        Connected components of the (induced) graph, isolated active nodes included.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    act = np.ones(n, np.bool_) if active is None else np.asarray(active, dtype=np.bool_)
    m = u.size
    keep = u != v
    e = np.flatnonzero(keep)
    src = np.r_[u[e], v[e]]
    dst = np.r_[v[e], u[e]]
    ids = np.r_[e, e]
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    is_ap, is_bridge, n_comp = _search(int(n), indptr, dst[order], ids[order], act, int(m))
    return np.flatnonzero(is_ap).astype(np.int64), np.flatnonzero(is_bridge).astype(np.int64), int(n_comp)
