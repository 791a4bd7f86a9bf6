"""The plugin's modules are imported without pytest's assertion rewriter (unrewritten.py); the suite's
own test modules and conftests still are, and nothing warns, whichever way the plugin is loaded."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest_claude_contract

if TYPE_CHECKING:
    import pytest

# The package found on sys.path, as an installed wheel is: pytest's rewriter finds modules with
# sys.path's finder, and so cannot rewrite a package that an editable install maps from elsewhere.
SOURCE_ROOT = str(Path(pytest_claude_contract.__file__).resolve().parents[1])

SUITE = """
import sys

import pytest
from _pytest.assertion.rewrite import AssertionRewritingHook


def rewritten(prefix):
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if name.startswith(prefix) and isinstance(getattr(module, "__loader__", None), AssertionRewritingHook)
    )


@pytest.mark.claude_contract(cassette=False)
def test_plugin_modules_load_plainly():
    import pytest_claude_contract.capture.core  # what a covered test's recorder is built from

    assert "pytest_claude_contract.plugin" in sys.modules
    assert rewritten("pytest_claude_contract") == EXPECTED


def test_own_asserts_still_rewritten():
    assert rewritten("test_") == ["test_suite"]
    answer = {"value": 41}
    assert answer["value"] == 42
"""


def _suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, expected: list[str]) -> None:
    pytester.makepyfile(test_suite=SUITE.replace("EXPECTED", repr(expected)))
    monkeypatch.setenv("PYTHONPATH", SOURCE_ROOT)


def _check(result: pytest.RunResult) -> None:
    result.assert_outcomes(passed=1, failed=1)
    # The failing assert of the suite's own test still shows its values.
    result.stdout.fnmatch_lines(["*assert 41 == 42*"])
    result.stdout.no_fnmatch_line("*PytestAssertRewriteWarning*")


def test_autoloaded_plugin_is_not_rewritten(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed by entry point: only the package's own `__init__` (and the module it first imports)
    went through the rewriter before the package took itself off its list."""
    _suite(pytester, monkeypatch, ["pytest_claude_contract", "pytest_claude_contract.unrewritten"])
    _check(pytester.runpytest_subprocess("-W", "error::pytest.PytestAssertRewriteWarning"))


def test_plugin_named_with_p_is_not_rewritten(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Named with `-p` (autoload off): pytest marks the plugin module before importing it; the package
    is imported first and takes that mark off, so nothing of it is rewritten."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    _suite(pytester, monkeypatch, [])
    _check(
        pytester.runpytest_subprocess(
            "-p", "pytest_claude_contract.plugin", "-W", "error::pytest.PytestAssertRewriteWarning"
        )
    )


def test_inner_session_does_not_warn(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """An in-process session (pytester) after this one imported the plugin: its new rewriter finds
    the modules imported already and, the plugin module saying PYTEST_DONT_REWRITE, does not warn."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(
        test_inner="""
        def test_inner():
            assert True
        """
    )
    result = pytester.runpytest_inprocess(
        "-p", "pytest_claude_contract.plugin", "-W", "error::pytest.PytestAssertRewriteWarning"
    )
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*PytestAssertRewriteWarning*")
