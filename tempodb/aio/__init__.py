"""The client for asyncio and trio."""

from tempodb.aio._client import AsyncTransport, Client

__all__ = ["AsyncTransport", "Client"]
