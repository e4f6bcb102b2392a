"""The 2013 client's demo scripts, for Python 3: ``python -m tempodb.demo.tempodb_write_demo``,
then ``tempodb_read_demo``; ``tempodb_bulk_write_demo`` writes several series at once.

They talk to the server named by ``TEMPODB_URL``, ``TEMPODB_KEY`` and ``TEMPODB_SECRET`` when set,
else to the embedded database file ``tempodb-demo.db`` in the current directory, so the read demo
finds what the write demo wrote.
"""

from __future__ import annotations

from tempodb._cli.target import client_from_env
from tempodb.sync import Client

__all__ = ["DEMO_DB", "connect"]

DEMO_DB = "tempodb-demo.db"


def connect() -> Client:
    """The demos' client: your server from the environment, else the embedded ``tempodb-demo.db``.

    With a TempoDB account you would write ``Client("your-api-key", "your-api-secret")`` instead.
    """
    return client_from_env(DEMO_DB)
