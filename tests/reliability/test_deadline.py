"""No call waits forever, and no answer grows without bound: a server that trickles its answer one
byte at a time, or sends a small gzip body that inflates to a huge one, against sync, asyncio and trio.

Each misbehaving server is a thread on 127.0.0.1 that answers every connection the same way and
stops (bounded) when the test ends.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

import tempodb
from tempodb import RequestTimeoutError, RetryPolicy
from tempodb._core.errors import DeadlineExceededError, ResponseTooLargeError, TransportError

pytestmark = pytest.mark.anyio

START, END = datetime(2013, 1, 1, tzinfo=timezone.utc), datetime(2013, 1, 2, tzinfo=timezone.utc)


class MisbehavingServer:
    """Reads each request head, then hands the socket to ``answer`` (on its own thread)."""

    def __init__(self, answer: Callable[[socket.socket, threading.Event], None]) -> None:
        self.answer = answer
        self.stopped = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.threads: list[threading.Thread] = []
        self.connections = 0

    def __enter__(self) -> MisbehavingServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self.threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(5)
        self.sock.close()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2)
            head = b""
            try:
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    data = conn.recv(4096)
                    if not data:
                        return
                    head += data
                self.answer(conn, self.stopped)
            except OSError:
                pass


def trickle(conn: socket.socket, stopped: threading.Event) -> None:
    """Promise a long body, then send one byte every 0.2 s (under any read timeout) until stopped."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(500):  # bounded: 100 s at most, the test stops it long before
        if stopped.wait(0.2):
            return
        conn.sendall(b" ")


#: 64 MiB of JSON whitespace, gzipped to about 64 KiB.
BOMB = gzip.compress(b" " * (64 << 20), compresslevel=9)


def bomb(conn: socket.socket, stopped: threading.Event) -> None:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {len(BOMB)}\r\n\r\n"
    conn.sendall(head.encode() + BOMB)


@pytest.fixture
def trickling() -> Iterator[MisbehavingServer]:
    with MisbehavingServer(trickle) as server:
        yield server


async def test_a_trickling_answer_ends_at_the_deadline(open_client: Callable[..., Any], trickling: MisbehavingServer) -> None:
    retry = RetryPolicy(attempts=5, base=0.01, cap=0.05, budget=10.0)
    client = open_client("k", "s", "127.0.0.1", trickling.port, False, timeout=1.0, retry=retry, deadline=1.0)
    began = time.monotonic()
    try:
        with pytest.raises(DeadlineExceededError) as caught:
            await client.read_key("trickle", START, END)
    finally:
        await client.aclose()
    took = time.monotonic() - began
    assert took < 2.0, f"the call took {took:.1f}s with a 1s deadline"
    assert isinstance(caught.value, RequestTimeoutError) and isinstance(caught.value, tempodb.TempoDBError)
    assert "deadline of 1s" in str(caught.value) and "deadline=" in str(caught.value)
    assert caught.value.request is not None and "/series/key/trickle/data/" in caught.value.request.url


async def test_retries_stop_at_the_deadline(open_client: Callable[..., Any], trickling: MisbehavingServer) -> None:
    """Every try times out after 0.3 s (the server never finishes): the retries end at the deadline."""
    retry = RetryPolicy(attempts=50, base=0.01, cap=0.05, budget=100.0)
    client = open_client("k", "s", "127.0.0.1", trickling.port, False, timeout=0.3, retry=retry, deadline=1.2)
    began = time.monotonic()
    try:
        with pytest.raises(TransportError):
            await client.read_key("trickle", START, END)
    finally:
        await client.aclose()
    took = time.monotonic() - began
    assert took < 2.0, f"the call took {took:.1f}s with a 1.2s deadline"


def test_deadline_must_be_positive() -> None:
    for bad in (0, -1, float("inf"), "10", True):
        with pytest.raises(tempodb.InvalidInputError, match="deadline"):
            tempodb.Client("k", "s", deadline=bad)  # type: ignore[arg-type]
    with pytest.raises(tempodb.InvalidInputError, match="max_response_bytes"):
        tempodb.Client("k", "s", max_response_bytes=0)
    tempodb.Client("k", "s", deadline=None).close()


async def test_a_gzip_bomb_stops_at_max_response_bytes(open_client: Callable[..., Any]) -> None:
    with MisbehavingServer(bomb) as server:
        client = open_client("k", "s", "127.0.0.1", server.port, False, timeout=5.0, max_response_bytes=8 << 20)
        try:
            with pytest.raises(ResponseTooLargeError) as caught:
                await client.read_key("bomb", START, END)
        finally:
            await client.aclose()
        assert server.connections == 1, "a response too large is not retried"
    assert "stream_key" in str(caught.value) and "max_response_bytes" in str(caught.value)


def test_the_h11_example_transport_keeps_both_limits(trickling: MisbehavingServer) -> None:
    from tempodb.transports.h11 import H11Transport

    client = tempodb.Client("k", "s", "127.0.0.1", trickling.port, False, transport=H11Transport(timeout=1.0), deadline=1.0)
    began = time.monotonic()
    with client, pytest.raises(DeadlineExceededError):
        client.read_key("trickle", START, END)
    assert time.monotonic() - began < 2.0
    with MisbehavingServer(bomb) as server:
        transport = H11Transport(timeout=5.0, max_response_bytes=8 << 20)
        client = tempodb.Client("k", "s", "127.0.0.1", server.port, False, transport=transport)
        with client, pytest.raises(ResponseTooLargeError, match="stream_key"):
            client.read_key("bomb", START, END)


def test_the_core_waits_no_longer_than_the_deadline() -> None:
    """The pure retry loop (no clock): a Retry-After longer than the deadline is not waited for, and
    the waits of many short retries never add up past it."""
    from tempodb._core.effects import Send, Sleep
    from tempodb._core.errors import ServerError
    from tempodb._core.session import Session, call
    from tempodb._wire.http import Response

    policy = RetryPolicy(attempts=100, base=0.4, cap=0.4, budget=1000.0, jitter=lambda: 1.0)
    session = Session("k", "s", "http://tempo.test", retry=policy, deadline=1.0)
    busy = Response(503, {"Retry-After": "0.4"}, b"busy")
    op = call(session, session.request("GET", "/series/"), repeatable=True)
    effect, slept = next(op), 0.0
    with pytest.raises(ServerError):
        for _ in range(100):
            assert isinstance(effect, Send)
            effect = op.send(busy)
            assert isinstance(effect, Sleep)
            slept += effect.seconds
            effect = op.send(None)
    assert slept < 1.0
    op = call(session, session.request("GET", "/series/"), repeatable=True)
    next(op)
    with pytest.raises(ServerError):
        op.send(Response(503, {"Retry-After": "5"}, b"busy"))
