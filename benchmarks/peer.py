"""Section ``peer``: ``tempodb serve`` side by side with InfluxDB 1.x on the same data, in one run.

Both servers run on loopback, started here (InfluxDB by :mod:`benchmarks._influx`, skipped with a
note when ``influxd`` is not installed), and every measure alternates between them request by
request, so a noisy machine slows both alike and the ratios stay fair:

- ingest over HTTP: one series in 10k-point batches (our ``write_key``; InfluxDB line protocol,
  precision=ms), then 100 series via ``write_multi`` (10k items a request; InfluxDB: the same points
  as multi-series line protocol batches).  Each side's timing includes encoding its request bodies
  from the same points (ours from ``DataPoint``s / dicts, InfluxDB's from (ms, value) pairs);
- hourly mean (UTC) and daily max in America/Chicago over the single series, the bucket values
  checked equal to InfluxDB's (``GROUP BY time(1d) tz('America/Chicago')``), the largest relative
  difference reported;
- a raw read of the whole series into Python (ours: the client's ``read_key``; InfluxDB: ``/query``
  JSON, decoded by msgspec);
- disk per point (our SQLite file with its WAL; InfluxDB's data and WAL directories of the
  database) and peak server RSS (VmHWM).

``--year`` adds a year at 1 Hz (31.5M points) in a series of its own, ingested and rolled up the
same way; it takes minutes.  Ratios say how many times better tempodb is (above 1: tempodb wins).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import tempodb
from benchmarks._common import T0_MS, Row, check_goal
from benchmarks._influx import Influx, influx_server, influxd_path
from benchmarks._server import cpu_seconds, peak_rss_bytes, server
from tempodb import DataPoint

__all__ = ["print_peer_table", "run"]

BATCH = 10_000  # points per request, both systems (the client's default chunk)
SERIES = 100  # series of the multi-series ingest
YEAR = 365 * 86_400  # points in a year at 1 Hz
ZONE = "America/Chicago"
PEER = "InfluxDB 1.6"
GOALS = {"rollup": 10.0, "ingest": 1.0, "read": 2.0}
_REPEAT = 3  # queries: fastest of this many, interleaved


def value(i: int) -> float:
    """The i-th value of a series: full-mantissa floats, so the checked means test real rounding."""
    return (i % 9973) * 0.25 - 1000.0 + math.sin(i)


def _dt(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)


def _ms(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)


class _Race:
    """Wall time and server CPU time spent by each system, added request by request as the two
    take turns.  Server CPU is what a shared, noisy machine distorts least: it counts the work done,
    not the waiting for a core."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.seconds = {system: 0.0 for system in pids}
        self.cpu = {system: 0.0 for system in pids}
        self.client_cpu = {system: 0.0 for system in pids}  # this process: encoding and sending

    def time(self, system: str, work: Callable[[], object]) -> None:
        cpu_before = cpu_seconds(self.pids[system]) or 0.0
        client_before = time.process_time()
        begin = time.perf_counter()
        work()
        self.seconds[system] += time.perf_counter() - begin
        self.client_cpu[system] += time.process_time() - client_before
        self.cpu[system] += (cpu_seconds(self.pids[system]) or 0.0) - cpu_before

    def results(self, n: int) -> dict[str, dict[str, float]]:
        """Per system: points/s (wall), and server and client CPU microseconds per point."""
        return {
            system: {"rate": n / self.seconds[system], "cpu_us": 1e6 * self.cpu[system] / n, "client_cpu_us": 1e6 * self.client_cpu[system] / n}
            for system in self.pids
        }


# -- ingest -------------------------------------------------------------------------------------


def _single_batches(key: str, first: int, n: int) -> Iterator[tuple[list[DataPoint], list[tuple[int, float]]]]:
    """The same batch of one series for each system: DataPoints for ours, (ms, value) for InfluxDB."""
    for low in range(first, first + n, BATCH):
        indices = range(low, min(low + BATCH, first + n))
        pairs = [(T0_MS + 1000 * i, value(i)) for i in indices]
        yield [DataPoint(_dt(t), v) for t, v in pairs], pairs


def _lines(series: str, pairs: list[tuple[int, float]]) -> bytes:
    return "".join([f"bench,sid={series} v={v!r} {t}\n" for t, v in pairs]).encode()


def ingest_single(race: _Race, client: tempodb.Client, influx: Influx, key: str, n: int, first: int = 0) -> dict[str, dict[str, float]]:
    """Each system writing ``n`` points of one series, batch by batch in turns (see :meth:`_Race.results`)."""
    for points, pairs in _single_batches(key, first, n):
        race.time("tempodb", lambda points=points: client.write_key(key, points))  # type: ignore[misc]
        race.time("influx", lambda pairs=pairs: influx.write(_lines(key, pairs)))  # type: ignore[misc]
    return race.results(n)


