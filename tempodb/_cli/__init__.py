"""Pieces of the ``tempodb`` command line kept out of ``tempodb/cli.py``: where to connect, CSV
input, the progress bar, the terminal chart and the demo.  Private: their shape may change."""
