"""The import's fast reads decide as the general ones: ISO times through ``datetime.fromisoformat``
read as ``parse_timestamp`` reads them (and what it refuses stays refused), and a number cell is the
same int or float whether or not it skips the failed ``int`` of a float."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tempodb
from tempodb import InvalidInputError
from tempodb._cli.csvio import TimeReader, number
from tempodb._wire.timestamps import parse_timestamp
from tempodb.cli import main

_EPOCH_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?")
offsets = st.sampled_from(["", "Z", "z", "+00:00", "-00:00", "+05:30", "-0600", "+06", "+01:00:30", "+24:00", " +06", "+0000"])
fractions = st.sampled_from(["", ".5", ",25", ".123456", ".123456789", "."])
separators = st.sampled_from(["T", " ", "t", "_"])


@st.composite
def iso_texts(draw: st.DrawFn) -> str:
    moment = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
    date_part = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    shape = draw(st.sampled_from(["date", "hm", "hms", "hour", "odd"]))
    if shape == "date":
        return date_part + draw(st.sampled_from(["", "Z"]))
    if shape == "hour":
        return f"{date_part}T{moment.hour:02d}"
    if shape == "odd":
        return draw(st.text(alphabet="0123456789-:T +Z.", min_size=10, max_size=30))
    time_part = f"{moment.hour:02d}:{moment.minute:02d}"
    if shape == "hms":
        time_part += f":{moment.second:02d}" + draw(fractions)
    return date_part + draw(separators) + time_part + draw(offsets)


def _general(text: str, zone: str | None) -> datetime | str:
    """What the reader made of ``text`` before its fast path: ``parse_timestamp`` in ``zone``."""
    try:
        return parse_timestamp(text, TimeReader(tz=zone).zone)
    except InvalidInputError:
        return "refused"


@given(iso_texts(), st.sampled_from([None, "America/Los_Angeles"]))
def test_iso_times_read_as_parse_timestamp_reads_them(text: str, zone: str | None) -> None:
    assume(not _EPOCH_NUMBER.fullmatch(text.strip()))  # read as epoch seconds, not by parse_timestamp
    try:
        got: datetime | str = TimeReader(tz=zone)(text)
    except InvalidInputError:
        got = "refused"
    want = _general(text, zone)
    assert got == want
    if isinstance(got, datetime) and isinstance(want, datetime):
        assert got.utcoffset() == want.utcoffset()  # the same instant and the same offset


def _general_number(text: str) -> int | float | str:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return "refused"
    return value if math.isfinite(value) else "refused"


@given(st.one_of(st.integers().map(str), st.floats().map(repr), st.text(alphabet="0123456789+-_.eE naif", max_size=8),
                 st.text(max_size=4)))
def test_a_number_cell_is_read_as_before(text: str) -> None:
    try:
        got: int | float | str = number(text)
    except ValueError:
        got = "refused"
    want = _general_number(text)
    assert got == want and type(got) is type(want)


def test_a_short_row_is_named_and_nothing_is_imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "short.csv"
    path.write_text("key,t,v\na,2012-01-01T00:00:00Z,1\na,2012-01-01T00:01:00Z\n", encoding="utf-8")
    db = str(tmp_path / "t.db")
    assert main(["import", str(path), "--db", db]) == 2
    assert "short.csv:3: expected 3 fields as the header names, found 2" in capsys.readouterr().err
    with tempodb.Client.local(db) as client:
        assert client.get_series() == []


def test_import_from_stdin_keeps_offsets_and_integers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    lines = "key,t,v\na,2012-01-01T00:00:00-06:00,1\na,2012-01-01T06:00:01Z,2.5\nb,2012-01-01 00:00,12345678901234\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    db = str(tmp_path / "t.db")
    assert main(["import", "-", "--db", db, "--batch-size", "2"]) == 0
    assert "imported 3 points" in capsys.readouterr().err
    t0 = datetime(2012, 1, 1, tzinfo=timezone.utc)
    with tempodb.Client.local(db) as client:
        a = client.read_key("a", t0, t0 + timedelta(days=1), interval="raw").data
        b = client.read_key("b", t0, t0 + timedelta(days=1), interval="raw").data
    assert [(p.ts, p.value) for p in a] == [(t0 + timedelta(hours=6), 1), (t0 + timedelta(hours=6, seconds=1), 2.5)]
    assert [p.value for p in b] == [12345678901234] and type(b[0].value) is int
