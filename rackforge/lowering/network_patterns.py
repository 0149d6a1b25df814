"""Fabric patterns expanded on a *space*: one rack definition (local device and port ids) or the whole design
(global ids). Each pattern (``scale_up``, ``rail``, ``leaf_spine``, ``management``) selects mounts, checks that
they have the ports it needs (a problem is an RF005 hit at the pattern's pointer) and lays its links through the
pure generators of :mod:`rackforge.topology.patterns`. :mod:`rackforge.lowering.network` builds the spaces and
collects what they laid.
"""
from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rackforge.model.findings import Hit
from rackforge.topology import patterns as tpat
from rackforge.topology.codes import Role

if TYPE_CHECKING:  # pragma: no cover
    from rackforge.lowering.network import DefNet, NetworkModel, Source


@dataclass
class Item:
    """A selected mount: its rack instance (-1 in a rack definition), definition and mount index."""

    inst: int
    dn: DefNet
    mount: int
    dev_base: int = 0
    port_base: int = 0
    name: str = ""


class Space:
    """Where a pattern expands: one rack definition (local ids) or the whole design (global ids)."""

    def __init__(self, used: np.ndarray, sources: list[Source], problems: list[Hit]) -> None:
        self.used = used
        self.sources = sources
        self.problems = problems
        self.out_a: list[np.ndarray] = []
        self.out_b: list[np.ndarray] = []
        self.out_src: list[np.ndarray] = []
        self.device_rail: dict[int, int] = {}
        self.tier_hint: dict[int, int] = {}    # scale-out switch -> 1 leaf, 2 spine, 3 core (as a pattern laid it)
        self.leaf_group: dict[int, int] = {}   # leaf -> rail group (leaves of one group serve the same nodes)
        # rail patterns over several racks whose scalable-unit boundary cuts through a rack:
        # (pattern pointer, rack instance, groups its nodes are cabled to, nodes per group)
        self.su_splits: list[tuple[str, int, list[int], int]] = []
        self.report_empty = True
        self.unjudged: list[int] = []   # devices a failed pattern should have cabled
        self.failed: set[str] = set()   # types of the patterns that failed

    def select(self, sel: str) -> list[Item]:  # pragma: no cover - overridden
        raise NotImplementedError

    # devices of an item: (global device id, DefNet, local device, port base)
    @staticmethod
    def devs(it: Item, kind: str) -> list[tuple[int, int]]:
        if kind == "main":
            d = int(it.dn.mount_main[it.mount])
            return [(it.dev_base + d, d)] if d >= 0 else []
        lst = it.dn.mount_acc[it.mount] if kind == "acc" else it.dn.mount_chip[it.mount]
        return [(it.dev_base + d, d) for d in lst]

    @staticmethod
    def ports(it: Item, local_dev: int, role: int) -> np.ndarray:
        return it.port_base + it.dn.ports_of(local_dev, role)

    def free(self, p: np.ndarray) -> np.ndarray:
        return p[~self.used[p]] if p.size else p

    def add(self, a, b, src: int) -> None:
        a = np.asarray(a, np.int64)
        b = np.asarray(b, np.int64)
        ok = (a >= 0) & (b >= 0)
        self.used[a[ok]] = True
        self.used[b[ok]] = True
        self.out_a.append(a)
        self.out_b.append(b)
        self.out_src.append(np.full(a.size, src, np.int32))

    def problem(self, ptr: str, msg: str, hint: str | None = None) -> None:
        self.problems.append(Hit(ptr, msg, hint))


def _padded(rows: list[np.ndarray], width: int | None = None) -> np.ndarray:
    w = max((r.size for r in rows), default=0) if width is None else width
    out = np.full((len(rows), w), -1, np.int64)
    for i, r in enumerate(rows):
        k = min(r.size, w)
        out[i, :k] = r[:k]
    return out


