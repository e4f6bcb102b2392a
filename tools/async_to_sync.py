#!/usr/bin/env python3
"""Generate the sync client, writer and stream (``tempodb/sync/``) from their async originals
(``tempodb/aio/``), so that surface is written once; ``--check`` fails, naming the stale files, when a
checked-in sync module differs from what would be generated (CI runs it).

    python tools/async_to_sync.py            # (re)write every generated module
    python tools/async_to_sync.py --check    # exit 1 if one is stale
    python tools/async_to_sync.py tempodb/aio/_writer.py    # only that one

The transform works on tokens, so comments and layout survive: ``async``/``await`` go, async names
become their sync twins (``NAMES``, ``DOTTED``), ``Awaitable[X]`` becomes ``X``, and comments and
strings get the same renames plus the wording in ``TEXT`` (whole paragraphs where the flavours
really differ).  The header imports are then rebuilt: unused ones dropped, sorted as ruff's isort.
What truly differs between the flavours (lock, timer, read-ahead) is not transformed: it lives in
the hand-written ``tempodb/{aio,sync}/_concurrency.py``, with the same names and shapes.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Generated modules: async original -> sync module.
MODULES = {
    "tempodb/aio/_client.py": "tempodb/sync/_client.py",
    "tempodb/aio/_writer.py": "tempodb/sync/_writer.py",
    "tempodb/aio/_stream.py": "tempodb/sync/_stream.py",
}

#: Async name -> sync name, in code (names, attributes, identifier strings) and in prose.
NAMES = {
    "AsyncHTTPXTransport": "HTTPXTransport",
    "AsyncLocalTransport": "LocalTransport",
    "AsyncPointStream": "PointStream",
    "AsyncTransport": "SyncTransport",
    "AsyncWriter": "Writer",
    "StopAsyncIteration": "StopIteration",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "aclose": "close",
    "aclose_writers": "close_writers",
}

#: Dotted async name -> (sync name, the import the sync name needs, if any).
DOTTED = {
    "anyio.sleep": ("time.sleep", "import time"),
    "tempodb.aio": ("tempodb.sync", None),
}

#: Wording, applied to strings and comments only, before NAMES: per module (exact text), then
#: everywhere (patterns).  A per-module entry that no longer matches is an error, so the tables
#: cannot go stale unnoticed.
COMMON_TEXT = {
    r"\basync (?=with\b|for\b)": "",
    r"\bawait (?=\w)": "",
    r" for asyncio and trio\b": " for scripts",
    r"\ban async transport\b": "a blocking transport",
}
TEXT: dict[str, dict[str, str]] = {
    "tempodb/aio/_client.py": {
        "\n\nIt imports anyio, never asyncio, so the same code runs under ``asyncio.run`` and ``trio.run``.\n": "",
        "The async TempoDB client: ": "A TempoDB client: ",
        "\n    The same calls as ``tempodb.Client``, awaited, on asyncio or trio.": "",
        "an async context manager": "a context manager",
    },
    "tempodb/aio/_writer.py": {
        "a task in a task group, from ``async with`` to the end of the block.": (
            "one thread, started at once and joined when the writer is closed."
        ),
        "cancellation, ``KeyboardInterrupt``": "``KeyboardInterrupt``",
        (
            "With ``flush_interval`` a timer task flushes in the background, in a task group the writer owns:\n"
            "    it starts on ``async with`` and is gone when the block is left."
        ): (
            "With ``flush_interval`` a timer thread flushes in the background: the transport must then be\n"
            "    thread-safe (httpx and the embedded engine are).  It stops on ``close()``, when the writer is\n"
            "    garbage-collected, or when the main thread ends, so it never keeps the interpreter alive."
        ),
        "a cancelled block": "an interrupted block",
        "cancelled mid-request": "interrupted mid-request",
        "(cancellation, KeyboardInterrupt)": "(KeyboardInterrupt, SystemExit)",
        " (a cancelled scope must stop promptly)": "",
        "tempodb writer cancelled": "tempodb writer interrupted",
    },
    "tempodb/aio/_stream.py": {
        (
            " in a task of a task group the\n"
            "stream owns, so it needs ``async with client.stream_key(..., prefetch=True) as points:`` (plain\n"
            "``async for`` without prefetch runs no task at all)."
        ): (
            " in one helper thread (the\n"
            "transport must be thread-safe, as httpx and the embedded engine are); the thread ends with the\n"
            "stream: exhausted, ``close()``d, left in a ``with`` block, or garbage-collected."
        ),
        "An async iterator": "An iterator",
        "Stop reading (a prefetch in flight is cancelled when the ``async with`` block ends).": (
            "Stop reading: the prefetch thread (if any) finishes its request and ends."
        ),
    },
}

#: Left in generated code, any of these means a rule is missing.
ASYNC_ONLY = {"async", "await", "anyio", "Awaitable", "AsyncIterator", "AsyncIterable", "__aenter__", "__aexit__"}

HEADER = (
    "# Generated from {source} by `python tools/async_to_sync.py`: do not edit by hand.\n"
    "# Change the async module (or the tool's wording tables) and run the tool again; CI runs it with --check.\n"
)


class GenerationError(Exception):
    """The async source uses something the tool cannot translate (yet)."""


@dataclass
class TextRules:
    """Replacements for strings and comments, counting how often each per-module one applied."""

    local: dict[str, str]
    used: dict[str, int] = field(default_factory=dict)

    def apply(self, text: str) -> str:
        for old, new in self.local.items():
            if old in text:
                self.used[old] = self.used.get(old, 0) + text.count(old)
                text = text.replace(old, new)
        for pattern, new in COMMON_TEXT.items():
            text = re.sub(pattern, new, text)
        for old, (new, _) in DOTTED.items():
            text = re.sub(rf"(?<![\w.]){re.escape(old)}(?!\w)", new, text)
        return _WORDS.sub(lambda m: NAMES[m.group(0)], text)

    def unused(self) -> list[str]:
        return [old for old in self.local if not self.used.get(old)]


_WORDS = re.compile(r"(?<!\w)(?:" + "|".join(sorted(map(re.escape, NAMES), key=len, reverse=True)) + r")(?!\w)")
_STRING_TYPES = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1)}


def convert(source: str, name: str) -> str:
    """The sync module generated from the async module ``name`` (a path relative to the root)."""
    rules = TextRules(TEXT.get(name, {}))
    code, needed = _transform_tokens(source, rules)
    if stale := rules.unused():
        raise GenerationError(f"{name}: TEXT entries that no longer match: {stale!r}")
    code = _rebuild_imports(code, needed)
    code = _sort_all(code)
    _check(code, name)
    return HEADER.format(source=name) + code


def _transform_tokens(source: str, rules: TextRules) -> tuple[str, set[str]]:
    """Rewrite token by token; the text between tokens (spaces, line continuations) is kept."""
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(position: tuple[int, int]) -> int:
        return starts[position[0] - 1] + position[1]

    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    out: list[str] = []
    needed: set[str] = set()  # imports the sync names need
    dropped: set[int] = set()  # token indexes to leave out (the ``]`` of ``Awaitable[...]``)
    copied = 0
    eat_space = False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        begin, end = offset(tok.start), offset(tok.end)
        gap = source[copied:begin]
        if eat_space and gap.strip(" \t") == "":
            gap = ""
        eat_space = False
        out.append(gap)
        text = source[begin:end]
        copied = end
        if i in dropped:
            text = ""
        elif tok.type == tokenize.NAME:
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            if tok.string == "await" or (tok.string == "async" and following and following.string in {"def", "with", "for"}):
                text, eat_space = "", True
            elif tok.string == "Awaitable" and following and following.string == "[":
                dropped.add(_closing_bracket(tokens, i + 1))
                text, eat_space = "", True
                copied = offset(following.end)
                i += 1
            elif (dotted := _match_dotted(tokens, i)) is not None:
                last, (text, import_line) = dotted
                if import_line:
                    needed.add(import_line)
                copied = offset(tokens[last].end)
                i = last
            else:
                text = NAMES.get(tok.string, tok.string)
        elif tok.type in _STRING_TYPES and text == tok.string:  # (3.12 reports ``{{`` in f-strings oddly)
            text = _convert_string(text, rules)
        elif tok.type == tokenize.COMMENT:
            text = rules.apply(text)
        out.append(text)
        i += 1
    out.append(source[copied:])
    return "".join(out), needed


def _closing_bracket(tokens: Sequence[tokenize.TokenInfo], opening: int) -> int:
    depth = 0
    for index in range(opening, len(tokens)):
        if tokens[index].type == tokenize.OP and tokens[index].string in "([{":
            depth += 1
        elif tokens[index].type == tokenize.OP and tokens[index].string in ")]}":
            depth -= 1
            if depth == 0:
                return index
    raise GenerationError(f"line {tokens[opening].start[0]}: unbalanced brackets")


def _match_dotted(tokens: Sequence[tokenize.TokenInfo], index: int) -> tuple[int, tuple[str, str | None]] | None:
    """A ``DOTTED`` name starting at ``tokens[index]``: the index of its last token and its rule."""
    for dotted, rule in DOTTED.items():
        parts = dotted.split(".")
        want = [p for part in parts for p in (".", part)][1:]
        window = tokens[index : index + len(want)]
        if [t.string for t in window] == want:
            return index + len(want) - 1, rule
    return None


def _convert_string(text: str, rules: TextRules) -> str:
    # A string that is exactly a name (``getattr(x, "aclose")``, ``__all__``) is that name in code.
    match = re.fullmatch(r"([rbuRBU]*)(['\"])(\w+)\2", text)
    if match and match.group(3) in NAMES:
        return f"{match.group(1)}{match.group(2)}{NAMES[match.group(3)]}{match.group(2)}"
    return rules.apply(text)


@dataclass(frozen=True)
class _Import:
    module: str  # "" for a plain ``import``
    names: tuple[tuple[str, str | None], ...]  # (name, alias)

    @property
    def section(self) -> int:
        top = (self.module or self.names[0][0]).split(".")[0]
        if top == "__future__":
            return 0
        if top in sys.stdlib_module_names:
            return 1
        return 3 if top == "tempodb" or self.module.startswith(".") else 2

    def render(self) -> str:
        spelled = [f"{n} as {a}" if a else n for n, a in sorted(self.names, key=lambda na: _member_key(na[0]))]
        if not self.module:
            return "".join(f"import {s}\n" for s in spelled)
        line = f"from {self.module} import {', '.join(spelled)}\n"
        if len(line) <= 121:
            return line
        return f"from {self.module} import (\n" + "".join(f"    {s},\n" for s in spelled) + ")\n"


def _member_key(name: str) -> tuple[int, str, str]:
    # ruff's isort (order-by-type): CONSTANTS, then Classes, then the rest; case-insensitively.
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower(), name


def _rebuild_imports(code: str, needed: Iterable[str]) -> str:
    """Rebuild the module's leading imports: drop what the code no longer uses, add what ``DOTTED``
    names need, and sort them into sections the way ruff's isort does."""
    tree = ast.parse(code)
    body = tree.body
    first = 1 if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) else 0
    header: list[ast.Import | ast.ImportFrom] = []
    for node in body[first:]:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            break
        header.append(node)
    if not header:
        return code
    lines = code.splitlines(keepends=True)
    top, bottom = header[0].lineno - 1, header[-1].end_lineno or header[-1].lineno
    block = "".join(lines[top:bottom])
    if any(t.type == tokenize.COMMENT for t in tokenize.generate_tokens(io.StringIO(block).readline)):
        raise GenerationError("comments among the header imports would be lost")
    rest = "".join(lines[bottom:])
    used = {t.string for t in tokenize.generate_tokens(io.StringIO(rest).readline) if t.type == tokenize.NAME}
    imports: list[_Import] = []
    for node in header:
        if isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            kept = tuple((a.name, a.asname) for a in node.names if module == "__future__" or (a.asname or a.name) in used)
            if kept:
                imports.append(_Import(module, kept))
        else:
            for alias in node.names:
                if (alias.asname or alias.name.split(".")[0]) in used:
                    imports.append(_Import("", ((alias.name, alias.asname),)))
    for line in needed:
        extra = ast.parse(line).body[0]
        assert isinstance(extra, ast.Import)
        if not any(i.names == ((extra.names[0].name, None),) and not i.module for i in imports):
            imports.append(_Import("", ((extra.names[0].name, None),)))
    sections: dict[int, list[_Import]] = {}
    for imp in imports:
        sections.setdefault(imp.section, []).append(imp)
    rendered = []
    for section in sorted(sections):
        straight = sorted((i for i in sections[section] if not i.module), key=lambda i: i.names[0][0].lower())
        froms = sorted((i for i in sections[section] if i.module), key=lambda i: i.module.lower())
        rendered.append("".join(i.render() for i in (*straight, *froms)))
    return "".join(lines[:top]) + "\n".join(rendered) + rest


