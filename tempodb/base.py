"""Compatibility alias: the 2013 client's ``tempodb.base`` module (``from tempodb.base import DataPoint``).

New code imports these names from ``tempodb``.
"""

from tempodb._core.models import DataPoint, DataSet, Series, Summary

__all__ = ["DataPoint", "DataSet", "Series", "Summary"]
