"""A real ``tempodb serve`` with known data for the console's tests, and a real headless Chromium.

The browser is Debian's ``chromium`` driven by Selenium through Debian's ``chromedriver``, both
named by path so Selenium never looks for (or downloads) a browser of its own. Without them the
browser tests skip with a message, except under CI (``CI`` set), where a missing browser fails.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import pytest
from console_setup import CHROMEDRIVER, CHROMIUM, KEY, OUTPUT, SECRET, ConsoleServer, missing, seed

from tempodb.testing import run_server


@pytest.fixture
def require() -> Callable[[str], NoReturn]:
    """``require(message)``: skip with that message, or fail under CI (see :func:`missing`)."""
    return missing


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    with run_server(tmp_path_factory.mktemp("console"), credentials={KEY: SECRET, "other": "other-secret"}) as process:
        server = ConsoleServer(process.info)
        with server.client() as client:
            seed(client)
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
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1200"):
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
