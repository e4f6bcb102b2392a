"""The client's side of idempotency keys, stepped by hand: which requests carry a key, that every
retry of a call carries the same one, and that a call of unknown fate is resent only to a server
that has said it honours keys."""

from __future__ import annotations

import itertools

import pytest
from core_driver import drive, make, ok, status
from test_ops_retry import INCREMENTS, RETRYABLE_STATUSES

from tempodb._core import ops
from tempodb._core.errors import ConflictError, PartialWriteError, ProtocolError, RequestTimeoutError
from tempodb._core.retry import RetryPolicy
from tempodb._core.session import Session
from tempodb._wire.http import Request, Response
from tempodb._wire.idempotency import KEY_HEADER, RETENTION_HEADER
from tempodb._wire.keys import SeriesRef

ADVERTISED = {RETENTION_HEADER: "86400"}
SERIES = b'{"id":"a","key":"k","name":"","tags":[],"attributes":{}}'


def keyed(chunk_size: int = 10_000) -> Session:
    """A session whose keys are predictable: key-0, key-1, ..."""
    counter = itertools.count()
    return Session(
        "k", "s", "http://tempo.test", retry=RetryPolicy(jitter=lambda: 0.5), chunk_size=chunk_size,
        gzip_threshold=None, new_key=lambda: f"key-{next(counter)}",
    )


def key_of(request: Request) -> str | None:
    return request.headers.get(KEY_HEADER)


@pytest.mark.parametrize("name", sorted(INCREMENTS))
@pytest.mark.parametrize("failure", [RequestTimeoutError("slow"), ProtocolError("cut"), status(503)], ids=repr)
def test_an_increment_of_unknown_fate_is_resent_with_the_same_key_to_a_server_that_honours_keys(
    name: str, failure: Exception | Response
) -> None:
    run = drive(INCREMENTS[name](keyed()), [failure, ok()], honours_keys=True)
    assert run.error is None
    first, second = run.requests
    assert first is second and key_of(first) == "key-0"
    assert len(run.probes) == 1  # asked once whether keys are honoured


@pytest.mark.parametrize("name", sorted(INCREMENTS))
def test_a_server_that_said_so_on_an_earlier_answer_is_not_asked_again(name: str) -> None:
    session = keyed()
    drive(INCREMENTS[name](session), [Response(200, ADVERTISED)])
    run = drive(INCREMENTS[name](session), [ProtocolError("cut"), ok()])
    assert run.error is None and run.probes == []
    assert [key_of(r) for r in run.requests] == ["key-1", "key-1"]  # a new call: a new key, kept on retry


@pytest.mark.parametrize("name", sorted(INCREMENTS))
def test_a_server_that_does_not_say_so_keeps_the_old_caution(name: str) -> None:
    run = drive(INCREMENTS[name](keyed()), [ProtocolError("cut")], honours_keys=False)
    assert isinstance(run.error, PartialWriteError) and run.error.uncertain == [0, 1]
    assert len(run.requests) == 1 and len(run.probes) == 1


@pytest.mark.parametrize("code", RETRYABLE_STATUSES)
def test_a_retryable_status_is_retried_for_an_increment_only_where_keys_are_honoured(code: int) -> None:
    make_op = INCREMENTS["increment_key"]
    assert drive(make_op(keyed()), [status(code), ok()], honours_keys=True).error is None
    refused = drive(make_op(keyed()), [status(code)], honours_keys=False)
    assert getattr(refused.error, "status_code", None) == code


def test_every_chunk_of_an_increment_has_its_own_key() -> None:
    points = INCREMENTS["increment_multi"]
    run = drive(points(keyed(chunk_size=1)), [ok(), ok()])
    assert [key_of(r) for r in run.requests] == ["key-0", "key-1"]


def test_create_series_carries_a_key_and_is_resent_with_it() -> None:
    run = drive(ops.create_series(keyed(), "k"), [RequestTimeoutError("slow"), ok(SERIES)], honours_keys=True)
    assert run.value.key == "k"
    assert [key_of(r) for r in run.requests] == ["key-0", "key-0"]


def test_reads_writes_and_updates_carry_no_key() -> None:
    session = keyed()
    run = drive(ops.write_points(session, SeriesRef("key", "k"), []), [ok()])
    assert key_of(run.requests[0]) is None


def test_a_409_in_flight_is_waited_out_but_a_409_series_exists_is_not() -> None:
    in_flight = Response(409, {**ADVERTISED, "Retry-After": "0"}, b"still being processed")
    run = drive(INCREMENTS["increment_key"](keyed()), [in_flight, ok()])
    assert run.error is None and len(run.requests) == 2
    exists = drive(ops.create_series(keyed(), "k"), [Response(409, ADVERTISED, b"exists")])
    assert isinstance(exists.error, ConflictError) and len(exists.requests) == 1


def test_a_session_learns_nothing_from_a_server_that_does_not_say_so() -> None:
    session = make()
    run = drive(INCREMENTS["increment_key"](session), [ProtocolError("cut")])
    assert isinstance(run.error, PartialWriteError)
    assert not session.server.honours_keys
