"""Integer codes used in the port and link tables.

The port and link tables (:mod:`rackforge.topology.tables`) store categorical
columns as small integers so that every check stays a vectorised numpy
expression. The codes are :class:`enum.IntEnum` members, so ``Role.SCALE_UP``
compares equal to ``0`` and can be used directly inside numpy expressions
(``ports.role == Role.SCALE_UP``).

Codes are part of the public API: once published a value is never reused for
another meaning; new members are only appended. Code ``0`` of the optional
categories (form factor, media, transceiver) means *none / unspecified*.

This module also holds small lookup tables (numpy arrays indexed by code) with
default reaches and optical properties. They are defaults for when the catalog
says nothing; the catalog's own figures take precedence in the lowering.
"""
from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = [
    "Role",
    "FormFactor",
    "Face",
    "Media",
    "Transceiver",
    "Fiber",
    "MEDIA_USES_TRANSCEIVERS",
    "MEDIA_FIBER",
    "TRANSCEIVER_FIBER",
    "TRANSCEIVER_REACH_M",
    "default_media_reach_m",
]


class Role(IntEnum):
    """Network a port belongs to (port table column ``role``)."""

    SCALE_UP = 0  #: accelerator-to-accelerator fabric (NVLink, UALink, ...)
    SCALE_OUT = 1  #: back-end compute fabric (InfiniBand / RoCE rails)
    FRONT_END = 2  #: in-band front-end / north-south network
    MANAGEMENT = 3  #: out-of-band management (BMC, switch management)
    STORAGE = 4  #: storage network


class FormFactor(IntEnum):
    """Mechanical form factor of a port cage or of a cable connector."""

    NONE = 0  #: unspecified (never a mismatch on its own)
    RJ45 = 1  #: 8P8C modular jack (BASE-T management)
    SFP = 2  #: SFP / SFP+ / SFP28 / SFP56 / SFP112 (1 lane)
    SFP_DD = 3  #: SFP double density (2 lanes)
    QSFP = 4  #: QSFP28 / QSFP56 / QSFP112 (4 lanes)
    QSFP_DD = 5  #: QSFP double density (8 lanes)
    OSFP = 6  #: OSFP (8 lanes; twin-port 2x400G or single-port)
    BACKPLANE = 7  #: blind-mate cable-cartridge connector (e.g. NVLink spine)
    OSFP_XD = 8  #: OSFP extra dense (16 lanes)


class Face(IntEnum):
    """Rack face a port is reached from."""

    FRONT = 0
    REAR = 1


class Media(IntEnum):
    """Cable media of a link (link table column ``media``)."""

    NONE = 0  #: unspecified
    DAC = 1  #: passive direct-attach copper twinax
    ACC = 2  #: linear active copper (LACC)
    AEC = 3  #: active electrical cable (retimed copper)
    AOC = 4  #: active optical cable (optics built into the cable ends)
    FIBER_MM = 5  #: multimode fibre patch cord between pluggable transceivers
    FIBER_SM = 6  #: single-mode fibre patch cord between pluggable transceivers
    BACKPLANE = 7  #: in-rack copper cable cartridge / backplane (scale-up spine)
    TWISTED_PAIR = 8  #: Cat6/Cat6A twisted pair (BASE-T)


class Transceiver(IntEnum):
    """Optical interface family of a pluggable transceiver at one link end.

    Two ends interoperate when they are of the same family (an 800G twin-port
    DR8 on a switch talks to a 400G DR4 on a NIC: both are ``DR``); the lane
    rate is checked by the speed/lane check, not here.
    """

    NONE = 0  #: no pluggable transceiver (copper, AOC, backplane)
    SR = 1  #: short reach, multimode, 850 nm (SR4 / SR8)
    DR = 2  #: parallel single-mode, 1310 nm (DR4 / DR8)
    FR = 3  #: duplex single-mode CWDM, 2 km class (FR4 / 2xFR4)
    LR = 4  #: duplex single-mode CWDM, 10 km class (LR4)


class Fiber(IntEnum):
    """Fibre kind needed by a transceiver or carried by a media."""

    NONE = 0
    MULTIMODE = 1
    SINGLE_MODE = 2


