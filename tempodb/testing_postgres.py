"""A throwaway PostgreSQL cluster from the machine's binaries, for tests and benchmarks (tempodb's and yours).

``initdb`` into a new temporary directory, ``pg_ctl start`` on a free loopback port with its unix
socket in that directory, trust authentication (loopback only).  PostgreSQL refuses to run as root,
so as root the binaries run as the ``postgres`` system user, who is given the directory.
Each test gets a database of its own, copied from a template that already has tempodb's schema.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["PostgresCluster", "missing_binaries", "start_cluster"]

BINARIES = ("initdb", "pg_ctl", "postgres")
_SYSTEM_USER = "postgres"
_TEMPLATE = "tempodb_template"


def missing_binaries() -> list[str]:
    """The PostgreSQL programs not found on PATH (nor in the usual Debian place)."""
    return [name for name in BINARIES if _binary(name) is None]


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    root = "/usr/lib/postgresql"
    if os.path.isdir(root):
        for version in sorted(os.listdir(root), reverse=True):
            candidate = os.path.join(root, version, "bin", name)
            if os.access(candidate, os.X_OK):
                return candidate
    return None


def _beside_pg_ctl(name: str) -> str:
    """A PostgreSQL tool of the same installation as ``pg_ctl`` (so of the same major version)."""
    pg_ctl = _binary("pg_ctl")
    if pg_ctl is not None:
        candidate = os.path.join(os.path.dirname(os.path.realpath(pg_ctl)), name)
        if os.access(candidate, os.X_OK):
            return candidate
    return _binary(name) or name


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresCluster:
    """A running cluster; :meth:`new_database` makes an empty tempodb database and returns its URL."""

    directory: str
    port: int
    user: str
    _as_user: list[str]
    #: False (tests): fsync and synchronous commit off, for speed; True (benchmarks): PostgreSQL's defaults.
    durable: bool = False
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def _run(self, argv: Sequence[str], timeout: float = 60.0) -> None:
        result = subprocess.run(
            [*self._as_user, *argv], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr or result.stdout}")

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement.encode())

    def new_database(self) -> str:
        """A fresh database with tempodb's schema (copied from the template: no migration per test)."""
        name = f"t{os.getpid()}_{next(self._counter)}"
        self.sql(f'CREATE DATABASE "{name}" TEMPLATE {_TEMPLATE}')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self, mode: str = "fast") -> None:
        self._run([_binary("pg_ctl") or "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"])

    def start(self) -> None:
        """Start (or restart after :meth:`stop`) on the same port and directory."""
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.directory} "
            "-c max_connections=200"
        )
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            [_binary("pg_ctl") or "pg_ctl", "-D", self.data, "-l", os.path.join(self.directory, "log"), "-o", options, "-w", "start"]
        )

    @property
    def data(self) -> str:
        return os.path.join(self.directory, "data")

    def start_replica(self) -> PostgresCluster:
        """A hot standby of this cluster (``pg_basebackup -R``, streaming), on a port of its own."""
        directory = tempfile.mkdtemp(prefix="tempodb-pg-replica-")
        if self._as_user:
            system = pwd.getpwnam(self.user)
            os.chown(directory, system.pw_uid, system.pw_gid)
        replica = PostgresCluster(directory, _free_port(), self.user, self._as_user, durable=self.durable)
        try:
            self._run(
                [_beside_pg_ctl("pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                 "-D", replica.data, "-R", "-X", "stream", "--checkpoint=fast"],
                timeout=120,
            )  # fmt: skip
            replica.start()
        except BaseException:
            replica.destroy()
            raise
        return replica

    def destroy(self) -> None:
        try:
            if os.path.exists(os.path.join(self.data, "postmaster.pid")):
                self.stop("immediate")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def start_cluster(*, durable: bool = False) -> PostgresCluster:
    """initdb + start a new cluster, and a template database with tempodb's schema; stop it with destroy()."""
    from tempodb.server.postgres import PostgresStore

    directory = tempfile.mkdtemp(prefix="tempodb-pg-")
    as_user: list[str] = []
    user = pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        try:
            system = pwd.getpwnam(_SYSTEM_USER)
        except KeyError:
            shutil.rmtree(directory, ignore_errors=True)
            raise RuntimeError(
                f"PostgreSQL refuses to run as root and there is no {_SYSTEM_USER!r} system user to run it as: "
                f"create one (useradd --system {_SYSTEM_USER}) or run the tests as another user"
            ) from None
        os.chown(directory, system.pw_uid, system.pw_gid)
        as_user = ["runuser", "-u", _SYSTEM_USER, "--"]
        user = _SYSTEM_USER
    cluster = PostgresCluster(directory, _free_port(), user, as_user, durable=durable)
    try:
        cluster._run(
            [_binary("initdb") or "initdb", "-D", cluster.data, "-U", user, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
            timeout=120,
        )
        started = time.monotonic()
        while True:
            try:
                cluster.start()
                break
            except RuntimeError:
                # The free port may have been taken between the probe and the start: pick another.
                if time.monotonic() - started > 30:
                    raise
                cluster.port = _free_port()
        cluster.sql(f"CREATE DATABASE {_TEMPLATE}")
        PostgresStore(cluster.url(_TEMPLATE)).close()  # the schema, once, for every copy
    except BaseException:
        cluster.destroy()
        raise
    return cluster
