"""The engine's HTTP edge: who is calling, how big and how encoded the body is, whether the answer
is gzipped, and how a failure anywhere becomes a plain-text answer."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NoReturn

from tempodb._wire.columns import ColumnsResponse
from tempodb._wire.errors import InvalidInputError
from tempodb._wire.http import Request, Response, StreamedResponse, header
from tempodb.server import _gzip
from tempodb.server.secret_hash import hash_secret, verify_secret
from tempodb.server.storage import Store
from tempodb.server.store_rules import ReadOnlyStoreError, StoreUnavailableError

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "INTERNAL_ERROR",
    "JSON_TYPE",
    "TEXT_TYPE",
    "Failure",
    "Gate",
    "answer",
    "check_inflation",
    "check_size",
    "close_blocks",
    "fail",
    "inflate",
    "text_response",
    "too_large_message",
]

log = logging.getLogger("tempodb.server")

#: Request bodies above this many bytes get 413 (``tempodb serve --max-body-bytes`` changes it).
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
#: The whole text of every 500, from the engine and from the ASGI front alike: the cause goes to the log.
INTERNAL_ERROR = "internal server error"
#: The text of a 503 when the database is out of reach (the cause goes to the log, not to the client).
_UNAVAILABLE = "the database is unavailable; nothing was changed, try again shortly"
_READ_ONLY = "this server's database is a read-only replica; nothing was changed: send writes to a server on the primary"
JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="TempoDB"'}
_GZIP_OVER = 1024
_GZIP_MAGIC = b"\x1f\x8b"
_STREAM_OVER = 1 << 20  # a body this big is sent as it is produced (and gzipped at level 1)
_NO_GZIP = re.compile(r"gzip\s*;\s*q=0(\.0*)?(\s|,|$)")


class Failure(Exception):
    """Stops a handler with a finished error response."""

    def __init__(self, status: int, message: str = "", headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.response = text_response(status, message, headers)


def fail(status: int, message: str = "", headers: Mapping[str, str] | None = None) -> NoReturn:
    raise Failure(status, message, headers)


def text_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    out = dict(headers or {})
    if message:
        out["Content-Type"] = TEXT_TYPE
    return Response(status, out, message.encode("utf-8"))


def too_large_message(limit: int) -> str:
    """The text of every 413, from the engine and from the ASGI front alike."""
    return f"request body is over the {limit} byte limit; send fewer points per request"


def answer(
    request: Request, respond: Callable[[Request], Response], *, stream: bool = False, columns: bool = False
) -> Response:
    """``respond(request)``, with every failure turned into its answer and big JSON gzipped if welcome.

    A :class:`StreamedResponse` stays one only with ``stream`` and when its body is big (over
    ``_STREAM_OVER`` bytes, found by reading that much of it): otherwise its blocks are joined here,
    so a failure while producing them is still answered, and the bytes are as they always were.
    With ``columns`` a read's data sets are collected unrendered instead (``tempodb._wire.columns``),
    here too, so a failure while reading them is answered just the same.
    """
    try:
        response = respond(request)
        if isinstance(response, StreamedResponse):
            collect = getattr(response.blocks, "columns", None) if columns else None
            response = _settle(response, stream) if collect is None else _collected(response, collect)
    except Failure as failure:
        return failure.response
    except InvalidInputError as exc:
        return text_response(400, str(exc))
    except ReadOnlyStoreError:
        return text_response(503, _READ_ONLY)
    except StoreUnavailableError as exc:
        # Nothing was changed, so the client may resend: Retry-After makes its retry rules do so.
        log.warning("database unavailable on %s %s: %s", request.method, request.target.split("?", 1)[0], exc)
        return text_response(503, _UNAVAILABLE, {"Retry-After": "1"})
    except Exception:
        log.exception("unexpected failure on %s %s", request.method, request.target.split("?", 1)[0])
        return text_response(500, INTERNAL_ERROR)
    return _maybe_gzip(request, response)


class Gate:
    """HTTP Basic authentication; the key it accepts names the caller's database.

    A key whose database has a secret keeps it in every mode.  With ``credentials`` (key -> secret)
    only those pairs pass, and each configured secret is recorded in the store (replacing a
    different one stored for that key), so a later open-mode run on the same file still demands it.
    Without (open mode) a key with a stored secret needs that secret, and a key with none gets the
    first secret used with it, for this and every later process.

    The store keeps salted scrypt hashes (:mod:`tempodb.server.secret_hash`), never secrets.  So
    that only a key's first request in a process pays for scrypt, a verified secret is remembered
    as an HMAC under a random per-process key; a wrong secret is never remembered as right (the
    last few wrong ones are remembered as wrong, so a client retrying with one costs no scrypt).
    A process reads each key's stored secret once: restart it after replacing one.
    """

    _REMEMBER_REJECTED = 1024

    def __init__(self, store: Store, credentials: Mapping[str, str] | None) -> None:
        self._store = store
        self._pepper = os.urandom(32)
        self._lock = threading.Lock()
        self._verified: dict[str, bytes] = {}  # key -> digest of its secret, once the store confirmed it
        self._rejected: OrderedDict[tuple[str, bytes], None] = OrderedDict()
        self._configured: dict[str, bytes] | None = None
        if credentials is not None:
            self._configured = {key: self._digest(secret) for key, secret in credentials.items()}
            for key, secret in credentials.items():
                self._record(key, secret)

    def _digest(self, secret: str) -> bytes:
        return hmac.new(self._pepper, secret.encode("utf-8"), hashlib.sha256).digest()

    def _record(self, key: str, secret: str) -> None:
        """Store a configured key's secret, unless the store already holds that very secret."""
        record = self._store.secret_record(key)
        if record is not None:
            try:
                if verify_secret(secret, record):
                    return
            except ValueError:
                pass  # a damaged record: replaced below
            log.warning("the secret stored for key %r is not the configured one: the configured one replaces it", key)
        self._store.set_secret(key, hash_secret(secret))

    def database(self, request: Request) -> str:
        """The API key of an authenticated request; fails 401 without credentials, 403 with wrong ones."""
        scheme, _, encoded = header(request.headers, "Authorization").strip().partition(" ")
        try:
            if scheme.lower() != "basic":
                raise ValueError
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            fail(401, "", _CHALLENGE)
        key, colon, secret = decoded.partition(":")
        if not colon or not key:
            fail(401, "", _CHALLENGE)
        digest = self._digest(secret)
        if self._configured is not None:
            expected = self._configured.get(key)
            if expected is None or not hmac.compare_digest(expected, digest):
                fail(403)
            return key
        known = self._verified.get(key)
        if known is not None:
            # The key's secret is known: anything else is wrong, without asking scrypt.
            if not hmac.compare_digest(known, digest):
                fail(403)
            return key
        if (key, digest) in self._rejected:
            fail(403)
        if not self._check_stored(key, secret):
            with self._lock:
                self._rejected[(key, digest)] = None
                while len(self._rejected) > self._REMEMBER_REJECTED:
                    self._rejected.popitem(last=False)
            fail(403)
        with self._lock:
            self._verified[key] = digest
        return key

    def _check_stored(self, key: str, secret: str) -> bool:
        """Open mode: whether ``secret`` is the stored secret of ``key``, registering it if it has none."""
        record = self._store.secret_record(key)
        if record is None:
            mine = hash_secret(secret)
            record = self._store.register_secret(key, mine)
            if hmac.compare_digest(record, mine):
                return True  # ours went in (another caller may have won the race: then verify below)
        return verify_secret(secret, record)


