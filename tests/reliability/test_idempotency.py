"""Idempotency keys end to end, through real sockets, on sync, asyncio and trio.

Against our server (which honours ``Idempotency-Key``) an increment or a series creation whose fate
is unknown is resent with the same key and applies exactly once; the server refuses a key reused for
another request, and two server processes sharing one SQLite file honour each other's keys.
Against a server that does not (the proxy posing as one), the old caution stays: test_faults.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from faulty import (
    DROP_AFTER_FORWARD,
    DROP_BEFORE_BODY,
    STALL,
    TRUNCATE,
    Fault,
    FaultyProxy,
    rate_limited,
    unavailable,
)
from truth import T0, by_minute, minutes, stored

import tempodb
from tempodb import PartialWriteError, RetryPolicy, TempoDBError
from tempodb._wire.idempotency import KEY_HEADER, REPLAYED_HEADER, RETENTION_HEADER
from tempodb.testing import ServerInfo, run_server

pytestmark = pytest.mark.anyio

N = 20
#: Every fault that leaves an increment's fate unknown, or answers it with a retryable status.
UNKNOWN_FATE = [DROP_BEFORE_BODY, DROP_AFTER_FORWARD, STALL, TRUNCATE, unavailable("0"), rate_limited("0")]


def _post(method: str, target: str) -> bool:
    return method == "POST"


def keys_sent(proxy: FaultyProxy) -> list[str]:
    return [next(v for k, v in s.headers.items() if k.lower() == KEY_HEADER.lower()) for s in proxy.requests("POST")]


async def increment(client: Any, how: str, key: str, points: list[tempodb.DataPoint]) -> None:
    if how == "key":
        await client.increment_key(key, points)
    elif how == "bulk":
        await client.increment_bulk(points[0].ts, [{"key": key, "v": points[0].value}])
    else:
        await client.increment_multi([{"key": key, "t": p.ts, "v": p.value} for p in points])


@pytest.mark.parametrize("how", ["key", "multi", "bulk"])
@pytest.mark.parametrize("fault", UNKNOWN_FATE, ids=str)
async def test_increment_of_unknown_fate_is_resent_with_its_key_and_counts_once(
    client: Any, proxy: FaultyProxy, direct: tempodb.Client, fault: Fault, how: str
) -> None:
    points = minutes(1 if how == "bulk" else N, value=1)
    direct.increment_key("c", points)
    proxy.script([fault], match=_post)
    await increment(client, how, "c", points)
    first, second = proxy.requests("POST")
    assert (first.fault, second.fault) == (fault, None)
    assert len(set(keys_sent(proxy))) == 1  # the retry is the same call: the same key
    assert by_minute(direct, "c", len(points)) == dict.fromkeys(range(len(points)), 2)
    if first.landed:  # applied the first time: the retry was answered from what was kept
        assert second.upstream_status == 200


async def test_create_series_whose_answer_was_lost_is_resent_and_made_once(
    client: Any, proxy: FaultyProxy, direct: tempodb.Client
) -> None:
    proxy.script([DROP_AFTER_FORWARD], match=_post)
    made = await client.create_series("made-once")
    assert [s.fault for s in proxy.requests("POST")] == [DROP_AFTER_FORWARD, None]
    assert direct.get_series() == [made]  # the retry got the first try's series, not a 409
    with pytest.raises(tempodb.ConflictError):  # a new call is a new key: the key is taken
        await client.create_series("made-once")


async def test_each_call_and_each_chunk_has_its_own_key(
    connect: Callable[..., Any], creds: tuple[str, str], proxy: FaultyProxy, direct: tempodb.Client
) -> None:
    client = connect(*creds, proxy.port, chunk_size=5)
    try:
        await client.increment_key("c", minutes(10, value=1))
        await client.increment_key("c", minutes(10, value=1))
    finally:
        await client.aclose()
    assert len(set(keys_sent(proxy))) == 4
    assert by_minute(direct, "c", 10) == dict.fromkeys(range(10), 2)


async def test_writes_carry_no_key(client: Any, proxy: FaultyProxy) -> None:
    # Writes are safe to resend as they are: no key, nothing kept on the server.
    await client.write_key("w", minutes(3))
    assert [KEY_HEADER.lower() in {k.lower() for k in s.headers} for s in proxy.requests("POST")] == [False]


def _raw_increment(info: ServerInfo, creds: tuple[str, str], key: str, value: int) -> httpx.Response:
    body = [{"t": T0.isoformat(), "v": value}]
    url = f"http://{info.host}:{info.port}/v1/series/key/raw/increment/"
    return httpx.post(url, json=body, auth=creds, headers={KEY_HEADER: key}, timeout=10)


def test_the_same_key_with_another_body_is_refused(tempodb_server: ServerInfo, direct: tempodb.Client, creds: tuple[str, str]) -> None:
    first = _raw_increment(tempodb_server, creds, "k-1", 1)
    again = _raw_increment(tempodb_server, creds, "k-1", 1)
    other = _raw_increment(tempodb_server, creds, "k-1", 5)
    assert (first.status_code, again.status_code, other.status_code) == (200, 200, 422)
    assert again.headers[REPLAYED_HEADER] == "true" and REPLAYED_HEADER not in first.headers
    assert "already used for a different request" in other.text and "fresh key" in other.text
    assert all(r.headers[RETENTION_HEADER] == "86400" for r in (first, again, other))
    assert by_minute(direct, "raw", 1) == {0: 1}


def test_two_server_processes_sharing_one_file_honour_each_others_keys(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with run_server(tmp_path / "a", db_path=db) as a, run_server(tmp_path / "b", db_path=db) as b:
        creds = a.info.new_credentials()
        replies = [_raw_increment(server.info, creds, "shared", 1) for server in (a, b, a, b)]
        assert [r.status_code for r in replies] == [200] * 4
        assert [r.headers.get(REPLAYED_HEADER) for r in replies] == [None, "true", "true", "true"]
        assert _raw_increment(b.info, creds, "shared", 2).status_code == 422
        assert _raw_increment(b.info, creds, "other", 2).status_code == 200
        with tempodb.Client(*creds, b.info.host, b.info.port, False) as direct:
            assert by_minute(direct, "raw", 1) == {0: 3}


def test_a_server_with_keys_turned_off_neither_advertises_nor_replays(tmp_path: Path) -> None:
    with run_server(tmp_path, extra_args=["--idempotency-retention", "0"]) as server:
        creds = server.info.new_credentials()
        replies = [_raw_increment(server.info, creds, "same", 1) for _ in range(2)]
        assert [RETENTION_HEADER in r.headers for r in replies] == [False, False]
        with tempodb.Client(*creds, server.info.host, server.info.port, False) as direct:
            assert by_minute(direct, "raw", 1) == {0: 2}


# --- the tally: many calls, each through a random fault ---------------------------------------------

CALLS = 200
#: A fault for about half the calls; stalls are rarer because each costs a client timeout.
FAULTS: list[Fault | None] = [None] * 8 + [DROP_BEFORE_BODY, DROP_AFTER_FORWARD, TRUNCATE, unavailable("0"), rate_limited("0")] * 2
FAULTS.append(STALL)


@pytest.mark.slow  # ~400 calls through faults, some waiting out a stall
@pytest.mark.parametrize("server", ["honours keys", "without keys"])
async def test_tally_writes_and_increments_through_random_faults(
    connect: Callable[..., Any], creds: tuple[str, str], proxy: FaultyProxy, direct: tempodb.Client, server: str,
    flavour: str,
) -> None:
    proxy.legacy = server == "without keys"
    chance = random.Random(14)
    client = connect(*creds, proxy.port, retry=RetryPolicy(attempts=3, base=0.01, cap=0.05, budget=1.0))
    tally = {"writes": 0, "increments": 0, "uncertain": 0, "failed": 0}
    try:
        for i in range(CALLS):
            point = minutes(1, value=1, start=i)
            proxy.script([chance.choice(FAULTS)], match=_post)
            await client.write_key("w", point)
            tally["writes"] += 1
            proxy.script([chance.choice(FAULTS)], match=_post)
            try:
                await client.increment_key("c", point)
                tally["increments"] += 1
            except PartialWriteError as exc:
                tally["uncertain"] += bool(exc.uncertain)
            except TempoDBError:
                tally["failed"] += 1
    finally:
        await client.aclose()
    counted = by_minute(direct, "c", CALLS)
    doubles = sum(1 for v in counted.values() if v > 1)
    print(
        f"\ntally[{flavour}, server {server}]: writes {tally['writes']}/{CALLS}, increments "
        f"{tally['increments']}/{CALLS} succeeded, uncertain {tally['uncertain']}, refused {tally['failed']}, "
        f"doubles {doubles}"
    )
    assert stored(direct, "w", CALLS) == minutes(CALLS, value=1)
    assert doubles == 0
    # Every increment the client reported done is counted exactly once; an uncertain one at most once.
    assert len(counted) >= tally["increments"]
    if server == "honours keys":
        assert tally == {"writes": CALLS, "increments": CALLS, "uncertain": 0, "failed": 0}
        assert counted == dict.fromkeys(range(CALLS), 1)