def expand_pattern(space: Space, pt, ptr: str, src: int) -> None:
    """Expand one pattern into links on ``space`` (records a problem instead when it cannot)."""
    sel_attrs = {"scale_up": ("accelerators", "switches"), "rail": ("nodes",), "leaf_spine": ("leaves", "spines"),
                 "management": ("devices", "switch")}[pt.type]
    chosen = {}
    for attr in sel_attrs:
        items = space.select(getattr(pt, attr))
        if not items:
            if space.report_empty:  # in a rack definition RF004 reports it
                space.problem(f"{ptr}/{attr}", f"{pt.type} pattern: selector {getattr(pt, attr)!r} matches no mount")
            _unjudge(space, pt, [it for a in sel_attrs for it in space.select(getattr(pt, a))])
            return
        chosen[attr] = items
    if pt.type == "rail":
        chosen["leaves"] = [it for sel in pt.leaves for it in space.select(sel)]
    everything = [it for items in chosen.values() for it in items]
    before = len(space.problems)
    if any(it.dn.rdef.mounts[it.mount].part is None for it in everything):
        pass  # an unknown part (RF002): nothing to expand on, and nothing to judge downstream
    elif pt.type == "scale_up":
        _scale_up(space, pt, ptr, src, chosen["accelerators"], chosen["switches"])
    elif pt.type == "rail":
        _rail(space, pt, ptr, src, chosen["nodes"])
    elif pt.type == "leaf_spine":
        _leaf_spine(space, pt, ptr, src, chosen["leaves"], chosen["spines"])
    else:
        _management(space, pt, ptr, src, chosen["devices"], chosen["switch"])
    if len(space.problems) > before or not space.out_src or space.out_src[-1].size == 0 or \
            int(space.out_src[-1][0]) != src:
        _unjudge(space, pt, everything)


def _unjudge(space, pt, items) -> None:
    """The pattern laid no links: the devices it should have cabled are not judged on what it would have made
    (its problem, or RF002 for an unknown part, is the finding)."""
    space.failed.add(pt.type)
    for it in items:
        for kind in ("main", "acc", "chip"):
            space.unjudged.extend(d for d, _ in space.devs(it, kind))


def _scale_up(space, pt, ptr, src, accs, sws):
    acc_rows, sw_rows = [], []
    for it in accs:
        devs = space.devs(it, "acc")
        if not devs:
            space.problem(f"{ptr}/accelerators", f"scale_up pattern: mount {it.name!r} has no accelerators")
            return
        for _, d in devs:
            acc_rows.append(space.free(space.ports(it, d, Role.SCALE_UP)))
    for it in sws:
        devs = space.devs(it, "chip")
        if not devs:
            space.problem(f"{ptr}/switches", f"scale_up pattern: mount {it.name!r} has no scale_up ports")
            return
        for _, d in devs:
            sw_rows.append(space.free(space.ports(it, d, Role.SCALE_UP)))
    sizes = {r.size for r in acc_rows}
    if sizes == {0}:
        space.problem(f"{ptr}/accelerators", "scale_up pattern: the selected accelerators have no free scale_up "
                      "ports", "a package with an in-chassis switch (scale_up_switch: internal) needs no pattern")
        return
    if len(sizes) != 1:
        space.problem(f"{ptr}/accelerators", f"scale_up pattern: the accelerators have different numbers of free "
                      f"scale_up ports ({', '.join(map(str, sorted(sizes)))}); the pattern needs the same on each")
        return
    p = sizes.pop()
    q = min(r.size for r in sw_rows)
    need = math.ceil(len(acc_rows) * p / len(sw_rows))
    if need > q:
        space.problem(f"{ptr}/switches", f"scale_up pattern: {len(acc_rows)} accelerators x {p} ports spread over "
                      f"{len(sw_rows)} switch chips need {need} free ports per chip; the fullest-used chip has {q}",
                      "add switch trays or use switches with more ports")
        return
    a, b = tpat.scale_up_links(np.stack(acc_rows)[None], _padded(sw_rows, q)[None])
    space.add(a, b, src)