def check_size(body: bytes, limit: int) -> None:
    if len(body) > limit:
        fail(413, too_large_message(limit))


def inflate(request: Request, limit: int) -> bytes:
    """The request body with its Content-Encoding (gzip or none) undone, within ``limit`` bytes."""
    body = request.body
    encoding = header(request.headers, "Content-Encoding").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        # An empty body has nothing to decode (a GET or DELETE may carry the header regardless).
        return _gunzip(body, limit) if body else body
    if encoding not in ("", "identity"):
        fail(415, f"unsupported Content-Encoding {encoding!r}: send the body plain or gzip-compressed")
    return body


def _gunzip(body: bytes, limit: int) -> bytes:
    """Every gzip member of ``body`` (RFC 1952 allows several), which must end exactly where it does."""
    out: list[bytes] = []
    size = 0
    rest = body
    while rest:
        if not rest.startswith(_GZIP_MAGIC):
            fail(
                400,
                f"the gzip body has {len(rest)} bytes of trailing data after the gzip stream; "
                "send only the compressed bytes",
            )
        inflater = zlib.decompressobj(wbits=31)
        try:
            # size <= limit here, so the cap is >= 1 (0 would mean "no cap" to zlib).
            chunk = inflater.decompress(rest, limit + 1 - size)
        except zlib.error:
            fail(400, "the body says Content-Encoding: gzip but is not valid gzip data")
        size += len(chunk)
        if size > limit or inflater.unconsumed_tail:
            fail(413, f"decompressed {too_large_message(limit)}")
        if not inflater.eof:
            fail(400, "the gzip body is truncated: it ends before its gzip stream does; send the whole compressed body")
        out.append(chunk)
        rest = inflater.unused_data
    return b"".join(out)


