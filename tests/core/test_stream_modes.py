"""What each window of a ``Stream`` reads, stepped by hand: one series, a filter per window, and a
filter listed first and then read series by series (including a listing that finds nothing)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core_driver import drive, ok, path_of

from tempodb._core.query import Filter
from tempodb._core.session import Session
from tempodb._core.stream import Stream
from tempodb._wire.keys import SeriesRef

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)
DAY = timedelta(days=1)
SERIES = b'{"id":"%s","key":"%s","name":"","tags":[],"attributes":{}}'
SPAN = b'"start":"2012-01-01T00:00:00Z","end":"2012-01-02T00:00:00Z"'


def dataset(series_id: str) -> bytes:
    return b'{"series":' + SERIES % (series_id.encode(), b"k") + b"," + SPAN + b',"data":[]}'


def paths(stream: Stream, answers: list[bytes]) -> list[str]:
    """Run every read of ``stream``, answering each request in turn; the paths it asked for."""
    asked: list[str] = []
    replies = iter(answers)
    while (op := stream.next_read()) is not None:
        run = drive(op, [ok(next(replies))])
        run.value  # noqa: B018 - raises the operation's error, if any
        asked.extend(path_of(r) for r in run.requests)
    assert next(replies, None) is None, "an answer was left unused"
    return asked


def test_one_series_reads_it_window_by_window(session: Session) -> None:
    stream = Stream(session, T0, T0 + 2 * DAY, series=SeriesRef("key", "k"), window=DAY)
    assert paths(stream, [dataset("a")] * 2) == ["/v1/series/key/k/data/"] * 2


def test_a_filter_reads_every_matching_series_in_each_window(session: Session) -> None:
    stream = Stream(session, T0, T0 + 3 * DAY, selection=Filter(tags=["t"]), window=DAY)
    assert paths(stream, [b"[]"] * 3) == ["/v1/data/"] * 3


def test_by_series_lists_first_then_reads_each_series_over_the_whole_range(session: Session) -> None:
    listing = b"[" + SERIES % (b"a", b"ka") + b"," + SERIES % (b"b", b"kb") + b"]"
    stream = Stream(session, T0, T0 + 2 * DAY, selection=Filter(tags=["t"]), window=DAY, by_series=True)
    answers = [listing, dataset("a"), dataset("a"), dataset("b"), dataset("b")]
    assert paths(stream, answers) == ["/v1/series/"] + ["/v1/series/id/a/data/"] * 2 + ["/v1/series/id/b/data/"] * 2


def test_by_series_with_no_match_ends_after_the_listing(session: Session) -> None:
    stream = Stream(session, T0, T0 + 2 * DAY, selection=Filter(tags=["none"]), window=DAY, by_series=True)
    assert paths(stream, [b"[]"]) == ["/v1/series/"]
    assert stream.next_read() is None
