"""Step core operations by hand: a scripted list of responses/exceptions in, every yielded effect out.

No network, no clock, no sleeping: ``Sleep`` effects are recorded and answered at once.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tempodb._core.effects import Effect, Send, Sleep
from tempodb._core.retry import RetryPolicy
from tempodb._core.session import DEFAULT_GZIP_THRESHOLD, GzipThreshold, Session, make_session
from tempodb._wire.http import Request, Response, header
from tempodb._wire.idempotency import RETENTION_HEADER

KEY = "api-key-123"
SECRET = "Sup3r-S3cret-Value"
URL = "http://tempo.test"

Step = Response | BaseException


class Jitter:
    """An injected jitter source: returns the given values in turn (the last one repeats)."""

    def __init__(self, *values: float) -> None:
        self.values = list(values) or [0.5]
        self.calls = 0

    def __call__(self) -> float:
        value = self.values[min(self.calls, len(self.values) - 1)]
        self.calls += 1
        return value


def make(
    *,
    retry: RetryPolicy | bool | None = None,
    chunk_size: int = 10_000,
    gzip_threshold: GzipThreshold = DEFAULT_GZIP_THRESHOLD,
    clock: Callable[[], float] = lambda: 0.0,
    url: str = URL,
) -> Session:
    """A session with a deterministic retry policy (jitter 0.5 unless told otherwise)."""
    policy: RetryPolicy | bool = RetryPolicy(jitter=Jitter(0.5)) if retry is None else retry
    return make_session(
        KEY, SECRET, url, retry=policy, chunk_size=chunk_size, gzip_threshold=gzip_threshold, clock=clock
    )


def ok(body: bytes | str = b"", status: int = 200) -> Response:
    data = body.encode() if isinstance(body, str) else body
    return Response(status, {"Content-Type": "application/json"} if data else {}, data)


def status(code: int, body: bytes | str = b"", headers: dict[str, str] | None = None) -> Response:
    data = body.encode() if isinstance(body, str) else body
    return Response(code, headers or {}, data)


@dataclass
class Run:
    effects: list[Effect] = field(default_factory=list)
    probes: list[Request] = field(default_factory=list)  # "do you honour Idempotency-Key?" asks
    result: Any = None
    error: BaseException | None = None

    @property
    def requests(self) -> list[Request]:
        return [e.request for e in self.effects if isinstance(e, Send)]

    @property
    def sleeps(self) -> list[float]:
        return [e.seconds for e in self.effects if isinstance(e, Sleep)]

    @property
    def value(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


def is_probe(request: Request) -> bool:
    return request.method == "GET" and path_of(request) == "/v1/"


def drive(op: Any, script: Iterable[Step] = (), *, strict: bool = True, honours_keys: bool = False) -> Run:
    """Run ``op`` to completion, answering each ``Send`` with the next scripted step.

    A Response is sent in; an exception is thrown in.  More requests than steps is a test failure;
    with ``strict`` so is a step left unused.  The operation's own error is captured in ``run.error``.
    The client's probe for idempotency-key support (``GET /v1/``) is answered apart from the script,
    as a server that does (``honours_keys``) or does not honour keys would, and kept in ``run.probes``.
    """
    steps = list(script)
    used = 0
    run = Run()
    reply: Response | None = None
    throw: BaseException | None = None
    while True:
        try:
            effect = op.throw(throw) if throw is not None else op.send(reply)
        except StopIteration as stop:
            run.result = stop.value
            break
        except Exception as exc:
            run.error = exc
            break
        reply, throw = None, None
        if isinstance(effect, Send) and is_probe(effect.request):
            run.probes.append(effect.request)
            reply = Response(404, {RETENTION_HEADER: "86400"} if honours_keys else {})
            continue
        run.effects.append(effect)
        if isinstance(effect, Sleep):
            continue
        assert isinstance(effect, Send), f"unknown effect {effect!r}"
        if used >= len(steps):
            op.close()
            raise AssertionError(f"unexpected request #{used + 1}: {effect.request!r}")
        step = steps[used]
        used += 1
        if isinstance(step, BaseException):
            throw = step
        else:
            reply = step
    if strict:
        assert used == len(steps), f"only {used} of {len(steps)} scripted steps were used"
    return run


def body_bytes(request: Request) -> bytes:
    if header(request.headers, "Content-Encoding") == "gzip":
        return gzip.decompress(request.body)
    return request.body


def body_json(request: Request) -> Any:
    return json.loads(body_bytes(request))


def path_of(request: Request) -> str:
    return urlsplit(request.url).path


def query_of(request: Request) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
