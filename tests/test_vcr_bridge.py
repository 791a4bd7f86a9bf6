"""claude_contract_vcr: a pytest-recording suite adopts the plugin by one line of its config.

The inner suite is modelled on real ones: a `vcr_config` that filters the credential headers, strips
the response headers with a `before_record_response`, and matches on method and URI only; tests with
the anthropic SDK, raw httpx and requests, a non-Claude host in the same test. It is recorded with
pytest-recording (`--record-mode=once`) against the loopback stand-in, then replayed with the
stand-in stopped, with the option and without."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import anthropic  # noqa: F401
import httpx  # noqa: F401
import pytest
import requests  # noqa: F401
import yaml
from fake_api import FakeClaudeAPI
from helpers import go_offline

from pytest_claude_contract.cassette.scrub import REDACTED
from pytest_claude_contract.cli import main

if TYPE_CHECKING:
    from collections.abc import Iterator

CONFTEST = """
import os
import pytest


def strip_response_headers(response):
    # What real suites do to keep request ids and organization ids out of their cassettes.
    response["headers"] = {
        name: value for name, value in response["headers"].items() if name.lower() == "content-type"
    }
    return response


@pytest.fixture
def vcr_config():
    return {
        "filter_headers": FILTERED,
        "before_record_response": strip_response_headers,
        "match_on": ["method", "uri"],
    }


@pytest.fixture
def key():
    # Real suites fall back to a dummy key when replaying.
    return os.environ.get("ANTHROPIC_API_KEY", "sk-ant-api03-dummy-key-for-replay-xxxxxxxxxx")
"""

SUITE = """
import os
import anthropic
import httpx
import pytest
import requests

