"""Running a sweep on Dask distributed, with results streamed to a Parquet dataset.

Output: a folder of Parquet files (``part-<batch>.parquet``), one per finished batch, each written whole and
atomically (temporary file + rename) by the client as the batch's result arrives. The worker encodes the batch's
Parquet file (:func:`encode_batch`) and sends its bytes: the client only writes them. Building a table of ~500
columns and encoding it costs about 40 % of a batch's analysis; done in the client it would take most of a core
away from the workers on a two-core machine, and it would not spread over a bigger cluster. So the folder only ever holds
complete batches: a sweep stopped at any point (Ctrl-C, a crash, a lost scheduler) resumes by skipping the
case ids already in it. A worker lost mid-sweep loses nothing: Dask reruns its unfinished tasks elsewhere, and a
batch's result is written once, when its future first completes, under a name fixed by its case ids (a rerun
after a restart would overwrite the same file with the same rows, never add a second copy).

Read the result with :func:`read_results` (or ``pyarrow.dataset``/``pandas.read_parquet`` on the folder): the
part files may differ in columns (designs have different numbers of racks, loops, feeds), and reading unifies
them, missing columns as nulls.
"""
from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from rackforge.features.sweep.cases import Case, LoadedSpec
from rackforge.features.sweep.evaluate import evaluate_batch


@dataclass
class SweepSummary:
    cases: int
    skipped: int
    ran: int
    passed: int
    failed: int
    broken: int
    seconds: float
    workers: int


def batches(cases: list[Case], size: int) -> list[list[Case]]:
    return [cases[i:i + size] for i in range(0, len(cases), size)]


def batch_name(batch: list[Case]) -> str:
    h = hashlib.sha256(" ".join(c.case_id for c in batch).encode()).hexdigest()[:16]
    return f"part-{h}.parquet"


def done_ids(out: Path) -> set[str]:
    """Case ids already in the output folder (complete part files only; stray temporary files are removed)."""
    import pyarrow.parquet as pq

    ids: set[str] = set()
    if not out.is_dir():
        return ids
    for f in sorted(out.glob("*.tmp")):
        f.unlink(missing_ok=True)
    for f in sorted(out.glob("part-*.parquet")):
        ids.update(pq.read_table(f, columns=["case_id"]).column("case_id").to_pylist())
    return ids


def rows_table(rows: list[dict]):
    """A pyarrow table of result rows: one column per key seen in any row (null where a row lacks it)."""
    import pyarrow as pa

    keys: dict[str, None] = {}
    for r in rows:
        keys.update(dict.fromkeys(r))
    cols = {}
    for k in keys:
        vals = [r.get(k) for r in rows]
        try:
            cols[k] = pa.array(vals)
        except (pa.ArrowInvalid, pa.ArrowTypeError):   # mixed kinds in one column: keep their text
            cols[k] = pa.array([None if v is None else str(v) for v in vals], pa.string())
    return pa.table(cols)


def encode_rows(rows: list[dict]) -> bytes:
    """The Parquet file of these rows, as bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(rows_table(rows), sink)
    return sink.getvalue().to_pybytes()


def tally(rows: list[dict]) -> dict[str, int]:
    """Cases of a batch that passed, failed (a finding at error severity) or broke (raised)."""
    out = {"passed": 0, "failed": 0, "broken": 0}
    for r in rows:
        out["broken" if r.get("failure") else "passed" if r.get("pass") else "failed"] += 1
    return out


def encode_batch(cases: list[Case], *args) -> tuple[bytes, dict[str, int]]:
    """A batch's result as its Parquet file's bytes and its tally: the task a worker runs."""
    rows = evaluate_batch(cases, *args)
    return encode_rows(rows), tally(rows)


def worker_task(cases: list[Case], *args) -> tuple[bytes, dict[str, int]]:
    """:func:`encode_batch` as a Dask task: the worker's kernels run on one thread (Dask runs one task per worker
    thread and its nanny sets the BLAS and OpenMP pools to one thread for the same reason; numba's pool is not
    among them, and its spinning idle threads cost the other workers on the machine)."""
    from rackforge.solvers import kernel_threads

    kernel_threads(1)
    return encode_batch(cases, *args)


def write_part(out: Path, batch: list[Case], data: bytes | list[dict]) -> Path:
    """Write a batch's part file atomically: ``data`` is its Parquet bytes (:func:`encode_batch`) or its rows."""
    from rackforge.io.fileio import atomic_write

    path = out / batch_name(batch)
    atomic_write(path, data if isinstance(data, bytes) else encode_rows(data))
    return path


