"""Start InfluxDB 1.x (``influxd``) on loopback for the peer benchmark, talk to it, and stop it.

The server runs with its defaults (fsync on every write: ``wal-fsync-delay = 0``) except where its
files and ports go: a generated config puts the meta, data and WAL directories in a temporary
directory and binds the HTTP and RPC ports to 127.0.0.1, so nothing of the machine's own InfluxDB
(service, data, ports) is touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec

__all__ = ["Influx", "directory_bytes", "influxd_path", "influx_server"]

DATABASE = "bench"
_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 30.0


def influxd_path() -> str | None:
    """The ``influxd`` executable, or None when InfluxDB is not installed."""
    return shutil.which("influxd")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def directory_bytes(path: Path) -> int:
    """Disk space the files under ``path`` take (allocated blocks, not apparent sizes: InfluxDB
    preallocates sparse series-index files of several MiB; 0 when ``path`` does not exist)."""
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file())


@dataclass
class Influx:
    """A running ``influxd`` and an HTTP client to it."""

    process: subprocess.Popen[bytes]
    root: Path
    http: httpx.Client

    def write(self, lines: bytes) -> None:
        """Line protocol (millisecond times) into the benchmark database; fails loudly on a refusal."""
        response = self.http.post("/write", params={"db": DATABASE, "precision": "ms"}, content=lines)
        if response.status_code != 204:
            raise RuntimeError(f"InfluxDB refused a write ({response.status_code}): {response.text[:500]}")

    def query(self, text: str, *, chunked: bool = False) -> list[list[Any]]:
        """The rows (``[epoch ms, value]``) of a one-series InfluxQL query, decoded."""
        params = {"db": DATABASE, "epoch": "ms", "q": text}
        if chunked:
            params |= {"chunked": "true", "chunk_size": "100000"}
        response = self.http.get("/query", params=params)
        if response.status_code != 200:
            raise RuntimeError(f"InfluxDB refused a query ({response.status_code}): {response.text[:500]}")
        rows: list[list[Any]] = []
        # A chunked answer is one JSON document per line; an unchunked one is a single line.
        for line in response.content.splitlines():
            for result in msgspec.json.decode(line)["results"]:
                if "error" in result:
                    raise RuntimeError(f"InfluxDB query failed: {result['error']} ({text})")
                for series in result.get("series", ()):
                    rows.extend(series["values"])
        return rows

    def data_bytes(self) -> int:
        """What the benchmark database holds on disk: its TSM files and its WAL."""
        return directory_bytes(self.root / "data" / DATABASE) + directory_bytes(self.root / "wal" / DATABASE)


def _config(root: Path, http_port: int, rpc_port: int) -> str:
    return f"""\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{root / 'meta'}"

[data]
  dir = "{root / 'data'}"
  wal-dir = "{root / 'wal'}"

[http]
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false
"""


@contextmanager
def influx_server() -> Iterator[Influx]:
    """``influxd`` on free loopback ports with its files in a temporary directory, the benchmark
    database created; stopped (SIGTERM, then SIGKILL) and removed on exit."""
    executable = influxd_path()
    if executable is None:
        raise RuntimeError("influxd is not installed (Debian/Ubuntu: apt-get install influxdb)")
    with tempfile.TemporaryDirectory(prefix="tempodb-bench-influx-") as directory:
        root = Path(directory)
        http_port = _free_port()
        config = root / "influxdb.conf"
        config.write_text(_config(root, http_port, _free_port()), encoding="utf-8")
        log_path = root / "influxd.log"
        with open(log_path, "wb") as log:
            # A file, not a pipe: a chatty server can never block on a pipe nobody reads.
            process = subprocess.Popen(
                [executable, "run", "-config", str(config)], stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            )
        http = httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=600)
        try:
            _wait_for_ping(process, http, log_path)
            created = http.post("/query", params={"q": f"CREATE DATABASE {DATABASE}"})
            created.raise_for_status()
            yield Influx(process, root, http)
        finally:
            http.close()
            _stop(process)


def _wait_for_ping(process: subprocess.Popen[bytes], http: httpx.Client, log_path: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"influxd exited with {process.returncode}:\n{log_path.read_text('utf-8', 'replace')[-3000:]}")
        try:
            if http.get("/ping").status_code == 204:
                return
        except httpx.TransportError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            raise RuntimeError(f"influxd did not answer /ping within {_START_TIMEOUT} s:\n{log_path.read_text('utf-8', 'replace')[-3000:]}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(_STOP_TIMEOUT)
