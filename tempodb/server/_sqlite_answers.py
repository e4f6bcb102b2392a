"""The SQLite half of idempotency keys: the table of kept answers and its three statements.

Kept apart from ``sqlite.py`` so the store's point and series code stays as it was; the store calls
these inside its own transactions, which is what makes an answer commit together with its effect.
"""

from __future__ import annotations

import sqlite3

from tempodb.server.storage import AnswerExistsError, IdempotentAnswer

__all__ = ["SCHEMA", "forget", "recall", "remember"]

SCHEMA = """
-- One answer per (database, Idempotency-Key), replayed to repeats until expires_ms.
CREATE TABLE IF NOT EXISTS answers (
    database     TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status       INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body         BLOB NOT NULL,
    created_ms   INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL,
    PRIMARY KEY (database, key)
) STRICT;
CREATE INDEX IF NOT EXISTS answers_by_expiry ON answers (expires_ms);
"""

# An expired record of the same key is replaced; a live one is left alone (no row changes), which
# ``remember`` turns into AnswerExistsError so the caller's transaction rolls back.
_REMEMBER = """
INSERT INTO answers (database, key, fingerprint, status, content_type, body, created_ms, expires_ms)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (database, key) DO UPDATE SET
    fingerprint = excluded.fingerprint, status = excluded.status, content_type = excluded.content_type,
    body = excluded.body, created_ms = excluded.created_ms, expires_ms = excluded.expires_ms
WHERE answers.expires_ms <= excluded.created_ms
"""


def remember(conn: sqlite3.Connection, database: str, answer: IdempotentAnswer) -> None:
    """Keep ``answer`` within the caller's open transaction; AnswerExistsError when its key is live."""
    cursor = conn.execute(
        _REMEMBER,
        (
            database, answer.key, answer.fingerprint, answer.status, answer.content_type, answer.body,
            answer.created_ms, answer.expires_ms,
        ),
    )
    if cursor.rowcount != 1:
        raise AnswerExistsError(answer.key)


def recall(conn: sqlite3.Connection, database: str, key: str) -> IdempotentAnswer | None:
    row = conn.execute(
        "SELECT fingerprint, status, content_type, body, created_ms, expires_ms FROM answers "
        "WHERE database = ? AND key = ?",
        (database, key),
    ).fetchone()
    if row is None:
        return None
    fingerprint, status, content_type, body, created_ms, expires_ms = row
    return IdempotentAnswer(key, fingerprint, status, content_type, bytes(body), created_ms, expires_ms)


def forget(conn: sqlite3.Connection, expired_by_ms: int) -> int:
    return conn.execute("DELETE FROM answers WHERE expires_ms <= ?", (expired_by_ms,)).rowcount
