"""The engine's HTTP edge: who is calling, how big and how encoded the body is, whether the answer
is gzipped, and how a failure anywhere becomes a plain-text answer."""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import re
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import NoReturn

from tempodb._wire.errors import InvalidInputError
from tempodb._wire.http import Request, Response, StreamedResponse, header
from tempodb.server import _gzip
from tempodb.server.storage import Store

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "INTERNAL_ERROR",
    "JSON_TYPE",
    "TEXT_TYPE",
    "Failure",
    "Gate",
    "answer",
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
JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="TempoDB"'}
_GZIP_OVER = 1024
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


def answer(request: Request, respond: Callable[[Request], Response], *, stream: bool = False) -> Response:
    """``respond(request)``, with every failure turned into its answer and big JSON gzipped if welcome.

    A :class:`StreamedResponse` stays one only with ``stream`` and when its body is big (over
    ``_STREAM_OVER`` bytes, found by reading that much of it): otherwise its blocks are joined here,
    so a failure while producing them is still answered, and the bytes are as they always were.
    """
    try:
        response = respond(request)
        if isinstance(response, StreamedResponse):
            response = _settle(response, stream)
    except Failure as failure:
        return failure.response
    except InvalidInputError as exc:
        return text_response(400, str(exc))
    except Exception:
        log.exception("unexpected failure on %s %s", request.method, request.target.split("?", 1)[0])
        return text_response(500, INTERNAL_ERROR)
    return _maybe_gzip(request, response)


class Gate:
    """HTTP Basic authentication; the key it accepts names the caller's database.

    With ``credentials`` (key -> secret) only those pairs pass.  Without (open mode) the first
    secret the store sees for a key becomes that key's secret, for this and every later process.
    """

    def __init__(self, store: Store, credentials: Mapping[str, str] | None) -> None:
        self._store = store
        self._credentials = dict(credentials) if credentials is not None else None
        self._secrets: dict[str, str] = {}  # open mode: secrets already confirmed by the store
        self._secrets_lock = threading.Lock()

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
        if self._credentials is not None:
            expected = self._credentials.get(key)
        else:
            expected = self._secrets.get(key)
            if expected is None:
                expected = self._store.register_secret(key, secret)
                with self._secrets_lock:
                    self._secrets[key] = expected
        if expected is None or not hmac.compare_digest(expected.encode("utf-8"), secret.encode("utf-8")):
            fail(403)
        return key


def check_size(body: bytes, limit: int) -> None:
    if len(body) > limit:
        fail(413, too_large_message(limit))


def inflate(request: Request, limit: int) -> bytes:
    """The request body with its Content-Encoding (gzip or none) undone, within ``limit`` bytes."""
    body = request.body
    encoding = header(request.headers, "Content-Encoding").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(wbits=31)
        try:
            body = inflater.decompress(body, limit + 1)
        except zlib.error:
            fail(400, "the body says Content-Encoding: gzip but is not valid gzip data")
        if len(body) > limit or inflater.unconsumed_tail:
            fail(413, f"decompressed {too_large_message(limit)}")
    elif encoding not in ("", "identity"):
        fail(415, f"unsupported Content-Encoding {encoding!r}: send the body plain or gzip-compressed")
    return body


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


def _resume(head: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    """The blocks read ahead, then the rest; closing it closes the rest (and so the read)."""
    try:
        yield from head
        yield from rest
    finally:
        close_blocks(rest)


def close_blocks(blocks: Iterator[bytes]) -> None:
    """End a streamed body early: a generator's ``close`` releases what produces it (a read snapshot)."""
    close = getattr(blocks, "close", None)
    if close is not None:
        close()


def _maybe_gzip(request: Request, response: Response) -> Response:
    if isinstance(response, StreamedResponse):
        return _maybe_gzip_stream(request, response)
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
