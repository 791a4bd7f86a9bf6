"""What the response rules found in a recorded response, remembered between replays.

A replayed response is the recorded one, byte for byte, so what the response rules find in it depends
only on that response, on what the request selects (its version's profile, its endpoint, whether it
asked for a stream), on the contract, and on the rules' own code. Each verdict is worked out once and
kept: in memory for the session and, with the pytest cache, in one file per version of the rules'
code for later sessions. A stream's rules are most of the cost of checking a replayed exchange; the
request rules still run on every request, since the client under test is what changes.
"""

from __future__ import annotations

import hashlib
import marshal
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..cassette.cache_files import read_marshal, write_atomically

if TYPE_CHECKING:
    from .checks import Context
    from .models import Contract

# (rule, message, hint, level) of each violation, in the order the rules found them.
Found = tuple[tuple[str, str, str, str], ...]

# The modules whose code decides a verdict: an edit to any of them (an upgrade, an editable checkout)
# starts a new file, and the old ones are deleted.
_RULE_SOURCES = (
    "checks.py",
    "streams.py",
    "aws_eventstream.py",
    "models.py",
    "bodies.py",
    "exchange.py",
    "excerpts.py",
    "rules.py",
)
# Verdicts kept on disk: the ones this session used and, before them, the most recent others.
_KEEP = 50_000


@cache
def rules_fingerprint() -> str:
    """A hash of the rules' source code and of pydantic's version (its messages are in verdicts)."""
    import pydantic

    hasher = hashlib.blake2b(pydantic.VERSION.encode(), digest_size=10)
    here = Path(__file__).parent
    for name in _RULE_SOURCES:
        hasher.update((here / name).read_bytes())
    return hasher.hexdigest()


# ---------------------------------------------------------------- "not recorded"

# Rules about an absent header, with the side and the header they are about. A header a recorder
# filtered out cannot be told from one the client never sent (or the API never answered with).
ABSENCE_RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "auth-missing": ("request", ("x-api-key", "authorization", "api-key")),
    "version-missing": ("request", ("anthropic-version",)),
    "content-type": ("request", ("content-type",)),
    "response-request-id": ("response", ("request-id", "x-request-id")),
    "response-organization-id": ("response", ("anthropic-organization-id",)),
    "response-content-type": ("response", ("content-type",)),
}


def unrecorded_reason(
    rule: str, request_names: set[str], response_names: set[str], status: int
) -> str | None:
    """Why an absent-header finding on a cassette another tool recorded is "not recorded" rather than
    a violation; None: it is one. `lint` asks for every such finding; replay under
    `claude_contract_vcr` for the response's (the request it judges is the live one, unfiltered)."""
    side, headers = ABSENCE_RULES[rule]
    names = request_names if side == "request" else response_names
    if any(h in names for h in headers):
        return None  # the header was recorded: whatever the finding says is about its value
    if rule == "auth-missing" and status != 401:
        return f"the API answered {status}, not 401, so credentials were sent"
    if rule == "version-missing" and 200 <= status < 300:
        return f"the API answered {status}; it refuses requests without `anthropic-version`"
    if side == "request":
        if not request_names:
            return "the recorder kept no request headers"
        if "user-agent" not in request_names:
            return "the recorder removed request headers (no `user-agent`, which every client sends)"
        return None
    if not response_names:
        return "the recorder kept no response headers"
    if response_names.isdisjoint(("request-id", "x-request-id")) and not any(
        n.startswith("anthropic-") for n in response_names
    ):
        return "the recorder removed response headers (no `request-id` and no `anthropic-*` header)"
    return None


class VerdictStore:
    """Verdicts by key (`key_for`); `folder` is the pytest cache's (None: this session only)."""

    def __init__(self, folder: Path | None) -> None:
        self._folder = folder
        self._known: dict[bytes, Found] | None = None  # read from disk when first asked
        self._used: dict[bytes, Found] = {}
        self._added = 0
        self._contracts: dict[int, tuple[Contract, bytes]] = {}

    @property
    def path(self) -> Path | None:
        return None if self._folder is None else self._folder / f"verdicts-{rules_fingerprint()}.marshal"

    def key_for(self, ctx: Context) -> bytes:
        """What a verdict depends on, hashed: the recorded response, and what the request selects."""
        exchange = ctx.exchange
        response = exchange.response
        assert response is not None
        request_json = exchange.request.json
        streaming = isinstance(request_json, dict) and request_json.get("stream") is True
        hasher = hashlib.blake2b(self._contract_key(ctx.contract), digest_size=16)
        selects = (
            ctx.platform.name,
            ctx.profile.version,
            ctx.endpoint.name if ctx.endpoint is not None else "",
            exchange.request.path,
            "stream" if streaming else "",
            str(exchange.recorded_at or ""),  # a verdict may say when it was recorded (checks.recording_day)
        )
        hasher.update("\0".join(selects).encode())
        hasher.update(response.digest)
        return hasher.digest()

    def request_key_for(self, ctx: Context) -> bytes:
        """For the request rules that read only the body (its documented model, what its version
        rejects): the body's bytes, the profile and endpoint it is judged by, the version the request
        declares (an unknown one is judged by the fallback profile, but not for what it rejects), and
        the contract."""
        hasher = hashlib.blake2b(self._contract_key(ctx.contract), digest_size=16)
        hasher.update(b"request\0")
        declared = "\x01" if ctx.version is None else ctx.version
        endpoint = ctx.endpoint.name if ctx.endpoint is not None else ""
        hasher.update(f"{ctx.platform.name}\0{ctx.profile.version}\0{declared}\0{endpoint}\0".encode())
        hasher.update(ctx.exchange.request.body)
        return hasher.digest()

    def get(self, key: bytes) -> Found | None:
        found = self._used.get(key)
        if found is None:
            found = self._read().get(key)
            if found is None or not _is_found(found):  # a file of ours, but not of this shape
                return None
            self._used[key] = found
        return found

    def put(self, key: bytes, found: Found) -> None:
        self._used[key] = found
        self._added += 1

    def save(self) -> None:
        """Best effort and atomic (xdist workers share the file): a failure only costs a recheck."""
        path = self.path
        if path is None or not self._added:
            return
        on_disk = read_marshal(path)  # another worker may have written since this one read it
        kept = {k: v for k, v in on_disk.items() if k not in self._used}
        merged = dict(list(kept.items())[-max(_KEEP - len(self._used), 0) :])
        merged.update(self._used)
        if not write_atomically(path, lambda handle: marshal.dump(merged, handle)):
            return
        for stale in path.parent.glob("verdicts-*.marshal"):
            if stale != path:
                with suppress(OSError):
                    stale.unlink()
        self._added = 0

    def _read(self) -> dict[bytes, Found]:
        if self._known is None:
            path = self.path
            self._known = {} if path is None else read_marshal(path)
        return self._known

    def _contract_key(self, contract: Contract) -> bytes:
        # By identity, holding the contract so its id is not reused: the default contract is one object
        # for the session, and a test's own profiles= or api_versions= make one contract for that test.
        held = self._contracts.get(id(contract))
        if held is None or held[0] is not contract:
            key = hashlib.blake2b(contract.model_dump_json().encode(), digest_size=16).digest()
            if len(self._contracts) > 256:
                self._contracts.clear()
            held = self._contracts[id(contract)] = (contract, key)
        return held[1]


def _is_found(value: object) -> bool:
    return isinstance(value, tuple) and all(
        isinstance(item, tuple) and len(item) == 4 and all(isinstance(part, str) for part in item)
        for item in value
    )
