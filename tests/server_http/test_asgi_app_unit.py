"""The ASGI adapter and the embedded transports, driven in-process (no socket) on asyncio and trio."""

from __future__ import annotations

import base64
import json
from collections.abc import MutableMapping
from typing import Any

import pytest

from tempodb._wire.http import Request, Response
from tempodb.server.asgi import create_app
from tempodb.server.edge import INTERNAL_ERROR, too_large_message
from tempodb.server.factory import open_engine
from tempodb.server.local import AsyncLocalTransport, LocalTransport

pytestmark = pytest.mark.anyio

AUTH = {"authorization": "Basic " + base64.b64encode(b"unit-key:unit-secret").decode()}


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Recorder:
    """A fake engine that remembers what it was asked and can be told to fail."""

    def __init__(self, fail: bool = False) -> None:
        self.requests: list[Request] = []
        self.closed = 0
        self.fail = fail

    def admit(self, request: Request) -> Response | None:
        return None

    def advertise(self, response: Response) -> Response:
        return response

    def handle(self, request: Request, *, stream: bool = False) -> Response:
        if self.fail:
            raise RuntimeError("engine bug")
        self.requests.append(request)
        return Response(200, {"content-type": "application/json"}, b"[]")

    def close(self) -> None:
        self.closed += 1


def scope(path: bytes, query: bytes = b"", method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path.decode("latin-1").replace("%2F", "/"),
        "raw_path": path,
        "query_string": query,
        "headers": [(b"host", b"example.test:4242"), *(headers or [])],
        "server": ("127.0.0.1", 4242),
    }


async def call(app: Any, scope_: dict[str, Any], chunks: list[bytes]) -> tuple[int, dict[bytes, bytes], bytes, int]:
    """Run one request; returns status, headers, body and how many receive() calls the app made."""
    sent: list[MutableMapping[str, Any]] = []
    reads = 0

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        if reads <= len(chunks):
            return {"type": "http.request", "body": chunks[reads - 1], "more_body": reads < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await app(scope_, receive, send)
    start, body = sent[0], sent[1]
    return start["status"], dict(start["headers"]), body["body"], reads


async def test_raw_path_and_query_reach_the_engine() -> None:
    engine = Recorder()
    app = create_app(engine)  # type: ignore[arg-type]
    status, _, _, _ = await call(app, scope(b"/v1/series/key/a%2Fb%20c/data/", b"start=2012&tag=x+y"), [b""])
    assert status == 200
    # The authority is the listening socket, not the Host header: the engine routes on the target.
    assert engine.requests[0].url == "http://127.0.0.1:4242/v1/series/key/a%2Fb%20c/data/?start=2012&tag=x+y"


async def test_body_is_collected_from_chunks() -> None:
    engine = Recorder()
    app = create_app(engine)  # type: ignore[arg-type]
    await call(app, scope(b"/v1/multi/", method="POST"), [b"[", b"]"])
    assert engine.requests[0].body == b"[]"


async def test_declared_length_over_limit_is_refused_unread() -> None:
    engine = Recorder()
    app = create_app(engine, max_body_bytes=10)  # type: ignore[arg-type]
    status, headers, _, reads = await call(app, scope(b"/v1/multi/", method="POST", headers=[(b"content-length", b"11")]), [b"x" * 11])
    assert (status, reads, engine.requests) == (413, 0, [])
    assert headers[b"connection"] == b"close"


async def test_413_and_500_say_what_the_engine_says() -> None:
    # One text per error, whichever layer answers: the ASGI front before the body is read, or the engine.
    engine = open_engine(max_body_bytes=10)
    try:
        auth = [(k.encode(), v.encode()) for k, v in AUTH.items()]
        _, _, refused_early, _ = await call(create_app(engine, max_body_bytes=10), scope(b"/v1/multi/", method="POST", headers=auth), [b"x" * 11])
        _, _, refused_late, _ = await call(create_app(engine), scope(b"/v1/multi/", method="POST", headers=auth), [b"x" * 11])
        assert refused_early == refused_late == too_large_message(10).encode()
    finally:
        engine.close()
    _, _, crashed, _ = await call(create_app(Recorder(fail=True)), scope(b"/v1/series/"), [b""])  # type: ignore[arg-type]
    assert crashed == INTERNAL_ERROR.encode()


async def test_streamed_body_over_limit_stops_reading() -> None:
    engine = Recorder()
    app = create_app(engine, max_body_bytes=10)  # type: ignore[arg-type]
    status, _, _, reads = await call(app, scope(b"/v1/multi/", method="POST"), [b"x" * 6, b"x" * 6, b"x" * 6, b"x" * 6])
    assert (status, reads, engine.requests) == (413, 2, [])


async def test_disconnect_mid_body_applies_nothing() -> None:
    engine = Recorder()
    app = create_app(engine)  # type: ignore[arg-type]
    sent: list[Any] = []
    messages = iter([{"type": "http.request", "body": b"[", "more_body": True}, {"type": "http.disconnect"}])

    async def receive() -> Any:
        return next(messages)

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope(b"/v1/multi/", method="POST"), receive, send)
    assert (sent, engine.requests) == ([], [])


