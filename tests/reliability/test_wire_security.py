"""gzip request bodies land; TLS is verified by default and trusts exactly what it is told to."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from faulty import FaultyProxy
from truth import T0, by_minute, minutes, stored

import tempodb
from tempodb import ConnectError
from tempodb.testing import ServerInfo, run_server, self_signed_certificate

pytestmark = pytest.mark.anyio


def _header(seen_headers: dict[str, str], name: str) -> str:
    return next((v for k, v in seen_headers.items() if k.lower() == name), "")


async def test_gzip_bodies_above_the_threshold_are_accepted_and_land(
    connect: Callable[..., Any], creds: tuple[str, str], proxy: FaultyProxy, direct: tempodb.Client
) -> None:
    client = connect(*creds, proxy.port, gzip_threshold=1, chunk_size=250)
    points = minutes(1000)
    try:
        await client.write_key("gz", points)
        await client.write_multi([{"key": "gz", "t": p.ts, "v": -p.value} for p in points[:10]])
        await client.increment_key("gzc", minutes(20, value=3))
        await client.increment_multi([{"key": "gzc", "t": T0, "v": 4}])
    finally:
        await client.aclose()
    bodies = proxy.requests("POST")
    assert len(bodies) == 4 + 3
    assert all(_header(s.headers, "content-encoding") == "gzip" for s in bodies)
    assert all(s.upstream_status == 200 for s in bodies)
    expected = [tempodb.DataPoint(p.ts, -p.value) for p in points[:10]] + points[10:]
    assert stored(direct, "gz", 1000) == expected
    assert by_minute(direct, "gzc", 20) == {0: 7, **dict.fromkeys(range(1, 20), 3)}


async def test_small_bodies_stay_plain_under_the_default_threshold(
    client: Any, proxy: FaultyProxy, direct: tempodb.Client
) -> None:
    await client.write_key("plain", minutes(10))
    assert _header(proxy.requests("POST")[0].headers, "content-encoding") == ""
    assert stored(direct, "plain", 10) == minutes(10)


# --- TLS -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerInfo, Path]]:
    """An https ``tempodb serve`` with a self-signed certificate for 127.0.0.1, and that certificate."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = self_signed_certificate(directory)
    with run_server(directory, extra_args=["--certfile", str(cert), "--keyfile", str(key)]) as server:
        assert server.info.url.startswith("https://")
        yield server.info, cert


async def test_tls_is_verified_by_default_and_a_self_signed_server_is_refused(
    connect: Callable[..., Any], tls: tuple[ServerInfo, Path]
) -> None:
    info, _ = tls
    key, secret = info.new_credentials()
    client = connect(key, secret, info.port, secure=True)  # the default retry policy
    try:
        with pytest.raises(ConnectError, match=r"(?i)certificate") as raised:
            await client.write_key("never", minutes(3))
    finally:
        await client.aclose()
    assert raised.value.not_sent
    assert not raised.value.transient  # retrying cannot fix a certificate: it is raised at once
    chain: list[BaseException] = []
    link: BaseException | None = raised.value
    while link is not None:
        chain.append(link)
        link = link.__cause__ or link.__context__
    assert any(isinstance(e, ssl.SSLCertVerificationError) for e in chain)


@pytest.mark.parametrize("trust", ["path", "context"])
async def test_tls_succeeds_when_told_to_trust_the_certificate(
    connect: Callable[..., Any], tls: tuple[ServerInfo, Path], trust: str
) -> None:
    info, cert = tls
    key, secret = info.new_credentials()
    verify: str | ssl.SSLContext = str(cert)
    if trust == "context":
        verify = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        verify.load_verify_locations(cafile=str(cert))
    client = connect(key, secret, info.port, secure=True, verify=verify)
    try:
        await client.write_key("tls", minutes(30))
        await client.increment_key("tlsc", minutes(3, value=2))
        got = await client.read_key("tls", T0, T0 + timedelta(hours=1))
        assert got.data == minutes(30)
        assert [p.value for p in (await client.read_key("tlsc", T0, T0 + timedelta(hours=1))).data] == [2, 2, 2]
    finally:
        await client.aclose()