def _rail(space, pt, ptr, src, nodes):
    rails = len(pt.leaves)
    leaves = []
    for i, sel in enumerate(pt.leaves):
        items = space.select(sel)
        if not items:
            if space.report_empty:
                space.problem(f"{ptr}/leaves/{i}", f"rail pattern: selector {sel!r} matches no mount")
            return
        leaves.append(items)
    groups = len(leaves[0])
    if any(len(x) != groups for x in leaves):
        space.problem(f"{ptr}/leaves", "rail pattern: the leaf selectors match different numbers of switches "
                      f"({', '.join(str(len(x)) for x in leaves)}); each rail needs one leaf per group")
        return
    nic = np.full((len(nodes), rails), -1, np.int64)
    short = []
    node_dev = np.zeros(len(nodes), np.int64)
    for k, it in enumerate(nodes):
        devs = space.devs(it, "main")
        p = space.ports(it, devs[0][1], Role.SCALE_OUT) if devs else np.zeros(0, np.int64)
        node_dev[k] = devs[0][0] if devs else -1
        nic[k, :min(rails, p.size)] = p[:rails]
        if p.size < rails:
            short.append((it.name, p.size))
    if short:
        name, n = short[0]
        space.problem(f"{ptr}/nodes", f"rail pattern: {len(short)} node(s) have fewer scale-out ports than the "
                      f"{rails} rails, e.g. {name!r} has {n}", "one leaf selector per NIC port of a node")
        return
    per = pt.nodes_per_group or math.ceil(len(nodes) / groups)
    group = np.arange(len(nodes)) // per
    if group.max() >= groups:
        space.problem(f"{ptr}/leaves", f"rail pattern: {len(nodes)} nodes in groups of {per} need "
                      f"{int(group.max()) + 1} leaves per rail; the selectors match {groups}")
        return
    rows = []
    for g in range(groups):
        for i in range(rails):
            it = leaves[i][g]
            devs = space.devs(it, "main")
            p = space.free(space.ports(it, devs[0][1], Role.SCALE_OUT)) if devs else np.zeros(0, np.int64)
            rows.append(p)
            if devs:
                space.device_rail[devs[0][0]] = i
                space.tier_hint.setdefault(devs[0][0], 1)
                space.leaf_group[devs[0][0]] = src * 65536 + g
    d = min(r.size for r in rows)
    need = int(np.bincount(group).max())
    if need > d:
        space.problem(f"{ptr}/leaves", f"rail pattern: a group of {need} nodes needs {need} free scale-out ports "
                      f"on each of its leaves; the fullest leaf has {d}", "use bigger leaves or smaller groups")
        return
    insts = np.array([it.inst for it in nodes], np.int64)
    if groups > 1 and insts.size and insts.min() >= 0 and np.unique(insts).size > 1:
        # a scalable unit is a set of whole racks: a rack whose nodes go to two groups' leaves is cabled across
        for r in np.unique(insts):
            gs = np.unique(group[insts == r])
            if gs.size > 1:
                space.su_splits.append((ptr, int(r), [int(x) for x in gs], int(per)))
    leaf_ports = _padded(rows, d).reshape(groups, rails, d)
    a, b = tpat.rail_optimized_links(nic, group, leaf_ports)
    space.add(a, b, src)


def _leaf_spine(space, pt, ptr, src, leaves, spines):
    u = pt.uplinks_per_leaf
    up, down = [], []
    for it in leaves:
        devs = space.devs(it, "main")
        up.append(space.free(space.ports(it, devs[0][1], Role.SCALE_OUT)) if devs else np.zeros(0, np.int64))
    for it in spines:
        devs = space.devs(it, "main")
        down.append(space.free(space.ports(it, devs[0][1], Role.SCALE_OUT)) if devs else np.zeros(0, np.int64))
    have = min(r.size for r in up)
    if have < u:
        space.problem(f"{ptr}/uplinks_per_leaf", f"leaf_spine pattern: {u} uplinks per leaf, but a leaf has only "
                      f"{have} free scale-out ports")
        return
    q = min(r.size for r in down)
    need = math.ceil(len(up) * u / len(down))
    if need > q:
        space.problem(f"{ptr}/spines", f"leaf_spine pattern: {len(up)} leaves x {u} uplinks over {len(down)} spines "
                      f"need {need} free ports per spine; a spine has {q}", "add spines or use bigger ones")
        return
    a, b = tpat.leaf_spine_links(_padded(up, u), _padded(down, q), uplinks_per_leaf=u)
    space.add(a, b, src)
    for items, t in ((leaves, 1), (spines, 2)):
        for it in items:
            for d, _ in space.devs(it, "main"):
                space.tier_hint.setdefault(d, t)


