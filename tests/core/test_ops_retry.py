"""Retries: which failures are retried for which calls, and exactly how long the core waits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import pytest
from core_driver import Jitter, drive, make, ok, status

from tempodb._core import ops
from tempodb._core.errors import (
    BadRequestError,
    ConflictError,
    ConnectError,
    ForbiddenError,
    HTTPError,
    NotFoundError,
    PartialWriteError,
    PayloadTooLargeError,
    ProtocolError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    UnauthorizedError,
)
from tempodb._core.models import DataPoint, Series
from tempodb._core.query import Filter
from tempodb._core.retry import NO_RETRY, RetryPolicy, retry_after
from tempodb._core.session import Session
from tempodb._wire.keys import SeriesRef

T0 = datetime(2012, 1, 1)
T1 = datetime(2012, 1, 2)
SERIES = b'{"id":"a","key":"k","name":"","tags":[],"attributes":{}}'
DATASET = b'{"series":' + SERIES + b',"start":"2012-01-01T00:00:00Z","end":"2012-01-02T00:00:00Z","data":[]}'
POINTS = [DataPoint(T0, 1), DataPoint(T1, 2)]

OpFactory = Callable[[Session], Any]

# Calls that are safe to repeat, with the body their 200 answer carries.
REPEATABLE: dict[str, tuple[OpFactory, bytes]] = {
    "read_id": (lambda s: ops.read_one(s, SeriesRef("id", "a"), T0, T1), DATASET),
    "read_key": (lambda s: ops.read_one(s, SeriesRef("key", "k"), T0, T1), DATASET),
    "read": (lambda s: ops.read(s, T0, T1, Filter(keys=["k"])), b"[]"),
    "get_series": (lambda s: ops.get_series(s, Filter()), b"[]"),
    "get_series_one": (lambda s: ops.get_series_one(s, SeriesRef("key", "k")), SERIES),
    "single_value": (lambda s: ops.single_value(s, Filter()), b"[]"),
    "summary": (
        lambda s: ops.summary_one(s, SeriesRef("key", "k"), T0, T1),
        b'{"series":' + SERIES + b',"start":"2012-01-01T00:00:00Z","end":"2012-01-02T00:00:00Z","summary":{}}',
    ),
    "write_id": (lambda s: ops.write_points(s, SeriesRef("id", "a"), POINTS), b""),
    "write_key": (lambda s: ops.write_points(s, SeriesRef("key", "k"), POINTS), b""),
    "write_bulk": (lambda s: ops.write_bulk(s, T0, [{"key": "k", "v": 1}]), b""),
    "write_multi": (lambda s: ops.write_multi(s, [{"t": T0, "key": "k", "v": 1}]), b""),
    "delete_range": (lambda s: ops.delete_range(s, SeriesRef("key", "k"), T0, T1), b""),
    "delete_series": (lambda s: ops.delete_series(s, Filter(tags=["x"])), b'{"deleted":1}'),
    "update_series": (lambda s: ops.update_series(s, Series("a", "k")), SERIES),
}

INCREMENTS: dict[str, OpFactory] = {
    "increment_id": lambda s: ops.increment_points(s, SeriesRef("id", "a"), POINTS),
    "increment_key": lambda s: ops.increment_points(s, SeriesRef("key", "k"), POINTS),
    "increment_bulk": lambda s: ops.increment_bulk(s, T0, [{"key": "k", "v": 1}, {"id": "a", "v": 2}]),
    "increment_multi": lambda s: ops.increment_multi(s, [{"t": T0, "key": "k", "v": 1}, {"t": T1, "id": "a", "v": 2}]),
}

RETRYABLE_STATUSES = [429, 502, 503, 504]
TRANSPORT_ERRORS = [ConnectError, RequestTimeoutError, ProtocolError]


def policy(**kwargs: Any) -> RetryPolicy:
    kwargs.setdefault("jitter", Jitter(0.5))
    return RetryPolicy(**kwargs)


@pytest.mark.parametrize("code", RETRYABLE_STATUSES)
@pytest.mark.parametrize("name", sorted(REPEATABLE))
def test_repeatable_calls_retry_retryable_statuses(name: str, code: int) -> None:
    factory, body = REPEATABLE[name]
    run = drive(factory(make()), [status(code), status(code), ok(body)])
    assert run.error is None
    assert run.sleeps == [0.1, 0.2]  # jitter 0.5 x base 0.2 x 2**n
    first, *again = run.requests
    assert all(request == first for request in again) and len(again) == 2
    assert [type(e).__name__ for e in run.effects] == ["Send", "Sleep", "Send", "Sleep", "Send"]


@pytest.mark.parametrize("error", TRANSPORT_ERRORS)
@pytest.mark.parametrize("name", sorted(REPEATABLE))
def test_repeatable_calls_retry_transport_errors(name: str, error: type[TransportError]) -> None:
    factory, body = REPEATABLE[name]
    run = drive(factory(make()), [error("boom"), ok(body)])
    assert run.error is None
    assert run.sleeps == [0.1]
    assert len(run.requests) == 2


def test_backoff_sleeps_come_from_the_injected_jitter() -> None:
    jitter = Jitter(0.25, 1.0, 0.0, 0.75)
    session = make(retry=policy(base=1.0, cap=100.0, budget=100.0, jitter=jitter))
    run = drive(ops.read_one(session, SeriesRef("key", "k"), T0, T1), [status(503)] * 4 + [ok(DATASET)])
    assert run.sleeps == [0.25, 2.0, 0.0, 6.0]  # jitter x base x 2**n
    assert jitter.calls == 4


def test_each_wait_is_capped() -> None:
    session = make(retry=policy(attempts=6, base=1.0, cap=3.0, budget=100.0, jitter=Jitter(1.0)))
    run = drive(ops.write_points(session, SeriesRef("key", "k"), POINTS), [status(502)] * 5 + [ok()])
    assert run.sleeps == [1.0, 2.0, 3.0, 3.0, 3.0]


def test_attempts_are_counted_and_the_typed_error_raised() -> None:
    session = make(retry=policy(attempts=3))
    run = drive(ops.read_one(session, SeriesRef("key", "k"), T0, T1), [status(503, "down")] * 3)
    assert isinstance(run.error, ServerError)
    assert run.error.status_code == 503 and run.error.message == "down"
    assert run.sleeps == [0.1, 0.2]
    assert len(run.requests) == 3


def test_budget_stops_retrying() -> None:
    session = make(retry=policy(attempts=10, base=1.0, cap=100.0, budget=2.5, jitter=Jitter(1.0)))
    run = drive(ops.read_one(session, SeriesRef("key", "k"), T0, T1), [status(504), status(504)])
    assert run.sleeps == [1.0]  # the next wait (2.0) would exceed the 2.5 s budget
    assert isinstance(run.error, ServerError) and run.error.status_code == 504


def test_budget_gives_up_with_the_transport_error_itself() -> None:
    session = make(retry=policy(attempts=10, base=1.0, cap=100.0, budget=3.0, jitter=Jitter(1.0)))
    last = RequestTimeoutError("slow")
    run = drive(ops.write_points(session, SeriesRef("key", "k"), POINTS), [ConnectError("refused"), ProtocolError("cut"), last])
    assert run.sleeps == [1.0, 2.0]
    assert run.error is last
    assert last.request == run.requests[-1]


def test_retry_after_seconds_replaces_the_backoff() -> None:
    run = drive(
        ops.read_one(make(), SeriesRef("key", "k"), T0, T1),
        [status(429, headers={"Retry-After": "7"}), status(503, headers={"retry-after": "0"}), ok(DATASET)],
    )
    assert run.sleeps == [7.0, 0.0]


def test_retry_after_beyond_the_cap_gives_up_at_once() -> None:
    run = drive(ops.read_one(make(), SeriesRef("key", "k"), T0, T1), [status(429, "slow down", {"Retry-After": "3600"})])
    assert isinstance(run.error, RateLimitedError)
    assert run.sleeps == []


def test_retry_after_counts_against_the_budget() -> None:
    session = make(retry=policy(cap=10.0, budget=12.0))
    run = drive(ops.read_one(session, SeriesRef("key", "k"), T0, T1), [status(429, headers={"Retry-After": "8"})] * 2)
    assert run.sleeps == [8.0]  # a second 8 s wait would pass the 12 s budget
    assert isinstance(run.error, RateLimitedError)


def test_retry_after_http_date_uses_the_injected_clock() -> None:
    when = "Wed, 21 Oct 2015 07:28:00 GMT"
    now = parsedate_to_datetime(when).timestamp() - 4.5
    session = make(clock=lambda: now)
    run = drive(ops.read_one(session, SeriesRef("key", "k"), T0, T1), [status(503, headers={"Retry-After": when}), ok(DATASET)])
    assert run.sleeps == [4.5]
    past = drive(
        ops.read_one(make(clock=lambda: now + 100), SeriesRef("key", "k"), T0, T1),
        [status(503, headers={"Retry-After": when}), ok(DATASET)],
    )
    assert past.sleeps == [0.0]


def test_retry_after_date_without_clock_or_garbage_falls_back_to_backoff() -> None:
    response = status(503, headers={"Retry-After": format_datetime(datetime(2015, 10, 21, 7, 28), usegmt=False)})
    assert retry_after(response, None) is None
    assert retry_after(status(503, headers={"Retry-After": "soon"}), 0.0) is None
    assert retry_after(status(503), 0.0) is None
    assert retry_after(status(503, headers={"Retry-After": "-5"}), 0.0) == 0.0
    run = drive(ops.read_one(make(), SeriesRef("key", "k"), T0, T1), [status(503, headers={"Retry-After": "soon"}), ok(DATASET)])
    assert run.sleeps == [0.1]


def test_a_policy_given_without_clock_gets_the_clients_clock() -> None:
    session = make(retry=RetryPolicy(jitter=Jitter(0.5)), clock=lambda: 123.0)
    assert session.retry.clock is not None and session.retry.clock() == 123.0


@pytest.mark.parametrize("step", [status(503), status(429), ConnectError("x"), RequestTimeoutError("x")], ids=repr)
def test_retry_false_never_retries(step: Any) -> None:
    session = make(retry=False)
    assert session.retry == NO_RETRY
    run = drive(ops.read_one(session, SeriesRef("key", "k"), T0, T1), [step])
    assert run.sleeps == [] and len(run.requests) == 1
    assert isinstance(run.error, (HTTPError, TransportError))


@pytest.mark.parametrize("error", [RequestTimeoutError, ProtocolError])
@pytest.mark.parametrize("name", sorted(INCREMENTS))
def test_increments_are_never_resent_after_an_ambiguous_failure(name: str, error: type[TransportError]) -> None:
    failure = error("maybe applied")
    run = drive(INCREMENTS[name](make()), [failure])
    assert len(run.requests) == 1 and run.sleeps == []
    assert isinstance(run.error, PartialWriteError)
    assert run.error.cause is failure
    assert run.error.acknowledged == []
    assert run.error.uncertain == run.error.unacknowledged == [0, 1]  # may have landed: check before resending


@pytest.mark.parametrize("code", RETRYABLE_STATUSES)
@pytest.mark.parametrize("name", sorted(INCREMENTS))
def test_increments_are_never_resent_after_a_retryable_status(name: str, code: int) -> None:
    run = drive(INCREMENTS[name](make()), [status(code)])
    assert len(run.requests) == 1 and run.sleeps == []
    assert isinstance(run.error, HTTPError) and run.error.status_code == code


@pytest.mark.parametrize("name", sorted(INCREMENTS))
def test_increments_are_resent_when_the_request_never_left(name: str) -> None:
    run = drive(INCREMENTS[name](make()), [ConnectError("refused"), ConnectError("refused"), ok()])
    assert run.error is None
    assert run.sleeps == [0.1, 0.2]
    assert len(run.requests) == 3 and run.requests[0] == run.requests[2]


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (400, BadRequestError), (401, UnauthorizedError), (403, ForbiddenError), (404, NotFoundError),
        (405, HTTPError), (409, ConflictError), (413, PayloadTooLargeError), (422, HTTPError),
        (500, ServerError), (501, ServerError),
    ],
)
@pytest.mark.parametrize("name", ["read_key", "write_key", "delete_range", "update_series", "write_multi"])
def test_other_errors_are_never_retried(name: str, code: int, kind: type[HTTPError]) -> None:
    factory, _ = REPEATABLE[name]
    run = drive(factory(make()), [status(code, "nope")])
    assert type(run.error) is kind
    assert run.error.status_code == code and run.error.message == "nope"
    assert run.error.request == run.requests[0]
    assert run.sleeps == []


@pytest.mark.parametrize("step", [RequestTimeoutError("x"), ProtocolError("x"), status(503), status(502)], ids=repr)
def test_create_series_is_not_retried_on_ambiguous_failures(step: Any) -> None:
    run = drive(ops.create_series(make(), "k"), [step])
    assert len(run.requests) == 1 and run.sleeps == []
    assert run.error is step if isinstance(step, Exception) else isinstance(run.error, ServerError)


def test_create_series_is_retried_when_nothing_was_sent() -> None:
    run = drive(ops.create_series(make(), "k"), [ConnectError("refused"), ok(SERIES)])
    assert run.value == Series("a", "k")
    assert run.sleeps == [0.1]


def test_transport_errors_carry_the_request() -> None:
    failure = ConnectError("refused")
    run = drive(ops.read_one(make(retry=False), SeriesRef("key", "k"), T0, T1), [failure])
    assert run.error is failure and failure.request == run.requests[0]