URL = os.environ["FAKE_API_URL"]
OTHER = os.environ["OTHER_URL"]
BODY = {"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}


@pytest.mark.vcr
def test_sdk(key):
    with anthropic.Anthropic(api_key=key, base_url=URL, max_retries=0) as client:
        message = client.messages.create(**BODY)
    assert message.content[0].type == "text"


@pytest.mark.vcr
def test_httpx_with_an_image_fetch(key):
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    answer = httpx.post(URL + "/v1/messages", headers=headers, json=BODY)
    assert answer.status_code == 200
    # Not Claude traffic: another host, no anthropic-version, recorded and replayed by pytest-recording.
    assert requests.get(OTHER + "/image.png").status_code == 404


@pytest.mark.vcr
def test_requests_without_version(key):
    answer = requests.post(URL + "/v1/messages", headers={"x-api-key": key}, json=BODY)
    assert answer.status_code == 200


def test_unmarked():
    assert True
"""

BOTH = """
import os
import requests
import pytest

URL = os.environ["FAKE_API_URL"]
BODY = {"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}


@pytest.mark.vcr
@pytest.mark.claude_contract
def test_both(key):
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    assert requests.post(URL + "/v1/messages", headers=headers, json=BODY).status_code == 200


@pytest.mark.vcr
@pytest.mark.claude_contract(allow=["version-missing"])
def test_both_allowing(key, claude_contract):
    assert requests.post(URL + "/v1/messages", headers={"x-api-key": key}, json=BODY).status_code == 200
    assert [exchange.request.path for exchange in claude_contract.exchanges] == ["/v1/messages"]
"""

FILTER_KEYS = '["x-api-key", "authorization"]'


@pytest.fixture
def other(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClaudeAPI]:
    """A second loopback server, not a Claude host of the inner tests (an image host)."""
    with FakeClaudeAPI() as server:
        monkeypatch.setenv("OTHER_URL", server.url)
        yield server


def _suite(pytester: pytest.Pytester, filtered: str = FILTER_KEYS, **modules: str) -> None:
    pytester.makeconftest(CONFTEST.replace("FILTERED", filtered))
    pytester.makepyfile(**modules)


def _keep_response_headers(pytester: pytest.Pytester) -> None:
    """The suite's vcr_config without its before_record_response."""
    conftest = pytester.path / "conftest.py"
    kept = conftest.read_text().replace('"before_record_response": strip_response_headers,', "")
    assert kept != conftest.read_text()
    conftest.write_text(kept)


def _record(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Recorded by pytest-recording, as the suite's maintainers did."""
    return pytester.runpytest("--record-mode=once", "-p", "no:randomly", *args)


def _cassette(pytester: pytest.Pytester, module: str, test: str) -> Path:
    return pytester.path / "cassettes" / module / f"{test}.yaml"


@pytest.fixture
def recorded(
    pytester: pytest.Pytester,
    api: FakeClaudeAPI,
    other: FakeClaudeAPI,
    api_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> pytest.Pytester:
    """The suite recorded without the option, then both servers stopped, no key, CI set."""
    _suite(pytester, test_suite=SUITE)
    _record(pytester).assert_outcomes(passed=4)
    assert len(other.requests) == 1
    other.stop()
    go_offline(api, monkeypatch)
    return pytester


def test_replayed_as_before_and_checked_with_the_option(recorded: pytest.Pytester) -> None:
    """Without the option the suite passes, nothing checked; with it, the conformant tests pass as
    before, from pytest-recording's cassettes, their Claude exchanges counted; the stripped response
    headers are "not recorded", not violations; the image fetch is another host's, unchecked; the
    client that sends no anthropic-version fails with the contract report."""
    before = recorded.runpytest("-p", "no:randomly")
    before.assert_outcomes(passed=4)
    assert "exchanges checked" not in before.stdout.str()

    after = recorded.runpytest("-p", "no:randomly", "--claude-contract-vcr", "-rA")
    after.assert_outcomes(passed=3, failed=1)
    after.stdout.fnmatch_lines(
        [
            "claude contract: *pytest-recording's @pytest.mark.vcr tests checked (claude_contract_vcr)",
            "*test_requests_without_version*",
            "Claude API contract: 1 violation in 1 of 1 exchange",
            "POST http://127.0.0.1:*/v1/messages*, exchange 1",
            "  [[]version-missing] *",
            "exchanges checked: 3 (3 replayed, 0 live)",
            "other hosts: 1 exchange(s) recorded or replayed, not checked",
            "violations: 1 (failing tests)",
            "  version-missing: 1",
            "not recorded: 6 (response headers the cassette's recorder removed, as lint reports them; not failing)",
            "  response-organization-id: 3",
            "  response-request-id: 3",
            "pytest-recording tests checked (claude_contract_vcr): 3; their cassettes are pytest-recording's",
            "FAILED test_suite.py::test_requests_without_version - Failed: Claude API contract: 1 violation*",
        ]
    )
    # The same through the ini option; and in warn mode, listed and not failing, as for the marker.
    recorded.makeini("[pytest]\nclaude_contract_vcr = true\n")
    recorded.runpytest("-p", "no:randomly").assert_outcomes(passed=3, failed=1)
    warned = recorded.runpytest("-p", "no:randomly", "--claude-contract=warn")
    warned.assert_outcomes(passed=4)
    warned.stdout.fnmatch_lines(
        [
            "violations: 1 (reported only)",
            "violations (warn mode):",
            "  test_suite.py::test_requests_without_version: [[]version-missing] *",
        ]
    )


def test_a_cassette_the_plugin_wrote_is_judged_in_full(recorded: pytest.Pytester) -> None:
    """The same stripped response in a cassette whose interactions carry `recorded_at` (the plugin's
    own writing): the missing headers are violations, not "not recorded"."""
    cassette = _cassette(recorded, "test_suite", "test_sdk")
    text = cassette.read_text()
    cassette.write_text(text.replace("- request:", "- recorded_at: '2026-12-01T00:00:00Z'\n  request:"))
    assert yaml.safe_load(cassette.read_text())["interactions"][0]["recorded_at"]

    result = recorded.runpytest("-p", "no:randomly", "--claude-contract-vcr", "test_suite.py::test_sdk")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  [[]response-request-id] *", "  [[]response-organization-id] *"])

    cassette.write_text(text)
    result = recorded.runpytest("-p", "no:randomly", "--claude-contract-vcr", "test_suite.py::test_sdk")
    result.assert_outcomes(passed=1)


def test_recording_under_the_option_checks_live_exchanges(
    pytester: pytest.Pytester, api: FakeClaudeAPI, other: FakeClaudeAPI, api_key: str
) -> None:
    """pytest-recording records (its `append`): the live exchanges are checked in full, the missing
    anthropic-version fails its test, the others pass and their cassettes are written as before."""
    _suite(pytester, test_suite=SUITE)
    result = _record(pytester, "--claude-contract-vcr")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        ["  [[]version-missing] *", "exchanges checked: 3 (0 replayed, 3 live)", "  version-missing: 1"]
    )
    assert "not recorded:" not in result.stdout.str()  # live answers hold every header
    sdk = yaml.safe_load(_cassette(pytester, "test_suite", "test_sdk").read_text())
    assert list(sdk["interactions"][0]["response"]["headers"]) == ["content-type"]  # its filter ran


def test_keys_do_not_reach_the_cassette(
    pytester: pytest.Pytester, api: FakeClaudeAPI, other: FakeClaudeAPI, api_key: str
) -> None:
    """A suite that filters no header: without the option pytest-recording writes the key; with
    it, what pytest-recording stores is scrubbed first (the request's header, and the API's echo of
    it in a response header and body), and the cassette still replays."""
    _suite(pytester, filtered="[]", test_suite=SUITE)
    _keep_response_headers(pytester)
    _record(pytester, "test_suite.py::test_sdk").assert_outcomes(passed=1)
    cassette = _cassette(pytester, "test_suite", "test_sdk")
    assert api_key in cassette.read_text()  # what the option prevents

    cassette.unlink()
    api.misbehave.add("echo-credential")
    _record(pytester, "--claude-contract-vcr", "test_suite.py::test_sdk").assert_outcomes(passed=1)
    text = cassette.read_text()
    assert api_key not in text
    # The request's header, the echo in the response's x-echo-credential and in its JSON body.
    assert text.count(REDACTED) == 3
    assert yaml.safe_load(text)["interactions"][0]["response"]["headers"]["x-echo-credential"] == [REDACTED]
    stored = yaml.safe_load(cassette.read_text())["interactions"][0]["request"]["headers"]
    # SDK 2.x sends Authorization: Bearer (the scheme is kept), 0.x and 1.x x-api-key.
    assert stored.get("authorization", stored.get("x-api-key")) in ([f"Bearer {REDACTED}"], [REDACTED])

    api.stop()
    pytester.runpytest(
        "-p", "no:randomly", "--claude-contract-vcr", "test_suite.py::test_sdk"
    ).assert_outcomes(passed=1)


def test_both_markers_with_the_option_pytest_recording_owns_the_cassette(
    pytester: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest-recording records and replays; the marker's checking arguments (allow=) apply, and its
    `claude_contract` fixture is the check-only recorder."""
    _suite(pytester, test_both=BOTH)
    _record(pytester, "--claude-contract-vcr").assert_outcomes(passed=2)
    cassette = _cassette(pytester, "test_both", "test_both")
    assert "recorded_at" not in cassette.read_text()  # pytest-recording wrote it, not the plugin

    go_offline(api, monkeypatch)
    result = pytester.runpytest("-p", "no:randomly", "--claude-contract-vcr", "-rP")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "both @pytest.mark.vcr and @pytest.mark.claude_contract: pytest-recording owns the cassette*",
            "exchanges checked: 2 (2 replayed, 0 live)",
            "allowed by marker: version-missing 1",
            "tests with both @pytest.mark.vcr and @pytest.mark.claude_contract: 2, pytest-recording owns *",
        ]
    )


def test_both_markers_without_the_option_the_plugin_owns_the_cassette(
    pytester: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not `exchanges checked: 0` as before: pytest-recording's vcr is not set up, the plugin records
    and replays its own cassette, and says so."""
    _suite(pytester, test_both=BOTH)
    result = pytester.runpytest("-p", "no:randomly", "--record-mode=once", "--claude-record-mode=once")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "exchanges checked: 2 (0 replayed, 2 live)",
            "tests with both @pytest.mark.vcr and @pytest.mark.claude_contract: 2, @pytest.mark.claude_contract "
            "owns the cassette (claude_contract_vcr off): pytest-recording's vcr fixture was not set up",
        ]
    )
    assert "recorded_at" in _cassette(pytester, "test_both", "test_both").read_text()  # the plugin's

    go_offline(api, monkeypatch)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["exchanges checked: 2 (2 replayed, 0 live)"])


def test_both_markers_and_the_vcr_fixture_asked_for_without_the_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.vcr
        @pytest.mark.claude_contract
        def test_both(vcr):
            pass
        """
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*test_both: @pytest.mark.claude_contract and @pytest.mark.vcr, and the test*Set claude_contract_vcr = true*"
        ]
    )


def test_both_markers_with_cassette_arguments_under_the_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.vcr
        @pytest.mark.claude_contract(cassette="shared", record_mode="none")
        def test_both():
            pass
        """
    )
    result = pytester.runpytest("--claude-contract-vcr")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*@pytest.mark.claude_contract(cassette=..., record_mode=...) with @pytest.mark.vcr: pytest-recording owns*"
        ]
    )


