"""The ASGI front sends a streamed body block by block, ends it properly, leaves it unfinished when
producing it fails (the server then drops the connection), and closes the producer however it ends."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest

from tempodb._wire.http import Request, Response, StreamedResponse
from tempodb.server.asgi import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Streamer:
    def __init__(self, blocks: list[bytes], fail_after: bool = False) -> None:
        self.blocks, self.fail_after = blocks, fail_after
        self.closed = False
        self.asked_to_stream: list[bool] = []

    def produce(self) -> Iterator[bytes]:
        try:
            yield from self.blocks
            if self.fail_after:
                raise RuntimeError("the store failed midway")
        finally:
            self.closed = True

    def admit(self, request: Request) -> Response | None:
        return None  # every request is admitted: these tests are about the answer

    def advertise(self, response: Response) -> Response:
        return response

    def handle(self, request: Request, *, stream: bool = False) -> Response:
        self.asked_to_stream.append(stream)
        return StreamedResponse(200, {"Content-Type": "application/json"}, blocks=self.produce())

    def close(self) -> None:
        pass


SCOPE = {
    "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
    "path": "/v1/series/key/k/data/", "raw_path": b"/v1/series/key/k/data/", "query_string": b"",
    "headers": [(b"host", b"127.0.0.1:4242")], "server": ("127.0.0.1", 4242),
}


async def run(engine: Streamer, *, gone_after: int | None = None) -> list[MutableMapping[str, Any]]:
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if gone_after is not None and len(sent) >= gone_after:
            raise OSError("the client went away")
        sent.append(message)

    await create_app(engine)(SCOPE, receive, send)  # type: ignore[arg-type]
    return sent


async def test_blocks_go_out_one_message_each_then_the_end() -> None:
    engine = Streamer([b'{"a":', b"", b"1}"])
    sent = await run(engine)
    assert engine.asked_to_stream == [True]
    assert sent[0]["type"] == "http.response.start"
    assert b"content-length" not in dict(sent[0]["headers"])
    assert [(m["body"], m.get("more_body", False)) for m in sent[1:]] == [(b'{"a":', True), (b"1}", True), (b"", False)]
    assert engine.closed


async def test_a_failure_midway_leaves_the_body_unfinished() -> None:
    engine = Streamer([b"[1,", b"2,"], fail_after=True)
    sent = await run(engine)
    assert [m.get("more_body", False) for m in sent[1:]] == [True, True]  # never a final message
    assert engine.closed


async def test_a_client_gone_midway_closes_the_producer() -> None:
    engine = Streamer([b"[1,", b"2,", b"3]"] * 10)
    sent = await run(engine, gone_after=2)
    assert len(sent) == 2 and engine.closed
