"""Bench: ``rackforge validate`` on generated halls of NVL72-class racks with a rail-optimised scale-out fabric.

Run ``python benches/topology.py [--sizes 1 10 100 1000]``.

Each hall is a real design file read by the real loader: the GB200 NVL72 seed's rack as a template, instantiated
in rows of 20 (1,296 scale-up links and 27 management links per rack from its rack-level patterns), plus network
racks (a template of 32 leaves and 16 spines, 64 x 400G each) and two design-level patterns: ``rail`` (NIC i of
every compute tray to leaf i of its group of 32 trays, ``RACK/MOUNT`` glob selectors) and ``leaf_spine`` (32
uplinks per leaf: non-blocking). The design's generation extends ``gb200-nvl72`` with a bisection requirement and
fabric redundancy, so every RF4xx rule runs, the bisection max-flow and the articulation-point search included.

Each size runs in a fresh subprocess; the bench reports wall time of ``validate`` (load, resolve, lower, every
rule) and the peak RSS of the subprocess, with the growth exponents between sizes (log t2/t1 / log n2/n1).
"""
from __future__ import annotations

import argparse
import json
import math
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

RACKS_PER_ROW = 20
TRAYS = 18
NICS = 4
NODES_PER_GROUP = 32
GROUPS_PER_NET_RACK = 8
SPINES_PER_NET_RACK = 16

CATALOG = {"catalog": "bench-fabric", "parts": [{
    "pn": "BENCH-SW-64x400G", "kind": "switch", "name": "64-port 400G switch (Quantum-2 class)",
    "source": "bench fixture", "cost": "30000 USD", "origin": "US", "lead_time": "12 week", "height": "1 RU", "standard": "any", "depth": "600 mm", "mass": "15 kg",
    "power": {"idle": "300 W", "typical": "800 W", "max": "1200 W"},
    "input": {"type": "ac", "voltage_min": "200 V", "voltage_max": "240 V", "phases": 1},
    "ports": [{"name": "p", "role": "scale_out", "form_factor": "OSFP", "speed": "400 Gbit/s", "lanes": 4,
               "count": 64}]}]}
GENERATIONS = {"generations": [{
    "id": "bench-hall", "name": "gb200-nvl72 hall with full bisection and a redundant fabric",
    "extends": "gb200-nvl72",
    "scale_out": {"min_bisection_per_accelerator": "400 Gbit/s", "redundant": True}}]}


def hall(n_racks: int) -> dict:
    """The design of a hall of ``n_racks`` NVL72-class racks with its scale-out fabric."""
    seed = json.loads((ROOT / "seeds" / "gb200-nvl72.json").read_text())
    groups = math.ceil(n_racks * TRAYS / NODES_PER_GROUP)
    net_racks = math.ceil(groups / GROUPS_PER_NET_RACK)
    net = {"frame": "ORV3-HPR-48RU", "mounts": (
        [{"id": f"l{r}-{g}", "part": "BENCH-SW-64x400G", "u": 1 + g * NICS + r}
         for g in range(GROUPS_PER_NET_RACK) for r in range(NICS)]
        + [{"id": f"s{k}", "part": "BENCH-SW-64x400G", "u": 33 + k} for k in range(SPINES_PER_NET_RACK)])}
    rows = [{"id": f"R{i:02d}", "template": "nvl72", "count": min(RACKS_PER_ROW, n_racks - i * RACKS_PER_ROW)}
            for i in range(math.ceil(n_racks / RACKS_PER_ROW))]
    fibre = {"cable": "MPO12-SM-30M", "transceivers": ["OSFP-400G-DR4"], "length": "200 m"}
    return {
        "rackforge": 1, "name": f"bench-hall-{n_racks}", "generation": "bench-hall",
        "catalogs": ["catalog.json", "generations.json"],
        "site": {**seed["site"], "cable_tray_height": "2.8 m"},
        "templates": {"nvl72": seed["templates"]["nvl72"], "net": net},
        "rows": rows,
        "racks": [{"id": f"net-{k:03d}", "template": "net", "position": {"row": f"N{k // RACKS_PER_ROW}",
                                                                        "index": k % RACKS_PER_ROW}}
                  for k in range(net_racks)],
        "patterns": [
            {"type": "rail", "nodes": "R*/ct*", "leaves": [f"net-*/l{r}-*" for r in range(NICS)],
             "nodes_per_group": NODES_PER_GROUP, **fibre},
            {"type": "leaf_spine", "leaves": "net-*/l*", "spines": "net-*/s*", "uplinks_per_leaf": 32, **fibre},
        ],
    }


def child(n_racks: int) -> dict:
    from rackforge.api import validate
    from rackforge.engine import Context, Options, load_design

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "catalog.json").write_text(json.dumps(CATALOG))
        (d / "generations.json").write_text(json.dumps(GENERATIONS))
        p = d / "hall.json"
        p.write_text(json.dumps(hall(n_racks)))
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        res = validate(str(p))
        wall = time.perf_counter() - t
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        codes: dict[str, int] = {}
        for f in res.findings:
            codes[f.code] = codes.get(f.code, 0) + 1
        # the figures (not timed): lowered again for its network section
        ld = load_design(str(p))
        net = Context(ld, Options()).network
        j = net.to_json()
    return {"n_racks": n_racks, "validate_s": wall, "peak_rss_mib": rss1 / 1024, "rss_before_mib": rss0 / 1024,
            "findings": codes, "ports": j["ports"], "links": j["links"],
            "accelerators": j["scale_up"]["accelerators"], "domains": j["scale_up"]["domain_size_packages"],
            "so_cabled_bps": j["scale_out"].get("cabled_bandwidth_per_accelerator_bps"),
            "oversub": j["scale_out"].get("leaf_oversubscription_ratio"),
            "bisection_per_acc_bps": j["scale_out"].get("bisection_bandwidth_per_accelerator_bps"),
            "route_max_m": (j["route_length_m"] or {}).get("max")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100, 1000])
    ap.add_argument("--child", type=int)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child)))
        return
    print("rackforge validate on generated NVL72-class halls (template rows + network racks + design patterns)")
    hdr = f"{'racks':>6} {'accel':>8} {'ports':>11} {'links':>11} {'validate s':>11} {'peak MiB':>9} {'t exp':>6} {'m exp':>6}"
    print(hdr)
    print("-" * len(hdr))
    prev = None
    rows = []
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(n)], check=True, capture_output=True,
                             text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(r)
        te = me = ""
        if prev is not None:
            k = math.log(r["n_racks"] / prev["n_racks"])
            te = f"{math.log(r['validate_s'] / prev['validate_s']) / k:6.2f}"
            me = f"{math.log(r['peak_rss_mib'] / prev['peak_rss_mib']) / k:6.2f}"
        print(f"{n:>6} {r['accelerators']:>8,} {r['ports']:>11,} {r['links']:>11,} {r['validate_s']:>11.2f} "
              f"{r['peak_rss_mib']:>9.0f} {te:>6} {me:>6}", flush=True)
        prev = r
    print("\n(t exp, m exp: growth exponent of validate time and peak RSS against the rack count, from the previous "
          "size; peak RSS includes the interpreter and imports)")
    for r in rows:
        print(f"{r['n_racks']:>6} racks: findings {r['findings'] or 'none'}; domains {r['domains']}; scale-out "
              f"cabled {r['so_cabled_bps']}; leaf oversubscription {r['oversub']}; bisection per accelerator "
              f"{r['bisection_per_acc_bps']}; longest route {r['route_max_m']} m")


if __name__ == "__main__":
    main()