async def test_engine_exception_is_a_plain_500_without_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(Recorder(fail=True))  # type: ignore[arg-type]
    secret_header = [(b"authorization", b"Basic " + base64.b64encode(b"k:TOPSECRET"))]
    status, headers, body, _ = await call(app, scope(b"/v1/series/", headers=secret_header), [b""])
    assert status == 500
    assert headers[b"content-type"].startswith(b"text/plain")
    assert b"TOPSECRET" not in body
    assert "engine bug" in caplog.text
    assert "TOPSECRET" not in caplog.text and base64.b64encode(b"k:TOPSECRET").decode() not in caplog.text


async def test_lifespan_closes_the_engine_once() -> None:
    engine = Recorder()
    app = create_app(engine)  # type: ignore[arg-type]
    incoming = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def receive() -> Any:
        return next(incoming)

    async def send(message: Any) -> None:
        sent.append(message["type"])

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    app.close()
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert engine.closed == 1


async def test_real_engine_through_the_app() -> None:
    app = create_app(open_engine(":memory:"))
    try:
        headers = [(b"authorization", AUTH["authorization"].encode())]
        status, _, _, _ = await call(app, scope(b"/v1/series/", method="POST", headers=headers), [b'{"key": "a/b"}'])
        assert status == 200
        status, _, body, _ = await call(app, scope(b"/v1/series/key/a%2Fb/", headers=headers), [b""])
        assert status == 200
        assert json.loads(body)["key"] == "a/b"
    finally:
        app.close()


def test_local_transport_owns_what_it_opens() -> None:
    with LocalTransport.open() as transport:
        create = Request("POST", "http://local/v1/series/", AUTH, b'{"key": "k1"}')
        assert transport.send(create).status_code == 200
        listed = transport.send(Request("GET", "http://local/v1/series/", AUTH))
        assert [s["key"] for s in json.loads(listed.body)] == ["k1"]


def test_local_transport_leaves_a_borrowed_engine_open() -> None:
    engine = open_engine(":memory:")
    try:
        LocalTransport(engine).close()
        # Still usable: the transport did not own it.
        assert LocalTransport(engine).send(Request("GET", "http://local/v1/series/", AUTH)).status_code == 200
    finally:
        engine.close()


async def test_async_local_transport() -> None:
    async with AsyncLocalTransport.open() as transport:
        create = Request("POST", "http://local/v1/series/", AUTH, b'{"key": "k1"}')
        assert (await transport.send(create)).status_code == 200
        response = await transport.send(Request("GET", "http://local/v1/series/key/k1/", AUTH))
        assert json.loads(response.body)["key"] == "k1"
