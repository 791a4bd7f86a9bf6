"""auth-key-kind, model-retired and model-deprecated through the plugin: real pytest sessions (pytester)
whose tests use the anthropic SDK and raw httpx over real sockets against the stand-in (tests/fake_api.py),
and the `models` command.

The admin key and the standard key are built at run time; no file holds a key-shaped literal.
"""

from __future__ import annotations

import importlib
import json
from datetime import date
from typing import TYPE_CHECKING

import pytest

from pytest_claude_contract.cli import main
from pytest_claude_contract.contract import checks

if TYPE_CHECKING:
    from fake_api import FakeClaudeAPI

for _module in ("anthropic", "httpx", "pytest_claude_contract.capture.core"):
    importlib.import_module(_module)  # kept loaded across pytester runs (see test_rules.py)

CLIENTS_MODULE = '''
import os

import anthropic
import httpx

URL = os.environ["FAKE_API_URL"]
KEY = os.environ["ANTHROPIC_API_KEY"]
ADMIN_KEY = "sk-ant-" + "admin01-" + "Adm1nK3y" * 5


def admin_get(path, key=ADMIN_KEY):
    """Raw httpx, as the Admin API has no high-level client in most code."""
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    return httpx.get(URL + path, headers=headers).status_code


def ask(model="claude-sonnet-4-6", api_key=None):
    client = anthropic.Anthropic(api_key=api_key or KEY, max_retries=0)
    return client.messages.create(model=model, max_tokens=16, messages=[{"role": "user", "content": "Hi"}])
'''


@pytest.fixture
def run(suite: pytest.Pytester, api_key: str) -> pytest.Pytester:
    suite.makepyfile(claude_clients=CLIENTS_MODULE)
    return suite


# The outer suite turns warnings into errors, and in-process runs inherit that: show ours as warnings.
SHOW_WARNINGS = ("-W", "default::pytest_claude_contract.ClaudeContractWarning")


def test_admin_and_standard_keys_each_on_their_own_endpoints(
    run: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    """A standard key on the Admin API, and an admin key on Messages (the SDK sends it as Bearer), fail
    with auth-key-kind; each key on its own endpoints passes. No report shows more than 10 characters of
    either key."""
    run.makepyfile(
        test_keys="""
        import pytest
        from claude_clients import ADMIN_KEY, KEY, admin_get, ask

        pytestmark = pytest.mark.claude_contract(cassette=False)

        @pytest.mark.parametrize("path", [
            "/v1/organizations/users",
            "/v1/organizations/workspaces",
            "/v1/organizations/usage_report/messages",
            "/v1/organizations/cost_report",
            "/v1/organizations/usage_report/claude_code",
        ])
        def test_admin_key_on_admin_api(path):
            assert admin_get(path) == 200

        def test_standard_key_on_admin_api():
            assert admin_get("/v1/organizations/usage_report/messages", key=KEY) == 200

        def test_admin_key_on_messages():
            ask(api_key=ADMIN_KEY)

        def test_standard_key_on_messages():
            ask()
        """
    )
    result = run.runpytest("-rf")
    result.assert_outcomes(passed=6, failed=2)
    result.stdout.fnmatch_lines(
        [
            "_* test_standard_key_on_admin_api _*",
            "Claude API contract: 1 violation in 1 of 1 exchange",
            "",
            f"GET {api.url}/v1/organizations/usage_report/messages -> 200 (live), exchange 1",
            "  [[]auth-key-kind] a standard API key (`sk-ant-api...` in `x-api-key`) is sent to Usage and "
            "Cost API (GET /v1/organizations/usage_report/messages), which takes an admin key",
            "    fix: Use an admin key *",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "_* test_admin_key_on_messages _*",
            "Claude API contract: 1 violation in 1 of 1 exchange",
            "",
            f"POST {api.url}/v1/messages -> 200 (live), exchange 1",
            "  [[]auth-key-kind] an admin key (`sk-ant-adm...` in `authorization`) is sent to Messages "
            "(POST /v1/messages); admin keys work only on the Admin API (`/v1/organizations/...`), the "
            "other endpoints take a standard API key",
        ]
    )
    result.stdout.fnmatch_lines(["violations: 2 (failing tests)", "  auth-key-kind: 2"])
    output = result.stdout.str() + result.stderr.str()
    admin_key = "sk-ant-" + "admin01-" + "Adm1nK3y" * 5
    assert api_key[:11] not in output
    assert admin_key[:11] not in output
    assert len(api.requests) == 8  # judged, not blocked


def test_a_retired_model_fails_and_an_active_one_passes(run: pytest.Pytester, api: FakeClaudeAPI) -> None:
    """Judged by today's real date: claude-sonnet-4-5 retired on 2026-11-30, and stays retired."""
    run.makepyfile(
        test_models="""
        import pytest
        from claude_clients import ask

        pytestmark = pytest.mark.claude_contract(cassette=False)

        def test_retired():
            ask("claude-sonnet-4-5")

        def test_active():
            ask("claude-sonnet-4-6")

        @pytest.mark.claude_contract(allow=["model-retired"])
        def test_retired_allowed():
            ask("claude-sonnet-4-5")
        """
    )
    result = run.runpytest("-rf")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "_* test_retired _*",
            "Claude API contract: 1 violation in 1 of 1 exchange",
            "",
            f"POST {api.url}/v1/messages -> 200 (live), exchange 1",
            "  [[]model-retired] the request names model 'claude-sonnet-4-5', retired on 2026-11-30 "
            f"(judged on {date.today()}): the API refuses it; use 'claude-sonnet-4-6' instead",
            "    fix: Change the model id to the suggested replacement and re-record the cassette*",
            "",
            'To accept a rule for a test: @pytest.mark.claude_contract(allow=[[]"model-retired"]).',
        ]
    )
    result.stdout.fnmatch_lines(
        ["violations: 1 (failing tests)", "  model-retired: 1", "allowed by marker: model-retired 1"]
    )
    result.stdout.fnmatch_lines(["FAILED test_models.py::test_retired - *"])


