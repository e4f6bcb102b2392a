"""The client for asyncio and trio."""

from tempodb.aio._client import AsyncTransport, Client
from tempodb.aio._stream import AsyncPointStream
from tempodb.aio._writer import AsyncWriter

__all__ = ["AsyncPointStream", "AsyncTransport", "AsyncWriter", "Client"]
