"""Section ``writer``: the batching writer and ``tempodb import`` against plain ``write_multi``.

The same N points over S series go in four ways, each into a fresh database (a new key is a new
database), on the embedded transport (``Client.local`` on a temporary file) and over HTTP to one
``tempodb serve`` on loopback:

- ``write_multi`` of dicts in chunks of ``CHUNK`` points, built from the points as a user would
  (the baseline, sync and asyncio);
- the batching writer (``client.writer()``, sync and asyncio) fed one ``write`` call per point,
  and fed ``write_multi`` batches of ``CHUNK`` points;
- ``tempodb import`` of a ``key,t,v`` CSV file holding the points, series after series as
  ``tempodb export`` writes them (the CLI's ``main`` in process);
- and, for scale, what a user would write instead of the import: ``csv.reader``,
  ``datetime.fromisoformat`` and ``write_multi`` in chunks (no checks, no line numbers).

Each figure is the best of ``repeat`` runs (the ways take turns, round after round), in points/s,
with its ratio to ``write_multi`` on the same transport and flavour (goal: at least 0.8, issue 14);
the import also gets its ratio to the script.  Each row's ``extra`` also holds the CPU time per point
(this process plus the server's) and its ratio: on a shared machine it moves less with the load.  ``python -m benchmarks.writer_speed``
runs it alone (``--points``, ``--series``, ``--repeat``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import gc
import io
import itertools
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import tempodb
import tempodb.aio
from benchmarks._common import T0, Row, check_goal
from benchmarks._server import cpu_seconds, server
from tempodb.cli import main as cli_main

CHUNK = 5_000
SCRIPT = "a script: csv.reader + fromisoformat + write_multi"
GOAL = 0.8
Point = tuple[str, datetime, float]


def make_points(n: int, series: int) -> list[Point]:
    """``n`` points spread over ``series`` series, interleaved as a logger would produce them."""
    step = timedelta(seconds=1)
    return [(f"series-{i % series}", T0 + step * (i // series), (i % 997) * 0.25) for i in range(n)]


def _chunks(data: list[Point]) -> Iterator[list[Point]]:
    for i in range(0, len(data), CHUNK):
        yield data[i : i + CHUNK]


class _Target:
    """Where the points go: an embedded file (in the directory ``db``) or the server, and a fresh key
    (database) per run."""

    def __init__(self, db: str | None, address: tuple[str, int] | None, n: int, series: int) -> None:
        self.db, self.address = db, address
        self.n, self.per_series = n, -(-n // series)
        self._keys = itertools.count()
        self.pid: int | None = None

    def path(self, key: str) -> str:
        """The embedded database of one run: a file of its own, so no run writes into a bigger file."""
        assert self.db is not None
        return os.path.join(self.db, f"{key}.db")

    def clear(self, key: str) -> None:
        """Free what a run wrote, so the next one meets the same store (a file, or the server's)."""
        if self.db is not None:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path(key) + suffix)
            return
        with self.sync(key) as client:
            for series in client.get_series():
                client.delete_series_by_key(series.key)

    def server_cpu(self) -> float:
        """CPU seconds the server process has used so far (0 embedded: it is this process)."""
        return (cpu_seconds(self.pid) or 0.0) if self.pid is not None else 0.0

    def key(self) -> str:
        return f"bench{os.getpid()}x{next(self._keys)}"

    def sync(self, key: str) -> tempodb.Client:
        if self.db is not None:
            return tempodb.Client.local(self.path(key), key=key, secret="bench")
        assert self.address is not None
        return tempodb.Client(key, "bench", *self.address, secure=False)

    def aio(self, key: str) -> tempodb.aio.Client:
        if self.db is not None:
            return tempodb.aio.Client.local(self.path(key), key=key, secret="bench")
        assert self.address is not None
        return tempodb.aio.Client(key, "bench", *self.address, secure=False)

    def cli(self, key: str) -> list[str]:
        if self.db is not None:
            return ["--db", self.path(key), "--key", key, "--secret", "bench"]
        assert self.address is not None
        host, port = self.address
        return ["--url", f"http://{host}:{port}", "--key", key, "--secret", "bench"]


def _sync_ways(target: _Target, data: list[Point], csv_path: str) -> dict[str, Callable[[str], None]]:
    def write_multi(key: str) -> None:
        with target.sync(key) as client:
            for chunk in _chunks(data):
                client.write_multi([{"key": k, "t": t, "v": v} for k, t, v in chunk])

    def writer_each(key: str) -> None:
        with target.sync(key) as client, client.writer() as w:
            write = w.write
            for k, t, v in data:
                write(t, v, key=k)

    def writer_batches(key: str) -> None:
        with target.sync(key) as client, client.writer() as w:
            for chunk in _chunks(data):
                w.write_multi([{"key": k, "t": t, "v": v} for k, t, v in chunk])

    def cli_import(key: str) -> None:
        with contextlib.redirect_stderr(io.StringIO()) as said:
            status = cli_main(["import", csv_path, *target.cli(key)])
        if status != 0:
            raise RuntimeError(f"tempodb import failed ({status}): {said.getvalue()[-2000:]}")

    def csv_script(key: str) -> None:
        # What a user would write instead of ``tempodb import``: read the file, write_multi in chunks.
        with target.sync(key) as client, open(csv_path, encoding="utf-8", newline="") as file:
            rows = csv.reader(file)
            next(rows)
            chunk: list[dict[str, object]] = []
            for k, t, v in rows:
                chunk.append({"key": k, "t": datetime.fromisoformat(t), "v": float(v)})
                if len(chunk) == CHUNK:
                    client.write_multi(chunk)
                    chunk = []
            if chunk:
                client.write_multi(chunk)

    return {"write_multi": write_multi, "writer, a write per point": writer_each,
            "writer, write_multi batches": writer_batches, "tempodb import (CSV)": cli_import,
            SCRIPT: csv_script}  # fmt: skip


