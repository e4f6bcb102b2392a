"""``python -m tempodb.server``: the same as ``tempodb serve``."""

from tempodb.server.serve import main

if __name__ == "__main__":
    raise SystemExit(main())
