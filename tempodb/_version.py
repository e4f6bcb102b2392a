"""The package version, in one place (pyproject.toml reads it from here).

Calendar versions, ``YEAR.MONTH.PATCH``: PyPI's ``tempodb`` (TempoDB's own 2014 client, which installs
the same ``tempodb`` module) went from 0.0.5 to 1.0.1c, and no version of this form can be mistaken
for one of those.
"""

__version__ = "2026.12.0"