def _management(space, pt, ptr, src, devices, switches):
    mg = np.full(len(devices), -1, np.int64)
    rack = np.zeros(len(devices), np.int64)
    missing = []
    for k, it in enumerate(devices):
        devs = space.devs(it, "main")
        p = space.free(space.ports(it, devs[0][1], Role.MANAGEMENT)) if devs else np.zeros(0, np.int64)
        if p.size:
            mg[k] = p[0]
        else:
            missing.append(it.name)
        rack[k] = it.inst
    if missing:
        space.problem(f"{ptr}/devices", f"management pattern: {len(missing)} selected mount(s) have no free "
                      f"management port, e.g. {missing[0]!r}", "narrow the selector to devices with a BMC port")
        return
    sw_rack = np.array([it.inst for it in switches])
    per_rack = set(rack.tolist()) <= set(sw_rack.tolist()) and len(set(sw_rack.tolist())) > 1
    racks = sorted(set(rack.tolist())) if per_rack else [None]
    rows = []
    for r in racks:
        ps = [space.free(space.ports(it, space.devs(it, "main")[0][1], Role.MANAGEMENT))
              for it in switches if (r is None or it.inst == r) and space.devs(it, "main")]
        rows.append(np.concatenate(ps) if ps else np.zeros(0, np.int64))
    t = min(r.size for r in rows)
    if per_rack:
        idx = {r: i for i, r in enumerate(racks)}
        grp = np.array([idx[r] for r in rack.tolist()], np.int64)
    else:
        grp = np.zeros(len(devices), np.int64)
    need = int(np.bincount(grp).max())
    if need > t:
        space.problem(f"{ptr}/switch", f"management pattern: {need} devices need {need} free management ports; "
                      f"the switch(es) have {t}", "add a management switch")
        return
    a, b = tpat.management_links(mg, grp, _padded(rows, t))
    space.add(a, b, src)


class LocalSpace(Space):
    def __init__(self, dn: DefNet, used, sources, problems) -> None:
        super().__init__(used, sources, problems)
        self.dn = dn
        self.report_empty = False

    def select(self, sel: str) -> list[Item]:
        return [Item(-1, self.dn, m, name=self.dn.rdef.mounts[m].id) for m in self.dn.select(sel)]


class GlobalSpace(Space):
    def __init__(self, net: "NetworkModel", used, sources, problems) -> None:
        super().__init__(used, sources, problems)
        self.net = net

    def select(self, sel: str) -> list[Item]:
        rack_glob, _, mount_glob = sel.rpartition("/")
        net = self.net
        if not rack_glob:
            rack_glob = "*"
        if any(c in rack_glob for c in "*?["):
            insts = [i for i, r in enumerate(net.racks) if fnmatch.fnmatchcase(r.id, rack_glob)]
        else:
            r = net.rack_index.get(rack_glob)
            insts = [] if r is None else [r]
        out = []
        cache: dict[int, list[int]] = {}
        for i in insts:
            d = int(net.inst_def[i])
            if d not in cache:
                cache[d] = net.defnets[d].select(mount_glob)
            dn = net.defnets[d]
            for m in cache[d]:
                out.append(Item(i, dn, m, int(net.dev_base[i]), int(net.port_base[i]),
                                f"{net.racks[i].id}/{dn.rdef.mounts[m].id}"))
        return out


