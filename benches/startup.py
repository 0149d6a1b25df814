"""Start-up and whole-run speed of `rackforge validate`, against check-jsonschema on the same files.

Runs each command as a fresh process several times and prints the median wall time and the ratio. Timing
never enters the test suite; this script is run by hand:

    python benches/startup.py [--runs 9] [--files 200]

Figures: `rackforge --version`; `rackforge validate` on one seed (warm caches: one run first);
`check-jsonschema --schemafile schemas/rackforge-design.schema.json` on the same seed; and both on N copies of
the seeds in one call.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "gb200-nvl72.json"
SCHEMA = ROOT / "schemas" / "rackforge-design.schema.json"


def _exe(name: str) -> list[str]:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    return [found]


def time_cmd(cmd: list[str], runs: int) -> tuple[float, float, float, int]:
    subprocess.run(cmd, capture_output=True)  # warm-up: page cache, pyc, numba/catalog caches
    times = []
    rc = 0
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True)
        times.append(time.perf_counter() - t)
        rc = out.returncode
    return min(times), statistics.median(times), max(times), rc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--files", type=int, default=200)
    args = ap.parse_args()
    rf = _exe("rackforge")
    cj = _exe("check-jsonschema")
    with tempfile.TemporaryDirectory() as tmp:
        seeds = sorted(p for p in (ROOT / "seeds").iterdir() if p.suffix in (".json", ".yaml"))
        many = []
        for i in range(args.files):
            src = seeds[i % len(seeds)]
            dst = Path(tmp) / f"d{i:04d}{src.suffix}"
            dst.write_text(src.read_text())
            many.append(str(dst))
        rows = [
            ("rackforge --version", rf + ["--version"], None),
            ("rackforge validate (1 seed)", rf + ["validate", str(SEED)],
             cj + ["--schemafile", str(SCHEMA), str(SEED)]),
            (f"rackforge validate ({args.files} files)", rf + ["validate", *many],
             cj + ["--schemafile", str(SCHEMA), *many]),
        ]
        print(f"{'command':<36} {'median s':>9} {'min':>7} {'max':>7} | {'check-jsonschema':>16} {'ratio':>6}")
        for label, cmd, base in rows:
            lo, med, hi, rc = time_cmd(cmd, args.runs)
            line = f"{label:<36} {med:9.3f} {lo:7.3f} {hi:7.3f}"
            if rc not in (0,):
                line += f"  (exit {rc})"
            if base is not None:
                _, bmed, _, _ = time_cmd(base, args.runs)
                line += f" | {bmed:16.3f} {med / bmed:6.2f}"
            print(line)


if __name__ == "__main__":
    main()
