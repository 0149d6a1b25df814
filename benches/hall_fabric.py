"""Bench: ``rackforge validate`` on halls of GB200 NVL72 racks with a generated scale-out fabric (``hall_fabric``).

Run ``python benches/hall_fabric.py`` (both families), ``--family seed|large``, or
``python benches/hall_fabric.py --write-seed`` to rewrite ``seeds/halls/hall-gb200-fabric.yaml``.

Two families of designs, each a real design file read by the real loader:

* ``seed``: the hall seed's layout (rows of 24 NVL72 racks, SU = 8 racks, non-blocking, SN5600 switches as
  128 x 400G, media by reach) at 126 .. 1,008 racks. 1,008 racks: 3 tiers, 3,600 switches, 217,728 fabric links.
* ``large``: 1,008 .. 10,080 racks, SU = 84 racks, leaves 3:1 oversubscribed (a non-blocking 3-tier Clos of
  128-port switches holds at most 128^3 / 4 = 524,288 NIC ports; 10,080 racks have 725,760). 10,080 racks:
  13,568 switches, 1.2 million fabric links (plus 13 million NVLink and 272,000 management links).

The generation extends ``gb200-nvl72`` with a bisection requirement and fabric redundancy, so validate runs every
RF4xx rule including the bisection max-flow (networkx preflow-push on the device graph) and the articulation-point
search, besides the hall-fabric and fabric-sanity rules. Each size runs in a fresh subprocess; the bench reports
wall time of validate (load, resolve, place the switch racks, lower, every rule), the time of the phases, the
peak RSS, and growth exponents between sizes (log t2/t1 / log n2/n1).

Measured (2 cores shared with two other sessions; ``--family large``, 1-minute load average in brackets):

* before (commit 2dbac16: bisection by networkx preflow-push on the whole scale-out device graph, articulation
  points and bridges by networkx, the scale-up report over all 13 M NVLink links): 10,080 racks validate
  102.5 s (load 1.4; phases: network lowering 12.4 s, link checks 8.3, scale-up 19.3, scale-out 4.5, bisection
  38.9, single points of failure 13.6, rack power 2.4), CPU 102 s, peak RSS 6.1 GiB; a second run 118 s (load
  2.2). 1,008 racks: 44 s under load 5.8.
* after (bisection on the graph with each side contracted into its terminal, scipy Dinic in integers; one
  array Tarjan search; scale-up report once per rack definition, tiled; scale-out figures on the scale-out links
  only; each SU on its own switch racks): 1,008 racks 3.6 s (load 1.3), 555 MiB; 2,520 racks 6.3 s (1.5),
  1.1 GiB; 5,040 racks 11.6 s (1.6), 2.0 GiB; 10,080 racks 26.0 s (1.9; CPU 25.8 s, process wall 43.9 s with
  the baseline), 3.7 GiB; phases at 10,080 (load 1.6): lowering 7.0 s, link checks 8.0, scale-up 0.3, scale-out
  1.9, bisection 0.27, single points of failure 0.13, rack power 2.4. Time exponents 0.62 / 0.87 / 1.17, memory
  0.76 / 0.84 / 0.92. Findings unchanged in kind (RF420: a 3:1 fabric misses the full-bisection floor the bench
  generation sets; RF423 idle spare switches; RF425 half-used cages). Baseline ratio 96-131x.

Baseline: the same fabric links built the conventional way, one networkx edge per cable with its attributes
(``nx.MultiGraph.add_edge`` in a Python loop) and the port-reuse check done on it (degree of every port node),
against the generator's vectorised expansion plus the numpy link checks on the same links; the ratio is printed.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:  # run from a checkout without installing
    import rackforge  # noqa: F401
except ImportError:
    sys.path.insert(0, str(ROOT))

SEED = ROOT / "seeds" / "halls" / "hall-gb200-fabric.yaml"
GENERATIONS = {"generations": [{
    "id": "bench-hall-fabric", "name": "gb200-nvl72 hall with full bisection and a redundant fabric",
    "extends": "gb200-nvl72",
    "scale_out": {"min_bisection_per_accelerator": "400 Gbit/s", "redundant": True,
                  "max_oversubscription": 3.0}}]}
MEDIA = [
    {"max_length": "5 m", "cable": "ACC-800G-2x400G-SPLIT-5M", "stages": ["node_leaf"]},
    {"max_length": "50 m", "cable": "MPO12-MM-FIBRE", "transceivers": ["OSFP-400G-SR4", "OSFP-800G-2xSR4"],
     "stages": ["node_leaf"], "cut_step": "5 m"},
    {"max_length": "50 m", "cable": "MPO12-MM-FIBRE", "transceivers": ["OSFP-800G-2xSR4"],
     "stages": ["leaf_spine", "spine_core"], "cut_step": "5 m"},
    {"max_length": "100 m", "cable": "MPO12-SM-FIBRE", "transceivers": ["OSFP-400G-DR4-100M", "OSFP-800G-2xDR4-TWIN"],
     "stages": ["node_leaf"], "cut_step": "5 m"},
    {"max_length": "100 m", "cable": "MPO12-SM-FIBRE", "transceivers": ["OSFP-800G-2xDR4-TWIN"],
     "stages": ["leaf_spine", "spine_core"], "cut_step": "5 m"},
    {"max_length": "2 km", "cable": "LC-DUPLEX-SM-FIBRE", "transceivers": ["OSFP-800G-2xFR4-TWIN"],
     "stages": ["leaf_spine", "spine_core"], "cut_step": "10 m"},
]


def netrack(switches: int = 12) -> dict:
    return {
        "frame": "EIA-48U-600x1200",
        "power": {"feeds": [
            {"id": "A", "type": "ac3", "voltage": "415 V", "frequency": "50 Hz", "breaker": "63 A", "derating": 0.8,
             "power_factor": 0.99, "source": "UPS-A"},
            {"id": "B", "type": "ac3", "voltage": "415 V", "frequency": "50 Hz", "breaker": "63 A", "derating": 0.8,
             "power_factor": 0.99, "source": "UPS-B"}]},
        "mounts": [{"id": "pdu-a", "part": "PDU-3P-415V-63A", "side": "left", "face": "rear", "feed": "A"},
                   {"id": "pdu-b", "part": "PDU-3P-415V-63A", "side": "right", "face": "rear", "feed": "B"}]
        + [{"id": f"sw{k + 1:02d}", "part": "SN5600", "u": 1 + 2 * k, "feeds": ["pdu-a", "pdu-b"]}
           for k in range(switches)]
        + [{"id": "mgmt", "part": "SN2201-AC", "u": 40, "feeds": ["pdu-a", "pdu-b"]}],
        "patterns": [{"type": "management", "devices": "sw*", "switch": "mgmt", "cable": "CAT6-RJ45-3M"}],
    }


def hall(rows: int, per_row: int = 24, racks_per_su: int = 8, oversubscription: float = 1.0,
         name: str | None = None) -> dict:
    """A hall of ``rows x per_row`` GB200 NVL72 racks (the seed's rack) with a generated scale-out fabric."""
    seed = json.loads((ROOT / "seeds" / "gb200-nvl72.json").read_text())
    n = rows * per_row
    return {
        "rackforge": 1,
        "name": name or f"hall-gb200-fabric-{n}",
        "description": (
            f"A hall of {n:,} GB200 NVL72 racks ({n * 72:,} GPUs, {n * 18:,} compute trays with 4 x 400G CX-7 "
            f"each) with a generated rail-optimised scale-out fabric: scalable units of {racks_per_su} racks, "
            f"Spectrum-4 SN5600 switches run as 128 x 400G, leaves {oversubscription:g}:1; leaf (and pod-spine) "
            f"racks at the end of each SU's row, spines of two tiers or cores in the central row "
            f"R{rows // 2:02d}C. Media by reach: linear active copper splitters to 5 m, multimode SR4 to 50 m, "
            "single-mode DR4 to 100 m, FR4 to 2 km."),
        "generation": "gb200-nvl72",
        "site": dict(seed["site"]),
        "templates": {"nvl72": seed["templates"]["nvl72"], "netrack": netrack()},
        "rows": [{"id": f"R{r + 1:02d}", "template": "nvl72", "count": per_row} for r in range(rows)],
        "waivers": [
            {"rule": "RF308", "target": "/templates/netrack", "reason": "network racks are air-cooled 19-inch "
             "switch racks; the gb200-nvl72 profile asks 85% liquid of the NVL72 compute racks"},
            {"rule": "RF107", "target": "/templates/netrack/frame", "reason": "SN5600 switches are 19-inch EIA "
             "gear in EIA racks; the profile allows only the ORv3/MGX frame of the NVL72 compute racks"},
        ],
        "hall_fabric": {
            "nodes": "*/ct*", "racks_per_su": racks_per_su, "tiers": "auto", "oversubscription": oversubscription,
            "leaf": {"template": "netrack"}, "spine": {"template": "netrack"}, "core": {"template": "netrack"},
            "core_row": f"R{rows // 2:02d}C", "media": MEDIA,
        },
    }


FAMILIES = {
    # rows of 24 racks: 126 .. 1,008 racks, SU 8 racks, non-blocking (the seed's layout)
    "seed": [dict(rows=r, per_row=24, racks_per_su=8, oversubscription=1.0) for r in (6, 12, 21, 42)],
    # rows of 84 racks (one SU per row): 1,008 .. 10,080 racks, leaves 3:1
    "large": [dict(rows=r, per_row=84, racks_per_su=84, oversubscription=3.0) for r in (12, 30, 60, 120)],
}


def write_seed() -> None:
    import yaml

    d = hall(42, 24, 8, 1.0, name="hall-gb200-fabric")
    d["generation"] = "gb200-nvl72"
    hdr = ("# Hall reference design: generated rail-optimised scale-out fabric for 1,008 GB200 NVL72 racks.\n"
           "# Written by `python benches/hall_fabric.py --write-seed`; see docs/hall-fabric.md.\n")
    SEED.parent.mkdir(parents=True, exist_ok=True)
    with open(SEED, "w") as f:
        f.write(hdr)
        yaml.safe_dump(d, f, sort_keys=False, width=118)


def one(path: str, with_baseline: bool) -> dict:
    """Validate one design file in this process; phase times and peak RSS."""
    from rackforge.engine import Context, Options, load_design, run_rules

    out: dict = {}
    t0 = time.perf_counter()
    ld = load_design(path)
    t1 = time.perf_counter()
    opts = Options()
    ctx = Context(ld, opts)
    net = ctx.network
    t2 = time.perf_counter()
    findings = run_rules(ld, opts, ctx)
    t3 = time.perf_counter()
    m = net.m
    out.update(load_s=t1 - t0, network_s=t2 - t1, rules_s=t3 - t2, validate_s=t3 - t0,
               racks=len(ctx.r.racks), ports=int(m.ports.n), links=int(m.links.n),
               fabric_links=int(sum(m.hall["links_by_stage"].values())) if m.hall else 0,
               switches=int(m.hall["plan"].switches) if m.hall else 0, tiers=m.hall["plan"].tiers if m.hall else 0,
               findings=sorted({f.code for f in findings}),
               bisection_tbps=net.bisection["bandwidth_bps"] / 1e12 if net.bisection else None,
               maxrss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
               cpu_s=resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime,
               load_avg=os.getloadavg()[0])
    if with_baseline and m.hall:
        out.update(baseline(net))
    return out


def baseline(net) -> dict:
    """The hall's fabric links: vectorised generation + numpy checks vs networkx, one edge per cable."""
    import networkx as nx
    import numpy as np

    from rackforge.topology import checks as tchecks
    from rackforge.topology.tables import LinkTable

    m = net.m
    off = m.hall["link_offset"]
    n = sum(m.hall["links_by_stage"].values())
    rows = np.arange(off, off + n)
    a, b = m.links.port_a[rows], m.links.port_b[rows]
    # ours: the pure generator (counts + node-leaf + Clos links) and the port-reuse and role checks
    from rackforge.topology import hallfabric as thf

    plan = m.hall["plan"]
    t0 = time.perf_counter()
    N, R = plan.nodes, plan.rails
    nic = np.arange(N * R).reshape(N, R)
    k = np.arange(N)
    leaf = N * R + np.arange(plan.leaves * 128).reshape(plan.leaves, 128)
    sp = leaf.max() + 1 + np.arange(plan.spines * 128).reshape(plan.spines, 128)
    d, u = plan.nodes_per_leaf, plan.uplinks_per_leaf
    a0, b0 = thf.rail_links(plan, nic, k // plan.nodes_per_su, k % plan.nodes_per_su, leaf[:, :d])
    per = plan.leaves * u // plan.spines if plan.tiers == 2 else plan.leaves_per_su * u // plan.spines_per_pod
    if plan.tiers == 3:
        co = sp.max() + 1 + np.arange(plan.cores * 128).reshape(plan.cores, 128)
        a1, b1, _ = thf.clos_links(plan, leaf[:, d:d + u], sp[:, :per], sp[:, per:per + plan.spine_uplinks], co)
    else:
        a1, b1, _ = thf.clos_links(plan, leaf[:, d:d + u], sp[:, :per])
    lt = LinkTable(np.r_[a0, a1], np.r_[b0, b1])
    over = tchecks.overused_ports(int(lt.port_b.max()) + 1, lt)
    roles = tchecks.links_with_role_mismatch(m.ports, LinkTable(a, b))
    t1 = time.perf_counter()
    # networkx: one edge per cable with attributes, port reuse from the degree of every port node
    g = nx.MultiGraph()
    for x, y in zip(a.tolist(), b.tolist()):
        g.add_edge(x, y, media="fibre", speed=400e9)
    reused = [p for p, deg in g.degree() if deg > 1]
    t2 = time.perf_counter()
    assert over.size == 0 and roles.size == 0 and not reused
    return dict(ours_s=t1 - t0, networkx_s=t2 - t1, ratio=(t2 - t1) / (t1 - t0))


def run_family(name: str, with_baseline: bool) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec in FAMILIES[name]:
            d = hall(**spec)
            d["generation"] = "bench-hall-fabric"
            d["catalogs"] = ["gens.json"]
            p = Path(tmp) / f"{name}-{spec['rows']}.json"
            (Path(tmp) / "gens.json").write_text(json.dumps(GENERATIONS))
            p.write_text(json.dumps(d))
            cmd = [sys.executable, __file__, "--one", str(p)] + (["--baseline"] if with_baseline else [])
            env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
            env.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the rackforge command runs (one BLAS thread)
            t = time.perf_counter()
            res = subprocess.run(cmd, capture_output=True, text=True, env=env)
            wall = time.perf_counter() - t
            if res.returncode != 0:
                print(res.stderr[-3000:], file=sys.stderr)
                raise SystemExit(1)
            r = json.loads(res.stdout.strip().splitlines()[-1])
            r["wall_s"] = wall
            r["n_racks_compute"] = spec["rows"] * spec["per_row"]
            rows.append(r)
            print(f"[{name}] {r['n_racks_compute']:>6,} compute racks ({r['racks']:,} with switch racks, "
                  f"{r['tiers']} tiers, {r['switches']:,} switches, {r['fabric_links']:,} fabric links, "
                  f"{r['links']:,} links in all): validate {r['validate_s']:.1f} s (load {r['load_s']:.1f}, "
                  f"network {r['network_s']:.1f}, rules {r['rules_s']:.1f}), process wall {wall:.1f} s, process CPU "
                  f"{r['cpu_s']:.1f} s (machine load {r['load_avg']:.1f}), "
                  f"peak RSS {r['maxrss_mib']:,.0f} MiB; bisection {r['bisection_tbps']:,.1f} Tb/s; "
                  f"findings {r['findings']}", flush=True)
            if "ratio" in r:
                print(f"        baseline: generator + numpy checks {r['ours_s']:.3f} s, networkx one edge per "
                      f"cable {r['networkx_s']:.3f} s: {r['ratio']:.1f}x", flush=True)
    for x, y in zip(rows, rows[1:]):
        e = math.log(y["validate_s"] / x["validate_s"]) / math.log(y["n_racks_compute"] / x["n_racks_compute"])
        em = math.log(y["maxrss_mib"] / x["maxrss_mib"]) / math.log(y["n_racks_compute"] / x["n_racks_compute"])
        print(f"[{name}] growth {x['n_racks_compute']:,} -> {y['n_racks_compute']:,} racks: time exponent "
              f"{e:.2f}, memory exponent {em:.2f}")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", choices=sorted(FAMILIES), action="append")
    ap.add_argument("--one")
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--write-seed", action="store_true")
    a = ap.parse_args()
    if a.write_seed:
        write_seed()
        return
    if a.one:
        print(json.dumps(one(a.one, a.baseline)))
        return
    for fam in a.family or ["seed", "large"]:
        run_family(fam, with_baseline=True)


if __name__ == "__main__":
    main()
