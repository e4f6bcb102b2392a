"""``tempodb serve``: run the engine behind uvicorn on a real socket, announcing the URL on stdout.

The one stdout line, ``tempodb serving on http://HOST:PORT/v1/``, is printed once the socket is
listening (with the real port when ``--port 0``), so scripts and test fixtures can wait for it.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

import uvicorn
import uvicorn.config

from tempodb.server._connections import (
    DEFAULT_HEADER_TIMEOUT,
    default_max_connections,
    protocol_class,
    quiet_accept_errors,
)
from tempodb.server.asgi import DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_INFLIGHT_BODY_BYTES, TempoDBApp, create_app
from tempodb.server.edge import DEFAULT_MAX_BODY_BYTES
from tempodb.server.idempotency import DEFAULT_RETENTION

if TYPE_CHECKING:
    from tempodb.server.engine import Engine

__all__ = ["add_arguments", "load_credentials", "main", "run"]

_LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the serve options to ``parser`` (shared by ``python -m tempodb.server`` and ``tempodb serve``)."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=4242, help="TCP port; 0 picks a free one (default: %(default)s)")
    parser.add_argument(
        "--db",
        default="tempodb.db",
        metavar="PATH|URL",
        help="SQLite file, :memory:, or a PostgreSQL URL postgresql://USER@HOST:PORT/DBNAME (password from "
        "PGPASSWORD or ~/.pgpass; needs tempodb-revived[postgres]) (default: %(default)s)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="serve from N processes sharing the port and the database (PostgreSQL, or a SQLite file) (default: %(default)s)",
    )
    # Set by --workers for each worker process: the listening socket it inherits.
    parser.add_argument("--listen-fd", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--key", action="append", default=[], help="API key; repeat together with --secret for each pair")
    parser.add_argument("--secret", action="append", default=[], help="API secret for the --key at the same position")
    parser.add_argument(
        "--credentials", metavar="FILE", help="file of key:secret lines (# comments allowed); keeps secrets out of ps"
    )
    parser.add_argument("--certfile", help="TLS certificate (PEM); serves https when given")
    parser.add_argument("--keyfile", help="TLS private key (PEM), if not inside --certfile")
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        metavar="N",
        help="larger request bodies get 413 (default: %(default)s)",
    )
    parser.add_argument(
        "--max-inflight-body-bytes",
        type=int,
        default=None,
        metavar="N",
        help="request bodies all requests may hold at once; past it new ones get 503 with Retry-After "
        f"(default: {DEFAULT_MAX_INFLIGHT_BODY_BYTES}, or --max-body-bytes when larger)",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=DEFAULT_BODY_TIMEOUT,
        metavar="SECONDS",
        help="a request body must arrive within this long after its headers, or gets 408 (default: %(default)s)",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=DEFAULT_HEADER_TIMEOUT,
        metavar="SECONDS",
        help="a connection that has not sent a complete request head within this long is closed (default: %(default)s)",
    )
    parser.add_argument(
        "--keep-alive-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="an idle connection between requests is closed after this long (default: %(default)s)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=None,
        metavar="N",
        help="connections past this many get 503 and are closed (default: 1024, or fewer to fit ulimit -n)",
    )
    parser.add_argument(
        "--no-console", action="store_true", help="serve only the API at /v1/, not the web console at /"
    )
    parser.add_argument(
        "--idempotency-retention",
        type=float,
        default=DEFAULT_RETENTION,
        metavar="SECONDS",
        help="keep the answer to each Idempotency-Key this long, so a retried increment or series creation "
        "applies once; 0 turns keys off (default: %(default)s, a day)",
    )
    parser.add_argument("--log-level", default="info", choices=_LOG_LEVELS, help="(default: %(default)s)")


def load_credentials(args: argparse.Namespace) -> dict[str, str] | None:
    """The key -> secret map from ``--key/--secret`` pairs and ``--credentials``; None means open mode.

    Raises ValueError, saying which pair and why, for a pair no client could ever log in with.
    """
    keys: list[str] = args.key or []
    secrets: list[str] = args.secret or []
    if len(keys) != len(secrets):
        raise ValueError("--key and --secret must be given in pairs")
    pairs = [(key, secret, f"--key {key!r}") for key, secret in zip(keys, secrets, strict=True)]
    if args.credentials:
        with open(args.credentials, encoding="utf-8") as file:
            for number, raw in enumerate(file, 1):
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                # Split at the first colon, as HTTP Basic does: keys cannot hold one, secrets may.
                key, sep, secret = line.partition(":")
                if not sep:
                    raise ValueError(f"{args.credentials}:{number}: expected key:secret")
                pairs.append((key, secret, f"{args.credentials}:{number}"))
    if not pairs:
        return None
    credentials: dict[str, str] = {}
    for key, secret, where in pairs:
        _check_pair(key, secret, where)
        if credentials.get(key, secret) != secret:
            raise ValueError(f"key {key!r} is given twice with different secrets")
        credentials[key] = secret
    return credentials


def _check_pair(key: str, secret: str, where: str) -> None:
    """Refuse a pair that HTTP Basic cannot carry, so it fails at startup and not at every login."""
    if not key:
        raise ValueError(f"{where}: the key is empty; give each key at least one character")
    if ":" in key:
        raise ValueError(
            f"{where}: the key contains ':', which HTTP Basic authentication reads as the end of the key, "
            "so it could never log in; choose a key without ':' (secrets may contain it)"
        )
    if not secret:
        raise ValueError(f"{where}: the secret is empty; give every key a secret")


class _Server(uvicorn.Server):
    """uvicorn's server, plus the announcement line once the listening socket is up."""

    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self.url = url
        self.announce = True
        self.ready_fd: int | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not (self.started and not self.should_exit):
            return
        if self.announce:
            print(f"tempodb serving on {self.url}", flush=True)
        if self.ready_fd is not None:  # a worker of --workers: tell the parent, which announces once for all
            with contextlib.suppress(OSError):  # a replacement worker's parent is not listening
                os.write(self.ready_fd, b"1")
            os.close(self.ready_fd)
            self.ready_fd = None


