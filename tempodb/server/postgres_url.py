"""What a ``--db`` value names, and how to show a PostgreSQL URL without its password (no psycopg needed)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["is_postgres_url", "redact"]


def is_postgres_url(target: str) -> bool:
    """True for a libpq URL (``postgresql://`` or ``postgres://``): anything else is a SQLite path."""
    return target.startswith(("postgresql://", "postgres://"))


def redact(target: str) -> str:
    """``target`` without the password of a URL, for messages and logs (a path is returned as it is)."""
    if not is_postgres_url(target):
        return target
    try:
        parts = urlsplit(target)
        if parts.password is None:
            return target
        host = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    except ValueError:
        return "the PostgreSQL URL"
