"""Power lowering, one rack definition: its busbars, PSUs, loads and feeds as a template network in local indices.

:func:`lower_definition` turns one resolved rack definition into a :class:`RackTemplate` (local arrays that
:mod:`rackforge.lowering.power` replicates for every instance of the definition); :func:`connection` picks how a PSU
connects to its feed (phase rotation, line-to-neutral or line-to-line), :func:`input_mismatch` and
:func:`frequency_mismatch` tell why a PSU cannot connect, and :func:`dc_load_from_ac_input` turns an AC-input power
figure into the DC load its PSUs carry. The model and its conventions are described in :mod:`rackforge.lowering.power`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rackforge.model.resolved import IT_KINDS, mount_power

SQRT3 = math.sqrt(3.0)

# conventions (see the module docstring)
SERVER_VMIN_FRACTION = 0.9
COLLAPSE_FRACTION = 0.8
MIN_DROOP_OHM = 1e-6
MIN_SEG_OHM = 1e-9
DIRECT_SETPOINT_V = 12.0

_CONN = {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "ca": 5}
_CONN_NAME = ["a", "b", "c", "ab", "bc", "ca", "dc"]
CONN_DC = 6


# ---------------------------------------------------------------------------------------------------------------
# lowering of one rack definition (template, local indices)
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class RackTemplate:
    """One rack definition lowered with local indices. Feeds are ('d', i) design-level or ('r', i) rack-level."""

    key: str
    n_node: int = 0
    net_names: list = field(default_factory=list)       # per local network
    net_ptr_node: list = field(default_factory=lambda: [0])
    node_z: list = field(default_factory=list)
    # segments
    seg: list = field(default_factory=list)              # (from, to, r, i_rated, busbar idx, z0, z1)
    # logical PSUs: dict rows
    psus: list = field(default_factory=list)
    # PSU elements: (logical psu idx, node, E, r, ilim, p_rated, curve key, feed ref, conn, group)
    elems: list = field(default_factory=list)
    # groups: shelves and servers
    groups: list = field(default_factory=list)
    pdus: list = field(default_factory=list)
    loads: list = field(default_factory=list)
    bbus: list = field(default_factory=list)
    busbars: list = field(default_factory=list)
    rack_feeds: list = field(default_factory=list)       # (Feed model, pointer)
    mismatches: list = field(default_factory=list)       # (pointer, message, hint)
    freq_mismatches: list = field(default_factory=list)  # (pointer, message, hint): RF216
    unpowered: list = field(default_factory=list)        # (pointer, message, hint)
    curves: dict = field(default_factory=dict)           # curve key -> (fractions, etas)


# Nominal three-phase wye systems are named by rounded voltages: 480Y/277 V has 480 / sqrt(3) = 277.13 V, just
# above a 277 V PSU's range. A feed at one of these line-to-line voltages (within 0.5 V) is compared at the
# named line-to-neutral voltage (IEC 60038 table 1: 230/400, 240/415 V; ANSI C84.1: 120/208, 277/480, 347/600 V;
# 220/380 V older IEC). Other voltages use V_LL / sqrt(3).
NOMINAL_LN = {208.0: 120.0, 380.0: 220.0, 400.0: 230.0, 415.0: 240.0, 480.0: 277.0, 600.0: 347.0}


def _feed_volts(feed) -> tuple[float, float]:
    """(line-to-line or DC voltage, line-to-neutral voltage) a connection sees on a feed."""
    v = float(feed.voltage)
    if feed.type == "ac3":
        for vll, vln in NOMINAL_LN.items():
            if abs(v - vll) <= 0.5:
                return v, vln
        return v, v / SQRT3
    return v, v


def connection(feed, psu_part, phase: str, counter: list[int]) -> tuple[list[int], float, str | None]:
    """Element connections for one PSU on a feed, the voltage it sees, and a mismatch message (or None).

    Three-phase PSUs give three connections (one per element): line-to-neutral a, b, c for a wye input,
    line-to-line ab, bc, ca for a delta one; their range is line-to-line either way. A single-phase PSU connects
    as its input's ``connection`` says, or by the convention of the module docstring; a delta feed has no
    neutral, so nothing connects line-to-neutral on it."""
    inp = psu_part.input
    lo, hi = float(inp.voltage_min), float(inp.voltage_max)
    three = getattr(inp, "phases", None) == 3
    how = getattr(inp, "connection", None)

    def out_of(v):
        return not (lo <= v <= hi)

    if feed.type == "dc":
        msg = None
        if inp.type != "dc":
            msg = f"an AC input on DC feed {feed.id!r}"
        elif out_of(float(feed.voltage)):
            msg = f"feed {feed.id!r} gives {float(feed.voltage):g} V DC, outside the input range {lo:g}-{hi:g} V"
        return ([CONN_DC] * (3 if three else 1)), float(feed.voltage), msg
    vll, vln = _feed_volts(feed)
    msg = None
    if inp.type != "ac":
        msg = f"a DC input on AC feed {feed.id!r}"
    if feed.type == "ac1":
        if three:
            msg = msg or f"a three-phase input on single-phase feed {feed.id!r}"
        elif msg is None and out_of(vln):
            msg = f"feed {feed.id!r} gives {vln:g} V, outside the input range {lo:g}-{hi:g} V"
        return [0] * (3 if three else 1), vln, msg
    wye = getattr(feed, "wiring", "wye") != "delta"
    sysname = f"{vll:.0f}/{vln:.0f} V" if wye else f"{vll:.0f} V delta"
    if three:
        if msg is None and how == "wye" and not wye:
            msg = f"a wye (line-to-neutral) three-phase input on feed {feed.id!r}, {sysname}, which has no neutral"
        elif msg is None and out_of(vll):
            msg = f"feed {feed.id!r} gives {vll:.0f} V line-to-line, outside the input range {lo:g}-{hi:g} V"
        if phase in ("a", "b", "c", "ab", "bc", "ca"):
            msg = msg or f"a three-phase input cannot sit on phase {phase!r} alone"
        return ([0, 1, 2] if how == "wye" else [3, 4, 5]), vll, msg
    if phase in _CONN:
        c = _CONN[phase]
        v = vln if c < 3 else vll
        if msg is None and c < 3 and not wye:
            msg = f"phase {phase!r} is line-to-neutral; feed {feed.id!r} ({sysname}) has no neutral"
        elif msg is None and how == "line_to_line" and c < 3:
            msg = f"the input connects line-to-line; phase {phase!r} is line-to-neutral"
        elif msg is None and how == "line_to_neutral" and c >= 3:
            msg = f"the input connects line-to-neutral; phase {phase!r} is line-to-line"
        elif msg is None and out_of(v):
            kind = "line-to-neutral" if c < 3 else "line-to-line"
            msg = (f"phase {phase!r} of feed {feed.id!r} ({sysname}) gives {v:.0f} V {kind}, outside the input "
                   f"range {lo:g}-{hi:g} V")
        return [c], v, msg
    k = counter[0]
    counter[0] += 1
    if how == "line_to_neutral":
        if msg is None and not wye:
            msg = f"the input connects line-to-neutral; feed {feed.id!r} ({sysname}) has no neutral"
        elif msg is None and out_of(vln):
            msg = (f"connected line-to-neutral, feed {feed.id!r} ({sysname}) gives {vln:.0f} V, outside the input "
                   f"range {lo:g}-{hi:g} V")
        return [k % 3], vln, msg
    if how == "line_to_line":
        if msg is None and out_of(vll):
            msg = (f"connected line-to-line, feed {feed.id!r} ({sysname}) gives {vll:.0f} V, outside the input "
                   f"range {lo:g}-{hi:g} V")
        return [3 + k % 3], vll, msg
    if wye and (not out_of(vln) or out_of(vll)):
        if msg is None and out_of(vln):
            msg = (f"feed {feed.id!r} gives {vln:.0f} V line-to-neutral and {vll:.0f} V line-to-line, neither in "
                   f"the input range {lo:g}-{hi:g} V")
        return [k % 3], vln, msg
    if msg is None and out_of(vll):
        msg = (f"feed {feed.id!r} ({sysname}, no neutral) gives {vll:.0f} V line-to-line, outside the input "
               f"range {lo:g}-{hi:g} V")
    return [3 + k % 3], vll, msg


def input_mismatch(feed, inp) -> str | None:
    """Why a shelf's or PDU's own input does not take the feed's voltage (None when it does).

    DC and single-phase feeds: the feed voltage against the range. Three-phase feeds: a three-phase input is
    rated line-to-line (a wye input also needs the neutral); a single-phase one takes line-to-neutral (wye
    feeds) or line-to-line, as its ``connection`` says or whichever is in range."""
    lo, hi = float(inp.voltage_min), float(inp.voltage_max)
    v = float(feed.voltage)
    if feed.type != "ac3":
        return None if lo <= v <= hi else f"feed {feed.id!r} gives {v:.0f} V"
    vll, vln = _feed_volts(feed)
    wye = getattr(feed, "wiring", "wye") != "delta"
    how = getattr(inp, "connection", None)
    sysname = f"{vll:.0f}/{vln:.0f} V" if wye else f"{vll:.0f} V delta"
    if getattr(inp, "phases", None) == 3:
        if how == "wye" and not wye:
            return f"its wye input needs a neutral; feed {feed.id!r} is {sysname}"
        return None if lo <= vll <= hi else f"feed {feed.id!r} gives {vll:.0f} V line-to-line ({sysname})"
    ln_ok = wye and lo <= vln <= hi and how != "line_to_line"
    ll_ok = lo <= vll <= hi and how != "line_to_neutral"
    if ln_ok or ll_ok:
        return None
    if how == "line_to_neutral" and not wye:
        return f"it connects line-to-neutral; feed {feed.id!r} ({sysname}) has no neutral"
    return f"feed {feed.id!r} ({sysname}) gives {vln:.0f} V line-to-neutral and {vll:.0f} V line-to-line"


def _ll_hint(feed, inp) -> str | None:
    """A hint when a three-phase feed looks written at its line-to-neutral voltage (230 V for 400/230 V): the
    part's three-phase range takes sqrt(3) times it."""
    v = float(feed.voltage)
    vll = next((ll for ll, ln in NOMINAL_LN.items() if abs(v - ln) <= 0.5), v * SQRT3)
    if feed.type == "ac3" and getattr(inp, "phases", None) == 3 and \
            float(inp.voltage_min) <= vll <= float(inp.voltage_max):
        return f"an ac3 feed's voltage is line-to-line: a {vll:.0f}/{v:.0f} V system is written 'voltage: {vll:.0f} V'"
    return None


