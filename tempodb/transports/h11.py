"""An example transport on h11 over one plain socket: proof that the core embeds in any I/O.

Fifty lines that speak HTTP/1.1 with keep-alive, decompress gzip, and map socket failures to the
core's transport errors (so retries stay safe).  Plain HTTP only; use it as a starting point for a
transport of your own, not as the default (that is httpx).
"""

from __future__ import annotations

import socket
import time
import zlib
from urllib.parse import urlsplit

import h11

from tempodb._core.errors import ConnectError, ProtocolError, RequestTimeoutError, ResponseTooLargeError
from tempodb._core.session import DEFAULT_MAX_RESPONSE_BYTES
from tempodb._wire.http import Request, Response, header

__all__ = ["H11Transport"]


class H11Transport:
    """``send(request) -> Response`` over a kept-alive socket to the request's host and port."""

    def __init__(self, timeout: float = 30.0, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES) -> None:
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self._end = float("inf")
        self._sock: socket.socket | None = None
        self._conn = h11.Connection(h11.CLIENT)
        self._peer: tuple[str, int] | None = None

    def _connect(self, host: str, port: int, request: Request) -> socket.socket:
        if self._sock is not None and self._peer == (host, port) and self._conn.our_state is h11.IDLE:
            return self._sock
        self.close()
        try:
            self._sock = socket.create_connection((host, port), timeout=self.timeout)
        except OSError as exc:  # nothing was sent: safe to retry anything
            raise ConnectError(f"could not connect to {host}:{port}: {exc}", request) from exc
        self._conn, self._peer = h11.Connection(h11.CLIENT), (host, port)
        return self._sock

    def send_within(self, request: Request, seconds: float) -> Response:
        """``send``, given up after ``seconds`` (the time left before the client's deadline)."""
        self._end = time.monotonic() + seconds
        try:
            return self.send(request)
        finally:
            self._end = float("inf")

    def send(self, request: Request) -> Response:
        url = urlsplit(request.url)
        if url.scheme != "http" or url.hostname is None:
            raise ValueError("H11Transport speaks plain http:// only")
        sock = self._connect(url.hostname, url.port or 80, request)
        headers = [("Host", url.netloc), *request.headers.items(), ("Content-Length", str(len(request.body)))]
        try:
            wire = self._conn.send(h11.Request(method=request.method, target=request.target, headers=headers))
            wire += self._conn.send(h11.Data(data=request.body)) + self._conn.send(h11.EndOfMessage())
            sock.settimeout(min(self.timeout, max(self._end - time.monotonic(), 0.001)))
            sock.sendall(wire)
            return self._receive(sock, request)
        except TimeoutError as exc:
            self.close()
            raise RequestTimeoutError(f"no answer in {self.timeout}s: the request may have been applied", request) from exc
        except ResponseTooLargeError:
            self.close()
            raise
        except (OSError, h11.ProtocolError) as exc:
            self.close()
            raise ProtocolError(f"connection failed mid-request: {exc}", request) from exc

    def _receive(self, sock: socket.socket, request: Request) -> Response:
        status, headers, body = 0, {}, bytearray()
        while True:
            event = self._conn.next_event()
            if event is h11.NEED_DATA:
                if time.monotonic() > self._end:
                    raise TimeoutError("the deadline passed while the answer was arriving")
                data = sock.recv(65536)
                if not data and self._conn.their_state is h11.SEND_BODY:
                    raise h11.RemoteProtocolError("connection closed before the body ended")
                self._conn.receive_data(data)
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in event.headers}
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > self.max_response_bytes:
                    raise ResponseTooLargeError(self.max_response_bytes, request)
            elif isinstance(event, h11.EndOfMessage):
                break
        if self._conn.our_state is h11.MUST_CLOSE or self._conn.their_state is h11.MUST_CLOSE:
            self.close()
        else:
            self._conn.start_next_cycle()
        payload = bytes(body)
        if header(headers, "content-encoding") == "gzip":
            payload = self._gunzip(payload, request)
        return Response(status, headers, payload)

    def _gunzip(self, payload: bytes, request: Request) -> bytes:
        """Decompress, stopping one byte past ``max_response_bytes`` (a small bomb stays small)."""
        inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        try:
            plain = inflater.decompress(payload, self.max_response_bytes + 1)
        except zlib.error as exc:
            raise ProtocolError(f"the gzip body is corrupt: {exc}", request) from exc
        if len(plain) > self.max_response_bytes:
            raise ResponseTooLargeError(self.max_response_bytes, request)
        return plain

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
