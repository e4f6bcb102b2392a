"""pytest plugin: a real TempoDB server (a subprocess on a free port) for your tests.

The session fixture ``tempodb_server`` runs ``python -m tempodb.server`` in OPEN MODE: the server
accepts any key/secret and gives every key its own empty database. So tests share one process but
not data: call ``tempodb_server.new_credentials()`` (or use the ``tempodb_credentials`` fixture) for
a fresh database per test. ``key``/``secret`` and ``other_key``/``other_secret`` are two fixed
random pairs for the session, handy for checking that databases do not see each other. The server
is open: any new key is accepted with the first secret used for it (then a wrong secret gets 403);
start one with ``run_server(credentials=...)`` when a test needs a fixed set of keys.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

__all__ = [
    "ServerInfo",
    "ServerProcess",
    "run_server",
    "self_signed_certificate",
    "tempodb_credentials",
    "tempodb_server",
]

STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
_URL_PREFIX = "tempodb serving on "


def _random_pair() -> tuple[str, str]:
    return secrets.token_hex(16), secrets.token_hex(16)


@dataclass(frozen=True)
class ServerInfo:
    """Where a running test server listens and which credentials to use with it."""

    url: str
    host: str
    port: int
    key: str
    secret: str = field(repr=False)
    other_key: str
    other_secret: str = field(repr=False)
    db_path: str

    @property
    def secure(self) -> bool:
        return self.url.startswith("https:")

    def new_credentials(self) -> tuple[str, str]:
        """A fresh random (key, secret): on an open-mode server that is a fresh, empty database."""
        return _random_pair()


@dataclass
class ServerProcess:
    """A server subprocess started by ``run_server``; ``log_path`` holds its stderr."""

    process: subprocess.Popen[bytes]
    info: ServerInfo
    log_path: Path
    stdout_path: Path

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM (terminate on Windows), then kill after ``timeout``; returns the exit code."""
        if self.process.poll() is None:
            if sys.platform == "win32":
                self.process.terminate()
            else:
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        return self.process.returncode

    def kill(self) -> int:
        """Kill without any chance to clean up (SIGKILL), as a crash or power cut would."""
        if self.process.poll() is None:
            self.process.kill()
        return self.process.wait(STOP_TIMEOUT)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # Make this very tempodb importable in the child even when it is only on the parent's sys.path.
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextmanager
def run_server(
    directory: str | os.PathLike[str],
    *,
    db_path: str | os.PathLike[str] | None = None,
    credentials: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = STARTUP_TIMEOUT,
) -> Iterator[ServerProcess]:
    """Start ``python -m tempodb.server`` on 127.0.0.1 and a free port; stop it on exit.

    ``credentials=None`` runs it in open mode (see the module docstring). Secrets go through a
    credentials file, not the command line. Stdout and stderr go to files in ``directory``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    db = str(db_path) if db_path is not None else str(directory / "server.db")
    argv = [sys.executable, "-m", "tempodb.server", "--host", "127.0.0.1", "--port", "0", "--db", db]
    argv += ["--log-level", "warning"]
    if credentials:
        creds_path = directory / f"credentials-{secrets.token_hex(4)}.txt"
        creds_path.write_text("".join(f"{k}:{s}\n" for k, s in credentials.items()), encoding="utf-8")
        argv += ["--credentials", str(creds_path)]
        pairs = list(credentials.items())
    else:
        pairs = []
    pairs += [_random_pair() for _ in range(2 - min(len(pairs), 2))]
    argv += list(extra_args)

    tag = secrets.token_hex(4)
    stdout_path = directory / f"server-{tag}.out"
    log_path = directory / f"server-{tag}.log"
    with open(stdout_path, "wb") as out, open(log_path, "wb") as err:
        # Files, not pipes: a chatty server can never block on a pipe nobody reads.
        process = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=_env())
    handle: ServerProcess | None = None
    try:
        url = _wait_for_url(process, stdout_path, log_path, timeout)
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        info = ServerInfo(
            url=url,
            host=parts.hostname,
            port=parts.port,
            key=pairs[0][0],
            secret=pairs[0][1],
            other_key=pairs[1][0],
            other_secret=pairs[1][1],
            db_path=db,
        )
        handle = ServerProcess(process, info, log_path, stdout_path)
        yield handle
    finally:
        if handle is not None:
            handle.stop()
        elif process.poll() is None:
            process.kill()
            process.wait(STOP_TIMEOUT)


def _wait_for_url(process: subprocess.Popen[bytes], stdout_path: Path, log_path: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        for line in stdout_path.read_text("utf-8", "replace").splitlines():
            if line.startswith(_URL_PREFIX):
                return line[len(_URL_PREFIX) :].strip()
        if process.poll() is not None:
            raise RuntimeError(f"tempodb server exited with {process.returncode}:\n{_tail(log_path)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"tempodb server did not start within {timeout} s:\n{_tail(log_path)}")
        time.sleep(0.02)


def _tail(path: Path, limit: int = 4000) -> str:
    return path.read_text("utf-8", "replace")[-limit:]


def self_signed_certificate(directory: str | os.PathLike[str]) -> tuple[Path, Path]:
    """A throwaway certificate and key for 127.0.0.1 (made with the ``openssl`` command), for
    ``run_server(extra_args=["--certfile", cert, "--keyfile", key])``; skips the test without openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = Path(directory) / "cert.pem", Path(directory) / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="session")
def tempodb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    """A real open-mode TempoDB server for the whole session (see the module docstring)."""
    with run_server(tmp_path_factory.mktemp("tempodb-server")) as server:
        yield server.info


@pytest.fixture
def tempodb_credentials(tempodb_server: ServerInfo) -> tuple[str, str]:
    """A fresh (key, secret) for this test: its own empty database on ``tempodb_server``."""
    return tempodb_server.new_credentials()
