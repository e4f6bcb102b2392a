"""One end-to-end scenario in a process of its own, so its peak RSS is its own.

``python -m benchmarks._child SCENARIO N DB [HOST:PORT] [--repeat R] [--traced]`` prints one JSON
line: seconds of the fastest repeat, resident memory just before the timed work, and the peak
during it; with ``--traced`` (client reads) also the peak and retained bytes of one more read
under tracemalloc.
Scenarios: ``{local,http,sqlite}-{write,read}``.  Writes go to fresh series each repeat (so every
repeat inserts, never overwrites); reads read series 0, written by the matching write scenario.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sqlite3
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta

from benchmarks._common import T0, T0_MS, points

#: The raw SQLite baseline commits as often as the client does (one request per chunk) and with
#: the same durability as the server (WAL, synchronous=FULL), so the ratio measures our overhead,
#: not a weaker durability promise.
CHUNK = 10_000


def rss_now() -> int:
    with open("/proc/self/statm", encoding="ascii") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def reset_peak() -> bool:
    """Restart the kernel's peak-RSS count here (Linux >= 4.0), so imports and input building do
    not hide the peak of the timed work; False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as file:
            file.write("5")
        return True
    except OSError:
        return False


def peak_rss() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as file:
            for line in file:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux


def _sqlite(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS points (series INTEGER NOT NULL, t INTEGER NOT NULL, v REAL NOT NULL,"
        " PRIMARY KEY (series, t)) WITHOUT ROWID"
    )
    return conn


def _client(scenario: str, db: str, address: str | None):  # type: ignore[no-untyped-def]
    import tempodb

    if scenario.startswith("local"):
        return tempodb.Client.local(db)
    assert address is not None
    host, port = address.rsplit(":", 1)
    return tempodb.Client("bench", "bench", host, int(port), secure=False)


def prepare(scenario: str, n: int, db: str, address: str | None) -> Callable[[int], int]:
    """Build the input outside the timed region; return ``work(repeat) -> points handled``."""
    kind, action = scenario.split("-")
    end = T0 + timedelta(seconds=n)
    if kind == "sqlite":
        conn = _sqlite(db)
        if action == "write":
            rows = [(T0_MS + 1000 * i, i * 0.5) for i in range(n)]

            def sqlite_write(repeat: int) -> int:
                for begin in range(0, n, CHUNK):
                    conn.execute("BEGIN IMMEDIATE")
                    conn.executemany(f"INSERT INTO points (series, t, v) VALUES ({repeat:d}, ?, ?)", rows[begin : begin + CHUNK])
                    conn.execute("COMMIT")
                return n

            return sqlite_write

        def sqlite_read(repeat: int) -> int:
            found = conn.execute(
                "SELECT t, v FROM points WHERE series = 0 AND t >= ? AND t < ? ORDER BY t", (T0_MS, T0_MS + 1000 * n)
            ).fetchall()
            return len(found)

        return sqlite_read

    client = _client(scenario, db, address)
    if action == "write":
        data = points(n)

        def client_write(repeat: int) -> int:
            client.write_key(f"bench-{repeat}", data)
            return n

        return client_write

    def client_read(repeat: int) -> int:
        found = client.read_key("bench-0", T0, end, interval="raw")
        if repeat == TRACED:
            held.append(found)  # the traced run keeps its models: what they hold is what a read retains
        return len(found.data)

    held: list[object] = []
    return client_read


#: The repeat number of the run made under tracemalloc, after the timed ones (client reads only).
TRACED = -1


def traced(work: Callable[[int], int]) -> tuple[int, int]:
    """(peak, retained) bytes Python allocated for one more run of ``work``: the peak while it ran
    (for a read: the response body and every intermediate included) and what is still held after."""
    gc.collect()
    tracemalloc.start()
    try:
        work(TRACED)
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, retained


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario")
    parser.add_argument("n", type=int)
    parser.add_argument("db")
    parser.add_argument("address", nargs="?")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--traced", action="store_true", help="then one more run under tracemalloc (client reads)")
    args = parser.parse_args()
    work = prepare(args.scenario, args.n, args.db, args.address)
    before = rss_now()
    reset = reset_peak()
    best = float("inf")
    for repeat in range(args.repeat):
        begin = time.perf_counter()
        handled = work(repeat)
        best = min(best, time.perf_counter() - begin)
        if handled != args.n:
            raise SystemExit(f"{args.scenario}: handled {handled} points, expected {args.n}")
    result = {"seconds": best, "rss_before": before, "peak_rss": peak_rss(), "peak_reset": reset}
    if args.traced:
        result["traced_peak"], result["traced_retained"] = traced(work)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
