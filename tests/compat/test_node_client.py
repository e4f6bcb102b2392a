"""A TempoDB client we did not write: the 2013 node.js client from npm, unchanged, against `tempodb serve`.

It always speaks HTTPS (its ``secure`` option cannot be turned off), so the server runs with a
throwaway certificate that node is told to trust through NODE_EXTRA_CA_CERTS.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tempodb.testing import run_server, self_signed_certificate

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def node_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("needs node and npm")
    directory = tmp_path_factory.mktemp("node")
    result = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(directory), "tempodb@0.3.2"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.skip(f"npm could not install tempodb@0.3.2: {result.stderr.strip()[-300:]}")
    return directory / "node_modules" / "tempodb"


def test_the_2013_node_client_works_unchanged(node_client: Path, tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    with run_server(tmp_path, extra_args=["--certfile", str(cert), "--keyfile", str(key)]) as server:
        info = server.info
        env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(cert)}
        done = subprocess.run(
            ["node", str(HERE / "node_client_flow.js"), str(node_client), info.host, str(info.port), "k", "s"],
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    assert all(step["response"] == 200 for step in out.values()), {k: v["response"] for k, v in out.items()}
    assert out["create"]["body"]["key"] == "node:key/1"
    rolled = out["read"]["body"]
    assert rolled["data"] == [{"t": "2012-01-01T00:00:00.000Z", "v": sum(i * 1.5 for i in range(10))}]
    assert rolled["summary"]["count"] == 10
    assert out["update"]["body"]["name"] == "from node"
    assert [s["key"] for s in out["filtered"]["body"]] == ["node:key/1"]
    assert out["counted"]["body"]["data"] == [{"t": "2012-01-01T00:00:00.000Z", "v": 5}]
    assert [(d["series"]["key"], [p["v"] for p in d["data"]]) for d in out["readMany"]["body"]] == [
        ("bulk-a", [1]),
        ("node:key/1", [42] + [i * 1.5 for i in range(1, 10)]),
    ]
    assert out["after"]["body"]["data"] == []
