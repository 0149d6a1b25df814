"""Bench: ``rackforge validate`` of whole GB200 NVL72 halls: facility power chain, facility water AND the generated
scale-out fabric together, ~1,000 and ~10,000 racks (issue 14, part 5).

Run ``python benches/hall_full.py [--blocks 22 209] [--no-baseline]``.

The design is ``seeds/hall/gb200-hall.yaml`` with its block count changed (:func:`benches.hall.hall_text`: a block
is two rows of 24 NVL72 racks, four transformer / switchgear / UPS lineups in distributed-redundant 4-to-make-3,
six busway runs, one TCS loop of four 2 MW CDUs) plus the ``hall_fabric`` of ``benches/hall_fabric.py``'s
``large`` family (SU = 84 racks, SN5600 as 128 x 400G, leaves 3:1, three tiers, media by reach):

* leaf and pod-spine racks (air-cooled 19-inch switch racks) go at the end of the row of their SU's first rack,
  on that block's busways (the block's distribution entry gets one run per 8 switch racks, fed from UPS pairs
  (1,4) and (2,3)) and in its water loop's row (air-cooled racks stand off the row header);
* core racks go in row ``NETC``, on a network lineup of its own (four 3 MVA transformers, switchgear and
  2.5 MW UPS, 4-to-make-3, same pairing);
* the generation extends ``gb200-nvl72`` with a bisection requirement of 130 Gb/s per GPU (a 3:1 fabric gives a
  third of 400G), a redundant fabric and 3:1 oversubscription, so validate runs the bisection max-flow and the
  articulation-point search besides every other rule.

22 blocks = 1,056 compute racks, 209 blocks = 10,032. Each size is validated in a fresh process (load, resolve,
place the switch racks, every rule: rack power and cooling, the facility power chain with its outage sweep, the
facility water loops, network lowering, every RF4xx rule), printing wall time, process CPU, peak RSS (ru_maxrss),
the time of the phases (``--phases``: in the same process, the analyses the rules read, each timed when first
built: rack power, rack cooling, facility power, facility water, network lowering, link checks, scale-up, scale-out,
bisection, single points of failure), the findings, and growth exponents between sizes (log t2/t1 / log n2/n1).

Baseline, in the same run (as ``hall_fabric.py`` does): the two graph analyses this bench's fabric needs most,
on the hall's own scale-out device graph, by the reference paths (networkx preflow-push on the whole device
graph with two super-terminals; networkx articulation points and bridges on the networkx device graph) against
the fast paths ``validate`` takes (max-flow on the graph with each side contracted into its terminal, scipy
Dinic in integers; one iterative Tarjan search over the edge arrays); the values must be equal, and the ratio is
printed. At 10,000 racks the reference bisection alone takes minutes: ``--baseline-max-racks`` (default 2,000)
limits it to the small size.

Generated designs are written to a temporary folder and deleted.

Measured (2 cores shared with two other sessions; 1-minute load average in brackets), ``--blocks 22 209``:

* 1,056 compute racks (1,195 with switch racks, 600 facility power elements,
  22 water loops, 1,504 switches, 129,280 fabric links, 1.5 M links): validate 4.1 s (2.1), CPU 4.4 s, fresh
  process 9.0 s (imports and numba kernels from cache included), peak RSS 574 MiB. Phases: network lowering
  1.4 s, rack power 1.3, link checks 0.6, facility power 0.2, bisection 0.1. Baseline on its scale-out graph:
  bisection 0.02 s against networkx on the whole graph 2.64 s, articulation points and bridges 0.01 s against
  1.14 s, equal values: 145x.
* 10,032 compute racks (11,283 with switch racks, 5,554 facility power elements, 209 water loops, 13,568
  switches, 1.2 M fabric links, 14.5 M links): validate 27.6 s (2.1 -> 1.7), CPU 28.1 s, fresh process 28.5 s,
  peak RSS 3.7 GiB. Phases: network lowering 10.5 s, link checks 9.0, rack power 2.4, scale-out 1.3, facility
  power 0.8, bisection 0.4, single points of failure 0.2, scale-up 0.2, facility water 0.1.
* growth 1,056 -> 10,032: time exponent 0.85, CPU 0.83, memory 0.83. Findings at both sizes: RF423 (spare
  switches of each SU's last leaf and pod-spine rack carry nothing) and RF425 (half-used twin-port cages), warnings
  that follow from 84-rack SUs on 12-switch racks; no error.

The brief's targets (issue 14): 1,000 racks < 60 s and < 8 GiB, 10,000 racks < 10 min, on 2 cores.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))
try:  # run from a checkout without installing
    import rackforge  # noqa: F401
except ImportError:
    sys.path.insert(0, str(ROOT))

import hall as hall_bench  # noqa: E402  (benches/hall.py)
import hall_fabric as fabric_bench  # noqa: E402  (benches/hall_fabric.py)

RACKS_PER_SU = 84
ROW = 24
GENERATIONS = {"generations": [{
    "id": "bench-hall-full", "name": "gb200-nvl72 hall, 3:1 fabric with a bisection floor and redundancy",
    "extends": "gb200-nvl72",
    "scale_out": {"min_bisection_per_accelerator": "130 Gbit/s", "redundant": True, "max_oversubscription": 3.0}}]}
# DR 4-to-make-3 pairing of the hall seed, feed A / feed B per busway run (runs 1-3 row a, 4-6 row b)
PAIRS = [(1, 2), (3, 4), (1, 3), (2, 4), (1, 4), (2, 3)]
NET_PAIRS = [(1, 4), (2, 3)]
BUSWAY = {"busway": "BUSWAY-2000A-415V", "tap_off": "TAPOFF-250A-415V", "racks_per_busway": 8}


def switch_racks_per_su(racks: int) -> int:
    """Leaf and pod-spine racks the generator adds at the end of an SU's first row (12 switches a rack)."""
    from rackforge.topology.hallfabric import plan_fabric

    n = RACKS_PER_SU * 18
    p = plan_fabric(racks * 18, 4, n, 128, 128, 128, 3.0)
    return math.ceil(p.leaves_per_su / 12) + (math.ceil(p.spines_per_pod / 12) if p.tiers == 3 else 0)