def _bind(host: str, port: int) -> socket.socket:
    # Binding here, not inside uvicorn, gives one socket whose real port we know before serving.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY on accepted connections only when the listening
    # socket's proto is IPPROTO_TCP, and without it Nagle + delayed ACK add ~40 ms to every response
    # (uvicorn writes the head and the body separately).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


@contextmanager
def _quiet_signals() -> Iterator[None]:
    """Let uvicorn's re-raised SIGINT/SIGTERM land on a no-op, so a requested stop exits 0."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ignore(signum: int, frame: FrameType | None) -> None:
        pass

    handled = [signal.SIGINT, signal.SIGTERM]
    previous = {sig: signal.signal(sig, ignore) for sig in handled}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _log_config(level: str) -> dict[str, Any]:
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    # Stdout carries only the URL line that scripts wait for; every log line goes to stderr.
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    ours = "DEBUG" if level == "trace" else level.upper()
    config["loggers"]["tempodb"] = {"handlers": ["default"], "level": ours, "propagate": False}
    return config


class _CannotServe(Exception):
    """A setting or resource that keeps the server from starting; the message says which."""


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; returns the process exit code (0 after a requested stop)."""
    try:
        engine = _open_engine(args)
    except _CannotServe as exc:
        return _refuse(exc)
    if getattr(args, "workers", 1) != 1:
        # The parent only checked that the database opens (and migrated it); each worker opens its own.
        engine.close()
        try:
            return _serve_workers(args)
        except _CannotServe as exc:
            return _refuse(exc)
    app = create_app(
        engine,
        max_body_bytes=args.max_body_bytes,
        body_timeout=args.body_timeout,
        max_inflight_body_bytes=args.max_inflight_body_bytes,
        console=not args.no_console,
    )
    try:
        return _serve(app, args)
    except _CannotServe as exc:
        return _refuse(exc)
    finally:
        # Lifespan shutdown normally closed it already; a forced exit (second Ctrl+C) skips that.
        app.close()


def _refuse(reason: _CannotServe) -> int:
    print(f"tempodb serve: error: {reason}", file=sys.stderr, flush=True)
    return 2


