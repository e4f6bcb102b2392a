"""``tempodb write`` and ``tempodb import`` on CSV files as people have them (written by the tests in
the shapes of public data sets): other time forms, zones, wide files with a series per column."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tempodb import Client
from tempodb._cli.csvio import TimeReader
from tempodb.cli import main

UTC = timezone.utc
# seattle-temps.csv's shape: a slashed date and time, no zone
TEMPS = "date,temp\n2010/01/01 00:00,39.4\n2010/01/01 01:00,39.2\n2010/01/01 02:00,39.0\n"
# seattle-weather.csv's shape: six columns, one of them text, a missing value
WEATHER = """date,precipitation,temp_max,temp_min,wind,weather
2012-01-01,0.0,12.8,5.0,4.7,drizzle
2012-01-02,10.9,10.6,2.8,4.5,rain
2012-01-03,0.8,11.7,,2.3,rain
"""


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TEMPODB_URL", "TEMPODB_KEY", "TEMPODB_SECRET"):
        monkeypatch.delenv(name, raising=False)


def _file(tmp_path: Path, text: str, name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _points(db: str, key: str) -> list[tuple[datetime, float]]:
    with Client.local(db) as client:
        data = client.read_key(key, datetime(1969, 1, 1), datetime(2030, 1, 1), interval="raw").data
    return [(p.ts, p.value) for p in data]


def test_slashed_times_read_in_a_zone(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    assert main(["write", "seattle.t", _file(tmp_path, TEMPS), "--tz", "America/Los_Angeles", "--db", db]) == 0
    assert _points(db, "seattle.t") == [
        (datetime(2010, 1, 1, 8, tzinfo=UTC), 39.4),
        (datetime(2010, 1, 1, 9, tzinfo=UTC), 39.2),
        (datetime(2010, 1, 1, 10, tzinfo=UTC), 39.0),
    ]


def test_a_wide_file_writes_a_series_per_value_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, path = str(tmp_path / "t.db"), _file(tmp_path, WEATHER)
    argv = ["write", "seattle", path, "--time-column", "date", "--value-column", "temp_max",
            "--value-column", "temp_min", "--value-column", "6", "--db", db]  # fmt: skip
    assert main(argv) == 2  # column 6 is text: named with its line, nothing written
    assert capsys.readouterr().err == f"tempodb: error: {path}, line 2: invalid value 'drizzle': expected a finite number\n"
    assert not (tmp_path / "t.db").exists() or _series(db) == []
    assert main([*argv[:-4], "--db", db]) == 0
    assert "wrote 5 points to 'seattle.temp_max', 'seattle.temp_min'" in capsys.readouterr().err
    assert [v for _, v in _points(db, "seattle.temp_max")] == [12.8, 10.6, 11.7]
    assert [v for _, v in _points(db, "seattle.temp_min")] == [5.0, 2.8]  # the empty cell is a missing value
    assert main(["write", "x", path, "--value-column", "wind", "--key-template", "sea.{column}", "--db", db]) == 0
    assert [v for _, v in _points(db, "sea.wind")] == [4.7, 4.5, 2.3]


def _series(db: str) -> list[str]:
    with Client.local(db) as client:
        return sorted(s.key for s in client.get_series())


def test_a_wide_file_without_value_columns_says_how_to_choose_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path, WEATHER)
    assert main(["write", "seattle", path, "--db", str(tmp_path / "t.db")]) == 2
    err = capsys.readouterr().err
    assert f"{path}, line 1: expected 2 fields t,v, found 6: name the value columns with --value-column" in err


@pytest.mark.parametrize(
    ("cell", "options", "expected"),
    [
        ("1325376000", [], datetime(2012, 1, 1, tzinfo=UTC)),  # epoch seconds
        ("1325376000500", [], datetime(2012, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC)),  # epoch milliseconds
        ("-86400", [], datetime(1969, 12, 31, tzinfo=UTC)),
        ("1325376000.25", [], datetime(2012, 1, 1, 0, 0, 0, 250_000, tzinfo=UTC)),
        ("2012-01-01 06:00", ["--tz", "Asia/Kolkata"], datetime(2012, 1, 1, 0, 30, tzinfo=UTC)),
        ("2012/1/2", [], datetime(2012, 1, 2, tzinfo=UTC)),
        ("2012-01-01T06:00:00-05:00", ["--tz", "Asia/Tokyo"], datetime(2012, 1, 1, 11, tzinfo=UTC)),
        ("31.12.2011 23:30", ["--time-format", "%d.%m.%Y %H:%M", "--tz", "Europe/Berlin"],
         datetime(2011, 12, 31, 22, 30, tzinfo=UTC)),
        ("Jan 05 2012 +0100", ["--time-format", "%b %d %Y %z"], datetime(2012, 1, 4, 23, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_time_forms(tmp_path: Path, cell: str, options: list[str], expected: datetime) -> None:
    db = str(tmp_path / "t.db")
    assert main(["write", "s", _file(tmp_path, f"when,value\n{cell},7\n"), *options, "--db", db]) == 0
    assert _points(db, "s") == [(expected, 7)]


def test_time_errors_name_the_file_line_and_the_way_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path, "t,v\n2012-01-01,1\n01/02/2012,2\n")
    assert main(["write", "s", path, "--db", str(tmp_path / "t.db")]) == 2
    err = capsys.readouterr().err
    assert f"{path}, line 3: invalid timestamp '01/02/2012'" in err and "--time-format" in err
    assert main(["write", "s", path, "--time-format", "%m/%d/%Y", "--db", str(tmp_path / "t.db")]) == 2
    assert "line 2: invalid timestamp '2012-01-01': it does not match --time-format '%m/%d/%Y'" in capsys.readouterr().err
    assert main(["write", "s", path, "--time-column", "when", "--db", str(tmp_path / "t.db")]) == 2
    assert "line 1: no column 'when': the header has t, v" in capsys.readouterr().err
    assert not (tmp_path / "t.db").exists()


def test_a_header_mapping_and_column_numbers(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    path = _file(tmp_path, "Value,Timestamp\n1,2012-01-01\n2,2012-01-02\n")
    assert main(["write", "s", path, "--rename", "Timestamp=t", "--rename", "Value=v", "--db", db]) == 0
    headless = _file(tmp_path, "x,2012-01-01,5\ny,2012-01-02,6\n", "headless.csv")
    assert main(["write", "n", headless, "--time-column", "2", "--value-column", "3", "--db", db]) == 0
    assert [v for _, v in _points(db, "s")] == [1, 2] and [v for _, v in _points(db, "n")] == [5, 6]


def test_import_with_renamed_headers_zone_and_wide_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "t.db")
    long = _file(tmp_path, "sensor,when,reading\na,2012/01/01 00:00,1\nb,2012/01/01 00:00,2\n", "long.csv")
    argv = ["import", long, "--rename", "sensor=key", "--time-column", "when", "--rename", "reading=v",
            "--tz", "America/New_York", "--db", db]  # fmt: skip
    assert main(argv) == 0
    assert _points(db, "a") == [(datetime(2012, 1, 1, 5, tzinfo=UTC), 1)]
    wide = _file(tmp_path, WEATHER, "weather.csv")
    argv = ["import", wide, "--time-column", "date", "--value-column", "wind", "--value-column", "precipitation",
            "--key-template", "seattle.{column}", "--db", db]  # fmt: skip
    assert main(argv) == 0
    assert "imported 6 points" in capsys.readouterr().err
    assert [v for _, v in _points(db, "seattle.precipitation")] == [0.0, 10.9, 0.8]
    assert main(["import", wide, "--db", db]) == 2
    assert "--rename (e.g. --rename Date=t), or import a column per series with --value-column" in capsys.readouterr().err


def test_time_reader_recognises_the_common_forms() -> None:
    read = TimeReader()
    assert read("2012-01-01T00:00:00Z") == read("2012/01/01 00:00") == read("1325376000") == read("1325376000000")
    assert TimeReader(tz="Europe/London")("2012-07-01") == datetime(2012, 6, 30, 23, tzinfo=UTC)
    assert read("0") == datetime(1970, 1, 1, tzinfo=UTC) and read("99999999999") - read("0") > timedelta(days=1e6)


def test_a_column_number_beyond_the_line_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path, "2012-01-01,1\n")
    assert main(["write", "s", path, "--value-column", "3", "--db", str(tmp_path / "t.db")]) == 2
    assert "line 1: no column '3' (the file has no header: give a number from 1 to 2)" in capsys.readouterr().err
