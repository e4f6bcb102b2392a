"""The ``Idempotency-Key`` rules both sides share (docs/protocol.md §10.4).

A call that must not be applied twice (an increment, creating a series) carries a key the client
draws once per call and sends again on every retry of it.  A server that honours keys says so on
every answer with :data:`RETENTION_HEADER` (how many seconds it keeps a key); only then does a
client resend such a call after a failure that leaves its fate unknown.  The header names and the
key rule live here once, for the client's builders and the server's engine alike.
"""

from __future__ import annotations

from collections.abc import Mapping

from tempodb._wire.http import header

__all__ = ["KEY_HEADER", "MAX_KEY_LENGTH", "REPLAYED_HEADER", "RETENTION_HEADER", "honours_keys", "key_problem"]

#: The request header naming one logical call (IETF httpapi draft "The Idempotency-Key HTTP Header Field").
KEY_HEADER = "Idempotency-Key"
#: On every answer of a server that honours keys: the seconds it keeps one (a positive integer).
RETENTION_HEADER = "Idempotency-Key-Retention"
#: On an answer replayed for a repeated key (``true``): the call was applied once, earlier.
REPLAYED_HEADER = "Idempotent-Replayed"
#: Longer keys are refused: a key is an identifier, not a payload.
MAX_KEY_LENGTH = 255


def key_problem(key: str) -> str | None:
    """What is wrong with an ``Idempotency-Key`` value, or None when it is usable."""
    if not key:
        return "the Idempotency-Key header is empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"the Idempotency-Key is {len(key)} characters long, over the limit of {MAX_KEY_LENGTH}"
    if not key.isascii() or not key.isprintable():
        return "the Idempotency-Key must be printable ASCII (a random token such as a UUID)"
    return None


def honours_keys(headers: Mapping[str, str]) -> bool:
    """Whether an answer's headers say its server honours ``Idempotency-Key``."""
    value = header(headers, RETENTION_HEADER).strip()
    return value.isdigit() and int(value) > 0
