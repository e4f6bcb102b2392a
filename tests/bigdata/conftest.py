"""Fixtures for the big-data tests: clients of every flavour on the session's real server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tempodb.testing import ServerInfo


@pytest.fixture
def connect(tempodb_server: ServerInfo, open_client: Callable[..., Any]) -> Callable[..., Any]:
    """``connect(key, secret, server=None, **options)`` -> a client of this test's flavour."""

    def make(key: str, secret: str, server: ServerInfo | None = None, **options: Any) -> Any:
        info = server or tempodb_server
        return open_client(key, secret, info.host, info.port, False, **options)

    return make


@pytest.fixture
async def client(connect: Callable[..., Any], tempodb_credentials: tuple[str, str]) -> AsyncIterator[Any]:
    made = connect(*tempodb_credentials)
    try:
        yield made
    finally:
        await made.aclose()