def _aio_ways(target: _Target, data: list[Point]) -> dict[str, Callable[[str], None]]:
    async def write_multi(key: str) -> None:
        async with target.aio(key) as client:
            for chunk in _chunks(data):
                await client.write_multi([{"key": k, "t": t, "v": v} for k, t, v in chunk])

    async def writer_each(key: str) -> None:
        async with target.aio(key) as client, client.writer() as w:
            write = w.write
            for k, t, v in data:
                await write(t, v, key=k)

    async def writer_batches(key: str) -> None:
        async with target.aio(key) as client, client.writer() as w:
            for chunk in _chunks(data):
                await w.write_multi([{"key": k, "t": t, "v": v} for k, t, v in chunk])

    ways = {"write_multi": write_multi, "writer, a write per point": writer_each, "writer, write_multi batches": writer_batches}
    return {name: (lambda key, fn=fn: asyncio.run(fn(key))) for name, fn in ways.items()}


def _seconds(work: Callable[[str], None], target: _Target) -> tuple[float, float]:
    """Wall seconds of one run, and the CPU seconds it cost (this process, plus the server's)."""
    key = target.key()
    with target.sync(key) as client:  # the database exists before timing, as for every way
        client.write_key("warm-up", [tempodb.DataPoint(T0, 0.0)])
    gc.collect()
    server_before = target.server_cpu()
    cpu_before = time.process_time()
    began = time.perf_counter()
    work(key)
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu_before + target.server_cpu() - server_before
    _check(target, key)
    target.clear(key)
    return seconds, cpu


def _best(ways: dict[str, Callable[[str], None]], target: _Target, repeat: int) -> dict[str, tuple[float, float]]:
    """The best wall and CPU seconds of each way, the ways taking turns round after round (a machine
    busy for a while then slows every way alike, not the one that happened to run then)."""
    best = dict.fromkeys(ways, (float("inf"), float("inf")))
    for _ in range(repeat):
        for name, work in ways.items():
            wall, cpu = _seconds(work, target)
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def _check(target: _Target, key: str) -> None:
    """Every point of a run really landed (outside the timed region)."""
    with target.sync(key) as client:
        found = client.read_key("series-0", T0, T0 + timedelta(seconds=target.n), interval="raw")
    assert len(found.data) == target.per_series, (len(found.data), target.per_series)


def run(n: int, series: int, repeat: int = 3) -> list[Row]:
    data = make_points(n, series)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="tempodb-bench-") as directory:
        csv_path = os.path.join(directory, "points.csv")
        with open(csv_path, "w", encoding="utf-8", newline="") as out:
            rows_out = csv.writer(out, lineterminator="\n")
            rows_out.writerow(("key", "t", "v"))
            # Series after series, as ``tempodb export`` writes them (no two lines in a row share a time).
            rows_out.writerows((k, t.isoformat(), repr(v)) for k, t, v in sorted(data, key=lambda p: p[0]))
        embedded = _Target(directory, None, n, series)
        with server() as process:
            http = _Target(None, (process.info.host, process.info.port), n, series)
            http.pid = process.process.pid
            for label, target in (("embedded", embedded), ("HTTP", http)):
                for flavour, ways in (("sync", _sync_ways(target, data, csv_path)), ("asyncio", _aio_ways(target, data))):
                    measured = _best(ways, target, repeat)
                    seconds = {name: wall for name, (wall, _) in measured.items()}
                    base, base_cpu = n / seconds["write_multi"], measured["write_multi"][1]
                    for name in ways:
                        rate = n / seconds[name]
                        # CPU cost beside the wall time: on a shared machine it moves less with the load.
                        cpu_ratio = base_cpu / measured[name][1]
                        row = Row("writer", f"{label}, {flavour}: {name}", rate, "points/s", rate / base,
                                  f"{flavour} write_multi ({label})",
                                  extra={"points": n, "series": series, "cpu_us_per_point": 1e6 * measured[name][1] / n,
                                         "cpu_ratio": cpu_ratio})  # fmt: skip
                        rows.append(row if name in ("write_multi", SCRIPT) else check_goal(row, ">=", GOAL))
                        print(f"    {row.name}: {rate:,.0f} points/s ({rate / base:.2f}; CPU "
                              f"{1e6 * measured[name][1] / n:.2f} us/point, {cpu_ratio:.2f})", flush=True)
                    if SCRIPT in seconds:
                        rate = n / seconds["tempodb import (CSV)"]
                        rows.append(Row("writer", f"{label}, {flavour}: tempodb import (CSV), against the script", rate,
                                        "points/s", seconds[SCRIPT] / seconds["tempodb import (CSV)"], SCRIPT,
                                        note="the same file read by a few lines of Python (no checks, no error lines)"))  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--points", type=int, default=210_000)
    parser.add_argument("--series", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    for row in run(args.points, args.series, args.repeat):
        flag = "" if row.met is None else ("  ok" if row.met else "  BELOW GOAL")
        cpu = f"  CPU {row.extra['cpu_us_per_point']:.2f} us/point ({row.extra['cpu_ratio']:.2f})" if row.extra else ""
        print(f"{row.name:66} {row.value:>9,.0f} points/s  {row.ratio:.2f}{cpu}{flag}")


if __name__ == "__main__":
    main()

