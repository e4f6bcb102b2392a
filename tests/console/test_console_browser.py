"""The console in a real headless Chromium against a real ``tempodb serve`` with known data.

Each step saves a screenshot under test-output/console/ (git-ignored); the chart exposes what it
drew through data- attributes (points per series, interval, function, zone, timings), and the
summary cells hold the exact numbers in data-value, so the checks compare with the API's answers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from console_setup import HOURS_2012, KEY, MINUTES_2_DAYS, OUTPUT, SECRET, SERIES, ConsoleServer

pytestmark = pytest.mark.slow  # a browser start and a dozen page loads

YEAR_VIEW = "s=temp.room1&range=custom&start=2012-01-01T00:00&end=2013-01-01T00:00&interval=auto&fn=mean&tz=UTC"
TIMINGS: dict[str, Any] = {}


def wait(driver: Any, condition: Callable[[Any], Any], timeout: float = 15.0) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def by_id(driver: Any, name: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, name)


def shot(driver: Any, name: str) -> None:
    driver.save_screenshot(str(OUTPUT / f"{name}.png"))


def chart(driver: Any) -> dict[str, str]:
    element = by_id(driver, "chart")
    names = ("state", "points", "interval", "function", "tz", "series", "draw-ms", "total-ms")
    return {n: element.get_attribute(f"data-{n}") or "" for n in names}


def drawn(driver: Any) -> dict[str, str]:
    """The chart's attributes once it has finished loading (ready, empty or error)."""
    wait(driver, lambda d: chart(d)["state"] in ("ready", "empty", "error"))
    return chart(driver)


def open_console(driver: Any, server: ConsoleServer, view: str = "") -> None:
    driver.get(f"{server.base}/#{view}" if view else f"{server.base}/")
    wait(driver, lambda d: d.find_element("css selector", "html").get_attribute("data-ready-ms"))
    if by_id(driver, "sign-in-view").is_displayed():
        sign_in(driver, KEY, SECRET)
        wait(driver, lambda d: by_id(d, "main-view").is_displayed())
    if view:
        drawn(driver)


def sign_in(driver: Any, key: str, secret: str) -> None:
    by_id(driver, "key").clear()
    by_id(driver, "key").send_keys(key)
    by_id(driver, "secret").clear()
    by_id(driver, "secret").send_keys(secret)
    driver.find_element("css selector", "#sign-in button[type=submit]").click()


def list_keys(driver: Any) -> list[str]:
    # One script, so a list re-rendered meanwhile is read whole or not at all.
    keys: list[str] = driver.execute_script("return [...document.querySelectorAll('#series-list li')].map((li) => li.dataset.key)")
    return keys


def stored_credentials(driver: Any) -> Any:
    return driver.execute_script("return sessionStorage.getItem('tempodb.console.credentials')")


def test_sign_in_and_page_through_the_series(browser: Any, console_server: ConsoleServer) -> None:
    browser.delete_all_cookies()
    browser.get(console_server.base + "/")
    browser.execute_script("sessionStorage.clear()")
    browser.get(console_server.base + "/")
    wait(browser, lambda d: by_id(d, "sign-in-view").is_displayed())
    TIMINGS["console_ready_ms"] = float(browser.find_element("css selector", "html").get_attribute("data-ready-ms"))
    shot(browser, "01-sign-in")
    sign_in(browser, KEY, SECRET)
    wait(browser, lambda d: len(list_keys(d)) == 50)
    assert by_id(browser, "page-info").text == f"1\u201350 of {len(SERIES)}"
    assert list_keys(browser)[0] == "bulk.0000"
    assert SECRET not in browser.current_url
    shot(browser, "02-series-list")
    by_id(browser, "page-next").click()
    by_id(browser, "page-next").click()
    wait(browser, lambda d: by_id(d, "page-info").text == f"101\u2013{len(SERIES)} of {len(SERIES)}")
    assert list_keys(browser) == sorted(SERIES)[100:]
    shot(browser, "03-series-last-page")


