"""`rackforge report` on a hall: a row of N instances (default 1,000) of a seed's rack template.

Runs the report as a fresh process and prints its wall time, the child's peak resident memory (ru_maxrss) and
the size of the HTML written. The target: under 30 s, and a file far under 50 MB (one elevation per rack
*definition* and a compact table of the instances, so the size does not grow with the rack count). Timing never
enters the test suite; this script is run by hand:

    python benches/report.py [--racks 1000] [--seed seeds/gb200-nvl72.json] [--runs 3] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def hall(seed: Path, racks: int) -> dict:
    text = seed.read_text(encoding="utf-8")
    d = json.loads(text) if seed.suffix == ".json" else yaml.safe_load(text)
    template = next(iter(d["templates"]))
    d["name"] = f"{d['name']}-hall-{racks}"
    d["racks"] = []
    d["rows"] = [{"id": "A", "template": template, "count": racks}]
    return d


def run_once(design: Path, out: Path) -> tuple[float, int]:
    t = time.perf_counter()   # this checkout's rackforge, whatever is installed
    proc = subprocess.run([sys.executable, "-m", "rackforge", "report", str(design), "--output", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"rackforge report failed ({proc.returncode}):\n{proc.stderr}")
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--racks", type=int, default=1000)
    ap.add_argument("--seed", default=str(ROOT / "seeds" / "gb200-nvl72.json"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", help="copy the design and the report into this folder")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        design = Path(tmp) / "hall.json"
        design.write_text(json.dumps(hall(Path(a.seed), a.racks)), encoding="utf-8")
        out = Path(tmp) / "report.html"
        times = []
        peak_kb = 0
        for _ in range(a.runs):
            wall, peak_kb = run_once(design, out)   # ru_maxrss of children: the largest of the runs so far
            times.append(wall)
        size = out.stat().st_size
        if a.keep:
            Path(a.keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(design, Path(a.keep) / design.name)
            shutil.copy(out, Path(a.keep) / out.name)
    print(f"seed {Path(a.seed).name}, {a.racks:,} racks, {a.runs} runs")
    print(f"  wall time   median {statistics.median(times):.2f} s   (min {min(times):.2f}, max {max(times):.2f})"
          f"   target < 30 s")
    print(f"  peak memory {peak_kb / 1024:.1f} MiB (max RSS of the report process)")
    print(f"  report size {size / 1024:.1f} KiB   target < 50 MB")


if __name__ == "__main__":
    main()
