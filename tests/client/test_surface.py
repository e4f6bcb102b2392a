"""The public surface: sync and aio expose the same calls, and ``__all__`` is exactly what is exported."""

from __future__ import annotations

import inspect

import tempodb
import tempodb.aio
import tempodb.sync


def _calls(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_") and name not in {"close", "aclose", "local"}
    }


def test_sync_and_aio_clients_have_the_same_calls_with_the_same_signatures() -> None:
    sync_calls = _calls(tempodb.sync.Client)
    aio_calls = _calls(tempodb.aio.Client)
    assert sync_calls.keys() == aio_calls.keys()
    # writer() and the stream factories return objects used with (async) with / for: not coroutines.
    factories = {"writer", "stream", "stream_id", "stream_key"}
    for name, signature in sync_calls.items():
        aio_signature = str(aio_calls[name]).replace("AsyncPointStream", "PointStream")
        assert str(signature) == aio_signature.replace("AsyncWriter", "Writer"), name
        assert inspect.iscoroutinefunction(getattr(tempodb.aio.Client, name)) == (name not in factories), name
    assert str(inspect.signature(tempodb.sync.Client)) == str(inspect.signature(tempodb.aio.Client)).replace(
        "AsyncTransport", "SyncTransport"
    )


def test_every_call_of_the_2013_readme_exists_with_its_parameters() -> None:
    seed = {
        "create_series": ["key"],
        "get_series": ["ids", "keys", "tags", "attributes"],
        "update_series": ["series"],
        "read": ["start", "end", "interval", "function", "ids", "keys", "tags", "attributes", "tz"],
        "read_id": ["series_id", "start", "end", "interval", "function", "tz"],
        "read_key": ["series_key", "start", "end", "interval", "function", "tz"],
        "write_id": ["series_id", "data"],
        "write_key": ["series_key", "data"],
        "write_bulk": ["ts", "data"],
        "write_multi": ["data"],
        "increment_id": ["series_id", "data"],
        "increment_key": ["series_key", "data"],
        "increment_bulk": ["ts", "data"],
        "increment_multi": ["data"],
        "delete_id": ["series_id", "start", "end"],
        "delete_key": ["series_key", "start", "end"],
    }
    for name, params in seed.items():
        signature = inspect.signature(getattr(tempodb.Client, name))
        assert list(signature.parameters)[1 : len(params) + 1] == params, name
    constructor = list(inspect.signature(tempodb.Client).parameters)[:7]
    assert constructor == ["key", "secret", "host", "port", "secure", "pool_connections", "pool_maxsize"]


def test_all_is_sorted_and_exactly_the_public_names() -> None:
    assert tempodb.__all__ == sorted(tempodb.__all__)
    public = {name for name in vars(tempodb) if not name.startswith(("_", "@"))} - {
        "aio", "sync", "transports", "server", "testing", "testing_postgres", "columnar", "frames", "chart", "plot", "cli", "demo",
        "base", "client",  # the 2013 module paths, kept as compatibility aliases
    }
    assert public == set(tempodb.__all__) - {"__version__"}
    assert tempodb.Client is tempodb.sync.Client


def test_secret_is_not_in_repr() -> None:
    client = tempodb.Client("the-key", "s3cr3t-value", "localhost", 1, False)
    try:
        assert "s3cr3t-value" not in repr(client)
        assert "s3cr3t-value" not in repr(client._session)
    finally:
        client.close()