def read_results(out: str | Path):
    """All rows of a sweep's output folder as one pyarrow table, sorted by case id (columns unified)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted(Path(out).glob("part-*.parquet"))
    if not files:
        return pa.table({"case_id": pa.array([], pa.string())})
    tables = [pq.read_table(f) for f in files]
    t = pa.concat_tables(tables, promote_options="permissive")
    return t.sort_by("case_id")


def run_sweep(ls: LoadedSpec, out: str | Path, *, scheduler: str | None = None, workers: int | None = None,
              serial: bool = False, client=None, progress: bool = True,
              on_batch: Callable[[int, int], None] | None = None) -> SweepSummary:
    """Run the SPEC's cases not yet in ``out``. ``client``: an existing ``distributed.Client``; else
    ``scheduler`` (address of a running cluster); else a local cluster of ``workers`` processes (default: one
    per core). ``serial``: no Dask, in this process (for checks and small runs). ``on_batch(done, total)`` is
    called after each batch is written."""
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    have = done_ids(out)
    todo = [c for c in ls.cases if c.case_id not in have]
    bs = batches(todo, ls.spec.batch)
    args = (ls.catalogs, tuple(ls.spec.select), tuple(ls.spec.ignore), len(ls.cases))
    counts = {"passed": 0, "failed": 0, "broken": 0}
    n_workers = 1

    def record(batch, result, bar, task):
        data, got = result
        write_part(out, batch, data)
        for k, v in got.items():
            counts[k] += v
        if bar is not None:
            bar.update(task, advance=len(batch))
        if on_batch is not None:
            on_batch(len(batch), len(todo))

    with _progress(progress, len(todo)) as (bar, task):
        if serial or not bs:
            for b in bs:
                record(b, encode_batch(b, *args), bar, task)
        else:
            own_cluster = None
            if client is None:
                from distributed import Client, LocalCluster

                if scheduler:
                    client = Client(scheduler)
                else:
                    n = workers or os.cpu_count() or 1
                    own_cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                               dashboard_address=None)
                    client = Client(own_cluster)
                own_client = client
            else:
                own_client = None
            try:
                n_workers = max(len(client.scheduler_info().get("workers", {})), 1)
                n_workers = _stream(client, bs, args, lambda b, rows: record(b, rows, bar, task)) or n_workers
            finally:
                if own_client is not None:
                    own_client.close()
                if own_cluster is not None:
                    own_cluster.close()
    return SweepSummary(len(ls.cases), len(ls.cases) - len(todo), len(todo), counts["passed"], counts["failed"],
                        counts["broken"], time.perf_counter() - t0, n_workers)


def _stream(client, bs: list[list[Case]], args: tuple, record) -> int | None:
    from distributed import as_completed

    futures = {}
    for b in bs:
        key = "rackforge-sweep-" + batch_name(b)[5:-8]
        fut = client.submit(worker_task, b, *args, key=key, pure=False, retries=2)
        futures[fut] = b
    for fut, rows in as_completed(list(futures), with_results=True):
        record(futures[fut], rows)
    return None


class _progress:
    """A rich progress bar on stderr (nothing when off or not a terminal... but still counts)."""

    def __init__(self, on: bool, total: int) -> None:
        self.on, self.total = on, total
        self.p = None

    def __enter__(self):
        if not self.on:
            return None, None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.p = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          console=Console(file=sys.stderr), transient=False)
        self.p.__enter__()
        return self.p, self.p.add_task("cases", total=self.total)

    def __exit__(self, *exc):
        if self.p is not None:
            self.p.__exit__(*exc)
        return False
