"""The console's pure JavaScript (rollup choice, time-axis ticks and labels, URL state, CSV) under
node's own test runner: tests/console/js/*.test.mjs."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

JS_TESTS = sorted((Path(__file__).parent / "js").glob("*.test.mjs"))


def test_pure_javascript_under_node(require: Callable[[str], NoReturn]) -> None:
    node = shutil.which("node")
    if node is None:
        require("node is not installed: the console's JavaScript unit tests need it (apt-get install -y nodejs)")
    assert JS_TESTS, "no tests/console/js/*.test.mjs found"
    result = subprocess.run([node, "--test", *map(str, JS_TESTS)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
