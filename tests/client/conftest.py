"""Clients of every flavour against the real server over real sockets, one fresh database each.

Tests are written once as async functions; the root conftest's ``open_client`` hands them the sync
client (called directly), the async client on asyncio, or the async client on trio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tempodb.testing import ServerInfo


@pytest.fixture
def connect(tempodb_server: ServerInfo, open_client: Callable[..., Any]) -> Callable[..., Any]:
    """``connect(key, secret, **options)`` -> a client of this test's flavour (caller closes it)."""

    def make(key: str, secret: str, **options: Any) -> Any:
        return open_client(key, secret, tempodb_server.host, tempodb_server.port, False, **options)

    return make


@pytest.fixture
async def client(connect: Callable[..., Any], tempodb_credentials: tuple[str, str]) -> AsyncIterator[Any]:
    made = connect(*tempodb_credentials)
    try:
        yield made
    finally:
        await made.aclose()
