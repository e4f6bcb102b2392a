"""Which TempoDB a command talks to, from options and ``TEMPODB_URL/KEY/SECRET``.

Shared by the CLI and the demo scripts so both read the environment the same way.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tempodb._core.errors import InvalidInputError
from tempodb.server.postgres_url import is_postgres_url, redact
from tempodb.sync import Client

__all__ = [
    "DEFAULT_DB",
    "ENV_KEY",
    "ENV_SECRET",
    "ENV_URL",
    "Target",
    "add_target_arguments",
    "client_from_env",
    "open_client",
    "parse_url",
    "resolve_target",
    "target_from_args",
]

ENV_URL = "TEMPODB_URL"
ENV_KEY = "TEMPODB_KEY"
ENV_SECRET = "TEMPODB_SECRET"
# The same file `tempodb serve` serves by default, so data written here can be served as is.
DEFAULT_DB = "tempodb.db"
# Client.local's credentials: the embedded engine runs in open mode, where the key names a database.
_LOCAL_KEY = _LOCAL_SECRET = "local"


@dataclass(frozen=True)
class Target:
    """An embedded database file (``db``) or a server (``host``/``port``/``secure``), and credentials."""

    key: str
    secret: str = field(repr=False)
    db: str | None = None
    host: str = ""
    port: int = 0
    secure: bool = False

    def describe(self) -> str:
        """For messages: where the data goes.  Never shows the secret."""
        if self.db is not None:
            where = "in memory" if self.db == ":memory:" else redact(self.db)
            suffix = "" if self.key == _LOCAL_KEY else f" (key {self.key})"
            return f"embedded database {where}{suffix}"
        scheme = "https" if self.secure else "http"
        return f"server {scheme}://{self.host}:{self.port}/ (key {self.key})"


def parse_url(url: str) -> tuple[str, int, bool]:
    """``http[s]://HOST[:PORT][/v1/]`` -> ``(host, port, secure)`` for ``Client``."""
    # Messages quote no part of the URL: it may carry a password in its userinfo.
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InvalidInputError("invalid server URL: expected http://HOST:PORT or https://HOST") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError("invalid server URL: expected http://HOST:PORT or https://HOST")
    if parts.username is not None or parts.password is not None:
        raise InvalidInputError(
            f"the server URL must not hold credentials: use --key/--secret or {ENV_KEY}/{ENV_SECRET}"
        )
    if parts.path.rstrip("/") not in ("", "/v1") or parts.query or parts.fragment:
        raise InvalidInputError("the server URL may only have the path /v1/ (the client adds it)")
    secure = parts.scheme == "https"
    host = parts.hostname
    # Client joins host and port as is, so an IPv6 literal needs its brackets back.
    if ":" in host:
        host = f"[{host}]"
    return host, port if port is not None else (443 if secure else 80), secure


def resolve_target(
    *,
    url: str | None = None,
    key: str | None = None,
    secret: str | None = None,
    db: str | None = None,
    environ: Mapping[str, str] | None = None,
    default_db: str | Callable[[], str] = DEFAULT_DB,
) -> Target:
    """Options win over the environment; ``db`` wins over any URL; no URL at all means embedded.

    ``default_db`` may be a function, called only when the embedded default is really used
    (the demo makes a temporary directory there).
    """
    env = os.environ if environ is None else environ
    if db is not None and url is not None:
        raise InvalidInputError("give --db (embedded) or --url (a server), not both")
    key = key if key is not None else env.get(ENV_KEY) or None
    secret = secret if secret is not None else env.get(ENV_SECRET) or None
    if db is None:
        url = url if url is not None else env.get(ENV_URL) or None
    if db is not None or url is None:
        if db is None:
            db = default_db if isinstance(default_db, str) else default_db()
        return Target(key or _LOCAL_KEY, secret or _LOCAL_SECRET, db=db)
    host, port, secure = parse_url(url)
    if not key or not secret:
        raise InvalidInputError(
            f"a server needs an API key and secret: set {ENV_KEY} and {ENV_SECRET} (or --key/--secret)"
        )
    return Target(key, secret, host=host, port=port, secure=secure)


def open_client(target: Target, *, create: bool = True) -> Client:
    """A client on the target; close it (or use ``with``) when done.

    With ``create=False`` an embedded database file that does not exist is an error, not a new
    empty database: a command that only reads (or deletes) would otherwise answer "nothing there"
    for a mistyped ``--db`` and leave a stray file behind.
    """
    if target.db is not None:
        if not create and target.db not in ("", ":memory:") and not is_postgres_url(target.db) and not os.path.exists(target.db):
            raise InvalidInputError(
                f"no database file {target.db!r} (looked in {os.getcwd()}): check --db or run from the right "
                "directory; only `tempodb write` and `tempodb import` create a new database"
            )
        return Client.local(target.db, key=target.key, secret=target.secret)
    return Client(target.key, target.secret, target.host, target.port, target.secure)


def client_from_env(default_db: str = DEFAULT_DB, environ: Mapping[str, str] | None = None) -> Client:
    """The server named by ``TEMPODB_URL/KEY/SECRET``, else the embedded database ``default_db``."""
    return open_client(resolve_target(environ=environ, default_db=default_db))


def add_target_arguments(parser: argparse.ArgumentParser, default_db: str = DEFAULT_DB) -> None:
    """The options every data command shares (defaults come from the environment, then ``default_db``)."""
    group = parser.add_argument_group(
        "where the data lives",
        f"An embedded database file by default; a server when --url or ${ENV_URL} is set. "
        f"Prefer ${ENV_SECRET} to --secret: command lines are visible to other users.",
    )
    group.add_argument(
        "--db",
        metavar="PATH|URL",
        help=f"embedded SQLite database file, :memory:, or a PostgreSQL URL postgresql://USER@HOST/DBNAME (default: {default_db})",
    )
    group.add_argument("--url", help=f"server URL, e.g. http://127.0.0.1:4242 (default: ${ENV_URL})")
    group.add_argument("--key", help=f"API key (default: ${ENV_KEY}); in an embedded file it names the database")
    group.add_argument("--secret", help=f"API secret (default: ${ENV_SECRET})")


def target_from_args(args: argparse.Namespace, default_db: str | Callable[[], str] = DEFAULT_DB) -> Target:
    """The target for parsed ``add_target_arguments`` options."""
    return resolve_target(url=args.url, key=args.key, secret=args.secret, db=args.db, default_db=default_db)