def test_a_retired_model_fails_on_replay_too(run: pytest.Pytester, api: FakeClaudeAPI) -> None:
    """Recorded (allowed) and replayed with the stand-in stopped: the cassette still names a model the
    API now refuses, and the replayed test fails."""
    run.makepyfile(
        test_replay="""
        import pytest
        from claude_clients import ask

        @pytest.mark.claude_contract(cassette="old-model.yaml", allow=["model-retired"])
        def test_recording():
            ask("claude-sonnet-4-5")

        @pytest.mark.claude_contract(cassette="old-model.yaml")
        def test_old_model():
            ask("claude-sonnet-4-5")
        """
    )
    run.runpytest("--claude-record-mode=once", "-k", "recording").assert_outcomes(passed=1)
    api.stop()
    result = run.runpytest("--claude-record-mode=none", "-k", "old_model")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*-> 200 (replayed), exchange 1", "  [[]model-retired] *claude-sonnet-4-5*"])


def test_a_deprecated_model_warns_and_passes(
    run: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """model-deprecated is a warning: the test passes; the warning is a pytest warning and a summary line.
    The day is fixed (the in-process session shares the module) so that the test keeps its meaning after
    claude-opus-4-5 retires on 2027-01-22."""
    monkeypatch.setattr(checks, "judging_day", lambda: date(2026, 12, 7))
    run.makepyfile(
        test_deprecated="""
        import warnings

        import pytest
        from claude_clients import ask

        pytestmark = pytest.mark.claude_contract(cassette=False)

        def test_deprecated():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # the SDK's own warning
                ask("claude-opus-4-5")

        def test_inspects(claude_contract):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ask("claude-opus-4-5")
            assert [v.rule for v in claude_contract.violations] == ["model-deprecated"]
            claude_contract.assert_conformant()  # a warning is no failure
        """
    )
    result = run.runpytest("-rf", *SHOW_WARNINGS)
    result.assert_outcomes(passed=2, warnings=2)
    result.stdout.fnmatch_lines(
        [
            "*ClaudeContractRuleWarning: Claude API contract: 1 violation (1 of them a warning) in 1 of 1 exchange",
            "*",
            "*[[]model-deprecated] (warning) the request names model 'claude-opus-4-5', deprecated: it retires "
            "on 2027-01-22 (judged on 2026-12-07); use 'claude-opus-4-8' instead",
        ]
    )
    result.stdout.fnmatch_lines(
        ["violations: 0", "warnings: 2 (reported only, failing no test)", "  model-deprecated: 2"]
    )
    # After the retirement date the same test fails.
    monkeypatch.setattr(checks, "judging_day", lambda: date(2027, 1, 22))
    later = run.runpytest(*SHOW_WARNINGS)
    later.assert_outcomes(failed=2)
    later.stdout.fnmatch_lines(["*[[]model-retired] the request names model 'claude-opus-4-5'*"])


def test_the_deprecation_warning_can_be_made_an_error(
    run: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Users filter the warning class like any other: `-W error::...ClaudeContractRuleWarning` makes it fail."""
    monkeypatch.setattr(checks, "judging_day", lambda: date(2026, 12, 7))
    run.makepyfile(
        test_strict="""
        import warnings

        import pytest
        from claude_clients import ask

        @pytest.mark.claude_contract(cassette=False)
        def test_deprecated():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ask("claude-opus-4-5")
        """
    )
    result = run.runpytest("-W", "error::pytest_claude_contract.ClaudeContractRuleWarning")
    result.assert_outcomes(failed=1)


# ------------------------------------------------------------------ the models command


def test_models_command_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--on", "2026-12-07"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Model lifecycle (Claude API), status on 2026-12-07\n")
    rows = {line.split()[0]: line.split() for line in out.splitlines()[3:] if line.startswith("claude-")}
    assert rows["claude-sonnet-4-5"][:6] == [
        "claude-sonnet-4-5",
        "retired",
        "2026-10-01",
        "(assumed:",
        "the",
        "60",
    ]
    assert "2026-11-30" in rows["claude-sonnet-4-5"]
    assert "claude-sonnet-4-6" in rows["claude-sonnet-4-5"]
    assert rows["claude-opus-4-5"][1] == "deprecated"
    assert "claude-sonnet-4-6" not in rows  # active: not listed
    assert "Amazon Bedrock and Vertex AI set their own schedules." in out


def test_models_command_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--json", "--on", "2026-10-15"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["judged_on"] == "2026-10-15"
    assert data["platform"] == "Claude API"
    by_id = {m["model"]: m for m in data["models"]}
    assert by_id["claude-sonnet-4-5"] == {
        "model": "claude-sonnet-4-5",
        "status": "deprecated",
        "deprecated_on": None,
        "deprecated_from": "2026-10-01",
        "retired_on": "2026-11-30",
        "replacement": "claude-sonnet-4-6",
        "source": "Docs, Model deprecations",
    }
    assert by_id["claude-opus-4-5"]["status"] == "active"
    assert by_id["claude-2.1"]["status"] == "retired"


def test_models_command_defaults_to_today_and_rejects_a_bad_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    assert f"status on {date.today()}" in capsys.readouterr().out
    assert main(["models", "--on", "7 December"]) == 2
    assert "--on '7 December' is not a date; give it as YYYY-MM-DD" in capsys.readouterr().err
