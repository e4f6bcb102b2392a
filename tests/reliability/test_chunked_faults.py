"""A large write split into chunks, with a fault on the 4th request: PartialWriteError says exactly
which points landed, and acting on it completes the data with nothing lost or counted twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from faulty import DROP_AFTER_FORWARD, DROP_BEFORE_BODY, REFUSE_AFTER, TRUNCATE, Fault, FaultyProxy, unavailable
from truth import by_minute, minutes, stored

import tempodb
from tempodb import (
    ConnectError,
    MultiStatusError,
    PartialWriteError,
    ProtocolError,
    RetryPolicy,
    ServerError,
)

pytestmark = pytest.mark.anyio

N = 1000
CHUNK = 100
TWO_TRIES = RetryPolicy(attempts=2, base=0.01, cap=0.05, budget=1.0)


@pytest.fixture
async def chunked(connect: Callable[..., Any], creds: tuple[str, str], proxy: FaultyProxy) -> Any:
    # Nothing here stalls: a generous timeout keeps a slow answer on a busy box from shifting the script.
    made = connect(*creds, proxy.port, chunk_size=CHUNK, retry=TWO_TRIES, timeout=10.0)
    try:
        yield made
    finally:
        await made.aclose()


def items(points: list[tempodb.DataPoint], key: str) -> list[dict[str, Any]]:
    return [{"key": key, "t": p.ts, "v": p.value} for p in points]


@pytest.mark.parametrize("how", ["key", "multi"])
@pytest.mark.parametrize(("fault", "cause"), [(DROP_BEFORE_BODY, ProtocolError), (unavailable(), ServerError)], ids=str)
async def test_write_failing_on_the_4th_chunk_reports_exactly_what_landed_and_resending_completes_it(
    chunked: Any, proxy: FaultyProxy, direct: tempodb.Client, fault: Fault, cause: type[Exception], how: str
) -> None:
    points = minutes(N)
    proxy.script([None, None, None], then=fault)  # the 4th request and its retry fail
    with pytest.raises(PartialWriteError) as info:
        if how == "key":
            await chunked.write_key("big", points)
        else:
            await chunked.write_multi(items(points, "big"))
    error = info.value
    assert type(error.cause) is cause
    assert error.acknowledged == list(range(3 * CHUNK))
    assert error.unacknowledged == list(range(3 * CHUNK, N))
    assert error.uncertain == []  # writes are safe to resend
    assert len(proxy.requests("POST")) == 5  # 3 chunks, then the 4th twice, then it stopped
    assert stored(direct, "big", N) == points[: 3 * CHUNK]

    proxy.script()
    rest = [points[i] for i in error.unacknowledged]
    if how == "key":
        await chunked.write_key("big", rest)
    else:
        await chunked.write_multi(items(rest, "big"))
    assert stored(direct, "big", N) == points  # complete, each timestamp once


@pytest.mark.parametrize("how", ["key", "multi"])
@pytest.mark.parametrize(
    ("fault", "landed"), [(DROP_BEFORE_BODY, False), (DROP_AFTER_FORWARD, True), (TRUNCATE, True)], ids=str
)
async def test_increment_failing_on_the_4th_chunk_names_that_chunk_uncertain_and_the_sums_settle_it(
    chunked: Any, proxy: FaultyProxy, direct: tempodb.Client, fault: Fault, landed: bool, how: str
) -> None:
    proxy.legacy = True  # a server without idempotency keys: the uncertain chunk is the caller's to settle
    direct.increment_key("sum", minutes(N, value=1))
    ones = minutes(N, value=1)
    proxy.script([None, None, None, fault])
    with pytest.raises(PartialWriteError) as info:
        if how == "key":
            await chunked.increment_key("sum", ones)
        else:
            await chunked.increment_multi(items(ones, "sum"))
    error = info.value
    assert error.acknowledged == list(range(3 * CHUNK))
    assert error.unacknowledged == list(range(3 * CHUNK, N))
    assert error.uncertain == list(range(3 * CHUNK, 4 * CHUNK))
    assert len(proxy.requests("POST")) == 4  # the uncertain chunk was not resent

    sums = by_minute(direct, "sum", N)
    assert all(sums[i] == 2 for i in error.acknowledged)
    assert all(sums[i] == (2 if landed else 1) for i in error.uncertain)
    assert all(sums[i] == 1 for i in range(4 * CHUNK, N))

    # What a careful caller does: resend what is not acknowledged, minus uncertain points that landed.
    resend = [i for i in error.unacknowledged if not (i in error.uncertain and sums[i] == 2)]
    await chunked.increment_key("sum", [ones[i] for i in resend])
    assert by_minute(direct, "sum", N) == dict.fromkeys(range(N), 2)


@pytest.mark.parametrize("fault", [DROP_BEFORE_BODY, DROP_AFTER_FORWARD, TRUNCATE, unavailable("0")], ids=str)
async def test_with_idempotency_keys_a_fault_on_the_4th_chunk_is_retried_and_every_point_counts_once(
    chunked: Any, proxy: FaultyProxy, direct: tempodb.Client, fault: Fault
) -> None:
    direct.increment_key("sum", minutes(N, value=1))
    proxy.script([None, None, None, fault], match=lambda method, _: method == "POST")
    await chunked.increment_multi(items(minutes(N, value=1), "sum"))
    posts = proxy.requests("POST")
    assert len(posts) == N // CHUNK + 1  # only the 4th was sent twice
    keys = [next(v for k, v in p.headers.items() if k.lower() == "idempotency-key") for p in posts]
    assert keys[3] == keys[4] and len(set(keys)) == N // CHUNK
    assert by_minute(direct, "sum", N) == dict.fromkeys(range(N), 2)


async def test_207_statuses_are_merged_across_chunks(chunked: Any, direct: tempodb.Client) -> None:
    # The server refuses increments beyond a 64-bit long; the client cannot know that in advance.
    data = items(minutes(250, value=1), "m")
    for index in (50, 150, 220):
        data[index]["v"] = 1e30
    with pytest.raises(MultiStatusError) as info:
        await chunked.increment_multi(data)
    assert info.value.failed == [50, 150, 220]
    assert len(info.value.statuses) == 250
    assert by_minute(direct, "m", 250) == {i: 1 for i in range(250) if i not in (50, 150, 220)}


async def test_207_then_a_fault_lists_the_refused_points_as_unacknowledged(
    chunked: Any, proxy: FaultyProxy, direct: tempodb.Client
) -> None:
    proxy.legacy = True
    data = items(minutes(250, value=1), "m")
    for index in (50, 150):
        data[index]["v"] = 1e30
    proxy.script([None, None, DROP_BEFORE_BODY])
    with pytest.raises(PartialWriteError) as info:
        await chunked.increment_multi(data)
    error = info.value
    assert error.acknowledged == [i for i in range(200) if i not in (50, 150)]
    assert error.unacknowledged == [50, 150, *range(200, 250)]
    assert error.uncertain == list(range(200, 250))
    assert by_minute(direct, "m", 250) == dict.fromkeys(error.acknowledged, 1)


@pytest.mark.parametrize(
    ("script", "cause", "posts"),
    [
        # The server answered 503: it refused the 4th request, nothing of it was applied.
        ([None, None, None, unavailable("0")], ServerError, 4),
        # The proxy stops listening after answering the 3rd: the 4th never leaves (tried twice).
        ([None, None, REFUSE_AFTER], ConnectError, 3),
    ],
    ids=["503", "refused"],
)
async def test_increment_refused_on_the_4th_chunk_is_not_uncertain(
    chunked: Any,
    proxy: FaultyProxy,
    direct: tempodb.Client,
    script: list[Fault | None],
    cause: type[Exception],
    posts: int,
) -> None:
    proxy.legacy = True
    direct.increment_key("sum", minutes(N, value=1))
    ones = minutes(N, value=1)
    proxy.script(script)
    with pytest.raises(PartialWriteError) as info:
        await chunked.increment_key("sum", ones)
    error = info.value
    assert type(error.cause) is cause
    assert error.acknowledged == list(range(3 * CHUNK))
    assert error.unacknowledged == list(range(3 * CHUNK, N))
    assert error.uncertain == []
    assert len(proxy.requests("POST")) == posts
    assert by_minute(direct, "sum", N) == {i: 2 if i < 3 * CHUNK else 1 for i in range(N)}
    proxy.wait_listening()
    await chunked.increment_key("sum", [ones[i] for i in error.unacknowledged])
    assert by_minute(direct, "sum", N) == dict.fromkeys(range(N), 2)
