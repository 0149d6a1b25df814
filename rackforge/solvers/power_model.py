"""Power-distribution model: the array data model of a batch of rack power networks, its element
equations, the AC-side phasors and the result container.

:class:`PowerNetwork` (flat SI arrays, see its docstring for the conventions), :class:`SolverOptions`,
:class:`PowerFlowResult`, the element laws (:func:`psu_current`, :func:`load_current`, :func:`efficiency`,
:func:`psu_input_power`), the AC side (:func:`psu_line_phasors`, :func:`feed_imbalance`) and the assembly
of a result from solved node voltages (:func:`assemble_result`, :func:`assemble_results`). Both solvers
use them: the numpy/scipy reference (:mod:`rackforge.solvers.power_ref`, which re-exports every public
name here) and the numba path (:mod:`rackforge.solvers.power`). numpy only; no numba, no scipy.

Model (all quantities SI)
-------------------------
DC side, one nodal system per network, unknowns the node voltages ``v`` [V]:

* busbar segment ``s`` between nodes ``a`` and ``b``: ``i_s = (v_a - v_b) / R_s``;
* PSU ``p`` at node ``n`` (Thevenin source ``E_p``, droop ``r_p``, ORing diode, current limit
  ``I_lim``): ``i_p = min(max((E_p - v_n) / r_p, 0), I_lim)``; a failed PSU (or a PSU on a
  failed feed) gives ``i_p = 0``;
* constant-power load ``l`` at node ``n``: ``i_l = P_l / v_n`` for ``v_n >= V_c`` and
  ``i_l = P_l v_n / V_c^2`` (constant impedance, continuous at ``V_c``) below the collapse
  voltage ``V_c``; a load is *served* when ``v_n >= max(V_min, V_c)``;
* Kirchhoff's current law at every node: ``F_n(v) = sum_s i_s(out of n) + sum_l i_l - sum_p i_p = 0``.

AC side, after the DC solve: ``P_in = P_out / eta(P_out / P_rated)`` with ``eta`` linearly
interpolated in the PSU's efficiency curve (clamped at the end points; a PSU with a no-load input draws more
below the curve's first point, see :func:`psu_input_power`); apparent power
``S = P_in / pf``; a line-to-neutral PSU on phase ``x`` draws ``|I| = S / V_LN`` with
``V_LN = V_LL / sqrt(3)`` at angle ``theta_x - phi``; a line-to-line PSU on ``xy`` draws
``|I| = S / V_LL`` at angle ``theta_xy - phi`` into line ``x`` and out of line ``y``
(``theta_a, theta_b, theta_c = 0, -120, 120 deg``; ``theta_ab, theta_bc, theta_ca = 30, -90,
150 deg``; ``phi = arccos(pf)``, lagging). Line currents are the magnitudes of the phasor sums
(IEEE Std 141, ch. 3; Grainger & Stevenson, *Power System Analysis*, ch. 2). A DC feed carries
``I = P_in / V``. Phase unbalance is ``max_k |I_k - mean(I)| / mean(I)`` (NEMA MG 1, 14.35,
applied to line currents).

References
----------
* Grainger, J. J. and Stevenson, W. D., *Power System Analysis*, McGraw-Hill, 1994, ch. 2
  (three-phase phasors).
* IEEE Std 141, ch. 3.
* NEMA MG 1-2016, 14.35 (definition of unbalance).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

__all__ = [
    "CONN_A",
    "CONN_AB",
    "CONN_B",
    "CONN_BC",
    "CONN_C",
    "CONN_CA",
    "CONN_DC",
    "PSU_BLOCKED",
    "PSU_CURRENT_LIMIT",
    "PSU_OFF",
    "PSU_REGULATING",
    "PowerFlowResult",
    "PowerNetwork",
    "SolverOptions",
    "assemble_result",
    "assemble_results",
    "efficiency",
    "feed_imbalance",
    "load_current",
    "psu_current",
    "psu_input_power",
    "psu_line_phasors",
]

# PSU input connection codes (psu_conn)
CONN_A, CONN_B, CONN_C, CONN_AB, CONN_BC, CONN_CA, CONN_DC = 0, 1, 2, 3, 4, 5, 6
# PSU operating state codes (PowerFlowResult.psu_state)
PSU_OFF, PSU_REGULATING, PSU_CURRENT_LIMIT, PSU_BLOCKED = 0, 1, 2, 3

_DEG = np.pi / 180.0
# angle of the voltage each connection sees, and the lines its current enters (+1) / leaves (-1)
_CONN_ANGLE = np.array([0.0, -120.0, 120.0, 30.0, -90.0, 150.0, 0.0]) * _DEG
_CONN_SIGN = np.array(
    [
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [1.0, -1.0, 0.0],
        [0.0, 1.0, -1.0],
        [-1.0, 0.0, 1.0],
        [1.0, 0.0, 0.0],
    ]
)


@dataclass(frozen=True)
class SolverOptions:
    """Tolerances of the DC Newton iteration (shared by the numba and reference paths).

    Parameters
    ----------
    rtol : float
        Convergence when ``max_n |F_n| <= max(rtol * I_scale, noise)`` [-], with ``I_scale`` [A]
        the network's total load current at the highest PSU set-point (or the sum of PSU current
        limits when there is no load) and ``noise`` [A] the rounding floor of the residual
        (``PowerNetwork.net_noise_a``).
    max_iter : int
        Maximum number of Newton / pseudo-transient iterations per network.
    sigma_init : float
        First pseudo-transient shift [-] when ``J`` is not positive definite; the shift is
        multiplied by 4 until ``J + sigma m I`` is positive definite.
    sigma_min : float
        After each step the shift is divided by 4 and set to 0 (pure Newton) below this [-].
    pd_tol : float
        A pivot ``d_j <= pd_tol * A_jj`` marks the matrix as not positive definite [-].
    armijo : float
        Sufficient-decrease constant of the backtracking line search on the co-content [-].
    alpha_min : float
        Smallest step fraction of the line search; below it the step is taken anyway [-].
    """

    rtol: float = 1e-12
    max_iter: int = 100
    sigma_init: float = 1e-2
    sigma_min: float = 1e-6
    pd_tol: float = 1e-12
    armijo: float = 1e-4
    alpha_min: float = 1e-10


def _as(a, dtype, name, shape=None):
    arr = np.ascontiguousarray(np.asarray(a, dtype=dtype))
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    if arr.ndim != (len(shape) if shape is not None else 1):
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    return arr


@dataclass(frozen=True, eq=False)
class PowerNetwork:
    """A batch of independent DC busbar networks coupled only through shared facility feeds.

    All arrays are flat, SI, and indexed globally. Nodes of network ``k`` are
    ``node_ptr[k] .. node_ptr[k+1]-1`` (CSR style). Segments, PSUs, loads and BBUs must be
    *sorted by network* (the network of their node(s) is non-decreasing along the array);
    feeds, shelves and efficiency curves are global and may be shared by several networks.

    Parameters
    ----------
    node_ptr : int array [n_net + 1]
        Node offsets per network; ``node_ptr[0] == 0``.
    seg_from, seg_to : int arrays [n_seg]
        End nodes (global indices, same network, distinct) of each busbar segment;
        ``seg_current_a`` is positive from ``seg_from`` to ``seg_to``.
    seg_r_ohm : float array [n_seg]
        Segment resistance [ohm], > 0.
    seg_i_rated_a : float array [n_seg]
        Segment rated current [A], > 0.
    psu_node : int array [n_psu]
        Output node of each PSU.
    psu_v_set_v : float array [n_psu]
        Output set-point at no load (Thevenin EMF) [V].
    psu_r_droop_ohm : float array [n_psu]
        Droop [V/A = ohm], > 0.
    psu_i_lim_a : float array [n_psu]
        Output current limit [A], > 0.
    psu_p_rated_w : float array [n_psu]
        Output power rating [W] (load fraction = P_out / P_rated).
    psu_curve : int array [n_psu]
        Efficiency curve of each PSU (index into ``eff_ptr``).
    eff_ptr : int array [n_curve + 1]
        Offsets of each curve's points in ``eff_load_frac`` / ``eff_eta``.
    eff_load_frac : float array [n_pts]
        Load fractions [-] of the curve points, strictly increasing within a curve.
    eff_eta : float array [n_pts]
        Efficiency [-] at those points, in (0, 1].
    psu_feed : int array [n_psu]
        Facility feed of each PSU.
    psu_conn : int array [n_psu]
        Input connection: ``CONN_A/B/C`` (0-2, line-to-neutral), ``CONN_AB/BC/CA`` (3-5,
        line-to-line) on AC feeds, ``CONN_DC`` (6) on DC feeds.
    psu_shelf : int array [n_psu]
        Power shelf of each PSU (global shelf index, used for fault enumeration).
    load_node : int array [n_load]
        Tap node of each load.
    load_p_w : float array [n_load]
        Constant input power [W], >= 0.
    load_v_min_v : float array [n_load]
        Minimum input voltage [V] for the load to count as served.
    load_v_collapse_v : float array [n_load], optional
        Voltage [V] below which the load is modelled as a constant impedance; defaults to
        ``load_v_min_v``. Must be > 0.
    feed_voltage_v : float array [n_feed]
        Line-to-line rms voltage [V] of an AC feed, or the voltage [V] of a DC feed.
    feed_is_dc : bool array [n_feed]
    feed_pf : float array [n_feed]
        Power factor of the PSUs on an AC feed, in (0, 1] (ignored for DC).
    feed_breaker_a : float array [n_feed]
        Breaker rating [A].
    feed_derating : float array [n_feed]
        Continuous-load derating (e.g. 0.8, NEC 210.19/215.2), in (0, 1].
    bbu_node : int array [n_bbu], optional
    bbu_energy_j : float array [n_bbu], optional
        Usable stored energy [J].
    bbu_p_rated_w : float array [n_bbu], optional
        Discharge power rating [W].
    psu_p_idle_w : float array [n_psu], optional
        No-load input power [W] of a PSU in service (fans, controller, PFC stage); default 0. See
        :func:`psu_input_power`.
    """

    node_ptr: np.ndarray
    seg_from: np.ndarray
    seg_to: np.ndarray
    seg_r_ohm: np.ndarray
    seg_i_rated_a: np.ndarray
    psu_node: np.ndarray
    psu_v_set_v: np.ndarray
    psu_r_droop_ohm: np.ndarray
    psu_i_lim_a: np.ndarray
    psu_p_rated_w: np.ndarray
    psu_curve: np.ndarray
    psu_feed: np.ndarray
    psu_conn: np.ndarray
    psu_shelf: np.ndarray
    eff_ptr: np.ndarray
    eff_load_frac: np.ndarray
    eff_eta: np.ndarray
    load_node: np.ndarray
    load_p_w: np.ndarray
    load_v_min_v: np.ndarray
    feed_voltage_v: np.ndarray
    feed_is_dc: np.ndarray
    feed_pf: np.ndarray
    feed_breaker_a: np.ndarray
    feed_derating: np.ndarray
    load_v_collapse_v: np.ndarray | None = None
    bbu_node: np.ndarray | None = None
    bbu_energy_j: np.ndarray | None = None
    bbu_p_rated_w: np.ndarray | None = None
    psu_p_idle_w: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        s = object.__setattr__
        i8, f8 = np.int64, np.float64
        s(self, "node_ptr", _as(self.node_ptr, i8, "node_ptr"))
        np_ = self.node_ptr
        if np_.size < 1 or np_[0] != 0 or np.any(np.diff(np_) < 0):
            raise ValueError("node_ptr must start at 0 and be non-decreasing")
        n_node = int(np_[-1])
        for name in ("seg_from", "seg_to"):
            s(self, name, _as(getattr(self, name), i8, name))
        n_seg = self.seg_from.size
        for name in ("seg_r_ohm", "seg_i_rated_a"):
            s(self, name, _as(getattr(self, name), f8, name, (n_seg,)))
        s(self, "seg_to", _as(self.seg_to, i8, "seg_to", (n_seg,)))
        s(self, "psu_node", _as(self.psu_node, i8, "psu_node"))
        n_psu = self.psu_node.size
        for name in ("psu_v_set_v", "psu_r_droop_ohm", "psu_i_lim_a", "psu_p_rated_w"):
            s(self, name, _as(getattr(self, name), f8, name, (n_psu,)))
        for name in ("psu_curve", "psu_feed", "psu_conn", "psu_shelf"):
            s(self, name, _as(getattr(self, name), i8, name, (n_psu,)))
        idle = np.zeros(n_psu) if self.psu_p_idle_w is None else self.psu_p_idle_w
        s(self, "psu_p_idle_w", _as(idle, f8, "psu_p_idle_w", (n_psu,)))
        s(self, "eff_ptr", _as(self.eff_ptr, i8, "eff_ptr"))
        s(self, "eff_load_frac", _as(self.eff_load_frac, f8, "eff_load_frac"))
        s(self, "eff_eta", _as(self.eff_eta, f8, "eff_eta", self.eff_load_frac.shape))
        s(self, "load_node", _as(self.load_node, i8, "load_node"))
        n_load = self.load_node.size
        for name in ("load_p_w", "load_v_min_v"):
            s(self, name, _as(getattr(self, name), f8, name, (n_load,)))
        vc = self.load_v_min_v.copy() if self.load_v_collapse_v is None else self.load_v_collapse_v
        s(self, "load_v_collapse_v", _as(vc, f8, "load_v_collapse_v", (n_load,)))
        s(self, "feed_voltage_v", _as(self.feed_voltage_v, f8, "feed_voltage_v"))
        n_feed = self.feed_voltage_v.size
        s(self, "feed_is_dc", _as(self.feed_is_dc, np.bool_, "feed_is_dc", (n_feed,)))
        for name in ("feed_pf", "feed_breaker_a", "feed_derating"):
            s(self, name, _as(getattr(self, name), f8, name, (n_feed,)))
        bn = np.zeros(0, i8) if self.bbu_node is None else self.bbu_node
        s(self, "bbu_node", _as(bn, i8, "bbu_node"))
        n_bbu = self.bbu_node.size
        for name in ("bbu_energy_j", "bbu_p_rated_w"):
            val = getattr(self, name)
            val = np.zeros(n_bbu) if val is None else val
            s(self, name, _as(val, f8, name, (n_bbu,)))

        # ---- validation -------------------------------------------------------------------
        def _idx(a, hi, name):
            if a.size and (a.min() < 0 or a.max() >= hi):
                raise ValueError(f"{name}: index out of range [0, {hi})")

        _idx(self.seg_from, n_node, "seg_from")
        _idx(self.seg_to, n_node, "seg_to")
        _idx(self.psu_node, n_node, "psu_node")
        _idx(self.load_node, n_node, "load_node")
        _idx(self.bbu_node, n_node, "bbu_node")
        _idx(self.psu_feed, n_feed, "psu_feed")
        n_curve = self.eff_ptr.size - 1
        if n_curve < 0 or (self.eff_ptr[0] != 0) or self.eff_ptr[-1] != self.eff_load_frac.size:
            raise ValueError("eff_ptr must start at 0 and end at len(eff_load_frac)")
        if np.any(np.diff(self.eff_ptr) < 1):
            raise ValueError("every efficiency curve needs at least one point")
        _idx(self.psu_curve, n_curve, "psu_curve")
        node_net = self.node_net
        if np.any(node_net[self.seg_from] != node_net[self.seg_to]):
            raise ValueError("a segment joins two different networks")
        if np.any(self.seg_from == self.seg_to):
            raise ValueError("a segment starts and ends at the same node")
        for name, nodes in (
            ("segments", self.seg_from),
            ("PSUs", self.psu_node),
            ("loads", self.load_node),
            ("BBUs", self.bbu_node),
        ):
            if nodes.size and np.any(np.diff(node_net[nodes]) < 0):
                raise ValueError(f"{name} must be sorted by network")
        if np.any(~(self.seg_r_ohm > 0)) or np.any(~(self.seg_i_rated_a > 0)):
            raise ValueError("segment resistance and rated current must be > 0")
        for name in ("psu_r_droop_ohm", "psu_i_lim_a", "psu_p_rated_w"):
            if np.any(~(getattr(self, name) > 0)):
                raise ValueError(f"{name} must be > 0")
        if np.any(~np.isfinite(self.psu_v_set_v)):
            raise ValueError("psu_v_set_v must be finite")
        for c in range(n_curve):
            x = self.eff_load_frac[self.eff_ptr[c] : self.eff_ptr[c + 1]]
            if np.any(np.diff(x) <= 0):
                raise ValueError(f"efficiency curve {c}: load fractions must be increasing")
        if np.any(~(self.eff_eta > 0)) or np.any(self.eff_eta > 1):
            raise ValueError("efficiency values must be in (0, 1]")
        if np.any(~(self.load_p_w >= 0)):
            raise ValueError("load_p_w must be >= 0")
        if np.any(~(self.load_v_collapse_v > 0)):
            raise ValueError("load collapse voltage (default load_v_min_v) must be > 0")
        if np.any(~(self.feed_voltage_v > 0)) or np.any(~(self.feed_breaker_a > 0)):
            raise ValueError("feed voltage and breaker rating must be > 0")
        if np.any(~((self.feed_derating > 0) & (self.feed_derating <= 1))):
            raise ValueError("feed_derating must be in (0, 1]")
        if np.any(~((self.feed_pf > 0) & (self.feed_pf <= 1)) & ~self.feed_is_dc):
            raise ValueError("feed_pf of AC feeds must be in (0, 1]")
        if n_psu:
            dc = self.feed_is_dc[self.psu_feed]
            if np.any(dc != (self.psu_conn == CONN_DC)):
                raise ValueError("PSUs on DC feeds need psu_conn=CONN_DC, on AC feeds 0..5")
            if np.any((self.psu_conn < 0) | (self.psu_conn > CONN_DC)):
                raise ValueError("psu_conn must be in 0..6")
        if np.any(~(self.psu_p_idle_w >= 0)) or np.any(~np.isfinite(self.psu_p_idle_w)):
            raise ValueError("psu_p_idle_w must be finite and >= 0")
        if np.any(~(self.bbu_energy_j >= 0)) or np.any(~(self.bbu_p_rated_w >= 0)):
            raise ValueError("BBU energy and power rating must be >= 0")

    # ---- derived sizes and per-network offsets ------------------------------------------------
    @property
    def n_net(self) -> int:
        return self.node_ptr.size - 1

    @property
    def n_node(self) -> int:
        return int(self.node_ptr[-1])

    @property
    def n_seg(self) -> int:
        return self.seg_from.size

    @property
    def n_psu(self) -> int:
        return self.psu_node.size

    @property
    def n_load(self) -> int:
        return self.load_node.size

    @property
    def n_feed(self) -> int:
        return self.feed_voltage_v.size

    @property
    def n_bbu(self) -> int:
        return self.bbu_node.size

    def _cached(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    @property
    def node_net(self) -> np.ndarray:
        """Network of each node [n_node]."""
        return self._cached(
            "node_net", lambda: np.repeat(np.arange(self.n_net), np.diff(self.node_ptr))
        )

    def _ptr(self, nodes):
        nn = self.node_net[nodes]
        return np.searchsorted(nn, np.arange(self.n_net + 1), side="left").astype(np.int64)

    @property
    def seg_ptr(self) -> np.ndarray:
        """Segment offsets per network [n_net + 1]."""
        return self._cached("seg_ptr", lambda: self._ptr(self.seg_from))

    @property
    def psu_ptr(self) -> np.ndarray:
        """PSU offsets per network [n_net + 1]."""
        return self._cached("psu_ptr", lambda: self._ptr(self.psu_node))

    @property
    def load_ptr(self) -> np.ndarray:
        """Load offsets per network [n_net + 1]."""
        return self._cached("load_ptr", lambda: self._ptr(self.load_node))

    @property
    def bbu_ptr(self) -> np.ndarray:
        """BBU offsets per network [n_net + 1]."""
        return self._cached("bbu_ptr", lambda: self._ptr(self.bbu_node))

    @property
    def psu_net(self) -> np.ndarray:
        return self.node_net[self.psu_node]

    @property
    def load_net(self) -> np.ndarray:
        return self.node_net[self.load_node]

    @property
    def bbu_net(self) -> np.ndarray:
        return self.node_net[self.bbu_node]

    @property
    def net_mass_s(self) -> np.ndarray:
        """Pseudo-transient conductance scale ``m`` per network [S]:
        ``(sum_p 1/r_p + sum_l P_l / V_c^2) / n_nodes``."""

        def f():
            g = np.bincount(self.psu_net, 1.0 / self.psu_r_droop_ohm, minlength=self.n_net)
            g = g + np.bincount(
                self.load_net, self.load_p_w / self.load_v_collapse_v**2, minlength=self.n_net
            )
            n = np.maximum(np.diff(self.node_ptr), 1)
            return np.maximum(g / n, 1e-12)

        return self._cached("mass", f)

    @property
    def net_i_scale_a(self) -> np.ndarray:
        """Current scale per network [A] for the convergence test: total load current at the
        highest PSU set-point (or the sum of PSU current limits when there is no load)."""

        def f():
            emax = np.full(self.n_net, 0.0)
            np.maximum.at(emax, self.psu_net, np.abs(self.psu_v_set_v))
            iload = np.bincount(self.load_net, self.load_p_w, minlength=self.n_net)
            ilim = np.bincount(self.psu_net, self.psu_i_lim_a, minlength=self.n_net)
            scale = np.where((iload > 0) & (emax > 0), iload / np.maximum(emax, 1e-300), ilim)
            return np.maximum(scale, 1e-9)

        return self._cached("iscale", f)

    @property
    def net_noise_a(self) -> np.ndarray:
        """Rounding floor of the KCL residual per network [A]:
        ``16 eps max(E) max_n sum_{s at n} g_s`` (a segment current ``g (v_a - v_b)`` carries an
        absolute error of about ``eps |v| g``)."""

        def f():
            emax = np.full(self.n_net, 0.0)
            np.maximum.at(emax, self.psu_net, np.abs(self.psu_v_set_v))
            gs = np.zeros(self.n_node)
            g = 1.0 / self.seg_r_ohm
            np.add.at(gs, self.seg_from, g)
            np.add.at(gs, self.seg_to, g)
            gmax = np.zeros(self.n_net)
            np.maximum.at(gmax, self.node_net, gs)
            return 16.0 * np.finfo(np.float64).eps * emax * gmax

        return self._cached("noise", f)

    def psu_out(self, psu_failed=None, feed_failed=None) -> np.ndarray:
        """Boolean [n_psu]: PSU out of service (failed itself or on a failed feed)."""
        out = np.zeros(self.n_psu, dtype=bool)
        if psu_failed is not None:
            out |= np.asarray(psu_failed, dtype=bool)
        if feed_failed is not None:
            out |= np.asarray(feed_failed, dtype=bool)[self.psu_feed]
        return out


@dataclass(frozen=True, eq=False)
class PowerFlowResult:
    """Solution of one scenario over the whole batch of networks (SI units in the field names).

    Element arrays follow the indexing of :class:`PowerNetwork`. ``feed_line_current_a`` is
    ``[n_feed, 3]`` (lines a, b, c); a DC feed's current is in column 0 and the other columns
    are 0. ``psu_state`` uses ``PSU_OFF`` (0), ``PSU_REGULATING`` (1), ``PSU_CURRENT_LIMIT``
    (2) and ``PSU_BLOCKED`` (3, ORing diode blocking: set-point below the bus voltage).
    ``feed_loading = feed_current_a / (breaker * derating)``.
    """

    node_voltage_v: np.ndarray
    psu_on: np.ndarray
    psu_current_a: np.ndarray
    psu_p_out_w: np.ndarray
    psu_load_frac: np.ndarray
    psu_eta: np.ndarray
    psu_p_in_w: np.ndarray
    psu_loss_w: np.ndarray
    psu_state: np.ndarray
    seg_current_a: np.ndarray
    seg_loading: np.ndarray
    seg_loss_w: np.ndarray
    load_p_drawn_w: np.ndarray
    load_served: np.ndarray
    feed_line_current_a: np.ndarray
    feed_neutral_current_a: np.ndarray
    feed_current_a: np.ndarray
    feed_p_in_w: np.ndarray
    feed_s_va: np.ndarray
    feed_limit_a: np.ndarray
    feed_loading: np.ndarray
    feed_imbalance: np.ndarray
    net_converged: np.ndarray
    net_iterations: np.ndarray
    facility_input_w: float
    load_total_w: float
    psu_loss_total_w: float
    busbar_loss_total_w: float
    unserved_w: float
    n_unserved: int
    converged: bool
    iterations: int

    def kcl_residual_a(self, net: PowerNetwork) -> np.ndarray:
        """KCL residual at every node [A]: outflow through segments + load current - PSU output."""
        r = np.zeros(net.n_node)
        np.add.at(r, net.seg_from, self.seg_current_a)
        np.add.at(r, net.seg_to, -self.seg_current_a)
        v = self.node_voltage_v[net.load_node]
        with np.errstate(divide="ignore", invalid="ignore"):
            il = np.where(v != 0, self.load_p_drawn_w / v, 0.0)
        np.add.at(r, net.load_node, il)
        np.add.at(r, net.psu_node, -self.psu_current_a)
        return r

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# ---------------------------------------------------------------------------------------------
# element equations (numpy, vectorised)
# ---------------------------------------------------------------------------------------------
def psu_current(v, e, r, ilim, on):
    """PSU output current [A]: ``i = min(max((E - v)/r, 0), I_lim)`` if on, else 0.

    Parameters
    ----------
    v : array [V]
        Output node voltage.
    e, r, ilim : arrays [V], [ohm], [A]
        Set-point (Thevenin EMF), droop and current limit.
    on : bool array
    """
    return np.where(on, np.minimum(np.maximum((e - v) / r, 0.0), ilim), 0.0)


def load_current(v, p, vc):
    """Load current [A]: ``P/v`` for ``v >= V_c``, ``P v / V_c^2`` below (constant impedance)."""
    with np.errstate(divide="ignore"):
        return np.where(v >= vc, p / np.where(v >= vc, v, 1.0), p * v / vc**2)


def efficiency(net: PowerNetwork, load_frac):
    """PSU efficiency [-] by linear interpolation of each PSU's curve, clamped at the ends
    (``load_frac`` [..., n_psu]: leading axes are scenarios)."""
    load_frac = np.asarray(load_frac, dtype=np.float64)
    eta = np.empty(load_frac.shape)
    for c in range(net.eff_ptr.size - 1):
        m = net.psu_curve == c
        if np.any(m):
            sl = slice(net.eff_ptr[c], net.eff_ptr[c + 1])
            eta[..., m] = np.interp(load_frac[..., m], net.eff_load_frac[sl], net.eff_eta[sl])
    return eta


def psu_input_power(net: PowerNetwork, p_out, on):
    """PSU input power [W] from output power ``p_out`` [W] (``[..., n_psu]``) and in-service mask ``on``.

    ``P_in = P_out / eta(P_out / P_rated)`` (curve clamped at its end points). A PSU with a no-load input
    ``P_idle > 0`` (``psu_p_idle_w``) that is in service draws, below its curve's first point ``x_0`` (load
    fraction, efficiency ``eta_0``), ``P_in = P_out + P_idle + (L_0 - P_idle) x / x_0`` with
    ``L_0 = x_0 P_rated (1 / eta_0 - 1)`` the loss at ``x_0``: the loss runs linearly from the no-load input at
    zero output to the curve, continuous at ``x_0``; an in-service PSU at zero output (ORing-blocked) draws
    ``P_idle``. Without ``P_idle`` this is the clamped curve (``L_0 x / x_0 = P_out (1 / eta_0 - 1)``)."""
    p_out = np.asarray(p_out, dtype=np.float64)
    lf = p_out / net.psu_p_rated_w
    eta = efficiency(net, lf)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_in = np.where(p_out != 0.0, p_out / eta, 0.0)
    idle = net.psu_p_idle_w
    if np.any(idle > 0):
        first = net.eff_ptr[:-1][net.psu_curve]
        x0, e0 = net.eff_load_frac[first], net.eff_eta[first]
        loss0 = x0 * net.psu_p_rated_w * (1.0 / e0 - 1.0)
        low = np.asarray(on, dtype=bool) & (idle > 0) & (lf < x0)
        p_in = np.where(low, p_out + idle + (loss0 - idle) * lf / x0, p_in)
    return p_in


def psu_line_phasors(p_in_w, conn, pf, v_feed):
    """Complex line-current contributions [A] of PSUs to lines a, b, c of their feed.

    Parameters
    ----------
    p_in_w : array [n] [W]
        PSU input power.
    conn : int array [n]
        ``CONN_*`` code.
    pf : array [n] [-]
        Power factor (lagging) of the feed.
    v_feed : array [n] [V]
        Line-to-line rms voltage (AC) or DC voltage of the feed.

    Returns
    -------
    complex array [n, 3]
        L-N on phase x: ``S / (V_LL/sqrt(3)) * exp(j(theta_x - phi))`` into line x; L-L on xy:
        ``S / V_LL * exp(j(theta_xy - phi))`` into x and out of y; DC: ``P / V`` in column 0.
        ``S = P / pf``, ``phi = arccos(pf)`` (Grainger & Stevenson 1994, ch. 2).
    """
    conn = np.asarray(conn)
    dc = conn == CONN_DC
    ln = conn <= CONN_C
    pf_ = np.where(dc, 1.0, pf)
    s = p_in_w / pf_
    vmag = np.where(ln, v_feed / np.sqrt(3.0), v_feed)
    phi = np.where(dc, 0.0, np.arccos(np.clip(pf_, 0.0, 1.0)))
    cur = (s / vmag) * np.exp(1j * (_CONN_ANGLE[conn] - phi))
    cur = np.where(dc, (p_in_w / v_feed) + 0j, cur)
    return cur[..., None] * _CONN_SIGN[conn]


def feed_imbalance(line_a, is_dc, limit_a):
    """Current unbalance of three-phase feeds, ``max_k |I_k - mean(I)| / mean(I)`` [-] (NEMA MG 1,
    14.35 definition applied to line currents); 0 for DC feeds and for feeds whose mean line
    current is below ``1e-9 * limit_a`` (de-energised).

    Parameters
    ----------
    line_a : array [n, 3] [A]
    is_dc : bool array [n]
    limit_a : array [n] [A]
    """
    line_a = np.asarray(line_a, dtype=np.float64).reshape(-1, 3)
    mean = line_a.mean(axis=1)
    dev = np.abs(line_a - mean[:, None]).max(axis=1)
    live = ~np.asarray(is_dc) & (mean > 1e-9 * np.asarray(limit_a))
    return np.where(live, dev / np.where(live, mean, 1.0), 0.0)


def assemble_result(net: PowerNetwork, v, psu_i, psu_on, net_conv, net_iter) -> PowerFlowResult:
    """Derived quantities of one solved scenario (PSU power and efficiency, segment currents and
    losses, load service, AC feed currents, totals) from node voltages and PSU currents."""
    v = np.asarray(v, dtype=np.float64)
    psu_i = np.asarray(psu_i, dtype=np.float64)
    vp = v[net.psu_node]
    p_out = vp * psu_i
    lf = p_out / net.psu_p_rated_w
    eta = efficiency(net, lf)
    p_in = psu_input_power(net, p_out, psu_on)
    state = np.where(
        ~psu_on,
        PSU_OFF,
        np.where(
            psu_i >= net.psu_i_lim_a, PSU_CURRENT_LIMIT, np.where(psu_i <= 0, PSU_BLOCKED, PSU_REGULATING)
        ),
    ).astype(np.int8)
    dv = v[net.seg_from] - v[net.seg_to]
    seg_i = dv / net.seg_r_ohm
    seg_loss = dv * seg_i
    vl = v[net.load_node]
    il = load_current(vl, net.load_p_w, net.load_v_collapse_v)
    p_drawn = vl * il
    served = vl >= np.maximum(net.load_v_min_v, net.load_v_collapse_v)
    ph = psu_line_phasors(p_in, net.psu_conn, net.feed_pf[net.psu_feed], net.feed_voltage_v[net.psu_feed])
    lines = np.zeros((net.n_feed, 3), dtype=np.complex128)
    np.add.at(lines, net.psu_feed, ph)
    ln = net.psu_conn <= CONN_C
    neutral = np.zeros(net.n_feed, dtype=np.complex128)
    np.add.at(neutral, net.psu_feed[ln], ph[ln].sum(axis=1))
    feed_line = np.abs(lines)
    feed_i = feed_line.max(axis=1) if net.n_feed else np.zeros(0)
    feed_p = np.bincount(net.psu_feed, p_in, minlength=net.n_feed)
    pf = np.where(net.feed_is_dc, 1.0, net.feed_pf)
    limit = net.feed_breaker_a * net.feed_derating
    imb = feed_imbalance(feed_line, net.feed_is_dc, limit)
    n_uns = int(np.count_nonzero(~served & (net.load_p_w > 0)))
    return PowerFlowResult(
        node_voltage_v=v,
        psu_on=np.asarray(psu_on, dtype=bool),
        psu_current_a=psu_i,
        psu_p_out_w=p_out,
        psu_load_frac=lf,
        psu_eta=eta,
        psu_p_in_w=p_in,
        psu_loss_w=p_in - p_out,
        psu_state=state,
        seg_current_a=seg_i,
        seg_loading=np.abs(seg_i) / net.seg_i_rated_a,
        seg_loss_w=seg_loss,
        load_p_drawn_w=p_drawn,
        load_served=served,
        feed_line_current_a=feed_line,
        feed_neutral_current_a=np.abs(neutral),
        feed_current_a=feed_i,
        feed_p_in_w=feed_p,
        feed_s_va=feed_p / pf,
        feed_limit_a=limit,
        feed_loading=feed_i / limit,
        feed_imbalance=imb,
        net_converged=np.asarray(net_conv, dtype=bool),
        net_iterations=np.asarray(net_iter, dtype=np.int64),
        facility_input_w=float(p_in.sum()),
        load_total_w=float(p_drawn.sum()),
        psu_loss_total_w=float((p_in - p_out).sum()),
        busbar_loss_total_w=float(seg_loss.sum()),
        unserved_w=float(net.load_p_w[~served].sum()),
        n_unserved=n_uns,
        converged=bool(np.all(net_conv)),
        iterations=int(np.max(net_iter)) if np.size(net_iter) else 0,
    )


def assemble_results(net: PowerNetwork, V, PSU_I, ON, CONV, ITERS) -> list[PowerFlowResult]:
    """:func:`assemble_result` for ``S`` scenarios at once: the same quantities computed on stacked
    arrays (``V`` [S, n_node], ``PSU_I`` and ``ON`` [S, n_psu], ``CONV`` and ``ITERS`` [S, n_net]),
    then one :class:`PowerFlowResult` per scenario (its arrays are rows of the stacks)."""
    V = np.asarray(V, dtype=np.float64)
    PSU_I = np.asarray(PSU_I, dtype=np.float64)
    ON = np.asarray(ON, dtype=bool)
    CONV = np.asarray(CONV, dtype=bool)
    ITERS = np.asarray(ITERS, dtype=np.int64)
    S, nf = V.shape[0], net.n_feed
    p_out = V[:, net.psu_node] * PSU_I
    lf = p_out / net.psu_p_rated_w
    eta = efficiency(net, lf)
    p_in = psu_input_power(net, p_out, ON)
    state = np.where(
        ~ON,
        PSU_OFF,
        np.where(
            PSU_I >= net.psu_i_lim_a, PSU_CURRENT_LIMIT, np.where(PSU_I <= 0, PSU_BLOCKED, PSU_REGULATING)
        ),
    ).astype(np.int8)
    dv = V[:, net.seg_from] - V[:, net.seg_to]
    seg_i = dv / net.seg_r_ohm
    seg_loss = dv * seg_i
    vl = V[:, net.load_node]
    p_drawn = vl * load_current(vl, net.load_p_w, net.load_v_collapse_v)
    served = vl >= np.maximum(net.load_v_min_v, net.load_v_collapse_v)
    ph = psu_line_phasors(p_in, net.psu_conn, net.feed_pf[net.psu_feed], net.feed_voltage_v[net.psu_feed])
    lines = np.zeros((S, nf, 3), dtype=np.complex128)
    np.add.at(lines, (slice(None), net.psu_feed), ph)
    ln = net.psu_conn <= CONN_C
    neutral = np.zeros((S, nf), dtype=np.complex128)
    np.add.at(neutral, (slice(None), net.psu_feed[ln]), ph[:, ln].sum(axis=-1))
    feed_line = np.abs(lines)
    feed_i = feed_line.max(axis=-1) if nf else np.zeros((S, 0))
    off = (np.arange(S) * nf)[:, None]
    feed_p = np.bincount((off + net.psu_feed).ravel(), p_in.ravel(), S * nf).astype(np.float64, copy=False)
    feed_p = feed_p.reshape(S, nf)
    pf = np.where(net.feed_is_dc, 1.0, net.feed_pf)
    limit = net.feed_breaker_a * net.feed_derating
    imb = feed_imbalance(feed_line.reshape(-1, 3), np.tile(net.feed_is_dc, S), np.tile(limit, S)).reshape(S, nf)
    n_uns = np.count_nonzero(~served & (net.load_p_w > 0), axis=1)
    loss = p_in - p_out
    tot_in, tot_load = p_in.sum(axis=1), p_drawn.sum(axis=1)
    tot_psu, tot_bus = loss.sum(axis=1), seg_loss.sum(axis=1)
    out = []
    for s in range(S):
        out.append(PowerFlowResult(
            node_voltage_v=V[s], psu_on=ON[s], psu_current_a=PSU_I[s], psu_p_out_w=p_out[s],
            psu_load_frac=lf[s], psu_eta=eta[s], psu_p_in_w=p_in[s], psu_loss_w=loss[s], psu_state=state[s],
            seg_current_a=seg_i[s], seg_loading=np.abs(seg_i[s]) / net.seg_i_rated_a, seg_loss_w=seg_loss[s],
            load_p_drawn_w=p_drawn[s], load_served=served[s], feed_line_current_a=feed_line[s],
            feed_neutral_current_a=np.abs(neutral[s]), feed_current_a=feed_i[s], feed_p_in_w=feed_p[s],
            feed_s_va=feed_p[s] / pf, feed_limit_a=limit, feed_loading=feed_i[s] / limit, feed_imbalance=imb[s],
            net_converged=CONV[s], net_iterations=ITERS[s], facility_input_w=float(tot_in[s]),
            load_total_w=float(tot_load[s]), psu_loss_total_w=float(tot_psu[s]), busbar_loss_total_w=float(tot_bus[s]),
            unserved_w=float(net.load_p_w[~served[s]].sum()), n_unserved=int(n_uns[s]), converged=bool(np.all(CONV[s])),
            iterations=int(np.max(ITERS[s])) if ITERS.shape[1] else 0,
        ))
    return out
