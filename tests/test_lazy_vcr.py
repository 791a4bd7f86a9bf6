"""vcrpy is imported only when a test uses a library that only vcrpy patches: a session whose tests
use the SDKs never imports it, and each way into vcrpy's libraries (its entry point already loaded,
or the library imported during a test) records and replays all the same.

Each inner session runs in a fresh interpreter (`runpytest_subprocess`): this suite's own process
imports vcrpy up front."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from helpers import go_offline

if TYPE_CHECKING:
    from fake_api import FakeClaudeAPI

INNER = """
import asyncio
import importlib.util
import json
import os
import sys
import urllib.request

import anthropic
import pytest

URL = os.environ["FAKE_API_URL"]
BODY = {"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "lazy"}]}


def headers():
    return {"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01",
            "content-type": "application/json"}


@pytest.mark.claude_contract
def test_sdk_only(claude_contract):
    anthropic.Anthropic(max_retries=0).messages.create(**BODY)
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["ORIGIN"]]
    print("vcr imported:", "vcr" in sys.modules)


@pytest.mark.claude_contract
def test_requests_imported_in_the_test(claude_contract):
    assert "requests" not in sys.modules
    assert importlib.util.find_spec("requests") is not None  # a look first, as libraries do
    import requests  # the first import of the library, while the patches are on

    assert requests.post(URL + "/v1/messages", json=BODY, headers=headers()).json()["type"] == "message"
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["ORIGIN"]]


@pytest.mark.claude_contract
def test_urllib_request(claude_contract):
    request = urllib.request.Request(URL + "/v1/messages", data=json.dumps(BODY).encode(), headers=headers())
    assert json.loads(urllib.request.urlopen(request).read())["type"] == "message"
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["ORIGIN"]]


@pytest.mark.claude_contract
def test_aiohttp(claude_contract):
    import aiohttp

    async def ask():
        async with aiohttp.ClientSession() as session:
            async with session.post(URL + "/v1/messages", json=BODY, headers=headers()) as response:
                return await response.json()

    assert asyncio.run(ask())["type"] == "message"
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["ORIGIN"]]
"""

VCR_FIRST = """
import asyncio
import os
import sys

import aiohttp
import pytest

BODY = {"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "lazy"}]}


@pytest.mark.claude_contract
def test_vcr_imported_by_another_plugin(claude_contract):
    # What pytest-recording's fixtures do: import vcrpy while the trip-wires stand. vcrpy must find
    # the real aiohttp method, not a trip-wire (which would call vcrpy's stub again, for ever).
    assert "vcr" not in sys.modules
    import vcr  # noqa: F401

    async def ask():
        async with aiohttp.ClientSession() as session:
            headers = {"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"}
            async with session.post(os.environ["FAKE_API_URL"] + "/v1/messages", json=BODY, headers=headers) as r:
                return await r.json()

    assert asyncio.run(ask())["type"] == "message"
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["ORIGIN"]]
"""

URLLIB3_FIRST = """
import os
import sys

import pytest
import urllib3  # loaded before the patches go on: its entry point gets a trip-wire

BODY = {"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "lazy"}]}


@pytest.mark.claude_contract
def test_urllib3(claude_contract):
    assert "vcr" not in sys.modules
    response = urllib3.PoolManager().request(
        "POST", os.environ["FAKE_API_URL"] + "/v1/messages", json=BODY,
        headers={"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"})
    assert response.json()["type"] == "message"
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["ORIGIN"]]
"""


@pytest.mark.parametrize(
    "test",
    [
        "test_inner.py::test_sdk_only",
        "test_inner.py::test_requests_imported_in_the_test",
        "test_inner.py::test_urllib_request",
        "test_inner.py::test_aiohttp",
        "test_urllib3_first.py::test_urllib3",
        "test_vcr_first.py::test_vcr_imported_by_another_plugin",
    ],
)
def test_each_way_in_records_and_replays(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch, test: str
) -> None:
    suite.makepyfile(test_inner=INNER, test_urllib3_first=URLLIB3_FIRST, test_vcr_first=VCR_FIRST)
    monkeypatch.setenv("ORIGIN", "live")
    result = suite.runpytest_subprocess(test, "-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    go_offline(api, monkeypatch)
    monkeypatch.setenv("ORIGIN", "replayed")
    result = suite.runpytest_subprocess(test, "-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["exchanges checked: 1 (1 replayed, 0 live)"])
    if test.endswith("test_sdk_only"):
        result.stdout.fnmatch_lines(["*vcr imported: False*"])
