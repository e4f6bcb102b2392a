"""The engine's side of idempotency keys: replay, refusal of a reused key, in flight, expiry, scope,
and, as a law, exactly-once under any interleaving of retries (also across two engines on one file)."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tempodb._wire.http import Response
from tempodb._wire.idempotency import KEY_HEADER, REPLAYED_HEADER, RETENTION_HEADER
from tempodb.server import Engine, open_engine
from tempodb.server.sqlite import SQLiteStore
from tempodb.server.storage import IdempotentAnswer, PointBatch

T = "2012-01-01T00:00:00.000Z"
READ = "/v1/series/key/c/data/?start=2012-01-01&end=2012-01-02"


def bump(api: Any, key: str | None, value: int = 1, series: str = "c") -> Response:
    headers = {} if key is None else {KEY_HEADER: key}
    return api("POST", f"/v1/series/key/{series}/increment/", [{"t": T, "v": value}], headers)


def counted(api: Any, series: str = "c") -> float | None:
    """The value at T of ``series``; None when it has none (or does not exist: TempoDB's 403)."""
    response = api("GET", READ.replace("/c/", f"/{series}/"))
    if response.status_code == 403:
        return None
    data = json.loads(response.body)["data"]
    return data[0]["v"] if data else None


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(clock: Clock) -> Iterator[Engine]:
    engine = Engine(SQLiteStore(), idempotency_retention=60, clock=clock)
    yield engine
    engine.close()


def test_a_repeat_is_replayed_not_applied(api: Any) -> None:
    first, again = bump(api, "k"), bump(api, "k")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers[REPLAYED_HEADER] == "true" and REPLAYED_HEADER not in first.headers
    assert counted(api) == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/series/", {"key": "made"}),
        ("/v1/increment/", {"t": T, "data": [{"key": "c", "v": 1}]}),
        ("/v1/multi/increment/", [{"t": T, "key": "c", "v": 1}, {"t": T, "v": 1}]),  # a 207: one item refused
    ],
    ids=["create_series", "increment_bulk", "increment_multi"],
)
def test_every_non_repeatable_call_replays_its_exact_answer(api: Any, path: str, body: Any) -> None:
    first = api("POST", path, body, {KEY_HEADER: "k"})
    again = api("POST", path, body, {KEY_HEADER: "k"})
    assert first.status_code in (200, 207)
    assert (again.status_code, again.body) == (first.status_code, first.body)
    assert again.headers.get("Content-Type") == first.headers.get("Content-Type")
    assert len(api.ok("GET", "/v1/series/")) == 1


def test_a_key_reused_for_another_request_is_refused_with_422(api: Any) -> None:
    bump(api, "k", 1)
    other = bump(api, "k", 2)
    assert other.status_code == 422
    assert b"fresh key" in other.body
    elsewhere = api("POST", "/v1/series/key/d/increment/", [{"t": T, "v": 1}], {KEY_HEADER: "k"})
    assert elsewhere.status_code == 422  # the path is part of the request too
    assert counted(api) == 1


def test_keys_belong_to_one_database(engine: Engine, caller: type[Any]) -> None:
    Caller = caller
    alice, bob = Caller(engine, "alice", "a"), Caller(engine, "bob", "b")
    bump(alice, "k")
    assert bump(bob, "k", 2).status_code == 200  # bob's "k" is his own
    assert (counted(alice), counted(bob)) == (1, 2)


def test_without_a_key_every_request_applies(api: Any) -> None:
    bump(api, None)
    bump(api, None)
    assert counted(api) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_an_unusable_key_is_refused_before_anything_is_applied(api: Any, key: str) -> None:
    response = api("POST", "/v1/series/key/c/increment/", [{"t": T, "v": 1}], {KEY_HEADER: key})
    if key == "":
        assert response.status_code == 200  # an empty header is no key at all
        return
    assert response.status_code == 400 and b"Idempotency-Key" in response.body
    assert counted(api) is None


def test_a_refused_request_is_not_kept(api: Any) -> None:
    # A refusal changed nothing, so nothing is kept: the key is still fresh (even for another body).
    bad = api("POST", "/v1/series/key/c/increment/", [{"t": T, "v": "x"}], {KEY_HEADER: "k"})
    assert bad.status_code == 400
    assert counted(api) is None
    fixed = bump(api, "k")
    assert fixed.status_code == 200 and REPLAYED_HEADER not in fixed.headers
    assert counted(api) == 1


def test_every_answer_advertises_support_and_writes_are_untouched(api: Any, engine: Engine) -> None:
    for response in (bump(api, "k"), api("GET", READ), api("GET", "/v1/nowhere/"), api("POST", "/v1/series/key/c/data/", [])):
        assert response.headers[RETENTION_HEADER] == "86400"
    write = [{"t": T, "v": 5}]
    api("POST", "/v1/series/key/w/data/", write, {KEY_HEADER: "w"})
    again = api("POST", "/v1/series/key/w/data/", [{"t": T, "v": 6}], {KEY_HEADER: "w"})
    assert again.status_code == 200 and REPLAYED_HEADER not in again.headers  # writes ignore keys


def test_turned_off_keys_are_neither_advertised_nor_honoured(caller: type[Any]) -> None:
    Caller = caller
    engine = Engine(SQLiteStore(), idempotency_retention=None)
    api = Caller(engine)
    assert RETENTION_HEADER not in bump(api, "k").headers
    bump(api, "k")
    assert counted(api) == 2
    engine.close()


