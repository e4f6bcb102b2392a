"""What every request of one client shares: the base URL, credentials, headers and policies,
and ``call``, the one place where a request is sent, retried and turned into a response or error.
"""

from __future__ import annotations

import base64
import gzip
import ipaddress
import logging
import secrets
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import urlsplit

import msgspec

from tempodb._core.effects import Operation, Send, Sleep
from tempodb._core.errors import InvalidInputError, TransportError, error_for_response
from tempodb._core.retry import NO_RETRY, RetryPolicy
from tempodb._version import __version__
from tempodb._wire.http import Request, Response, header
from tempodb._wire.idempotency import KEY_HEADER, honours_keys

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_DEADLINE",
    "DEFAULT_GZIP_THRESHOLD",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "GzipThreshold",
    "Session",
    "base_url",
    "call",
    "gzip_threshold_for",
    "make_session",
]

log = logging.getLogger("tempodb")

DEFAULT_CHUNK_SIZE = 10_000
DEFAULT_GZIP_THRESHOLD = 64 * 1024
#: A body size from which requests are gzipped, None for never, or "auto": ``DEFAULT_GZIP_THRESHOLD``
#: for a remote server and never for one on this machine (see ``gzip_threshold_for``).
GzipThreshold = int | Literal["auto"] | None
#: How long one call may take in all, retries and their waits included (seconds).
DEFAULT_DEADLINE = 300.0
#: The largest response a transport reads, decompressed: a small gzip answer must not grow into
#: gigabytes of memory.
DEFAULT_MAX_RESPONSE_BYTES = 1 << 30
USER_AGENT = f"tempodb-python/{__version__}"


def base_url(host: str, port: int, secure: bool) -> str:
    """``https://host`` with ``:port`` only when it is not the scheme's default (as the 2013 client)."""
    scheme = "https" if secure else "http"
    default = 443 if secure else 80
    netloc = host if port == default else f"{host}:{port}"
    return f"{scheme}://{netloc}"


def gzip_threshold_for(url: str, threshold: GzipThreshold) -> int | None:
    """The body size from which requests to ``url`` are gzipped (None: never).

    ``"auto"`` compresses for a remote server only: to a loopback address the bytes never cross a
    network, so compressing costs CPU on both ends and saves nothing (a 200k-point ``write_key`` to
    ``tempodb serve`` on 127.0.0.1 ran 26% faster uncompressed, the server spending a fifth less CPU).
    """
    if threshold != "auto":
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0):
            raise InvalidInputError(f"gzip_threshold must be a byte count, None or 'auto', not {threshold!r}")
        return threshold
    host = urlsplit(url).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host.lower() == "localhost" or host.lower().endswith(".localhost")
    return None if loopback else DEFAULT_GZIP_THRESHOLD


def random_key() -> str:
    """A fresh ``Idempotency-Key``: 128 random bits, URL-safe (the default key source)."""
    return secrets.token_urlsafe(16)


class ServerTraits:
    """What a client learns about its server from the answers: the one mutable part of a session.

    ``honours_keys`` turns True on the first answer that advertises ``Idempotency-Key`` support and
    stays so (a plain bool: setting it from several threads at once is harmless).
    """

    __slots__ = ("honours_keys",)

    def __init__(self) -> None:
        self.honours_keys = False

    def learn(self, response: Response) -> None:
        if not self.honours_keys and honours_keys(response.headers):
            self.honours_keys = True


