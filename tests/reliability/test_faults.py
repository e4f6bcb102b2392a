"""Each fault a real network produces, on sync, asyncio and trio, through a real socket.

Writes are retried and end with exactly the points sent; against a server that does not honour
idempotency keys (the proxy posing as one), an increment whose fate is unknown is never resent (the
sums read straight from the server prove it counted once or not at all); each failure surfaces as
its typed error.  Against ours, such increments are resent with their key: test_idempotency.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from faulty import (
    DROP_AFTER_FORWARD,
    DROP_BEFORE_BODY,
    STALL,
    TRUNCATE,
    Fault,
    FaultyProxy,
    closed_port,
    rate_limited,
    unavailable,
)
from truth import T0, by_minute, minutes, stored

import tempodb
from tempodb import (
    ConnectError,
    HTTPError,
    PartialWriteError,
    ProtocolError,
    RateLimitedError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
)

pytestmark = pytest.mark.anyio

N = 50
RECOVERABLE = [DROP_BEFORE_BODY, DROP_AFTER_FORWARD, STALL, TRUNCATE, unavailable(), rate_limited("0")]


async def write(client: Any, how: str, key: str, points: list[tempodb.DataPoint]) -> None:
    if how == "key":
        await client.write_key(key, points)
    elif how == "bulk":
        for p in points:  # one request per timestamp: bulk writes share one t
            await client.write_bulk(p.ts, [{"key": key, "v": p.value}])
    else:
        await client.write_multi([{"key": key, "t": p.ts, "v": p.value} for p in points])


async def increment(client: Any, how: str, key: str, points: list[tempodb.DataPoint]) -> None:
    if how == "key":
        await client.increment_key(key, points)
    else:
        await client.increment_multi([{"key": key, "t": p.ts, "v": p.value} for p in points])


def posts(proxy: FaultyProxy) -> list[Fault | None]:
    return [s.fault for s in proxy.requests("POST")]


# --- writes: retried through every fault, exactly the points sent --------------------------------


@pytest.mark.parametrize("how", ["key", "multi"])
@pytest.mark.parametrize("fault", RECOVERABLE, ids=str)
async def test_write_is_retried_through_the_fault_and_stores_exactly_the_points_sent(
    client: Any, proxy: FaultyProxy, direct: tempodb.Client, fault: Fault, how: str
) -> None:
    points = minutes(N)
    proxy.script([fault])
    await write(client, how, "w", points)
    assert stored(direct, "w", N) == points
    assert posts(proxy) == [fault, None]


async def test_bulk_write_is_retried_through_a_dropped_reply(
    client: Any, proxy: FaultyProxy, direct: tempodb.Client
) -> None:
    points = minutes(3)
    proxy.script([DROP_AFTER_FORWARD, None, DROP_BEFORE_BODY, None, TRUNCATE])
    await write(client, "bulk", "b", points)
    assert stored(direct, "b", 3) == points
    assert len(proxy.requests("POST")) == 6


@pytest.mark.parametrize("fault", RECOVERABLE, ids=str)
async def test_read_is_retried_through_the_fault(
    client: Any, proxy: FaultyProxy, direct: tempodb.Client, fault: Fault
) -> None:
    points = minutes(N)
    direct.write_key("r", points)
    proxy.script([fault])
    got = await client.read_key("r", T0, points[-1].ts + (points[1].ts - points[0].ts))
    assert got.data == points
    assert [s.fault for s in proxy.requests("GET")] == [fault, None]


async def test_write_and_range_delete_by_id_are_retried(
    client: Any, proxy: FaultyProxy, direct: tempodb.Client
) -> None:
    series = direct.create_series("by-id")
    points = minutes(N)
    proxy.script([TRUNCATE])
    await client.write_id(series.id, points)
    assert stored(direct, "by-id", N) == points
    proxy.script([DROP_AFTER_FORWARD])
    await client.delete_id(series.id, T0, points[10].ts)
    assert stored(direct, "by-id", N) == points[10:]
    assert [s.fault for s in proxy.requests("DELETE")] == [DROP_AFTER_FORWARD, None]


# --- 503 and Retry-After -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "at_least"),
    [(unavailable("1"), 0.95), (unavailable(date_in=1.5), 0.4)],
    ids=["seconds", "http-date"],
)
async def test_write_waits_as_retry_after_asks_then_lands(
    connect: Callable[..., Any],
    creds: tuple[str, str],
    proxy: FaultyProxy,
    direct: tempodb.Client,
    fault: Fault,
    at_least: float,
) -> None:
    # An HTTP date has whole seconds: "now + 1.5 s" asks for a wait between 0.5 and 1.5 s.
    client = connect(*creds, proxy.port, retry=RetryPolicy(attempts=3, base=0.01, cap=3.0, budget=5.0))
    points = minutes(N)
    proxy.script([fault])
    began = time.monotonic()
    try:
        await client.write_key("ra", points)
    finally:
        await client.aclose()
    assert time.monotonic() - began >= at_least
    assert stored(direct, "ra", N) == points
    assert posts(proxy) == [fault, None]


async def test_write_lands_after_the_first_n_503s(client: Any, proxy: FaultyProxy, direct: tempodb.Client) -> None:
    points = minutes(N)
    proxy.script([unavailable("0")] * 3)
    await client.write_key("n503", points)
    assert stored(direct, "n503", N) == points
    assert len(posts(proxy)) == 4


async def test_retry_after_beyond_the_cap_gives_up_at_once(
    client: Any, proxy: FaultyProxy, direct: tempodb.Client
) -> None:
    proxy.script([unavailable("120")])
    began = time.monotonic()
    with pytest.raises(ServerError) as info:
        await client.write_key("cap", minutes(N))
    assert time.monotonic() - began < 0.4
    assert info.value.status_code == 503
    assert len(posts(proxy)) == 1
    assert stored(direct, "cap", N) == []


# --- retries exhausted ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (unavailable(), ServerError),
        (DROP_BEFORE_BODY, ProtocolError),
        (DROP_AFTER_FORWARD, ProtocolError),
        (TRUNCATE, ProtocolError),
        (STALL, RequestTimeoutError),
    ],
    ids=str,
)
async def test_write_raises_the_typed_error_when_retries_are_exhausted(
    connect: Callable[..., Any],
    creds: tuple[str, str],
    proxy: FaultyProxy,
    direct: tempodb.Client,
    fault: Fault,
    error: type[Exception],
) -> None:
    client = connect(*creds, proxy.port, retry=RetryPolicy(attempts=2, base=0.01, cap=0.05, budget=1.0))
    points = minutes(N)
    proxy.script(then=fault)
    try:
        with pytest.raises(error) as info:
            await client.write_key("x", points)
    finally:
        await client.aclose()
    assert type(info.value) is error
    assert not str(info.value).rstrip().endswith(":")  # says why, on every flavour
    assert posts(proxy) == [fault, fault]
    # A request that reached the server is complete there; one that did not left nothing.
    assert stored(direct, "x", N) == ([] if fault in (DROP_BEFORE_BODY, unavailable()) else points)


# --- increments, on a server without idempotency keys: never resent once they may have landed ---


@pytest.mark.parametrize("how", ["key", "multi"])
@pytest.mark.parametrize(
    ("fault", "landed", "cause"),
    [
        (DROP_BEFORE_BODY, False, ProtocolError),
        (DROP_AFTER_FORWARD, True, ProtocolError),
        (STALL, True, RequestTimeoutError),
        (TRUNCATE, True, ProtocolError),
    ],
    ids=str,
)
async def test_increment_of_unknown_fate_is_not_resent_and_counts_at_most_once(
    client: Any,
    proxy: FaultyProxy,
    direct: tempodb.Client,
    fault: Fault,
    landed: bool,
    cause: type[Exception],
    how: str,
) -> None:
    proxy.legacy = True
    direct.increment_key("c", minutes(N, value=1))
    proxy.script([fault])
    with pytest.raises(PartialWriteError) as info:
        await increment(client, how, "c", minutes(N, value=1))
    error = info.value
    assert type(error.cause) is cause and error.__cause__ is error.cause
    assert error.acknowledged == []
    assert error.unacknowledged == error.uncertain == list(range(N))
    assert posts(proxy) == [fault]
    assert by_minute(direct, "c", N) == dict.fromkeys(range(N), 2 if landed else 1)


@pytest.mark.parametrize("how", ["key", "multi"])
@pytest.mark.parametrize(
    ("fault", "error"), [(unavailable("0"), ServerError), (rate_limited("0"), RateLimitedError)], ids=str
)
async def test_increment_answered_503_or_429_is_not_resent(
    client: Any, proxy: FaultyProxy, direct: tempodb.Client, how: str, fault: Fault, error: type[HTTPError]
) -> None:
    proxy.legacy = True
    direct.increment_key("c", minutes(N, value=1))
    proxy.script([fault])
    with pytest.raises(error) as info:
        await increment(client, how, "c", minutes(N, value=1))
    assert type(info.value) is error
    assert info.value.status_code == int(fault.kind)
    assert posts(proxy) == [fault]
    assert by_minute(direct, "c", N) == dict.fromkeys(range(N), 1)


async def test_increment_goes_through_the_proxy_when_nothing_fails(
    client: Any, proxy: FaultyProxy, direct: tempodb.Client
) -> None:
    # The control for the tests above: the proxy itself neither loses nor repeats anything.
    direct.increment_key("c", minutes(N, value=1))
    await client.increment_key("c", minutes(N, value=1))
    assert by_minute(direct, "c", N) == dict.fromkeys(range(N), 2)
    assert posts(proxy) == [None]


# --- refused connections: ConnectError, and the one case where increments are resent -------------


async def test_refused_connections_are_retried_even_for_increments_and_count_once(
    connect: Callable[..., Any], creds: tuple[str, str], proxy: FaultyProxy, direct: tempodb.Client
) -> None:
    client = connect(*creds, proxy.port, retry=RetryPolicy(attempts=200, base=0.01, cap=0.02, budget=5.0))
    direct.increment_key("c", minutes(N, value=1))
    try:
        # Timed from the request to refuse: the proxy listens again only 0.3 s after it, however
        # long its accept thread took to stop listening on a loaded machine.
        began = time.monotonic()
        proxy.refuse(0.3)
        await client.increment_key("c", minutes(N, value=1))
        refused_for = time.monotonic() - began
        proxy.refuse(0.3)
        await client.write_key("w", minutes(N))
    finally:
        await client.aclose()
    assert refused_for >= 0.29  # it really waited out the refusals, then got through
    assert by_minute(direct, "c", N) == dict.fromkeys(range(N), 2)
    assert stored(direct, "w", N) == minutes(N)
    assert len(posts(proxy)) == 2  # no connection was accepted while refusing


@pytest.mark.parametrize("call", ["read", "write", "increment", "create_series"])
async def test_nothing_listening_raises_connect_error_after_the_retries(
    connect: Callable[..., Any], creds: tuple[str, str], call: str
) -> None:
    client = connect(*creds, closed_port())
    try:
        with pytest.raises(ConnectError) as info:
            if call == "read":
                await client.read_key("k", T0, T0.replace(year=2014))
            elif call == "write":
                await client.write_key("k", minutes(N))
            elif call == "increment":
                await client.increment_key("k", minutes(N, value=1))
            else:
                await client.create_series("k")
    finally:
        await client.aclose()
    assert type(info.value) is ConnectError and info.value.not_sent


# --- create_series, on a server without idempotency keys: not resent once it may have landed ------


async def test_create_series_is_not_resent_after_the_request_landed(
    client: Any, proxy: FaultyProxy, direct: tempodb.Client
) -> None:
    proxy.legacy = True
    proxy.script([DROP_AFTER_FORWARD])
    with pytest.raises(ProtocolError):
        await client.create_series("made-once")
    assert posts(proxy) == [DROP_AFTER_FORWARD]
    assert [s.key for s in direct.get_series()] == ["made-once"]
    # Retrying it would have met our own series: 409, not the series.
    with pytest.raises(tempodb.ConflictError):
        await client.create_series("made-once")


async def test_update_series_is_retried(client: Any, proxy: FaultyProxy, direct: tempodb.Client) -> None:
    series = direct.create_series("upd")
    series.tags = ["a", "b"]
    proxy.script([STALL])
    assert await client.update_series(series) == series
    assert direct.get_series_by_key("upd").tags == ["a", "b"]
    assert [s.fault for s in proxy.requests("PUT")] == [STALL, None]


async def test_delete_series_is_retried_and_a_lost_answer_reports_zero_deleted(
    client: Any, proxy: FaultyProxy, direct: tempodb.Client
) -> None:
    direct.create_series("gone")
    direct.create_series("kept")
    proxy.script([DROP_AFTER_FORWARD])
    summary = await client.delete_series(keys=["gone"])
    # The first try deleted it but its answer was lost; the retry found nothing left to delete.
    assert summary.deleted == 0
    assert [s.key for s in direct.get_series()] == ["kept"]
    assert [s.fault for s in proxy.requests("DELETE")] == [DROP_AFTER_FORWARD, None]
