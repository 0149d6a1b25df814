"""Robustness fuzz (issue 20): N mutants of the seeds through validate, analyze, bom, render and report.

Each command runs in its own process with a wall-clock deadline and an address-space cap (RLIMIT_AS); the
mutants are spread over worker processes. Counted per run: exit 0/1/2 (fine), tracebacks, internal errors
(exit 3, which the CLI prints instead of a traceback: still a failure here), other exit codes, runs over the
deadline and runs out of memory; per mutant also render/report time against validate time.

    PYTHONPATH=$PWD python benches/fuzz.py -n 5000 -j 2 --seed 2026 --timeout 20 --wall 200 --mem-mb 2048 \
        --max-elements 1000000 --json fuzz.jsonl
    PYTHONPATH=$PWD python benches/fuzz.py -n 400 --seed 2027 --seeds seeds/hall/gb200-hall-block*.yaml

(``--seeds`` mutates other designs than the top-level seeds, e.g. the small hall blocks, whose facility power
chain and water the top-level seeds do not have. ``--timeout`` is CPU seconds per run, ``--wall`` a wall-clock backstop; see :func:`run_fork`. CPU time counts
every thread: a run on numba's parallel power solver counts its spinning workers too. ``--max-elements 1000000``:
rackforge's default limit, 32,000,000 elements, admits the documented hall scale of 10,000 NVL72 racks, whose check
takes minutes; 1,000 racks (~3 M elements) already take ~6-9 s of CPU alone and up to ~19 s CPU on 2 contended
cores, so the deadline would measure the neighbours; the benches characterise that scale. ``--summarize fuzz.jsonl`` prints the counts of a run, finished or not.)

Modes: ``--mode fork`` (default) forks each run from a worker that has already imported rackforge and loaded
the catalog, so a run costs its own work only; ``--mode spawn`` starts ``python -m rackforge`` per run
(slower, also covers import-time failures). A failing mutant is kept under ``--keep`` (default
``fuzz-failures/``) with its design, side catalog and a ``case.json`` naming the commands, the seed and the
mutations; ``tests/test_fuzz.py`` replays every case stored in ``tests/data/fuzz/``.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mutate import COMMANDS, make_mutant, write_mutant  # noqa: E402

TRACEBACK_MARKS = ("Traceback (most recent call last)", "Traceback (most recent call last", "─ Traceback ─")
EXIT_INTERNAL = 3


def argv_for(cmd: str, design: str) -> list[str]:
    return {"validate": ["validate", "-f", "concise", design],
            "analyze": ["analyze", design],
            "bom": ["bom", design],
            "render": ["render", design],
            "report": ["report", design]}[cmd]


def classify(rc: int | None, err: str, timed_out: bool) -> str:
    if timed_out:
        return "timeout"
    if "MemoryError" in err or "out of memory" in err.lower() or "Cannot allocate memory" in err:
        return "oom"
    if any(m in err for m in TRACEBACK_MARKS):
        return "traceback"
    if rc == EXIT_INTERNAL or any(m in err for m in ("analysis failed:", "analysis summary incomplete:",
                                                     "drawing failed:")):
        return "internal"   # the report's fallback hides a failed analysis behind a warning: still a bug
    if rc in (0, 1, 2):
        return f"exit{rc}"
    if rc is not None and rc < 0:
        return "oom" if rc == -signal.SIGKILL else f"signal{-rc}"
    return f"exit{rc}"


FAIL = ("timeout", "oom", "traceback", "internal")


def _limit(mem_mb: int, cpu_s: float | None = None):
    cap = mem_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if cpu_s:
        soft = max(1, int(cpu_s + 0.999))
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 5))


# The deadline is CPU time (RLIMIT_CPU, SIGXCPU; checked from the child's rusage): on 2 cores shared with other
# work, wall time measures the neighbours. A wall-clock backstop (``--wall``) still catches a run that blocks
# without using the CPU.


def run_fork(argv: list[str], timeout: float, mem_mb: int, wall: float) -> tuple[int | None, str, float, bool,
                                                                               float]:
    errf = tempfile.TemporaryFile()
    sys.stdout.flush()
    sys.stderr.flush()
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child
        code = 97
        try:
            os.setsid()
            _limit(mem_mb, timeout)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(errf.fileno(), 2)
            os.environ["COLUMNS"] = "120"
            from rackforge.cli.app import main

            try:
                main(argv)
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except MemoryError:
            os.write(2, b"\nMemoryError\n")
            code = 99
        except BaseException:
            import traceback

            try:
                traceback.print_exc()
            except BaseException:
                os.write(2, b"\nTraceback (most recent call last): (unprintable)\n")
            code = 98
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:
                pass
            os._exit(code)
    deadline = t0 + wall
    timed_out = False
    status = None
    ru = None
    while True:
        done, status, ru = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() > deadline:
            timed_out = True
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, status, ru = os.wait4(pid, 0)
            break
        time.sleep(0.005)
    secs = time.perf_counter() - t0
    cpu = (ru.ru_utime + ru.ru_stime) if ru is not None else 0.0
    rc = os.waitstatus_to_exitcode(status) if status is not None else None
    if rc == -signal.SIGXCPU or rc == -signal.SIGKILL and cpu >= timeout or cpu > timeout:
        timed_out = True
    errf.seek(0)
    err = errf.read().decode("utf-8", "replace")
    errf.close()
    return rc, err, secs, timed_out, cpu


def run_spawn(argv: list[str], timeout: float, mem_mb: int, wall: float) -> tuple[int | None, str, float, bool,
                                                                                 float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="120")
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.Popen([sys.executable, "-m", "rackforge", *argv], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=env, preexec_fn=lambda: (os.setsid(), _limit(mem_mb, timeout)))
    try:
        _, err = p.communicate(timeout=wall)
        to = False
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        _, err = p.communicate()
        to = True
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    to = to or p.returncode == -signal.SIGXCPU or cpu > timeout
    return p.returncode, err.decode("utf-8", "replace"), time.perf_counter() - t0, to, cpu


_ARGS = None


def _init(args):
    global _ARGS
    _ARGS = args
    if args.mode == "fork":  # warm: everything a run imports, and the catalog, loaded once per worker
        from rackforge.cli.app import build_app
        from rackforge.model.catalog import default_catalog
        from rackforge.rules import all_rules
        import rackforge.lowering.power, rackforge.lowering.cooling, rackforge.lowering.network  # noqa: E401,F401
        import rackforge.lowering.supply_chain, rackforge.features.bom  # noqa: E401,F401
        import rackforge.features.render.svg, rackforge.features.render.html  # noqa: E401,F401

        build_app()
        all_rules()
        default_catalog()


def one(index: int) -> dict:
    a = _ARGS
    seed_name, design, cat, ops = make_mutant(index, a.seed, files=a.seeds)
    runner = run_fork if a.mode == "fork" else run_spawn
    out = {"index": index, "seed": seed_name, "ops": ops, "runs": {}}
    with tempfile.TemporaryDirectory(prefix="rf-fuzz-") as tmp:
        folder = Path(tmp)
        path = write_mutant(folder, design, cat)
        for cmd in a.commands:
            rc, err, secs, to, cpu = runner(argv_for(cmd, str(path)), a.timeout, a.mem_mb, a.wall)
            kind = classify(rc, err, to)
            out["runs"][cmd] = {"kind": kind, "rc": rc, "secs": round(secs, 3), "cpu": round(cpu, 3),
                                "err": err.strip().splitlines()[-1][:300] if err.strip() else ""}
        if any(r["kind"] in FAIL for r in out["runs"].values()) and a.keep:
            dest = Path(a.keep) / f"m{index:06d}"
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(folder, dest)
            (dest / "case.json").write_text(json.dumps({**out, "base_seed": a.seed}, indent=1, default=str))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=200, help="number of mutants")
    ap.add_argument("-j", type=int, default=2, help="worker processes")
    ap.add_argument("--seed", type=int, default=20, help="base seed (mutant i is random.Random(f'{seed}:{i}'))")
    ap.add_argument("--start", type=int, default=0, help="first mutant index")
    ap.add_argument("--timeout", type=float, default=20.0, help="deadline per run [s of CPU time]")
    ap.add_argument("--wall", type=float, default=200.0, help="wall-clock backstop per run [s]")
    ap.add_argument("--mem-mb", type=int, default=2048, help="address-space cap per run [MiB]")
    ap.add_argument("--mode", choices=("fork", "spawn"), default="fork")
    ap.add_argument("--commands", default=",".join(COMMANDS))
    ap.add_argument("--keep", default="fuzz-failures", help="folder for failing mutants ('' to keep none)")
    ap.add_argument("--ratio", type=float, default=5.0, help="render/report using more CPU than validate by more "
                    "than this factor (and by more than 1 s) counts as slow")
    ap.add_argument("--json", help="write every mutant's result to this JSON-lines file")
    ap.add_argument("--max-elements", type=int, help="RACKFORGE_MAX_ELEMENTS for the runs (default: rackforge's)")
    ap.add_argument("--summarize", metavar="FILE", help="print the summary of a (partial) run's --json log and exit")
    ap.add_argument("--seeds", nargs="+", type=Path, metavar="DESIGN",
                    help="designs to mutate, in turn (default: the top-level seeds; e.g. seeds/hall/*block*.yaml)")
    args = ap.parse_args(argv)
    args.commands = [c for c in args.commands.split(",") if c]
    if args.max_elements is not None:   # inherited by forked and spawned runs
        os.environ["RACKFORGE_MAX_ELEMENTS"] = str(args.max_elements)
    if args.summarize:   # a (possibly partial) run's JSON-lines log
        with open(args.summarize) as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        return summary(rows, args, None, f"summary of {args.summarize}")
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    rows = []
    t0 = time.time()
    log = open(args.json, "w") if args.json else None
    tty = sys.stderr.isatty()
    nfail = 0
    with ctx.Pool(args.j, initializer=_init, initargs=(args,), maxtasksperchild=200) as pool:
        for k, res in enumerate(pool.imap_unordered(one, range(args.start, args.start + args.n)), 1):
            rows.append(res)
            if log:
                log.write(json.dumps(res, default=str) + "\n")
                log.flush()
            nfail += any(r["kind"] in FAIL for r in res["runs"].values())
            if tty and (k % 10 == 0 or k == args.n):
                print(f"\r{k}/{args.n} mutants, {time.time() - t0:,.0f} s, failing mutants {nfail}", end="",
                      file=sys.stderr, flush=True)
    if tty:
        print(file=sys.stderr)
    if log:
        log.close()
    return summary(rows, args, time.time() - t0, f"indexes {args.start}..{args.start + args.n - 1}, base seed "
                   f"{args.seed}, mode {args.mode}, {args.j} workers")


def summary(rows: list[dict], args, wall: float | None, what: str) -> int:
    counts: collections.Counter = collections.Counter()
    per_cmd: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    fails, slow = [], []
    cpu_max: dict[str, float] = {}
    wall_max: dict[str, float] = {}
    for res in rows:
        for cmd, r in res["runs"].items():
            counts[r["kind"]] += 1
            per_cmd[cmd][r["kind"]] += 1
            cpu_max[cmd] = max(cpu_max.get(cmd, 0.0), r.get("cpu", 0.0))
            wall_max[cmd] = max(wall_max.get(cmd, 0.0), r["secs"])
            if r["kind"] in FAIL:
                fails.append((res["index"], cmd, r["kind"], r["err"], res["seed"], res["ops"]))
        v = res["runs"].get("validate")
        for cmd in ("render", "report"):
            r = res["runs"].get(cmd)
            if v and r and r["kind"].startswith("exit") and r.get("cpu", r["secs"]) > args.ratio * v.get("cpu", v["secs"]) + 1.0:
                slow.append((res["index"], cmd, r.get("cpu", r["secs"]), v.get("cpu", v["secs"])))
    print(f"rackforge fuzz: {len(rows)} mutants ({what}), RACKFORGE_MAX_ELEMENTS="
          f"{os.environ.get('RACKFORGE_MAX_ELEMENTS', 'default')}, deadline {args.timeout:g} s CPU ({args.wall:g} s wall), "
          f"cap {args.mem_mb} MiB" + (f", {wall:,.0f} s" if wall is not None else ""))
    print("runs:", dict(sorted(counts.items())))
    for cmd, c in per_cmd.items():
        print(f"  {cmd:<9}", dict(sorted(c.items())), f"max {cpu_max.get(cmd, 0):.1f} s CPU, "
              f"{wall_max.get(cmd, 0):.1f} s wall")
    print(f"tracebacks {counts['traceback']}  internal errors {counts['internal']}  over deadline "
          f"{counts['timeout']}  out of memory {counts['oom']}  render/report > {args.ratio:g}x validate + 1 s: "
          f"{len(slow)}")
    for f in fails[:40]:
        print(f"  FAIL mutant {f[0]} {f[1]}: {f[2]}: {f[3]}  [{f[4]}; {' | '.join(f[5])[:300]}]")
    for s in slow[:10]:
        print(f"  SLOW mutant {s[0]} {s[1]}: {s[2]:.2f} s CPU vs validate {s[3]:.2f} s")
    return 1 if fails or slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
