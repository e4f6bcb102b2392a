"""Timestamp text as the server writes it, for tests that build the expected answers themselves."""

from __future__ import annotations


def wire_offset(text: str) -> str:
    """An isoformat text as the server writes it: ``Z`` for zero, ``±HHMM`` otherwise (docs/protocol.md §3.3)."""
    if text.endswith("+00:00"):
        return text[:-6] + "Z"
    if len(text) > 6 and text[-6] in "+-" and text[-3] == ":":
        return text[:-3] + text[-2:]
    return text  # an offset with seconds keeps the extended form