#: A gzip body may inflate at most this many times its sent size (past :data:`INFLATION_FLOOR` bytes).
#: Point data compresses 15-20x; a far higher ratio is a body built to cost the server, not to carry data.
MAX_INFLATION = 100
#: Bodies inflating to at most this many bytes are never refused for their ratio: they cost little.
INFLATION_FLOOR = 64 << 10


def check_inflation(sent: int, inflated: int) -> None:
    """Fails 413 when a compressed body of ``sent`` bytes inflated to more than :data:`MAX_INFLATION`
    times that (and past :data:`INFLATION_FLOOR`), before anything decodes what it inflated to."""
    if inflated > INFLATION_FLOOR and inflated > MAX_INFLATION * max(sent, 1):
        fail(
            413,
            f"the gzip body inflates {inflated // max(sent, 1)}x (from {sent} to {inflated} bytes), over the "
            f"{MAX_INFLATION}x limit; send fewer points per request",
        )


def _settle(response: StreamedResponse, stream: bool) -> Response:
    if not stream:
        return response.joined()
    head: list[bytes] = []
    size = 0
    for block in response.blocks:
        head.append(block)
        size += len(block)
        if size > _STREAM_OVER:
            return StreamedResponse(response.status_code, response.headers, blocks=_resume(head, response.blocks))
    return Response(response.status_code, response.headers, b"".join(head))


def _collected(response: StreamedResponse, collect: Callable[[], Any]) -> Response:
    """The in-process form of a read's answer: one data set or a list (``DataSetListSource``)."""
    found, render = collect()
    many = isinstance(found, list)
    return ColumnsResponse(
        response.status_code, response.headers, datasets=found if many else [found], many=many, render=render
    )


def _resume(head: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    """The blocks read ahead, then the rest; closing it closes the rest (and so the read)."""
    try:
        yield from head
        yield from rest
    finally:
        close_blocks(rest)


def close_blocks(blocks: Iterator[Any]) -> None:
    """End an iteration early: a generator's ``close`` releases what produces it (a read snapshot)."""
    close = getattr(blocks, "close", None)
    if close is not None:
        close()


def _maybe_gzip(request: Request, response: Response) -> Response:
    if isinstance(response, StreamedResponse):
        return _maybe_gzip_stream(request, response)
    if isinstance(response, ColumnsResponse):
        return response  # in process: no body to send, so none to compress
    if len(response.body) <= _GZIP_OVER or response.headers.get("Content-Type") != JSON_TYPE:
        return response
    if not _wants_gzip(request):
        return response
    # Big bodies get the fastest level: a million points compress 5x even at level 1.
    level = 1 if len(response.body) > 1 << 20 else 6
    headers = {**response.headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    return Response(response.status_code, headers, _gzip.compress(response.body, level))


def _wants_gzip(request: Request) -> bool:
    accepted = header(request.headers, "Accept-Encoding").lower()
    return "gzip" in accepted and not _NO_GZIP.search(accepted)


def _maybe_gzip_stream(request: Request, response: StreamedResponse) -> Response:
    # Streamed bodies are over _STREAM_OVER bytes: the level of big bodies, compressed as they go.
    if response.headers.get("Content-Type") != JSON_TYPE or not _wants_gzip(request):
        return response
    headers = {**response.headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    return StreamedResponse(response.status_code, headers, blocks=_gzip.compress_blocks(response.blocks, 1))
