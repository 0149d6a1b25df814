"""A solved configuration written out as a design: placement in rack units, power wiring, cooling, patterns.

Placement (bottom up, slot 1 first):

* busbar racks: the lower segment's power shelves (feeds A, B in turn), the compute trays of the lower segment,
  the scale-up switch trays, the other compute trays, then the upper segment's shelves (on one busbar: the other
  half of the shelves) and the management switches. Shelves sit at the ends of the trays they feed, so the busbar
  carries current from both ends (one segment) or each segment's current stays in its half (two segments); the
  switch trays sit in the middle of their domain's compute trays, which keeps the scale-up cables short.
* PDU racks: each domain's servers around its switch trays, the heaviest parts lowest, management switches above;
  PDUs are 0U on the rear sides (A left, B right, C left, D right). Each server's PSUs go to its PDUs in turn,
  rotated from server to server so every feed carries the same number of PSUs (phase balance).

Everything is written in a fixed order from the solution alone, so the same solution gives the same bytes.
"""
from __future__ import annotations

import math
from typing import Any

from rackforge.model.resolved import mount_power, slots_for

BREAKERS_A = (16, 20, 32, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250, 1600,
              2000, 2500, 3200, 4000)
FEED_IDS = "ABCD"


def _q(x: float, unit: str) -> str:
    return f"{x:g} {unit}"


def breaker_for(current_a: float, derating: float, margin: float) -> int:
    need = current_a * margin / derating
    for b in BREAKERS_A:
        if b >= need:
            return b
    return BREAKERS_A[-1]


