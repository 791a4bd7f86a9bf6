"""A marked test that does not ask for `claude_contract` gets its recorder from the set-up hook
when its module's fixtures are set up already (plugin/fixtureless.py): what the cassette holds is
the same as the fixture gives the module's first test. Its own fixtures' set-up and teardown are
under its cassette; its module's are not."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from helpers import go_offline, interactions

if TYPE_CHECKING:
    import pytest
    from fake_api import FakeClaudeAPI

SUITE = """
import json
import os

import httpx
import pytest

URL = os.environ["FAKE_API_URL"]
HEADERS = {"x-api-key": os.environ.get("ANTHROPIC_API_KEY", "none"), "anthropic-version": "2023-06-01"}
SEEN = []


def call(tag):
    body = {"model": "claude-sonnet-4-6", "max_tokens": 8, "messages": [{"role": "user", "content": tag}]}
    try:
        return httpx.post(URL + "/v1/messages", headers=HEADERS, json=body).status_code
    except Exception:  # the module's own calls go to the network, down in CI
        return None


@pytest.fixture(scope="module")
def module_client():
    call("module set-up")
    yield
    call("module teardown")


@pytest.fixture
def per_test():
    assert call("test set-up") == 200
    yield
    assert call("test teardown") == 200


pytestmark = pytest.mark.claude_contract


@pytest.mark.parametrize("n", [1, 2, 3])
def test_calls(module_client, per_test, request, n):
    SEEN.append((n, "claude_contract" in request.fixturenames))
    assert call(f"test {n}") == 200


def test_paths_taken():
    # The module's first test sets up its client: the fixture answers it; the hook the others.
    assert SEEN == [(1, True), (2, False), (3, False)]
"""


def _tags(path: pytest.Pytester, n: int) -> list[str]:
    cassette = path.path / "cassettes" / "test_mod" / f"test_calls[{n}].yaml"
    recorded = interactions(cassette)
    return [json.loads(i["request"]["body"])["messages"][0]["content"] for i in recorded]


def test_the_recorder_spans_the_tests_fixtures_not_its_modules(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.makepyfile(test_mod=SUITE)
    result = suite.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=4)
    for n in (1, 2, 3):
        assert sorted(_tags(suite, n)) == [f"test {n}", "test set-up", "test teardown"]
    sent = [r.body for r in api.requests]
    assert sum(b"module set-up" in b for b in sent) == 1  # live, under no cassette
    assert sum(b"module teardown" in b for b in sent) == 1

    go_offline(api, monkeypatch)
    result = suite.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["exchanges checked: 9 (9 replayed, 0 live)"])


def test_a_test_whose_module_fixture_is_not_set_up_gets_the_fixture(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    """Selected alone, the last test sets up the module's client itself: the fixture answers it,
    and its cassette is the one the whole run recorded."""
    suite.makepyfile(test_mod=SUITE.replace("def test_paths_taken", "def _unused"))
    suite.runpytest("-p", "no:randomly").assert_outcomes(passed=3)
    recorded = _tags(suite, 3)
    result = suite.runpytest("-p", "no:randomly", "-k", "test_calls and 3", "--claude-record-mode=none")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["exchanges checked: 3 (3 replayed, 0 live)"])
    assert _tags(suite, 3) == recorded


FAILING_FIXTURE = """
import os

import httpx
import pytest

URL = os.environ["FAKE_API_URL"]
HEADERS = {"x-api-key": os.environ.get("ANTHROPIC_API_KEY", "none"), "anthropic-version": "2023-06-01"}
BODY = {"model": "claude-sonnet-4-6", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}

pytestmark = pytest.mark.claude_contract


@pytest.fixture
def broken():
    raise RuntimeError("the fixture broke")


def test_first():
    assert httpx.post(URL + "/v1/messages", headers=HEADERS, json=BODY).status_code == 200


def test_broken_set_up(broken):
    pass


def test_after():
    from pytest_claude_contract.process import PATCHES

    assert len(PATCHES._routes) == 1  # its own recorder only: the broken test's is routed away
    assert httpx.post(URL + "/v1/messages", headers=HEADERS, json=BODY).status_code == 200
"""


def test_a_set_up_error_after_the_hooks_recorder_leaves_no_recorder_behind(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    suite.makepyfile(test_mod=FAILING_FIXTURE)
    result = suite.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*RuntimeError: the fixture broke*"])
    folder = suite.path / "cassettes" / "test_mod"
    assert sorted(p.name for p in folder.iterdir()) == ["test_after.yaml", "test_first.yaml"]


def test_setup_show_lists_the_recorder_for_every_marked_test(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    suite.makepyfile(test_mod=SUITE.replace("def test_paths_taken", "def _unused"))
    result = suite.runpytest("-p", "no:randomly", "--setup-show")
    result.assert_outcomes(passed=3)
    assert result.stdout.str().count("SETUP    F claude_contract") == 3
