"""Large writes split into chunks; a failure part way says exactly which points landed; 207s merge."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from core_driver import body_json, drive, make, ok, status

from tempodb._core import ops
from tempodb._core.errors import (
    BadRequestError,
    ConnectError,
    MultiStatusError,
    PartialWriteError,
    ProtocolError,
    RequestTimeoutError,
    ServerError,
)
from tempodb._core.models import DataPoint
from tempodb._core.session import Session
from tempodb._wire.keys import SeriesRef

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)
N = 10
SIZE = 3
POINTS = [DataPoint(T0 + timedelta(minutes=i), i) for i in range(N)]
MULTI = [{"t": T0 + timedelta(minutes=i), "key": f"k{i}", "v": i} for i in range(N)]
BULK = [{"key": f"k{i}", "v": i} for i in range(N)]


def chunked(**kwargs: Any) -> Session:
    return make(chunk_size=SIZE, **kwargs)


def values_sent(body: Any) -> list[int]:
    items = body["data"] if isinstance(body, dict) else body
    return [item["v"] for item in items]


WRITES = {
    "write_points": lambda s: ops.write_points(s, SeriesRef("key", "k"), POINTS),
    "write_bulk": lambda s: ops.write_bulk(s, T0, BULK),
    "write_multi": lambda s: ops.write_multi(s, MULTI),
}
INCREMENTS = {
    "increment_points": lambda s: ops.increment_points(s, SeriesRef("id", "a"), POINTS),
    "increment_bulk": lambda s: ops.increment_bulk(s, T0, BULK),
    "increment_multi": lambda s: ops.increment_multi(s, MULTI),
}
ALL = {**WRITES, **INCREMENTS}


@pytest.mark.parametrize("name", sorted(ALL))
def test_split_into_ceil_n_over_size_requests_in_order(name: str) -> None:
    run = drive(ALL[name](chunked()), [ok()] * 4)
    assert run.error is None
    assert len(run.requests) == 4  # ceil(10 / 3)
    assert [values_sent(body_json(r)) for r in run.requests] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert len({r.url for r in run.requests}) == 1


@pytest.mark.parametrize(("count", "requests"), [(1, 1), (3, 1), (4, 2), (6, 2), (7, 3)])
def test_request_count_boundaries(count: int, requests: int) -> None:
    run = drive(ops.write_points(chunked(), SeriesRef("key", "k"), POINTS[:count]), [ok()] * requests)
    assert sum(len(body_json(r)) for r in run.requests) == count


def test_bulk_chunks_each_carry_the_timestamp() -> None:
    run = drive(ops.write_bulk(chunked(), T0, BULK), [ok()] * 4)
    assert {body_json(r)["t"] for r in run.requests} == {"2012-01-01T00:00:00Z"}


def test_default_chunk_size_sends_one_request(session: Session) -> None:
    run = drive(ops.write_points(session, SeriesRef("key", "k"), POINTS), [ok()])
    assert len(body_json(run.requests[0])) == N


def test_retries_happen_inside_a_chunk() -> None:
    run = drive(ops.write_points(chunked(), SeriesRef("key", "k"), POINTS), [ok(), status(503), ok(), ok(), ok()])
    assert run.error is None
    assert run.sleeps == [0.1]
    assert [values_sent(body_json(r)) for r in run.requests] == [[0, 1, 2], [3, 4, 5], [3, 4, 5], [6, 7, 8], [9]]


def _partial(run: Any) -> PartialWriteError:
    assert isinstance(run.error, PartialWriteError), run.error
    error: PartialWriteError = run.error
    assert sorted(error.acknowledged + error.unacknowledged) == list(range(N))
    assert not set(error.acknowledged) & set(error.unacknowledged)
    return error


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("k", [1, 2, 3])
def test_refusal_in_chunk_k(name: str, k: int) -> None:
    run = drive(ALL[name](chunked()), [ok()] * k + [status(400, "bad")])
    error = _partial(run)
    assert error.acknowledged == list(range(k * SIZE))
    assert error.unacknowledged == list(range(k * SIZE, N))
    assert error.uncertain == []
    assert isinstance(error.cause, BadRequestError)
    assert len(run.requests) == k + 1
    assert "bad" in str(error)


@pytest.mark.parametrize("name", sorted(WRITES))
def test_write_transport_failure_after_retries_in_chunk_k(name: str) -> None:
    cause = RequestTimeoutError("slow")
    run = drive(WRITES[name](chunked(retry=False)), [ok(), ok(), cause])
    error = _partial(run)
    assert error.acknowledged == [0, 1, 2, 3, 4, 5]
    assert error.unacknowledged == [6, 7, 8, 9]
    assert error.uncertain == []  # writes are idempotent: resending is safe
    assert error.cause is cause


@pytest.mark.parametrize("failure", [RequestTimeoutError("slow"), ProtocolError("cut")], ids=repr)
@pytest.mark.parametrize("name", sorted(INCREMENTS))
def test_increment_ambiguous_failure_makes_exactly_that_chunk_uncertain(name: str, failure: Exception) -> None:
    run = drive(INCREMENTS[name](chunked()), [ok(), failure])
    error = _partial(run)
    assert error.acknowledged == [0, 1, 2]
    assert error.unacknowledged == [3, 4, 5, 6, 7, 8, 9]
    assert error.uncertain == [3, 4, 5]
    assert error.cause is failure
    assert len(run.requests) == 2 and run.sleeps == []
    assert "may have been applied" in str(error)


@pytest.mark.parametrize("name", sorted(INCREMENTS))
def test_increment_last_short_chunk_uncertain(name: str) -> None:
    run = drive(INCREMENTS[name](chunked()), [ok(), ok(), ok(), RequestTimeoutError("slow")])
    error = _partial(run)
    assert error.uncertain == error.unacknowledged == [9]


@pytest.mark.parametrize("name", sorted(INCREMENTS))
def test_increment_server_error_is_not_uncertain(name: str) -> None:
    run = drive(INCREMENTS[name](chunked()), [ok(), status(503)])
    error = _partial(run)
    assert error.uncertain == []
    assert error.acknowledged == [0, 1, 2]
    assert isinstance(error.cause, ServerError)


@pytest.mark.parametrize("step", [status(400, "bad"), status(403), ConnectError("refused")], ids=repr)
@pytest.mark.parametrize("name", sorted(ALL))
def test_failure_in_first_chunk_raises_the_original_error(name: str, step: Any) -> None:
    steps = [step] if not isinstance(step, ConnectError) else [step] * 5  # ConnectError: retried until attempts run out
    run = drive(ALL[name](chunked()), steps)
    assert not isinstance(run.error, PartialWriteError)
    if isinstance(step, Exception):
        assert run.error is step
    else:
        assert run.error is not None and run.error.status_code == step.status_code  # type: ignore[attr-defined]


def _multistatus(*entries: Any) -> Any:
    return status(207, json.dumps({"multistatus": [{"status": s, "messages": m} for s, m in entries]}))


@pytest.mark.parametrize("name", ["write_multi", "increment_multi"])
def test_207_in_one_chunk_and_200_in_others(name: str) -> None:
    run = drive(
        ALL[name](chunked()),
        [
            ok(),
            _multistatus(("200", []), ("422", ["Must provide a numeric value"]), (200, [])),
            ok(),
            _multistatus((422, ["Must provide a series ID or key"])),
        ],
    )
    error = run.error
    assert isinstance(error, MultiStatusError)
    assert len(error.statuses) == N
    assert error.failed == [4, 9]
    assert error.succeeded == [0, 1, 2, 3, 5, 6, 7, 8]
    assert [s.status for s in error.statuses] == [200, 200, 200, 200, 422, 200, 200, 200, 200, 422]
    assert error.statuses[4].messages == ["Must provide a numeric value"]
    assert "point 4: 422 Must provide a numeric value" in str(error)
    assert "point 9: 422 Must provide a series ID or key" in str(error)
    assert len(run.requests) == 4  # a 207 is an answer, not a failure: the rest is still sent


@pytest.mark.parametrize("sent", [1, 5], ids=["fewer", "more"])
def test_207_whose_status_count_differs_still_raises_multistatus_with_every_status(sent: int) -> None:
    entries = [("422", [f"problem {i}"]) for i in range(sent)]
    first = _multistatus(("200", []), ("422", ["x"]), ("200", []))
    run = drive(ALL["increment_multi"](chunked()), [first, _multistatus(*entries)])
    error = run.error
    assert isinstance(error, MultiStatusError)
    assert [s.status for s in error.statuses] == [200, 422, 200]  # the matched request before it
    assert [s.messages for s in error.unmatched] == [[f"problem {i}"] for i in range(sent)]
    assert error.unmatched_points == 3
    text = str(error)
    assert f"listed {sent} statuses for 3 points" in text and "read those series back" in text
    assert all(f"422 problem {i}" in text for i in range(sent))
    assert len(run.requests) == 2  # nothing more is sent once fates cannot be told apart


def test_207_with_every_point_refused() -> None:
    run = drive(ops.write_multi(make(), MULTI[:3]), [_multistatus(*[("422", ["no"])] * 3)])
    assert isinstance(run.error, MultiStatusError)
    assert run.error.failed == [0, 1, 2] and run.error.succeeded == []


def test_multistatus_then_a_failed_chunk() -> None:
    run = drive(
        ops.write_multi(chunked(retry=False), MULTI),
        [_multistatus(("200", []), ("422", ["x"]), ("200", [])), ok(), status(500)],
    )
    error = _partial(run)
    assert error.acknowledged == [0, 2, 3, 4, 5]
    assert error.unacknowledged == [1, 6, 7, 8, 9]
    assert isinstance(error.cause, ServerError)


def test_a_207_for_an_all_good_write_is_not_an_error() -> None:
    run = drive(ops.write_multi(make(), MULTI[:2]), [_multistatus(("200", []), (200, []))])
    assert run.error is None


def test_more_than_ten_failures_are_summarised() -> None:
    run = drive(ops.write_multi(make(), MULTI), [_multistatus(*[("422", ["bad"])] * N)])
    assert isinstance(run.error, MultiStatusError)
    assert "10 of 10 points were refused" in str(run.error)
    many = drive(
        ops.write_multi(make(), MULTI + MULTI), [_multistatus(*[("422", ["bad"])] * (2 * N))]
    )
    assert isinstance(many.error, MultiStatusError)
    assert "and 10 more" in str(many.error)
