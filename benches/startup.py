"""Start-up and whole-run speed of `rackforge validate`, against check-jsonschema on the same files.

Runs each command as a fresh process several times and prints the median wall time and the ratio. Timing
never enters the test suite; this script is run by hand:

    python benches/startup.py [--runs 9] [--files 200] [--seed seeds/gb200-nvl72.json]

Figures, in one run:
- `rackforge --version`;
- `rackforge validate` on one seed: a fresh process each time, caches warm (one untimed run first fills the
  page cache, the .pyc files and numba's kernel cache);
- `rackforge validate` on N design files in one call (copies of the seeds, N/len(seeds) of each);
- `check-jsonschema --schemafile schemas/rackforge-design.schema.json` on the same single file and on the same
  N files, and the ratio rackforge / check-jsonschema.

What the comparison means: check-jsonschema only checks the design against its JSON Schema; rackforge
also checks units, resolves parts against the catalog and runs every rule (power, cooling, topology, ...),
so the ratio is the price of the engineering checks over a bare schema check. The machine's load average
and the checkout's commit (and whether the tree had uncommitted changes) are printed with the figures,
because rules land all the time and other work may share the cores.

Bytecode: a pip-installed rackforge has its .pyc files compiled at install time. A checkout run with
PYTHONDONTWRITEBYTECODE set would recompile every module in every run and inflate the figures, so the bench
compiles the package first and runs the timed processes without that variable (it says so when it was set).
The per-user caches (numba kernels, the validated default catalog) are filled by the untimed warm-up runs.

Result cache (issue 15): the timed processes get a private XDG_CACHE_HOME (numba kernels, catalog and result
caches, kept between runs). Rows marked "cold" empty the result cache before every run (numba's and the
catalog's stay warm: they are filled once per install); "warm" rows run with the result cache filled by the
warm-up run; "--no-cache" rows neither read nor write it. The N files are copies of the seeds, so a cold run
analyses only the distinct contents (identical designs share one cache entry); the "distinct" row gives every
copy its own name, so all N are analysed (one process per core).

Targets (issue 8, on 2 cores): --version < 0.1 s; one seed < 0.5 s and at most 2x check-jsonschema;
N = 200 files < 10 s. Issue 15: 200 files cold <= 1.5x check-jsonschema, warm <= 0.3x; one seed cold
<= 1.5x.
"""
from __future__ import annotations

import argparse
import compileall
import os
import re
import shlex
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


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def time_cmd(cmd: list[str], runs: int, before=None) -> tuple[float, float, float, int]:
    """Median etc. of ``runs`` fresh processes after one untimed warm-up; ``before()`` runs before each (e.g. to
    empty the result cache for a cold row)."""
    if before:
        before()
    subprocess.run(cmd, capture_output=True, env=ENV)  # warm-up: page cache, pyc, numba/catalog caches
    times = []
    rc = 0
    for _ in range(runs):
        if before:
            before()
        t = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, env=ENV)
        times.append(time.perf_counter() - t)
        rc = out.returncode
    return min(times), statistics.median(times), max(times), rc


