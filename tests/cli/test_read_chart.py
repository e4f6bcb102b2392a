"""``tempodb read --chart``: the chart of a known series, raw and rolled up in a zone, and of several
series on one time axis; ``tempodb.chart`` places irregular points at their instants."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from tempodb import DataPoint, DataSet, Series
from tempodb.chart import chart, line_chart, place
from tempodb.cli import main

UTC = timezone.utc
RANGE = ["--start", "2012-01-01", "--end", "2012-01-02"]
# A triangle: 0 up to 4 and back down, hourly.
TRIANGLE = "t,v\n" + "".join(f"2012-01-01T{h:02d}:00:00Z,{4 - abs(4 - h)}\n" for h in range(9))

RAW = """\
tri: 9 points
4 ┤          ⢀⡠⠒⠑⠤⡀
  │        ⡠⠔⠁    ⠈⠒⢄⡀
2 ┤     ⢀⠔⠊          ⠈⠒⢄
  │  ⢀⠤⠊⠁               ⠑⠢⡀
0 ┤⡠⠒⠁                    ⠈⠒⢄
  └──────────────────────────
   2012-01-01 00:00 UTC 2012-01-01 08:00 UTC
"""
# Two-hour maxima in Kolkata: buckets on the zone's wall clock, labelled in it.
ROLLED_UP = """\
tri (max per PT2H): 5 points
4 ┤         ⣀⡠⠔⠊⠉⠑⠒⠒⠤⠤⣀⡀
2 ┤    ⢀⡠⠔⠒⠉           ⠈⠑⠒⠤⣀
0 ┤⣀⠤⠒⠉⠁                    ⠉
  └──────────────────────────
   2012-01-01 04:00 IST 2012-01-01 12:00 IST
"""


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("TEMPODB_URL", "TEMPODB_KEY", "TEMPODB_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "40")  # the chart is as wide as the terminal
    path = tmp_path / "tri.csv"
    path.write_text(TRIANGLE, encoding="utf-8")
    database = str(tmp_path / "t.db")
    assert main(["write", "tri", str(path), "--db", database]) == 0
    return database


def test_the_chart_of_a_known_series(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["read", "tri", *RANGE, "--interval", "raw", "--chart", "--height", "5", "--db", db]) == 0
    assert capsys.readouterr().out == RAW
    argv = ["read", "tri", *RANGE, "--interval", "2hour", "--function", "max", "--tz", "Asia/Kolkata"]
    assert main([*argv, "--chart", "--height", "3", "--db", db]) == 0
    assert capsys.readouterr().out == ROLLED_UP


def test_a_selection_reads_and_charts_several_series(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(db).with_name("flat.csv")
    path.write_text("t,v\n2012-01-01T04:00:00Z,1\n2012-01-01T08:00:00Z,1\n", encoding="utf-8")
    assert main(["write", "flat", str(path), "--db", db]) == 0
    capsys.readouterr()
    assert main(["read", "-k", "tri", "-k", "flat", *RANGE, "--interval", "raw", "--db", db]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "key,t,v" and len(rows) == 1 + 9 + 2 and "flat,2012-01-01T04:00:00+00:00,1" in rows
    assert main(["read", "-k", "tri", "-k", "flat", *RANGE, "--interval", "raw", "--chart", "--height", "3",
                 "--db", db]) == 0  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "flat: 2 points" and out[6] == "tri: 9 points"
    # the flat series starts half way along the shared axis: its first half is blank
    assert out[2].startswith("1 ┤" + " " * 13) and "⠒" in out[2]
    assert out[5] == out[11] == "   2012-01-01 00:00 UTC 2012-01-01 08:00 UTC"
    assert main(["read", *RANGE, "--db", db]) == 2
    assert "name the series to read" in capsys.readouterr().err


def test_place_puts_values_at_their_instants() -> None:
    assert place([0, 10], [1.0, 3.0], 5, (0, 10)) == [1.0, 1.5, 2.0, 2.5, 3.0]
    assert place([5], [2.0], 4, (0, 10)) == [None, None, 2.0, None]
    assert place([0, 1, 9], [1.0, 3.0, 7.0], 2, (0, 9)) == [2.0, 7.0]  # means within a column
    assert line_chart([1.0], 4, 2, times=[5], time_range=(0, 10), unicode=False)[0].endswith("  *")


def test_chart_of_empty_and_non_finite_data() -> None:
    series = Series("id", "k")
    start = datetime(2012, 1, 1, tzinfo=UTC)
    assert chart(DataSet(series, start, start, [])) == ["k (no points)"]
    lines = chart([DataSet(series, start, start, [DataPoint(start, 1.0)]), DataSet(Series("i2", "n"), start, start, [])])
    assert lines[0] == "k: 1 points" and "n: 0 points" in lines
