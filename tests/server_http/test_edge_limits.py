"""Limits of ``tempodb serve`` on a real socket: nothing is read from a stranger, slow heads and
bodies are cut off, bodies held at once and connections are capped, and the Host header cannot
route a request (issue 11)."""

from __future__ import annotations

import base64
import contextlib
import gzip
import http.client
import json
import resource
import socket
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

import tempodb
from tempodb._wire.idempotency import RETENTION_HEADER
from tempodb.server.handlers.multi import MAX_ITEMS, MAX_REFUSED
from tempodb.testing import ServerInfo, ServerProcess, run_server

KEY, SECRET = "edge-key", "edge-secret"
T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)
T1 = datetime(2012, 1, 2, tzinfo=timezone.utc)
ADVERTISED = RETENTION_HEADER.lower()
AUTH = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
LIMITS = [
    "--max-body-bytes", "100000",
    "--max-inflight-body-bytes", "150000",
    "--body-timeout", "1",
    "--header-timeout", "1",
    "--max-connections", "40",
]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with run_server(tmp_path_factory.mktemp("edge"), credentials={KEY: SECRET}, extra_args=LIMITS) as running:
        yield running


def connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection((server.info.host, server.info.port), timeout=5)
    return sock


def head(method: str, target: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response (status, lower-cased headers, body), read until Content-Length is satisfied."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head: {data!r}")
        data += chunk
    top, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = top.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closes ``sock`` (reading and dropping what it sends), or None."""
    start = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - start < seconds:
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - start
        except TimeoutError:
            continue
        except ConnectionResetError:
            return time.monotonic() - start
    return None


def client(server: ServerProcess) -> tempodb.Client:
    return tempodb.Client(KEY, SECRET, server.info.host, server.info.port, False, retry=False)


def test_a_stranger_is_refused_before_the_body_is_read(server: ServerProcess) -> None:
    with connect(server) as sock:
        # 60 MB declared (over no limit check: the credentials are asked first), 1 KB sent.
        sock.sendall(head("POST", "/v1/multi/", {"Host": "127.0.0.1", "Content-Length": "99999"}) + b"[" * 1024)
        status, headers, _ = read_answer(sock)
        assert status == 401
        assert headers.get("connection") == "close"
        assert closed_within(sock, 3) is not None


def test_a_wrong_secret_is_refused_before_the_body_is_read(server: ServerProcess) -> None:
    wrong = "Basic " + base64.b64encode(f"{KEY}:nope".encode()).decode()
    with connect(server) as sock:
        sock.sendall(head("POST", "/v1/multi/", {"Host": "h", "Authorization": wrong, "Content-Length": "99999"}))
        status, _, _ = read_answer(sock)
        assert status == 403


def test_a_slow_body_gets_408_and_the_connection_is_closed(server: ServerProcess) -> None:
    with connect(server) as sock:
        sock.sendall(head("POST", "/v1/multi/", {"Host": "h", "Authorization": AUTH, "Content-Length": "1000"}) + b"[")
        started = time.monotonic()
        status, headers, body = read_answer(sock)
        assert status == 408, body
        assert 0.8 < time.monotonic() - started < 3
        assert b"did not arrive within 1 s" in body
        assert headers.get("connection") == "close"
        assert headers.get(ADVERTISED) == "86400"  # the front's own answers say keys are honoured too


def test_a_body_over_the_limit_gets_413_before_it_is_sent_and_says_keys_are_honoured(server: ServerProcess) -> None:
    with connect(server) as sock:
        sock.sendall(head("POST", "/v1/multi/", {"Host": "h", "Authorization": AUTH, "Content-Length": "100001"}))
        status, headers, body = read_answer(sock)
    assert status == 413, body
    # A client retrying an increment after this answer need not ask whether keys are honoured.
    assert headers.get(ADVERTISED) == "86400"


def test_bodies_held_at_once_are_capped_with_503(server: ServerProcess) -> None:
    with contextlib.ExitStack() as stack:
        holders = [stack.enter_context(connect(server)) for _ in range(2)]
        for sock in holders:  # 2 x 70 KB of the 150 KB budget, each body unfinished
            sock.sendall(head("POST", "/v1/multi/", {"Host": "h", "Authorization": AUTH, "Content-Length": "70000"}) + b"[")
        time.sleep(0.3)
        with connect(server) as third:
            third.sendall(head("POST", "/v1/multi/", {"Host": "h", "Authorization": AUTH, "Content-Length": "70000"}))
            status, headers, body = read_answer(third)
        assert status == 503, body
        assert headers.get("retry-after") == "1"
        assert headers.get(ADVERTISED) == "86400"
        for sock in holders:
            assert read_answer(sock)[0] == 408
    # Once they are gone, the budget is whole again.
    with client(server) as c:
        c.write_multi([{"key": "budget", "t": T0, "v": 1.0}])


def test_the_host_header_cannot_change_the_route(server: ServerProcess) -> None:
    with client(server) as c:
        c.write_key("public", [tempodb.DataPoint(T0, 1.0)])
        c.write_key("private", [tempodb.DataPoint(T0, 2.0)])
    target = "/v1/series/key/public/data/?start=2011-01-01T00:00:00Z&end=2013-01-01T00:00:00Z"
    with connect(server) as sock:
        evil = "127.0.0.1/v1/series/?allow_truncation=true&x="
        sock.sendall(head("DELETE", target, {"Host": evil, "Authorization": AUTH, "Content-Length": "0"}))
        status, _, body = read_answer(sock)
    assert status == 400
    assert b"Host header" in body
    with client(server) as c:
        assert {s.key for s in c.get_series()} >= {"public", "private"}
    with connect(server) as sock:  # a plain host:port still works, and routes on the target alone
        sock.sendall(head("DELETE", target, {"Host": "example.test:80", "Authorization": AUTH, "Content-Length": "0"}))
        assert read_answer(sock)[0] == 200
    with client(server) as c:
        assert {s.key for s in c.get_series()} >= {"public", "private"}
        assert len(c.read_key("public", T0, T1).data) == 0
        assert len(c.read_key("private", T0, T1).data) == 1


def test_a_connection_without_a_complete_head_is_closed(server: ServerProcess) -> None:
    with connect(server) as silent, connect(server) as partial:
        partial.sendall(b"GET /v1/series/ HTTP/1.1\r\nHost: h\r\nX-Slow: ")
        assert (closed_within(silent, 4) or 99) < 3
        assert (closed_within(partial, 4) or 99) < 3


def test_a_partial_head_after_a_keep_alive_request_is_closed(server: ServerProcess) -> None:
    with connect(server) as sock:
        sock.sendall(head("GET", "/v1/series/", {"Host": "h", "Authorization": AUTH}))
        assert read_answer(sock)[0] == 200
        sock.sendall(b"GET /v1/series/ HTTP/1.1\r\nHo")  # stops the keep-alive timer, starts the head deadline
        assert (closed_within(sock, 4) or 99) < 3


def test_connections_past_the_cap_get_503(server: ServerProcess) -> None:
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(connect(server)) for _ in range(40)]
        time.sleep(0.2)
        extra = stack.enter_context(connect(server))
        status, headers, body = read_answer(extra)
        assert status == 503
        assert b"connections" in body
        assert headers.get(ADVERTISED) == "86400"
        del socks
    time.sleep(0.3)
    with client(server) as c:
        c.get_series()


def test_the_server_log_has_no_traceback(server: ServerProcess) -> None:
    assert "Traceback" not in server.log_path.read_text("utf-8", "replace")


# --- multi writes: the answer stays proportionate (finding 2) -------------------------------------


def post_multi(info: ServerInfo, key: str, items: list[bytes]) -> tuple[int, bytes]:
    auth = "Basic " + base64.b64encode(f"{key}:s".encode()).decode()
    body = gzip.compress(b"[" + b",".join(items) + b"]")
    connection = http.client.HTTPConnection(info.host, info.port, timeout=30)
    try:
        connection.request("POST", "/v1/multi/", body, {"Authorization": auth, "Content-Encoding": "gzip"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_multi_body_over_the_item_cap_gets_413_unjudged(tempodb_server: ServerInfo) -> None:
    status, body = post_multi(tempodb_server, "cap", [b"1"] * (MAX_ITEMS + 1))
    assert status == 413
    assert b"send fewer points per request" in body
    assert len(body) < 200


def test_more_bad_items_than_a_207_lists_refuses_the_whole_body(tempodb_server: ServerInfo) -> None:
    key = tempodb_server.new_credentials()[0]
    good = b'{"key":"landed","t":"2012-01-01T00:00:00Z","v":1}'
    status, body = post_multi(tempodb_server, key, [good] + [b"1"] * (MAX_REFUSED + 1))
    assert status == 400
    assert b"nothing was written" in body and b"item 1: " in body
    assert len(body) < 1000
    # At the limit the 207 still lists each item, and the good one lands.
    status, body = post_multi(tempodb_server, key, [good] + [b"1"] * MAX_REFUSED)
    assert status == 207
    statuses = json.loads(body)["multistatus"]
    assert [s["status"] for s in statuses] == ["200"] + ["422"] * MAX_REFUSED
    with tempodb.Client(key, "s", tempodb_server.host, tempodb_server.port, False, retry=False) as c:
        assert len(c.read_key("landed", T0, T1).data) == 1


# --- running out of descriptors is one log line, not a traceback per accept (finding 5) -----------


def test_running_out_of_descriptors_is_logged_once_and_the_server_recovers(tmp_path: Path) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(64, hard), hard))  # inherited by the server only
    try:
        starting = run_server(tmp_path, credentials={KEY: SECRET}, extra_args=["--max-connections", "500"])
        running = starting.__enter__()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        with contextlib.ExitStack() as stack:
            for _ in range(80):  # more than the server has descriptors for
                stack.enter_context(connect(running))
            time.sleep(1.2)  # asyncio retries accept() once a second while it fails
        time.sleep(0.5)
        with client(running) as c:
            c.get_series()
    finally:
        starting.__exit__(None, None, None)
    log = running.log_path.read_text("utf-8", "replace")  # after the stop: asyncio's retries fire then
    assert "Traceback" not in log
    assert log.count("cannot accept connections") == 1, log[-2000:]


def test_a_gzip_body_that_inflates_too_far_is_refused_before_decoding(tempodb_server: ServerInfo) -> None:
    status, body = post_multi(tempodb_server, "bomb", [b'{"key":"k","v":1}'] * 50_000)  # 900 KB from ~2 KB
    assert status == 413
    assert b"over the 100x limit" in body and b"send fewer points per request" in body
