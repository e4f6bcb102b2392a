"""Fixtures every client test shares: one async test body runs on the sync client (behind thin
awaitable adapters), on asyncio and on trio.  ``open_client(key, secret, host, port, secure,
**options)`` makes a client of the test's flavour; each directory's ``connect`` builds on it.

Tests marked ``slow`` (load, benchmark, memory measurement) are skipped unless ``--slow`` is given or
the environment variable ``CI`` is set (to anything but ``0`` or ``false``): the everyday run stays
quick and CI runs everything."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import pytest

import tempodb
import tempodb.aio

pytest_plugins = ["pytester"]  # tests/test_slow_marker.py runs pytest on a generated file

SLOW_REASON = "slow (load, benchmark or memory measurement): run it with --slow, or with CI=true"
_SLOW_SKIPPED = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow",
        action="store_true",
        default=False,
        help="also run the tests marked slow (as when the environment variable CI is set)",
    )


def in_ci() -> bool:
    """``CI`` set to anything but empty, ``0`` or ``false``."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def run_slow(config: pytest.Config) -> bool:
    """``--slow`` on the command line, or under CI."""
    return bool(config.getoption("--slow")) or in_ci()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if run_slow(config):
        return
    skip = pytest.mark.skip(reason=SLOW_REASON)
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    for item in slow:
        item.add_marker(skip)
    config.stash[_SLOW_SKIPPED] = len(slow)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    skipped = config.stash.get(_SLOW_SKIPPED, 0)
    if skipped and not config.option.collectonly:
        tests = "test" if skipped == 1 else "tests"
        terminalreporter.write_line(f"{skipped} slow {tests} skipped: run them with --slow, or with CI=true")


FLAVOURS = ["sync", "asyncio", "trio"]


class _Awaitable:
    """A sync object behind an async face: its methods become coroutines, ``aclose`` closes it, and
    ``async with`` enters it."""

    def __init__(self, sync: Any) -> None:
        self.sync = sync

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.sync, name)
        if not callable(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            return attr(*args, **kwargs)

        return call

    async def aclose(self) -> None:
        self.sync.close()

    async def __aenter__(self) -> Any:
        self.sync.__enter__()
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.sync.__exit__(et, e, tb)


class SyncWriterAdapter(_Awaitable):
    """A sync ``Writer`` behind the async writer's face."""


class SyncStreamAdapter(_Awaitable):
    """A sync ``PointStream`` behind the async stream's face."""

    def __aiter__(self) -> SyncStreamAdapter:
        return self

    async def __anext__(self) -> Any:
        try:
            return next(self.sync)
        except StopIteration:
            raise StopAsyncIteration from None


class SyncClientAdapter(_Awaitable):
    """The sync client behind an awaitable face (writers and streams wrapped as well)."""

    def __repr__(self) -> str:
        return repr(self.sync)  # security tests check the real client's repr

    def writer(self, **options: Any) -> SyncWriterAdapter:
        return SyncWriterAdapter(self.sync.writer(**options))

    def stream_key(self, *args: Any, **kwargs: Any) -> SyncStreamAdapter:
        return SyncStreamAdapter(self.sync.stream_key(*args, **kwargs))

    def stream_id(self, *args: Any, **kwargs: Any) -> SyncStreamAdapter:
        return SyncStreamAdapter(self.sync.stream_id(*args, **kwargs))

    def stream(self, *args: Any, **kwargs: Any) -> SyncStreamAdapter:
        return SyncStreamAdapter(self.sync.stream(*args, **kwargs))


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def anyio_backend(flavour: str) -> str:
    return "trio" if flavour == "trio" else "asyncio"


@pytest.fixture
def open_client(flavour: str) -> Callable[..., Any]:
    """``open_client(key, secret, host, port, secure, **options)`` -> a client of this flavour."""

    def make(*args: Any, **options: Any) -> Any:
        if flavour == "sync":
            return SyncClientAdapter(tempodb.Client(*args, **options))
        return tempodb.aio.Client(*args, **options)

    return make


# --- PostgreSQL: one throwaway cluster per session, a fresh database per test -------------------------


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Any]:
    """A PostgreSQL cluster of the machine's binaries; skipped without them, except under CI (fails)."""
    from tempodb.testing_postgres import missing_binaries, start_cluster

    missing = missing_binaries()
    if missing:
        message = f"PostgreSQL binaries not found on PATH: {', '.join(missing)} (install PostgreSQL 15+ to run these)"
        if in_ci():
            pytest.fail(message + "; CI must run the PostgreSQL tests")
        pytest.skip(message)
    cluster = start_cluster()
    yield cluster
    cluster.destroy()


@pytest.fixture
def postgres_url(postgres_cluster: Any) -> Iterator[str]:
    """The URL of a new, empty tempodb database on the session's cluster."""
    url: str = postgres_cluster.new_database()
    yield url
    postgres_cluster.drop_database(url)


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def store_target(request: pytest.FixtureRequest) -> str:
    """What ``open_engine`` opens, once per backend: ``":memory:"`` or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return ":memory:"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=BACKENDS)
def durable_target(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A store that outlives its engine, once per backend: a SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "durable.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="module", params=BACKENDS)
def module_store_target(request: pytest.FixtureRequest) -> Iterator[str]:
    """:func:`store_target` shared by a module's tests (for hypothesis tests, which run many examples)."""
    if request.param == "sqlite":
        yield ":memory:"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    url: str = cluster.new_database()
    yield url
    cluster.drop_database(url)
