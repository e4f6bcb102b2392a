"""Sections ``end_to_end`` and ``scaling``: write then read N points of one series for real.

Three stacks, each scenario in its own child process (``_child``) so peak RSS is per scenario:
our client on the embedded transport (``Client.local`` on a temp file), our client over HTTP on
loopback to ``tempodb serve`` (a fresh server per size; its own peak RSS is read from /proc), and
raw SQLite (``executemany`` into a plain ``(series, t, v)`` table with the same primary key, WAL,
same durability and commit size; a range ``SELECT ... fetchall()``), the baseline.

end_to_end (the largest size): points/s and ratio to raw SQLite (goals: embedded >= 0.5, HTTP >= 0.3),
peak RSS, and bytes per point held by the read: RSS growth per point, and (tracemalloc) the
peak during the read and what it retains after, for the embedded and the HTTP client (goal <= 140).  scaling: µs/point at every size and its ratio to
the smallest size's (flat means ~1).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import Row, check_goal
from benchmarks._server import peak_rss_bytes, server

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("sqlite", "local", "http")
LABELS = {"sqlite": "raw SQLite", "local": "embedded (Client.local)", "http": "HTTP (tempodb serve)"}
GOALS = {"local": 0.5, "http": 0.3}
#: Bytes per point a read of models may hold, at its peak and after; and what the models alone take
#: (a gc-free DataPoint 32, its datetime 48, its float 24, its slot in the list 8).
HELD_GOAL = 140
MODELS = 112
FLAT = 1.5  # cost per point at the largest size may be at most this times the smallest size's


def _repeats(n: int) -> int:
    # Small sizes finish in milliseconds: repeat them (fastest wins) so noise does not fake a trend.
    return 5 if n <= 100_000 else 2


#: Reads run this many rounds, the stacks taking turns (fastest round wins): a burst of load from
#: elsewhere on the machine then slows one round of each stack, not one stack's only measurement.
READ_ROUNDS = 3


def _child(scenario: str, n: int, db: str, address: str | None = None, *, traced: bool = False) -> dict[str, Any]:
    argv = [sys.executable, "-m", "benchmarks._child", scenario, str(n), db, "--repeat", str(_repeats(n))]
    if address:
        argv.insert(-2, address)
    if traced:
        argv.append("--traced")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{scenario} {n} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["rate"] = n / result["seconds"]
    return result


def measure(n: int) -> dict[str, dict[str, Any]]:
    """Every stack's write and read of ``n`` points: ``{"local-write": {...}, ...}``."""
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="tempodb-bench-") as directory, server() as proc:
        address = f"{proc.info.host}:{proc.info.port}"
        where = {stack: (os.path.join(directory, f"{stack}.db"), None) for stack in ("sqlite", "local")}
        where["http"] = ("-", address)
        for stack in STACKS:
            results[f"{stack}-write"] = _child(f"{stack}-write", n, *where[stack])
        for _ in range(READ_ROUNDS):
            for stack in STACKS:
                found = _child(f"{stack}-read", n, *where[stack])
                best = results.get(f"{stack}-read")
                if best is None or found["seconds"] < best["seconds"]:
                    results[f"{stack}-read"] = found
        for stack in ("local", "http"):
            # Once more under tracemalloc (slower, so apart from the timed rounds): Python's bytes.
            results[f"{stack}-traced"] = _child(f"{stack}-read", n, *where[stack], traced=True)
        results["http-server"] = {"peak_rss": peak_rss_bytes(proc.process.pid)}
    return results


def end_to_end_rows(n: int, results: dict[str, dict[str, Any]]) -> list[Row]:
    rows: list[Row] = []
    for action in ("write", "read"):
        base = results[f"sqlite-{action}"]["rate"]
        for stack in STACKS:
            rate = results[f"{stack}-{action}"]["rate"]
            row = Row("end_to_end", f"{action} {n:,}: {LABELS[stack]}", rate, "points/s", rate / base, "raw SQLite")
            rows.append(check_goal(row, ">=", GOALS[stack]) if stack in GOALS else row)
    for action in ("write", "read"):
        for stack in STACKS:
            peak = results[f"{stack}-{action}"]["peak_rss"]
            note = "includes the input points, built before timing" if action == "write" else ""
            rows.append(Row("end_to_end", f"peak RSS, {action}: {LABELS[stack]} (client process)", peak / 2**20, "MiB", note=note))
    server_peak = results["http-server"]["peak_rss"]
    if server_peak is not None:
        rows.append(Row("end_to_end", "peak RSS: tempodb serve process (write + read)", server_peak / 2**20, "MiB"))
    base_bytes = None
    for stack in STACKS:
        read = results[f"{stack}-read"]
        per_point = max(0, read["peak_rss"] - read["rss_before"]) / n
        base_bytes = per_point if base_bytes is None else base_bytes
        rows.append(
            Row(
                "end_to_end", f"memory per point read: {LABELS[stack]}", per_point, "bytes/point",
                per_point / base_bytes if base_bytes else None, "raw SQLite (cost ratio)",
                note="peak RSS growth during the read / points" + (", embedded: engine + client in one process" if stack == "local" else ""),
            )
        )
    for stack in ("local", "http"):
        traced = results[f"{stack}-traced"]
        for what, key in (("peak during", "traced_peak"), ("retained after", "traced_retained")):
            per_point = traced[key] / n
            row = Row(
                "end_to_end", f"bytes per point held by the read, {what}: {LABELS[stack]}", per_point, "bytes/point",
                per_point / MODELS, f"the models alone ({MODELS} B)",
                note=f"tracemalloc: Python allocations only (models, response body, intermediates); goal {HELD_GOAL} B",
            )
            rows.append(check_goal(row, "<=", HELD_GOAL / MODELS))
    return rows


def scaling_rows(by_size: dict[int, dict[str, dict[str, Any]]]) -> list[Row]:
    rows: list[Row] = []
    smallest = min(by_size)
    for stack in STACKS:
        for action in ("write", "read"):
            first = 1e6 / by_size[smallest][f"{stack}-{action}"]["rate"]
            for n in sorted(by_size):
                cost = 1e6 / by_size[n][f"{stack}-{action}"]["rate"]
                row = Row("scaling", f"{LABELS[stack]} {action} {n:,}", cost, "us/point", cost / first, f"{smallest:,} points (cost ratio)")
                rows.append(check_goal(row, "<=", FLAT) if n != smallest else row)
    return rows