def frequency_mismatch(feed, inp) -> str | None:
    """A message when an AC feed's stated frequency is outside the AC input's frequency range (else None)."""
    if feed is None or feed.type == "dc" or getattr(feed, "frequency", None) is None or inp.type != "ac":
        return None
    f = float(feed.frequency)
    fmin, fmax = getattr(inp, "frequency_min", None), getattr(inp, "frequency_max", None)
    if (fmin is not None and f < float(fmin) * (1 - 1e-9)) or (fmax is not None and f > float(fmax) * (1 + 1e-9)):
        lo = f"{float(fmin):g}" if fmin is not None else "0"
        hi = f"{float(fmax):g}" if fmax is not None else "any"
        return f"feed {feed.id!r} is {f:g} Hz, outside the input's {lo}-{hi} Hz"
    return None


def _curve(t: RackTemplate, part) -> str:
    key = part.pn
    if key not in t.curves:
        pts = sorted((float(p.load), float(p.efficiency)) for p in part.efficiency)
        xs, ys = [], []
        for x, y in pts:
            if xs and x <= xs[-1]:
                continue
            xs.append(x)
            ys.append(min(max(y, 1e-6), 1.0))
        t.curves[key] = (xs, ys)
    return key


def lower_definition(rd, ctx, design_feed_idx: dict[str, int]) -> RackTemplate:
    from rackforge.model.resolved import server_psus, shelf_modules

    cat = ctx.catalog
    t = RackTemplate(rd.key)
    body = rd.body
    pitch = rd.slot_pitch() or 0.04445
    rack_feed_idx = {}
    for i, f in enumerate(body.power.feeds):
        rack_feed_idx.setdefault(f.id, len(t.rack_feeds))
        t.rack_feeds.append((f, f"{rd.ptr}/power/feeds/{i}"))

    def feed_ref(fid):
        if fid in rack_feed_idx:
            return ("r", rack_feed_idx[fid]), t.rack_feeds[rack_feed_idx[fid]][0]
        if fid in design_feed_idx:
            return ("d", design_feed_idx[fid]), ctx.design.feeds[design_feed_idx[fid]]
        return None, None

    counters: dict[Any, list[int]] = {}

    def add_psu(name, ptr, part, node, fref, feed, phase, group, virtual=False, virt=None, in_part=None):
        """One logical PSU (1 or 3 elements). ``virt``: (E, r, ilim, rating) of a direct element."""
        ctr = counters.setdefault(fref, [0])
        if virtual:
            E, r, ilim, rating = virt
            conns, v_in, msg = connection(feed, in_part, phase, ctr)
            ck = "__direct__"
            t.curves.setdefault(ck, ([1.0], [1.0]))
        else:
            conns, v_in, msg = connection(feed, part, phase, ctr)
            E, r, ilim, rating = (float(part.output_voltage), max(float(part.droop), MIN_DROOP_OHM),
                                  float(part.current_limit), float(part.rating))
            ck = _curve(t, part)
        idle = float(getattr(part, "no_load_loss", None) or 0.0) if not virtual else 0.0
        if msg:
            t.mismatches.append((ptr, f"{name} ({(part or in_part).pn}): {msg}",
                                 "use a part whose input matches the feed, or change the feed"))
        fmsg = frequency_mismatch(feed, (part or in_part).input)
        if fmsg:
            t.freq_mismatches.append((ptr, f"{name} ({(part or in_part).pn}): {fmsg}",
                                      "use a part rated for the feed's frequency, or the region's variant"))
        n = len(conns)
        li = len(t.psus)
        t.psus.append({"name": name, "ptr": ptr, "pn": part.pn if part is not None else None, "rating": rating,
                       "group": group, "virtual": virtual, "conn": [_CONN_NAME[c] for c in conns],
                       "v_in": v_in, "feed": fref, "energy_storage": float(getattr(part, "energy_storage", 0) or 0)
                       if part is not None else 0.0})
        t.psus[li]["idle_w"] = idle
        for c in conns:
            t.elems.append((li, node, E, r * n, ilim / n, rating / n, ck, fref, c, group, idle / n))
        return li

    def new_net(name):
        t.net_names.append(name)
        return len(t.net_names) - 1

    def add_node(z):
        t.node_z.append(z)
        t.n_node += 1
        return t.n_node - 1

    def close_net():
        t.net_ptr_node.append(t.n_node)

    def z_of(mi):
        if mi.lo is None:
            return 0.0
        return (mi.lo - 1 + (mi.hi - mi.lo + 1) / 2.0) * pitch

    # ---- busbar networks: shelves and DC trays on them
    bus_ids = [b.id for b in body.power.busbars]
    members: dict[str | None, list] = {b: [] for b in bus_ids}
    has_shelf = any(mi.kind == "power_shelf" for mi in rd.mounts)
    if not bus_ids and has_shelf:
        members[None] = []
    for mi in rd.mounts:
        part = mi.part
        if part is None:
            continue
        on_bus = part.kind == "power_shelf" or (part.kind in IT_KINDS and not mi.m.feeds)
        if not on_bus:
            continue
        b = mi.m.busbar
        if b is None:
            if len(bus_ids) == 1:
                b = bus_ids[0]
            elif not bus_ids and has_shelf:
                b = None
            else:
                if part.kind in IT_KINDS:
                    why = ("names no busbar and the rack has several" if bus_ids else
                           "has no busbar, power shelf or PDU to draw from")
                    t.unpowered.append((mi.ptr, f"mount {mi.id!r} {why}",
                                        "name its busbar, or wire it to PDUs with 'feeds'"))
                continue
        if b not in members:
            continue  # dangling busbar: RF004
        members[b].append(mi)
    for b, mis in members.items():
        bi = bus_ids.index(b) if b is not None else -1
        bus_part = cat.get(body.power.busbars[bi].part) if bi >= 0 else None
        if bus_part is not None and bus_part.kind != "busbar":
            bus_part = None
        bus_name = b if b is not None else "bus"
        bptr = f"{rd.ptr}/power/busbars/{bi}" if bi >= 0 else rd.ptr
        t.busbars.append({"name": bus_name, "ptr": bptr,
                          "rated_a": float(bus_part.rated_current) if bus_part is not None else math.inf})
        if not mis:
            continue
        k = new_net(bus_name)
        zs = sorted({round(z_of(mi), 9) for mi in mis}) if bi >= 0 else [0.0]
        node_of = {z: add_node(z) for z in zs}
        rpl = float(bus_part.resistance_per_length) if bus_part is not None else 0.0
        rated = float(bus_part.rated_current) if bus_part is not None else 1e12
        for z0, z1 in zip(zs, zs[1:]):
            t.seg.append((node_of[z0], node_of[z1], max(rpl * (z1 - z0), MIN_SEG_OHM), rated,
                          len(t.busbars) - 1, z0, z1))
        for mi in mis:
            node = node_of[round(z_of(mi), 9)] if bi >= 0 else node_of[0.0]
            part = mi.part
            if part.kind == "power_shelf":
                gi = len(t.groups)
                t.groups.append({"name": mi.id, "ptr": mi.ptr, "kind": "shelf", "pn": part.pn,
                                 "clip_a": float(part.output_current_max) if part.output_current_max else math.inf,
                                 "net": k, "required": None, "bus": len(t.busbars) - 1})
                fref, feed = feed_ref(mi.m.feed) if mi.m.feed else (None, None)
                if feed is not None:
                    sin = part.input
                    want = "dc" if feed.type == "dc" else "ac"
                    if sin.type != want:
                        t.mismatches.append((f"{mi.ptr}/feed", f"power shelf {mi.id!r} ({part.pn}) has an "
                                             f"{sin.type.upper()} input but feed {feed.id!r} is {feed.type}",
                                             "wire it to a feed of its input type, or use the shelf variant"))
                    else:
                        why = input_mismatch(feed, sin)
                        if why:
                            t.mismatches.append((f"{mi.ptr}/feed", f"power shelf {mi.id!r} ({part.pn}) takes "
                                                 f"{float(sin.voltage_min):g}-{float(sin.voltage_max):g} V; {why}",
                                                 _ll_hint(feed, sin) or "use a feed in the shelf's range"))
                    fmsg = frequency_mismatch(feed, sin)
                    if fmsg:
                        t.freq_mismatches.append((f"{mi.ptr}/feed", f"power shelf {mi.id!r} ({part.pn}): {fmsg}",
                                                  "use a shelf rated for the feed's frequency"))
                elif mi.m.feed is None:
                    t.unpowered.append((mi.ptr, f"power shelf {mi.id!r} is wired to no feed",
                                        "give it a 'feed'"))
                for pn, n, role in shelf_modules(mi, cat):
                    mod = cat.get(pn)
                    if mod is None:
                        continue
                    if role == "psu" and mod.kind == "psu" and feed is not None:
                        for j in range(n):
                            add_psu(f"{mi.id}/psu{j + 1}", mi.ptr, mod, node, fref, feed, mi.m.phase, gi)
                    elif role == "bbu" and mod.kind == "bbu":
                        for j in range(n):
                            t.bbus.append({"name": f"{mi.id}/bbu{j + 1}", "ptr": mi.ptr, "node": node,
                                           "energy_j": float(mod.energy), "p_w": float(mod.power), "net": k})
            else:
                p = mount_power(part, ctx.op)
                vmin = float(part.input.voltage_min)
                t.loads.append({"name": mi.id, "ptr": mi.ptr, "node": node, "p_w": p, "v_min": vmin,
                                "v_c": COLLAPSE_FRACTION * vmin, "net": k, "group": None, "pn": part.pn,
                                "figure_w": p, "basis": _basis(part)})
        _ac_figures_to_dc(t, k)
        close_net()

    # ---- PDUs
    pdu_of = {}
    for mi in rd.mounts:
        if mi.kind == "pdu":
            fref, feed = feed_ref(mi.m.feed) if mi.m.feed else (None, None)
            pdu_of[mi.id] = len(t.pdus)
            t.pdus.append({"name": mi.id, "ptr": mi.ptr, "feed": fref, "feed_model": feed, "pn": mi.part.pn,
                           "rated_a": float(mi.part.input_current)})
            if feed is not None:
                pin = mi.part.input
                want = "dc" if feed.type == "dc" else "ac"
                if pin.type != want:
                    t.mismatches.append((f"{mi.ptr}/feed", f"PDU {mi.id!r} ({mi.part.pn}) has an "
                                         f"{pin.type.upper()} input but feed {feed.id!r} is {feed.type}",
                                         "use a PDU of the feed's type"))
                else:
                    why = input_mismatch(feed, pin)
                    if why:
                        t.mismatches.append((f"{mi.ptr}/feed", f"PDU {mi.id!r} ({mi.part.pn}) takes "
                                             f"{float(pin.voltage_min):g}-{float(pin.voltage_max):g} V; {why}",
                                             _ll_hint(feed, pin) or "use a PDU rated for the feed"))
                fmsg = frequency_mismatch(feed, pin)
                if fmsg:
                    t.freq_mismatches.append((f"{mi.ptr}/feed", f"PDU {mi.id!r} ({mi.part.pn}): {fmsg}",
                                              "use a PDU rated for the feed's frequency"))
            elif mi.m.feed is None:
                t.unpowered.append((mi.ptr, f"PDU {mi.id!r} is wired to no feed", "give it a 'feed'"))

    # ---- servers on PDUs: one network each
    for mi in rd.mounts:
        part = mi.part
        if part is None or part.kind not in IT_KINDS or not mi.m.feeds:
            continue
        pdus = [pdu_of[p] for p in mi.m.feeds if p in pdu_of]
        k = new_net(mi.id)
        node = add_node(0.0)
        close_net()
        p = mount_power(part, ctx.op)
        gi = len(t.groups)
        spec = part.psus
        inside = server_psus(mi)
        psu_pn, count = inside if inside is not None else (None, len(pdus))
        psu_part = cat.get(psu_pn) if psu_pn else None
        if psu_part is not None and psu_part.kind != "psu":
            psu_part = None
        direct = psu_part is None
        t.groups.append({"name": mi.id, "ptr": mi.ptr, "kind": "direct" if direct else "server",
                         "pn": part.pn, "clip_a": math.inf, "net": k,
                         "required": spec.required if spec is not None and not direct else 1, "bus": None})
        if direct:
            E = DIRECT_SETPOINT_V
            rating = max(p, 1.0)
            virt = (E, 0.01 * E / (rating / E), 4.0 * rating / E, rating)
            vmin = SERVER_VMIN_FRACTION * E
            for j, pi in enumerate(pdus):
                pdu = t.pdus[pi]
                if pdu["feed_model"] is None:
                    continue
                li = add_psu(f"{mi.id}/in{j + 1}", mi.ptr, None, node, pdu["feed"], pdu["feed_model"],
                             mi.m.phase, gi, virtual=True, virt=virt, in_part=part)
                t.psus[li]["pdu"] = pi
        else:
            vmin = SERVER_VMIN_FRACTION * float(psu_part.output_voltage)
            for j in range(count):
                if not pdus:
                    break
                pi = pdus[j % len(pdus)]
                pdu = t.pdus[pi]
                if pdu["feed_model"] is None:
                    continue
                li = add_psu(f"{mi.id}/psu{j + 1}", mi.ptr, psu_part, node, pdu["feed"], pdu["feed_model"],
                             mi.m.phase, gi)
                t.psus[li]["pdu"] = pi
        if not pdus:
            t.unpowered.append((mi.ptr, f"mount {mi.id!r} names no PDU it can draw from",
                                "list its PDUs in 'feeds'"))
        t.loads.append({"name": mi.id, "ptr": mi.ptr, "node": node, "p_w": p, "v_min": vmin,
                        "v_c": COLLAPSE_FRACTION * vmin, "net": k, "group": gi, "pn": part.pn,
                        "figure_w": p, "basis": _basis(part)})
        _ac_figures_to_dc(t, k)
    return t


