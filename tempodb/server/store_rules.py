"""Rules every storage backend enforces the same way, with the same words (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence

from tempodb._wire.errors import InvalidInputError
from tempodb._wire.keys import SeriesRef
from tempodb._wire.values import INT64_MAX, INT64_MIN

__all__ = ["MAX_FILTER_TERMS", "ReadOnlyStoreError", "StoreUnavailableError", "check_filter_terms", "increment_overflow"]

#: The most tags and attributes (together) one series filter may require.
MAX_FILTER_TERMS = 10_000


class StoreUnavailableError(Exception):
    """The database cannot be reached right now and the request changed nothing: it may be retried.

    The edge answers it with 503 and ``Retry-After``, which clients retry by their rules.
    """


class ReadOnlyStoreError(StoreUnavailableError):
    """A write reached a server whose database is a read-only replica: nothing was changed.

    The edge answers 503 without ``Retry-After`` and says to send writes to a server on the primary.
    """


def check_filter_terms(tags: Sequence[str], pairs: Sequence[tuple[str, str]]) -> None:
    """Refuse a filter with more terms than any backend promises to evaluate."""
    if len(tags) + len(pairs) > MAX_FILTER_TERMS:
        raise InvalidInputError(
            f"the filter has {len(tags)} tags and {len(pairs)} attributes: at most {MAX_FILTER_TERMS} "
            "together are supported; select fewer, or filter by id or key"
        )


def increment_overflow(series: SeriesRef) -> InvalidInputError:
    """The error of an increment whose sum would leave the 64-bit range (the whole call is refused)."""
    return InvalidInputError(
        f"an increment of series {series.by} {series.value!r} would take a value past the "
        f"64-bit integer range ({INT64_MIN} to {INT64_MAX}); nothing was written: "
        "increment by a smaller amount, or write the value instead"
    )
