"""MkDocs hooks: pages generated from the code, so the reference cannot drift from it.

A page asks for generated text with a marker comment on a line of its own:

- ``<!-- generated: cli -->``: ``tempodb --help`` and the help of every subcommand, from the parser
  (``tempodb.cli.build_parser``);
- ``<!-- generated: openapi -->``: the OpenAPI 3.1 document the server answers at ``/v1/openapi.json``,
  from the endpoint table;
- ``<!-- generated: changelog -->``: ``CHANGELOG.md`` without its title.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _cli_reference() -> str:
    from tempodb.cli import build_parser

    # argparse wraps help to the terminal: a fixed width makes the page the same on every machine.
    os.environ["COLUMNS"] = "100"
    parser = build_parser()
    parts = ["```text", parser.format_help().rstrip(), "```"]
    for action in parser._actions:  # argparse keeps subparsers only here
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                parts += [f"\n## tempodb {name}\n", "```text", sub.format_help().rstrip(), "```"]
    return "\n".join(parts)


def _openapi() -> str:
    from tempodb._wire.openapi import openapi_document

    return "```json\n" + json.dumps(openapi_document(), indent=2) + "\n```"


def _changelog() -> str:
    text = (ROOT / "CHANGELOG.md").read_text()
    return text.split("\n", 1)[1].lstrip("\n")  # the page has its own title


_GENERATORS = {"cli": _cli_reference, "openapi": _openapi, "changelog": _changelog}


def on_page_markdown(markdown: str, **_: Any) -> str:
    for name, generate in _GENERATORS.items():
        marker = f"<!-- generated: {name} -->"
        if marker in markdown:
            markdown = markdown.replace(marker, generate())
    return markdown
