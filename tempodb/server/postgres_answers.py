"""The PostgreSQL half of idempotency keys: the kept answers' statements (the table is schema
version 3, ``postgres_schema``).  The SQLite half is ``_sqlite_answers``; the rules both follow are
in :class:`tempodb.server.storage.AnswerStore`.

The store calls :func:`remember` first inside the transaction of the effect, so the answer commits
with it.  Two servers racing with one key: the second's ``INSERT ... ON CONFLICT`` waits for the
first to commit, then finds a live record, changes no row, and rolls back (AnswerExistsError).
"""

from __future__ import annotations

from typing import Any

import psycopg

from tempodb.server.storage import AnswerExistsError, IdempotentAnswer

__all__ = ["SCHEMA_V3", "forget", "recall", "remember"]

SCHEMA_V3 = """
CREATE TABLE answers (
    database     text NOT NULL,
    key          text NOT NULL,
    fingerprint  text NOT NULL,
    status       integer NOT NULL,
    content_type text NOT NULL,
    body         bytea NOT NULL,
    created_ms   bigint NOT NULL,
    expires_ms   bigint NOT NULL,
    PRIMARY KEY (database, key)
);
CREATE INDEX answers_by_expiry ON answers (expires_ms);
"""

# An expired record of the same key is replaced; a live one is left alone (no row changes).
_REMEMBER = """
INSERT INTO answers (database, key, fingerprint, status, content_type, body, created_ms, expires_ms)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (database, key) DO UPDATE SET
    fingerprint = excluded.fingerprint, status = excluded.status, content_type = excluded.content_type,
    body = excluded.body, created_ms = excluded.created_ms, expires_ms = excluded.expires_ms
WHERE answers.expires_ms <= excluded.created_ms
"""


def remember(conn: psycopg.Connection[Any], database: str, answer: IdempotentAnswer) -> None:
    """Keep ``answer`` within the caller's open transaction; AnswerExistsError when its key is live."""
    cursor = conn.execute(
        _REMEMBER,
        (
            database, answer.key, answer.fingerprint, answer.status, answer.content_type, answer.body,
            answer.created_ms, answer.expires_ms,
        ),
    )  # fmt: skip
    if cursor.rowcount != 1:
        raise AnswerExistsError(answer.key)


def recall(conn: psycopg.Connection[Any], database: str, key: str) -> IdempotentAnswer | None:
    row = conn.execute(
        "SELECT fingerprint, status, content_type, body, created_ms, expires_ms FROM answers "
        "WHERE database = %s AND key = %s",
        (database, key),
    ).fetchone()
    if row is None:
        return None
    fingerprint, status, content_type, body, created_ms, expires_ms = row
    return IdempotentAnswer(key, fingerprint, int(status), content_type, bytes(body), int(created_ms), int(expires_ms))


def forget(conn: psycopg.Connection[Any], expired_by_ms: int) -> int:
    return conn.execute("DELETE FROM answers WHERE expires_ms <= %s", (expired_by_ms,)).rowcount
