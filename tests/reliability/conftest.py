"""Fixtures for the reliability tests: a faulty proxy in front of the real server, clients of every
flavour (sync, asyncio, trio) pointed at it, and a direct client that reads the truth.

Test bodies are written once as async functions (flavours and adapters: tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from faulty import FaultyProxy
from truth import FAST_RETRY, TIMEOUT

import tempodb
import tempodb.aio
from tempodb.testing import ServerInfo


@pytest.fixture
def creds(tempodb_server: ServerInfo) -> tuple[str, str]:
    return tempodb_server.new_credentials()


@pytest.fixture
def proxy(tempodb_server: ServerInfo) -> Iterator[FaultyProxy]:
    with FaultyProxy(tempodb_server.host, tempodb_server.port, stall=1.5) as running:
        yield running


@pytest.fixture
def direct(tempodb_server: ServerInfo, creds: tuple[str, str]) -> Iterator[tempodb.Client]:
    """A sync client straight to the real server (no proxy): what it reads is what was stored."""
    with tempodb.Client(*creds, tempodb_server.host, tempodb_server.port, False, retry=False) as client:
        yield client


@pytest.fixture
def connect(open_client: Callable[..., Any]) -> Callable[..., Any]:
    """``connect(key, secret, port, host=..., secure=..., **options)`` -> a client of this flavour."""

    def make(key: str, secret: str, port: int, *, host: str = "127.0.0.1", secure: bool = False, **options: Any) -> Any:
        options.setdefault("timeout", TIMEOUT)
        options.setdefault("retry", FAST_RETRY)
        return open_client(key, secret, host, port, secure, **options)

    return make


@pytest.fixture
async def client(connect: Callable[..., Any], creds: tuple[str, str], proxy: FaultyProxy) -> AsyncIterator[Any]:
    """A client of this test's flavour that talks to the real server through the faulty proxy."""
    made = connect(*creds, proxy.port)
    try:
        yield made
    finally:
        await made.aclose()
