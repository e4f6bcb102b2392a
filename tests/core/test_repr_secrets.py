"""The API secret never shows: not in reprs, not in any error raised for a request that carried it."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import pytest
from core_driver import KEY, SECRET, drive, make, ok, status

from tempodb._core import ops
from tempodb._core.effects import Send
from tempodb._core.errors import (
    ConnectError,
    HTTPError,
    MultiStatusError,
    PartialWriteError,
    ProtocolError,
    RequestTimeoutError,
    TempoDBError,
)
from tempodb._core.models import DataPoint
from tempodb._wire.http import Request
from tempodb._wire.keys import SeriesRef

TOKEN = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
T0 = datetime(2012, 1, 1)


def assert_secret_free(text: str) -> None:
    assert SECRET not in text
    assert TOKEN not in text
    assert base64.b64encode(SECRET.encode()).decode() not in text


def test_session_repr() -> None:
    session = make()
    assert_secret_free(repr(session))
    assert_secret_free(str(session))
    assert KEY in repr(session)


def test_request_repr_redacts_authorization() -> None:
    run = drive(ops.write_points(make(), SeriesRef("key", "k"), [DataPoint(T0, 1)]), [ok()])
    [request] = run.requests
    assert request.headers["Authorization"] == f"Basic {TOKEN}"  # the real header still travels
    for text in (repr(request), str(request), repr(Send(request)), repr(run.effects), f"{request!r}"):
        assert_secret_free(text)
    assert "[redacted]" in repr(request)


def test_rich_repr_redacts_authorization() -> None:
    request = Request("POST", "http://x/v1/series/", {"Authorization": f"Basic {TOKEN}"}, b"{}")
    fields = dict(request.__rich_repr__())  # what rich / IPython pretty printers show
    assert_secret_free(repr(fields))
    assert fields["headers"] == {"Authorization": "[redacted]"}


def test_request_repr_redacts_any_header_case() -> None:
    request = Request("GET", "http://x/v1/series/", {"authorization": f"Basic {TOKEN}"})
    assert_secret_free(repr(request))


ERROR_STEPS: list[Any] = [
    status(400, "bad"), status(401), status(403), status(404), status(409, "exists"), status(413),
    status(429), status(500, "oops"), status(503), status(418),
    ConnectError("refused"), RequestTimeoutError("slow"), ProtocolError("cut"),
]


@pytest.mark.parametrize("step", ERROR_STEPS, ids=repr)
@pytest.mark.parametrize(
    "factory",
    [
        lambda s: ops.read_one(s, SeriesRef("key", "k"), T0, datetime(2012, 1, 2)),
        lambda s: ops.create_series(s, "k"),
        lambda s: ops.increment_points(s, SeriesRef("key", "k"), [DataPoint(T0, 1)]),
    ],
    ids=["read", "create", "increment"],
)
def test_errors_never_show_the_secret(factory: Any, step: Any) -> None:
    run = drive(factory(make(retry=False)), [step])
    error = run.error
    assert isinstance(error, TempoDBError)
    inner = error.cause if isinstance(error, PartialWriteError) else error
    assert getattr(inner, "request", None) is not None  # the error does carry the request...
    for text in (str(error), repr(error), str(inner), repr(inner), repr(getattr(inner, "request", None))):
        assert_secret_free(text)  # ...but never its secret
    if isinstance(inner, HTTPError):
        assert f"HTTP {inner.status_code}" in str(inner)


def test_error_that_echoes_the_authorization_header_is_shown_only_as_the_server_sent_it() -> None:
    # The server's own text is quoted verbatim; the client adds nothing secret to it.
    run = drive(ops.get_series_one(make(retry=False), SeriesRef("key", "k")), [status(403)])
    assert isinstance(run.error, HTTPError)
    assert_secret_free(str(run.error))
    assert "GET /v1/series/key/k/" in str(run.error)


def test_multistatus_error_text() -> None:
    body = '{"multistatus":[{"status":"422","messages":["Must provide a numeric value"]}]}'
    run = drive(ops.write_multi(make(), [{"t": T0, "key": "k", "v": 1}]), [status(207, body)])
    assert isinstance(run.error, MultiStatusError)
    assert_secret_free(str(run.error))
    assert_secret_free(repr(run.error))
