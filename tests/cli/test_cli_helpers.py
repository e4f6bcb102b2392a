"""The CLI's pure pieces: the chart, the progress bar, server URLs and CSV parsing."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from tempodb import InvalidInputError
from tempodb._cli.csvio import parse_points
from tempodb._cli.progress import Progress, render_bar
from tempodb._cli.target import Target, parse_url, resolve_target
from tempodb.chart import line_chart, resample


def test_resample_shrinks_by_bucket_means_and_stretches_linearly() -> None:
    assert resample([1, 3, 5, 7], 2) == [2, 6]
    assert resample([0, 10], 3) == [0, 5, 10]
    assert resample([4], 3) == [4, 4, 4]
    assert resample([], 3) == []


def test_line_chart_shape_and_labels() -> None:
    lines = line_chart([0, 10, 0, 10], width=20, height=5, x_labels=("start", "end"))
    assert len(lines) == 5 + 2
    assert lines[0].startswith("10.0 ┤")
    assert lines[4].startswith(" 0.0 ┤")
    assert lines[1].startswith("     │")
    assert lines[5] == "     └" + "─" * 20
    assert lines[6] == "      start" + " " * 12 + "end"
    # Every column of dots is drawn: the line is connected.
    body = [line[6:].ljust(20) for line in lines[:5]]
    assert all(any(row[col] != " " for row in body) for col in range(20))


def test_line_chart_ascii_flat_and_empty() -> None:
    flat = line_chart([5, 5, 5], width=8, height=3, unicode=False)
    assert flat[1] == "5.0 +********"
    assert flat[-1] == "    +--------"
    assert line_chart([], width=8) == []
    assert line_chart([float("nan")], width=8) == []


def test_render_bar() -> None:
    assert render_bar(0, 4, 8) == "[        ]"
    assert render_bar(4, 4, 8) == "[████████]"
    assert render_bar(1, 16, 8) == "[▌       ]"
    assert render_bar(2, 4, 4, unicode=False) == "[##..]"
    assert render_bar(0, 0, 2, unicode=False) == "[##]"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_live_progress_redraws_at_most_ten_times_a_second() -> None:
    now = [0.0]
    live = _Tty()
    with Progress(10_000, live, clock=lambda: now[0]) as bar:
        for _ in range(10_000):
            bar.advance()
            now[0] += 0.0001  # 10,000 lines in one second
    frames = live.getvalue().split("\r")[1:]
    assert 10 <= len(frames) <= 13  # ~10 redraws, the finished line and the closing one
    assert "100%" in frames[-1]


def test_progress_modes() -> None:
    clock = iter(range(100)).__next__
    live = _Tty()
    with Progress(2, live, label="w", unit="pts", clock=lambda: float(clock())) as bar:
        bar.advance()
        bar.advance()
    frames = live.getvalue().split("\r")[1:]
    assert "  0%  0/2 pts" in frames[0]
    assert frames[-1].endswith("\n")
    assert "100%  2/2 pts" in frames[-1]

    final = io.StringIO()
    with Progress(2, final, mode="final") as bar:
        bar.advance(2)
    assert final.getvalue().count("\n") == 1
    assert "\r" not in final.getvalue()

    quiet = io.StringIO()  # auto on a non-terminal: nothing
    with Progress(2, quiet) as bar:
        bar.advance(2)
    assert quiet.getvalue() == ""

    failed = io.StringIO()
    with pytest.raises(RuntimeError), Progress(2, failed, mode="final"):
        raise RuntimeError
    assert failed.getvalue() == ""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:4242", ("127.0.0.1", 4242, False)),
        ("http://localhost:4242/v1/", ("localhost", 4242, False)),
        ("https://api.tempo-db.com", ("api.tempo-db.com", 443, True)),
        ("http://example.com/", ("example.com", 80, False)),
        ("http://[::1]:8080/v1", ("[::1]", 8080, False)),
    ],
)
def test_parse_url(url: str, expected: tuple[str, int, bool]) -> None:
    assert parse_url(url) == expected


@pytest.mark.parametrize("url", ["localhost:4242", "http://", "http://h:99999", "http://h/x", "http://h/?a=1"])
def test_parse_url_rejects(url: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_url(url)


def test_resolve_target_precedence() -> None:
    env = {"TEMPODB_URL": "http://h:1", "TEMPODB_KEY": "k", "TEMPODB_SECRET": "s"}
    assert resolve_target(environ=env) == Target("k", "s", host="h", port=1)
    assert resolve_target(environ=env, db="x.db") == Target("k", "s", db="x.db")
    assert resolve_target(environ=env, url="https://o", key="k2") == Target("k2", "s", host="o", port=443, secure=True)
    assert resolve_target(environ={}) == Target("local", "local", db="tempodb.db")
    made: list[str] = []

    def temporary() -> str:
        made.append("t.db")
        return "t.db"

    assert resolve_target(environ={}, default_db=temporary).db == "t.db"
    resolve_target(environ=env, default_db=temporary)  # a server: no file is made
    assert made == ["t.db"]
    assert "hidden" not in repr(Target("k", "hidden"))


def test_parse_points() -> None:
    text = "# exported\nt,v\n\n2012-01-01,1\n2012-01-01T00:01:00.5+01:00, 2.5\n"
    points = parse_points(io.StringIO(text))
    assert [(p.ts, p.value) for p in points] == [
        (datetime(2012, 1, 1, tzinfo=timezone.utc), 1),
        (datetime(2011, 12, 31, 23, 1, 0, 500000, tzinfo=timezone.utc), 2.5),
    ]
    assert isinstance(points[0].value, int)
    with pytest.raises(InvalidInputError, match=r"^data.csv, line 2: invalid value 'inf'"):
        parse_points(["2012-01-01,1\n", "2012-01-02,inf\n"], "data.csv")
