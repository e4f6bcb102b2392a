"""The client for scripts (``tempodb.Client`` is this one)."""

from tempodb.sync._client import Client, SyncTransport
from tempodb.sync._stream import PointStream
from tempodb.sync._writer import Writer

__all__ = ["Client", "PointStream", "SyncTransport", "Writer"]
