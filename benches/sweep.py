"""Sweep throughput on Dask: 1 worker against 2 (issue 15 target: >= 1.7x), and the serial in-process rate.

    python benches/sweep.py [--cases 48] [--runs 3] [--seed seeds/hgx-h100-air.yaml] [--batch 4]

A SPEC over one seed (a grid of air inlet temperature x altitude, ``--cases`` points) runs on a LocalCluster of
1 and of 2 worker processes (one thread each). The clusters are started and their workers warmed (the sweep's own
task run once on each: rackforge imported, one case analysed and its Parquet part encoded, so pyarrow and, where
the solvers take it, numba are loaded) before the clock starts: the figure is the steady throughput of a running
cluster, not its start-up (printed apart). Each timed run writes to an empty output folder. Medians of
``--runs``. The machine's load average is printed: other work on the two cores changes the ratio. Never run by
the test suite.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _spec(tmp: str, seed: Path, cases: int, batch: int) -> str:
    import math

    import yaml

    a = max(2, int(math.sqrt(cases)))
    b = max(1, -(-cases // a))
    spec = {"rackforge-sweep": 1, "name": "bench", "designs": [str(seed.resolve())], "batch": batch,
            "site": {"air_inlet_temperature": {"from": "15 degC", "to": "40 degC", "steps": a},
                     "altitude": {"from": "0 m", "to": "3000 m", "steps": b}}}
    p = os.path.join(tmp, "spec.yaml")
    with open(p, "w") as fh:
        yaml.safe_dump(spec, fh)
    return p


def _warm(client, ls) -> None:
    """Run the sweep's own task (analyse and encode one case) once on every worker: rackforge, pyarrow and, where
    the solvers take it, numba are loaded before the clock starts."""
    from rackforge.features.sweep.run import encode_batch

    n = len(client.scheduler_info()["workers"])
    futs = [client.submit(encode_batch, ls.cases[:1], (), (), (), len(ls.cases), pure=False,
                          workers=[w]) for w in sorted(client.scheduler_info()["workers"])][:n]
    client.gather(futs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=48)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seed", default=str(ROOT / "seeds" / "hgx-h100-air.yaml"))
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    from rackforge.features.sweep.cases import load_spec
    from rackforge.features.sweep.run import run_sweep

    print(f"{os.cpu_count()} cores, load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        ls = load_spec(_spec(tmp, Path(args.seed), args.cases, args.batch))
        print(f"{len(ls.cases)} cases of {Path(args.seed).name}, batch {args.batch}, {args.runs} runs each")
        rates = {}
        t = []
        for r in range(args.runs):
            t0 = time.perf_counter()
            run_sweep(ls, os.path.join(tmp, f"serial{r}"), serial=True, progress=False)
            t.append(time.perf_counter() - t0)
        rates["serial"] = len(ls.cases) / statistics.median(t)
        print(f"serial (in-process)   median {statistics.median(t):7.2f} s  {rates['serial']:6.2f} cases/s")
        for n in (1, 2):
            t0 = time.perf_counter()
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
            _warm(client, ls)
            start = time.perf_counter() - t0
            t = []
            for r in range(args.runs):
                t0 = time.perf_counter()
                run_sweep(ls, os.path.join(tmp, f"w{n}-{r}"), client=client, progress=False)
                t.append(time.perf_counter() - t0)
            client.close()
            cluster.close()
            rates[n] = len(ls.cases) / statistics.median(t)
            print(f"{n} worker(s)           median {statistics.median(t):7.2f} s  {rates[n]:6.2f} cases/s "
                  f"(min {min(t):.2f}, max {max(t):.2f}; cluster start + warm-up {start:.1f} s)")
        ratio = rates[2] / rates[1]
        print(f"2 workers / 1 worker: {ratio:.2f}x (target >= 1.7x: {'met' if ratio >= 1.7 else 'MISSED'})")
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
