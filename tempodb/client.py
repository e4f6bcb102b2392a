"""Compatibility alias: the 2013 client's ``tempodb.client`` module (``from tempodb.client import Client``).

New code imports ``Client`` from ``tempodb``.
"""

from tempodb.sync import Client

__all__ = ["Client"]
