"""Bench: a GB200 NVL72 hall with its facility power chain and facility water, 1,000 to 10,000 racks.

Run ``python benches/hall.py [--blocks 22 44 209] [--full 22 209] [--no-full]``.

The hall is ``seeds/hall/gb200-hall.yaml`` with its block count changed: a block is two rows of 24 racks (48
racks), four transformer / switchgear / UPS lineups in distributed-redundant 4-to-make-3, six busway runs per
rack feed, one TCS loop of four 2 MW CDUs. 22 blocks = 1,056 racks, 209 blocks = 10,032 racks.

For each size it prints:

* ``validate``: a fresh ``rackforge validate`` process of the whole design (every rule, rack and hall), wall time
  and peak resident memory (the brief's targets: 1,000 racks < 60 s and < 8 GiB, 10,000 racks < 10 min);
* in one process, after the rack power model (``ctx.power``, shared with RF2xx): the facility power analysis
  with its outage sweep on the numba kernel and on the numpy batched ``chain_flow`` (the baseline), and the
  sweep one scenario per ``chain_flow`` call (timed on the first 100 scenarios and extrapolated); the facility
  water analysis (identical loops solved once, as ``analyze`` does), and what solving every loop would cost,
  one loop timed with the numba solver and with the numpy/scipy reference
  (:func:`rackforge.solvers.hydraulics_ref.solve_ref`), times loops x 2 scenarios;
* growth exponents ``log(t2/t1) / log(n2/n1)`` between consecutive sizes.

Timings are wall clock on a shared machine: the load average is printed with them.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "hall" / "gb200-hall.yaml"


def hall_text(blocks: int) -> str:
    s = SEED.read_text()
    s = s.replace("k: [1, 22]", f"k: [1, {blocks}]")
    rows = "".join(f"  - {{id: B{k:02d}{x}, template: nvl72, count: 24}}\n" for k in range(1, blocks + 1) for x in "ab")
    s = re.sub(r"rows:\n(  - \{id: B\d+[ab], template: nvl72, count: 24\}\n)+", "rows:\n" + rows, s)
    s = s.replace("count: 48, redundant: 2}", f"count: {2 * blocks + 4}, redundant: 2}}")
    s = s.replace("capacity: 150 MVA", f"capacity: {max(150, math.ceil(blocks * 6.8))} MVA")
    return s


def full_validate(path: str) -> tuple[float, float, int]:
    """(wall s, peak RSS GiB, exit code) of a fresh ``rackforge validate`` process."""
    code = ("import resource, sys, time\n"
            "from rackforge.cli.app import main\n"
            "t=time.perf_counter()\n"
            "try:\n    main(['validate', '-f', 'concise', sys.argv[1]])\nexcept SystemExit as e:\n    rc=e.code or 0\n"
            "print('WALL', time.perf_counter()-t, 'RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 'RC', rc,"
            " file=sys.stderr)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the rackforge command runs (one BLAS thread)
    p = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, env=env)
    m = re.search(r"WALL (\S+) RSS (\d+) RC (\d+)", p.stderr)
    if not m:
        raise RuntimeError(p.stderr[-2000:])
    if p.stdout.strip():
        print("   findings:", p.stdout.strip().splitlines()[:3])
    return float(m.group(1)), int(m.group(2)) / 2**20, int(m.group(3))


def in_process(path: str) -> dict:
    from rackforge.engine import Context, Options, load_design
    from rackforge.lowering import facility_power as FP
    from rackforge.lowering import facility_water as FW
    from rackforge.lowering.coolants import coolant_props

    out = {}
    t = time.perf_counter()
    ld = load_design(path)
    out["load_s"] = time.perf_counter() - t
    ctx = Context(ld, Options())
    t = time.perf_counter()
    ctx.power
    out["rack_power_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ctx.cooling
    out["rack_cooling_s"] = time.perf_counter() - t
    t = time.perf_counter()
    fw = FW.analyze(ctx)
    out["water_s"] = time.perf_counter() - t
    ctx.__dict__["facility_water"] = fw
    # one loop, numba against the numpy/scipy reference solver, times the loops and their two scenarios
    lr = fw.loops[0]
    props = coolant_props(lr.spec.coolant, fw.t_fws_c + float(lr.cdu.approach) + 5.0)
    pitch, rp = FP.rack_pitch(ctx), float(ctx.design.site.row_pitch)
    per = {}
    for solver in ("numba", "reference"):
        t = time.perf_counter()
        s = FW.solve_loop(lr.rows_rh, lr.spec, lr.cdu, lr.spec.cdus, pitch, rp, props.rho, props.mu, [0], solver)
        per[solver] = time.perf_counter() - t
        per[solver + "_flows"] = s.flows
    out["loops"] = len(fw.loops)
    out["water_all_loops_numba_s"] = per["numba"] * 2 * len(fw.loops)
    out["water_all_loops_reference_s"] = per["reference"] * 2 * len(fw.loops)
    out["water_numba_vs_reference_max_rel"] = float(abs(per["numba_flows"] - per["reference_flows"]).max()
                                                    / per["reference_flows"].min())
    for path in ("numba", "numpy"):
        t = time.perf_counter()
        fa = FP.analyze(ctx, force_path=path)
        out[f"chain_{path}_s"] = time.perf_counter() - t
    out["elements"] = len(fa.elems)
    out["scenarios"] = fa.scenarios
    return out, fa, ctx


def chain_baseline(fa, ctx, k: int = 100) -> float:
    """Seconds for the whole single-loss sweep run one scenario per ``chain_flow`` call, from the first ``k``."""
    import numpy as np

    from rackforge.solvers.facility import chain_flow

    g = fa.bench_inputs
    E = len(fa.elems)
    n = min(k, E)
    t = time.perf_counter()
    for i in range(n):
        failed = np.zeros((1, E), bool)
        failed[0, i] = True
        chain_flow(failed, *g["arrays"], g["g_power"], *g["gf"])
    return (time.perf_counter() - t) / n * (E + 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", type=int, nargs="+", default=[22, 44, 209])
    ap.add_argument("--full", type=int, nargs="*", default=None, help="sizes (blocks) to run a full validate on "
                    "(default: all)")
    args = ap.parse_args()
    full = args.blocks if args.full is None else args.full
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        w = Path(tmp) / "warm.yaml"
        w.write_text(hall_text(1))
        in_process(str(w))   # warm-up: numba kernels loaded, catalog cached (not reported)
        for b in args.blocks:
            p = Path(tmp) / f"hall-{b}.yaml"
            p.write_text(hall_text(b))
            racks = 48 * b
            print(f"== {racks} racks ({b} blocks), load average {os.getloadavg()[0]:.1f}", flush=True)
            r = {"racks": racks}
            if b in full:
                wall, rss, rc = full_validate(str(p))
                r.update(validate_s=wall, validate_rss_gib=rss, validate_rc=rc)
                print(f"   validate (fresh process, all rules): {wall:.1f} s, peak RSS {rss:.2f} GiB, exit {rc}",
                      flush=True)
            ip, fa, ctx = in_process(str(p))
            r.update(ip)
            r["chain_one_by_one_s"] = chain_baseline(fa, ctx)
            print(f"   load {ip['load_s']:.2f} s, rack power model {ip['rack_power_s']:.2f} s, rack cooling "
                  f"{ip['rack_cooling_s']:.2f} s", flush=True)
            print(f"   facility power: {ip['elements']} elements, {ip['scenarios']} scenarios; analysis with the numba "
                  f"sweep {ip['chain_numba_s']:.3f} s, with the numpy batched sweep {ip['chain_numpy_s']:.3f} s "
                  f"(x{ip['chain_numpy_s'] / ip['chain_numba_s']:.1f}); one scenario per chain_flow call "
                  f"(extrapolated from 100) {r['chain_one_by_one_s']:.2f} s", flush=True)
            print(f"   facility water: {ip['loops']} loops, analysis (identical loops solved once) {ip['water_s']:.3f} s;"
                  f" every loop solved, from one loop x loops x 2 scenarios: numba {ip['water_all_loops_numba_s']:.2f} s,"
                  f" reference (numpy/scipy) {ip['water_all_loops_reference_s']:.2f} s (x"
                  f"{ip['water_all_loops_reference_s'] / ip['water_all_loops_numba_s']:.0f}); flows agree to "
                  f"{ip['water_numba_vs_reference_max_rel']:.1e}", flush=True)
            rows.append(r)
    keys = ["validate_s", "validate_rss_gib", "rack_power_s", "chain_numba_s", "chain_numpy_s", "chain_one_by_one_s",
            "water_s"]
    for r1, r2 in zip(rows, rows[1:]):
        ratio = r2["racks"] / r1["racks"]
        parts = []
        for k in keys:
            if r1.get(k) and r2.get(k):
                parts.append(f"{k} {math.log(r2[k] / r1[k]) / math.log(ratio):.2f}")
        print(f"growth exponents {r1['racks']} -> {r2['racks']} racks: " + ", ".join(parts))


if __name__ == "__main__":
    main()