def test_the_option_without_vcr_tests_changes_nothing(suite: pytest.Pytester, api: FakeClaudeAPI) -> None:
    """A suite of the plugin's own tests: the option on changes nothing but the header line."""
    suite.makepyfile(
        """
        import os
        import requests
        import pytest

        @pytest.mark.claude_contract(cassette=False)
        def test_own():
            headers = {"x-api-key": "sk-ant-api03-" + "k" * 40, "anthropic-version": "2023-06-01"}
            body = {"model": "claude-sonnet-4-6", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
            assert requests.post(os.environ["FAKE_API_URL"] + "/v1/messages", headers=headers, json=body).ok
        """
    )
    result = suite.runpytest("--claude-contract-vcr")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["exchanges checked: 1 (0 replayed, 1 live)"])
    assert "pytest-recording tests checked" not in result.stdout.str()


def test_the_option_off_imports_nothing(pytester: pytest.Pytester) -> None:
    """Without the option, a pytest-recording suite never imports the bridge (start-up is measured)."""
    pytester.makepyfile(
        """
        import sys
        import pytest

        @pytest.mark.vcr
        def test_marked():
            assert "pytest_claude_contract.plugin.vcr_bridge" not in sys.modules
        """
    )
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (
            "[pytest]\nclaude_contract_vcr = maybe\n",
            (),
            "*ini option claude_contract_vcr: *'maybe'*; use true or false",
        ),
        (
            "",
            ("--claude-contract-vcr", "-p", "no:recording"),
            "*claude_contract_vcr is on*pytest-recording is not active: install it (python -m pip install "
            "pytest-recording)*",
        ),
    ],
    ids=["bad-ini-value", "pytest-recording-not-active"],
)
def test_bad_settings(pytester: pytest.Pytester, setup: str, args: tuple[str, ...], message: str) -> None:
    if setup:
        pytester.makeini(setup)
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert not re.search(r"Traceback", result.stderr.str())


