"""A misbehaving HTTP server for the reliability tests: a threaded TCP proxy on 127.0.0.1 in front of
a real tempodb server, answering each request as a script says (forward, drop, 503, stall, truncate)
or refusing connections altogether.

Every connection carries exactly one request (replies say ``Connection: close``), so "the n-th
request" and "the n-th connection" are the same thing and a fault never leaks into the next call.
Every thread is bounded: sockets time out, stalls end after ``stall`` seconds or at ``stop()``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from types import TracebackType

__all__ = [
    "DROP_AFTER_FORWARD",
    "DROP_BEFORE_BODY",
    "REFUSE_AFTER",
    "STALL",
    "TRUNCATE",
    "Fault",
    "FaultyProxy",
    "Seen",
    "closed_port",
    "rate_limited",
    "unavailable",
]


@dataclass(frozen=True)
class Fault:
    """What the proxy does with one request instead of simply forwarding it."""

    kind: str
    retry_after: str | None = None  # 503/429: the Retry-After value as given
    retry_after_date_in: float | None = None  # 503/429: Retry-After as an HTTP date this many seconds ahead

    def __str__(self) -> str:
        return self.kind


#: Read the request head, then close: the body is never read, nothing reaches the server.
DROP_BEFORE_BODY = Fault("drop_before_body")
#: Forward the request (it lands), wait for the server's answer, then close without replying.
DROP_AFTER_FORWARD = Fault("drop_after_forward")
#: Forward the request (it lands), then hold the reply until ``stall`` seconds pass.
STALL = Fault("stall")
#: Forward the request (it lands), reply with a Content-Length larger than the bytes sent, close.
TRUNCATE = Fault("truncate")
#: Forward and answer normally, but stop listening first, for ``refusal`` seconds: the NEXT request
#: meets a refused connection.
REFUSE_AFTER = Fault("refuse_after")

_REASONS = {"503": "503 Service Unavailable", "429": "429 Too Many Requests"}


def unavailable(retry_after: str | None = None, *, date_in: float | None = None) -> Fault:
    """Answer 503 without forwarding, with ``Retry-After: retry_after`` or an HTTP date ``date_in`` s ahead."""
    return Fault("503", retry_after, date_in)


def rate_limited(retry_after: str | None = None) -> Fault:
    """Answer 429 without forwarding, with ``Retry-After: retry_after`` when given."""
    return Fault("429", retry_after)


@dataclass
class Seen:
    """One request as the proxy saw it, and what became of it."""

    method: str
    target: str
    headers: dict[str, str]
    fault: Fault | None
    landed: bool = False  # the real server answered it
    upstream_status: int | None = None


@dataclass
class _Script:
    faults: list[Fault | None] = field(default_factory=list)
    then: Fault | None = None
    match: Callable[[str, str], bool] | None = None
    count: int = 0


class FaultyProxy:
    """``with FaultyProxy(host, port) as proxy:`` listens on ``proxy.port``; ``proxy.script(...)``
    picks the faults for the next requests; ``proxy.seen`` records every request."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        stall: float = 1.5,
        refusal: float = 0.5,
        io_timeout: float = 5.0,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.stall = stall
        self.refusal = refusal
        self.io_timeout = io_timeout
        self.seen: list[Seen] = []
        #: Pose as a server that does not honour idempotency keys: ``Idempotency-Key`` never reaches the
        #: real server and its ``Idempotency-Key-Retention`` never reaches the client.
        self.legacy = False
        self.port = 0
        self._script = _Script()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._refuse_until = 0.0
        self._refused: threading.Event | None = None
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._acceptor: threading.Thread | None = None

    # --- control ---------------------------------------------------------------------------------

    def script(
        self,
        faults: Sequence[Fault | None] = (),
        *,
        then: Fault | None = None,
        match: Callable[[str, str], bool] | None = None,
    ) -> None:
        """The n-th request from now (among those ``match(method, target)`` accepts) gets
        ``faults[n]`` (None = forward); requests after the list get ``then``."""
        with self._lock:
            self._script = _Script(list(faults), then, match)

    def refuse(self, seconds: float) -> None:
        """Stop listening for ``seconds`` (connections are refused), then listen on the same port again.

        Returns once the listening socket is closed.  The accept thread closes it itself: a socket
        closed under another thread's accept() keeps listening until that call returns.
        """
        closed = threading.Event()
        with self._lock:
            self._refuse_until = time.monotonic() + seconds
            self._refused = closed
        assert closed.wait(5), "the accept thread did not stop listening"

    def wait_listening(self, timeout: float = 5.0) -> None:
        """Block until the proxy accepts connections again (after ``refuse``)."""
        deadline = time.monotonic() + timeout
        while self._listener is None:
            assert time.monotonic() < deadline, "the proxy did not listen again"
            time.sleep(0.005)

    def requests(self, method: str | None = None) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if method is None or s.method == method]

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FaultyProxy:
        self._listener = self._listen(0)
        self.port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, name="faulty-proxy-accept")
        self._acceptor.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._acceptor is not None:
            self._acceptor.join(5)
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        for thread in list(self._threads):
            thread.join(self.io_timeout + 1)
        alive = [t.name for t in self._threads if t.is_alive()]
        assert not alive, f"proxy threads still running: {alive}"

    def __enter__(self) -> FaultyProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _listen(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(256)
        sock.settimeout(0.02)
        return sock

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                refused, self._refused = self._refused, None
                if refused is not None and self._listener is not None:
                    self._listener.close()
                    self._listener = None
                listener = self._listener
                if listener is None and time.monotonic() >= self._refuse_until:
                    listener = self._listener = self._listen(self.port)
            if refused is not None:
                refused.set()
            if listener is None:
                time.sleep(0.005)
                continue
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            thread = threading.Thread(target=self._handle, args=(conn,), name=f"faulty-proxy-conn-{len(self._threads)}")
            self._threads.append(thread)
            thread.start()

    # --- one connection, one request ----------------------------------------------------------------

    def _next_fault(self, method: str, target: str) -> Fault | None:
        script = self._script
        if script.match is not None and not script.match(method, target):
            return None
        index = script.count
        script.count += 1
        return script.faults[index] if index < len(script.faults) else script.then

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(self.io_timeout)
            # OSError: the client went away (e.g. it timed out first); nothing left to do.
            with contextlib.suppress(OSError):
                self._exchange(conn)

    def _exchange(self, conn: socket.socket) -> None:
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            data = conn.recv(65536)
            if not data:
                return
            buffer += data
        head, _, body = buffer.partition(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = dict(_header(line) for line in lines)
        with self._lock:
            fault = self._next_fault(method, target)
            seen = Seen(method, target, headers, fault)
            self.seen.append(seen)
        if fault is DROP_BEFORE_BODY:
            return
        length = int(_get(headers, "content-length") or 0)
        while len(body) < length:
            data = conn.recv(65536)
            if not data:
                return
            body += data
        if fault is not None and fault.kind in _REASONS:
            extra = {}
            if fault.retry_after is not None:
                extra["Retry-After"] = fault.retry_after
            if fault.retry_after_date_in is not None:
                extra["Retry-After"] = formatdate(time.time() + fault.retry_after_date_in, usegmt=True)
            conn.sendall(_response(_REASONS[fault.kind], extra, b"try again later"))
            return
        status, reply_headers, reply_body = self._forward(method, target, headers, body)
        with self._lock:
            seen.landed = True
            seen.upstream_status = int(status.split(" ", 1)[0])
        if fault is DROP_AFTER_FORWARD:
            return
        if fault is STALL:
            self._stop.wait(self.stall)
            return
        if fault is REFUSE_AFTER:
            self.refuse(self.refusal)  # before answering: the client's next connect must be refused
        if fault is TRUNCATE:
            conn.sendall(_response(status, reply_headers, reply_body, length=len(reply_body) + 100))
            return
        conn.sendall(_response(status, reply_headers, reply_body))

    def _forward(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[str, dict[str, str], bytes]:
        dropped = ("connection", "keep-alive", "idempotency-key") if self.legacy else ("connection", "keep-alive")
        kept = {k: v for k, v in headers.items() if k.lower() not in dropped}
        kept["Connection"] = "close"
        lines = [f"{method} {target} HTTP/1.1", *(f"{k}: {v}" for k, v in kept.items())]
        with socket.create_connection(self.upstream, timeout=self.io_timeout) as upstream:
            upstream.sendall("\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + body)
            chunks = []
            while data := upstream.recv(65536):
                chunks.append(data)
        raw = b"".join(chunks)
        head, _, rest = raw.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        status = status_line.split(" ", 1)[1]
        reply_headers = dict(_header(line) for line in lines)
        if self.legacy:
            reply_headers = {k: v for k, v in reply_headers.items() if k.lower() != "idempotency-key-retention"}
        if _get(reply_headers, "transfer-encoding").lower() == "chunked":
            rest = _dechunk(rest)
        elif _get(reply_headers, "content-length"):
            rest = rest[: int(_get(reply_headers, "content-length"))]
        return status, reply_headers, rest


def _header(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name.strip(), value.strip()


def _get(headers: dict[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name), "")


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2 :]
    return out


def _response(status: str, headers: dict[str, str], body: bytes, *, length: int | None = None) -> bytes:
    dropped = ("connection", "content-length", "transfer-encoding", "keep-alive")
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items() if k.lower() not in dropped)]
    lines += [f"Content-Length: {len(body) if length is None else length}", "Connection: close"]
    return "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + body


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
