"""Every recorded server response parses into the right model; every timestamp form reads as aware."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from core_driver import drive, make, ok, status

from tempodb._core import ops
from tempodb._core.errors import ConflictError, ResponseError, error_for_response
from tempodb._core.models import DataPoint, DataSet
from tempodb._core.protocol import (
    parse_dataset,
    parse_datasets,
    parse_delete_summary,
    parse_multistatus,
    parse_series,
    parse_series_list,
    parse_single_value,
    parse_single_values,
    parse_summary,
)
from tempodb._wire.keys import SeriesRef
from tempodb._wire.timestamps import UTC, parse_timestamp

# Response bodies recorded from the real service (a copy of shared/fixtures kept with the tests).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

CONFLICT_SENTENCE = "Unique constraint violated, key key3 and database id 672 pair already exist"

# Which parser reads which recorded body (the 409 text body is handled separately).
PARSERS = {
    "recorded-2013/create_series.json": parse_series,
    "recorded-2013/delete_series.json": parse_delete_summary,
    "recorded-2013/list_all_series.json": parse_series_list,
    "recorded-2013/list_filtered_series.json": parse_series_list,
    "recorded-2013/multi_status_response.json": parse_multistatus,
    "recorded-2013/read_id_and_key.json": parse_dataset,
    "recorded-2013/read_multi_datasets.json": parse_datasets,
    "recorded-2013/update_series.json": parse_series,
    "recorded-2014/get_series.json": parse_series,
    "recorded-2014/get_summary.json": parse_summary,
    "recorded-2014/multi_series_single_value.json": parse_single_values,
    "recorded-2014/single_value.json": parse_single_value,
}
TEXT_BODIES = {"recorded-2013/create_series_non_unique.json"}


def _read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_every_fixture_file_has_a_parser() -> None:
    on_disk = {str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("recorded-*/*")}
    assert on_disk == set(PARSERS) | TEXT_BODIES


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_fixture_parses_with_aware_timestamps(name: str) -> None:
    parsed = PARSERS[name](_read(name))
    for moment in _datetimes(parsed):
        assert moment.tzinfo is not None
        assert moment.utcoffset() == timedelta(0)  # every recorded timestamp ends in Z


def _datetimes(value: object) -> list[datetime]:
    """Every datetime reachable from a parsed model."""
    if isinstance(value, datetime):
        return [value]
    if isinstance(value, list):
        return [d for item in value for d in _datetimes(item)]
    fields = getattr(value, "__struct_fields__", ())
    return [d for name in fields for d in _datetimes(getattr(value, name))]


def test_series_fixtures() -> None:
    created = parse_series(_read("recorded-2013/create_series.json"))
    assert (created.id, created.key, created.name, created.tags, created.attributes) == (
        "0e3178aea7964c4cb1a15db1e80e2a7f", "key2", "", [], {},
    )
    updated = parse_series(_read("recorded-2013/update_series.json"))
    assert updated.name == "my_series" and updated.id == created.id
    generated = parse_series(_read("recorded-2014/get_series.json"))
    assert generated.key == generated.id == "012b7a1c5794423996e576792472b00b"


def test_series_lists() -> None:
    everything = parse_series_list(_read("recorded-2013/list_all_series.json"))
    assert [s.key for s in everything] == [
        "custom-series-key1", "custom-series-key2", "custom-series-key3", "custom-series-key4",
        "demo-series", "getting_started", "your-custom-key",
    ]
    assert all(len(s.id) == 32 for s in everything)
    filtered = parse_series_list(_read("recorded-2013/list_filtered_series.json"))
    assert [s.key for s in filtered] == ["key1", "key2"]


def test_delete_summary() -> None:
    assert parse_delete_summary(_read("recorded-2013/delete_series.json")).deleted == 2


def test_1440_point_dataset_and_its_summary() -> None:
    raw = json.loads(_read("recorded-2013/read_id_and_key.json"))
    dataset = parse_dataset(_read("recorded-2013/read_id_and_key.json"))
    assert isinstance(dataset, DataSet)
    assert dataset.series.key == "getting_started"
    assert dataset.start == datetime(2012, 1, 1, 6, tzinfo=UTC)
    assert dataset.end == datetime(2012, 1, 2, 6, tzinfo=UTC)
    assert dataset.rollup is None
    assert len(dataset.data) == 1440
    assert [p.ts for p in dataset.data] == [dataset.start + timedelta(minutes=i) for i in range(1440)]
    assert [p.value for p in dataset.data] == [p["v"] for p in raw["data"]]
    summary = dataset.summary
    assert summary is not None
    expected = raw["summary"]
    assert summary.count == expected["count"] == 1440
    for name in ("sum", "mean", "min", "max", "stddev", "ss"):
        assert getattr(summary, name) == expected[name]
    # The server's summary describes exactly these points (ss = squared deviations, sample stddev).
    values = [p.value for p in dataset.data]
    mean = sum(values) / len(values)
    ss = sum((v - mean) ** 2 for v in values)
    assert math.isclose(summary.ss or 0, ss, rel_tol=1e-9)
    assert math.isclose(summary.stddev or 0, math.sqrt(ss / (len(values) - 1)), rel_tol=1e-9)


def test_multi_dataset_list() -> None:
    [dataset] = parse_datasets(_read("recorded-2013/read_multi_datasets.json"))
    assert dataset.series.tags == ["foo"]
    assert [p.ts for p in dataset.data] == [
        datetime(2013, 2, 24, 0, 0, tzinfo=UTC), datetime(2013, 2, 24, 0, 1, tzinfo=UTC),
    ]
    assert dataset.summary is not None and dataset.summary.count == 2
    assert dataset.summary.stddev == 7.0179579476894665


def test_multistatus_fixture() -> None:
    statuses = parse_multistatus(_read("recorded-2013/multi_status_response.json"))
    assert [s.status for s in statuses] == [422, 200, 422]
    assert [s.ok for s in statuses] == [False, True, False]
    assert statuses[2].messages == ["Must provide a numeric value", "Must provide a series ID or key"]


def test_single_values() -> None:
    single = parse_single_value(_read("recorded-2014/single_value.json"))
    assert single.series.key == "multi-key-3"
    assert single.data == DataPoint(datetime(2013, 8, 1, 9, 1, tzinfo=UTC), 3.14)
    many = parse_single_values(_read("recorded-2014/multi_series_single_value.json"))
    assert [(s.series.key, s.data.value if s.data else None) for s in many] == [
        ("multi-key-3", 3.14), ("multi-key-4", 1.23),
    ]


def test_single_value_with_no_point() -> None:
    body = b'{"series":{"id":"a","key":"k","name":"","tags":[],"attributes":{}},"data":null}'
    assert parse_single_value(body).data is None


def test_summary_only_fixture() -> None:
    result = parse_summary(_read("recorded-2014/get_summary.json"))
    assert result.tz == "CST"
    assert result.start == datetime(2013, 8, 1, 9, tzinfo=UTC)
    assert result.end == datetime(2013, 8, 1, 21, tzinfo=UTC)
    assert (result.summary.count, result.summary.mean, result.summary.stddev) == (2, 4.71, 2.2203152929257595)
    assert result.summary.ss is None  # not sent by the 2014 server: absent, not invented


def test_409_text_body_becomes_conflict_error() -> None:
    body = _read("recorded-2013/create_series_non_unique.json")
    error = error_for_response(status(409, body))
    assert isinstance(error, ConflictError)
    assert error.status_code == 409
    assert CONFLICT_SENTENCE in error.message
    assert CONFLICT_SENTENCE in str(error)


def test_409_through_create_series_operation() -> None:
    body = _read("recorded-2013/create_series_non_unique.json")
    run = drive(ops.create_series(make(), "key3"), [status(409, body)])
    assert isinstance(run.error, ConflictError)
    assert CONFLICT_SENTENCE in str(run.error)
    assert "POST /v1/series/" in str(run.error)


# --- timestamp spellings, fast path (msgspec) and lenient path (our parser) ---------------------

SERIES = '{"id":"a","key":"k","name":"","tags":[],"attributes":{}}'
INSTANT = datetime(2012, 3, 27, 1, 2, 3, 4000, tzinfo=UTC)
SPELLINGS = [
    "2012-03-27T01:02:03.004Z",
    "2012-03-27T01:02:03.004+0000",
    "2012-03-27T01:02:03.004+00:00",
    "2012-03-27T01:02:03.004",  # naive: UTC
    "2012-03-27T01:02:03.004000",
    "2012-03-27T03:02:03.004+02:00",
    "2012-03-26T20:02:03.004-0500",
    "2012-03-27T01:02:03.004-00:00",
]


def _dataset_body(ts: str) -> bytes:
    return f'{{"series":{SERIES},"start":"{ts}","end":"{ts}","data":[{{"t":"{ts}","v":1}}]}}'.encode()


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_offset_spelling_parses_in_a_dataset(spelling: str) -> None:
    dataset = parse_dataset(_dataset_body(spelling))
    for moment in (dataset.start, dataset.end, dataset.data[0].ts):
        assert moment.tzinfo is not None
        assert moment == INSTANT


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_offset_spelling_parses_everywhere(spelling: str) -> None:
    single = parse_single_value(f'{{"series":{SERIES},"data":{{"t":"{spelling}","v":2}}}}'.encode())
    assert single.data is not None and single.data.ts == INSTANT and single.data.ts.tzinfo is not None
    [listed] = parse_single_values(f'[{{"series":{SERIES},"data":{{"t":"{spelling}","v":2}}}}]'.encode())
    assert listed.data is not None and listed.data.ts == INSTANT
    [dataset] = parse_datasets(b"[" + _dataset_body(spelling) + b"]")
    assert dataset.data[0].ts == INSTANT and dataset.start.tzinfo is not None
    summary = parse_summary(
        f'{{"series":{SERIES},"start":"{spelling}","end":"{spelling}","summary":{{"count":0}}}}'.encode()
    )
    assert summary.start == INSTANT and summary.start.tzinfo is not None


def test_mixed_forms_in_one_body_take_the_lenient_path() -> None:
    body = (
        f'{{"series":{SERIES},"start":"2012-03-27T00:00:00.000","end":"2012-03-28T00:00:00Z",'
        '"data":[{"t":"2012-03-27T00:00:00.000+0000","v":1},{"t":"2012-03-27T00:01:00Z","v":2.5}],'
        '"summary":{}}'
    ).encode()
    dataset = parse_dataset(body)
    assert dataset.start == datetime(2012, 3, 27, tzinfo=UTC)
    assert [p.ts for p in dataset.data] == [datetime(2012, 3, 27, tzinfo=UTC), datetime(2012, 3, 27, 0, 1, tzinfo=UTC)]
    assert [p.value for p in dataset.data] == [1, 2.5]
    assert type(dataset.data[0].value) is int
    assert dataset.summary is not None and dataset.summary.count == 0 and dataset.summary.mean is None


def test_date_only_and_naive_parse_as_utc_midnight() -> None:
    assert parse_timestamp("2012-01-01") == datetime(2012, 1, 1, tzinfo=UTC)
    assert parse_timestamp("2012-03-27T00:00:00").tzinfo is UTC


def test_naive_zone_is_used_only_without_an_offset() -> None:
    plus5 = timezone(timedelta(hours=5))
    assert parse_timestamp("2012-01-01T05:00:00", plus5) == datetime(2012, 1, 1, tzinfo=UTC)
    assert parse_timestamp("2012-01-01T05:00:00Z", plus5) == datetime(2012, 1, 1, 5, tzinfo=UTC)


def test_form_decoded_plus_reads_as_offset() -> None:
    # A "+05:00" sent unescaped in a query arrives as " 05:00".
    assert parse_timestamp("2013-08-01T04:00:00.000 05:00") == datetime(2013, 7, 31, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    "body",
    [
        b'{"series":{"id":"a","key":"k"},"start":"garbage","end":"2012-01-01","data":[]}',
        b'{"series":{"id":"a","key":"k"},"start":"2012-01-01","end":"2012-01-01","data":[{"t":5,"v":1}]}',
        b'{"series":{"id":"a","key":"k"},"start":"2012-01-01","end":"2012-01-01","data":[{"v":1}]}',
        b'{"series":{"id":"a","key":"k"},"start":"2012-01-01","end":"2012-01-01","data":[{"t":"2012-01-01","v":"x"}]}',
        b'{"series":{"id":"a","key":"k"},"start":"2012-01-01","end":"2012-13-01","data":[]}',
        b"not json",
        b"",
        b"[]",
    ],
)
def test_malformed_dataset_is_a_response_error(body: bytes) -> None:
    with pytest.raises(ResponseError):
        parse_dataset(body)


def test_malformed_series_and_multistatus_are_response_errors() -> None:
    with pytest.raises(ResponseError):
        parse_series(b'{"key": "k"}')
    with pytest.raises(ResponseError):
        parse_series_list(b'{"id": "a", "key": "k"}')
    with pytest.raises(ResponseError):
        parse_multistatus(b'{"other": []}')
    with pytest.raises(ResponseError):
        parse_multistatus(b'{"multistatus": [{"status": "bad"}]}')


def test_read_operations_return_the_parsed_fixtures() -> None:
    from tempodb._core.query import Filter

    many = drive(
        ops.read(make(), datetime(2013, 2, 24), datetime(2013, 2, 24, 0, 2), Filter(keys=["demo-series"])),
        [ok(_read("recorded-2013/read_multi_datasets.json"))],
    )
    assert [d.series.key for d in many.value] == ["demo-series"]
    one = drive(
        ops.read_one(make(), SeriesRef("id", "3c9b4f3a19114a7eb670ff7c4917f315"), datetime(2012, 1, 1, 6), datetime(2012, 1, 2, 6)),
        [ok(_read("recorded-2013/read_id_and_key.json"))],
    )
    assert len(one.value.data) == 1440
