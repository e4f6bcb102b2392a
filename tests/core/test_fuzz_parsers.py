"""Fuzz the wire's parsers: for ANY text each one returns a value or raises ``InvalidInputError``.

Client and server share these parsers (``tempodb/_wire``), and the server turns an
``InvalidInputError`` into a 400; any other exception would be a 500.  Each property mixes
arbitrary text with text built from the grammar's own pieces (digits, separators, unit names), so
it reaches past the first character.  Derandomized: the same examples on every run.

The inputs that once broke that law (issue 11's findings) are pinned by the tests at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tempodb import InvalidInputError
from tempodb._wire.endpoints import ENDPOINTS, Route, route
from tempodb._wire.intervals import Function, Interval, parse_function, parse_interval
from tempodb._wire.query import Query, SeriesFilter, check_direction
from tempodb._wire.timestamps import get_zone, parse_timestamp

FUZZ = settings(
    max_examples=200, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def outcome(parser: str, call: Callable[[], Any]) -> Any:
    """The value of ``call()``; None for ``InvalidInputError``; anything else fails the property."""
    try:
        return call()
    except InvalidInputError as exc:
        assert str(exc), "an InvalidInputError tells the user what to do"
        return None


def pieces(*alphabet: str) -> st.SearchStrategy[str]:
    """Text made of the grammar's own tokens, and arbitrary text around them."""
    token = st.one_of(st.sampled_from(alphabet), st.text(max_size=3), st.from_regex(r"\d{1,12}", fullmatch=True))
    return st.one_of(st.text(), st.lists(token, max_size=12).map("".join))


TIMESTAMP_TEXT = pieces(
    "2012", "-", "01", "12", "31", "29", "00", "23", "24", "59", "60", "99", "T", "t", " ", ":", ".", ",",
    "Z", "z", "+", "-", "+05:30", "-0600", "+24", "٢", "\t", "\n", "0000", "9999", "10000", "123456789",
)
INTERVAL_TEXT = pieces(
    "0", "1", "5", "15", " ", "\t", "s", "sec", "m", "M", "min", "mins", "h", "hour", "d", "day", "w",
    "week", "month", "months", "y", "year", "raw", "RAW", "P", "p", "T", "H", "D", "W", "Y", "S", "٢",
)
ZONES = [timezone.utc, timezone(timedelta(hours=-6)), get_zone("America/Chicago"), get_zone("Asia/Kathmandu")]


@FUZZ
@given(TIMESTAMP_TEXT, st.sampled_from(ZONES))
@example("2012-01-01T00:00:00.000Z", timezone.utc)
@example("9999-12-31T23:59:59.999999999-23:59", timezone.utc)
@example("0001-01-01 00:00 23", timezone.utc)
@example("2012-02-30", timezone.utc)
def test_parse_timestamp_returns_an_aware_datetime_or_refuses(text: str, zone: Any) -> None:
    value = outcome("timestamp", lambda: parse_timestamp(text, zone))
    if value is not None:
        assert isinstance(value, datetime) and value.tzinfo is not None


@FUZZ
@given(INTERVAL_TEXT)
@example("5min")
@example("P1DT1H")
@example("0min")
@example("1" * 4300 + "min")
def test_interval_parse_returns_a_positive_interval_or_refuses(text: str) -> None:
    value = outcome("interval", lambda: Interval.parse(text))
    if value is not None:
        assert isinstance(value, Interval) and value.count > 0
        assert Interval.parse(str(value)) == value == Interval.parse(value.iso)


@FUZZ
@given(INTERVAL_TEXT)
def test_parse_interval_returns_an_interval_none_or_refuses(text: str) -> None:
    value = outcome("interval", lambda: parse_interval(text))
    assert value is None or isinstance(value, Interval)


@FUZZ
@given(pieces(*(f.value for f in Function), *(f.value.upper() for f in Function), " ", "first", "\x00"))
def test_parse_function_returns_a_function_none_or_refuses(text: str) -> None:
    value = outcome("function", lambda: parse_function(text))
    assert value is None or isinstance(value, Function)
    if value is None and text.strip():
        with pytest.raises(InvalidInputError):
            parse_function(text)


@FUZZ
@given(pieces("exact", "before", "after", "nearest", "EXACT", " ", "\t"))
def test_check_direction_returns_a_direction_or_refuses(text: str) -> None:
    value = outcome("direction", lambda: check_direction(text, any_case=True))
    assert value in (None, "exact", "before", "after", "nearest")


QUERY_TEXT = pieces(
    "&", "=", "+", "%", "%5B", "%5D", "%ff", "%zz", "%00", "id", "key", "tag", "attr[", "]", "attr%5Bx%5D",
    "start", "tz", ";", "#", "?", "\x00", "é",
)


@FUZZ
@given(QUERY_TEXT)
@example("attr[=1&attr[]=2&attr%5Bhost%5D=a&id=%ff&key=%zz&tag=+")
def test_query_decodes_any_text(text: str) -> None:
    # The query string is decoded leniently: it never refuses, whatever the text.
    query = Query(text)
    for name in ("start", "end", "tz", "interval", "id", "key", "tag", "attr[host]", ""):
        assert isinstance(query.get(name), str)
        assert isinstance(query.has(name), bool)
        assert all(isinstance(v, str) for v in query.all(name))
    assert isinstance(query.series_filter(), SeriesFilter)


ROUTE_TEXT = pieces(
    "/v1", "/", "series", "id", "key", "data", "increment", "single", "summary", "multi", "%2F", "%2f",
    "%ff", "%C3%A9", "%00", "%1F", "%", "+", " ", "..", "é", "\x00",
)


@FUZZ
@given(ROUTE_TEXT)
@example("/v1/series/key/a/b/data/")
@example("/v1/series/key/%00/")
@example("/v1/series/id/a/b/")
def test_route_finds_an_endpoint_nothing_or_refuses(text: str) -> None:
    for path in (text, "/v1/series/key/" + text, "/v1/series/id/" + text + "/data/"):
        try:
            found = outcome("route", lambda path=path: route(path))
        except UnicodeDecodeError:
            continue  # route's documented contract for a key that is not UTF-8: the engine answers 400
        assert found is None or isinstance(found, Route)
        if isinstance(found, Route):
            methods = {e.method for e in ENDPOINTS if e.path == found.path}
            assert methods, "a route leads to a path template of the table"
            assert (found.series is not None) == ("{series}" in found.path)


@FUZZ
@given(pieces("America", "/", "Chicago", "Europe", "UTC", "utc", "Etc", "GMT", "+5", "..", "\x00", "EST", "a" * 64))
def test_get_zone_returns_a_zone_or_refuses(text: str) -> None:
    outcome("zone", lambda: get_zone(text))


# --- known findings, pinned by their input ------------------------------------------------------


def _refused(call: Callable[[], Any]) -> None:
    with pytest.raises(InvalidInputError):
        call()


def test_known_5000_digit_interval_is_refused() -> None:
    _refused(lambda: Interval.parse("1" * 5000 + "min"))
    _refused(lambda: parse_interval("P" + "1" * 5000 + "D"))


def test_known_zone_directory_is_refused() -> None:
    _refused(lambda: get_zone("America"))


def test_known_long_zone_is_refused() -> None:
    _refused(lambda: get_zone("a" * 300))


def test_known_route_with_bad_utf8_is_refused() -> None:
    _refused(lambda: route("/v1/series/key/%ff/"))