def _basis(part) -> str:
    """The part's power basis (rackforge.schema.catalog.PowerDraw): explicit, else by its input type."""
    b = getattr(part, "power_basis", None)
    return b if isinstance(b, str) else "dc_output"


def dc_load_from_ac_input(p_ac_w: float, p_other_dc_w: float, rating_w: float, xs, ys,
                          idle_w: float = 0.0) -> float:
    """DC load [W] whose PSUs draw ``p_ac_w`` [W] of AC input: the root of ``P = p_ac x eta((P + P_o) / R)``.

    ``eta`` is the PSUs' efficiency curve (load fraction ``xs`` -> efficiency ``ys``, linear interpolation
    clamped at the end points, as in rackforge.solvers.power_ref), ``R`` [W] the installed rating of the PSUs
    sharing the network and ``P_o`` [W] the DC load on it whose figures are already DC. Identical PSUs on one
    node share equally, so each runs at ``x = (P + P_o) / R`` and their AC input is ``(P + P_o) / eta(x)``: the
    wall input of an AC-rated part equals its figure (DGX H100: 10.2 kW). With a no-load input ``idle_w`` [W]
    (the PSUs' sum) the pool's input below the curve's first point is that of
    rackforge.solvers.power_ref.psu_input_power, ``W(D)``, and the AC-rated share draws ``W(D) P / D``:
    ``h(P) = W(P + P_o) P / (P + P_o) - p_ac`` is ``<= 0`` at ``P = 0`` and ``>= 0`` at ``P = p_ac``
    (``W(D) >= D``): bisection to 1e-13 relative."""
    if p_ac_w <= 0.0 or rating_w <= 0.0:
        return max(p_ac_w, 0.0)
    x0, e0 = float(xs[0]), float(ys[0])

    def wall_share(p):
        d = p + p_other_dc_w
        x = d / rating_w
        if idle_w > 0.0 and x < x0:
            w = d + idle_w + (x0 * rating_w * (1.0 / e0 - 1.0) - idle_w) * x / x0
        else:
            w = d / float(np.interp(x, xs, ys))
        return w * p / d if d > 0 else 0.0

    lo, hi = 0.0, p_ac_w
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if wall_share(mid) - p_ac_w > 0.0:
            hi = mid
        else:
            lo = mid
        if hi - lo <= 1e-13 * p_ac_w:
            break
    return 0.5 * (lo + hi)


