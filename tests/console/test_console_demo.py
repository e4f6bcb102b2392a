"""``tempodb demo`` ends by saying how to see its data in the console; following it works."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from tempodb._cli.demo import console_hint
from tempodb._cli.target import Target
from tempodb.cli import main
from tempodb.testing import run_server


def test_the_demo_hint_is_true(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "demo.db")
    assert main(["demo", "--days", "1", "--db", db]) == 0
    out = capsys.readouterr().out
    command = re.search(r"See it in the web console: (tempodb serve --db \S+)\n", out)
    url = re.search(r"then open (http://127\.0\.0\.1:4242/#\S+)\n", out)
    sign_in = re.search(r"sign in with key (\S+), secret (\S+)\n", out)
    assert command and url and sign_in, out
    assert command.group(1) == f"tempodb serve --db {db}"
    view = parse_qs(url.group(1).partition("#")[2])
    assert view == {
        "s": ["demo-series"], "range": ["custom"], "start": ["2012-01-01T00:00"], "end": ["2012-01-02T00:00"],
        "interval": ["auto"], "fn": ["mean"], "tz": ["UTC"],
    }
    # What the hint says to run, on another port: the console is there and the pair signs in.
    with run_server(tmp_path / "serve", db_path=db) as server, httpx.Client(base_url=f"http://127.0.0.1:{server.info.port}") as http:
        assert http.get("/").status_code == 200
        key, secret = sign_in.group(1), sign_in.group(2)
        listed = http.get("/v1/series/", auth=(key, secret))
        assert [s["key"] for s in listed.json()] == ["demo-series"]


def test_hints_for_other_targets_never_print_a_users_secret() -> None:
    server = Target("mine", "s3cret", host="db.example", port=8443, secure=True)
    lines = console_hint(server, 9)
    assert lines[0].startswith("See it in the web console: open https://db.example:8443/#s=demo-series&")
    assert "s3cret" not in "\n".join(lines) and "your secret" in lines[1]
    assert console_hint(Target("local", "local", db=":memory:"), 9) == [
        "To see it in the web console, run the demo with a file: tempodb demo --db demo.db"
    ]
