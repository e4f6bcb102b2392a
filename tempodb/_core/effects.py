"""What an operation asks its driver to do.  Operations are generators that yield these.

``Send`` -> the driver performs the request and sends back the ``Response``, or throws the
transport's ``TransportError`` into the generator.  ``Sleep`` -> the driver waits, then sends None.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

import msgspec

from tempodb._wire.http import Request, Response

__all__ = ["Effect", "Operation", "Send", "Sleep"]

T = TypeVar("T")


class Send(msgspec.Struct, frozen=True):
    request: Request


class Sleep(msgspec.Struct, frozen=True):
    seconds: float


Effect = Send | Sleep
Operation = Generator[Effect, Response | None, T]
