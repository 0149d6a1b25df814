"""Small hand-checkable fabrics shared by the topology tests."""
from __future__ import annotations

import numpy as np

from rackforge.topology.codes import FormFactor, Media, Role
from rackforge.topology.tables import LinkTable, PortTable


def ports_of(spec):
    """PortTable from rows (device, role, form_factor, speed_bps, lanes[, face, ru])."""
    cols = list(zip(*spec))
    face = cols[5] if len(cols) > 5 else None
    ru = cols[6] if len(cols) > 6 else None
    return PortTable(cols[0], cols[1], cols[2], cols[3], cols[4], face, ru)


def clos(hosts_per_leaf, n_leaves, n_spines, uplinks_per_spine=1, speed=100e9):
    """Two-tier fabric built port by port: hosts first, then leaves, then spines.

    Host h has one port to leaf h // hosts_per_leaf; leaf l has
    ``uplinks_per_spine`` links to every spine. Returns (ports, links, hosts,
    leaves, spines, tier).
    """
    n_hosts = hosts_per_leaf * n_leaves
    hosts = np.arange(n_hosts)
    leaves = n_hosts + np.arange(n_leaves)
    spines = n_hosts + n_leaves + np.arange(n_spines)
    rows, pa, pb = [], [], []

    def port(dev):
        rows.append((dev, Role.SCALE_OUT, FormFactor.OSFP, speed, 4))
        return len(rows) - 1

    for h in hosts:
        pa.append(port(h))
        pb.append(port(leaves[h // hosts_per_leaf]))
    for leaf in leaves:
        for s in spines:
            for _ in range(uplinks_per_spine):
                pa.append(port(leaf))
                pb.append(port(s))
    ports = ports_of(rows)
    links = LinkTable(pa, pb, media=np.full(len(pa), Media.AOC), speed_bps=np.full(len(pa), speed))
    tier = np.r_[np.zeros(n_hosts), np.ones(n_leaves), np.full(n_spines, 2)].astype(int)
    return ports, links, hosts, leaves, spines, tier