#: ``MEDIA_USES_TRANSCEIVERS[media]`` is True when the media is a passive fibre
#: that needs a pluggable transceiver at both ends.
MEDIA_USES_TRANSCEIVERS = np.zeros(len(Media), dtype=bool)
MEDIA_USES_TRANSCEIVERS[[Media.FIBER_MM, Media.FIBER_SM]] = True

#: ``MEDIA_FIBER[media]``: fibre kind carried by the media (``Fiber`` code).
MEDIA_FIBER = np.zeros(len(Media), dtype=np.int8)
MEDIA_FIBER[Media.FIBER_MM] = Fiber.MULTIMODE
MEDIA_FIBER[Media.FIBER_SM] = Fiber.SINGLE_MODE

#: ``TRANSCEIVER_FIBER[code]``: fibre kind the transceiver family needs.
TRANSCEIVER_FIBER = np.zeros(len(Transceiver), dtype=np.int8)
TRANSCEIVER_FIBER[Transceiver.SR] = Fiber.MULTIMODE
TRANSCEIVER_FIBER[[Transceiver.DR, Transceiver.FR, Transceiver.LR]] = Fiber.SINGLE_MODE

#: ``TRANSCEIVER_REACH_M[code]``: default reach of a transceiver family [m];
#: ``inf`` for ``NONE`` (no optical limit).
#: Sources: NVIDIA LinkX 800G twin-port SR8 (MMA4Z00-NS) 50 m and DR8
#: (MMS4X00-NS) 100 m; 2xFR4 (MMS4X50-NM) 2 km (docs.nvidia.com/networking);
#: LR4 10 km per IEEE 802.3 clause 88 (100GBASE-LR4).
TRANSCEIVER_REACH_M = np.array([np.inf, 50.0, 100.0, 2_000.0, 10_000.0])


def default_media_reach_m(media, lane_rate_bps):
    """Default maximum reach of a cable media at a given lane rate.

    A lookup, not a physical model: reach of passive copper falls with the lane
    rate (skin effect and dielectric loss grow with the Nyquist frequency), so
    the table is indexed by the electrical lane rate ``speed / lanes``.

    ===============  =========================  ========  =====================================
    media            lane rate                  reach     source
    ===============  =========================  ========  =====================================
    DAC              <= 25 Gb/s (NRZ)           5 m       vendor tables (100G DAC up to 5 m)
    DAC              <= 50 Gb/s (PAM4)          3 m       vendor tables (400G DAC up to 3 m)
    DAC              <= 100 Gb/s (PAM4)         3 m       NVIDIA LinkX copper overview (<= 3 m)
    ACC (LACC)       <= 100 Gb/s                5 m       NVIDIA LinkX copper overview (3-5 m)
    AEC              <= 100 Gb/s                7 m       vendor tables (AEC 2-7 m)
    AOC              any                        30 m      vendor tables (AOC 2-30 m)
    TWISTED_PAIR     <= 10 Gb/s                 100 m     IEEE 802.3 clauses 40/55 (BASE-T)
    fibre, other     any                        NaN       use the transceiver reach instead
    ===============  =========================  ========  =====================================

    Parameters
    ----------
    media : array_like of int
        ``Media`` codes.
    lane_rate_bps : array_like of float
        Electrical lane rate ``speed / lanes`` [bit/s].

    Returns
    -------
    numpy.ndarray of float
        Reach [m]; ``NaN`` where the table has no figure (fibre media, copper
        above 100 Gb/s per lane, backplanes). Reach checks skip ``NaN``.

    References
    ----------
    NVIDIA, "Copper DAC and LACC Cables Overview", LinkX documentation.
    IEEE Std 802.3-2022, clauses 40 and 55.
    """
    media = np.asarray(media)
    rate = np.asarray(lane_rate_bps, dtype=np.float64)
    media, rate = np.broadcast_arrays(media, rate)
    out = np.full(media.shape, np.nan)
    dac = media == Media.DAC
    out[dac & (rate <= 25e9 * 1.0001)] = 5.0
    out[dac & (rate > 25e9 * 1.0001) & (rate <= 100e9 * 1.0001)] = 3.0
    out[(media == Media.ACC) & (rate <= 100e9 * 1.0001)] = 5.0
    out[(media == Media.AEC) & (rate <= 100e9 * 1.0001)] = 7.0
    out[media == Media.AOC] = 30.0
    out[(media == Media.TWISTED_PAIR) & (rate <= 10e9 * 1.0001)] = 100.0
    return out