class Session:
    """A client's configuration, fixed at construction: base URL, credentials, retry policy, chunk
    size, gzip threshold and the deadline of one call.  Immutable, so operations in flight (and a
    writer's timer thread) can share it safely.  The secret lives only inside the prebuilt auth header.
    """

    __slots__ = ("_headers", "chunk_size", "deadline", "gzip_threshold", "key", "new_key", "prefix", "retry", "server")

    def __init__(
        self,
        key: str,
        secret: str,
        url: str,
        *,
        retry: RetryPolicy,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        gzip_threshold: GzipThreshold = "auto",
        deadline: float | None = None,
        new_key: Callable[[], str] = random_key,
    ) -> None:
        if not isinstance(key, str) or not isinstance(secret, str):
            raise InvalidInputError("key and secret must be strings")
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise InvalidInputError(f"chunk_size must be a positive integer, not {chunk_size!r}")
        if deadline is not None and (
            isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or not 0 < deadline < float("inf")
        ):
            raise InvalidInputError(f"deadline must be a positive number of seconds or None, not {deadline!r}")
        token = base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")
        headers = {"Authorization": f"Basic {token}", "User-Agent": USER_AGENT, "Accept-Encoding": "gzip"}
        fields = {
            "key": key,
            "prefix": url.rstrip("/") + "/v1",
            "retry": retry,
            "chunk_size": chunk_size,
            "gzip_threshold": gzip_threshold_for(url, gzip_threshold),
            "deadline": None if deadline is None else float(deadline),
            "_headers": headers,
            "new_key": new_key,
            "server": ServerTraits(),
        }
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    key: str
    prefix: str
    retry: RetryPolicy
    chunk_size: int
    gzip_threshold: int | None
    deadline: float | None
    #: Where each call that must not apply twice gets its ``Idempotency-Key`` (injected: tests are exact).
    new_key: Callable[[], str]
    server: ServerTraits
    _headers: dict[str, str]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Session is immutable: make a new one instead of setting {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Session is immutable: {name!r} cannot be deleted")

    def __repr__(self) -> str:
        return f"Session(key={self.key!r}, url={self.prefix!r})"

    def request(
        self, method: str, path: str, query: str = "", body: Any = None, *, idempotency_key: str | None = None
    ) -> Request:
        """A request for ``path`` under ``/v1``; ``body`` is JSON-encoded (and gzipped when large)."""
        headers = dict(self._headers)
        if idempotency_key is not None:
            headers[KEY_HEADER] = idempotency_key
        payload = b""
        if body is not None:
            payload = body if isinstance(body, bytes) else msgspec.json.encode(body)
            headers["Content-Type"] = "application/json"
            if self.gzip_threshold is not None and len(payload) >= self.gzip_threshold:
                # Level 1: most of the size win for a fraction of the CPU of the default level 9.
                payload = gzip.compress(payload, compresslevel=1, mtime=0)
                headers["Content-Encoding"] = "gzip"
        return Request(method, f"{self.prefix}{path}{query}", headers, payload)


def call(session: Session, request: Request, *, repeatable: bool) -> Operation[Response]:
    """Send ``request`` until it gets a 2xx answer, retrying what the policy allows.

    A ``repeatable`` request (read, write, range delete, update) is retried after any transport
    failure; one that is not (an increment, creating a series) only when the failure proves nothing
    was sent, or when it carries an ``Idempotency-Key`` and the server honours keys (then the retry
    is answered, not applied again).  Returns the response (200 or 207); raises the typed error
    otherwise.  The waits between tries never add up past the session's ``deadline`` (the core has
    no clock: the driver enforces the deadline on the wall clock, sends included).
    """
    policy = session.retry
    keyed = not repeatable and KEY_HEADER in request.headers
    waited = 0.0
    attempt = 0
    while True:
        log.debug("tempodb: %s %s (attempt %d, %d bytes)", request.method, request.target, attempt + 1, len(request.body))
        failure: Response | TransportError
        try:
            response = yield Send(request)
        except TransportError as exc:
            exc.request = request
            if not exc.transient:
                raise
            if not (repeatable or exc.not_sent or (keyed and (yield from _honours_keys(session)))):
                raise
            failure = exc
        else:
            assert response is not None
            session.server.learn(response)
            if response.status_code < 300:
                return response
            if not _retryable(session, response, repeatable=repeatable, keyed=keyed):
                raise error_for_response(response, request)
            if not repeatable and not (yield from _honours_keys(session)):
                raise error_for_response(response, request)
            failure = response
        delay = policy.wait(attempt, failure if isinstance(failure, Response) else None, waited)
        if delay is not None and session.deadline is not None and waited + delay >= session.deadline:
            delay = None  # waiting that long could only end in the deadline: report the failure now
        if delay is None:
            if isinstance(failure, Response):
                raise error_for_response(failure, request)
            raise failure
        what = failure.status_code if isinstance(failure, Response) else type(failure).__name__
        log.debug("tempodb: %s %s failed (%s); retrying in %.3fs", request.method, request.target, what, delay)
        waited += delay
        attempt += 1
        yield Sleep(delay)


def _retryable(session: Session, response: Response, *, repeatable: bool, keyed: bool) -> bool:
    """Whether an error answer may pass on a retry: a retryable status for a call that may be resent
    (a non-repeatable one only with a key), or a keyed call's 409 with ``Retry-After``, which is
    the server saying the same key is still in flight (another 409, "series exists", has none)."""
    if response.status_code in session.retry.statuses:
        return repeatable or keyed
    return keyed and response.status_code == 409 and bool(header(response.headers, "retry-after"))


def _honours_keys(session: Session) -> Operation[bool]:
    """Whether the server honours ``Idempotency-Key``; asked of it (one ``GET /v1/``, whose 404 says
    it like every answer) only when no answer has said so yet, so other servers cost one request
    per failure of unknown fate, and a proxy that strips the header makes the answer no."""
    if not session.server.honours_keys:
        try:
            response = yield Send(session.request("GET", "/"))
        except TransportError:
            return False
        assert response is not None
        session.server.learn(response)
    return session.server.honours_keys


def make_session(
    key: str,
    secret: str,
    url: str,
    *,
    retry: RetryPolicy | bool,
    chunk_size: int,
    gzip_threshold: GzipThreshold,
    clock: Callable[[], float],
    deadline: float | None = None,
) -> Session:
    """The session for a client's constructor arguments (shared by the sync and async clients).

    ``retry`` is True (the default policy), False (never retry) or a ``RetryPolicy``; ``clock`` is
    lent to the policy only to read ``Retry-After`` given as an HTTP date.
    """
    if retry is True:
        policy = RetryPolicy(clock=clock)
    elif retry is False:
        policy = NO_RETRY
    elif isinstance(retry, RetryPolicy):
        policy = retry if retry.clock is not None else msgspec.structs.replace(retry, clock=clock)
    else:
        raise InvalidInputError(f"retry must be True, False or a RetryPolicy, not {retry!r}")
    return Session(
        key, secret, url, retry=policy, chunk_size=chunk_size, gzip_threshold=gzip_threshold, deadline=deadline
    )
