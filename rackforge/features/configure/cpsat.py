"""The configurator's integer model (OR-Tools CP-SAT): part choices and counts of one rack, and its objective.

Variables: one Boolean per candidate part of each role (frame, compute tray, scale-up switch tray, scale-up cable,
power option, CDU, manifold, management switch, management cable, blanking panel), exactly one chosen per role
that the design needs; integer counts (scale-up domains per rack, switch trays per domain, power shelves per feed
on each busbar segment, PSUs per shelf, compute trays per segment, PSUs per server, PDUs, CDU share in percent,
management switches). A count tied to a choice is split into one count per candidate (``n_o <= UB * chosen_o``),
so every sum below stays linear.

Constraints (SI figures at the generation's operating point; ``m`` are margins the validation loop tightens):

* scale-up: trays per domain from the domain size; switch ports per domain >= accelerator links per domain;
  switch tray and cable of the trays' port type; cable length >= half the compute block + the switch block;
* envelope: rack IT power <= ``power.rack_power_max``; rack units <= frame slots; equipment mass <= the frame's
  payload and ``physical.max_rack_mass`` less the frame;
* power, busbar option (one or two busbar segments, shelves on feeds A and B in turn): per segment, the PSUs left
  after losing a feed (``dual``: half of them), less the PSUs ``psu_redundancy`` may lose, carry the segment's load
  ``x m_psu``; the shelves left carry it within their output clip; the segment's current at the busbar's minimum
  voltage stays within its rating ``x m_bus``;
* power, PDU option (one PDU per feed, F feeds from distinct sources): a server's PSUs are spread over the PDUs,
  so after a feed loss ``n - ceil(n / F) >= required``; single-phase PSUs on three-phase feeds come in threes per
  feed (phase balance); the surviving PDUs carry the rack within their rating ``x m_pdu``;
* cooling: CDU share x capacity x m_cdu >= heat to liquid; share x rated flow x m_cdu >= the trays' minimum flow;
  manifold taps >= liquid-cooled mounts; whole CDUs = ceil(racks x share);
* scale-out (when the fabric is built): leaves = NIC ports per tray (one leaf per rail); each leaf's scale-out
  ports >= the rack's nodes + its uplinks; uplinks x ``max_oversubscription`` >= nodes; spine ports >= all uplinks;
  leaves, spines and cables of the NICs' port type; the cable reaches across the slots in use;
* management: management ports >= managed devices.

Objective: ``cost`` (USD, as the BOM counts it: parts, derived PSUs, quick disconnects and hoses, cables,
blanking panels, whole in-row CDUs), ``power`` (IT power, W), ``weight`` (kg), or ``domestic`` (cost share of
parts from the generation's domestic countries, maximised by Dinkelbach's method: a sequence of linear solves
``max dom - r * total``). Ties are broken by cost. The solver runs single-threaded with a fixed seed and a
deterministic-time limit: the same input gives the same solution.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rackforge.features.configure.candidates import Candidates, fits_frame, nports, so_key
from rackforge.model.resolved import mount_power, slots_for

HOSES = 2
QDS = 2
MAX_DOMAINS = 64


@dataclass
class PowerOpt:
    kind: str                      # "busbar" | "pdu"
    shelf: Any = None
    psu: Any = None
    busbar: Any = None
    segments: int = 1
    pdu: Any = None
    feeds: int = 2

    @property
    def label(self) -> str:
        if self.kind == "busbar":
            return f"{self.segments} x {self.busbar.pn} + {self.shelf.pn}"
        return f"{self.feeds} x {self.pdu.pn}"


@dataclass
class Solution:
    frame: Any
    tray: Any
    n_dom: int
    per_dom: int
    switch: Any | None
    st_per_dom: int
    su_cable: Any | None
    power: PowerOpt
    shelves_per_feed: list[int]      # per busbar segment
    psus_per_shelf: int
    ct_per_segment: list[int]
    psus_per_server: int
    cdu: Any | None
    share_pct: int
    n_cdu: int
    manifold: Any | None
    mgmt: Any | None
    n_mg: int
    mgmt_cable: Any | None
    blank: Any | None
    objective: float = 0.0
    signature: tuple = ()
    leaf: Any | None = None
    n_leaf: int = 0
    spine: Any | None = None
    n_spine: int = 0
    uplinks_per_leaf: int = 0
    so_cable: tuple | None = None          # (cable, transceiver or None)

    @property
    def n_ct(self) -> int:
        return self.n_dom * self.per_dom

    @property
    def n_st(self) -> int:
        return self.n_dom * self.st_per_dom


@dataclass
class Margins:
    """Per-mille headroom factors the validation loop tightens when the engine finds a check failing."""

    psu: int = 970
    bus: int = 970
    pdu: int = 950
    cdu: int = 900
    mass: int = 980
    power: int = 1000
    cable_extra_mm: int = 0

    def tighten(self, name: str, factor: float = 0.93) -> None:
        setattr(self, name, max(300, int(getattr(self, name) * factor)))


def _power_options(c: Candidates) -> list[PowerOpt]:
    out: list[PowerOpt] = []
    for s, psu in c.shelves:
        for b in c.busbars:
            for k in (1, 2):
                out.append(PowerOpt("busbar", shelf=s, psu=psu, busbar=b, segments=k))
    for p in c.pdus:
        for f in (2, 3, 4):
            out.append(PowerOpt("pdu", pdu=p, feeds=f))
    return out


def _psu_bays(t) -> int:
    """PSUs a server candidate can take: its chassis's ``bays.psu`` when published, else twice its shipped count
    plus two (the bound used before bays were declared)."""
    bays = getattr(t.part, "bays", None)
    if bays is not None and bays.psu is not None:
        return bays.psu
    return 2 * t.psus.count + 2


def _cost(p) -> int:
    return int(round(float(p.cost))) if p is not None and p.cost is not None else 0


def _mass_g(p) -> int:
    return int(round(float(p.mass) * 1000)) if p is not None and p.mass is not None else 0


class Model:
    """Builds and solves the CP-SAT model for a fixed set of candidates, margins and cuts."""

    def __init__(self, req, cand: Candidates, cat, op: str, racks: int, margins: Margins, *,
                 fabric: bool = False) -> None:
        self.req, self.c, self.cat, self.op, self.R, self.m = req, cand, cat, op, racks, margins
        self.fabric = fabric and bool(cand.so_switches and cand.so_cables)
        self.popts = [p for p in _power_options(cand)
                      if any(t.scheme == p.kind for t in cand.trays)]

    # ------------------------------------------------------------------------------------------------------
    def build(self, *, n_dom_fixed: int | None, cuts: list[tuple], assume: bool = False):
        from ortools.sat.python import cp_model

        g = self.req.gen
        c = self.c
        M = cp_model.CpModel()
        self.M = M
        B = M.NewBoolVar
        I = M.NewIntVar
        self.assumptions: dict[str, Any] = {}

        def group(name: str):
            """A literal that enforces a named group of constraints (assumed true; cores name the groups)."""
            if not assume:
                return []
            if name not in self.assumptions:
                self.assumptions[name] = B(f"A_{name}")
            return [self.assumptions[name]]

        def one(name, opts, required=True):
            bs = [B(f"{name}_{i}") for i in range(len(opts))]
            if required:
                M.AddExactlyOne(bs)
            else:
                M.AddAtMostOne(bs)
            return bs

        def split(name, total, sel, ub):
            """Per-option copies of a count: n_o <= ub * sel_o, sum n_o = total."""
            parts = [I(0, ub, f"{name}_{i}") for i in range(len(sel))]
            for p, s in zip(parts, sel):
                M.Add(p == 0).OnlyEnforceIf(s.Not())
            M.Add(sum(parts) == total)
            return parts

        frames, trays, sws, popts = c.frames, c.trays, c.switches, self.popts
        x_f = one("frame", frames)
        x_t = one("tray", trays)
        for t, xt in zip(trays, x_t):
            for f, xf in zip(frames, x_f):
                if not fits_frame(t.part.standard, f.standard):
                    M.AddBoolOr([xt.Not(), xf.Not()])
        maxslots = max(f.slots for f in frames)
        ub = 4 * maxslots
        # domains and compute trays
        n_dom = I(1, MAX_DOMAINS, "n_dom")
        if n_dom_fixed is not None:
            M.Add(n_dom == n_dom_fixed)
        dom_t = split("dom_t", n_dom, x_t, MAX_DOMAINS)
        n_ct_t = [I(0, ub, f"n_ct_{i}") for i in range(len(trays))]
        for t, d, n in zip(trays, dom_t, n_ct_t):
            M.Add(n == t.per_domain * d)
        n_ct = I(0, ub, "n_ct")
        M.Add(n_ct == sum(n_ct_t))
        # scale-up switches
        need_sw = any(not t.internal for t in trays)
        x_s = one("switch", sws, required=False) if need_sw else []
        st_per = I(0, ub, "st_per_dom")
        n_st = I(0, ub, "n_st")
        M.AddMultiplicationEquality(n_st, [n_dom, st_per])
        n_st_s = split("n_st_s", n_st, x_s, ub) if x_s else []
        x_k = one("su_cable", c.su_cables, required=False) if need_sw else []
        for t, xt in zip(trays, x_t):
            if t.internal:
                M.Add(st_per == 0).OnlyEnforceIf(xt)
                for v in x_s + x_k:
                    M.AddImplication(xt, v.Not())
                continue
            M.AddBoolOr([xt.Not()] + x_s)
            M.AddBoolOr([xt.Not()] + x_k)
            su = t.part.ports
            grp = next(gr for gr in su if gr.role == "scale_up")
            key = (grp.form_factor, float(grp.speed), grp.lanes)
            links_dom = t.per_domain * nports(t.part, "scale_up")
            for s, xs in zip(sws, x_s):
                sg = next(gr for gr in s.ports if gr.role == "scale_up")
                if (sg.form_factor, float(sg.speed), sg.lanes) != key:
                    M.AddBoolOr([xt.Not(), xs.Not()])
                    continue
                M.Add(st_per * nports(s, "scale_up") >= links_dom).OnlyEnforceIf([xt, xs])
                # one switch hop: every package reaches every chip, so chips per domain <= links per package
                hops = g.scale_up.max_switch_hops
                if hops is not None and hops <= 1:
                    M.Add(st_per * max(1, s.asics) <= t.part.accelerators.scale_up_links_per_package) \
                        .OnlyEnforceIf([xt, xs] + group("switch_hops"))
            for k, xk in zip(c.su_cables, x_k):
                if (k.form_factor, float(k.speed), k.lanes) != key:
                    M.AddBoolOr([xt.Not(), xk.Not()])
        # slots per part per frame
        def sl(part, f):
            return slots_for(float(part.height), float(f.slot))

        # scale-out fabric (when asked for and the catalog has leaves and cables): one leaf per rail (NIC port
        # index) carrying every node of the rack, uplinks per leaf for the oversubscription asked, spines for
        # the uplinks
        so = self.fabric
        x_lf = one("leaf", c.so_switches, required=False) if so else []
        x_sp = one("spine", c.so_switches, required=False) if so else []
        x_sc = one("so_cable", c.so_cables, required=False) if so else []
        n_lf = I(0, 64, "n_leaf")
        n_sp = I(0, 64, "n_spine")
        u_up = I(0, 1024, "uplinks_per_leaf")
        uplinks = I(0, 64 * 1024, "uplinks")
        M.AddMultiplicationEquality(uplinks, [n_lf, u_up])
        n_lf_l = split("n_lf_l", n_lf, x_lf, 64) if x_lf else []
        n_sp_s = split("n_sp_s", n_sp, x_sp, 64) if x_sp else []
        if so:
            for v in (x_lf, x_sp, x_sc):
                M.AddExactlyOne(v)
            M.Add(n_lf == sum(nports(t.part, "scale_out") * xt for t, xt in zip(trays, x_t)))
            for t, xt in zip(trays, x_t):
                tk = so_key(t.part)
                for sw, xl, xs in zip(c.so_switches, x_lf, x_sp):
                    if so_key(sw) != tk:
                        M.AddBoolOr([xt.Not(), xl.Not()])
                        M.AddBoolOr([xt.Not(), xs.Not()])
                for (k, xcvr), xk in zip(c.so_cables, x_sc):
                    kk = (xcvr.form_factor if xcvr is not None else k.form_factor, float(k.speed), k.lanes)
                    if kk != tk:
                        M.AddBoolOr([xt.Not(), xk.Not()])
            M.Add(n_sp >= (2 if g.scale_out.redundant else 1))
            r = g.scale_out.max_oversubscription or 1.0
            M.Add(u_up * int(round(r * 1000)) >= n_ct * 1000)
            for lf, xl in zip(c.so_switches, x_lf):
                M.Add(n_ct + u_up <= nports(lf, "scale_out")).OnlyEnforceIf([xl] + group("leaf_ports"))
            for sp, xs in zip(c.so_switches, x_sp):
                M.Add(n_sp * nports(sp, "scale_out") >= uplinks).OnlyEnforceIf([xs] + group("leaf_ports"))
        else:
            M.Add(n_lf == 0)
            M.Add(n_sp == 0)
            M.Add(u_up == 0)
        self._fabric_vars = dict(x_lf=x_lf, x_sp=x_sp, x_sc=x_sc, n_lf=n_lf, n_sp=n_sp, u_up=u_up)
        aux = [(sws, n_st_s), (c.so_switches, n_lf_l), (c.so_switches, n_sp_s)]   # IT parts besides the trays

        # management
        managed = I(0, ub, "managed")
        M.Add(managed == sum((1 if nports(t.part, "management") else 0) * n for t, n in zip(trays, n_ct_t))
              + sum((1 if nports(s, "management") else 0) * n for parts, ns in aux for s, n in zip(parts, ns)))
        has_mg = B("has_mg")
        M.Add(managed >= 1).OnlyEnforceIf(has_mg)
        M.Add(managed == 0).OnlyEnforceIf(has_mg.Not())
        x_m = one("mgmt", c.mgmt, required=False)
        x_mc = one("mgmt_cable", c.mgmt_cables, required=False)
        if not c.mgmt or not c.mgmt_cables:
            M.Add(has_mg == 0)
        else:
            M.Add(sum(x_m) == 1).OnlyEnforceIf(has_mg)
            M.Add(sum(x_m) == 0).OnlyEnforceIf(has_mg.Not())
            M.Add(sum(x_mc) == 1).OnlyEnforceIf(has_mg)
            M.Add(sum(x_mc) == 0).OnlyEnforceIf(has_mg.Not())
        n_mg = I(0, 8, "n_mg")
        n_mg_m = split("n_mg_m", n_mg, x_m, 8) if x_m else []
        for s, n in zip(c.mgmt, n_mg_m):
            M.Add(n * nports(s, "management") >= managed).OnlyEnforceIf(x_m[c.mgmt.index(s)])
        M.Add(n_mg == 0).OnlyEnforceIf(has_mg.Not())
        mgc_n = split("mgc_n", managed, x_mc, ub) if x_mc else []
        # power options
        x_p = one("power", popts)
        for p, xp in zip(popts, x_p):
            for t, xt in zip(trays, x_t):
                if t.scheme != p.kind:
                    M.AddBoolOr([xt.Not(), xp.Not()])
            for f, xf in zip(frames, x_f):
                std = (p.shelf.standard if p.kind == "busbar" else p.pdu.standard)
                if not fits_frame(std, f.standard):
                    M.AddBoolOr([xp.Not(), xf.Not()])
            for s, xm in zip(c.mgmt, x_m):
                if not self._mgmt_ok(s, p):
                    M.AddBoolOr([xp.Not(), xm.Not()])
            for s, xl, xs in zip(c.so_switches, x_lf or [None] * len(c.so_switches),
                                 x_sp or [None] * len(c.so_switches)):
                if not self._mgmt_ok(s, p):
                    for x in (xl, xs):
                        if x is not None:
                            M.AddBoolOr([xp.Not(), x.Not()])
        P_t = [int(round(t.power_w)) for t in trays]
        P_s = [int(round(mount_power(s, self.op))) for s in sws]
        P_m = [int(round(mount_power(s, self.op))) for s in c.mgmt]
        P_so = [int(round(mount_power(s, self.op))) for s in c.so_switches]
        p_fabric = sum(a * n for a, n in zip(P_so, n_lf_l)) + sum(a * n for a, n in zip(P_so, n_sp_s))
        p_rack = I(0, 10**8, "p_rack")
        M.Add(p_rack == sum(a * n for a, n in zip(P_t, n_ct_t)) + sum(a * n for a, n in zip(P_s, n_st_s))
              + sum(a * n for a, n in zip(P_m, n_mg_m)) + p_fabric)
        pmax = self.req.f("power.rack_power_max")
        if pmax is not None:
            M.Add(p_rack * 1000 <= int(pmax) * self.m.power).OnlyEnforceIf(group("power_envelope"))
        psu_red = {"N": 0, "N+1": 1, "N+2": 2, "N+N": 0, None: 0}[g.power.psu_redundancy]
        dual = g.power.feed_redundancy == "dual" or g.power.psu_redundancy == "N+N"
        sh = [[I(0, 16, f"sh_{o}_{j}") for j in range(2)] for o in range(len(popts))]
        npsu = [I(0, 16, f"npsu_{o}") for o in range(len(popts))]
        pf = [[I(0, 256, f"pf_{o}_{j}") for j in range(2)] for o in range(len(popts))]
        ctj = [[[I(0, ub, f"ct_{o}_{j}_{i}") for i in range(len(trays))] for j in range(2)]
               for o in range(len(popts))]
        nsrv = [I(0, 64, f"nsrv_{o}") for o in range(len(popts))]
        prod_srv = [I(0, 64 * ub, f"prodsrv_{o}") for o in range(len(popts))]
        n_feeds = I(0, 8, "n_feeds")
        shelves_tot = I(0, 64, "shelves")
        psus_tot = I(0, 512, "psus")
        M.Add(n_feeds == sum(p.feeds * xp for p, xp in zip(popts, x_p)))
        shelf_cost, psu_cost, bus_cost, pdu_cost = [], [], [], []
        for o, (p, xp) in enumerate(zip(popts, x_p)):
            for j in range(2):
                M.AddMultiplicationEquality(pf[o][j], [sh[o][j], npsu[o]])
            M.AddMultiplicationEquality(prod_srv[o], [n_ct, nsrv[o]])
            if p.kind != "busbar":
                M.Add(npsu[o] == 0)
                for j in range(2):
                    M.Add(sh[o][j] == 0)
                    for v in ctj[o][j]:
                        M.Add(v == 0)
            if p.kind != "pdu":
                M.Add(nsrv[o] == 0)
            if p.kind == "busbar":
                s, psu, bb = p.shelf, p.psu, p.busbar
                M.Add(npsu[o] >= 1).OnlyEnforceIf(xp)
                M.Add(npsu[o] <= s.psu_slots)
                M.Add(npsu[o] == 0).OnlyEnforceIf(xp.Not())
                for j in range(2):
                    M.Add(sh[o][j] == 0).OnlyEnforceIf(xp.Not())
                    if j >= p.segments:
                        M.Add(sh[o][j] == 0)
                        for v in ctj[o][j]:
                            M.Add(v == 0)
                    else:
                        M.Add(sh[o][j] >= 1).OnlyEnforceIf(xp)
                for i in range(len(trays)):
                    M.Add(ctj[o][0][i] + ctj[o][1][i] == n_ct_t[i]).OnlyEnforceIf(xp)
                    for j in range(2):
                        M.Add(ctj[o][j][i] == 0).OnlyEnforceIf(xp.Not())
                rating = float(psu.rating)
                vout = float(s.output_voltage)
                # the busbar runs about 1.5 V below the shelves' set-point at full load (droop and drop), and never
                # below the generation's minimum
                vbus = max(self.req.f("power.busbar_voltage_min") or 0.0, vout - 1.5)
                clip = float(s.output_current_max) if s.output_current_max is not None else 1e9
                for j in range(p.segments):
                    last = j == p.segments - 1
                    load = sum(a * v for a, v in zip(P_t, ctj[o][j]))
                    if j == 0:
                        load = load + sum(a * n for a, n in zip(P_s, n_st_s))
                    if last:
                        load = load + sum(a * n for a, n in zip(P_m, n_mg_m)) + p_fabric
                    # single faults: a feed lost leaves one feed's PSUs; N+x: x PSUs lost of all of them
                    if dual:
                        M.Add(pf[o][j] * int(rating) * self.m.psu >= load * 1000) \
                            .OnlyEnforceIf([xp] + group("psu_capacity"))
                    M.Add((2 * pf[o][j] - psu_red) * int(rating) * self.m.psu >= load * 1000) \
                        .OnlyEnforceIf([xp] + group("psu_capacity"))
                    shelves_left = sh[o][j] if dual else 2 * sh[o][j]
                    M.Add(shelves_left * int(clip * vbus) * self.m.psu >= load * 1000) \
                        .OnlyEnforceIf([xp] + group("shelf_output"))
                    M.Add(load * 1000 <= int(float(bb.rated_current) * vbus) * self.m.bus) \
                        .OnlyEnforceIf([xp] + group("busbar_current"))
                shelf_cost.append((_cost(s), _mass_g(s), s.origin, 2 * (sh[o][0] + sh[o][1])))
                psu_cost.append((_cost(psu), _mass_g(psu), psu.origin, 2 * (pf[o][0] + pf[o][1])))
                bus_cost.append((_cost(bb), _mass_g(bb), bb.origin, p.segments * xp))
            else:
                pdu = p.pdu
                F = p.feeds
                pdu_cost.append((_cost(pdu), _mass_g(pdu), pdu.origin, F * xp))
                for t, xt in zip(trays, x_t):
                    if t.psus is None:
                        M.Add(nsrv[o] == 0).OnlyEnforceIf([xp, xt])
                        continue
                    req_n = t.psus.required + psu_red
                    psu_part = self.cat.get(t.psus.part)
                    M.Add(nsrv[o] >= t.psus.count).OnlyEnforceIf([xp, xt])
                    # no more PSUs than the chassis has bays (RF112); without published bays, the old bound
                    M.Add(nsrv[o] <= _psu_bays(t)).OnlyEnforceIf([xp, xt])
                    if psu_part is not None:
                        # PSUs beyond the server's own fill are bought on their own (the BOM prices them so)
                        extra = I(0, 64 * ub, f"xpsu_{o}_{trays.index(t)}")
                        M.Add(extra == prod_srv[o] - t.psus.count * n_ct).OnlyEnforceIf([xp, xt])
                        M.Add(extra == 0).OnlyEnforceIf(xp.Not())
                        M.Add(extra == 0).OnlyEnforceIf(xt.Not())
                        psu_cost.append((_cost(psu_part), _mass_g(psu_part), psu_part.origin, extra))
                    if dual:
                        q = I(0, 64, f"q_{o}_{trays.index(t)}")
                        M.Add(F * q >= nsrv[o]).OnlyEnforceIf([xp, xt])
                        M.Add(F * q <= nsrv[o] + F - 1).OnlyEnforceIf([xp, xt])
                        M.Add(nsrv[o] - q >= t.psus.required).OnlyEnforceIf([xp, xt] + group("psu_capacity"))
                    M.Add(nsrv[o] >= req_n).OnlyEnforceIf([xp, xt] + group("psu_capacity"))
                    if c.feed_type == "ac" and psu_part is not None and psu_part.input.phases != 3:
                        k3 = I(0, 64 * ub, f"k3_{o}_{trays.index(t)}")
                        M.Add(prod_srv[o] == 3 * F * k3).OnlyEnforceIf([xp, xt] + group("phase_balance"))
                M.Add(nsrv[o] == 0).OnlyEnforceIf(xp.Not())
                # the PDUs left after a feed loss carry the rack
                V = c.feed_v
                cap = float(pdu.input_current) * V * (math.sqrt(3) * 0.99 if c.feed_type == "ac" and
                                                      pdu.input.phases == 3 else 1.0)
                left = F - 1 if dual else F
                M.Add(p_rack * 1000 * 100 <= int(left * cap * 97) * self.m.pdu).OnlyEnforceIf(
                    [xp] + group("pdu_capacity"))
        M.Add(shelves_tot == sum(2 * (sh[o][0] + sh[o][1]) for o in range(len(popts))))
        M.Add(psus_tot == sum(2 * (pf[o][0] + pf[o][1]) for o in range(len(popts))))
        # rack units and mass, per frame
        used = I(0, 1000, "used_slots")
        mass = I(0, 10**9, "mass_g")
        for f, xf in zip(frames, x_f):
            u = (sum(sl(t.part, f) * n for t, n in zip(trays, n_ct_t))
                 + sum(sl(s, f) * n for parts, ns in aux for s, n in zip(parts, ns))
                 + sum(sl(s, f) * n for s, n in zip(c.mgmt, n_mg_m))
                 + sum(sl(p.shelf, f) * 2 * (sh[o][0] + sh[o][1]) for o, p in enumerate(popts) if p.kind == "busbar"))
            M.Add(used == u).OnlyEnforceIf(xf)
            M.Add(used <= f.slots).OnlyEnforceIf([xf] + group("rack_units"))
        eq_mass = (sum(_mass_g(t.part) * n for t, n in zip(trays, n_ct_t))
                   + sum(_mass_g(s) * n for parts, ns in aux for s, n in zip(parts, ns))
                   + sum(_mass_g(s) * n for s, n in zip(c.mgmt, n_mg_m)))
        for cst in shelf_cost + psu_cost + bus_cost + pdu_cost:
            eq_mass = eq_mass + cst[1] * cst[3]
        x_man_pre = self._x_man = [B(f"manifold_{i}") for i in range(len(c.manifolds))]
        eq_mass = eq_mass + sum(_mass_g(mf) * xm for mf, xm in zip(c.manifolds, x_man_pre))
        M.Add(mass == eq_mass)
        gmax = self.req.f("physical.max_rack_mass")
        for f, xf in zip(frames, x_f):
            lim = float(f.max_payload)
            if gmax is not None:
                lim = min(lim, gmax - (float(f.mass) if f.mass is not None else 0.0))
            M.Add(mass * 1000 <= int(lim * 1000) * self.m.mass).OnlyEnforceIf([xf] + group("mass"))
        # scale-up cable length: half the compute block plus the switch block, plus the cut margin
        for f, xf in zip(frames, x_f):
            span = (sum(sl(t.part, f) * n for t, n in zip(trays, n_ct_t))
                    + 2 * sum(sl(s, f) * n for s, n in zip(sws, n_st_s)))
            pitch_mm = float(f.slot) * 1000
            for k, xk in zip(c.su_cables, x_k):
                lim = int(float(k.length) * 1000) - self.m.cable_extra_mm
                M.Add(span * int(pitch_mm) <= 2 * lim).OnlyEnforceIf([xf, xk] + group("cable_reach"))
        # cooling
        liquid = any(t.part.liquid is not None for t in trays) or any(s.liquid is not None for s in sws)
        x_c = one("cdu", c.cdus, required=False) if liquid else []
        x_man = self._x_man if liquid else []
        if x_man:
            M.AddAtMostOne(x_man)
        else:
            for xm in self._x_man:
                M.Add(xm == 0)
        share = I(0, 100, "share_pct")
        n_cdu = I(0, 1000, "n_cdu")
        heat = I(0, 10**8, "heat_w")
        flow = I(0, 10**8, "flow_clpm")
        nliq = I(0, ub, "n_liquid")
        M.Add(heat == sum(int(round(t.liquid_w)) * n for t, n in zip(trays, n_ct_t))
              + sum(int(round(_liq(s, self.op))) * n for parts, ns in aux for s, n in zip(parts, ns)))
        M.Add(flow == sum(int(round(t.flow_lpm * 100)) * n for t, n in zip(trays, n_ct_t))
              + sum(int(round(float(s.liquid.min_flow) * 6e6)) * n for parts, ns in aux for s, n in zip(parts, ns)
                    if s.liquid))
        M.Add(nliq == sum((1 if t.part.liquid else 0) * n for t, n in zip(trays, n_ct_t))
              + sum((1 if s.liquid else 0) * n for parts, ns in aux for s, n in zip(parts, ns)))
        has_liq = B("has_liquid")
        M.Add(nliq >= 1).OnlyEnforceIf(has_liq)
        M.Add(nliq == 0).OnlyEnforceIf(has_liq.Not())
        if x_c:
            M.Add(sum(x_c) == 1).OnlyEnforceIf(has_liq)
            M.Add(sum(x_man) == 1).OnlyEnforceIf(has_liq)
            M.Add(sum(x_c) == 0).OnlyEnforceIf(has_liq.Not())
            M.Add(sum(x_man) == 0).OnlyEnforceIf(has_liq.Not())
        else:
            M.Add(has_liq == 0)
        lmin = self.req.f("cooling.liquid_share_min")
        if lmin:
            M.Add(heat * 1000 >= int(math.ceil(lmin * 1000)) * p_rack).OnlyEnforceIf(group("liquid_share"))
        M.Add(share >= 1).OnlyEnforceIf(has_liq)
        M.Add(share == 0).OnlyEnforceIf(has_liq.Not())
        n_cdu_c = split("n_cdu_c", n_cdu, x_c, 1000) if x_c else []
        M.Add(n_cdu * 100 >= self.R * share)
        M.Add(n_cdu * 100 < self.R * share + 100)
        for d, xc in zip(c.cdus, x_c):
            M.Add(share * int(float(d.capacity)) * self.m.cdu >= heat * 100 * 1000).OnlyEnforceIf(
                [xc] + group("cdu_capacity"))
            M.Add(share * int(float(d.rated_flow) * 6e6) * self.m.cdu >= flow * 100 * 1000).OnlyEnforceIf(
                [xc] + group("cdu_flow"))
        for mf, xm in zip(c.manifolds, x_man):
            M.Add(nliq <= mf.taps).OnlyEnforceIf([xm] + group("manifold_taps"))
            for f, xf in zip(frames, x_f):
                if not fits_frame(mf.standard, f.standard) or (mf.standard != "any" and mf.standard != f.standard):
                    M.AddBoolOr([xm.Not(), xf.Not()])
        # blanking panels (one per empty slot; BOM counts them)
        blanks = I(0, 1000, "blanks")
        for f, xf in zip(frames, x_f):
            M.Add(blanks == f.slots - used).OnlyEnforceIf(xf)
        bl_terms = []
        for f, xf in zip(frames, x_f):
            bp = _blank_for(f, c.blanks)
            if bp is not None:
                bf = I(0, 1000, f"blank_{f.pn}")
                M.Add(bf == blanks).OnlyEnforceIf(xf)
                M.Add(bf == 0).OnlyEnforceIf(xf.Not())
                bl_terms.append((_cost(bp), _mass_g(bp), bp.origin, bf))
        # cost, mass and origin terms: (unit cost, unit mass g, origin, count expression)
        terms = []
        terms += [(_cost(f), _mass_g(f), f.origin, self.R * xf) for f, xf in zip(frames, x_f)]
        for t, n in zip(trays, n_ct_t):
            terms.append((_cost(t.part), _mass_g(t.part), t.part.origin, self.R * n))
            if t.part.liquid is not None:
                qd = self.cat.get(t.part.liquid.quick_disconnect)
                hs = self.cat.get(t.part.liquid.hose) if t.part.liquid.hose else None
                terms.append((_cost(qd), _mass_g(qd), qd.origin if qd else None, self.R * QDS * n))
                if hs is not None:
                    terms.append((_cost(hs), _mass_g(hs), hs.origin, self.R * HOSES * n))
        for s, n in [(s, n) for parts, ns in aux for s, n in zip(parts, ns)]:
            terms.append((_cost(s), _mass_g(s), s.origin, self.R * n))
            if s.liquid is not None:
                qd = self.cat.get(s.liquid.quick_disconnect)
                hs = self.cat.get(s.liquid.hose) if s.liquid.hose else None
                terms.append((_cost(qd), _mass_g(qd), qd.origin if qd else None, self.R * QDS * n))
                if hs is not None:
                    terms.append((_cost(hs), _mass_g(hs), hs.origin, self.R * HOSES * n))
        terms += [(_cost(s), _mass_g(s), s.origin, self.R * n) for s, n in zip(c.mgmt, n_mg_m)]
        terms += [(a, b, o, self.R * e) for a, b, o, e in shelf_cost + psu_cost + bus_cost + pdu_cost]
        terms += [(a, b, o, self.R * e) for a, b, o, e in bl_terms]
        terms += [(_cost(d), _mass_g(d), d.origin, n) for d, n in zip(c.cdus, n_cdu_c)]
        terms += [(_cost(mf), _mass_g(mf), mf.origin, self.R * xm) for mf, xm in zip(c.manifolds, x_man)]
        terms += [(_cost(k), _mass_g(k), k.origin, self.R * n) for k, n in zip(c.mgmt_cables, mgc_n)]
        if x_k:
            links = I(0, 10**6, "su_links")
            M.Add(links == sum(nports(t.part, "scale_up") * n for t, n in zip(trays, n_ct_t) if not t.internal))
            lk = split("su_links_k", links, x_k, 10**6)
            terms += [(_cost(k), _mass_g(k), k.origin, self.R * n) for k, n in zip(c.su_cables, lk)]
        if x_sc:
            so_links = I(0, 10**6, "so_links")
            M.Add(so_links == sum(nports(t.part, "scale_out") * n for t, n in zip(trays, n_ct_t)) + uplinks)
            sl_k = split("so_links_k", so_links, x_sc, 10**6)
            for (k, xcvr), n in zip(c.so_cables, sl_k):
                terms.append((_cost(k), _mass_g(k), k.origin, self.R * n))
                if xcvr is not None:
                    terms.append((_cost(xcvr), _mass_g(xcvr), xcvr.origin, 2 * self.R * n))
            # a cable reaches from the lowest node to the highest switch: at most the slots in use
            for f, xf in zip(frames, x_f):
                for (k, _), xk in zip(c.so_cables, x_sc):
                    M.Add(used * int(float(f.slot) * 1000) <= int(float(k.length) * 1000) - self.m.cable_extra_mm) \
                        .OnlyEnforceIf([xf, xk] + group("cable_reach"))
        self.terms = terms
        self.cost = sum(a * e for a, _, _, e in terms)
        self.mass = sum(b * e for _, b, _, e in terms)
        dom = set(g.supply_chain.domestic_countries or [])
        self.dom_cost = sum(a * e for a, _, o, e in terms if o in dom)
        self.power_w = p_rack * self.R
        dmin = self.req.f("supply_chain.domestic_share_min")
        if dmin:
            M.Add(self.dom_cost * 1000 >= int(math.ceil(dmin * 1000)) * self.cost).OnlyEnforceIf(
                group("domestic_share"))
        # cuts: forbid earlier assignments (no-good cuts on the choice Booleans and the main counts)
        self.sig_vars = {"frame": x_f, "tray": x_t, "switch": x_s, "power": x_p, "cdu": x_c, "manifold": x_man,
                         "mgmt": x_m, "su_cable": x_k, "mgmt_cable": x_mc, "leaf": x_lf, "spine": x_sp,
                         "so_cable": x_sc}
        self.count_vars = {"n_dom": n_dom, "st_per": st_per, "n_mg": n_mg, "shelves": shelves_tot,
                           "psus": psus_tot, "n_feeds": n_feeds}
        self.v = dict(x_f=x_f, x_t=x_t, x_s=x_s, x_k=x_k, x_p=x_p, x_c=x_c, x_man=x_man, x_m=x_m, x_mc=x_mc,
                      n_dom=n_dom, st_per=st_per, sh=sh, npsu=npsu, ctj=ctj, nsrv=nsrv, share=share, n_cdu=n_cdu,
                      n_mg=n_mg, p_rack=p_rack, mass=mass, used=used, heat=heat)
        for cut in cuts:
            self.add_cut(cut)
        return M

    def add_cut(self, sig: tuple) -> None:
        """Forbid one earlier solution: at least one choice or main count differs."""
        M = self.M
        lits = []
        for name, idx in sig[0]:
            xs = self.sig_vars[name]
            if idx is None:
                lits.extend(xs)
            else:
                lits.append(xs[idx].Not())
        for name, val in sig[1]:
            v = self.count_vars[name]
            b = M.NewBoolVar(f"cut_{name}")
            M.Add(v != val).OnlyEnforceIf(b)
            M.Add(v == val).OnlyEnforceIf(b.Not())
            lits.append(b)
        M.AddBoolOr(lits)

    def _mgmt_ok(self, s, p: PowerOpt) -> bool:
        inp = s.input
        if p.kind == "busbar":
            v = float(p.shelf.output_voltage)
            return inp.type == "dc" and float(inp.voltage_min) <= v - 2.5 and v <= float(inp.voltage_max)
        if inp.type != self.c.feed_type:
            return False
        V = self.c.feed_v
        cands = [V, V / math.sqrt(3)] if self.c.feed_type == "ac" else [V]
        return any(float(inp.voltage_min) <= x <= float(inp.voltage_max) for x in cands)

    # ------------------------------------------------------------------------------------------------------
    def solve(self, objective_expr, *, maximize: bool = False, hint_bound=None):
        from ortools.sat.python import cp_model

        M = self.M
        if maximize:
            M.Maximize(objective_expr)
        else:
            M.Minimize(objective_expr)
        s = cp_model.CpSolver()
        s.parameters.num_workers = 1
        s.parameters.random_seed = 0
        s.parameters.max_deterministic_time = 20.0
        if self.assumptions:
            M.ClearAssumptions()
            M.AddAssumptions(list(self.assumptions.values()))
        st = s.Solve(M)
        return s, st

    def read(self, s) -> Solution:
        v = self.v
        c = self.c

        def pick(xs, opts):
            for x, o in zip(xs, opts):
                if s.Value(x):
                    return o, opts.index(o)
            return None, None

        frame, fi = pick(v["x_f"], c.frames)
        tray, ti = pick(v["x_t"], c.trays)
        sw, si = pick(v["x_s"], c.switches)
        suc, ki = pick(v["x_k"], c.su_cables)
        p, pi = pick(v["x_p"], self.popts)
        cdu, ci = pick(v["x_c"], c.cdus)
        man, mi = pick(v["x_man"], c.manifolds)
        mg, gi = pick(v["x_m"], c.mgmt)
        mgc, hi = pick(v["x_mc"], c.mgmt_cables)
        shj = [s.Value(x) for x in v["sh"][pi]]
        ctj = [s.Value(v["ctj"][pi][j][ti]) for j in range(2)]
        sol = Solution(frame=frame, tray=tray, n_dom=s.Value(v["n_dom"]), per_dom=tray.per_domain, switch=sw,
                       st_per_dom=s.Value(v["st_per"]), su_cable=suc, power=p, shelves_per_feed=shj,
                       psus_per_shelf=s.Value(v["npsu"][pi]), ct_per_segment=ctj,
                       psus_per_server=s.Value(v["nsrv"][pi]), cdu=cdu, share_pct=s.Value(v["share"]),
                       n_cdu=s.Value(v["n_cdu"]), manifold=man, mgmt=mg, n_mg=s.Value(v["n_mg"]), mgmt_cable=mgc,
                       blank=_blank_for(frame, c.blanks))
        fv = self._fabric_vars
        lf, li = pick(fv["x_lf"], c.so_switches)
        sp, pj = pick(fv["x_sp"], c.so_switches)
        sc, cj = pick(fv["x_sc"], c.so_cables)
        sol.leaf, sol.n_leaf, sol.spine, sol.n_spine = lf, s.Value(fv["n_lf"]), sp, s.Value(fv["n_sp"])
        sol.uplinks_per_leaf, sol.so_cable = s.Value(fv["u_up"]), sc
        sol.signature = (
            (("frame", fi), ("tray", ti), ("switch", si), ("power", pi), ("cdu", ci), ("manifold", mi),
             ("mgmt", gi), ("su_cable", ki), ("mgmt_cable", hi), ("leaf", li), ("spine", pj), ("so_cable", cj)),
            tuple((k, s.Value(x)) for k, x in sorted(self.count_vars.items())),
        )
        return sol


def _liq(part, op: str) -> float:
    from rackforge.features.configure.candidates import liquid_heat, op_ratio

    return liquid_heat(part, op_ratio(part, op)) if part.liquid is not None else 0.0


def _blank_for(frame, blanks):
    ok = [b for b in blanks if b.standard in ("any", frame.standard)
          and slots_for(float(b.height), float(frame.slot)) == 1]
    return min(ok, key=lambda b: (_cost(b), b.pn)) if ok else None
