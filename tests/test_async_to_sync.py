"""tools/async_to_sync.py: the sync modules are current, and the transform keeps what it should."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "async_to_sync.py"


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("async_to_sync", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


ASYNC = '''\
"""A helper for asyncio and trio: ``async with AsyncWriter(...) as w: await w.aclose()``."""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable

import anyio

from tempodb.aio._writer import AsyncWriter, aclose_writers

__all__ = ["aclose", "AsyncWriter"]


async def aclose(run: Callable[[], Awaitable[int]], writers: weakref.WeakSet[AsyncWriter]) -> int:
    await anyio.sleep(1)  # an async transport's ``aclose()`` may sleep, too
    async with writers.pop() as writer:
        close = getattr(writer, "aclose", None)
    await aclose_writers([writer])
    return await run(
        )  # layout kept
'''

SYNC = '''\
"""A helper for scripts: ``with Writer(...) as w: w.close()``."""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

from tempodb.sync._writer import Writer, close_writers

__all__ = ["Writer", "close"]


def close(run: Callable[[], int], writers: weakref.WeakSet[Writer]) -> int:
    time.sleep(1)  # a blocking transport's ``close()`` may sleep, too
    with writers.pop() as writer:
        close = getattr(writer, "close", None)
    close_writers([writer])
    return run(
        )  # layout kept
'''


def test_the_checked_in_sync_modules_are_current(tool: ModuleType) -> None:
    assert tool.main(["--check"]) == 0


def test_names_awaits_imports_and_wording_are_translated_and_the_rest_kept(tool: ModuleType) -> None:
    header = tool.HEADER.format(source="x.py")
    assert tool.convert(ASYNC, "x.py") == header + SYNC


def test_an_async_name_without_a_rule_is_an_error(tool: ModuleType) -> None:
    with pytest.raises(tool.GenerationError, match="AsyncThing"):
        tool.convert("class AsyncThing: ...\n", "x.py")


def test_check_names_the_stale_module_and_generation_fixes_it(
    tool: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "aio").mkdir()
    (tmp_path / "sync").mkdir()
    (tmp_path / "aio" / "m.py").write_text(ASYNC)
    (tmp_path / "sync" / "m.py").write_text(SYNC)  # no header: stale
    monkeypatch.setattr(tool, "ROOT", tmp_path)
    monkeypatch.setattr(tool, "MODULES", {"aio/m.py": "sync/m.py"})
    assert tool.main(["--check"]) == 1
    assert "sync/m.py" in capsys.readouterr().err
    assert tool.main([]) == 0
    assert tool.main(["--check"]) == 0
    assert (tmp_path / "sync" / "m.py").read_text().endswith(SYNC)


def test_a_wording_rule_that_no_longer_matches_is_an_error(tool: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(tool.TEXT, "x.py", {"words the source no longer has": "x"})
    with pytest.raises(tool.GenerationError, match="no longer match"):
        tool.convert(ASYNC, "x.py")