def _open_engine(args: argparse.Namespace) -> Engine:
    """The engine the options describe, after checking them; warns on stderr about open mode."""
    from tempodb.server.factory import open_engine

    try:
        credentials = load_credentials(args)
    except (OSError, ValueError) as exc:
        raise _CannotServe(str(exc)) from exc
    if args.keyfile and not args.certfile:
        raise _CannotServe("--keyfile needs --certfile")
    _check_limits(args)
    from tempodb.server.workers import check_workers

    problem = check_workers(argparse.Namespace(workers=getattr(args, "workers", 1), db=args.db))
    if problem is not None:
        raise _CannotServe(problem)
    if credentials is None and getattr(args, "listen_fd", None) is None:  # a worker: the parent warned
        print(
            "tempodb serve: no credentials given: OPEN MODE, any new key is accepted and claimed by the first secret used with it; each key is its own database",
            file=sys.stderr,
            flush=True,
        )
    try:
        return open_engine(
            args.db, credentials, max_body_bytes=args.max_body_bytes,
            idempotency_retention=args.idempotency_retention or None,
        )
    except Exception as exc:
        from tempodb.server.postgres_url import redact

        raise _CannotServe(f"cannot open {redact(args.db)!r}: {exc}") from exc


def _check_limits(args: argparse.Namespace) -> None:
    if args.max_body_bytes < 0:
        raise _CannotServe("--max-body-bytes must be >= 0")
    inflight = args.max_inflight_body_bytes
    if inflight is not None and inflight < args.max_body_bytes:
        raise _CannotServe("--max-inflight-body-bytes must be >= --max-body-bytes, or the largest body could never pass")
    if not args.idempotency_retention >= 0:
        raise _CannotServe("--idempotency-retention must be >= 0 seconds (0 turns idempotency keys off)")
    for name in ("body_timeout", "header_timeout", "keep_alive_timeout"):
        if not getattr(args, name) > 0:
            raise _CannotServe(f"--{name.replace('_', '-')} must be > 0")
    if args.max_connections is not None and args.max_connections < 1:
        raise _CannotServe("--max-connections must be >= 1")


def _serve_workers(args: argparse.Namespace) -> int:
    from tempodb.server.workers import supervise

    sock = _listen(args)
    try:
        sock.listen(2048)  # connections wait in the backlog until a worker accepts them
        return supervise(args, sock.fileno(), _public_url(args, sock.getsockname()[1]))
    finally:
        sock.close()


def _listen(args: argparse.Namespace) -> socket.socket:
    if getattr(args, "listen_fd", None) is not None:
        return socket.socket(fileno=args.listen_fd)  # a worker of --workers: the parent's socket
    try:
        return _bind(args.host, args.port)
    except OSError as exc:
        raise _CannotServe(f"cannot listen on {args.host}:{args.port}: {exc}") from exc


def _serve(app: TempoDBApp, args: argparse.Namespace) -> int:
    """Listen, announce, and serve ``app`` until stopped; the exit code."""
    sock = _listen(args)
    try:
        server = _Server(_uvicorn_config(app, args), _public_url(args, sock.getsockname()[1]))
        server.announce = getattr(args, "listen_fd", None) is None  # the parent of workers announces once
        server.ready_fd = getattr(args, "ready_fd", None)
        return _run_until_stopped(server, sock)
    finally:
        sock.close()


def _run_until_stopped(server: _Server, sock: socket.socket) -> int:
    try:
        with _quiet_signals():
            server.run(sockets=[sock])
    except SystemExit as exc:  # uvicorn exits this way when startup fails
        return exc.code if isinstance(exc.code, int) else 1
    return 0 if server.started else 1


def _uvicorn_config(app: TempoDBApp, args: argparse.Namespace) -> uvicorn.Config:
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_config=_log_config(args.log_level),
        log_level=args.log_level,
        ssl_certfile=args.certfile,
        ssl_keyfile=args.keyfile,
        # The engine sees the connection as it is; forwarded headers are not trusted blindly.
        proxy_headers=False,
        server_header=False,
        http=protocol_class(
            header_timeout=args.header_timeout,
            max_connections=args.max_connections if args.max_connections is not None else default_max_connections(),
            headers=app.engine.advertised_headers,
        ),
        timeout_keep_alive=args.keep_alive_timeout,
    )
    quiet_accept_errors()
    try:
        # Loading now turns a bad certificate into a clear message instead of a traceback.
        config.load()
    except Exception as exc:
        raise _CannotServe(f"cannot load the server configuration: {exc}") from exc
    return config


def _public_url(args: argparse.Namespace, port: int) -> str:
    scheme = "https" if args.certfile else "http"
    host = f"[{args.host}]" if ":" in args.host else args.host
    return f"{scheme}://{host}:{port}/v1/"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tempodb.server", description="Serve the TempoDB v1 API.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
