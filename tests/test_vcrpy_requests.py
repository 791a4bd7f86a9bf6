"""A vcrpy `Request` becomes what the checks and the cassette see through one conversion
(`capture.vcr_adapter.captured_request`), whether the plugin's adapter hands it over, the suite's
record filters (`vcr_config`: filter_headers, before_record_request, ...) give it back, or
pytest-recording answers and the plugin only looks (claude_contract_vcr): aiohttp's
`json=` (vcrpy keeps the object, aiohttp adds `Content-Type: application/json` after vcrpy has seen
the request) and a requests generator body (vcrpy hands out a new iterator over what it read) are
judged and recorded as they went on the wire."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import aiohttp  # noqa: F401  (imported once, before the in-process pytester runs)
import pytest
import requests  # noqa: F401
from helpers import interactions

if TYPE_CHECKING:
    from fake_api import FakeClaudeAPI

MESSAGE = {"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}

CLIENTS = f"""
import asyncio
import json
import os

import aiohttp
import pytest
import requests

MESSAGE = {MESSAGE!r}
URL = os.environ["FAKE_API_URL"] + "/v1/messages"
HEADERS = {{"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"}}


def aiohttp_post(**body):
    async def main():
        async with aiohttp.ClientSession() as session:
            async with session.post(URL, headers=HEADERS, **body) as response:
                return response.status

    assert asyncio.run(main()) == 200


@pytest.mark.claude_contract
def test_aiohttp_json():
    aiohttp_post(json=MESSAGE)  # no content-type given: aiohttp sets it


@pytest.mark.claude_contract
def test_aiohttp_bytes_untyped():
    aiohttp_post(data=json.dumps(MESSAGE).encode())  # aiohttp sends application/octet-stream


@pytest.mark.claude_contract
def test_requests_generator():
    chunks = (part.encode() for part in json.dumps(MESSAGE).partition('"messages"'))
    typed = {{**HEADERS, "content-type": "application/json"}}
    assert requests.post(URL, headers=typed, data=chunks, timeout=10).status_code == 200
"""

# The suite's own record filters: the recorder applies them through vcrpy (capture/vcr_config.py).
FILTERS = """
import os
import pytest

@pytest.fixture
def vcr_config():
    def keep(request):
        return request

    return {"filter_headers": ["x-api-key"], "before_record_request": keep}
"""


@pytest.mark.parametrize(
    ("filters", "bridged"),
    [(False, False), (True, False), (True, True)],
    ids=["adapter", "vcr_config filters", "pytest-recording answers (claude_contract_vcr)"],
)
def test_a_vcrpy_request_is_judged_and_recorded_as_it_went_on_the_wire(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, filters: bool, bridged: bool
) -> None:
    if filters:
        suite.makeconftest(suite.path.joinpath("conftest.py").read_text(encoding="utf-8") + FILTERS)
    options = ["-p", "no:randomly"]
    if bridged:
        suite.makeini("[pytest]\nclaude_contract_vcr = true\n")
        options.append("--record-mode=once")
    suite.makepyfile(test_vcrpy_clients=CLIENTS.replace("claude_contract", "vcr") if bridged else CLIENTS)
    recorded = suite.runpytest(*options)
    recorded.assert_outcomes(passed=2, failed=1)
    recorded.stdout.fnmatch_lines(
        [
            "*_ test_aiohttp_bytes_untyped _*",
            "  [[]content-type] the JSON body is sent with content-type *, not 'application/json'",
        ]
    )
    recorded.stdout.no_fnmatch_line("*_ test_aiohttp_json _*")
    recorded.stdout.no_fnmatch_line("*_ test_requests_generator _*")
    wire = {request.headers.get("content-type") for request in api.requests}
    assert wire == {"application/json", "application/octet-stream"}

    folder = suite.path / "cassettes" / "test_vcrpy_clients"
    # pytest-recording's own cassettes hold what vcrpy saw (aiohttp's json= without its header).
    for name in ("test_aiohttp_json", "test_requests_generator") if not bridged else ():
        (kept,) = interactions(folder / f"{name}.yaml")
        assert kept["request"]["headers"]["content-type"] == ["application/json"], name
        body = kept["request"]["body"]
        assert (json.loads(body) if isinstance(body, str) else body) == MESSAGE, name
        assert ("x-api-key" in kept["request"]["headers"]) is not filters, name  # the filters ran

    api.stop()
    replayed = suite.runpytest(*options, "-k", "json or generator")
    replayed.assert_outcomes(passed=2)
    replayed.stdout.fnmatch_lines(["exchanges checked: 2 (2 replayed, 0 live)", "violations: 0"])
