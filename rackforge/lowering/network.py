"""Network lowering: a resolved design into the topology layer's port and link tables, and the figures the
RF4xx rules and ``rackforge analyze`` read.

Devices and ports
-----------------
Every mount whose part has port groups is a *device*; its ports are the catalog's port groups (``nvl0`` ..
``nvl71``, ``cx0`` ..), one row each. Two kinds of mount are split further, so that the scale-up fabric is a graph
of accelerator packages and switch chips rather than of trays:

* a compute tray with ``accelerators`` gets one device per package; its ``scale_up`` ports are shared out in
  equal consecutive blocks (GB200 tray: 72 NVLink ports, 4 packages, ports 0-17 on package 0, ...). Its other
  ports stay on the tray device, which is the scale-out *node*.
* a switch (tray) with ``scale_up`` ports and ``asics`` > 1 gets one device per chip, ports shared out the same
  way (NVLink switch tray: 144 ports, 2 chips of 72).

A package whose catalog entry says ``scale_up_switch: internal`` (DGX/HGX H100: NVSwitch on the baseboard) has no
scale-up ports; its domain is its tray, its link count and bandwidth are the catalog's per-package figures.

Speeds are one direction (a 400G port is 400e9 bit/s each way). NVIDIA quotes scale-up bandwidth bidirectional
(NVL72: 18 x 400 Gb/s = 7.2 Tb/s each way = "1.8 TB/s"), so scale-up figures are reported both ways and compared
with the generation's ``scale_up.bandwidth_per_accelerator`` as bidirectional; scale-out figures (400 Gb/s per
GPU) are one direction, as InfiniBand and Ethernet quote them.

Lowering once, replicating with offsets
---------------------------------------
Each rack definition (a template, or an inline rack) is lowered once: its ports, its explicit links and its
rack-level patterns, in rack-local port ids. Instance ``k`` of a definition occupies the global port ids
``port_base[k] + local`` and device ids ``dev_base[k] + local``; the global tables are the local ones tiled with
those offsets (numpy, no Python loop per link). Design-level links and patterns (``RACK/MOUNT`` selectors, globs
allowed) are then expanded on the global tables. Patterns take free ports in port order, in declaration order,
after the explicit links of their level; every expansion is deterministic.

Geometry
--------
Rack ``index`` along its row at ``site.rack_pitch`` (default: the widest frame), rows (sorted by name) at
``site.row_pitch`` (default: the deepest frame + a 1.2 m aisle, ANSI/TIA-942-B's minimum aisle width); a port's
height is the middle of its mount's slots (frame slot pitch), 0U mounts half-way up; a port group's face is
flipped when the mount faces the rear. Routes follow :func:`rackforge.topology.geometry.route_length_m`: inside a
rack along the vertical cable management (plus the frame depth when the faces differ), between racks up to the
tray (``site.cable_tray``, ``site.cable_tray_height``, default 300 mm above the tallest frame or 300 mm below the
floor), Manhattan along and across rows, and down, with ``site.cable_slack`` (default 0.5 m) at each end.
"""
from __future__ import annotations

import fnmatch
import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rackforge.lowering.network_patterns import GlobalSpace, LocalSpace, expand_pattern
from rackforge.model.findings import Hit
from rackforge.topology import checks as tchecks
from rackforge.topology import geometry as tgeo
from rackforge.topology import graph as tgraph
from rackforge.topology.codes import FormFactor, Media, Role, Transceiver
from rackforge.topology.tables import LinkTable, PortTable

ROLE = {"scale_up": Role.SCALE_UP, "scale_out": Role.SCALE_OUT, "front_end": Role.FRONT_END,
        "management": Role.MANAGEMENT, "storage": Role.STORAGE}
ROLE_NAME = {int(v): k for k, v in ROLE.items()}
MEDIA = {"dac": Media.DAC, "acc": Media.ACC, "aec": Media.AEC, "aoc": Media.AOC, "fiber_sm": Media.FIBER_SM,
         "fiber_mm": Media.FIBER_MM, "copper_utp": Media.TWISTED_PAIR, "backplane": Media.BACKPLANE}
MEDIA_NAME = {int(Media.NONE): "unknown", **{int(v): k for k, v in MEDIA.items()}}
SWITCH_KINDS = {"switch", "switch_tray"}
AISLE_M = 1.2          # ANSI/TIA-942-B: minimum aisle width 1.2 m (4 ft)
TRAY_CLEARANCE_M = 0.3  # default tray height above the tallest frame / below the floor
SLACK_M = 0.5          # default service slack per end of an inter-rack cable
LENGTH_BINS_M = (1.0, 3.0, 10.0, 30.0, 100.0)
#: Generation figures are rounded published numbers ("13.4 TB", "1.8 TB/s"): a design meets a requirement when it
#: is within 0.5 % below it (half a unit in the third significant figure).
REL_TOL = 0.005


def meets(value: float, required: float) -> bool:
    """``value >= required`` up to the rounding of published figures (:data:`REL_TOL`)."""
    return value >= required * (1.0 - REL_TOL)


# ---------------------------------------------------------------------------------------------------------------
# catalog strings -> codes

_FF_FIXED = [("RJ45", FormFactor.RJ45), ("OSFP-XD", FormFactor.OSFP_XD), ("OSFPXD", FormFactor.OSFP_XD),
             ("OSFP", FormFactor.OSFP), ("QSFP-DD", FormFactor.QSFP_DD), ("QSFPDD", FormFactor.QSFP_DD),
             ("QSFP", FormFactor.QSFP), ("SFP-DD", FormFactor.SFP_DD), ("SFPDD", FormFactor.SFP_DD),
             ("SFP", FormFactor.SFP)]


class FormFactors:
    """Catalog form-factor strings to :class:`FormFactor` codes; unknown strings get their own codes from 64 up,
    so two different unknown strings still mismatch."""

    def __init__(self) -> None:
        self.extra: dict[str, int] = {}

    def code(self, name: str | None) -> int:
        if not name:
            return int(FormFactor.NONE)
        n = name.upper().replace("_", "-").replace(" ", "")
        for prefix, c in _FF_FIXED:
            if n.startswith(prefix):
                return int(c)
        if n.endswith("-BP") or "BACKPLANE" in n:
            return int(FormFactor.BACKPLANE)
        if n not in self.extra:
            self.extra[n] = min(64 + len(self.extra), 127)
        return self.extra[n]


