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
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rackforge.lowering.network_patterns import GlobalSpace, LocalSpace, expand_pattern
from rackforge.model.findings import Hit
from rackforge.topology import checks as tchecks
from rackforge.topology import geometry as tgeo
from rackforge.topology.codes import FormFactor, Media, Role, Transceiver
from rackforge.topology.tables import LinkTable, PortTable

if TYPE_CHECKING:  # pragma: no cover
    from rackforge.lowering.network_result import NetworkResult

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
            # instances of one definition in a run (rows of one template): their ports and devices are one
            # block, written through a (instances x ports) view instead of a gather of every position
            run = int(inst[-1]) - int(inst[0]) + 1 == inst.size
            if dn.n_ports:
                shape = (inst.size, dn.n_ports)
                if run:
                    p0 = int(self.port_base[inst[0]])
                    blk = slice(p0, p0 + inst.size * dn.n_ports)
                    self.p_device[blk].reshape(shape)[:] = self.dev_base[inst][:, None] + dn.device[None, :]
                else:
                    pos = (self.port_base[inst][:, None] + np.arange(dn.n_ports)[None, :]).ravel()
                    self.p_device[pos] = (self.dev_base[inst][:, None] + dn.device[None, :]).ravel()
                for name, arr in (("role", dn.role), ("ff", dn.ff), ("speed", dn.speed), ("lanes", dn.lanes),
                                  ("face", dn.face), ("z", dn.z), ("rank", dn.rank)):
                    if run:
                        cols[name][blk].reshape(shape)[:] = arr[None, :]
                    else:
                        cols[name][pos] = np.tile(arr, inst.size)
            if dn.n_dev:
                if run:
                    d0 = int(self.dev_base[inst[0]])
                    dblk = slice(d0, d0 + inst.size * dn.n_dev)
                    self.device_rack[dblk].reshape(inst.size, dn.n_dev)[:] = inst[:, None]
                    self.dev_kind[dblk].reshape(inst.size, dn.n_dev)[:] = dn.dev_kind[None, :]
                else:
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
        #: links laid by the rack definitions (tiled per instance) come first in the link table, then the
        #: design-level ones (links, patterns, hall fabric)
        self.n_def_links = int(sum(x.size for x in self._a))
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


def analyze(ctx) -> "NetworkResult":
    """Lower the design's network (``ctx.network``): the result object of :mod:`rackforge.lowering.network_result`
    over this module's :class:`NetworkModel`."""
    from rackforge.lowering.network_result import NetworkResult

    return NetworkResult(ctx)
