"""The tempodb benchmark suite: ``python -m benchmarks`` (``--quick`` for a smoke run).

Every figure is a ratio against a baseline measured in the same run, on the same machine, so the
numbers mean something on any machine: the 2013 client's way of doing the same work, a bare httpx
client, raw SQLite, or msgspec at its limit.  Sections live in small modules:

- ``codec``: encoding write bodies and decoding data sets (sections ``encode`` and ``decode``);
- ``overhead``: per-request cost of our clients over bare httpx (``overhead``);
- ``end_to_end``: write and read through the embedded and HTTP transports vs raw SQLite
  (``end_to_end`` at the largest size, ``scaling`` across sizes), each scenario in a child process
  (``_child``) so its peak RSS is its own;
- ``concurrency``: async writers on asyncio and trio against ``tempodb serve``;
- ``writer_speed``: the batching writer and ``tempodb import`` against plain ``write_multi`` (``writer``).
"""