def transceiver_code(part) -> int:
    """Optical family of a transceiver part from its ``standard`` (SR8, DR4, 2xFR4, LR4); by fibre otherwise."""
    std = (getattr(part, "standard", "") or "").upper()
    for key, c in (("SR", Transceiver.SR), ("DR", Transceiver.DR), ("FR", Transceiver.FR), ("LR", Transceiver.LR),
                   ("ER", Transceiver.LR), ("ZR", Transceiver.LR)):
        if key in std:
            return int(c)
    return int(Transceiver.SR if getattr(part, "fiber", "sm") == "mm" else Transceiver.DR)


# ---------------------------------------------------------------------------------------------------------------
# link sources: one per explicit link or pattern; per-link attributes come from the source


@dataclass
class Source:
    ptr: str
    what: str                      # "link" or the pattern type
    media: int = 0
    length_m: float = math.nan
    reach_m: float = math.nan
    cable_speed_bps: float = math.nan   # per leg
    cable_lanes: int = 0                # per leg, 0 when not judged (fibre: the transceivers carry the lanes)
    fanout: int = 1
    conn_a: int = 0
    conn_b: int = 0
    xa: int = 0
    xb: int = 0
    xspeed_a: float = math.nan
    xspeed_b: float = math.nan
    cable: str = ""
    transceivers: tuple = ()
    length_override: Any = None


def make_source(ptr: str, what: str, item, catalog, ffs: FormFactors) -> Source:
    s = Source(ptr, what, cable=item.cable, transceivers=tuple(item.transceivers),
               length_override=getattr(item, "length", None))
    cab = catalog.get(item.cable)
    if cab is not None and cab.kind == "cable":
        s.media = int(MEDIA.get(cab.media, Media.NONE))
        s.fanout = int(cab.breakout)
        s.length_m = float(cab.length)
        s.reach_m = float(cab.max_reach)
        s.cable_speed_bps = float(cab.speed) / s.fanout
        fibre = cab.media in ("fiber_sm", "fiber_mm")
        s.cable_lanes = 0 if fibre or cab.lanes % s.fanout else cab.lanes // s.fanout
        if not fibre:
            s.conn_a = s.conn_b = ffs.code(cab.form_factor)
    if s.length_override is not None:
        s.length_m = float(s.length_override)
    xs = [catalog.get(pn) for pn in item.transceivers]
    if len(xs) == 1:
        xs = xs * 2
    for end, x in zip("ab", xs):
        if x is None or x.kind != "transceiver":
            continue
        setattr(s, f"x{end}", transceiver_code(x))
        setattr(s, f"xspeed_{end}", float(x.speed) / max(int(getattr(x, "channels", 1) or 1), 1))
        setattr(s, f"conn_{end}", ffs.code(x.form_factor))
        s.reach_m = float(x.reach) if math.isnan(s.reach_m) else min(s.reach_m, float(x.reach))
    return s


# ---------------------------------------------------------------------------------------------------------------
# one rack definition, lowered once


