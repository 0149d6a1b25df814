"""Power lowering, the result: :class:`PowerAnalysis`, the figures of a design's power network and fault sweep.

What :func:`rackforge.lowering.power.analyze` returns (``ctx.power``): the base case and every fault scenario over
the first instance of each rack definition, the per-element margins the RF2xx rules read, and ``to_json()`` for
``rackforge analyze``. Built in :mod:`rackforge.lowering.power`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# fault kinds
F_PSU, F_SHELF, F_PDU, F_FEED, F_BBU = "psu", "shelf", "pdu", "feed", "bbu"


@dataclass
class PowerAnalysis:
    """The power figures of a design: base case and fault sweep over the first instance of each rack definition.

    Arrays are ``[n_scen, n_element]`` over the representative elements (scenario 0 is the base case). Metadata
    lists (``psus``, ``groups``, ``segs``, ``loads``, ``feeds``, ``pdus``) hold dicts with ``name``, ``ptr``
    (JSON Pointer), ``block`` (index into ``blocks``) and the element's ratings in SI units.
    """

    empty: bool
    path: str = "none"
    solves: int = 0
    blocks: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    kinds: list = field(default_factory=list)
    scen_block: list = field(default_factory=list)
    same_net_psu_pair: np.ndarray | None = None
    psus: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    segs: list = field(default_factory=list)
    loads: list = field(default_factory=list)
    feeds: list = field(default_factory=list)
    pdus: list = field(default_factory=list)
    bbus: list = field(default_factory=list)
    mismatches: list = field(default_factory=list)
    freq_mismatches: list = field(default_factory=list)
    unpowered: list = field(default_factory=list)
    psu_lf: np.ndarray | None = None
    psu_p_out_w: np.ndarray | None = None
    psu_eta: np.ndarray | None = None
    psu_eta_peak: np.ndarray | None = None
    psu_p_in_w: np.ndarray | None = None
    group_i_a: np.ndarray | None = None
    group_p_w: np.ndarray | None = None
    group_psu_lf_max: np.ndarray | None = None
    seg_i_a: np.ndarray | None = None
    seg_loading: np.ndarray | None = None
    load_v: np.ndarray | None = None
    load_served: np.ndarray | None = None
    bus_node_v: np.ndarray | None = None
    bus_nodes: list = field(default_factory=list)
    feed_line_a: np.ndarray | None = None
    feed_i_a: np.ndarray | None = None
    feed_loading: np.ndarray | None = None
    feed_imbalance: np.ndarray | None = None
    pdu_line_a: np.ndarray | None = None
    pdu_loading: np.ndarray | None = None
    unserved_w: np.ndarray | None = None
    conservation_w: np.ndarray | None = None
    converged: np.ndarray | None = None
    totals: dict = field(default_factory=dict)
    rack_totals: list = field(default_factory=list)
    holdup: list = field(default_factory=list)   # per feed-loss scenario: dict
    holdup_required_s: float | None = None
    seconds: float = 0.0

    # ---- scenario selection -------------------------------------------------------------------------------------
    def mask(self, *, psu: bool = False, psu_pairs: bool = False, shelf: bool = False, pdu: bool = False,
             feed: bool = False, bbu: bool = False, pairs: bool = False) -> np.ndarray:
        """Scenarios made only of the fault kinds asked for (singles; ``pairs`` adds every pair of those kinds,
        ``psu_pairs`` adds pairs of PSUs in one network)."""
        want = {F_PSU: psu, F_SHELF: shelf, F_PDU: pdu, F_FEED: feed, F_BBU: bbu}
        out = np.zeros(len(self.kinds), bool)
        for s, ks in enumerate(self.kinds):
            if not ks:
                continue
            if not all(want[k] for k in ks):
                continue
            if len(ks) == 1:
                out[s] = True
            elif pairs or (psu_pairs and self.same_net_psu_pair[s]):
                out[s] = True
        return out

    def scenario_problems(self, s: int) -> list[tuple[str, float, float]]:
        """(what, value, limit) of everything wrong in scenario ``s`` (loading as fractions, voltages in V)."""
        out = []
        real = np.array([not p["virtual"] for p in self.psus], bool)
        uns = ~self.load_served[s] & (np.array([x["p_w"] for x in self.loads]) > 0)
        for li in np.flatnonzero(uns):
            ld = self.loads[li]
            out.append((f"load {self.inst_name(ld)} unserved at {self.load_v[s, li]:.1f} V", self.load_v[s, li],
                        ld["v_min"]))
        for pi in np.flatnonzero(real & (self.psu_lf[s] > 1 + 1e-9)):
            p = self.psus[pi]
            out.append((f"PSU {self.inst_name(p)} at {self.psu_lf[s, pi]:.0%} of its rating", self.psu_lf[s, pi], 1.0))
        for gi, g in enumerate(self.groups):
            if self.group_i_a[s, gi] > g["clip_a"] * (1 + 1e-9):
                out.append((f"shelf {self.inst_name(g)} output {self.group_i_a[s, gi]:.0f} A over its "
                            f"{g['clip_a']:.0f} A rating", self.group_i_a[s, gi] / g["clip_a"], 1.0))
        return out

    def inst_name(self, meta: dict) -> str:
        b = self.blocks[meta["block"]]
        return f"{b.rd.instances[0].id}/{meta['name']}"

    def redundancy_failures(self, mask: np.ndarray) -> list[int]:
        """Scenarios in ``mask`` with unserved load or a PSU / shelf over its rating."""
        real = np.array([not p["virtual"] for p in self.psus], bool)
        clip = np.array([g["clip_a"] for g in self.groups]) if self.groups else np.zeros(0)
        pw = np.array([x["p_w"] for x in self.loads]) if self.loads else np.zeros(0)
        bad = np.zeros(len(self.kinds), bool)
        if self.loads:
            bad |= np.any(~self.load_served & (pw > 0), axis=1)
        if real.any():
            bad |= np.any(self.psu_lf[:, real] > 1 + 1e-9, axis=1)
        if self.groups:
            bad |= np.any(self.group_i_a > clip * (1 + 1e-9), axis=1)
        return [int(s) for s in np.flatnonzero(bad & mask)]

    def severity_of(self, s: int) -> float:
        """How bad scenario ``s`` is: unserved load [W] first, then the worst PSU/shelf loading."""
        real = np.array([not p["virtual"] for p in self.psus], bool)
        lf = float(self.psu_lf[s, real].max()) if real.any() else 0.0
        clip = np.array([g["clip_a"] for g in self.groups]) if self.groups else np.zeros(0)
        gl = float((self.group_i_a[s] / clip).max()) if self.groups else 0.0
        return float(self.unserved_w[s]) * 1e6 + max(lf, gl)

    # ---- output -------------------------------------------------------------------------------------------------
    def to_json(self) -> dict:
        if self.empty:
            return {"modelled": False}
        r6 = _r6
        out: dict = {"modelled": True, "solver": self.path, "network_solves": self.solves,
                     "scenarios": len(self.labels), **{k: r6(v) for k, v in self.totals.items()}}
        out["racks"] = [{k: (r6(v) if isinstance(v, float) else v) for k, v in rt.items()} for rt in self.rack_totals]
        shelves, servers = [], []
        for gi, g in enumerate(self.groups):
            mine = [pi for pi, p in enumerate(self.psus) if p["block"] == g["block"] and p["group"] == g["local"]]
            row = {"rack": self.blocks[g["block"]].rd.instances[0].id, "name": g["name"], "kind": g["kind"],
                   "part": g["pn"], "psus": len(mine), "output_w": r6(self.group_p_w[0, gi]),
                   "output_current_a": r6(self.group_i_a[0, gi]),
                   "psu_load_fraction_max": r6(self.group_psu_lf_max[0, gi]),
                   "input_w": r6(float(sum(self.psu_p_in_w[0, pi] for pi in mine)))}
            if math.isfinite(g["clip_a"]):
                row["output_current_max_a"] = r6(g["clip_a"])
            if mine and not self.psus[mine[0]]["virtual"]:
                row["psu_rating_w"] = r6(self.psus[mine[0]]["rating"])
                row["efficiency"] = r6(float(self.psu_eta[0, mine].mean()))
            ld = next((x for x in self.loads if x["block"] == g["block"] and x["group"] == g["local"]), None)
            if ld is not None:  # the vendor's figure and what it measures (ac_input: equals input_w)
                row["power_figure_w"] = r6(ld["figure_w"])
                row["power_basis"] = ld["basis"]
            (shelves if g["kind"] == "shelf" else servers).append(row)
        out["shelves"] = shelves
        out["servers"] = servers
        if len(self.psus) <= 64:
            out["psus"] = [{"name": self.inst_name(p), "connection": "+".join(p["conn"]), "feed": p["feed_name"],
                            "input_voltage_v": r6(p["v_in"]), "output_w": r6(self.psu_p_out_w[0, i]),
                            "load_fraction": r6(self.psu_lf[0, i]), "efficiency": r6(self.psu_eta[0, i]),
                            "input_w": r6(self.psu_p_in_w[0, i])}
                           for i, p in enumerate(self.psus) if not p["virtual"]]
        out["feeds"] = [{"name": f["name"], "type": f["type"], "voltage_v": r6(f["voltage_v"]),
                         "limit_a": r6(f["limit_a"]), "input_w": r6(f["p_in_w"]),
                         "line_current_a": [r6(x) for x in self.feed_line_a[0, i]] if f["type"] != "dc" else None,
                         "current_a": r6(self.feed_i_a[0, i]), "loading": r6(self.feed_loading[0, i]),
                         "phase_imbalance": r6(self.feed_imbalance[0, i]) if f["type"] == "ac3" else None,
                         "worst_scenario": self.labels[int(np.argmax(self.feed_loading[:, i]))],
                         "worst_loading": r6(float(self.feed_loading[:, i].max()))}
                        for i, f in enumerate(self.feeds)]
        out["pdus"] = [{"name": self.inst_name(p), "rated_current_a": r6(p["rated_a"]),
                        "line_current_a": [r6(x) for x in self.pdu_line_a[0, i]],
                        "loading": r6(self.pdu_loading[0, i]),
                        "worst_loading": r6(float(self.pdu_loading[:, i].max()))} for i, p in enumerate(self.pdus)]
        out["segments"] = [{"name": self.inst_name(sg), "from_m": r6(sg["z0"]), "to_m": r6(sg["z1"]),
                            "resistance_ohm": r6(sg["r"]), "current_a": r6(self.seg_i_a[0, i]),
                            "rated_current_a": r6(sg["rated_a"]), "loading": r6(self.seg_loading[0, i]),
                            "worst_loading": r6(float(self.seg_loading[:, i].max()))}
                           for i, sg in enumerate(self.segs)]
        bus = [i for i, x in enumerate(self.loads) if x["group"] is None]
        if bus:
            li = bus[int(np.argmin([self.load_v[0, i] - self.loads[i]["v_min"] for i in bus]))]
            ld = self.loads[li]
            out["min_tap_voltage"] = {"load": self.inst_name(ld), "voltage_v": r6(self.load_v[0, li]),
                                      "minimum_v": r6(ld["v_min"])}
        out["worst_scenario"] = self.worst_scenario()
        if self.holdup:
            out["holdup"] = self.holdup
        return out

    def worst_scenario(self) -> dict | None:
        if len(self.labels) <= 1:
            return None
        sev = [self.severity_of(s) for s in range(1, len(self.labels))]
        s = 1 + int(np.argmax(sev))
        real = np.array([not p["virtual"] for p in self.psus], bool)
        lf = float(self.psu_lf[s, real].max()) if real.any() else 0.0
        margins = {"unserved_w": _r6(float(self.unserved_w[s])),
                   "psu_load_fraction_max": _r6(lf),
                   "feed_loading_max": _r6(float(self.feed_loading[s].max())) if self.feeds else None,
                   "busbar_loading_max": _r6(float(self.seg_loading[s].max())) if self.segs else None}
        margin = 1.0 - max(lf, margins["feed_loading_max"] or 0.0, margins["busbar_loading_max"] or 0.0)
        return {"scenario": self.labels[s], **margins, "margin": _r6(margin),
                "problems": [p[0] for p in self.scenario_problems(s)][:10]}


def _r6(x):
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return round(x, 6)
