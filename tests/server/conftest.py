"""Fixtures for the sans-IO server tests: an in-memory engine and a tiny caller around Engine.handle."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from tempodb._wire.http import Request, Response
from tempodb.server import Engine, open_engine


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


class Caller:
    """Sends requests to an engine with one credential pair; JSON bodies are encoded for you."""

    def __init__(self, engine: Engine, key: str = "key", secret: str = "secret") -> None:
        self.engine = engine
        self.auth = basic(key, secret)

    def __call__(self, method: str, target: str, body: Any = None, headers: Mapping[str, str] | None = None) -> Response:
        if body is None:
            raw = b""
        elif isinstance(body, bytes):
            raw = body
        else:
            raw = json.dumps(body).encode()
        all_headers = {"Authorization": self.auth, **(headers or {})}
        return self.engine.handle(Request(method, "http://testserver" + target, all_headers, raw))

    def ok(self, method: str, target: str, body: Any = None) -> Any:
        response = self(method, target, body)
        assert response.status_code == 200, (response.status_code, response.body)
        return json.loads(response.body) if response.body else None


@pytest.fixture
def engine(store_target: str) -> Iterator[Engine]:
    """An engine on each backend: SQLite in memory, and a fresh PostgreSQL database."""
    e = open_engine(store_target)
    yield e
    e.close()


@pytest.fixture
def api(engine: Engine) -> Caller:
    return Caller(engine)


@pytest.fixture
def caller() -> type[Caller]:
    """The Caller class, for tests that need other credentials or engines."""
    return Caller
