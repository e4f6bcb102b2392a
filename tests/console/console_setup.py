"""The console tests' known data and server, and the rule for a missing browser or node:
skip locally, fail under CI (``CI`` set), where .ci/run installs them."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NoReturn

import pytest

from tempodb import Client, DataPoint
from tempodb.testing import ServerInfo

KEY, SECRET = "console-key", "console-secret"
START = datetime(2012, 1, 1, tzinfo=timezone.utc)
#: Series and their tags/attributes; "bulk.*" are there to page through.
SERIES: dict[str, tuple[list[str], dict[str, str]]] = {
    "temp.room1": (["temp", "room1"], {"building": "A"}),
    "temp.room2": (["temp"], {"building": "B"}),
    "humidity.room1": (["humidity", "room1"], {"building": "A"}),
    **{f"bulk.{n:04d}": (["bulk"], {}) for n in range(120)},
}
HOURS_2012 = 366 * 24  # a leap year of hourly points in temp.room1
MINUTES_2_DAYS = 2 * 1440  # minute points in temp.room2

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "console"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def missing(what: str) -> NoReturn:
    """Skip locally, fail under CI: CI installs the tool, so its absence there is a broken setup."""
    if under_ci():
        pytest.fail(what)
    pytest.skip(what)


def seed(client: Client) -> None:
    for key, (tags, attributes) in SERIES.items():
        series = client.create_series(key)
        series.tags = tags
        series.attributes = attributes
        client.update_series(series)
    hourly = [DataPoint(START + timedelta(hours=h), round(20 + 5 * math.sin(h / 24 * 2 * math.pi) + h / 1000, 3)) for h in range(HOURS_2012)]
    client.write_key("temp.room1", hourly)
    minutes = [DataPoint(START + timedelta(minutes=m), round(18 + 3 * math.cos(m / 1440 * 2 * math.pi), 3)) for m in range(MINUTES_2_DAYS)]
    client.write_key("temp.room2", minutes)
    client.write_key("humidity.room1", [DataPoint(START + timedelta(hours=h), 40 + h % 7) for h in range(100)])


@dataclass(frozen=True)
class ConsoleServer:
    info: ServerInfo

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.info.port}"

    def client(self) -> Client:
        return Client(KEY, SECRET, "127.0.0.1", self.info.port, secure=False)
