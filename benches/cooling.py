"""Bench: liquid-loop hydraulics, numba path against the numpy/scipy reference.

Run ``python benches/cooling.py [--sizes 18 72 1000 10000] [--scenarios 1000] [--ref-budget 3] [--tee]``.

Each loop (``hydraulics.uniform_manifold``): water at 25 degC, one branch per tray with a 1/2-inch
hose of 1.2 m and a cold-plate + quick-disconnect curve of ~48 kPa at 9 L/min (1.5 L/min per kW at
6 kW), tapered headers sized for 1 m/s at the design flow with one 1RU (44.45 mm) segment per tap
and K = 0.02 per tee run, and a CDU of three running pumps sized for the design flow. With ``--tee`` the
header tees also lose pressure by flow ratio (Crane TP-410, ``uniform_manifold(tee=True)``): the targets are
set for the loop without them, the ``--tee`` figures show what the flow-ratio tees cost.

For every size N the bench times

* one cold solve (uniform start, Newton until converged);
* a sweep of ``--scenarios`` fault scenarios, scenario k blocking branch ``k mod N``, in one
  batch call warm-started from the base solution.

The numba path is timed after a warm-up call (first-call compile / cache-load time is printed
separately). The reference path (scipy.sparse Newton, one scenario at a time) is timed on as many
scenarios as fit in ``--ref-budget`` seconds per size and extrapolated linearly to the full sweep,
as the output says. The last column is the largest relative branch-flow difference between the two
paths over the scenarios the reference solved.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

T0 = time.perf_counter()
from rackforge.solvers import hydraulics as H  # noqa: E402
from rackforge.solvers import hydraulics_ref as R  # noqa: E402

IMPORT_S = time.perf_counter() - T0

TARGETS = {  # (N, what) -> seconds, on 2 cores
    (72, "sweep"): 0.15,
    (1000, "sweep"): 0.5,
    (10000, "single"): 0.010,
}


TEE = False


def loop(n: int) -> H.HydraulicNetwork:
    return H.uniform_manifold(n, header_velocity=1.0, header_k=0.02, n_pumps=3, n_running=3, tee=TEE)


def best_of(fn, repeat):
    best = np.inf
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[18, 72, 1000, 10000])
    ap.add_argument("--scenarios", type=int, default=1000)
    ap.add_argument("--ref-budget", type=float, default=3.0, help="seconds of reference sweep per size")
    ap.add_argument("--tee", action="store_true", help="flow-ratio tee losses at the taps")
    args = ap.parse_args()
    global TEE
    TEE = args.tee

    # first call: compile or load the numba cache
    t = time.perf_counter()
    small = loop(4)
    b0 = H.solve(small)
    H.solve_batch(small, [3, 3], np.ones((2, 4), bool), warm=b0)
    first_call = time.perf_counter() - t
    import numba

    print(f"import {IMPORT_S * 1e3:.0f} ms; first numba calls (compile or cache load) {first_call:.2f} s; "
          f"numba threads {numba.get_num_threads()}; cpus {os.cpu_count()}")
    print()
    hdr = (f"{'N':>6} {'flow/branch':>11} {'spread':>7} | {'single numba':>12} {'single ref':>11} {'ratio':>6} | "
           f"{'sweep numba':>11} {'iter':>4} {'sweep ref':>10} {'ref on':>7} {'ratio':>6} | {'max rel diff':>12}")
    print(hdr)
    print("-" * len(hdr))
    notes = []
    for n in args.sizes:
        net = loop(n)
        ns = args.scenarios
        n_act = np.full(ns, net.n_running)
        op = np.ones((ns, n), bool)
        op[np.arange(ns), np.arange(ns) % n] = False

        rep = 20 if n <= 1000 else 5
        t_single, base = best_of(lambda: H.solve(net), rep)
        t_single_ref, base_ref = best_of(lambda: R.solve_ref(net), 1 if n >= 1000 else 3)
        H.solve_batch(net, n_act[:2], op[:2], warm=base)  # warm-up of this shape
        t_sweep, batch = best_of(lambda: H.solve_batch(net, n_act, op, warm=base), 3 if n <= 1000 else 1)
        assert batch.converged.all(), "numba sweep did not converge"

        # reference sweep on a time budget, extrapolated
        k = 0
        worst = abs(base.branch_flow / base_ref.branch_flow - 1).max()
        t0 = time.perf_counter()
        while k < ns and (time.perf_counter() - t0 < args.ref_budget or k < 2):
            r = R.solve_ref(net, int(n_act[k]), op[k], q0=base.link_flow)
            m = op[k]
            worst = max(worst, np.max(np.abs(batch.branch_flow[k][m] / r.branch_flow[m] - 1)))
            k += 1
        t_ref_k = time.perf_counter() - t0
        t_sweep_ref = t_ref_k * ns / k

        q = base.branch_flow
        print(f"{n:>6} {q.mean() * 6e4:>7.2f} L/m {q.min() / q.max():>7.3f} | {t_single * 1e3:>9.3f} ms "
              f"{t_single_ref * 1e3:>8.1f} ms {t_single_ref / t_single:>6.0f} | {t_sweep:>9.3f} s "
              f"{batch.iterations.mean():>4.1f} {t_sweep_ref:>8.2f} s {k:>7d} {t_sweep_ref / t_sweep:>6.0f} | "
              f"{worst:>12.1e}")
        for (tn, what), limit in TARGETS.items():
            if tn == n:
                got = t_sweep if what == "sweep" else t_single
                notes.append(f"target N={n} {what}: {got * 1e3:.1f} ms vs {limit * 1e3:.0f} ms "
                             f"-> {'met' if got <= limit else 'MISSED'}")
    print()
    print(f"sweep = {args.scenarios} scenarios, one branch blocked each, one batch call warm-started "
          "from the base solution; iter = mean Newton iterations per scenario.")
    print(f"ref = scipy.sparse Newton per scenario, timed on 'ref on' scenarios within a {args.ref_budget:g} s "
          "budget and extrapolated linearly to the full sweep.")
    for line in notes:
        print(line)


if __name__ == "__main__":
    main()