def test_filter_by_tag_attribute_and_key(browser: Any, console_server: ConsoleServer) -> None:
    open_console(browser, console_server)
    by_id(browser, "filter-tags").send_keys("temp")
    by_id(browser, "filter").submit()
    wait(browser, lambda d: list_keys(d) == ["temp.room1", "temp.room2"])
    shot(browser, "04-filter-tag-temp")
    by_id(browser, "filter-tags").clear()
    by_id(browser, "filter-tags").send_keys("room1")
    by_id(browser, "filter-attrs").send_keys("building=A")
    by_id(browser, "filter").submit()
    wait(browser, lambda d: list_keys(d) == ["humidity.room1", "temp.room1"])
    by_id(browser, "filter-key").send_keys("hum")
    wait(browser, lambda d: list_keys(d) == ["humidity.room1"])
    by_id(browser, "filter-attrs").clear()
    by_id(browser, "filter-attrs").send_keys("no equals sign")
    by_id(browser, "filter").submit()
    wait(browser, lambda d: "is not name=value" in by_id(d, "series-status").text)


def test_open_a_chart_from_the_list(browser: Any, console_server: ConsoleServer) -> None:
    open_console(browser, console_server)
    by_id(browser, "filter-key").send_keys("temp.room2")
    wait(browser, lambda d: list_keys(d) == ["temp.room2"])
    # A custom range through the controls: the day of minute points, raw (1,440 fit on screen).
    browser.execute_script(
        "const r = document.getElementById('range'); r.value = 'custom'; r.dispatchEvent(new Event('change'));"
        "document.getElementById('start').value = '2012-01-01T00:00';"
        "document.getElementById('end').value = '2012-01-02T00:00';"
        "document.getElementById('tz').value = 'UTC';"
    )
    browser.find_element("css selector", "#series-list li input[type=checkbox]").click()
    wait(browser, lambda d: "s=temp.room2" in d.current_url)
    by_id(browser, "view").submit()
    wait(browser, lambda d: "range=custom" in d.current_url)
    state = drawn(browser)
    asked = browser.execute_script("return performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.includes('/v1/'))")
    assert state["state"] == "ready", (by_id(browser, "chart-status").text, asked)
    assert (state["points"], state["interval"], state["series"]) == ("1440", "raw", "1")
    assert len(browser.find_elements("css selector", "#chart polyline.series")) == 1
    shot(browser, "05-chart-one-day-raw")


def test_empty_range_and_unknown_series_say_so(browser: Any, console_server: ConsoleServer) -> None:
    open_console(browser, console_server, "s=temp.room2&range=day&interval=auto&fn=mean&tz=UTC")
    assert chart(browser)["state"] == "empty"
    assert "No points in this range" in by_id(browser, "chart-status").text
    open_console(browser, console_server, "s=no.such.series&range=day&interval=auto&fn=mean&tz=UTC")
    assert chart(browser)["state"] == "error"
    assert 'There is no series "no.such.series"' in by_id(browser, "chart-status").text
    shot(browser, "05b-unknown-series")


def test_a_year_of_hourly_data_is_rolled_up_to_fit(browser: Any, console_server: ConsoleServer) -> None:
    # The view as a link: it reproduces the chart without touching a control.
    open_console(browser, console_server, YEAR_VIEW)
    state = chart(browser)
    assert HOURS_2012 == 8784
    # 8,784 raw points are too many: the finest rollup with at most 3,000 buckets is 3 hours.
    assert (state["state"], state["interval"], state["function"], state["points"]) == ("ready", "3hour", "mean", "2928")
    assert "8,784 points per series would be too many" in by_id(browser, "chart-status").text
    TIMINGS["year_hourly_auto_3hour"] = {"draw_ms": float(state["draw-ms"]), "fetch_and_draw_ms": float(state["total-ms"])}
    shot(browser, "06-chart-year-auto-rollup")
    # Two series at once: the second has two days of minutes, so 16 three-hour buckets.
    open_console(browser, console_server, YEAR_VIEW.replace("s=temp.room1", "s=temp.room1&s=temp.room2"))
    state = chart(browser)
    assert (state["series"], state["points"]) == ("2", f"2928,{MINUTES_2_DAYS // 180}")
    assert [row.get_attribute("data-key") for row in browser.find_elements("css selector", "#summary tbody tr")] == ["temp.room1", "temp.room2"]
    shot(browser, "07-chart-two-series")


