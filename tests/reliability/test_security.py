"""Databases do not see each other, hostile names are only names, and the secret never leaks into
logs, reprs or exception text."""

from __future__ import annotations

import base64
import logging
import secrets
import traceback
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from faulty import DROP_BEFORE_BODY, STALL, FaultyProxy, closed_port
from truth import T0, minutes

import tempodb
from tempodb import (
    ConnectError,
    ForbiddenError,
    MultiStatusError,
    PartialWriteError,
    ProtocolError,
    RequestTimeoutError,
    Series,
    UnauthorizedError,
)
from tempodb._wire.http import Request, Response
from tempodb.testing import ServerInfo, run_server
from tempodb.transports import AsyncHTTPXTransport, HTTPXTransport

pytestmark = pytest.mark.anyio

KEY_A, KEY_B = "tenant-a", "tenant-b"
SECRET_A = "A-sekrit:" + secrets.token_hex(12) + "%;'\""
SECRET_B = "B-sekrit:" + secrets.token_hex(12)
END = T0 + timedelta(days=1)
HOSTILE = "we\"ird';key; DROP TABLE series;-- 100%25 %s /../id/x\\y ünï©ødé 🚀 &?#=+[]"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    """A server that knows exactly two credential pairs."""
    with run_server(tmp_path_factory.mktemp("secured"), credentials={KEY_A: SECRET_A, KEY_B: SECRET_B}) as server:
        yield server.info


@pytest.fixture
async def pair(connect: Callable[..., Any], secured: ServerInfo) -> Any:
    a = connect(KEY_A, SECRET_A, secured.port)
    b = connect(KEY_B, SECRET_B, secured.port)
    try:
        # Each test starts from two empty databases.
        await a.delete_series(allow_truncation=True)
        await b.delete_series(allow_truncation=True)
        yield a, b
    finally:
        await a.aclose()
        await b.aclose()


async def test_a_credential_cannot_read_write_delete_or_list_another_ones_series(pair: Any) -> None:
    a, b = pair
    mine = await a.create_series("shared-name")
    mine.tags, mine.attributes = ["t1"], {"owner": "a"}
    mine = await a.update_series(mine)
    points = minutes(10)
    await a.write_key("shared-name", points)

    for call in (
        lambda: b.get_series_by_id(mine.id),
        lambda: b.get_series_by_key("shared-name"),
        lambda: b.read_id(mine.id, T0, END),
        lambda: b.read_key("shared-name", T0, END),
        lambda: b.summary_id(mine.id, T0, END),
        lambda: b.single_value_id(mine.id, T0),
        lambda: b.write_id(mine.id, minutes(3, value=-1)),
        lambda: b.increment_id(mine.id, minutes(3, value=5)),
        lambda: b.delete_id(mine.id, T0, END),
        lambda: b.update_series(Series(id=mine.id, key="shared-name", name="stolen", tags=["x"])),
    ):
        with pytest.raises(ForbiddenError):
            await call()

    assert await b.get_series() == []
    assert await b.get_series(ids=[mine.id]) == []
    assert await b.get_series(keys=["shared-name"]) == []
    assert await b.get_series(tags=["t1"]) == []
    assert await b.get_series(attributes={"owner": "a"}) == []
    assert await b.read(T0, END, ids=[mine.id]) == []
    assert await b.read(T0, END, tags=["t1"]) == []
    assert await b.single_value(T0, ids=[mine.id]) == []
    assert (await b.delete_series(ids=[mine.id])).deleted == 0
    assert (await b.delete_series(keys=["shared-name"])).deleted == 0
    assert (await b.delete_series(tags=["t1"], attributes={"owner": "a"})).deleted == 0
    assert (await b.delete_series(allow_truncation=True)).deleted == 0

    # The same key in B is B's own series.  A multi write naming an unknown id creates a series
    # with that id in the writer's own database (API decision 13): B's, never A's.
    await b.write_key("shared-name", minutes(10, value=99))
    theirs = await b.get_series_by_key("shared-name")
    assert theirs.id != mine.id
    await b.write_multi([{"id": mine.id, "t": T0, "v": -1}])
    await b.increment_multi([{"id": mine.id, "t": T0, "v": 5}])
    assert (await b.read_id(mine.id, T0, END)).data == [tempodb.DataPoint(T0, 4.0)]
    assert {s.key for s in await b.get_series()} == {"shared-name", mine.id}
    assert await a.get_series() == [mine]
    assert (await a.read_key("shared-name", T0, END)).data == points
    assert (await b.read_key("shared-name", T0, END)).data == minutes(10, value=99)


