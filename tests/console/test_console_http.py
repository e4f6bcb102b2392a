"""The console over real HTTP: its files and their security headers, ``--no-console``, and an API
at ``/v1/`` that the console leaves exactly as it was (credentials still required)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tempodb.server.console import CONSOLE_PREFIX, SECURITY_HEADERS, Console
from tempodb.testing import ServerInfo, run_server

STATIC = Path(__file__).resolve().parents[2] / "tempodb" / "server" / "console" / "static"


@pytest.fixture(scope="module")
def http(tempodb_server: ServerInfo) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{tempodb_server.port}") as client:
        yield client


def _assert_secure(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name
    csp = response.headers["content-security-policy"]
    # No inline code: neither 'unsafe-inline' nor 'unsafe-eval' anywhere, framing refused.
    assert "unsafe" not in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_the_page_at_root(http: httpx.Client) -> None:
    response = http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-cache"
    _assert_secure(response)
    assert "<title>tempodb console</title>" in response.text


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("console/app.css", "text/css; charset=utf-8"), ("console/js/app.js", "text/javascript; charset=utf-8")],
)
def test_assets_with_their_types_and_etags(http: httpx.Client, path: str, content_type: str) -> None:
    response = http.get("/" + path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    _assert_secure(response)
    assert response.content == (STATIC / path.removeprefix("console/")).read_bytes()
    again = http.get("/" + path, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    head = http.head("/" + path)
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(response.content))


def _raw_get(port: int, target: str) -> bytes:
    """The answer to a GET sent byte for byte, so no client tidies ``..`` out of the path first."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_unknown_files_and_other_methods(http: httpx.Client, tempodb_server: ServerInfo) -> None:
    for path in ("/console/nope.js", "/console/%2e%2e/__init__.py", "/console/js/"):
        response = http.get(path)
        assert response.status_code == 404, path
        _assert_secure(response)
    # Only names from the table built at startup are served: no path reaches the file system.
    for target in ("/console/../__init__.py", "/console/js/../../__init__.py", "/console//etc/passwd"):
        answer = _raw_get(tempodb_server.port, target)
        assert answer.startswith(b"HTTP/1.1 404 "), (target, answer[:100])
        assert b"import" not in answer and b"root:" not in answer
    post = http.post("/", content=b"x")
    assert post.status_code == 405
    assert post.headers["allow"] == "GET, HEAD"


def test_the_api_is_unchanged_and_still_needs_credentials(http: httpx.Client, tempodb_server: ServerInfo) -> None:
    assert http.get("/v1/series/").status_code == 401
    listed = http.get("/v1/series/", auth=(tempodb_server.key, tempodb_server.secret))
    assert listed.status_code == 200
    assert listed.headers["content-type"] == "application/json"
    assert "content-security-policy" not in listed.headers
    assert http.get("/v1/").status_code == 404
    # Paths outside / and /console/ are the API's, as before: 404 from the engine.
    assert http.get("/index.html").status_code == 404


def test_no_console_turns_it_off(tmp_path: Path) -> None:
    with run_server(tmp_path, extra_args=["--no-console"]) as server, httpx.Client(base_url=f"http://127.0.0.1:{server.info.port}") as http:
        for path in ("/", "/console/js/app.js"):
            response = http.get(path)
            assert response.status_code == 404
            assert "content-security-policy" not in response.headers
        assert http.get("/v1/series/", auth=(server.info.key, server.info.secret)).status_code == 200


def test_every_file_the_page_names_is_served() -> None:
    console = Console()
    names = set(console.names())
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    wanted = {m.removeprefix(CONSOLE_PREFIX) for m in re.findall(r'(?:src|href)="(/console/[^"]+)"', page)}
    for script in (STATIC / "js").glob("*.js"):
        wanted |= {f"js/{m}" for m in re.findall(r'from "\./([^"]+)"', script.read_text(encoding="utf-8"))}
    assert wanted <= names
    assert {"index.html", "app.css", "js/app.js"} <= names


def test_the_sources_keep_to_the_security_rules() -> None:
    """What the CSP would block, or what could leak or inject, is not in the source at all."""
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None, "inline script"
    assert "<style" not in page and " style=" not in page, "inline style"
    assert re.search(r"\son[a-z]+=", page) is None, "inline event handler"
    for script in (STATIC / "js").glob("*.js"):
        text = script.read_text(encoding="utf-8")
        for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function", 'setAttribute("style"', "console.log", "localStorage"):
            assert banned not in text, f"{script.name}: {banned}"