def test_one_day_max_in_a_zone_matches_the_api(browser: Any, console_server: ConsoleServer) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    open_console(browser, console_server, YEAR_VIEW)
    Select(by_id(browser, "interval")).select_by_value("1day")
    wait(browser, lambda d: "interval=1day" in d.current_url)
    Select(by_id(browser, "fn")).select_by_value("max")
    wait(browser, lambda d: "fn=max" in d.current_url)
    zone = by_id(browser, "tz")
    zone.clear()
    zone.send_keys("America/Chicago", Keys.TAB)
    wait(browser, lambda d: chart(d)["tz"] == "America/Chicago" and chart(d)["state"] == "ready")
    state = chart(browser)
    chicago = ZoneInfo("America/Chicago")
    with console_server.client() as client:
        # The same range: the link's wall-clock times, now read in Chicago, as the console asks.
        answer = client.read_key(
            "temp.room1", datetime(2012, 1, 1, tzinfo=chicago), datetime(2013, 1, 1, tzinfo=chicago),
            interval="1day", function="max", tz="America/Chicago",
        )
    assert (state["interval"], state["function"], state["points"]) == ("1day", "max", str(len(answer.data)))
    assert len(answer.data) == 366
    summary = answer.summary
    assert summary is not None
    cells = {c.get_attribute("data-field"): c.get_attribute("data-value") for c in browser.find_elements("css selector", "#summary tbody td[data-field]")}
    assert int(cells["count"]) == summary.count
    for field in ("mean", "min", "max", "stddev"):
        assert float(cells[field]) == getattr(summary, field), field
    shot(browser, "08-chart-1day-max-chicago")


def test_zoom_by_dragging_pan_and_hover(browser: Any, console_server: ConsoleServer) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    open_console(browser, console_server, YEAR_VIEW)
    overlay = browser.find_element("css selector", "#chart rect.overlay")
    width = overlay.size["width"]
    # Drag across the second quarter of the year: the range shrinks to it and more detail comes.
    actions = ActionChains(browser)
    actions.move_to_element_with_offset(overlay, int(-width / 4), 0).click_and_hold()
    actions.move_by_offset(int(width / 4), 0).release().perform()
    wait(browser, lambda d: "start=2012-04" in d.current_url or "start=2012-03" in d.current_url)
    state = drawn(browser)
    view = parse_qs(urlsplit(browser.current_url).fragment)
    assert view["range"] == ["custom"] and view["start"][0] < view["end"][0] <= "2012-07-03"
    assert state["interval"] in ("raw", "1hour")  # a quarter: 2,184 hourly points fit raw
    shot(browser, "09-zoomed-by-drag")
    overlay = browser.find_element("css selector", "#chart rect.overlay")  # the chart was drawn anew
    ActionChains(browser).move_to_element_with_offset(overlay, 10, 0).perform()
    tip = browser.find_element("css selector", "#chart .chart-tip")
    wait(browser, lambda d: tip.is_displayed())
    assert "temp.room1:" in tip.text
    shot(browser, "10-hover-values")
    # Keyboard: the chart takes focus (tabindex) and the right arrow pans by a quarter.
    before = view["start"][0]
    browser.execute_script("document.querySelector('#chart svg').focus()")
    assert browser.execute_script("return document.activeElement.tagName") == "svg"
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()
    wait(browser, lambda d: parse_qs(urlsplit(d.current_url).fragment)["start"][0] > before)
    drawn(browser)


