"""``tempodb demo``: the 2013 client's write and read demos in one run, with a progress bar and a chart.

Writes ``DAYS`` days of minute data (a daily sine wave plus seeded noise, so every run is the
same) into one series, then reads a day raw and the whole range rolled up hourly and daily.
"""

from __future__ import annotations

import math
import random
import shlex
from datetime import datetime, timedelta, timezone
from typing import TextIO
from urllib.parse import urlencode

from tempodb._cli.progress import Mode, Progress, can_encode
from tempodb._cli.target import Target
from tempodb._core.models import DataPoint, Summary
from tempodb.chart import line_chart
from tempodb.sync import Client

__all__ = ["DEMO_KEY", "DEMO_START", "console_hint", "demo_day", "run_demo"]

DEMO_KEY = "demo-series"
DEMO_START = datetime(2012, 1, 1, tzinfo=timezone.utc)  # the seed demo's first day
MINUTES_PER_DAY = 1440


def demo_day(day: int, rng: random.Random) -> list[DataPoint]:
    """One day of minute points: 25 +/- 15 over the day, a slow upward drift, and noise."""
    start = DEMO_START + timedelta(days=day)
    points = []
    for minute in range(MINUTES_PER_DAY):
        phase = 2 * math.pi * minute / MINUTES_PER_DAY
        value = 25.0 + 15.0 * math.sin(phase - math.pi / 2) + 0.5 * day + rng.gauss(0.0, 2.5)
        points.append(DataPoint(start + timedelta(minutes=minute), round(value, 3)))
    return points


def _summary(summary: Summary | None) -> str:
    if summary is None:
        return "summary: none"

    def num(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    return (
        f"summary: count={summary.count} mean={num(summary.mean)} min={num(summary.min)} "
        f"max={num(summary.max)} stddev={num(summary.stddev)}"
    )


def run_demo(client: Client, out: TextIO, *, days: int = 9, progress: Mode = "auto", width: int = 72) -> None:
    """Write the demo series through ``client`` and print what reading it back shows."""
    total = days * MINUTES_PER_DAY
    end = DEMO_START + timedelta(days=days)
    print(f"Writing {days} days of minute data ({total} points) to series {DEMO_KEY!r}", file=out)
    rng = random.Random(42)
    # One write per day, as the seed demo did: each is one request and one step of the bar.
    with Progress(total, out, label="writing", unit="points", mode=progress) as bar:
        for day in range(days):
            points = demo_day(day, rng)
            client.write_key(DEMO_KEY, points)
            bar.advance(len(points))

    day_end = DEMO_START + timedelta(days=1)
    raw = client.read_key(DEMO_KEY, DEMO_START, day_end)
    print(f"\nOne day raw, {DEMO_START:%Y-%m-%d}: {len(raw.data)} points", file=out)
    for point in raw.data[:5]:
        print(f"  {point.ts.isoformat()}  {point.value:8.3f}", file=out)
    if len(raw.data) > 5:
        print(f"  ... {len(raw.data) - 5} more", file=out)
    print(f"  {_summary(raw.summary)}", file=out)

    hourly = client.read_key(DEMO_KEY, DEMO_START, end, interval="1hour", function="mean")
    print(f"\nHourly means, {DEMO_START:%Y-%m-%d} to {end:%Y-%m-%d}: {len(hourly.data)} points", file=out)
    print(f"  {_summary(hourly.summary)}", file=out)
    labels = (f"{DEMO_START:%Y-%m-%d}", f"{end - timedelta(hours=1):%Y-%m-%d %H:%M}")
    chart = line_chart(
        [float(p.value) for p in hourly.data], width=width, height=12,
        x_labels=labels, unicode=can_encode(out, "⣿┤└─"),
    )
    for line in chart:
        print("  " + line, file=out)

    daily = client.read_key(DEMO_KEY, DEMO_START, end, interval="1day", function="max")
    print(f"\nDaily maximum: {len(daily.data)} points", file=out)
    for point in daily.data:
        print(f"  {point.ts:%Y-%m-%d}  {point.value:8.3f}", file=out)


def console_view(days: int) -> str:
    """The console's URL fragment showing the demo series over the demo's days, in UTC.

    The fields are the console's view state (``tempodb/server/console/static/js/state.js``)."""
    end = DEMO_START + timedelta(days=days)
    return urlencode(
        {"s": DEMO_KEY, "range": "custom", "start": f"{DEMO_START:%Y-%m-%dT%H:%M}", "end": f"{end:%Y-%m-%dT%H:%M}",
         "interval": "auto", "fn": "mean", "tz": "UTC"},
        safe=":/",  # readable, and what the browser's URLSearchParams reads back the same
    )


def console_hint(target: Target, days: int, *, prog: str = "tempodb") -> list[str]:
    """How to look at the demo's data in the web console: the command to run and the URL to open.

    The secret is printed only when it is the embedded default ``local`` (the same for everyone);
    a secret of the user's own stays theirs to type.
    """
    view = console_view(days)
    secret = "secret local" if target.secret == "local" else "your secret"
    sign_in = f"and sign in with key {target.key}, {secret}"
    if target.db is None:
        scheme = "https" if target.secure else "http"
        return [f"See it in the web console: open {scheme}://{target.host}:{target.port}/#{view}", f"  {sign_in}"]
    if target.db == ":memory:":
        return [f"To see it in the web console, run the demo with a file: {prog} demo --db demo.db"]
    return [
        f"See it in the web console: {prog} serve --db {shlex.quote(target.db)}",
        f"  then open http://127.0.0.1:4242/#{view}",
        f"  {sign_in}",
    ]
