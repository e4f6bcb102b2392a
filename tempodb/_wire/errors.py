"""The root of tempodb's errors, and the one error the wire's rules raise.

The client's whole hierarchy (``tempodb._core.errors``) grows from ``TempoDBError``; the server
catches ``InvalidInputError`` and answers 400 with its message.
"""

from __future__ import annotations

__all__ = ["InvalidInputError", "TempoDBError"]


class TempoDBError(Exception):
    """Base of every error raised by tempodb."""


class InvalidInputError(TempoDBError, ValueError):
    """A value breaks a rule of the protocol (docs/protocol.md).

    The client raises it before anything is sent; the server answers the request with 400.
    """
