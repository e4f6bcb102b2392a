"""The HTTP-facing rules of the engine: auth, routing, body limits, encodings, key escaping."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from tempodb._wire.http import Request
from tempodb.server import Engine, open_engine


def _raw(engine: Engine, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Any:
    return engine.handle(Request(method, "http://h" + target, headers, body))


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer abc", "Basic !!!notbase64", "Basic " + base64.b64encode(b"nocolon").decode(),
     "Basic " + base64.b64encode(b":secret").decode(), "Basic " + base64.b64encode(b"\xff\xfe:x").decode()],
)
def test_missing_or_garbled_credentials_are_401(engine: Engine, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = _raw(engine, "GET", "/v1/series/", headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="TempoDB"'


def test_open_mode_registers_first_secret(engine: Engine, caller: Any) -> None:
    assert caller(engine, "k", "first")("GET", "/v1/series/").status_code == 200
    wrong = caller(engine, "k", "second")("GET", "/v1/series/")
    assert wrong.status_code == 403 and wrong.body == b""
    assert caller(engine, "k", "first")("GET", "/v1/series/").status_code == 200
    assert caller(engine, "other", "second")("GET", "/v1/series/").status_code == 200


def test_open_mode_secret_survives_restart(durable_target: str, caller: Any) -> None:
    path = durable_target
    first = open_engine(path)
    assert caller(first, "k", "s")("GET", "/v1/series/").status_code == 200
    first.close()
    second = open_engine(path)
    assert caller(second, "k", "other")("GET", "/v1/series/").status_code == 403
    second.close()


def test_fixed_credentials(caller: Any, store_target: str) -> None:
    engine = open_engine(store_target, credentials={"alpha": "s1", "beta": "s2"})
    try:
        assert caller(engine, "alpha", "s1")("GET", "/v1/series/").status_code == 200
        assert caller(engine, "alpha", "s2")("GET", "/v1/series/").status_code == 403
        assert caller(engine, "gamma", "s1")("GET", "/v1/series/").status_code == 403
        assert caller(engine, "beta", "s2")("GET", "/v1/series/").status_code == 200
    finally:
        engine.close()


@pytest.mark.parametrize("target", ["/", "/v2/series/", "/v1/", "/v1/nothing/", "/v1/series/id/", "/v1/series/id/a/b/data/",
                                    "/v1/database/", "/series/"])
def test_unknown_route_is_404_text(api: Any, target: str) -> None:
    response = api("GET", target)
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/plain") and response.text


@pytest.mark.parametrize(("method", "target", "allow"), [
    ("PUT", "/v1/series/", "GET, POST, DELETE"),
    ("POST", "/v1/series/id/x/", "GET, PUT, DELETE"),
    ("GET", "/v1/multi/", "POST"),
    ("PATCH", "/v1/series/key/k/data/", "GET, POST, DELETE"),
    ("GET", "/v1/series/key/k/increment/", "POST"),
    ("POST", "/v1/single/", "GET"),
])
def test_wrong_method_is_405_with_allow(api: Any, method: str, target: str, allow: str) -> None:
    response = api(method, target)
    assert response.status_code == 405 and response.headers["Allow"] == allow and response.text


def test_trailing_slash_optional(api: Any) -> None:
    api.ok("POST", "/v1/series", {"key": "k"})
    assert api.ok("GET", "/v1/series")[0]["key"] == "k"
    api.ok("POST", "/v1/series/key/k/data", [{"t": "2012-01-01T00:00:00Z", "v": 1}])
    assert api.ok("GET", "/v1/data?start=2012-01-01&end=2012-01-02")[0]["data"][0]["v"] == 1


@pytest.mark.parametrize(("encoded", "key"), [
    ("ke%3Ay%2F1", "ke:y/1"), ("a%20b", "a b"), ("a+b", "a+b"), ("a%2Bb", "a+b"), ("x/data/y", "x/data/y"),
    ("a%20b%5Ed&e%3Ff%2Fg", "a b^d&e?f/g"), ("appid%C3%9C%3A1234.txn%3A%2Fdef%20ault.cou%2B()%2B%3D%7B%7Dnt", "appidÜ:1234.txn:/def ault.cou+()+={}nt"),
])
def test_keys_in_paths(api: Any, encoded: str, key: str) -> None:
    api.ok("POST", f"/v1/series/key/{encoded}/data/", [{"t": "2012-01-01T00:00:00Z", "v": 1}])
    api.ok("POST", f"/v1/series/key/{encoded}/increment/", [{"t": "2012-01-01T00:00:00Z", "v": 1}])
    if "/" not in encoded:  # a raw "/" is part of a key only before data/, increment/, single/, summary/
        assert api.ok("GET", f"/v1/series/key/{encoded}/")["key"] == key
    assert api.ok("GET", f"/v1/series/key/{encoded}/data/?start=2012-01-01&end=2012-01-02")["data"][0]["v"] == 2
    assert api.ok("GET", f"/v1/series/key/{encoded}/single/?ts=2012-01-01T00:00:00Z")["data"]["v"] == 2
    assert [s["key"] for s in api.ok("GET", "/v1/series/")] == [key]


def test_bad_json_bodies_are_400_text(api: Any) -> None:
    for body in (b"{not json", b"\xff\xfe", b'[{"t": "2012-01-01T00:00:00Z", "v": NaN}]', b'{"key": "k"'):
        response = api("POST", "/v1/series/key/k/data/", body)
        assert response.status_code == 400 and response.headers["Content-Type"].startswith("text/plain") and response.text
    assert api("POST", "/v1/series/", b"[1, 2]").status_code == 400
    assert api("PUT", "/v1/series/key/k/", b"").status_code == 400


def test_body_parsed_whatever_the_content_type(api: Any) -> None:
    response = api("POST", "/v1/series/", b'{"key": "k"}', {"Content-Type": "text/plain"})
    assert response.status_code == 200 and json.loads(response.body)["key"] == "k"


def test_body_limit_is_413(caller: Any) -> None:
    engine = open_engine(max_body_bytes=1000)
    try:
        api = caller(engine)
        big = [{"t": "2012-01-01T00:00:00Z", "v": i} for i in range(100)]
        response = api("POST", "/v1/series/key/k/data/", big)
        assert response.status_code == 413 and response.text
        # A small gzip body that inflates past the limit is refused too.
        bomb = gzip.compress(json.dumps(big).encode())
        assert len(bomb) < 1000
        response = api("POST", "/v1/series/key/k/data/", bomb, {"Content-Encoding": "gzip"})
        assert response.status_code == 413
    finally:
        engine.close()


def test_gzip_request_and_response(api: Any) -> None:
    points = [{"t": f"2012-01-01T00:{i // 60:02d}:{i % 60:02d}Z", "v": i} for i in range(200)]
    response = api("POST", "/v1/series/key/k/data/", gzip.compress(json.dumps(points).encode()), {"Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert api("POST", "/v1/series/key/k/data/", b"not gzip", {"Content-Encoding": "gzip"}).status_code == 400
    assert api("POST", "/v1/series/key/k/data/", b"[]", {"Content-Encoding": "br"}).status_code == 415
    target = "/v1/series/key/k/data/?start=2012-01-01&end=2012-01-02"
    plain = api("GET", target)
    assert "Content-Encoding" not in plain.headers
    zipped = api("GET", target, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped.body) == plain.body
    assert len(zipped.body) < len(plain.body)
    refused = api("GET", target, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    small = api("GET", "/v1/series/key/k/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers


def test_unexpected_failure_is_500_text(api: Any, monkeypatch: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(api.engine.store, "find_series", broken)
    response = api("GET", "/v1/series/")
    assert response.status_code == 500 and response.text == "internal server error"
