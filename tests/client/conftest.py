"""Clients of every flavour against the real server over real sockets, one fresh database each.

Tests are written once as async functions; the ``client`` fixture hands them the sync client
(called directly), the async client on asyncio, or the async client on trio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import tempodb
import tempodb.aio
from tempodb.testing import ServerInfo

FLAVOURS = ["sync", "asyncio", "trio"]


class Awaitable:
    """The sync client behind an awaitable face, so one test body drives every flavour."""

    def __init__(self, client: tempodb.Client) -> None:
        self.sync = client

    async def aclose(self) -> None:
        self.sync.close()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.sync, name)
        if not callable(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            return attr(*args, **kwargs)

        return call


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def anyio_backend(flavour: str) -> str:
    return "trio" if flavour == "trio" else "asyncio"


@pytest.fixture
def connect(tempodb_server: ServerInfo, flavour: str) -> Callable[..., Any]:
    """``connect(key, secret, **options)`` -> a client of this test's flavour (caller closes it)."""

    def make(key: str, secret: str, **options: Any) -> Any:
        args = (key, secret, tempodb_server.host, tempodb_server.port, False)
        if flavour == "sync":
            return Awaitable(tempodb.Client(*args, **options))
        return tempodb.aio.Client(*args, **options)

    return make


@pytest.fixture
async def client(connect: Callable[..., Any], tempodb_credentials: tuple[str, str]) -> AsyncIterator[Any]:
    made = connect(*tempodb_credentials)
    try:
        yield made
    finally:
        await made.aclose()
