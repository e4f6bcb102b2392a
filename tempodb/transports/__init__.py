"""Transports turn a core ``Request`` into a ``Response``: httpx (sync and async), the embedded
in-process engine, and a small h11 example.  Any object with ``send`` (or ``async send``) works."""

from tempodb.transports._httpx import AsyncHTTPXTransport, HTTPXTransport, Timeout

__all__ = ["AsyncHTTPXTransport", "HTTPXTransport", "Timeout"]
