"""TempoDB v1 client (sync, asyncio, trio) and a TempoDB-compatible server."""