def test_the_cassettes_json_lists_pytest_recordings_cassettes(pytester: pytest.Pytester) -> None:
    """`--claude-cassettes-json` (what `lint --orphans` reads, from a collection): a bridged test's
    cassette is pytest-recording's, in its layout; without the option it is not listed."""
    pytester.makepyfile(
        test_listed="""
        import pytest

        @pytest.mark.vcr
        def test_one():
            pass

        @pytest.mark.vcr
        @pytest.mark.default_cassette("named")
        def test_two():
            pass
        """
    )
    out = pytester.path / "cassettes.json"
    pytester.runpytest("--collect-only", "--claude-contract-vcr", f"--claude-cassettes-json={out}")
    folder = pytester.path / "cassettes" / "test_listed"
    assert json.loads(out.read_text())["cassettes"] == [
        str(folder / "named.yaml"),
        str(folder / "test_one.yaml"),
    ]

    pytester.runpytest("--collect-only", f"--claude-cassettes-json={out}")
    assert json.loads(out.read_text())["cassettes"] == []


ZIPPED = """
import os
import anthropic
import pytest
import requests

URL = os.environ["FAKE_API_URL"]
BODY = {"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}


@pytest.mark.vcr
def test_rate_limited(key):
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01", "accept-encoding": "gzip"}
    answer = requests.post(URL + "/v1/messages", headers=headers, json={**BODY, "model": "trigger-429"})
    assert answer.status_code == 429


@pytest.mark.vcr
def test_stream(key):
    with anthropic.Anthropic(api_key=key, base_url=URL, max_retries=0) as client:
        with client.messages.stream(**BODY) as stream:
            assert stream.get_final_text() == "Echo: Hi"
"""