def design(blocks: int) -> dict:
    """The hall seed at ``blocks`` blocks with the hall fabric, its switch racks on the power chain."""
    import yaml

    d = yaml.safe_load(hall_bench.hall_text(blocks))
    d["name"] = f"gb200-hall-full-{blocks}"
    d["generation"] = "bench-hall-full"
    d["catalogs"] = ["gens.json"]
    d["templates"]["netrack"] = fabric_bench.netrack()
    d["waivers"] = list(d.get("waivers", [])) + [
        {"rule": "RF308", "target": "/templates/netrack", "reason": "network racks are air-cooled 19-inch switch "
         "racks; the gb200-nvl72 profile asks 85% liquid of the NVL72 compute racks"},
        {"rule": "RF107", "target": "/templates/netrack/frame", "reason": "SN5600 switches are 19-inch EIA gear"}]
    d["hall_fabric"] = {
        "nodes": "*/ct*", "racks_per_su": RACKS_PER_SU, "tiers": "auto", "oversubscription": 3.0,
        "leaf": {"template": "netrack"}, "spine": {"template": "netrack"}, "core": {"template": "netrack"},
        "core_row": "NETC", "media": fabric_bench.MEDIA, "min_bandwidth_after_failure": 0.75}
    # which rows get switch racks: the row of each SU's first compute rack (rows by name, racks by index)
    rows = sorted(r["id"] for r in d["rows"])
    n_sw = switch_racks_per_su(ROW * len(rows))
    extra = {r: 0 for r in rows}
    for s in range(math.ceil(ROW * len(rows) / RACKS_PER_SU)):
        extra[rows[s * RACKS_PER_SU // ROW]] += n_sw
    fp = d["facility"]["power"]
    fp["elements"] += [
        {"id": "NTX-{j}", "part": "TX-3000KVA-34.5KV-415V", "from": ["MV-A", "MV-B"], "repeat": {"j": [1, 4]}},
        {"id": "NSWGR-{j}", "part": "SWGR-LV-5000A-415V", "from": ["NTX-{j}"], "repeat": {"j": [1, 4]}},
        {"id": "NUPS-{j}", "part": "UPS-2500KW-MOD", "from": ["NSWGR-{j}"], "breaker": "4000 A",
         "battery_runtime": "5 min", "repeat": {"j": [1, 4]}}]
    # one distribution entry per block and feed: its run list = the seed's pairs, plus a run of (1,4) / (2,3)
    # for every 8 switch racks at the end of a row
    dist = []
    for k in range(1, blocks + 1):
        froms: dict[str, list[str]] = {"A": [], "B": []}
        for half, row in enumerate((f"B{k:02d}a", f"B{k:02d}b")):
            pairs = PAIRS[3 * half:3 * half + 3] + [NET_PAIRS[j % 2] for j in range(math.ceil(extra[row] / 8))]
            for a, b in pairs:
                froms["A"].append(f"UPS{k:02d}-{a}")
                froms["B"].append(f"UPS{k:02d}-{b}")
        for feed in "AB":
            dist.append({"rows": [f"B{k:02d}a", f"B{k:02d}b"], "feed": feed, **BUSWAY, "from": froms[feed]})
    for feed, j in (("A", 0), ("B", 1)):
        dist.append({"rows": ["NETC"], "feed": feed, **BUSWAY, "from": [f"NUPS-{p[j]}" for p in PAIRS]})
    fp["distribution"] = dist
    return d


def one(path: str, phases: bool, baseline: bool) -> dict:
    """Validate one design in this process: wall, CPU, peak RSS, findings; phase times; the graph baseline."""
    import functools

    from rackforge.engine import Context, Options, load_design, run_rules

    timings: dict[str, float] = {}
    if phases:   # time each analysis the rules read when it is first built (the rules' time is what is left)
        from rackforge.lowering import facility_power, facility_water, network_result
        from rackforge.lowering import power as lpower

        def timed(name, fn):
            @functools.wraps(fn)
            def w(*a, **k):
                t = time.perf_counter()
                try:
                    return fn(*a, **k)
                finally:
                    timings[name] = timings.get(name, 0.0) + time.perf_counter() - t
            return w

        lpower.analyze = timed("rack_power", lpower.analyze)
        facility_power.analyze = timed("facility_power", facility_power.analyze)
        facility_water.analyze = timed("facility_water", facility_water.analyze)
        network_result.NetworkModel = timed("network_lowering", network_result.NetworkModel)
        for prop in ("link_checks", "scale_up", "scale_out", "bisection", "spof"):
            cp = getattr(network_result.NetworkResult, prop)
            f = timed(prop, cp.func)
            new = functools.cached_property(f)
            new.__set_name__(network_result.NetworkResult, prop)
            setattr(network_result.NetworkResult, prop, new)
        from rackforge.lowering import cooling as lcooling

        lcooling.analyze = timed("rack_cooling", lcooling.analyze)
    t0 = time.perf_counter()
    ld = load_design(path)
    t1 = time.perf_counter()
    opts = Options()
    ctx = Context(ld, opts)
    findings = run_rules(ld, opts, ctx)
    t2 = time.perf_counter()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    net = ctx.network
    m = net.m
    by_code: dict[str, int] = {}
    for f in findings:
        by_code[f.code] = by_code.get(f.code, 0) + 1
    out = dict(load_s=t1 - t0, rules_s=t2 - t1, validate_s=t2 - t0, cpu_s=ru.ru_utime + ru.ru_stime,
               maxrss_mib=ru.ru_maxrss / 1024.0, load_avg=os.getloadavg()[0], racks=len(ctx.r.racks),
               links=int(m.links.n), fabric_links=int(sum(m.hall["links_by_stage"].values())) if m.hall else 0,
               switches=int(m.hall["plan"].switches) if m.hall else 0, tiers=m.hall["plan"].tiers if m.hall else 0,
               facility_elements=len(ctx.facility_power.elems) if ctx.facility_power is not None else 0,
               water_loops=len(ctx.facility_water.loops) if ctx.facility_water is not None else 0,
               findings=by_code, phases=timings)
    if baseline:
        out["baseline"] = graph_baseline(net)
    return out


def graph_baseline(net) -> dict:
    """The hall's bisection and single points of failure: fast paths against the networkx reference paths."""
    import numpy as np

    from rackforge.topology import graph as tgraph

    so = net.scale_out
    edges = so["edges"]
    bis = net.bisection
    members = np.flatnonzero(so["tier"] >= 0)
    t0 = time.perf_counter()
    fast_bw = tgraph.bisection_bandwidth_bps(edges, bis["side_a"], bis["side_b"])
    t1 = time.perf_counter()
    ref_bw = tgraph.bisection_bandwidth_bps(edges, bis["side_a"], bis["side_b"], contract=False)
    t2 = time.perf_counter()
    fast_sp = tgraph.single_points_of_failure_arrays(edges, nodes=members)
    t3 = time.perf_counter()
    ref_sp = tgraph.single_points_of_failure(tgraph.device_graph(edges, nodes=members))
    t4 = time.perf_counter()
    same_sp = all((fast_sp[k] == ref_sp[k]).all() for k in ("articulation_points", "bridges", "bridge_n_links")) \
        and fast_sp["n_components"] == ref_sp["n_components"]
    return dict(bisection_fast_s=t1 - t0, bisection_ref_s=t2 - t1, bisection_equal=fast_bw == ref_bw,
                spof_fast_s=t3 - t2, spof_ref_s=t4 - t3, spof_equal=bool(same_sp),
                ratio=(t2 - t1 + t4 - t3) / (t1 - t0 + t3 - t2))


def run(blocks: list[int], baseline_max: int, phases: bool) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "gens.json").write_text(json.dumps(GENERATIONS))
        for b in blocks:
            p = Path(tmp) / f"hall-full-{b}.json"
            p.write_text(json.dumps(design(b)))
            n = 48 * b
            cmd = [sys.executable, __file__, "--one", str(p)] + (["--phases"] if phases else []) + \
                (["--baseline"] if n <= baseline_max else [])
            env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
            env.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the rackforge command runs (one BLAS thread)
            la = os.getloadavg()[0]
            t = time.perf_counter()
            res = subprocess.run(cmd, capture_output=True, text=True, env=env)
            wall = time.perf_counter() - t
            if res.returncode != 0:
                print(res.stderr[-3000:], file=sys.stderr)
                raise SystemExit(1)
            r = json.loads(res.stdout.strip().splitlines()[-1])
            r.update(wall_s=wall, n=n, load_start=la)
            rows.append(r)
            print(f"{n:>6,} compute racks ({r['racks']:,} with switch racks; {r['facility_elements']:,} facility "
                  f"power elements, {r['water_loops']} water loops, {r['tiers']} tiers, {r['switches']:,} switches, "
                  f"{r['fabric_links']:,} fabric links, {r['links']:,} links in all): validate {r['validate_s']:.1f} s "
                  f"(load {r['load_s']:.1f}, rules {r['rules_s']:.1f}), process wall {wall:.1f} s, CPU "
                  f"{r['cpu_s']:.1f} s, peak RSS {r['maxrss_mib']:,.0f} MiB; load average {la:.1f} at start, "
                  f"{r['load_avg']:.1f} at end", flush=True)
            if r["phases"]:
                print("        phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["phases"].items()), flush=True)
            print(f"        findings: {r['findings']}", flush=True)
            if "baseline" in r:
                bl = r["baseline"]
                print(f"        baseline (this hall's scale-out graph): bisection contracted + scipy "
                      f"{bl['bisection_fast_s']:.2f} s vs networkx on the whole graph {bl['bisection_ref_s']:.2f} s "
                      f"(equal: {bl['bisection_equal']}); articulation points + bridges, array Tarjan "
                      f"{bl['spof_fast_s']:.2f} s vs networkx {bl['spof_ref_s']:.2f} s (equal: {bl['spof_equal']}); "
                      f"{bl['ratio']:.0f}x", flush=True)
    for x, y in zip(rows, rows[1:]):
        lr = math.log(y["n"] / x["n"])
        print(f"growth {x['n']:,} -> {y['n']:,} racks: validate time exponent "
              f"{math.log(y['validate_s'] / x['validate_s']) / lr:.2f}, CPU exponent "
              f"{math.log(y['cpu_s'] / x['cpu_s']) / lr:.2f}, memory exponent "
              f"{math.log(y['maxrss_mib'] / x['maxrss_mib']) / lr:.2f}")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blocks", type=int, nargs="+", default=[22, 209], help="blocks of 48 racks (22: 1,056; "
                    "209: 10,032)")
    ap.add_argument("--baseline-max-racks", type=int, default=2000, help="run the networkx baseline up to this size")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-phases", action="store_true")
    ap.add_argument("--one")
    ap.add_argument("--phases", action="store_true")
    ap.add_argument("--baseline", action="store_true")
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one, a.phases, a.baseline)))
        return
    run(a.blocks, 0 if a.no_baseline else a.baseline_max_racks, not a.no_phases)


if __name__ == "__main__":
    main()
