"""An example suite, as a team that calls Claude would write it: the marker on the tests that call
the API, a client built once per module, and cassettes committed under cassettes/examples/.

Replay (what CI runs): `CI=true pytest examples` - no key, no network.
Record: `python examples/record.py` (against the loopback stand-in, as no machine here reaches the API);
with a real key, `pytest examples --claude-record-mode=rewrite` records against the real API.
"""

from __future__ import annotations

import os
from typing import Any

import pytest


@pytest.fixture(scope="module")
def claude_contract_config() -> dict[str, Any]:
    # A stand-in or proxy in front of the API is one more host to check; see examples/record.py.
    extra = os.environ.get("EXAMPLES_EXTRA_HOST")
    return {"hosts": ["api.anthropic.com", *([extra] if extra else [])]}
