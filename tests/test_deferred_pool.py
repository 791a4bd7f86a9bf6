"""While the plugin's patches are on, an httpx/httpx2 transport made with the plain arguments an SDK
passes builds its connection pool (and imports httpcore) only when a request first reaches it
(capture/deferred_pool.py): a replayed session never does. The pool is the transport's own: a client
made in a covered test works in a later uncovered one, after the patches came off."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest
    from fake_api import FakeClaudeAPI

SUITE = """
import os
import sys

import anthropic
import httpx2
import pytest

kept = {}


def pool_of(client):
    return type(vars(client._transport)["_pool"]).__name__


@pytest.mark.claude_contract(cassette=False)
def test_made_and_closed():
    client = httpx2.Client()
    print("pool:", pool_of(client))
    client.close()
    print("httpcore2 imported:", "httpcore2" in sys.modules)
    with httpx2.Client() as client:  # httpx's __exit__ imports httpcore for its exceptions, no more
        pass
    print("after with:", pool_of(client), type(vars(client._transport)["_pool"]._pool).__name__)
    kept["client"] = httpx2.Client()
    sdk = anthropic.Anthropic(api_key="test-key-not-used", max_retries=0)  # its own socket_options
    print("sdk pool:", type(vars(sdk._client._transport)["_pool"]).__name__)


@pytest.mark.claude_contract(cassette=False)
def test_own_arguments_build_their_pool_at_once():
    with httpx2.Client(verify=False) as client:
        print("own verify pool:", pool_of(client))


def test_unmarked_after_the_patches_came_off():
    response = kept["client"].get(os.environ["FAKE_API_URL"] + "/v1/models")
    print("status:", response.status_code, "pool:", pool_of(kept["client"]))
    kept["client"].close()
"""


def test_a_pool_is_built_at_the_first_request_only(pytester: pytest.Pytester, api: FakeClaudeAPI) -> None:
    pytester.makepyfile(test_pools=SUITE)
    result = pytester.runpytest_subprocess("-s", "-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*pool: DeferredPool*",
            "*httpcore2 imported: False*",
            "*after with: DeferredPool NoneType*",
            "*sdk pool: DeferredPool*",
            "*own verify pool: ConnectionPool*",
            "*status: 200 pool: DeferredPool*",
        ]
    )