def _state() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        if rev.returncode != 0:
            return "not a git checkout"
        head = rev.stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        return "not a git checkout"
    return f"commit {head or '?'}" + (" + uncommitted changes" if dirty else "")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--seed", default=str(SEED), help="the design for the single-file rows")
    ap.add_argument("--rackforge", default=None, help="the command to time (default: the rackforge script), "
                    "e.g. 'python -m rackforge' with PYTHONPATH at another checkout")
    args = ap.parse_args()
    seed = Path(args.seed)
    rf = shlex.split(args.rackforge) if args.rackforge else _exe("rackforge")
    cj = _exe("check-jsonschema")
    import rackforge
    from rackforge._version import __version__
    from rackforge.rules import all_rules

    compileall.compile_dir(os.path.dirname(rackforge.__file__), quiet=1)
    cj_version = subprocess.run(cj + ["--version"], capture_output=True, text=True).stdout.strip()
    print(f"rackforge {__version__} ({_state()}), {len(all_rules())} rules; {cj_version or 'check-jsonschema ?'}")
    if args.rackforge:  # the line above describes this checkout; the timed command may run another one
        print(f"timed command: {args.rackforge} (rackforge imported from {os.path.dirname(rackforge.__file__)})")
    print(f"{os.cpu_count()} cores, load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{args.runs} timed runs per row (median, min, max of fresh processes)")
    print("bytecode: package compiled, timed processes write .pyc"
          + (" (PYTHONDONTWRITEBYTECODE was set here: dropped for them)" if "PYTHONDONTWRITEBYTECODE" in os.environ
             else ""))
    with tempfile.TemporaryDirectory() as tmp:
        ENV["XDG_CACHE_HOME"] = os.path.join(tmp, "xdg")
        results = Path(tmp) / "xdg" / "rackforge" / "results"

        def cold():
            shutil.rmtree(results, ignore_errors=True)

        seeds = sorted(p for p in (ROOT / "seeds").iterdir() if p.suffix in (".json", ".yaml"))
        many, distinct = [], []
        os.makedirs(os.path.join(tmp, "distinct"))
        for i in range(args.files):
            src = seeds[i % len(seeds)]
            dst = Path(tmp) / f"d{i:04d}{src.suffix}"
            dst.write_text(src.read_text())
            many.append(str(dst))
            # the same design under its own name: a different content, so no shared cache entry
            text = src.read_text()
            text = re.sub(r'(?m)^(\s*"?name"?\s*:\s*"?)([^"\n]*)', lambda m: m.group(1) + f"{m.group(2)} copy {i}",
                          text, count=1)
            dst = Path(tmp) / "distinct" / f"d{i:04d}{src.suffix}"
            dst.write_text(text)
            distinct.append(str(dst))
        print(f"{args.files} files: copies of {', '.join(p.name for p in seeds)}")
        one_cj = cj + ["--schemafile", str(SCHEMA), str(seed)]
        many_cj = cj + ["--schemafile", str(SCHEMA), *many]
        n = args.files
        rows = [
            ("rackforge --version", rf + ["--version"], None, 0.1, None, None),
            (f"validate --no-cache (1 seed: {seed.name})", rf + ["validate", "--no-cache", str(seed)], one_cj,
             0.5, 2.0, None),
            (f"validate cold (1 seed)", rf + ["validate", str(seed)], one_cj, 0.5, 1.5, cold),
            (f"validate --no-cache -j1 ({n} files)", rf + ["validate", "--no-cache", "-j", "1", *many], many_cj,
             10.0 * n / 200, None, None),
            (f"validate --no-cache ({n} files, 1/core)", rf + ["validate", "--no-cache", *many], many_cj,
             10.0 * n / 200, None, None),
            (f"validate cold ({n} copies)", rf + ["validate", *many], many_cj, 10.0 * n / 200, 1.5, cold),
            (f"validate cold ({n} distinct)", rf + ["validate", *distinct], cj + ["--schemafile", str(SCHEMA),
             *distinct], 10.0 * n / 200, 1.5, cold),
            (f"validate warm ({n} files)", rf + ["validate", *many], many_cj, 10.0 * n / 200, 0.3, None),
        ]
        print(f"{'command':<44} {'median s':>9} {'min':>7} {'max':>7} | {'check-jsonschema':>16} {'ratio':>6} | target")
        for label, cmd, base, limit, max_ratio, before in rows:
            lo, med, hi, rc = time_cmd(cmd, args.runs, before)
            line = f"{label:<44} {med:9.3f} {lo:7.3f} {hi:7.3f}"
            verdict = [f"< {limit:g} s {'met' if med < limit else 'MISSED'}"]
            if base is not None:
                _, bmed, _, brc = time_cmd(base, args.runs)
                ratio = med / bmed
                line += f" | {bmed:16.3f} {ratio:6.2f}"
                if max_ratio is not None:
                    verdict.append(f"<= {max_ratio:g}x {'met' if ratio <= max_ratio else 'MISSED'}")
                if brc != 0:
                    line += f" (check-jsonschema exit {brc})"
            else:
                line += f" | {'':>16} {'':>6}"
            line += " | " + ", ".join(verdict)
            if rc != 0:
                line += f"  (rackforge exit {rc}: the figures include reporting findings)"
            print(line, flush=True)
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
