"""Shared fixtures for the sans-IO core tests (the driver itself lives in core_driver.py)."""

from __future__ import annotations

import pytest
from core_driver import make

from tempodb._core.session import Session


@pytest.fixture
def session() -> Session:
    return make()
