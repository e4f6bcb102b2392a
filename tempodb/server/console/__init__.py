"""The web console: static files that ``tempodb serve`` hands out at ``/`` next to the API at ``/v1/``.

Everything here is public, unauthenticated and read-only: the console is HTML, CSS and JavaScript
that run in the browser and call the same ``/v1/`` API with the user's own key and secret (Basic
auth, from ``fetch``).  So serving it adds no way around authentication; it only adds files.

The files are read once, when the app is made, into a fixed table: a request can only ever name one
of them, so no path from a request reaches the file system.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from tempodb._wire.http import Response

if TYPE_CHECKING:
    from importlib.abc import Traversable

__all__ = ["CONSOLE_PREFIX", "SECURITY_HEADERS", "Console"]

#: Where the console's assets live; ``/`` itself is the page.
CONSOLE_PREFIX = "/console/"

# The page runs only our own script and style files and talks only to its own origin: no inline
# script or style (so an injected string can never run), no framing (clickjacking), and a form can
# never be submitted by the browser itself (it would put the secret in a URL).
_CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)

#: Sent with every console response.
SECURITY_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class _File:
    body: bytes
    content_type: str
    etag: str


class Console:
    """The console's files by URL path, and the answer to a request for one of them."""

    def __init__(self) -> None:
        self._files: dict[str, _File] = {}
        root = resources.files(__name__).joinpath("static")
        self._load(root, "")
        if "index.html" not in self._files:
            raise RuntimeError("the console's index.html is missing from the installed package; reinstall tempodb-revived")

    def _load(self, folder: Traversable, prefix: str) -> None:
        for entry in folder.iterdir():
            name = prefix + entry.name
            if entry.is_dir():
                self._load(entry, name + "/")
                continue
            suffix = "." + entry.name.rpartition(".")[2]
            if suffix not in _TYPES:
                continue
            body = entry.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            self._files[name] = _File(body, _TYPES[suffix], etag)

    def names(self) -> list[str]:
        """The asset names (paths under :data:`CONSOLE_PREFIX`), sorted."""
        return sorted(self._files)

    def size(self) -> int:
        """Bytes of all the console's files together."""
        return sum(len(f.body) for f in self._files.values())

    def owns(self, path: str) -> bool:
        """Whether ``path`` (without its query) is the console's to answer rather than the API's."""
        return path == "/" or path.startswith(CONSOLE_PREFIX)

    def answer(self, method: str, path: str, if_none_match: str = "") -> Response:
        """The response to ``method path`` for a path :meth:`owns`."""
        name = "index.html" if path == "/" else path[len(CONSOLE_PREFIX) :]
        file = self._files.get(name)
        if file is None:
            body = f"the console has no file {path[:200]!r}; open / for the console, /v1/ for the API".encode()
            return Response(404, {**SECURITY_HEADERS, "Content-Type": "text/plain; charset=utf-8"}, body)
        if method not in ("GET", "HEAD"):
            headers = {**SECURITY_HEADERS, "Allow": "GET, HEAD", "Content-Type": "text/plain; charset=utf-8"}
            return Response(405, headers, f"{path} is a console file: only GET and HEAD read it".encode())
        # no-cache: the browser keeps the file but asks each time; the ETag makes the answer a
        # 304 while the installed version is unchanged (the names carry no version to bust with).
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache", "ETag": file.etag}
        if file.etag in (tag.strip() for tag in if_none_match.split(",")):
            return Response(304, headers, b"")
        headers["Content-Type"] = file.content_type
        headers["Content-Length"] = str(len(file.body))
        return Response(200, headers, b"" if method == "HEAD" else file.body)
