"""Every Python example in the README and the documentation site runs, as written.

Each Markdown file is one test: its ```python blocks run in order in one namespace (a page reads as
one session), with a scratch directory as the working directory, so files an example creates
(``data.db``) land there. Pages whose examples talk to ``localhost``/``127.0.0.1`` port 4242 (the
port the docs use for ``tempodb serve``) get a real server there, in open mode, for the page.

A block that cannot run here says why in an HTML comment on the line before its fence, which
neither GitHub nor the site shows:  ``<!-- not run: needs your own sensor_feed() -->``.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tempodb.testing import run_server

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
DOCS_PORT = 4242

_FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
_NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<why>.+?)\s*-->\s*$")


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line number, code)`` of every ```python block that is to run."""
    blocks = []
    for fence in _FENCE.finditer(text):
        if fence.group("info").strip().split(" ")[0] != "python":
            continue
        before = text[: fence.start()].rstrip("\n").rsplit("\n", 1)[-1]
        if _NOT_RUN.search(before):
            continue
        line = text.count("\n", 0, fence.start()) + 2  # the first line of code
        indent = len(fence.group("indent"))
        code = "\n".join(row[indent:] for row in fence.group("body").split("\n"))
        blocks.append((line, code))
    return blocks


def _needs_server(blocks: list[tuple[int, str]]) -> bool:
    return any(re.search(rf"(localhost|127\.0\.0\.1)[\"']?\s*,\s*{DOCS_PORT}\b", code) for _, code in blocks)


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_examples_run(page: Path, tmp_path: Path) -> None:
    blocks = python_blocks(page.read_text())
    if not blocks:
        pytest.skip(f"{page.relative_to(ROOT)} has no Python example")
    server = run_server(tmp_path / "server", extra_args=["--port", str(DOCS_PORT)]) if _needs_server(blocks) else None
    with server or contextlib.nullcontext(), _working_directory(tmp_path):
        namespace: dict[str, object] = {"__name__": "__docs__"}
        for line, code in blocks:
            where = f"{page.relative_to(ROOT)}:{line}"
            try:
                exec(compile(code, where, "exec"), namespace)
            except Exception as error:
                raise AssertionError(f"the example at {where} failed: {error!r}") from error


def test_the_collector_sees_marked_and_indented_blocks() -> None:
    text = (
        "intro\n\n```python\nx = 1\n```\n\n<!-- not run: needs hardware -->\n```python\nsensor()\n```\n\n"
        "- a list item:\n\n  ```python\n  y = x + 1\n  ```\n\n```sh\necho no\n```\n"
    )
    assert python_blocks(text) == [(4, "x = 1\n"), (15, "y = x + 1\n")]
