"""Transports other than the default: the h11 example and the embedded engine, on the same calls."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
import trio

import tempodb
import tempodb.aio
from tempodb import DataPoint
from tempodb.testing import ServerInfo
from tempodb.transports.h11 import H11Transport

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)
POINTS = [DataPoint(T0 + timedelta(minutes=i), i * 0.5) for i in range(500)]


def test_h11_example_transport_against_the_real_server(tempodb_server: ServerInfo) -> None:
    key, secret = tempodb_server.new_credentials()
    transport = H11Transport(timeout=10)
    with tempodb.Client(key, secret, tempodb_server.host, tempodb_server.port, False, transport=transport) as client:
        client.write_key("h11", POINTS)
        for _ in range(3):  # the kept-alive connection is reused
            got = client.read_key("h11", T0, T0 + timedelta(days=1), interval="raw")
            assert got.data == POINTS
        with pytest.raises(tempodb.ForbiddenError):
            client.read_key("missing", T0, T0 + timedelta(days=1))
        assert client.get_series()[0].key == "h11"
    transport.close()


def test_h11_transport_maps_a_refused_connection_to_connect_error() -> None:
    client = tempodb.Client("k", "s", "127.0.0.1", 9, False, transport=H11Transport(timeout=2), retry=False)
    with pytest.raises(tempodb.ConnectError) as info:
        client.get_series()
    assert info.value.not_sent


def test_embedded_default_sync(tmp_path: object) -> None:
    path = str(tmp_path) + "/embedded.db"  # type: ignore[operator]
    with tempodb.Client.local(path) as client:
        client.write_key("local", POINTS)
    with tempodb.Client.local(path) as client:  # the file keeps the data
        assert client.read_key("local", T0, T0 + timedelta(days=1), interval="raw").data == POINTS


async def _embedded_async() -> None:
    async with tempodb.aio.Client.local() as client:
        await client.write_key("local", POINTS)
        got = await client.read_key("local", T0, T0 + timedelta(days=1), interval="1hour", function="count")
        assert [p.value for p in got.data] == [60] * 8 + [20]


def test_embedded_default_on_asyncio_and_trio() -> None:
    asyncio.run(_embedded_async())
    trio.run(_embedded_async)
