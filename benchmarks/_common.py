"""Shared pieces: the result row, timing helpers, test data and the machine description."""

from __future__ import annotations

import gc
import os
import platform
import sqlite3
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import metadata
from typing import Any

from tempodb import DataPoint

#: Points start here, one per second: realistic timestamps that cross days but not years.
T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
T0_MS = int(T0.timestamp() * 1000)


@dataclass
class Row:
    """One line of the table: a measured value and, when it has one, its ratio to a baseline."""

    section: str
    name: str
    value: float
    unit: str
    ratio: float | None = None  # value / baseline value (or a cost ratio, see ``note``)
    baseline: str = ""  # what the ratio is against
    goal: str = ""  # e.g. ">= 0.5"; empty when there is none
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_goal(row: Row, op: str, bound: float) -> Row:
    """Mark ``row.met`` against ``ratio op bound`` (``>=`` or ``<=``)."""
    row.goal = f"{op} {bound:g}"
    if row.ratio is not None:
        row.met = row.ratio >= bound if op == ">=" else row.ratio <= bound
    return row


def points(n: int, start: datetime = T0) -> list[DataPoint]:
    """``n`` aware points one second apart with float values (what a user typically writes)."""
    step = timedelta(seconds=1)
    return [DataPoint(start + step * i, i * 0.5) for i in range(n)]


def best_rate(fn: Callable[[], object], items: int, *, repeat: int = 5, min_time: float = 0.0) -> float:
    """Items per second of the fastest of ``repeat`` runs of ``fn``.

    The fastest run is the one least disturbed by the rest of the machine; for throughput of pure
    CPU work it is the most repeatable statistic.  ``min_time`` keeps repeating until that much
    time was spent, for tiny inputs.
    """
    best = float("inf")
    spent = 0.0
    runs = 0
    while runs < repeat or spent < min_time:
        begin = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - begin
        best = min(best, elapsed)
        spent += elapsed
        runs += 1
    return items / best


def timed(work: Callable[[], Any], repeat: int = 3) -> float:
    """Best wall seconds of ``repeat`` runs of ``work`` (a collection before each, so no run pays for
    the garbage of the one before)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def traced_peak(work: Callable[[], Any]) -> int:
    """Peak bytes Python allocated while ``work`` ran (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            for line in file:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        # Other work on the machine skews every figure; the load average at the start says how much.
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "tempodb": version("tempodb"),
        "msgspec": version("msgspec"),
        "httpx": version("httpx"),
        "uvicorn": version("uvicorn"),
        "simplejson": version("simplejson"),
    }