@pytest.mark.parametrize("misbehaving", [False, True], ids=["sound", "misbehaving"])
def test_gzip_bodies_and_streams_in_pytest_recordings_cassettes_are_checked(
    pytester: pytest.Pytester, api_key: str, monkeypatch: pytest.MonkeyPatch, misbehaving: bool
) -> None:
    """A gzip error answer (stored `!!binary` by vcrpy) is checked decoded, a stream event by event:
    a sound recording replays as before under the option; answers recorded from a misbehaving API
    (a wrong error type, message_stop before message_delta) pass without it and fail with it."""
    with FakeClaudeAPI(gzip_responses=True) as zipped:
        monkeypatch.setenv("FAKE_API_URL", zipped.url)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", zipped.url)
        if misbehaving:
            zipped.misbehave.update({"wrong-error-type", "stream-out-of-order"})
        _suite(pytester, test_zipped=ZIPPED)
        _keep_response_headers(pytester)  # the body stays as the API sent it, gzip
        _record(pytester).assert_outcomes(passed=2)
    # This vcrpy stores the body decoded under `content-encoding: gzip`; older ones, and real suites'
    # cassettes, hold the gzip bytes as `!!binary`: made so here.
    cassette = _cassette(pytester, "test_zipped", "test_rate_limited")
    data = yaml.safe_load(cassette.read_text())
    response = data["interactions"][0]["response"]
    assert response["headers"]["content-encoding"] == ["gzip"]
    response["body"]["string"] = gzip.compress(response["body"]["string"].encode())
    cassette.write_text(yaml.safe_dump(data))
    assert "!!binary" in cassette.read_text()
    monkeypatch.delenv("ANTHROPIC_API_KEY")

    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)
    result = pytester.runpytest("-p", "no:randomly", "--claude-contract-vcr")
    if not misbehaving:
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(["exchanges checked: 2 (2 replayed, 0 live)", "violations: 0"])
        return
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["violations: 2 (failing tests)", "  error-status: 1", "  stream-order: 1"])


# ------------------------------------------------------------------ where pytest-recording keeps them

LAYOUT_CONFTEST = """
import os
import pytest


@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    return os.path.join(str(request.config.rootpath), "recorded", request.module.__name__)


@pytest.fixture
def vcr_config():
    return {"serializer": "json", "filter_headers": ["x-api-key"]}
"""

LAYOUT_SUITE = """
import os
import httpx
import pytest

URL = os.environ["FAKE_API_URL"] + "/v1/messages"
HEADERS = {"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"}
BODY = {"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}


def ask():
    assert httpx.post(URL, headers=HEADERS, json=BODY).status_code == 200


@pytest.mark.vcr
def test_plain():
    ask()


@pytest.mark.vcr
@pytest.mark.default_cassette("by-marker")
def test_named_by_marker():
    ask()


@pytest.mark.vcr("shared.yaml")
def test_reads_a_shared_one():
    ask()


@pytest.mark.vcr(serializer="yaml")
@pytest.mark.parametrize("path", ["a/b"])
def test_parametrized(path):
    ask()


class TestGroup:
    @pytest.mark.vcr
    def test_in_class(self):
        ask()
"""

