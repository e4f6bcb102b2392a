"""Idempotency keys on the server: replay the kept answer for a repeat, refuse a key reused for
another request (422) or still in flight (409), and say on every answer that keys are honoured.

Only calls the endpoint table marks as not safe to resend (increments, creating a series) take part:
resending anything else is harmless by itself.  The store keeps each answer in the same transaction
as its effect (``storage.AnswerStore``), so "applied" and "answer kept" are one fact, also across
processes sharing the store.  Only successful effects are kept: a refused request changed nothing,
so running it again is as safe as replaying its refusal.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import msgspec

from tempodb._wire.http import Request, Response, header
from tempodb._wire.idempotency import KEY_HEADER, REPLAYED_HEADER, RETENTION_HEADER, key_problem
from tempodb.server.edge import fail
from tempodb.server.storage import AnswerExistsError, AnswerStore, IdempotentAnswer

__all__ = ["DEFAULT_RETENTION", "Keeper", "Pending"]

#: Seconds an answer is kept for its key (``tempodb serve --idempotency-retention``).
DEFAULT_RETENTION = 24 * 3600
_SWEEP_EVERY_MS = 60_000  # expired answers are deleted at most this often (recall ignores them anyway)


class Pending(msgspec.Struct, frozen=True):
    """A keyed request being answered: what its answer will be kept under, and until when."""

    key: str
    fingerprint: str
    created_ms: int
    expires_ms: int

    def answer(self, response: Response) -> IdempotentAnswer:
        """The record of ``response`` for this request, to keep with its effect."""
        content_type = header(response.headers, "Content-Type")
        return IdempotentAnswer(
            self.key, self.fingerprint, response.status_code, content_type, response.body, self.created_ms, self.expires_ms
        )


def fingerprint(request: Request) -> str:
    """What makes two requests the same request: method, target (path and query), encoding and body."""
    digest = hashlib.sha256()
    for part in (request.method.upper(), request.target, header(request.headers, "Content-Encoding").strip().lower()):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    digest.update(request.body)
    return digest.hexdigest()


class Keeper:
    """The engine's idempotency: one per engine, thread-safe."""

    def __init__(self, store: AnswerStore, retention: float, clock: Callable[[], float]) -> None:
        if not retention > 0:
            raise ValueError(f"the idempotency retention must be a positive number of seconds, not {retention!r}")
        self._store = store
        self._retention_ms = int(retention * 1000)
        self._clock = clock
        #: What every answer carries to say keys are honoured, and for how long.
        self.headers = {RETENTION_HEADER: str(max(1, int(retention)))}
        self._lock = threading.Lock()
        self._in_flight: set[tuple[str, str]] = set()
        self._swept_ms = 0

    def advertise(self, response: Response) -> Response:
        """``response`` saying that keys are honoured, and for how long (every answer carries it)."""
        return msgspec.structs.replace(response, headers={**response.headers, **self.headers})

    def handle(self, request: Request, database: str, respond: Callable[[Pending | None], Response]) -> Response:
        """Answer a request of a call that must not run twice: ``respond(pending)`` runs it, and its
        handler passes ``pending.answer(...)`` to the store write that applies it."""
        key = header(request.headers, KEY_HEADER)
        if not key:
            return respond(None)
        problem = key_problem(key)
        if problem is not None:
            fail(400, f"{problem}; send a fresh random key per call, the same on each retry of it")
        now = int(self._clock() * 1000)
        self._sweep(now)
        mine = fingerprint(request)
        kept = self._store.recall(database, key)
        if kept is not None and kept.expires_ms > now:
            return _replay(kept, mine)
        with self._claimed(database, key):
            try:
                return respond(Pending(key, mine, now, now + self._retention_ms))
            except AnswerExistsError:
                # Another process (or a request that raced ours here) committed this key first.
                kept = self._store.recall(database, key)
                if kept is None:  # it expired and was swept in between: this cannot repeat it
                    raise
                return _replay(kept, mine)

    @contextmanager
    def _claimed(self, database: str, key: str) -> Iterator[None]:
        claim = (database, key)
        with self._lock:
            if claim in self._in_flight:
                fail(
                    409,
                    f"a request with Idempotency-Key {key!r} is still being processed; retry it after it completes",
                    {"Retry-After": "1"},
                )
            self._in_flight.add(claim)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight.discard(claim)

    def _sweep(self, now: int) -> None:
        with self._lock:
            if now - self._swept_ms < _SWEEP_EVERY_MS:
                return
            self._swept_ms = now
        self._store.forget_answers(now)


def _replay(kept: IdempotentAnswer, mine: str) -> Response:
    if kept.fingerprint != mine:
        fail(
            422,
            f"the Idempotency-Key {kept.key!r} was already used for a different request; "
            "send a fresh key with each new call (and the same key only when retrying that call)",
        )
    headers = {REPLAYED_HEADER: "true"}
    if kept.content_type:
        headers["Content-Type"] = kept.content_type
    return Response(kept.status, headers, kept.body)
