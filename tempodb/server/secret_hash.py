"""API secrets at rest: a salted scrypt hash, never the secret itself.

A stored record reads ``scrypt$N$r$p$SALT$HASH`` (salt and hash in unpadded URL-safe base64), so
each record carries its own parameters: raising them later leaves the old records verifiable.

Parameters: N = 2**14, r = 8, p = 1 (16 MiB of memory and about 45 ms of one core per hash on a
2020s x86 machine), a 16-byte random salt per record and a 32-byte result.  These are scrypt's
"interactive login" parameters; the server pays them once per key and process (the gate keeps
verified secrets in memory) and once for each wrong secret it has not seen recently.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

__all__ = ["SCRYPT_N", "SCRYPT_P", "SCRYPT_R", "hash_secret", "verify_secret"]

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
_SCHEME = "scrypt"
# A record from a damaged or hostile file must not make the server allocate without bound.
_MAX_MEMORY = 1 << 30


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int, size: int) -> bytes:
    memory = 128 * r * (n + p + 2) + (1 << 20)
    if memory > _MAX_MEMORY:
        raise ValueError(f"scrypt parameters N={n} r={r} p={p} need more than {_MAX_MEMORY} bytes")
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=memory, dklen=size)


def hash_secret(secret: str) -> str:
    """A new record for ``secret``, with a fresh random salt."""
    salt = os.urandom(_SALT_BYTES)
    derived = _scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, _HASH_BYTES)
    return f"{_SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(derived)}"


def verify_secret(secret: str, record: str) -> bool:
    """Whether ``secret`` is the one ``record`` was made from (compared in constant time).

    Raises ValueError for a record that is not in the ``hash_secret`` form: a damaged credentials
    table is a server fault, not a wrong secret.
    """
    parts = record.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        raise ValueError("a stored secret record is not in the scrypt$N$r$p$salt$hash form")
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, expected = _unb64(parts[4]), _unb64(parts[5])
    except (ValueError, binascii.Error) as exc:
        raise ValueError("a stored secret record has unreadable scrypt parameters") from exc
    if not expected:
        raise ValueError("a stored secret record has an empty hash")
    return hmac.compare_digest(_scrypt(secret, salt, n, r, p, len(expected)), expected)