# A cassette folder only a running test can tell: pytest-recording's default stands in at collection.
ELSEWHERE_SUITE = """
import os
import httpx
import pytest

@pytest.fixture
def vcr_cassette_dir(pytestconfig):
    return os.path.join(str(pytestconfig.rootpath), "recorded", "elsewhere")


@pytest.mark.vcr
def test_elsewhere():
    headers = {"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"}
    body = {"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}
    assert httpx.post(os.environ["FAKE_API_URL"] + "/v1/messages", headers=headers, json=body).status_code == 200
"""


def test_the_cassettes_listed_for_lint_orphans_are_where_pytest_recording_keeps_them(
    pytester: pytest.Pytester,
    api: FakeClaudeAPI,
    api_key: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Under claude_contract_vcr, `--claude-cassettes-json` (what `lint --orphans` reads) names each
    test's cassette as pytest-recording names it: the suite's `vcr_cassette_dir` and `vcr_config`
    serializer, the `default_cassette` marker, a marker's serializer, a class and a parameter id, and
    the extra cassettes `@pytest.mark.vcr("path")` reads; `lint --orphans` calls none of them an
    orphan, and still lists the file no test uses."""
    pytester.makeconftest(LAYOUT_CONFTEST)
    pytester.makepyfile(test_layout=LAYOUT_SUITE, test_elsewhere=ELSEWHERE_SUITE)
    pytester.makeini("[pytest]\nclaude_contract_vcr = true\n")
    _record(pytester).assert_outcomes(passed=6)
    recorded = pytester.path / "recorded"
    written = sorted(str(p.relative_to(recorded)) for p in recorded.rglob("*") if p.is_file())
    assert written == [
        "elsewhere/test_elsewhere.json",
        "test_layout/TestGroup.test_in_class.json",
        "test_layout/by-marker.json",
        "test_layout/test_parametrized[a-b].yaml",
        "test_layout/test_plain.json",
        "test_layout/test_reads_a_shared_one.json",
    ]
    (recorded / "test_layout" / "shared.yaml").write_text("interactions: []\nversion: 1\n")
    (recorded / "test_layout" / "stale.json").write_text('{"interactions": [], "version": 1}')

    out = pytester.path / "cassettes.json"
    pytester.runpytest("--collect-only", "-q", f"--claude-cassettes-json={out}").assert_outcomes()
    listed = json.loads(out.read_text())
    in_layout = sorted(
        str(Path(p).relative_to(recorded)) for p in listed["cassettes"] if Path(p).is_relative_to(recorded)
    )
    assert in_layout == [
        "test_layout/TestGroup.test_in_class.json",
        "test_layout/by-marker.json",
        "test_layout/shared.yaml",
        "test_layout/test_parametrized[a-b].yaml",
        "test_layout/test_plain.json",
        "test_layout/test_reads_a_shared_one.json",
    ]
    assert listed["unresolved"] == ["test_elsewhere.py::test_elsewhere (vcr_cassette_dir)"]

    code, report = run_lint(capsys, "--orphans", str(recorded), "--rootdir", str(pytester.path))
    assert code == 1, report
    lines = report.splitlines()
    assert lines[:3] == [
        "  elsewhere/test_elsewhere.json",
        "  test_layout/stale.json",
        f"2 of 8 cassettes under {recorded} are used by no test collected by `pytest --collect-only` in "
        f"{pytester.path}.",
    ]
    assert (
        "Note: 1 pytest-recording test(s) name their cassette by a fixture that cannot run at collection "
        "(it asks for other fixtures, yields or fails), so pytest-recording's default name stood in: "
        "test_elsewhere.py::test_elsewhere (vcr_cassette_dir)"
    ) in lines
    code, report = run_lint(
        capsys, "--orphans", str(recorded), "--rootdir", str(pytester.path), "--format", "json"
    )
    data = json.loads(report)
    assert (code, data["orphans"]) == (
        1,
        [str(recorded / "elsewhere" / "test_elsewhere.json"), str(recorded / "test_layout" / "stale.json")],
    )
    assert data["unresolved"] == ["test_elsewhere.py::test_elsewhere (vcr_cassette_dir)"]


def run_lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()  # what the in-process pytest runs printed
    code = main(["lint", *args])
    return code, capsys.readouterr().out
