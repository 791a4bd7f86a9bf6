"""Shared fixtures: a loopback stand-in of the Claude API, and suites run by pytester against it.

The plugin is tested the way users use it: a real pytest session (pytester) whose tests use real
clients over real sockets against `FakeClaudeAPI` on 127.0.0.1, recording cassettes on disk, then
replaying them with the server stopped.
"""

from __future__ import annotations

import contextlib
import gc
import warnings
from typing import TYPE_CHECKING

import pytest

# Imported once here, before any in-process pytester run: pytester restores sys.modules after each
# run, and a module first imported inside one (PyYAML, vcrpy) would be imported anew in the next,
# leaving the plugin with classes from a stale copy.
import vcr  # noqa: F401
import yaml  # noqa: F401
from fake_api import FakeClaudeAPI

# The plugin's process-wide state (the patches' switchboard, the parsed cassettes): one copy for the
# outer session and every inner one, as in a user's process.
import pytest_claude_contract.capture.core
import pytest_claude_contract.process  # noqa: F401

# hypothesis's pytest plugin imports this module at the end of each session; imported inside an
# in-process run, pytester would drop it and every later run would import (and assertion-rewrite)
# the whole hypothesis package again: seconds per inner session.
with contextlib.suppress(ImportError):  # the sdk tox envs run without hypothesis
    import hypothesis.internal.observability  # noqa: F401

if TYPE_CHECKING:
    from collections.abc import Iterator

# A model the anthropic SDK does not warn about (its deprecation table names the 4-5 generation).
MODEL = "claude-sonnet-4-6"

_INNER_CONFTEST = """
import os
import pytest

@pytest.fixture(scope="module")
def claude_contract_config():
    return {"hosts": [os.environ["FAKE_API_HOST"]]}
"""


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClaudeAPI]:
    """A running stand-in; inner test suites find it through FAKE_API_URL / FAKE_API_HOST, and the
    anthropic SDK through ANTHROPIC_BASE_URL."""
    with FakeClaudeAPI() as server:
        monkeypatch.setenv("FAKE_API_URL", server.url)
        monkeypatch.setenv("FAKE_API_HOST", server.host)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        yield server


@pytest.fixture
def suite(pytester: pytest.Pytester, api: FakeClaudeAPI) -> pytest.Pytester:
    """A pytester folder whose conftest points the plugin's `hosts` at the stand-in."""
    pytester.makeconftest(_INNER_CONFTEST)
    return pytester


@pytest.fixture(autouse=True)
def _collect_inner_sockets(request: pytest.FixtureRequest) -> Iterator[None]:
    """Inner tests play users' code, which may leave SDK clients unclosed; their sockets are
    collected here, quietly, rather than let the garbage collector warn in whichever inner session
    runs next (an error there, with warnings as errors). Autouse, so torn down after pytester,
    which holds the inner sessions' objects until its own teardown."""
    yield
    if "pytester" in request.fixturenames:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A key-shaped credential built at run time (no file holds a key-shaped literal)."""
    key = "sk-ant-" + "api03-" + "T3st" * 10 + "AA"
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    return key


@pytest.fixture(autouse=True)
def _no_ambient_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    # The default record mode follows the CI variable; tests set it explicitly when they mean to.
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