class _NoAuth:
    """A transport that strips the Authorization header, as a misconfigured proxy would."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def _strip(self, request: Request) -> Request:
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        return Request(request.method, request.url, headers, request.body)

    def send(self, request: Request) -> Response:
        return self.inner.send(self._strip(request))  # type: ignore[no-any-return]

    def close(self) -> None:
        self.inner.close()


class _AsyncNoAuth(_NoAuth):
    async def send(self, request: Request) -> Response:  # type: ignore[override]
        return await self.inner.send(self._strip(request))  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_wrong_secret_is_forbidden_and_missing_credentials_unauthorized(
    connect: Callable[..., Any], secured: ServerInfo, flavour: str
) -> None:
    for key, secret in ((KEY_A, SECRET_B), (KEY_A, ""), ("nobody", SECRET_A)):
        client = connect(key, secret, secured.port)
        try:
            with pytest.raises(ForbiddenError):
                await client.get_series()
        finally:
            await client.aclose()
    transport = _NoAuth(HTTPXTransport()) if flavour == "sync" else _AsyncNoAuth(AsyncHTTPXTransport())
    client = connect(KEY_A, SECRET_A, secured.port, transport=transport)
    try:
        with pytest.raises(UnauthorizedError):
            await client.get_series()
    finally:
        await client.aclose()


async def test_quotes_semicolons_percents_slashes_and_unicode_are_only_names(
    connect: Callable[..., Any], tempodb_server: ServerInfo, creds: tuple[str, str]
) -> None:
    client = connect(*creds, tempodb_server.port)
    try:
        bystander = await client.create_series("a/b")
        lookalike = await client.create_series("a%2Fb")  # must not be decoded into "a/b"
        assert lookalike.id != bystander.id

        series = await client.create_series(HOSTILE)
        series.name = HOSTILE
        series.tags = [HOSTILE, "'; --", "%", "50%off", "a/b", "Ω≈ç√"]
        series.attributes = {HOSTILE: HOSTILE, "q\"uo'te": "semi;colon", "per%cent": "sla/sh", "ключ": "значение"}
        assert await client.update_series(series) == series
        assert await client.get_series_by_key(HOSTILE) == series
        assert await client.get_series_by_id(series.id) == series
        assert await client.get_series(keys=[HOSTILE]) == [series]
        assert await client.get_series(tags=[HOSTILE, "%"]) == [series]
        assert await client.get_series(attributes={HOSTILE: HOSTILE, "per%cent": "sla/sh"}) == [series]
        assert await client.get_series(attributes={"per%cent": "sla%2Fsh"}) == []
        assert await client.get_series(tags=["a%2Fb"]) == []

        await client.write_key(HOSTILE, minutes(5))
        await client.write_multi([{"key": HOSTILE, "t": T0, "v": 100.0}])
        await client.increment_key(HOSTILE, minutes(1, value=1, start=4))
        expected = [*minutes(4), *minutes(1, value=5.0, start=4)]
        expected[0] = tempodb.DataPoint(T0, 100.0)
        assert (await client.read_key(HOSTILE, T0, END)).data == expected
        assert [d.series.key for d in await client.read(T0, END, keys=[HOSTILE])] == [HOSTILE]

        await client.delete_key(HOSTILE, T0, END)
        assert (await client.read_key(HOSTILE, T0, END)).data == []
        assert (await client.delete_series(keys=[HOSTILE])).deleted == 1
        assert {s.key for s in await client.get_series()} == {"a/b", "a%2Fb"}
    finally:
        await client.aclose()


async def test_the_secret_never_appears_in_logs_reprs_or_exception_text(
    connect: Callable[..., Any],
    tempodb_server: ServerInfo,
    proxy: FaultyProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = "leak-" + secrets.token_hex(8)
    secret = "TOPSECRET-" + secrets.token_hex(16)
    wrong = "WRONGSECRET-" + secrets.token_hex(16)
    forbidden = [secret, wrong, *(base64.b64encode(f"{key}:{s}".encode()).decode() for s in (secret, wrong))]
    for name in ("tempodb", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)

    raised: list[BaseException] = []
    good = connect(key, secret, proxy.port, retry=False)
    bad = connect(key, wrong, proxy.port, retry=False)
    nowhere = connect(key, secret, closed_port(), retry=False)
    try:
        await good.write_key("k", minutes(3))  # registers the secret: the open server now knows it

        async def expect(error: type[BaseException], call: Any) -> None:
            with pytest.raises(error) as info:
                await call
            raised.append(info.value)

        await expect(ForbiddenError, bad.get_series())
        proxy.script([STALL])
        await expect(RequestTimeoutError, good.read_key("k", T0, END))
        proxy.script([DROP_BEFORE_BODY])
        await expect(ProtocolError, good.write_key("k", minutes(3)))
        proxy.script([DROP_BEFORE_BODY])
        await expect(PartialWriteError, good.increment_key("k", minutes(3, value=1)))
        await expect(ConnectError, nowhere.get_series())
        await expect(MultiStatusError, good.increment_multi([{"key": "k", "t": T0, "v": 1e30}]))
        reprs = [repr(c) for c in (good, bad, nowhere)]
    finally:
        for c in (good, bad, nowhere):
            await c.aclose()

    texts = [*reprs, caplog.text, *(r.getMessage() for r in caplog.records)]
    for exc in raised:
        texts += [str(exc), repr(exc), "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))]
        texts += [repr(getattr(exc, "request", None))]
    leaks = [(word, text[:200]) for text in texts for word in forbidden if word in text]
    assert leaks == []
    # The test can fail: every kind of record it screens was produced.
    assert len(raised) == 6
    assert any(r.name == "tempodb" and r.levelno == logging.DEBUG for r in caplog.records)
    assert any(r.name.startswith("httpx") for r in caplog.records)
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    assert key in repr(good)