def _ac_figures_to_dc(t: RackTemplate, k: int | None) -> None:
    """Loads of network ``k`` whose figures are AC input (``basis: ac_input``) get the DC load their PSUs carry.

    The network's PSUs (real ones; direct elements have efficiency 1 and change nothing) are taken as one
    pool with the curve of the most common PSU part and the sum of their ratings; every ac_input load is
    scaled by the same efficiency ``eta(x)`` at the pool's load fraction (:func:`dc_load_from_ac_input`)."""
    if k is None:
        return
    mine = [ld for ld in t.loads if ld["net"] == k]
    ac = [ld for ld in mine if ld["basis"] == "ac_input" and ld["p_w"] > 0]
    if not ac:
        return
    groups = {gi for gi, g in enumerate(t.groups) if g["net"] == k}
    real = [p for p in t.psus if p["group"] in groups and not p["virtual"]]
    if not real:
        return
    counts: dict[str, int] = {}
    for p in real:
        counts[p["pn"]] = counts.get(p["pn"], 0) + 1
    xs, ys = t.curves[max(counts, key=lambda pn: counts[pn])]
    rating = sum(p["rating"] for p in real)
    idle = sum(p.get("idle_w", 0.0) for p in real)
    p_ac = sum(ld["p_w"] for ld in ac)
    p_other = sum(ld["p_w"] for ld in mine if all(ld is not a for a in ac))
    scale = dc_load_from_ac_input(p_ac, p_other, rating, xs, ys, idle) / p_ac
    for ld in ac:
        ld["p_w"] *= scale