def build(sol, req, cand, cat, op: str, *, racks: int, name: str, breaker_margin: float = 1.1,
          catalogs: list[str] | None = None, waivers: list[dict] | None = None) -> dict[str, Any]:
    f = sol.frame
    pitch = float(f.slot)
    tray = sol.tray
    mounts: list[dict] = []
    u = 1

    def sl(part) -> int:
        return slots_for(float(part.height), pitch)

    ndom = sol.n_dom
    ct_ids = [[(f"ct{k + 1}-{i + 1:02d}" if ndom > 1 else f"ct{i + 1:02d}") for i in range(sol.per_dom)]
              for k in range(ndom)]
    st_ids = [[(f"st{k + 1}-{i + 1}" if ndom > 1 else f"st{i + 1}") for i in range(sol.st_per_dom)]
              for k in range(ndom)]
    mg_ids = [f"mg{i + 1}" for i in range(sol.n_mg)]
    top = [(f"mg{i + 1}", sol.mgmt) for i in range(sol.n_mg)]
    top += [(f"lf{i + 1}", sol.leaf) for i in range(sol.n_leaf)] + [(f"sp{i + 1}", sol.spine) for i in range(sol.n_spine)]
    p = sol.power
    feeds_n = 2 if p.kind == "busbar" else p.feeds
    feed_ids = list(FEED_IDS[:feeds_n])
    # the compute block, bottom up: per domain [lower trays][switch trays][upper trays]
    block: list[tuple[str, Any]] = []
    for k in range(ndom):
        lower = math.ceil(sol.per_dom / 2) if p.kind != "busbar" or p.segments == 1 else None
        if lower is None:
            # two segments: the lower segment's share of this domain's trays below the switches
            per_seg0 = sol.ct_per_segment[0]
            done = k * sol.per_dom
            lower = max(0, min(sol.per_dom, per_seg0 - done))
        ids = ct_ids[k]
        block += [(i, tray.part) for i in ids[:lower]]
        block += [(i, sol.switch) for i in st_ids[k]]
        block += [(i, tray.part) for i in ids[lower:]]
    if p.kind == "busbar":
        seg_names = ["bb"] if p.segments == 1 else ["bb-lo", "bb-hi"]
        shelves_total = [2 * n for n in sol.shelves_per_feed[:p.segments]]
        if p.segments == 1:
            bottom = 2 * math.ceil(sol.shelves_per_feed[0] / 2)
            groups = [(bottom, "bb"), (shelves_total[0] - bottom, "bb")]
        else:
            groups = [(shelves_total[0], "bb-lo"), (shelves_total[1], "bb-hi")]
        ps_n = 0
        shelf_over = None
        if sol.psus_per_shelf != (p.shelf.psus.count if p.shelf.psus else 0):
            shelf_over = {"part": p.psu.pn, "count": sol.psus_per_shelf}

        def shelves(n, bus):
            nonlocal u, ps_n
            for i in range(n):
                ps_n += 1
                m = {"id": f"ps{ps_n}", "part": p.shelf.pn, "u": u, "feed": feed_ids[i % 2]}
                if p.segments > 1:
                    m["busbar"] = bus
                if shelf_over:
                    m["psus"] = dict(shelf_over)
                mounts.append(m)
                u += sl(p.shelf)

        shelves(*groups[0])
        seg0_ct = sol.ct_per_segment[0]
        seen_ct = 0
        for mid, part in block:
            m = {"id": mid, "part": part.pn, "u": u}
            if p.segments > 1:
                if part is tray.part:
                    m["busbar"] = "bb-lo" if seen_ct < seg0_ct else "bb-hi"
                    seen_ct += 1
                else:
                    m["busbar"] = "bb-lo"
            mounts.append(m)
            u += sl(part)
        shelves(*groups[1])
        for mid, part in top:
            m = {"id": mid, "part": part.pn, "u": u}
            if p.segments > 1:
                m["busbar"] = "bb-hi"
            mounts.append(m)
            u += sl(part)
        busbars = [{"id": n, "part": p.busbar.pn} for n in seg_names]
    else:
        pdu_ids = [f"pdu-{x.lower()}" for x in feed_ids]
        for i, (pid, fid) in enumerate(zip(pdu_ids, feed_ids)):
            mounts.append({"id": pid, "part": p.pdu.pn, "side": "left" if i % 2 == 0 else "right", "face": "rear",
                           "feed": fid})
        counts = [0] * len(pdu_ids)

        servers: list[list[int]] = []   # PSUs per PDU of each server placed so far

        def fault_load(rows: list[list[int]]) -> float:
            """The most load (in servers) one PDU carries when another is lost: each server's load shared by
            its PSUs left."""
            worst = 0.0
            F = len(pdu_ids)
            for x in range(F):
                for y in range(F):
                    if y != x:
                        worst = max(worst, sum(r[y] / max(1, sum(r) - r[x]) for r in rows))
            return worst

        def rotated(n_psu: int) -> list[str]:
            """The PDU order for the next server: PSU i goes to PDU order[i % F]. Pick the rotation that keeps
            the PSU count per PDU even and the load a PDU takes over after a PDU loss smallest (first such
            rotation: deterministic)."""
            best = None
            F = len(pdu_ids)
            for r in range(F):
                order = pdu_ids[r:] + pdu_ids[:r]
                row = [0] * F
                for i in range(n_psu):
                    row[pdu_ids.index(order[i % F])] += 1
                c = [a + b for a, b in zip(counts, row)]
                key = (max(c) - min(c), round(fault_load(servers + [row]), 9), r)
                if best is None or key < best[0]:
                    best = (key, order, c, row)
            counts[:] = best[2]
            servers.append(best[3])
            return best[1]

        for mid, part in block:
            m = {"id": mid, "part": part.pn, "u": u}
            if part is tray.part and tray.psus is not None:
                m["feeds"] = rotated(sol.psus_per_server)
                if sol.psus_per_server != tray.psus.count:
                    m["psus"] = {"part": tray.psus.part, "count": sol.psus_per_server}
            else:
                m["feeds"] = pdu_ids[:2] if len(pdu_ids) >= 2 else pdu_ids
            mounts.append(m)
            u += sl(part)
        for mid, part in top:
            mounts.append({"id": mid, "part": part.pn, "u": u, "feeds": pdu_ids[:2]})
            u += sl(part)
        busbars = []
    if sol.manifold is not None:
        mounts.append({"id": "manifold", "part": sol.manifold.pn, "face": "rear"})
    # feeds: after a feed loss the remaining feeds carry the rack
    p_rack = (sol.n_ct * tray.power_w + sol.n_st * (mount_power(sol.switch, op) if sol.switch else 0.0)
              + sol.n_mg * (mount_power(sol.mgmt, op) if sol.mgmt else 0.0)
              + sol.n_leaf * (mount_power(sol.leaf, op) if sol.leaf else 0.0)
              + sol.n_spine * (mount_power(sol.spine, op) if sol.spine else 0.0))
    eff = 0.96
    dual = req.gen.power.feed_redundancy == "dual" or req.gen.power.psu_redundancy == "N+N"
    left = max(1, feeds_n - 1) if dual else feeds_n
    # PDU racks: the busiest surviving feed carries its PSUs' share; allow for uneven PSU counts
    uneven = 1.0 if p.kind == "busbar" else 1.25
    V = cand.feed_v
    if cand.feed_type == "ac":
        amps = p_rack / eff / (math.sqrt(3) * V * 0.99) / left * uneven
    else:
        amps = p_rack / eff / V / left * uneven
    brk = breaker_for(amps, 0.8, breaker_margin)
    feeds = []
    for fid in feed_ids:
        fd: dict[str, Any] = {"id": fid, "type": "ac3" if cand.feed_type == "ac" else "dc", "voltage": _q(V, "V")}
        if cand.feed_type == "ac":
            fd["frequency"] = "50 Hz"
        fd.update({"breaker": _q(brk, "A"), "derating": 0.8, "power_factor": 0.99 if cand.feed_type == "ac" else 1.0,
                   "source": f"UPS-{fid}"})
        feeds.append(fd)
    body: dict[str, Any] = {"frame": f.pn, "power": {"feeds": feeds}}
    if busbars:
        body["power"]["busbars"] = busbars
    if sol.cdu is not None:
        body["cooling"] = {"loops": [{"id": "tcs", "cdu_part": sol.cdu.pn, "cdu_share": round(sol.share_pct / 100, 2),
                                     "coolant": cand.coolant, "manifold": "manifold"}]}
    body["mounts"] = mounts
    patterns = []
    if sol.switch is not None and sol.n_st:
        for k in range(ndom):
            patterns.append({"type": "scale_up", "accelerators": f"ct{k + 1}-*" if ndom > 1 else "ct*",
                             "switches": f"st{k + 1}-*" if ndom > 1 else "st*", "cable": sol.su_cable.pn})
    if sol.n_leaf:
        cable, xcvr = sol.so_cable
        extra = {"transceivers": [xcvr.pn, xcvr.pn]} if xcvr is not None else {}
        patterns.append({"type": "rail", "nodes": "ct*", "leaves": [f"lf{i + 1}" for i in range(sol.n_leaf)],
                         "cable": cable.pn, **extra})
        patterns.append({"type": "leaf_spine", "leaves": "lf*", "spines": "sp*",
                         "uplinks_per_leaf": sol.uplinks_per_leaf, "cable": cable.pn, **extra})
    if sol.n_mg:
        mg_sel = "mg*" if sol.n_mg > 1 else "mg1"
        patterns.append({"type": "management", "devices": "[cs]t*" if sol.n_st else "ct*",
                         "switch": mg_sel, "cable": sol.mgmt_cable.pn})
        for sel, part, n in (("lf*", sol.leaf, sol.n_leaf), ("sp*", sol.spine, sol.n_spine)):
            if n and any(g.role == "management" for g in part.ports):
                patterns.append({"type": "management", "devices": sel, "switch": mg_sel,
                                 "cable": sol.mgmt_cable.pn})
    body["patterns"] = patterns
    acc = sol.n_ct * tray.part.accelerators.packages
    desc = (f"Configured by rackforge configure for {req.gen_id}: {racks} rack(s) of {sol.n_ct} x {tray.pn} "
            f"({acc} packages in {ndom} scale-up domain(s) of {sol.per_dom * tray.part.accelerators.packages})"
            + (f", {sol.n_st} x {sol.switch.pn}" if sol.n_st else "")
            + (f", {sum(2 * n for n in sol.shelves_per_feed)} x {p.shelf.pn} ({sol.psus_per_shelf} PSUs each) on "
               f"{p.segments} x {p.busbar.pn}" if p.kind == "busbar" else f", {p.feeds} x {p.pdu.pn}")
            + (f", {sol.share_pct}% of {sol.cdu.pn} on {cand.coolant}, {sol.manifold.pn}" if sol.cdu else "")
            + f"; {f.pn}."
            + (f" Scale-out: {sol.n_leaf} rail leaves x {sol.leaf.pn} ({sol.uplinks_per_leaf} uplinks each) and "
               f"{sol.n_spine} x {sol.spine.pn} spines, {sol.so_cable[0].pn}." if sol.n_leaf else
               f" Scale-out: {so} NIC ports per compute tray are left for the hall's fabric (the catalog gives no "
               "leaf and spine that fit the rack)." if (so := sum(g.count for g in tray.part.ports
                                                                  if g.role == "scale_out")) else ""))
    design: dict[str, Any] = {"rackforge": 1, "name": name, "description": desc, "generation": req.gen_id}
    if catalogs:
        design["catalogs"] = list(catalogs)
    design["site"] = req.site.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    design["templates"] = {"rack": body}
    if racks == 1:
        design["racks"] = [{"id": "r01", "template": "rack", "position": {"row": "A", "index": 0}}]
    else:
        design["rows"] = [{"id": "A", "template": "rack", "count": racks}]
    if waivers:
        design["waivers"] = waivers
    return design