def ingest_multi(race: _Race, client: tempodb.Client, influx: Influx, n: int) -> dict[str, dict[str, float]]:
    """Each system writing ``n`` points over :data:`SERIES` series, one timestamp's values for every
    series after another (as a collector sends them), in 10k-point requests."""
    per_request = BATCH // SERIES
    for step in range(0, n // SERIES, per_request):
        stamps = range(step, min(step + per_request, n // SERIES))
        items = [{"t": _dt(T0_MS + 1000 * i), "key": f"m{s}", "v": value(i + s)} for i in stamps for s in range(SERIES)]
        by_series = [(f"m{s}", T0_MS + 1000 * i, value(i + s)) for i in stamps for s in range(SERIES)]
        race.time("tempodb", lambda items=items: client.write_multi(items))  # type: ignore[misc]
        race.time(
            "influx",
            lambda rows=by_series: influx.write("".join([f"bench,sid={s} v={v!r} {t}\n" for s, t, v in rows]).encode()),  # type: ignore[misc]
        )
    return race.results(n)


# -- reads --------------------------------------------------------------------------------------


def _best_of(
    race_work: dict[str, Callable[[], list[tuple[int, Any]]]], repeat: int = _REPEAT,
) -> tuple[dict[str, float], dict[str, list[tuple[int, Any]]]]:
    """Fastest seconds of each system over ``repeat`` interleaved runs, and the last answers."""
    best = {system: float("inf") for system in race_work}
    answers: dict[str, list[tuple[int, Any]]] = {}
    for _ in range(repeat):
        for system, work in race_work.items():
            begin = time.perf_counter()
            answers[system] = work()
            best[system] = min(best[system], time.perf_counter() - begin)
    return best, answers


def _where(key: str, n: int, first: int = 0) -> str:
    return f"sid='{key}' AND time >= {T0_MS + 1000 * first}ms AND time < {T0_MS + 1000 * (first + n)}ms"


def rollup(
    client: tempodb.Client, influx: Influx, key: str, n: int, *, interval: str, function: str, tz: str | None, first: int = 0,
) -> tuple[dict[str, float], float]:
    """Seconds of each system for one rollup over the series, and the largest relative difference
    between their bucket values (buckets must match one for one)."""
    influx_function = {"mean": "mean", "max": "max"}[function]
    group = {"1hour": "1h", "1day": "1d"}[interval]
    query = f"SELECT {influx_function}(v) FROM bench WHERE {_where(key, n, first)} GROUP BY time({group}) fill(none)"
    if tz:
        query += f" tz('{tz}')"
    start, end = _dt(T0_MS + 1000 * first), _dt(T0_MS + 1000 * (first + n))

    def ours() -> list[tuple[int, Any]]:
        return [(_ms(p.ts), p.value) for p in client.read_key(key, start, end, interval=interval, function=function, tz=tz).data]

    def theirs() -> list[tuple[int, Any]]:
        return [(row[0], row[1]) for row in influx.query(query)]

    # A year on the raw path takes minutes a query: once is enough to see it.
    seconds, answers = _best_of({"tempodb": ours, "influx": theirs}, repeat=1 if n >= YEAR else _REPEAT)
    return seconds, _max_relative_difference(answers["tempodb"], answers["influx"], f"{function} per {interval}")


def _max_relative_difference(ours: list[tuple[int, Any]], theirs: list[tuple[int, Any]], what: str) -> float:
    if [t for t, _ in ours] != [t for t, _ in theirs]:
        raise RuntimeError(f"{what}: the buckets differ from InfluxDB's ({len(ours)} against {len(theirs)}; first {ours[:2]} / {theirs[:2]})")
    worst = 0.0
    for (_, a), (_, b) in zip(ours, theirs, strict=True):
        if a != b:
            worst = max(worst, abs(a - b) / max(abs(a), abs(b)))
    return worst


def raw_read(client: tempodb.Client, influx: Influx, key: str, n: int) -> dict[str, float]:
    """Points/s of each system reading the whole series into Python objects."""
    start, end = _dt(T0_MS), _dt(T0_MS + 1000 * n)
    query = f"SELECT v FROM bench WHERE {_where(key, n)}"

    def ours() -> list[tuple[int, Any]]:
        data = client.read_key(key, start, end, interval="raw").data
        if len(data) != n:
            raise RuntimeError(f"tempodb read {len(data)} points, expected {n}")
        return []

    def theirs() -> list[tuple[int, Any]]:
        rows = influx.query(query, chunked=True)
        if len(rows) != n:
            raise RuntimeError(f"InfluxDB read {len(rows)} points, expected {n}")
        return []

    seconds, _ = _best_of({"tempodb": ours, "influx": theirs})
    return {system: n / s for system, s in seconds.items()}


# -- the section ---------------------------------------------------------------------------------


def _row(name: str, ours: float, theirs: float, unit: str, *, better: str, goal: str | None = None, note: str = "") -> Row:
    """A row of ours with InfluxDB's figure beside it; ``better``: "higher" or "lower" wins."""
    top, bottom = (ours, theirs) if better == "higher" else (theirs, ours)
    ratio = top / bottom if bottom else None  # a CPU time below the clock tick, at tiny sizes
    row = Row("peer", name, ours, unit, ratio, f"{PEER} (x better)", note=note, extra={"influx": theirs})
    return check_goal(row, ">=", GOALS[goal]) if goal else row


def _ingest_rows(what: str, n: int, results: dict[str, dict[str, float]]) -> list[Row]:
    ours, theirs = results["tempodb"], results["influx"]
    return [
        _row(f"ingest, {what} ({_size(n)} points)", ours["rate"], theirs["rate"], "points/s", better="higher", goal="ingest"),
        _row(f"  server CPU per point, {what.split(' in ')[0].split(' via ')[0]} ({_size(n)})", ours["cpu_us"], theirs["cpu_us"], "us", better="lower",
             note=f"user + system time of the server process (/proc), over the points written; the client's own CPU per point: "
                  f"{ours['client_cpu_us']:.2f} us for tempodb, {theirs['client_cpu_us']:.2f} us for InfluxDB's line protocol"),
    ]


def _size(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n // 1000}k" if n >= 1000 else str(n)


def run(n: int, *, year: bool = False) -> list[Row]:
    """Every peer measure at ``n`` points (and a year at 1 Hz when ``year``), or no rows and a
    printed note when ``influxd`` is not installed."""
    if influxd_path() is None:
        print("  peer: skipped: influxd is not installed (Debian/Ubuntu: apt-get install influxdb)", flush=True)
        return []
    rows: list[Row] = []
    with influx_server() as influx, server() as ours:
        # No deadline: a rollup over a year of raw points can take longer than the default 300 s.
        client = tempodb.Client("bench", "bench", ours.info.host, ours.info.port, secure=False, deadline=None)
        try:
            pids = {"tempodb": ours.process.pid, "influx": influx.process.pid}
            rows += _ingest_rows(f"1 series in {_size(BATCH)}-point batches", n, ingest_single(_Race(pids), client, influx, "one", n))
            rows += _ingest_rows(f"{SERIES} series via write_multi", n, ingest_multi(_Race(pids), client, influx, n))
            for interval, function, tz, label in (("1hour", "mean", None, "hourly mean"), ("1day", "max", ZONE, f"daily max in {ZONE}")):
                seconds, diff = rollup(client, influx, "one", n, interval=interval, function=function, tz=tz)
                rows.append(_row(f"{label} over {_size(n)} points", seconds["tempodb"] * 1e3, seconds["influx"] * 1e3, "ms",
                                 better="lower", goal="rollup", note=f"bucket values: max relative difference {diff:.2g}"))
            rates = raw_read(client, influx, "one", n)
            rows.append(_row(f"raw read of {_size(n)} points into Python", rates["tempodb"], rates["influx"], "points/s",
                             better="higher", goal="read"))
            if year:
                rows += _year(_Race(pids), client, influx)
        finally:
            client.close()
        total = 2 * n + (YEAR if year else 0)
        db = ours.info.db_path
        our_bytes = sum(os.stat(path).st_blocks * 512 for path in (db, f"{db}-wal", f"{db}-shm") if os.path.exists(path))
        rows.append(_row("disk per point", our_bytes / total, influx.data_bytes() / total, "bytes", better="lower",
                         note="InfluxDB: its WAL and TSM files as they stand at the end (compaction shrinks TSM later)"))
        our_peak, their_peak = peak_rss_bytes(ours.process.pid), peak_rss_bytes(influx.process.pid)
        if our_peak and their_peak:
            rows.append(_row("peak server RSS", our_peak / 2**20, their_peak / 2**20, "MiB", better="lower"))
    return rows


def _year(race: _Race, client: tempodb.Client, influx: Influx) -> list[Row]:
    """A year at 1 Hz in a series of its own: its ingest (the same race) and its rollups."""
    rows = _ingest_rows(f"1 series in {_size(BATCH)}-point batches", YEAR, ingest_single(race, client, influx, "year", YEAR))
    for interval, function, tz, label in (("1hour", "mean", None, "hourly mean"), ("1day", "max", ZONE, f"daily max in {ZONE}")):
        seconds, diff = rollup(client, influx, "year", YEAR, interval=interval, function=function, tz=tz)
        rows.append(_row(f"{label} over a year at 1 Hz", seconds["tempodb"] * 1e3, seconds["influx"] * 1e3, "ms",
                         better="lower", goal="rollup", note=f"bucket values: max relative difference {diff:.2g}"))
    return rows


def print_peer_table(rows: list[Row]) -> None:
    """The peer rows as the issue shows them: tempodb | InfluxDB | ratio."""
    if not rows:
        return
    header = ("", "tempodb serve", PEER, "tempodb / InfluxDB", "goal")
    lines = [
        (r.name, f"{_number(r.value)} {r.unit}", f"{_number(r.extra['influx'])} {r.unit}", "-" if r.ratio is None else f"{r.ratio:.2f}x",
         r.goal + ("" if r.met is None else " (met)" if r.met else " (NOT met)"))
        for r in rows
    ]
    widths = [max(len(cell) for cell in column) for column in zip(header, *lines, strict=True)]
    print(f"\npeer: tempodb serve against {PEER} (one run, requests interleaved; ratio above 1: tempodb better)")
    for cells in (header, tuple("-" * w for w in widths), *lines):
        print("  ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip())


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