def test_answers_expire_after_the_retention(timed: Engine, clock: Clock, caller: type[Any]) -> None:
    Caller = caller
    api = Caller(timed)
    assert bump(api, "k").headers[RETENTION_HEADER] == "60"
    clock.now += 59
    assert bump(api, "k").headers.get(REPLAYED_HEADER) == "true"
    clock.now += 2  # past the 60 s: the key is new again
    assert REPLAYED_HEADER not in bump(api, "k").headers
    assert counted(api) == 2
    store = timed.store
    assert isinstance(store, SQLiteStore)
    assert store.forget_answers(int(clock.now * 1000) + 60_001) == 1
    assert store.recall("key", "k") is None


def test_a_duplicate_still_in_flight_gets_409_with_retry_after(caller: type[Any]) -> None:
    Caller = caller
    entered, release = threading.Event(), threading.Event()

    class SlowStore(SQLiteStore):
        # Holds the first write open, as a slow disk would: the only way to catch a request mid-flight.
        def write_points(self, database: str, batches: Sequence[PointBatch], *, increment: bool,
                         remember: IdempotentAnswer | None = None) -> None:
            entered.set()
            assert release.wait(5)
            super().write_points(database, batches, increment=increment, remember=remember)

    engine = Engine(SlowStore())
    api = Caller(engine)
    answers: list[Response] = []
    first = threading.Thread(target=lambda: answers.append(bump(api, "k")))
    first.start()
    assert entered.wait(5)
    duplicate = bump(api, "k")
    release.set()
    first.join(5)
    assert duplicate.status_code == 409 and duplicate.headers["Retry-After"] == "1"
    assert b"still being processed" in duplicate.body
    assert answers[0].status_code == 200
    assert bump(api, "k").headers[REPLAYED_HEADER] == "true"
    assert counted(api) == 1
    engine.close()


# --- the law: any interleaving of deliveries applies each call exactly once ----------------------

calls = st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=6)


_examples = itertools.count()
_ONE_ENGINE = open_engine()  # in memory, shared by the examples of the in-process law


def _deliver_in_any_order(Caller: type[Any], engines: list[Engine], amounts: list[int], data: st.DataObject) -> None:
    """Deliver each call 1-4 times, in a drawn order, each time to a drawn engine; then check the sums.

    Each example has its own keys and series, so one engine can serve them all (opening one per
    example would spend most of the time hashing the secret)."""
    example = next(_examples)
    deliveries = [i for i, _ in enumerate(amounts) for _ in range(data.draw(st.integers(1, 4), label="tries"))]
    order = data.draw(st.permutations(deliveries), label="order")
    answers: dict[int, set[tuple[int, bytes]]] = {}
    for call in order:
        where = data.draw(st.sampled_from(engines), label="engine") if len(engines) > 1 else engines[0]
        response = bump(Caller(where), f"{example}-call-{call}", amounts[call], series=f"{example}-s{call % 2}")
        answers.setdefault(call, set()).add((response.status_code, response.body))
    assert all(seen == {(200, b"")} for seen in answers.values())  # every delivery got the one answer
    api = Caller(engines[0])
    for parity in (0, 1):
        expected = sum(a for i, a in enumerate(amounts) if i % 2 == parity)
        assert (counted(api, f"{example}-s{parity}") or 0) == expected


# ``caller`` is the Caller class, the same for every example.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=calls, data=st.data())
def test_any_interleaving_of_retries_applies_each_call_exactly_once(
    caller: type[Any], amounts: list[int], data: st.DataObject
) -> None:
    _deliver_in_any_order(caller, [_ONE_ENGINE], amounts, data)


@pytest.mark.slow  # two engines on one durable store (a SQLite file, fsync per commit; or PostgreSQL): ~10 s
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=calls, data=st.data())
def test_any_interleaving_across_two_engines_on_one_store_applies_each_call_exactly_once(
    durable_target: str, caller: type[Any], amounts: list[int], data: st.DataObject
) -> None:
    # Two engines on one store, as two server processes: a retry may reach either.  Each example
    # has its own keys and series, so the examples may share the store.
    engines = [open_engine(durable_target), open_engine(durable_target)]
    try:
        _deliver_in_any_order(caller, engines, amounts, data)
    finally:
        for engine in engines:
            engine.close()


def test_the_answer_body_is_exactly_what_the_first_try_got(api: Any) -> None:
    made = api("POST", "/v1/series/", {"key": "s"}, {KEY_HEADER: "k"})
    replay = api("POST", "/v1/series/", {"key": "s"}, {KEY_HEADER: "k"})
    assert json.loads(replay.body) == json.loads(made.body)
    assert api("POST", "/v1/series/", {"key": "s"}, {KEY_HEADER: "other"}).status_code == 409  # a new call


def test_kept_answers_survive_a_restart(durable_target: str, caller: type[Any]) -> None:
    Caller = caller
    path = durable_target
    engine = open_engine(path)
    bump(Caller(engine), "k")
    engine.close()
    engine = open_engine(path)
    api = Caller(engine)
    assert bump(api, "k").headers[REPLAYED_HEADER] == "true"
    assert counted(api) == 1
    engine.close()