class DefNet:
    """Ports, devices and rack-level links of one rack definition, in rack-local ids."""

    def __init__(self, rdef, catalog, ffs: FormFactors) -> None:
        self.rdef = rdef
        frame = rdef.frame
        self.pitch = float(frame.slot) if frame is not None else tgeo.RACK_UNIT_M
        slots = frame.slots if frame is not None else 48
        cols: dict[str, list] = {k: [] for k in ("device", "role", "ff", "speed", "lanes", "face", "z", "rank")}
        dev_mount: list[int] = []
        dev_kind: list[int] = []      # 0 device of a mount, 1 accelerator package, 2 scale-up switch chip
        dev_sub: list[int] = []
        self.mount_main = np.full(len(rdef.mounts), -1, np.int64)
        self.mount_acc: list[list[int]] = [[] for _ in rdef.mounts]
        self.mount_chip: list[list[int]] = [[] for _ in rdef.mounts]
        self.mount_groups: list[dict[str, tuple[int, int]]] = [{} for _ in rdef.mounts]
        n_ports = 0

        def new_dev(m, kind, sub):
            dev_mount.append(m)
            dev_kind.append(kind)
            dev_sub.append(sub)
            return len(dev_mount) - 1

        for mi_idx, mi in enumerate(rdef.mounts):
            part = mi.part
            groups = list(getattr(part, "ports", None) or []) if part is not None else []
            acc = getattr(part, "accelerators", None) if part is not None else None
            if not groups and acc is None:
                continue
            main = new_dev(mi_idx, 0, 0)
            self.mount_main[mi_idx] = main
            if acc is not None:
                self.mount_acc[mi_idx] = [new_dev(mi_idx, 1, k) for k in range(acc.packages)]
            su_counts = [g.count for g in groups if g.role == "scale_up"]
            if part.kind in SWITCH_KINDS and su_counts:
                n = max(int(getattr(part, "asics", 1) or 1), 1)
                if any(c % n for c in su_counts):
                    n = 1
                self.mount_chip[mi_idx] = [new_dev(mi_idx, 2, k) for k in range(n)]
            if mi.lo is not None and part is not None and hasattr(part, "height"):
                nsl = max(mi.hi - mi.lo + 1, 1)
                z = (mi.lo - 1 + nsl / 2.0) * self.pitch
            else:
                z = slots * self.pitch / 2.0
            flip = mi.m.face == "rear"
            rank_of_role: dict[str, int] = {}
            for g in groups:
                j = np.arange(g.count, dtype=np.int64)
                if g.role == "scale_up" and self.mount_acc[mi_idx]:
                    subs = np.asarray(self.mount_acc[mi_idx])
                    dev = subs[j * len(subs) // g.count]
                elif g.role == "scale_up" and self.mount_chip[mi_idx]:
                    subs = np.asarray(self.mount_chip[mi_idx])
                    dev = subs[j * len(subs) // g.count]
                else:
                    dev = np.full(g.count, main)
                face = (1 if g.face == "rear" else 0) ^ (1 if flip else 0)
                r0 = rank_of_role.get(g.role, 0)
                rank_of_role[g.role] = r0 + g.count
                cols["device"].append(dev)
                cols["role"].append(np.full(g.count, ROLE[g.role], np.int8))
                cols["ff"].append(np.full(g.count, ffs.code(g.form_factor), np.int8))
                cols["speed"].append(np.full(g.count, float(g.speed)))
                cols["lanes"].append(np.full(g.count, g.lanes, np.int32))
                cols["face"].append(np.full(g.count, face, np.int8))
                cols["z"].append(np.full(g.count, z))
                cols["rank"].append(r0 + j)
                self.mount_groups[mi_idx].setdefault(g.name, (n_ports, g.count))
                n_ports += g.count

        def cat(k, dt):
            return np.concatenate(cols[k]).astype(dt) if cols[k] else np.zeros(0, dt)

        self.n_ports = n_ports
        self.n_dev = len(dev_mount)
        self.device = cat("device", np.int64)
        self.role = cat("role", np.int8)
        self.ff = cat("ff", np.int8)
        self.speed = cat("speed", np.float64)
        self.lanes = cat("lanes", np.int32)
        self.face = cat("face", np.int8)
        self.z = cat("z", np.float64)
        self.rank = cat("rank", np.int64)   # index of the port among its device's ports of the same role
        self.dev_mount = np.asarray(dev_mount, np.int64)
        self.dev_kind = np.asarray(dev_kind, np.int8)
        self.dev_sub = np.asarray(dev_sub, np.int64)
        # ports of each (device, role), in port order
        self.dev_ports: dict[tuple[int, int], np.ndarray] = {}
        if n_ports:
            order = np.lexsort((np.arange(n_ports), self.role, self.device))
            key = self.device[order] * 8 + self.role[order]
            cut = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            for s, e in zip(cut, np.r_[cut[1:], n_ports]):
                self.dev_ports[(int(self.device[order[s]]), int(self.role[order[s]]))] = order[s:e]
        self.links_a: list[np.ndarray] = []
        self.links_b: list[np.ndarray] = []
        self.links_src: list[np.ndarray] = []
        self.sources: list[Source] = []
        self.problems: list[Hit] = []
        self.device_rail: dict[int, int] = {}   # leaf device -> rail, from rail patterns

    def ports_of(self, dev: int, role: int) -> np.ndarray:
        return self.dev_ports.get((dev, int(role)), np.zeros(0, np.int64))

    def port_id(self, mount_id: str, port: str) -> int:
        """Local port id of ``MOUNT:PORT``, -1 when either does not exist."""
        mi = self.rdef.by_id.get(mount_id)
        if mi is None:
            return -1
        m = self.rdef.mounts.index(mi)
        for name, (base, count) in self.mount_groups[m].items():
            if port.startswith(name):
                tail = port[len(name):]
                if tail.isdigit() and int(tail) < count and (tail == "0" or not tail.startswith("0")):
                    return base + int(tail)
        return -1

    def port_names(self) -> list[str]:
        """``MOUNT:PORT`` of every local port, by port id."""
        out = [""] * self.n_ports
        for m, groups in enumerate(self.mount_groups):
            mid = self.rdef.mounts[m].id
            for name, (base, count) in groups.items():
                out[base:base + count] = [f"{mid}:{name}{j}" for j in range(count)]
        return out

    def port_name(self, p: int) -> str:
        m = int(self.dev_mount[self.device[p]])
        for name, (base, count) in self.mount_groups[m].items():
            if base <= p < base + count:
                return f"{self.rdef.mounts[m].id}:{name}{p - base}"
        return f"port{p}"

    def dev_name(self, d: int) -> str:
        m = int(self.dev_mount[d])
        mid = self.rdef.mounts[m].id
        kind = int(self.dev_kind[d])
        if kind == 1:
            return f"{mid} package {int(self.dev_sub[d])}"
        if kind == 2:
            return f"{mid} chip {int(self.dev_sub[d])}"
        return mid

    def select(self, sel: str) -> list[int]:
        return [i for i, mi in enumerate(self.rdef.mounts) if fnmatch.fnmatchcase(mi.id, sel)]


# ---------------------------------------------------------------------------------------------------------------
# the whole design


class NetworkModel:
    """The design's ports and links as topology tables, with the lowering's bookkeeping.

    Attributes read by rules: ``ports`` (:class:`PortTable`, global), ``links`` (:class:`LinkTable`), ``link_src``
    (source index per link), ``sources`` (:class:`Source` per explicit link or pattern), ``xa``/``xb``
    (transceiver codes per link), ``route_m``; device arrays ``device_rack``, ``is_acc``, ``is_chip``, ``is_node``.
    """

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        r = ctx.r
        cat = ctx.catalog
        self.ffs = FormFactors()
        self.racks = r.racks
        self.rack_index = {}
        for i, inst in enumerate(r.racks):
            self.rack_index.setdefault(inst.id, i)
        def_ix = {id(d): k for k, d in enumerate(r.defs)}
        self.defnets = [DefNet(d, cat, self.ffs) for d in r.defs]
        self.su_splits: list[tuple[str, int, list[int], int]] = []   # see Space.su_splits
        self.problems: list[Hit] = []
        self.sources: list[Source] = []
        self.failed: set[str] = set()
        for dn in self.defnets:
            self._lower_def(dn, cat)
        n_inst = len(r.racks)
        self.inst_def = np.array([def_ix[id(inst.rdef)] for inst in r.racks], np.int64)
        nd = np.array([dn.n_dev for dn in self.defnets], np.int64)
        npt = np.array([dn.n_ports for dn in self.defnets], np.int64)
        inst_nd = nd[self.inst_def] if n_inst else np.zeros(0, np.int64)
        inst_np = npt[self.inst_def] if n_inst else np.zeros(0, np.int64)
        self.dev_base = np.r_[0, np.cumsum(inst_nd)[:-1]].astype(np.int64) if n_inst else np.zeros(0, np.int64)
        self.port_base = np.r_[0, np.cumsum(inst_np)[:-1]].astype(np.int64) if n_inst else np.zeros(0, np.int64)
        self.n_dev = int(inst_nd.sum())
        self.n_ports = int(inst_np.sum())
        self._build_global()
        self._geometry_params()
        self._design_links(cat)
        self._geometry()

    # -- rack definitions -------------------------------------------------------------------------------------
    def _lower_def(self, dn: DefNet, cat) -> None:
        body = dn.rdef.body
        used = np.zeros(dn.n_ports, bool)
        src0 = len(self.sources)
        space = LocalSpace(dn, used, self.sources, self.problems)
        for i, ln in enumerate(body.links):
            self.sources.append(make_source(f"{dn.rdef.ptr}/links/{i}", "link", ln, cat, self.ffs))
            a = dn.port_id(*_split(ln.a)) if "/" not in ln.a else -1
            b = dn.port_id(*_split(ln.b)) if "/" not in ln.b else -1
            space.add([a], [b], len(self.sources) - 1)
        for i, pt in enumerate(body.patterns):
            ptr = f"{dn.rdef.ptr}/patterns/{i}"
            self.sources.append(make_source(ptr, pt.type, pt, cat, self.ffs))
            expand_pattern(space, pt, ptr, len(self.sources) - 1)
        dn.links_a, dn.links_b, dn.links_src = space.out_a, space.out_b, space.out_src
        dn.device_rail = space.device_rail
        dn.unjudged = space.unjudged
        self.failed |= space.failed
        dn.src_range = (src0, len(self.sources))

    def _build_global(self) -> None:
        n, nd = self.n_ports, self.n_dev
        self.p_device = np.empty(n, np.int64)
        cols = {k: np.empty(n, dt) for k, dt in (("role", np.int8), ("ff", np.int8), ("speed", np.float64),
                                                  ("lanes", np.int32), ("face", np.int8), ("z", np.float64),
                                                  ("rank", np.int64))}
        self.device_rack = np.empty(nd, np.int64)
        self.dev_kind = np.empty(nd, np.int8)
        a_parts, b_parts, s_parts = [], [], []
        self.device_rail = np.full(nd, -1, np.int64)
        self.unjudged = np.zeros(nd, bool)
        for k, dn in enumerate(self.defnets):
            inst = np.flatnonzero(self.inst_def == k)
            if inst.size == 0:
                continue
            if dn.n_ports:
                pos = (self.port_base[inst][:, None] + np.arange(dn.n_ports)[None, :]).ravel()
                self.p_device[pos] = (self.dev_base[inst][:, None] + dn.device[None, :]).ravel()
                for name, arr in (("role", dn.role), ("ff", dn.ff), ("speed", dn.speed), ("lanes", dn.lanes),
                                  ("face", dn.face), ("z", dn.z), ("rank", dn.rank)):
                    cols[name][pos] = np.tile(arr, inst.size)
            if dn.n_dev:
                dpos = (self.dev_base[inst][:, None] + np.arange(dn.n_dev)[None, :]).ravel()
                self.device_rack[dpos] = np.repeat(inst, dn.n_dev)
                self.dev_kind[dpos] = np.tile(dn.dev_kind, inst.size)
                for d, rail in dn.device_rail.items():
                    self.device_rail[self.dev_base[inst] + d] = rail
                for d in dn.unjudged:
                    self.unjudged[self.dev_base[inst] + d] = True
            if dn.links_a:
                la = np.concatenate(dn.links_a)
                lb = np.concatenate(dn.links_b)
                ls = np.concatenate(dn.links_src)
                pb = self.port_base[inst][:, None]
                a_parts.append(np.where(la[None, :] >= 0, pb + la[None, :], -1).ravel())
                b_parts.append(np.where(lb[None, :] >= 0, pb + lb[None, :], -1).ravel())
                s_parts.append(np.tile(ls, inst.size))
        self.pcols = cols
        self.used = np.zeros(n, bool)
        self._a, self._b, self._s = a_parts, b_parts, s_parts
        for a, b in zip(a_parts, b_parts):
            ok = (a >= 0) & (b >= 0)
            self.used[a[ok]] = True
            self.used[b[ok]] = True

    # -- design level -----------------------------------------------------------------------------------------
    def _design_links(self, cat) -> None:
        d = self.ctx.design
        space = GlobalSpace(self, self.used, self.sources, self.problems)
        for i, ln in enumerate(d.links):
            self.sources.append(make_source(f"/links/{i}", "link", ln, cat, self.ffs))
            space.add([self.global_port(ln.a)], [self.global_port(ln.b)], len(self.sources) - 1)
        self.n_design_links_src = len(self.sources)
        for i, pt in enumerate(d.patterns):
            ptr = f"/patterns/{i}"
            self.sources.append(make_source(ptr, pt.type, pt, cat, self.ffs))
            expand_pattern(space, pt, ptr, len(self.sources) - 1)
        from rackforge.lowering import hall_fabric

        hall_fabric.expand(self, space, cat, make_source)
        self.tier_hint, self.leaf_group = space.tier_hint, space.leaf_group
        self.su_splits = space.su_splits
        for dev, rail in space.device_rail.items():
            self.device_rail[dev] = rail
        self.unjudged[np.asarray(space.unjudged, np.int64)] = True
        self.failed |= space.failed
        a = np.concatenate(self._a + space.out_a) if (self._a or space.out_a) else np.zeros(0, np.int64)
        b = np.concatenate(self._b + space.out_b) if (self._b or space.out_b) else np.zeros(0, np.int64)
        s = np.concatenate(self._s + space.out_src) if (self._s or space.out_src) else np.zeros(0, np.int32)
        del self._a, self._b, self._s
        self.link_src = s.astype(np.int32)
        S = self.sources

        def per_src(attr, dt):
            return np.array([getattr(x, attr) for x in S], dtype=dt)[self.link_src] if S else np.zeros(0, dt)

        self.ports = PortTable(self.p_device, self.pcols["role"], self.pcols["ff"], self.pcols["speed"],
                               self.pcols["lanes"], self.pcols["face"], self.pcols["z"])
        self.port_rank = self.pcols["rank"]
        del self.pcols
        self.links = LinkTable(a, b, media=per_src("media", np.int8), length_m=per_src("length_m", np.float64),
                               reach_m=per_src("reach_m", np.float64), lanes=per_src("cable_lanes", np.int32),
                               fanout=per_src("fanout", np.int32), connector_a=per_src("conn_a", np.int8),
                               connector_b=per_src("conn_b", np.int8))
        self.xa = per_src("xa", np.int8)
        self.xb = per_src("xb", np.int8)
        self._xspeed = (per_src("xspeed_a", np.float64), per_src("xspeed_b", np.float64))
        self._cable_speed = per_src("cable_speed_bps", np.float64)
        self.valid = tchecks.valid_link_mask(self.links, self.ports.n)

    def global_port(self, ep: str) -> int:
        rack, _, rest = ep.rpartition("/")
        i = self.rack_index.get(rack) if rack else None
        if i is None:
            return -1
        p = self.defnets[int(self.inst_def[i])].port_id(*_split(rest))
        return int(self.port_base[i]) + p if p >= 0 else -1

    # -- geometry ---------------------------------------------------------------------------------------------
    def _geometry_params(self) -> None:
        site = self.ctx.design.site
        frames = [dn.rdef.frame for dn in self.defnets if dn.rdef.frame is not None]
        width = max((float(f.width) for f in frames), default=0.6)
        depth = max((float(f.depth) for f in frames), default=1.2)
        height = max((float(f.height) for f in frames), default=2.2)
        self.rack_pitch_m = float(site.rack_pitch) if site.rack_pitch is not None else width
        self.row_pitch_m = float(site.row_pitch) if site.row_pitch is not None else depth + AISLE_M
        self.rack_depth_m = depth
        if site.cable_tray == "underfloor":
            h = -(float(site.cable_tray_height) if site.cable_tray_height is not None else TRAY_CLEARANCE_M)
        else:
            h = float(site.cable_tray_height) if site.cable_tray_height is not None else height + TRAY_CLEARANCE_M
        self.tray_height_m = h
        self.slack_m = float(site.cable_slack) if site.cable_slack is not None else SLACK_M
        rows = sorted({inst.row for inst in self.racks})
        row_ix = {r: i for i, r in enumerate(rows)}
        self.rack_row = np.array([row_ix[inst.row] for inst in self.racks], np.int64)
        self.rack_slot = np.array([inst.index for inst in self.racks], np.int64)

    def _geometry(self) -> None:
        self.route_m = self._routes(self.ports, self.links)

    def _routes(self, ports: PortTable, links: LinkTable) -> np.ndarray:
        return tgeo.link_route_lengths(
            ports, links, self.device_rack, self.rack_row, self.rack_slot,
            rack_width_m=self.rack_pitch_m, row_pitch_m=self.row_pitch_m, rack_depth_m=self.rack_depth_m,
            tray_height_m=self.tray_height_m, unit_pitch_m=1.0, slack_per_end_m=self.slack_m)

    def route_of(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Route length [m] of links ``a``-``b`` (global port ids) before the link table exists."""
        c = self.pcols
        ports = PortTable(self.p_device, c["role"], c["ff"], c["speed"], c["lanes"], c["face"], c["z"])
        return self._routes(ports, LinkTable(a, b))

    # -- names ------------------------------------------------------------------------------------------------
    def inst_of_port(self, p: int) -> int:
        return int(np.searchsorted(self.port_base, p, side="right") - 1)

    def inst_of_dev(self, d) -> np.ndarray:
        return np.searchsorted(self.dev_base, d, side="right") - 1

    def port_name(self, p: int) -> str:
        if p < 0:
            return "?"
        i = self.inst_of_port(p)
        dn = self.defnets[int(self.inst_def[i])]
        return f"{self.racks[i].id}/{dn.port_name(p - int(self.port_base[i]))}"

    def port_names(self, ports) -> list[str]:
        """``RACK/MOUNT:PORT`` of global ports (vectorised over the instances)."""
        ports = np.asarray(ports, np.int64)
        inst = np.searchsorted(self.port_base, ports, side="right") - 1
        local = ports - self.port_base[inst]
        cache: dict[int, list[str]] = {}
        out = []
        for i, p in zip(inst.tolist(), local.tolist()):
            k = int(self.inst_def[i])
            if k not in cache:
                cache[k] = self.defnets[k].port_names()
            out.append(f"{self.racks[i].id}/{cache[k][p]}")
        return out

    def dev_name(self, d: int) -> str:
        i = int(self.inst_of_dev(d))
        dn = self.defnets[int(self.inst_def[i])]
        return f"{self.racks[i].id}/{dn.dev_name(d - int(self.dev_base[i]))}"

    def dev_mount_ptr(self, devs: np.ndarray) -> list[str]:
        """JSON Pointer of the mount each device belongs to (in its template or inline rack)."""
        inst = self.inst_of_dev(devs)
        out = []
        for d, i in zip(np.asarray(devs).tolist(), inst.tolist()):
            dn = self.defnets[int(self.inst_def[i])]
            out.append(dn.rdef.mounts[int(dn.dev_mount[d - int(self.dev_base[i])])].ptr)
        return out

    def link_desc(self, row: int) -> str:
        return f"{self.port_name(int(self.links.port_a[row]))} -> {self.port_name(int(self.links.port_b[row]))}"


def _split(ep: str) -> tuple[str, str]:
    mount, _, port = ep.rpartition("/")[2].partition(":")
    return mount, port


# ---------------------------------------------------------------------------------------------------------------
# the analysis result


class NetworkResult:
    """What the RF4xx rules read (``ctx.network``) and what ``analyze`` prints (:meth:`to_json`).

    Heavy figures (scale-up reachability, bisection max-flow, single points of failure) are computed on first
    use, so a rule that is not selected, or a generation that does not ask, costs nothing.
    """

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.m = NetworkModel(ctx)

    @property
    def pattern_problems(self) -> list[Hit]:
        return self.m.problems

    # -- devices ----------------------------------------------------------------------------------------------
    @functools.cached_property
    def devices(self) -> dict:
        """Per-device facts: accelerator packages, switch chips, nodes (compute trays), managed devices."""
        m = self.m
        nd = m.n_dev
        is_acc = m.dev_kind == 1
        is_chip = m.dev_kind == 2
        is_node = np.zeros(nd, bool)
        is_switch = np.zeros(nd, bool)
        needs_mgmt = np.zeros(nd, bool)
        acc_mem = np.zeros(nd)
        acc_dies = np.zeros(nd, np.int64)
        acc_internal = np.zeros(nd, bool)
        acc_int_links = np.zeros(nd, np.int64)
        acc_int_bw = np.zeros(nd)
        packages = np.zeros(nd, np.int64)   # per node: packages it hosts
        for k, dn in enumerate(m.defnets):
            inst = np.flatnonzero(m.inst_def == k)
            if inst.size == 0 or dn.n_dev == 0:
                continue
            loc = np.zeros((12, dn.n_dev))
            for d in range(dn.n_dev):
                mi = dn.rdef.mounts[int(dn.dev_mount[d])]
                part = mi.part
                acc = getattr(part, "accelerators", None)
                kind = int(dn.dev_kind[d])
                groups = list(getattr(part, "ports", None) or [])
                if kind == 0:
                    if part.kind == "compute_tray" and acc is not None:
                        loc[0, d] = 1
                        loc[8, d] = acc.packages
                    if part.kind in SWITCH_KINDS:
                        loc[1, d] = 1
                    mgmt_sw = part.kind in SWITCH_KINDS and groups and all(g.role == "management" for g in groups)
                    if any(g.role == "management" for g in groups) and not mgmt_sw:
                        loc[2, d] = 1
                elif kind == 1:
                    loc[3, d] = float(acc.memory_per_package)
                    loc[4, d] = acc.dies_per_package
                    loc[5, d] = acc.scale_up_switch == "internal"
                    loc[6, d] = acc.scale_up_links_per_package
                    loc[7, d] = float(acc.scale_up_bandwidth_per_package)
            pos = (m.dev_base[inst][:, None] + np.arange(dn.n_dev)[None, :]).ravel()
            is_node[pos] = np.tile(loc[0] > 0, inst.size)
            is_switch[pos] = np.tile(loc[1] > 0, inst.size)
            needs_mgmt[pos] = np.tile(loc[2] > 0, inst.size)
            acc_mem[pos] = np.tile(loc[3], inst.size)
            acc_dies[pos] = np.tile(loc[4], inst.size).astype(np.int64)
            acc_internal[pos] = np.tile(loc[5] > 0, inst.size)
            acc_int_links[pos] = np.tile(loc[6], inst.size).astype(np.int64)
            acc_int_bw[pos] = np.tile(loc[7], inst.size)
            packages[pos] = np.tile(loc[8], inst.size).astype(np.int64)
        # the node (tray device) of each accelerator: the main device of its mount
        node_of = np.full(nd, -1, np.int64)
        for k, dn in enumerate(m.defnets):
            inst = np.flatnonzero(m.inst_def == k)
            if inst.size == 0 or dn.n_dev == 0:
                continue
            main = dn.mount_main[dn.dev_mount]
            pos = (m.dev_base[inst][:, None] + np.arange(dn.n_dev)[None, :]).ravel()
            node_of[pos] = (m.dev_base[inst][:, None] + main[None, :]).ravel()
        return dict(is_acc=is_acc, is_chip=is_chip, is_node=is_node, is_switch=is_switch, needs_mgmt=needs_mgmt,
                    acc_mem_bits=acc_mem, acc_dies=acc_dies, acc_internal=acc_internal,
                    acc_int_links=acc_int_links, acc_int_bw_bidir=acc_int_bw, packages=packages, node_of=node_of)

    # -- per-link checks --------------------------------------------------------------------------------------
    @functools.cached_property
    def link_checks(self) -> dict[str, np.ndarray]:
        m = self.m
        P, L = m.ports, m.links
        # reach: the cable's and the catalog transceivers' figures are folded into reach_m by the lowering, so
        # the family defaults of the topology layer are not applied on top of them
        out = tchecks.run_link_checks(P, L, m.route_m)
        out["missing_transceiver_links"] = tchecks.links_missing_transceivers(L, m.xa, m.xb)
        out["mismatched_transceiver_links"] = tchecks.links_with_mismatched_transceivers(L, m.xa, m.xb)
        ok = m.valid
        a = np.where(ok, L.port_a, 0)
        b = np.where(ok, L.port_b, 0)
        # a cable slower than the ports it joins; a transceiver of another speed than its port
        slow = ok & (m._cable_speed < P.speed_bps[b] * (1 - 1e-9))
        xs_a, xs_b = m._xspeed
        xbad = ok & ((~np.isnan(xs_a) & ~_close(xs_a, P.speed_bps[a])) |
                     (~np.isnan(xs_b) & ~_close(xs_b, P.speed_bps[b])))
        out["speed_mismatch_links"] = np.union1d(out["speed_mismatch_links"], np.flatnonzero(slow | xbad))
        out["reach_m"] = tchecks.effective_reach_m(L)
        return out

    # -- scale-up ---------------------------------------------------------------------------------------------
    @functools.cached_property
    def scale_up(self) -> dict:
        """Per accelerator package: domain, domain size, links, bandwidth (one way and both ways), reachability."""
        m, dv = self.m, self.devices
        acc = np.flatnonzero(dv["is_acc"])
        internal = dv["acc_internal"][acc]
        ext = acc[~internal]
        n = acc.size
        dom = np.full(n, -1, np.int64)
        size = np.zeros(n, np.int64)
        links = np.zeros(n, np.int64)
        bw1 = np.zeros(n)
        unreach = np.zeros(n, np.int64)
        if ext.size:
            rep = tgraph.scale_up_report(m.ports, m.links, ext, dv["is_chip"])
            e = ~internal
            dom[e] = rep["domain"]
            size[e] = rep["domain_size"]
            links[e] = rep["link_count"]
            bw1[e] = rep["bandwidth_bps"]
            unreach[e] = rep["unreachable_peers"]
            hops = self.ctx.req("scale_up.max_switch_hops")
            if hops == 0:  # only direct links count: no switch is a hop
                rep0 = tgraph.scale_up_report(m.ports, m.links, ext, np.zeros(m.n_dev, bool), domain=rep["domain"])
                unreach[e] = rep0["unreachable_peers"]
        if internal.any():
            i = np.flatnonzero(internal)
            node = dv["node_of"][acc[i]]
            base = int(dom.max()) + 1 if n else 0
            _, inv = np.unique(node, return_inverse=True)
            dom[i] = base + inv
            size[i] = np.bincount(inv)[inv]
            links[i] = dv["acc_int_links"][acc[i]]
            bw1[i] = dv["acc_int_bw_bidir"][acc[i]] / 2.0
        dom_ids, dinv = np.unique(dom, return_inverse=True) if n else (np.zeros(0, np.int64), np.zeros(0, np.int64))
        mem = np.bincount(dinv, weights=dv["acc_mem_bits"][acc], minlength=dom_ids.size) if n else np.zeros(0)
        judged = ~m.unjudged[acc]
        dom_judged = (np.bincount(dinv, weights=~judged, minlength=dom_ids.size) == 0) if n else np.zeros(0, bool)
        return dict(accelerator=acc, domain=dinv, domain_size=size, link_count=links, bandwidth_bps=bw1,
                    bandwidth_bidir_bps=2.0 * bw1, unreachable_peers=unreach, internal=internal,
                    domain_memory_bits=mem, domain_sizes=np.bincount(dinv) if n else np.zeros(0, np.int64),
                    dies=dv["acc_dies"][acc], judged=judged & dom_judged[dinv] if n else judged,
                    domain_judged=dom_judged)

    # -- scale-out --------------------------------------------------------------------------------------------
    @functools.cached_property
    def scale_out(self) -> dict:
        """Provisioned and cabled scale-out bandwidth per accelerator, tiers, rails, oversubscription."""
        m, dv = self.m, self.devices
        P, L = m.ports, m.links
        so_port = P.role == Role.SCALE_OUT
        nodes = np.flatnonzero(dv["is_node"])
        pk = dv["packages"][nodes].astype(np.float64)
        prov = np.bincount(P.device[so_port], weights=P.speed_bps[so_port], minlength=m.n_dev)[nodes]
        with np.errstate(divide="ignore", invalid="ignore"):
            prov_acc = np.where(pk > 0, prov / np.maximum(pk, 1), np.nan)
        role = tgraph.link_role(P, L)
        so_links = m.valid & (role == Role.SCALE_OUT)
        has_fabric = bool(so_links.any())
        out = dict(nodes=nodes, packages=pk, provisioned_per_acc_bps=prov_acc, has_fabric=has_fabric,
                   scale_out_links=int(so_links.sum()), judged=~m.unjudged[nodes],
                   fabric_judged=not ({"rail", "leaf_spine"} & m.failed))
        if not has_fabric:
            return out
        cab = tgraph.bandwidth_per_owner_bps(P, L, n_owners=m.n_dev)[nodes]
        with np.errstate(divide="ignore", invalid="ignore"):
            out["cabled_per_acc_bps"] = np.where(pk > 0, cab / np.maximum(pk, 1), np.nan)
        ends = np.concatenate([L.port_a[so_links], L.port_b[so_links]])
        cabled = np.zeros(P.n, bool)
        cabled[ends] = True
        node_port = so_port & dv["is_node"][P.device]
        out["uncabled_node_ports"] = np.flatnonzero(node_port & ~cabled)
        edges = tgraph.aggregate_device_links(P, L, roles=(Role.SCALE_OUT,), n_devices=m.n_dev)
        out["edges"] = edges
        # tiers: BFS from the nodes over the scale-out device graph (leaf 1, spine 2, ...)
        tier = np.full(m.n_dev, -1, np.int64)
        tier[nodes[np.isin(nodes, np.r_[edges.u, edges.v])]] = 0
        frontier = tier == 0
        level = 0
        while frontier.any():
            level += 1
            nxt = np.zeros(m.n_dev, bool)
            fu, fv = frontier[edges.u], frontier[edges.v]
            nxt[edges.v[fu]] = True
            nxt[edges.u[fv]] = True
            nxt &= tier < 0
            tier[nxt] = level
            frontier = nxt
        out["tier"] = tier
        out["n_tiers"] = int(tier.max())
        # rails: NIC i of a node (its i-th scale-out port) must land on a rail-i leaf
        port_rail = np.where(node_port, m.port_rank, -1)
        drail = m.device_rail.copy()
        leaf = np.flatnonzero((tier == 1) & (drail < 0))
        if leaf.size:  # leaves no rail pattern declared: their rail is the NIC index most of their nodes use
            a, b = L.port_a[so_links], L.port_b[so_links]
            for near, far in ((a, b), (b, a)):
                sel = (port_rail[near] >= 0) & (tier[P.device[far]] == 1) & (m.device_rail[P.device[far]] < 0)
                if sel.any():
                    k = P.device[far[sel]] * 64 + np.minimum(port_rail[near[sel]], 63)
                    uk, cnt = np.unique(k, return_counts=True)
                    order = np.lexsort((-cnt, uk // 64))
                    uk = uk[order]
                    first = np.r_[True, (uk[1:] // 64) != (uk[:-1] // 64)]
                    drail[uk[first] // 64] = uk[first] % 64
        out["port_rail"] = port_rail
        out["device_rail"] = drail
        out["rail_misaligned_links"] = tgraph.rail_misaligned_links(P, L, port_rail, drail)
        ov = tgraph.oversubscription(edges, tier, tier=1)
        out["oversubscription"] = ov
        return out

    @functools.cached_property
    def bisection(self) -> dict | None:
        """Max-flow between the first and second half of the cabled nodes in rack order (None without fabric)."""
        so = self.scale_out
        if not so["has_fabric"]:
            return None
        tier = so["tier"]
        nodes = so["nodes"][tier[so["nodes"]] == 0]
        a, b = tgraph.halves_by_order(nodes)
        bw = tgraph.bisection_bandwidth_bps(so["edges"], a, b)
        pk = self.devices["packages"]
        return dict(bandwidth_bps=bw, side_a=a, side_b=b, accelerators=int(pk[nodes].sum()),
                    partition="the first half of the cabled compute nodes in rack order (rows by name, racks by "
                              "index, mounts in file order) against the rest")

    @functools.cached_property
    def spof(self) -> dict | None:
        """Articulation points and bridges of the scale-out fabric (nodes and switches), None without fabric."""
        so = self.scale_out
        if not so["has_fabric"]:
            return None
        members = np.flatnonzero(so["tier"] >= 0)
        g = tgraph.device_graph(so["edges"], nodes=members)
        return tgraph.single_points_of_failure(g)

    @functools.cached_property
    def unmanaged(self) -> np.ndarray:
        dv = self.devices
        return tchecks_devices_without_management(self.m, np.flatnonzero(dv["needs_mgmt"] & ~self.m.unjudged))

    # -- output -----------------------------------------------------------------------------------------------
    def to_json(self) -> dict:
        m = self.m
        L = m.links
        ok = m.valid
        med = L.media[ok]
        role = tgraph.link_role(m.ports, L)[ok]
        length = L.length_m[ok]
        route = m.route_m[ok]
        edges = np.r_[-np.inf, LENGTH_BINS_M, np.inf]
        labels = [f"le_{LENGTH_BINS_M[0]:g}_m"] + [f"{lo:g}_to_{hi:g}_m" for lo, hi in
                                                   zip(LENGTH_BINS_M[:-1], LENGTH_BINS_M[1:])] + \
                 [f"gt_{LENGTH_BINS_M[-1]:g}_m"]
        known = ~np.isnan(length)
        hist = np.histogram(length[known], bins=edges)[0] if known.any() else np.zeros(len(labels), int)
        by_media = {MEDIA_NAME.get(int(k), str(k)): int(c) for k, c in zip(*np.unique(med, return_counts=True))}
        by_role = {ROLE_NAME.get(int(k), str(k)): int(c) for k, c in zip(*np.unique(role, return_counts=True))}
        su = self.scale_up
        so = self.scale_out
        out: dict[str, Any] = {
            "ports": int(m.ports.n),
            "ports_cabled": int(m.used.sum()),
            "links": int(ok.sum()),
            "links_by_media": by_media,
            "links_by_role": by_role,
            "links_by_cable_length": dict(zip(labels, (int(x) for x in hist))),
            "cable_length_m": _stats(length),
            "route_length_m": _stats(route),
            "cable_length_total_m": round(float(np.nansum(length)), 6),
            "geometry": {"rack_pitch_m": m.rack_pitch_m, "row_pitch_m": m.row_pitch_m,
                         "cable_tray_height_m": m.tray_height_m, "slack_per_end_m": m.slack_m},
            "pattern_problems": len(m.problems),
        }
        sizes = su["domain_sizes"]
        out["scale_up"] = {
            "accelerators": int(su["accelerator"].size),
            "domains": int(sizes.size),
            "domain_size_packages": {str(int(k)): int(c) for k, c in zip(*np.unique(sizes, return_counts=True))},
            "links_per_accelerator": _stats(su["link_count"].astype(float)),
            "bandwidth_per_accelerator_one_way_bps": _stats(su["bandwidth_bps"]),
            "bandwidth_per_accelerator_bidirectional_bps": _stats(su["bandwidth_bidir_bps"]),
            "memory_per_domain_bytes": _stats(su["domain_memory_bits"] / 8.0),
            "accelerators_not_single_switch_hop": int((su["unreachable_peers"] > 0).sum()),
        }
        sj: dict[str, Any] = {
            "nodes": int(so["nodes"].size),
            "provisioned_bandwidth_per_accelerator_bps": _stats(so["provisioned_per_acc_bps"]),
            "fabric": so["has_fabric"],
            "links": so["scale_out_links"],
        }
        if so["has_fabric"]:
            ov = so["oversubscription"]["oversubscription"]
            sj["cabled_bandwidth_per_accelerator_bps"] = _stats(so["cabled_per_acc_bps"])
            sj["uncabled_node_ports"] = int(so["uncabled_node_ports"].size)
            sj["tiers"] = so["n_tiers"]
            sj["leaves"] = int(ov.size)
            sj["leaf_oversubscription_ratio"] = _stats(ov[np.isfinite(ov)]) if np.isfinite(ov).any() else None
            sj["rail_misaligned_links"] = int(so["rail_misaligned_links"].size)
            bis = self.bisection
            sj["bisection_bandwidth_bps"] = bis["bandwidth_bps"]
            sj["bisection_bandwidth_per_accelerator_bps"] = (
                2.0 * bis["bandwidth_bps"] / bis["accelerators"] if bis["accelerators"] else None)
            sj["bisection_partition"] = bis["partition"]
            sp = self.spof
            sj["articulation_points"] = int(sp["articulation_points"].size)
            sj["bridges"] = int(sp["bridges"].shape[0])
        out["scale_out"] = sj
        hall = getattr(m, "hall", None)
        if hall:
            p = hall["plan"]
            out["hall_fabric"] = {
                "tiers": p.tiers, "scalable_units": p.sus, "rails": p.rails, "nodes": p.nodes,
                "leaves_per_rail_per_su": p.leaves_per_rail_per_su, "nodes_per_leaf": p.nodes_per_leaf,
                "uplinks_per_leaf": p.uplinks_per_leaf, "leaves": p.leaves, "spines": p.spines,
                "spines_per_pod": p.spines_per_pod if p.tiers == 3 else None, "cores": p.cores,
                "links_by_stage": hall["links_by_stage"],
                "links_by_media_option": {str(k): v for k, v in hall["links_by_option"].items()},
                "links_beyond_media": int(hall["unreached"].size),
                "bandwidth_left_after_failure": {k: round(float(v), 6) for k, v in hall["failure"].items()
                                                 if k != "isolated_nodes_spine_group"},
                "nodes_cut_off_by_one_spine_group": int(hall["failure"]["isolated_nodes_spine_group"]),
                "switch_racks": {t: len(v) for t, v in hall["layout"].tier_racks.items()},
            }
        out["management"] = {"devices": int(self.devices["needs_mgmt"].sum()), "unmanaged": int(self.unmanaged.size)}
        return out


def tchecks_devices_without_management(m: NetworkModel, devices: np.ndarray) -> np.ndarray:
    if devices.size == 0 or m.ports.n == 0:
        return devices
    return tgraph.devices_without_management(m.ports, m.links, devices)


def _close(x, y):
    return np.abs(x - y) <= 1e-9 * np.maximum(np.abs(x), np.abs(y))


def _stats(x: np.ndarray) -> dict | None:
    x = np.asarray(x, dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return None
    return {"min": float(x.min()), "mean": round(float(x.mean()), 9), "max": float(x.max())}


def analyze(ctx) -> NetworkResult:
    """Lower the design's network (``ctx.network``)."""
    return NetworkResult(ctx)
