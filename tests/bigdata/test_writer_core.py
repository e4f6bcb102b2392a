"""The writer's pure core, stepped with canned responses: no clock, no network."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tempodb import ConnectError, ProtocolError, Response
from tempodb._core.effects import Operation, Send, Sleep
from tempodb._core.retry import NO_RETRY, RetryPolicy
from tempodb._core.session import Session
from tempodb._core.writer import BufferedPoint, FlushResult, WriterCore, _grouped_by_kind

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)
Reply = Callable[[Send], Response | Exception]


def drive(op: Operation[FlushResult], reply: Reply) -> tuple[FlushResult, list[Send]]:
    sent: list[Send] = []
    effect = next(op)
    try:
        while True:
            if isinstance(effect, Sleep):  # a retry's wait: over at once
                effect = op.send(None)
                continue
            assert isinstance(effect, Send)
            sent.append(effect)
            answer = reply(effect)
            effect = op.throw(answer) if isinstance(answer, Exception) else op.send(answer)
    except StopIteration as done:
        return done.value, sent


def session(chunk_size: int = 100) -> Session:
    return Session("k", "s", "http://x", retry=NO_RETRY, chunk_size=chunk_size, gzip_threshold=None)


def filled(*kinds: str) -> WriterCore:
    core = WriterCore(max_points=1000)
    core.add(WriterCore.point(kind, T0, i, key=f"s{i}") for i, kind in enumerate(kinds))  # type: ignore[arg-type]
    return core


def test_a_flush_sends_one_request_per_kind() -> None:
    core = filled("write", "increment", "write", "increment", "write")
    flush = core.begin()
    assert flush is not None
    _result, sent = drive(flush.operation(session()), lambda _: Response(200))
    assert [s.request.url.split("/v1")[1] for s in sent] == ["/multi/", "/multi/increment/"]
    assert [len(msgspec.json.decode(s.request.body)) for s in sent] == [3, 2]
    assert core.finish(flush).acknowledged == 5 and len(core) == 0
    assert core.stats.sent == 5


def test_a_point_written_and_incremented_in_one_flush_keeps_its_order() -> None:
    core = WriterCore(max_points=1000)
    core.add([
        WriterCore.point("write", T0, 10, key="a"),
        WriterCore.point("increment", T0, 1, key="a"),  # adds to the 10 written just before
        WriterCore.point("write", T0, 5, key="b"),
        WriterCore.point("write", T0, 7, key="a"),  # replaces the sum: must go after the increment
    ])
    flush = core.begin()
    assert flush is not None
    _result, sent = drive(flush.operation(session()), lambda _: Response(200))
    bodies = [(s.request.url.split("/v1")[1], [i["v"] for i in msgspec.json.decode(s.request.body)]) for s in sent]
    assert bodies == [("/multi/", [10, 5]), ("/multi/increment/", [1]), ("/multi/", [7])]


def test_chunks_follow_the_session_chunk_size() -> None:
    core = filled(*["write"] * 5)
    flush = core.begin()
    assert flush is not None
    _, sent = drive(flush.operation(session(chunk_size=2)), lambda _: Response(200))
    assert [len(msgspec.json.decode(s.request.body)) for s in sent] == [2, 2, 1]


def test_207_statuses_map_to_points() -> None:
    core = filled("write", "write", "write")
    flush = core.begin()
    assert flush is not None
    body = b'{"multistatus":[{"status":"200","messages":[]},{"status":"422","messages":["bad"]},{"status":200}]}'
    result, _ = drive(flush.operation(session()), lambda _: Response(207, body=body))
    core.finish(flush)
    assert result.acknowledged == 2
    assert [(r.point.item.v, r.status.status, r.status.messages) for r in result.refused] == [(1, 422, ["bad"])]
    assert core.stats.failed == 1 and len(core) == 0


@pytest.mark.parametrize("kind", ["write", "increment"])
def test_connect_error_requeues_everything_at_the_head(kind: str) -> None:
    core = filled(kind, kind)
    flush = core.begin()
    assert flush is not None
    core.add([WriterCore.point("write", T0, 99, key="newer")])
    result, _ = drive(flush.operation(session()), lambda _: ConnectError("refused"))
    core.finish(flush)
    assert result.pending == 2 and result.uncertain == [] and isinstance(result.error, ConnectError)
    assert [p.item.v for p in core.pending] == [0, 1, 99]
    assert core.stats.retried == 0  # nothing was sent again yet
    again = core.begin()
    assert again is not None and core.stats.retried == 2  # now the two failed points go out again
    core.finish(again)  # abandoned without sending: a cancel retries nothing
    assert core.begin() is not None and core.stats.retried == 2


def test_an_increment_that_may_have_landed_is_set_aside_never_resent() -> None:
    core = WriterCore(max_points=1000)
    core.add([
        WriterCore.point("write", T0, 0, key="s0"),
        WriterCore.point("increment", T0, 1, key="s1"),
        WriterCore.point("increment", T0, 2, key="s2"),
        WriterCore.point("write", T0, 3, key="s1"),  # the same point as the increment: sent after it
    ])
    flush = core.begin()
    assert flush is not None
    # The third request asks whether the server honours idempotency keys; a 404 without saying so: no.
    replies = iter([Response(200), ProtocolError("reset"), Response(404)])
    result, sent = drive(flush.operation(session()), lambda _: next(replies))
    core.finish(flush)
    assert [(s.request.method, s.request.url) for s in sent][1:] == [
        ("POST", "http://x/v1/multi/increment/"),
        ("GET", "http://x/v1/"),
    ]
    assert [p.item.v for p in result.uncertain] == [1, 2]
    assert [p.item.v for p in core.pending] == [3]  # the write after them waits for the next flush
    error = core.close()
    assert error is not None
    assert [p.item.v for p in error.points] == [3] and [p.item.v for p in error.uncertain] == [1, 2]


def test_thresholds_count_points_since_the_last_attempt() -> None:
    core = WriterCore(max_points=3, max_bytes=10_000)
    core.add([WriterCore.point("write", T0, 1, key="a")] * 3)
    assert core.due
    flush = core.begin()
    assert flush is not None and not core.due
    core.finish(flush)  # nothing was sent: all three come back, but do not make a flush due again
    assert len(core) == 3 and not core.due
    bytes_core = WriterCore(max_points=1000, max_bytes=200)
    bytes_core.add([WriterCore.point("write", T0, 1, key="k" * 40)] * 2)
    assert bytes_core.due


def test_an_increment_that_may_have_landed_is_resent_with_its_key_where_keys_are_honoured() -> None:
    core = filled("increment", "increment")
    flush = core.begin()
    assert flush is not None
    honoured = {"Idempotency-Key-Retention": "86400"}
    replies = iter([ProtocolError("reset"), Response(404, honoured), Response(200, honoured)])
    retrying = Session("k", "s", "http://x", retry=RetryPolicy(jitter=lambda: 0.0), gzip_threshold=None)
    result, sent = drive(flush.operation(retrying), lambda _: next(replies))
    core.finish(flush)
    posts = [s.request for s in sent if s.request.method == "POST"]
    assert len(posts) == 2 and posts[0].headers["Idempotency-Key"] == posts[1].headers["Idempotency-Key"]
    assert result.acknowledged == 2 and result.uncertain == [] and len(core) == 0


@pytest.mark.parametrize("kind", ["write", "increment"])
def test_a_207_with_unmatched_statuses_keeps_writes_and_sets_increments_aside(kind: str) -> None:
    core = filled(kind, kind)
    flush = core.begin()
    assert flush is not None
    one_status = b'{"multistatus":[{"status":"422","messages":["odd"]}]}'
    result, _ = drive(flush.operation(session()), lambda _: Response(207, body=one_status))
    core.finish(flush)
    if kind == "write":
        assert result.uncertain == [] and len(core) == 2  # resent by a later flush
    else:
        assert [p.item.v for p in result.uncertain] == [0, 1] and len(core) == 0
    assert "cannot be matched to points" in str(result.error)


def _apply(points: list[BufferedPoint]) -> dict[tuple[str | None, object], float]:
    state: dict[tuple[str | None, object], float] = {}
    for p in points:
        spot = (p.item.key, p.item.t)
        state[spot] = p.item.v if p.kind == "write" else state.get(spot, 0) + p.item.v
    return state


@given(
    st.lists(
        st.tuples(st.sampled_from(["write", "increment"]), st.sampled_from("ab"), st.integers(0, 2), st.integers(1, 9)),
        max_size=40,
    )
)
def test_grouping_by_kind_never_changes_what_the_points_add_up_to(raw: list[tuple[str, str, int, int]]) -> None:
    points = [WriterCore.point(kind, T0 + timedelta(minutes=m), v, key=k) for kind, k, m, v in raw]  # type: ignore[arg-type]
    grouped = _grouped_by_kind(points)
    assert sorted(map(id, grouped)) == sorted(map(id, points))
    assert _apply(grouped) == _apply(points)


def test_points_in_flight_count_toward_max_buffer() -> None:
    # Producers adding while a flush is out must not pass max_buffer when that flush fails.
    core = WriterCore(max_points=2, max_buffer=4)
    core.add([WriterCore.point("write", T0, i, key="a") for i in range(3)])
    flush = core.begin()
    assert flush is not None and len(core) == 0
    core.add([WriterCore.point("write", T0, 3, key="b")])
    assert core.full  # 3 in flight + 1 buffered
    drive(flush.operation(session()), lambda _: ConnectError("refused"))
    core.finish(flush)
    assert len(core) == 4 and core.full


def test_after_give_up_after_seconds_of_failed_flushes_the_writer_stops_trying() -> None:
    core = WriterCore(max_points=1000, give_up_after=10.0)
    core.add([WriterCore.point("write", T0, 1, key="a")])
    for started in (100.0, 104.0, 109.0):  # three failed flushes within 9 s: keep trying
        assert not core.given_up(started)
        flush = core.begin()
        assert flush is not None
        drive(flush.operation(session()), lambda _: ConnectError("refused"))
        core.finish(flush, started)
    assert not core.given_up(109.5) and core.given_up(110.0)  # 10 s since the first failure began
    assert isinstance(core.last_error, ConnectError)
    flush = core.begin()  # a success (the server came back) starts the count afresh
    assert flush is not None
    drive(flush.operation(session()), lambda _: Response(200))
    core.finish(flush, 111.0)
    assert not core.given_up(500.0)


def test_give_up_after_none_keeps_trying() -> None:
    core = WriterCore(give_up_after=None)
    core.add([WriterCore.point("write", T0, 1, key="a")])
    flush = core.begin()
    assert flush is not None
    drive(flush.operation(session()), lambda _: ConnectError("refused"))
    core.finish(flush, 0.0)
    assert not core.given_up(1e9)
