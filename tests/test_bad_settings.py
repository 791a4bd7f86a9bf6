"""Bad settings get a usage error (or, for a test's own arguments, a failed test) that names the
setting and the fix, never a traceback from deep inside."""

from __future__ import annotations

import pytest


def test_a_nul_byte_in_cassette_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "import pytest\n\n@pytest.mark.claude_contract(cassette='a\\x00b')\ndef test_it():\n    pass\n"
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: *cassette=*a cassette name*"])
    assert "Traceback" not in result.stderr.str()


def test_a_max_age_too_large_for_a_date_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nclaude_max_age = 9999999999d\n")
    pytester.makepyfile("def test_it():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: ini option claude_max_age='9999999999d' is too long*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize("ini", ["claude_keep_failed", "claude_scrub_org_id", "claude_contract_autouse"])
def test_a_boolean_ini_that_is_not_one_names_the_setting(pytester: pytest.Pytester, ini: str) -> None:
    pytester.makeini(f"[pytest]\n{ini} = maybe\n")
    pytester.makepyfile("def test_it():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: ini option {ini}: *'maybe'*; use true or false"])


def test_a_config_fixture_that_returns_no_mapping_fails_the_test_with_the_fix(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        "import pytest\n\n@pytest.fixture(scope='module')\ndef claude_contract_config():\n    return ['hosts']\n"
    )
    pytester.makepyfile("import pytest\n\n@pytest.mark.claude_contract\ndef test_it():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*claude_contract_config must return a dict of marker arguments*got list*"])
    assert "Traceback" not in result.stdout.str()


def test_cassettes_json_naming_a_folder_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.mkdir("out")
    pytester.makepyfile("def test_it():\n    pass\n")
    result = pytester.runpytest("--claude-cassettes-json=out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --claude-cassettes-json=out is a folder; give a file path*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
