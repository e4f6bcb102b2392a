"""The ``slow`` marker: skipped in the everyday run, run with ``--slow`` or when ``CI`` is set, and
an unregistered marker is an error.  pytest runs in-process on a generated file with this suite's
conftest.py and pytest settings."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
CONFTEST = (TESTS / "conftest.py").read_text(encoding="utf-8")
PYPROJECT = (TESTS.parent / "pyproject.toml").read_text(encoding="utf-8")
SAMPLE = """
import pytest

def test_quick():
    pass

@pytest.mark.slow
def test_slow():
    pass
"""


@pytest.fixture
def sample(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyprojecttoml(PYPROJECT)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_sample=SAMPLE)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # Hypothesis's plugin would import hypothesis afresh in every in-process run (~0.5 s): not needed here.
    return pytester.runpytest("-p", "no:hypothesispytest", *args)


@pytest.mark.parametrize("ci", [None, "", "0", "False"])
def test_slow_tests_are_skipped_by_default_with_a_reason(
    sample: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> None:
    if ci is not None:
        monkeypatch.setenv("CI", ci)
    result = run(sample, "-rs", "test_sample.py")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["1 slow test skipped: run them with --slow*", "*run it with --slow, or with CI=true*"])


@pytest.mark.parametrize("ci", [None, "true", "1"])
def test_slow_tests_run_with_the_option_or_in_ci(
    sample: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> None:
    if ci is None:
        run(sample, "--slow", "test_sample.py").assert_outcomes(passed=2)
    else:
        monkeypatch.setenv("CI", ci)
        run(sample, "test_sample.py").assert_outcomes(passed=2)


def test_an_unregistered_marker_is_an_error(sample: pytest.Pytester) -> None:
    sample.makepyfile(test_typo="import pytest\n\n@pytest.mark.slwo\ndef test_x():\n    pass\n")
    result = run(sample, "test_typo.py")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*'slwo' not found in `markers` configuration option*"])
