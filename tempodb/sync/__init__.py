"""The client for scripts (``tempodb.Client`` is this one)."""

from tempodb.sync._client import Client, SyncTransport

__all__ = ["Client", "SyncTransport"]
