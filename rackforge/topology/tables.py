"""Port and link tables: a structure of numpy arrays, one row per port / link.

Conventions (stable API)
------------------------
* Devices are integers ``0 .. n_devices-1``; ports are rows ``0 .. n_ports-1``
  of a :class:`PortTable`; links are rows of a :class:`LinkTable` whose
  ``port_a`` / ``port_b`` columns are port row indices.
* Every column is a 1-D numpy array of the same length. Physical columns are SI
  floats with the unit in the name (``speed_bps`` [bit/s], ``length_m`` [m]).
* Categorical columns hold the integer codes of :mod:`rackforge.topology.codes`.
* Breakouts: a 1xN breakout cable is stored as N link rows that share the same
  ``port_a`` (the trunk port, e.g. an 800G OSFP), each with ``fanout = N`` and
  the speed and lanes of one leg (``speed_bps = trunk speed / N``,
  ``lanes = trunk lanes / N``); ``port_b`` of each leg is a port of that leg's
  speed. A straight cable has ``fanout = 1``.
* ``speed_bps`` of a link is the rate of one direction of that link (or leg).

The containers only coerce dtypes and check that column lengths agree; the
checks in :mod:`rackforge.topology.checks` judge the content.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

__all__ = ["PortTable", "LinkTable", "concat_links"]

_INT = np.int64
_FLOAT = np.float64


def _col(value, dtype, n=None, default=None):
    if value is None:
        if n is None:
            raise ValueError("column is required")
        return np.full(n, default, dtype=dtype)
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim != 1:
        raise ValueError(f"table columns must be 1-D, got shape {arr.shape}")
    return arr


@dataclass(frozen=True, eq=False)
class PortTable:
    """One row per port.

    Parameters
    ----------
    device : array_like of int, shape (n_ports,)
        Device id owning the port [-].
    role : array_like of int
        :class:`~rackforge.topology.codes.Role` code.
    form_factor : array_like of int
        :class:`~rackforge.topology.codes.FormFactor` code of the cage.
    speed_bps : array_like of float
        Configured port speed, one direction [bit/s].
    lanes : array_like of int
        Electrical lanes of the port [-].
    face : array_like of int, optional
        :class:`~rackforge.topology.codes.Face` code (default front).
    ru : array_like of float, optional
        Height of the port as a rack-unit index counted from the bottom of its
        rack (may be fractional) [-]; see :func:`rackforge.topology.geometry.port_xyz`.
    """

    device: np.ndarray
    role: np.ndarray
    form_factor: np.ndarray
    speed_bps: np.ndarray
    lanes: np.ndarray
    face: np.ndarray | None = None
    ru: np.ndarray | None = None

    def __post_init__(self):
        dev = _col(self.device, _INT)
        n = dev.shape[0]
        cols = {
            "device": dev,
            "role": _col(self.role, np.int8),
            "form_factor": _col(self.form_factor, np.int8),
            "speed_bps": _col(self.speed_bps, _FLOAT),
            "lanes": _col(self.lanes, np.int32),
            "face": _col(self.face, np.int8, n, 0),
            "ru": _col(self.ru, _FLOAT, n, 0.0),
        }
        for name, arr in cols.items():
            if arr.shape[0] != n:
                raise ValueError(f"PortTable column {name!r} has {arr.shape[0]} rows, expected {n}")
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return int(self.device.shape[0])

    @property
    def n(self) -> int:
        """Number of ports."""
        return len(self)


@dataclass(frozen=True, eq=False)
class LinkTable:
    """One row per link (a cable, or one leg of a breakout cable).

    Parameters
    ----------
    port_a, port_b : array_like of int, shape (n_links,)
        Port row indices of the two ends. For a breakout leg ``port_a`` is the
        trunk port.
    media : array_like of int, optional
        :class:`~rackforge.topology.codes.Media` code (default ``NONE``).
    length_m : array_like of float, optional
        Cable length [m] (default ``NaN``: unknown, not checked).
    reach_m : array_like of float, optional
        Maximum reach of the cable at its speed [m] (default ``NaN``: unknown).
    speed_bps : array_like of float, optional
        Speed of the link or leg, one direction [bit/s] (default ``NaN``).
    lanes : array_like of int, optional
        Electrical lanes of the link or leg [-] (default 0: unknown).
    fanout : array_like of int, optional
        Breakout fan-out N of the cable this leg belongs to (default 1).
    connector_a, connector_b : array_like of int, optional
        :class:`~rackforge.topology.codes.FormFactor` of the cable connector
        (or transceiver) at each end; ``NONE`` (default) when unspecified.
    """

    port_a: np.ndarray
    port_b: np.ndarray
    media: np.ndarray | None = None
    length_m: np.ndarray | None = None
    reach_m: np.ndarray | None = None
    speed_bps: np.ndarray | None = None
    lanes: np.ndarray | None = None
    fanout: np.ndarray | None = None
    connector_a: np.ndarray | None = None
    connector_b: np.ndarray | None = None

    def __post_init__(self):
        a = _col(self.port_a, _INT)
        n = a.shape[0]
        cols = {
            "port_a": a,
            "port_b": _col(self.port_b, _INT),
            "media": _col(self.media, np.int8, n, 0),
            "length_m": _col(self.length_m, _FLOAT, n, np.nan),
            "reach_m": _col(self.reach_m, _FLOAT, n, np.nan),
            "speed_bps": _col(self.speed_bps, _FLOAT, n, np.nan),
            "lanes": _col(self.lanes, np.int32, n, 0),
            "fanout": _col(self.fanout, np.int32, n, 1),
            "connector_a": _col(self.connector_a, np.int8, n, 0),
            "connector_b": _col(self.connector_b, np.int8, n, 0),
        }
        for name, arr in cols.items():
            if arr.shape[0] != n:
                raise ValueError(f"LinkTable column {name!r} has {arr.shape[0]} rows, expected {n}")
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return int(self.port_a.shape[0])

    @property
    def n(self) -> int:
        """Number of links."""
        return len(self)

    def take(self, index) -> "LinkTable":
        """Return a new table with the rows ``index`` (int array or bool mask)."""
        return LinkTable(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def concat_links(*tables: LinkTable) -> LinkTable:
    """Concatenate link tables row-wise (order preserved).

    Parameters
    ----------
    *tables : LinkTable
        Tables to join.

    Returns
    -------
    LinkTable
        The rows of every table, in argument order.
    """
    if not tables:
        return LinkTable(np.zeros(0, _INT), np.zeros(0, _INT))
    return LinkTable(
        **{f.name: np.concatenate([getattr(t, f.name) for t in tables]) for f in fields(LinkTable)}
    )
