"""``python -m tempodb.server`` as a process: startup line, clean stop, body limit, durability, TLS, auth."""

from __future__ import annotations

import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tempodb.testing import run_server, self_signed_certificate

RANGE = {"start": "2012-01-01T00:00:00Z", "end": "2012-01-02T00:00:00Z"}
POINTS = [{"t": "2012-01-01T00:00:00Z", "v": 1.25}, {"t": "2012-01-01T00:00:01Z", "v": 2.5}]
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _status_of(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


def _recv_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


@posix_only
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly_after_one_url_line(tmp_path: Path, signum: int) -> None:
    with run_server(tmp_path, extra_args=["--log-level", "info"]) as server:
        assert httpx.get(server.info.url + "series/", auth=("k", "s"), timeout=10).status_code == 200
        server.process.send_signal(signum)
        assert server.process.wait(20) == 0
        lines = server.stdout_path.read_text().splitlines()
        assert lines == [f"tempodb serving on {server.info.url}"]
        log = server.log_path.read_text()
        assert "OPEN MODE" in log
        assert "Application shutdown complete" in log  # the lifespan closed the engine


def test_declared_body_over_limit_gets_413_before_upload(tmp_path: Path) -> None:
    with run_server(tmp_path, extra_args=["--max-body-bytes", "1000"]) as server, socket.create_connection(
        (server.info.host, server.info.port), timeout=10
    ) as sock:
        # Announce 10 MB, send only 100 bytes: the answer must come without the rest.
        sock.sendall(
            b"POST /v1/multi/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic azpz\r\n"
            b"Content-Length: 10000000\r\n\r\n" + b"[" * 100
        )
        assert _status_of(_recv_head(sock)) == 413


def test_chunked_body_over_limit_gets_413_without_the_end(tmp_path: Path) -> None:
    with run_server(tmp_path, extra_args=["--max-body-bytes", "1000"]) as server, socket.create_connection(
        (server.info.host, server.info.port), timeout=10
    ) as sock:
        sock.sendall(b"POST /v1/multi/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic azpz\r\nTransfer-Encoding: chunked\r\n\r\n")
        # 1.2 kB of chunks and no terminating zero-length chunk: the server must answer anyway.
        for _ in range(3):
            sock.sendall(b"190\r\n" + b"[" * 400 + b"\r\n")
        assert _status_of(_recv_head(sock)) == 413


def test_body_within_limit_is_served(tmp_path: Path) -> None:
    with run_server(tmp_path, extra_args=["--max-body-bytes", "1000"]) as server:
        response = httpx.post(server.info.url + "series/key/k/data/", json=POINTS, auth=("k", "s"), timeout=10)
        assert response.status_code == 200
        too_big = httpx.post(server.info.url + "series/key/k/data/", content=b"[" + b" " * 2000 + b"]", auth=("k", "s"), timeout=10)
        assert too_big.status_code == 413


@posix_only
def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "durable.db"
    creds = {"dkey": "dsecret"}
    with run_server(tmp_path / "first", db_path=db, credentials=creds) as server:
        written = httpx.post(server.info.url + "series/key/d%2F1/data/", json=POINTS, auth=("dkey", "dsecret"), timeout=10)
        assert written.status_code == 200
        assert server.kill() == -9
    with run_server(tmp_path / "second", db_path=db, credentials=creds) as server:
        read = httpx.get(server.info.url + "series/key/d%2F1/data/", params=RANGE, auth=("dkey", "dsecret"), timeout=10)
        assert read.status_code == 200
        assert [(p["v"]) for p in read.json()["data"]] == [1.25, 2.5]


def test_configured_credentials_are_enforced(tmp_path: Path) -> None:
    with run_server(tmp_path, credentials={"k1": "s1", "k2": "s:2"}) as server:
        url = server.info.url + "series/"
        assert (server.info.key, server.info.other_key) == ("k1", "k2")
        assert httpx.get(url, auth=("k1", "s1"), timeout=10).status_code == 200
        assert httpx.get(url, auth=("k2", "s:2"), timeout=10).status_code == 200
        assert httpx.get(url, auth=("k1", "wrong"), timeout=10).status_code == 403
        assert "OPEN MODE" not in server.log_path.read_text()


def test_unpaired_key_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tempodb.server", "--port", "0", "--db", ":memory:", "--key", "lonely"],
        capture_output=True,
        timeout=20,
    )
    assert done.returncode == 2
    assert done.stdout == b""
    assert b"pairs" in done.stderr


def test_tls(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    with run_server(tmp_path, extra_args=["--certfile", str(cert), "--keyfile", str(key)]) as server:
        assert server.info.url.startswith("https://127.0.0.1:")
        assert server.info.secure
        context = ssl.create_default_context(cafile=str(cert))
        response = httpx.get(server.info.url + "series/", auth=("k", "s"), verify=context, timeout=10)
        assert response.status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.info.url + "series/", auth=("k", "s"), timeout=10)  # untrusted certificate


def test_listening_socket_is_declared_tcp_so_responses_are_not_delayed() -> None:
    # asyncio sets TCP_NODELAY on accepted sockets only when the listener's proto is TCP; without
    # it, Nagle and delayed ACKs held every response ~40 ms (found by benchmarks/overhead.py).
    from tempodb.server.serve import _bind

    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
