"""Clients of every flavour on the session's real server, one fresh database each."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tempodb.testing import ServerInfo


@pytest.fixture
async def client(
    tempodb_server: ServerInfo, open_client: Callable[..., Any], tempodb_credentials: tuple[str, str]
) -> AsyncIterator[Any]:
    made = open_client(*tempodb_credentials, tempodb_server.host, tempodb_server.port, False)
    try:
        yield made
    finally:
        await made.aclose()
