"""The transport contract: plain request and response values that any transport can carry.

A transport is any object with ``send(request) -> Response`` (or ``async def send``).  Nothing here
knows about sockets; the secret travels only inside the ``Authorization`` header, which ``repr``
never shows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

__all__ = ["ChunkedResponse", "Request", "Response", "StreamedResponse", "header"]

_REDACTED = "[redacted]"


def header(headers: Mapping[str, str], name: str, default: str = "") -> str:
    """Case-insensitive lookup in a header mapping."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return default


def _safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (_REDACTED if k.lower() == "authorization" else v) for k, v in headers.items()}


class Request(msgspec.Struct, frozen=True):
    """One HTTP request: ``url`` is absolute and carries the query string."""

    method: str
    url: str
    headers: dict[str, str] = {}
    body: bytes = b""

    def __repr__(self) -> str:
        return f"Request(method={self.method!r}, url={self.url!r}, headers={_safe_headers(self.headers)!r}, body=<{len(self.body)} bytes>)"

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        # msgspec's default rich repr lists raw fields, which would print the Authorization header.
        return [
            ("method", self.method),
            ("url", self.url),
            ("headers", _safe_headers(self.headers)),
            ("body", f"<{len(self.body)} bytes>"),
        ]

    @property
    def target(self) -> str:
        """The path and query of ``url`` (what goes on the HTTP request line)."""
        rest = self.url.split("://", 1)[-1]
        slash = rest.find("/")
        return "/" if slash < 0 else rest[slash:]


class Response(msgspec.Struct, frozen=True):
    """One HTTP response, already de-chunked and decompressed."""

    status_code: int
    headers: dict[str, str] = {}
    body: bytes = b""

    def __repr__(self) -> str:
        return f"Response(status_code={self.status_code}, headers={self.headers!r}, body=<{len(self.body)} bytes>)"

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class StreamedResponse(Response, frozen=True):
    """A server-side response whose body is produced block by block (``body`` stays empty).

    Big reads answer with one so the server never holds the whole body: the ASGI front sends the
    blocks as they come, and everything else (the engine's default, the in-process transport) gets
    a plain :class:`Response` with the blocks joined.  Iterate ``blocks`` once; closing it early
    releases what produces it.
    """

    blocks: Iterator[bytes] = iter(())

    def __repr__(self) -> str:
        return f"StreamedResponse(status_code={self.status_code}, headers={self.headers!r}, body=<streamed>)"

    def joined(self) -> Response:
        """The same response with its body in one piece."""
        return Response(self.status_code, self.headers, b"".join(self.blocks))


class ChunkedResponse(Response, frozen=True):
    """A response whose body a transport received in pieces and kept so (``body`` joins them on access).

    A reader that can parse the pieces one by one (the client core reading a data set) takes them
    with :meth:`take`, so each piece can be freed once parsed: a big read then never holds its
    whole body next to the models made from it.  After ``take`` the body is gone.
    """

    chunks: list[bytes] = msgspec.field(default_factory=list)
    size: int = 0

    @property  # type: ignore[misc]  # the joined pieces in place of the stored (empty) body
    def body(self) -> bytes:
        if sum(map(len, self.chunks)) != self.size:
            raise RuntimeError("this response's body was taken by a reader (ChunkedResponse.take)")
        return b"".join(self.chunks)

    def take(self) -> list[bytes]:
        """The pieces, in order; the response keeps none of them."""
        taken = list(self.chunks)
        self.chunks.clear()
        return taken

    def __repr__(self) -> str:
        return f"ChunkedResponse(status_code={self.status_code}, headers={self.headers!r}, body=<{self.size} bytes in {len(self.chunks)} pieces>)"
