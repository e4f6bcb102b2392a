"""``python -m tempodb``: the same as the ``tempodb`` command."""

from tempodb.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