def test_export_csv(browser: Any, console_server: ConsoleServer) -> None:
    open_console(browser, console_server, YEAR_VIEW.replace("2013-01-01", "2012-01-02"))
    for old in browser.downloads.glob("*"):
        old.unlink()
    by_id(browser, "export").click()
    deadline = time.monotonic() + 15
    while not (files := [f for f in browser.downloads.glob("*.csv")]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert files, "no CSV was downloaded"
    lines = files[0].read_text(encoding="utf-8").splitlines()
    assert lines[0] == "series,t,v"
    assert len(lines) == 1 + 24
    assert lines[1].startswith("temp.room1,2012-01-01T00:00:00.000Z,")


def test_edit_a_series(browser: Any, console_server: ConsoleServer) -> None:
    open_console(browser, console_server)
    by_id(browser, "filter-key").send_keys("humidity")
    wait(browser, lambda d: list_keys(d) == ["humidity.room1"])
    browser.find_element("css selector", "#series-list li button").click()
    wait(browser, lambda d: by_id(d, "edit-panel").is_displayed())
    assert by_id(browser, "edit-key").text == "humidity.room1"
    by_id(browser, "edit-name").clear()
    by_id(browser, "edit-name").send_keys("Humidity, room 1")
    by_id(browser, "edit-tags").clear()
    by_id(browser, "edit-tags").send_keys("humidity, room1, new")
    by_id(browser, "edit-attrs").clear()
    by_id(browser, "edit-attrs").send_keys("building=A\nfloor=2")
    by_id(browser, "edit").submit()
    wait(browser, lambda d: by_id(d, "edit-status").text == "Saved.")
    shot(browser, "11-edit-series")
    with console_server.client() as client:
        saved = client.get_series_by_key("humidity.room1")
    assert (saved.name, saved.tags, saved.attributes) == ("Humidity, room 1", ["humidity", "room1", "new"], {"building": "A", "floor": "2"})


def test_phone_width_in_dark_mode(browser: Any, console_server: ConsoleServer) -> None:
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    browser.set_window_size(390, 1600)
    try:
        open_console(browser, console_server, YEAR_VIEW.replace("2013-01-01", "2012-01-08"))
        svg = browser.find_element("css selector", "#chart svg")
        assert svg.size["width"] <= 390
        background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(18, 19, 20)"
        shot(browser, "12-phone-dark")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        browser.set_window_size(1280, 1200)


def test_wrong_secret_then_sign_out(browser: Any, console_server: ConsoleServer) -> None:
    open_console(browser, console_server)
    assert json.loads(stored_credentials(browser)) == {"key": KEY, "secret": SECRET}
    by_id(browser, "sign-out").click()
    wait(browser, lambda d: by_id(d, "sign-in-view").is_displayed())
    assert stored_credentials(browser) is None
    assert browser.find_elements("css selector", "#series-list li") == []
    shot(browser, "13-signed-out")
    sign_in(browser, KEY, "not-the-secret")
    wait(browser, lambda d: "Wrong key or secret" in by_id(d, "sign-in-error").text)
    assert stored_credentials(browser) is None
    assert not by_id(browser, "main-view").is_displayed()
    shot(browser, "14-wrong-secret")


def test_the_browser_saw_no_policy_violations_and_record_timings(browser: Any, console_server: ConsoleServer) -> None:
    # A year of hourly points drawn raw by the chart module itself (the console never asks it to:
    # it rolls them up), to measure the drawing alone.
    open_console(browser, console_server, YEAR_VIEW.replace("interval=auto", "interval=1day"))
    with console_server.client() as client:
        raw = client.read_key("temp.room1", datetime(2012, 1, 1), datetime(2013, 1, 1), interval="raw")
    points = [{"t": p.ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"), "v": p.value} for p in raw.data]
    took = browser.execute_async_script(
        """
        const [points, done] = arguments;
        import('/console/js/chart.js').then(({ drawChart }) => {
          const host = document.getElementById('chart');
          const t0 = performance.now();
          const n = drawChart(host, { datasets: [{ series: { key: 'raw' }, data: points }],
            start: Date.UTC(2012, 0, 1), end: Date.UTC(2013, 0, 1), zone: 'UTC' }, { zoom() {}, pan() {} });
          const took = performance.now() - t0;
          document.getElementById('chart-status').textContent = `measurement: ${n[0]} raw hourly points drawn by chart.js directly`;
          requestAnimationFrame(() => done([n[0], took]));
        });
        """,
        points,
    )
    assert took[0] == HOURS_2012
    TIMINGS["year_hourly_raw_8784_points_draw_ms"] = round(took[1], 1)
    shot(browser, "15-year-of-hourly-points-raw")
    (OUTPUT / "timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n", encoding="utf-8")
    problems = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" or "Content Security Policy" in e["message"]]
    # The one expected: the wrong secret's 403, which Chromium logs as a failed resource load.
    problems = [e for e in problems if "403" not in e["message"]]
    assert problems == []
