"""Fault-scenario enumeration for the power solver (pure numpy).

A scenario is a set of elementary faults: PSUs failed, feeds failed (every PSU on the feed is
lost) and BBUs failed. :func:`enumerate_scenarios` lists the base case, every single fault
(each PSU, each shelf, each feed, each BBU) and, with ``depth=2``, every unordered pair of
distinct single faults (``C(n_single, 2)`` pairs), in the order the N-1 / N-2 redundancy
criteria of IEC 62040-3 and the Uptime Institute tier topology describe (concurrent maintenance
and fault tolerance: the loss of any one, or any two, components).

Scenarios are stored sparsely (CSR lists of the failed PSUs, feeds and BBUs per scenario) so that
a row of a thousand racks stays small; the dense boolean masks ``psu_failed [n_scen, n_psu]``,
``feed_failed [n_scen, n_feed]`` and ``bbu_failed [n_scen, n_bbu]`` are available as properties.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

__all__ = [
    "KIND_BASE",
    "KIND_BBU",
    "KIND_CUSTOM",
    "KIND_FEED",
    "KIND_PAIR",
    "KIND_PSU",
    "KIND_SHELF",
    "Scenarios",
    "enumerate_scenarios",
    "n_scenarios",
]

KIND_BASE, KIND_PSU, KIND_SHELF, KIND_FEED, KIND_BBU, KIND_PAIR, KIND_CUSTOM = 0, 1, 2, 3, 4, 5, 6
_KIND_NAME = {KIND_PSU: "psu", KIND_SHELF: "shelf", KIND_FEED: "feed", KIND_BBU: "bbu"}

_DENSE_LIMIT = 200_000_000  # elements; dense masks above this raise instead of eating memory


def _csr(rows: list[np.ndarray], n_rows: int):
    ptr = np.zeros(n_rows + 1, dtype=np.int64)
    if n_rows:
        ptr[1:] = np.cumsum([r.size for r in rows])
    idx = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64)
    return ptr, idx


def _dense(ptr, idx, n_cols):
    n_rows = ptr.size - 1
    if n_rows * n_cols > _DENSE_LIMIT:
        raise MemoryError(f"dense mask of {n_rows} x {n_cols} is too large; use the CSR arrays")
    m = np.zeros((n_rows, n_cols), dtype=bool)
    rows = np.repeat(np.arange(n_rows), np.diff(ptr))
    m[rows, idx] = True
    return m


@dataclass(frozen=True, eq=False)
class Scenarios:
    """A batch of fault scenarios in CSR form.

    Attributes
    ----------
    n_psu, n_feed, n_bbu : int
        Sizes of the network the scenarios refer to.
    kind : int8 array [n_scen]
        ``KIND_BASE`` (0), ``KIND_PSU`` (1), ``KIND_SHELF`` (2), ``KIND_FEED`` (3), ``KIND_BBU`` (4),
        ``KIND_PAIR`` (5) or ``KIND_CUSTOM`` (6).
    members : int64 array [n_scen, 4]
        The elementary faults: ``(kind_1, index_1, kind_2, index_2)`` with kinds among PSU,
        SHELF, FEED, BBU; ``-1`` where unused (base case, second member of a single fault).
    labels : tuple of str [n_scen]
        Human-readable names, e.g. ``"base"``, ``"psu 7"``, ``"shelf 2 + feed 1"``.
    psu_ptr, psu_idx : int64 arrays
        CSR list of PSUs failed by the scenario itself (a shelf fault lists its PSUs; a feed
        fault lists none: it is in ``feed_idx``).
    feed_ptr, feed_idx : int64 arrays
        CSR list of failed feeds.
    bbu_ptr, bbu_idx : int64 arrays
        CSR list of failed BBUs.
    """

    n_psu: int
    n_feed: int
    n_bbu: int
    kind: np.ndarray
    members: np.ndarray
    labels: tuple
    psu_ptr: np.ndarray
    psu_idx: np.ndarray
    feed_ptr: np.ndarray
    feed_idx: np.ndarray
    bbu_ptr: np.ndarray
    bbu_idx: np.ndarray

    @property
    def n_scen(self) -> int:
        return self.kind.size

    def __len__(self) -> int:
        return self.n_scen

    @property
    def psu_failed(self) -> np.ndarray:
        """Dense boolean mask [n_scen, n_psu] of PSUs failed by the scenario itself."""
        return _dense(self.psu_ptr, self.psu_idx, self.n_psu)

    @property
    def feed_failed(self) -> np.ndarray:
        """Dense boolean mask [n_scen, n_feed]."""
        return _dense(self.feed_ptr, self.feed_idx, self.n_feed)

    @property
    def bbu_failed(self) -> np.ndarray:
        """Dense boolean mask [n_scen, n_bbu]."""
        return _dense(self.bbu_ptr, self.bbu_idx, self.n_bbu)

    @classmethod
    def from_masks(cls, psu_failed, feed_failed=None, bbu_failed=None, labels=None, kind=None):
        """Build scenarios from dense boolean masks.

        Parameters
        ----------
        psu_failed : bool array [n_scen, n_psu]
        feed_failed : bool array [n_scen, n_feed], optional
        bbu_failed : bool array [n_scen, n_bbu], optional
        labels : sequence of str [n_scen], optional
        kind : int array [n_scen], optional (``KIND_CUSTOM`` by default)
        """
        pm = np.atleast_2d(np.asarray(psu_failed, dtype=bool))
        n_scen = pm.shape[0]
        fm = np.zeros((n_scen, 0), bool) if feed_failed is None else np.atleast_2d(np.asarray(feed_failed, bool))
        bm = np.zeros((n_scen, 0), bool) if bbu_failed is None else np.atleast_2d(np.asarray(bbu_failed, bool))
        if fm.shape[0] != n_scen or bm.shape[0] != n_scen:
            raise ValueError("masks must have the same number of rows")

        def csr(m):
            r, c = np.nonzero(m)
            ptr = np.zeros(n_scen + 1, np.int64)
            ptr[1:] = np.cumsum(np.bincount(r, minlength=n_scen))
            return ptr, c.astype(np.int64)

        pp, pi = csr(pm)
        fp, fi = csr(fm)
        bp, bi = csr(bm)
        if labels is None:
            labels = tuple(f"scenario {s}" for s in range(n_scen))
        if kind is None:
            kind = np.full(n_scen, KIND_CUSTOM, np.int8)
        return cls(
            n_psu=pm.shape[1], n_feed=fm.shape[1], n_bbu=bm.shape[1],
            kind=np.asarray(kind, np.int8), members=np.full((n_scen, 4), -1, np.int64),
            labels=tuple(labels), psu_ptr=pp, psu_idx=pi, feed_ptr=fp, feed_idx=fi,
            bbu_ptr=bp, bbu_idx=bi,
        )


def n_scenarios(n_psu: int, n_shelf: int, n_feed: int, n_bbu: int, depth: int = 1) -> int:
    """Number of scenarios :func:`enumerate_scenarios` returns (without ``unique``):
    ``1 + n_single`` for depth 1 and ``1 + n_single + C(n_single, 2)`` for depth 2, with
    ``n_single = n_psu + n_shelf + n_feed + n_bbu``."""
    n1 = n_psu + n_shelf + n_feed + n_bbu
    return 1 + n1 + (comb(n1, 2) if depth >= 2 else 0)


def enumerate_scenarios(
    psu_shelf,
    psu_feed,
    n_bbu: int = 0,
    depth: int = 1,
    *,
    n_feed: int | None = None,
    n_shelf: int | None = None,
    unique: bool = False,
    names: dict | None = None,
    max_scenarios: int = 5_000_000,
) -> Scenarios:
    """Enumerate the base case, all single faults and (``depth=2``) all pairs of single faults.

    Parameters
    ----------
    psu_shelf : int array [n_psu]
        Shelf of each PSU (global shelf index).
    psu_feed : int array [n_psu]
        Feed of each PSU.
    n_bbu : int
        Number of BBUs.
    depth : int
        1 (N-1) or 2 (N-2: also every unordered pair of distinct single faults).
    n_feed, n_shelf : int, optional
        Number of feeds / shelves (default: ``max index + 1``); feeds or shelves without PSUs
        are still enumerated.
    unique : bool
        Drop scenarios whose effective outage (PSUs out, including those on failed feeds, and
        BBUs failed) equals that of an earlier scenario, e.g. "psu 3 + shelf 0" when PSU 3 is
        in shelf 0.
    names : dict, optional
        Display names per kind for the labels: ``{"psu": [...], "shelf": [...], "feed": [...],
        "bbu": [...]}``; defaults to ``"psu 7"`` etc.
    max_scenarios : int
        Guard against combinatorial blow-up [-].

    Returns
    -------
    Scenarios
        Order: base; PSUs; shelves; feeds; BBUs; then pairs ``(i, j)``, ``i < j`` in that single
        order. Counts: ``1 + n_psu + n_shelf + n_feed + n_bbu`` (+ ``C(n_single, 2)`` pairs).
    """
    psu_shelf = np.asarray(psu_shelf, dtype=np.int64)
    psu_feed = np.asarray(psu_feed, dtype=np.int64)
    n_psu = psu_shelf.size
    if psu_feed.size != n_psu:
        raise ValueError("psu_shelf and psu_feed must have the same length")
    if depth not in (1, 2):
        raise ValueError("depth must be 1 or 2")
    n_feed = int(psu_feed.max() + 1 if n_psu else 0) if n_feed is None else int(n_feed)
    n_shelf = int(psu_shelf.max() + 1 if n_psu else 0) if n_shelf is None else int(n_shelf)
    total = n_scenarios(n_psu, n_shelf, n_feed, n_bbu, depth)
    if total > max_scenarios:
        raise ValueError(f"{total} scenarios exceed max_scenarios={max_scenarios}")
    names = names or {}

    def name(kind, i):
        key = _KIND_NAME[kind]
        lst = names.get(key)
        return str(lst[i]) if lst is not None else f"{key} {i}"

    # single faults: (kind, index, psu list, feed list, bbu list)
    order = np.argsort(psu_shelf, kind="stable")
    sh_ptr = np.searchsorted(psu_shelf[order], np.arange(n_shelf + 1))
    empty = np.zeros(0, np.int64)
    singles = []
    for p in range(n_psu):
        singles.append((KIND_PSU, p, np.array([p], np.int64), empty, empty))
    for s in range(n_shelf):
        singles.append((KIND_SHELF, s, np.sort(order[sh_ptr[s] : sh_ptr[s + 1]]), empty, empty))
    for f in range(n_feed):
        singles.append((KIND_FEED, f, empty, np.array([f], np.int64), empty))
    for b in range(n_bbu):
        singles.append((KIND_BBU, b, empty, empty, np.array([b], np.int64)))

    kinds = [KIND_BASE]
    members = [(-1, -1, -1, -1)]
    labels = ["base"]
    prow, frow, brow = [empty], [empty], [empty]
    for k, i, pl, fl, bl in singles:
        kinds.append(k)
        members.append((k, i, -1, -1))
        labels.append(name(k, i))
        prow.append(pl)
        frow.append(fl)
        brow.append(bl)
    if depth == 2:
        n1 = len(singles)
        for a in range(n1):
            ka, ia, pa, fa, ba = singles[a]
            for b in range(a + 1, n1):
                kb, ib, pb, fb, bb = singles[b]
                kinds.append(KIND_PAIR)
                members.append((ka, ia, kb, ib))
                labels.append(f"{name(ka, ia)} + {name(kb, ib)}")
                prow.append(np.union1d(pa, pb))
                frow.append(np.union1d(fa, fb))
                brow.append(np.union1d(ba, bb))

    if unique:
        seen = set()
        keep = []
        for s in range(len(kinds)):
            out = np.zeros(n_psu, dtype=bool)
            out[prow[s]] = True
            if frow[s].size:
                out |= np.isin(psu_feed, frow[s])
            key = (np.flatnonzero(out).tobytes(), np.sort(brow[s]).tobytes())
            if key not in seen:
                seen.add(key)
                keep.append(s)
        kinds = [kinds[s] for s in keep]
        members = [members[s] for s in keep]
        labels = [labels[s] for s in keep]
        prow = [prow[s] for s in keep]
        frow = [frow[s] for s in keep]
        brow = [brow[s] for s in keep]

    n_scen = len(kinds)
    pp, pi = _csr(prow, n_scen)
    fp, fi = _csr(frow, n_scen)
    bp, bi = _csr(brow, n_scen)
    return Scenarios(
        n_psu=n_psu, n_feed=n_feed, n_bbu=int(n_bbu),
        kind=np.asarray(kinds, np.int8), members=np.asarray(members, np.int64).reshape(n_scen, 4),
        labels=tuple(labels), psu_ptr=pp, psu_idx=pi, feed_ptr=fp, feed_idx=fi, bbu_ptr=bp, bbu_idx=bi,
    )