def _sort_all(code: str) -> str:
    """Keep a one-line ``__all__`` sorted once its names changed."""
    for node in ast.parse(code).body:
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["__all__"]
            and isinstance(node.value, ast.List)
            and node.lineno == node.end_lineno
        ):
            names = [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(names) != len(node.value.elts):
                continue
            names.sort(key=_member_key)
            lines = code.splitlines(keepends=True)
            lines[node.lineno - 1] = "__all__ = [" + ", ".join(f'"{n}"' for n in names) + "]\n"
            return "".join(lines)
    return code


def _check(code: str, name: str) -> None:
    compile(code, name, "exec")
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.NAME and (tok.string in ASYNC_ONLY or tok.string.startswith("Async")):
            raise GenerationError(f"{name}:{tok.start[0]}: {tok.string!r} has no sync translation (add a rule)")
    if "tempodb.aio" in code:
        raise GenerationError(f"{name}: 'tempodb.aio' is left in the sync module")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a sync module is stale")
    parser.add_argument("sources", nargs="*", help="async modules to convert (default: all of MODULES)")
    args = parser.parse_args(argv)
    sources = [Path(s).resolve().relative_to(ROOT).as_posix() for s in args.sources] or list(MODULES)
    stale = []
    for source in sources:
        if source not in MODULES:
            parser.error(f"{source} is not a generated module's source (see MODULES)")
        target = ROOT / MODULES[source]
        try:
            generated = convert((ROOT / source).read_text(encoding="utf-8"), source)
        except GenerationError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == generated:
            continue
        stale.append(MODULES[source])
        if not args.check:
            target.write_text(generated, encoding="utf-8")
            print(f"wrote {MODULES[source]} (from {source})")
    if args.check and stale:
        print(
            "stale generated modules (run `python tools/async_to_sync.py`): " + ", ".join(stale),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
