"""A real ``tempodb serve`` with known data for the console's tests, and a real headless Chromium.

The browser is Debian's ``chromium`` driven by Selenium through Debian's ``chromedriver``, both
named by path so Selenium never looks for (or downloads) a browser of its own. Without them the
browser tests skip with a message, except under CI (``CI`` set), where a missing browser fails.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tempodb import Client, DataPoint
from tempodb.testing import ServerInfo, run_server

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


@pytest.fixture
def require() -> Callable[[str], NoReturn]:
    """``require(message)``: skip with that message, or fail under CI (see :func:`missing`)."""
    return missing


def _seed(client: Client) -> None:
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


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    with run_server(tmp_path_factory.mktemp("console"), credentials={KEY: SECRET, "other": "other-secret"}) as process:
        server = ConsoleServer(process.info)
        with server.client() as client:
            _seed(client)
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        missing(f"the console's browser tests need {CHROMIUM} and {CHROMEDRIVER}: apt-get install -y chromium chromium-driver (as root)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing("the console's browser tests need selenium (pip install -e '.[test]')")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    downloads = OUTPUT / "downloads"
    shutil.rmtree(downloads, ignore_errors=True)
    downloads.mkdir()
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()
