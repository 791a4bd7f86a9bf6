"""A pytest-recording suite's `vcr_config`, honoured by the recorder: `match_on` (vcrpy's matcher
names and custom matcher functions) and the filters a recording goes through before it is written
(`filter_headers`, `filter_query_parameters`, `filter_post_data_parameters`, `before_record_request`,
`before_record_response`, `ignore_hosts`, `ignore_localhost`).

Imported only by a recorder that has one of them: a suite with the default matching and no
`vcr_config` never loads this module (or vcrpy through it).
"""

from __future__ import annotations

import copy
import json
from collections import deque
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from ..plugin.vcr_compat import FILTER_KEYS
from .vcr_adapter import captured_request

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from vcr.request import Request as VcrRequest

    from ..cassette.model import Interaction
    from ..contract.checks import Violation
    from ..contract.exchange import CapturedRequest, CapturedResponse


def _uri(request: CapturedRequest) -> str:
    # vcrpy's uri matcher: a bare host's empty path counts as "/".
    parts = urlsplit(request.url)
    if parts.path:
        return request.url
    authority = f"{parts.scheme}://{parts.netloc}"
    return (
        authority + "/" + request.url[len(authority) :] if request.url.startswith(authority) else request.url
    )


def _port(request: CapturedRequest) -> int | None:
    parts = urlsplit(request.url)
    try:
        port = parts.port
    except ValueError:
        return None
    return port if port is not None else {"https": 443, "http": 80}.get(parts.scheme)


def _body(request: CapturedRequest) -> Any:
    """vcrpy's `body` matcher: a JSON body parsed, a form body as its fields, else the bytes."""
    content_type = request.headers.get("content-type", "").lower()
    body = request.body
    if "application/json" in content_type and body:
        try:
            return json.dumps(json.loads(body), sort_keys=True)
        except ValueError:
            return body
    if "application/x-www-form-urlencoded" in content_type:
        try:
            return tuple(sorted((k, tuple(v)) for k, v in parse_qs(body.decode("ascii")).items()))
        except UnicodeDecodeError:
            return body
    return body


def _raw_body(request: CapturedRequest) -> bytes | str:
    """vcrpy's `raw_body`: the bytes, except the whitespace of a JSON body (this plugin writes JSON
    bodies pretty-printed, keeping their keys' order, so its cassettes do not keep that whitespace)."""
    body = request.body
    if body[:1] in (b"{", b"["):
        try:
            return json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False)
        except ValueError:
            pass
    return body


def _headers(request: CapturedRequest) -> tuple[tuple[str, str], ...]:
    """vcrpy's `headers`: every request header, as this plugin writes them: credentials as their
    placeholder, and without content-length (rewritten when a JSON body is written pretty-printed)."""
    from ..cassette.scrub import Scrubber

    scrubber = Scrubber(())
    return tuple(
        sorted(
            (name, scrubber.header(name, value))
            for name, value in request.headers.items()
            if name != "content-length"
        )
    )


# vcrpy's matcher names, each as what it compares (hashable, so matching is a dict lookup).
NAMED: dict[str, Callable[[CapturedRequest], Any]] = {
    "method": lambda r: r.method,
    "uri": _uri,
    "scheme": lambda r: urlsplit(r.url).scheme,
    "host": lambda r: urlsplit(r.url).hostname,
    "port": _port,
    "path": lambda r: r.path or "/",
    "query": lambda r: tuple(sorted(parse_qsl(urlsplit(r.url).query))),
    "body": _body,
    "raw_body": _raw_body,
    "headers": _headers,
}


class Matching:
    """Matching by vcrpy's rules: the named matchers (a key per request) and custom functions
    `f(live, recorded)` given vcrpy `Request`s, which fail a match by raising AssertionError or
    returning False. Identical requests play their recordings in order; running out is a miss."""

    def __init__(self, match_on: Iterable[str | Callable[..., Any]]) -> None:
        entries = list(match_on)
        self.names = tuple(e for e in entries if isinstance(e, str))
        self.functions = tuple(e for e in entries if not isinstance(e, str))
        self._key_parts = tuple(NAMED[name] for name in self.names)

    def key(self, request: CapturedRequest) -> tuple[Any, ...]:
        return tuple(part(request) for part in self._key_parts)

    def index(self, interactions: list[Interaction]) -> MatchIndex:
        return MatchIndex(self, interactions)


class MatchIndex:
    """The replay index for one recorder under `Matching` (the default one is cassette.model's)."""

    def __init__(self, matching: Matching, interactions: list[Interaction]) -> None:
        self._matching = matching
        self._interactions = interactions
        self._queues: dict[tuple[Any, ...], deque[int]] = {}
        for position, interaction in enumerate(interactions):
            self._queues.setdefault(matching.key(interaction.request), deque()).append(position)
        self._recorded_vcr: dict[int, VcrRequest] = {}

    def take(self, request: CapturedRequest) -> int | None:
        queue = self._queues.get(self._matching.key(request))
        if not queue:
            return None
        if not self._matching.functions:
            return queue.popleft()
        live = vcr_request(request)
        for position in queue:
            recorded = self._recorded_vcr.get(position)
            if recorded is None:
                recorded = self._recorded_vcr[position] = vcr_request(self._interactions[position].request)
            if all(_matches(function, live, recorded) for function in self._matching.functions):
                queue.remove(position)
                return position
        return None

    def count(self, request: CapturedRequest) -> int:
        """How many recordings have the request's key (for the miss report)."""
        key = self._matching.key(request)
        return sum(1 for i in self._interactions if self._matching.key(i.request) == key)


def _matches(function: Callable[..., Any], live: VcrRequest, recorded: VcrRequest) -> bool:
    try:
        result = function(live, recorded)
    except AssertionError:
        return False
    return result is None or bool(result)


def vcr_request(request: CapturedRequest) -> VcrRequest:
    from vcr.request import Request

    return Request(request.method, request.url, request.body, dict(request.headers))


# The response headers the contract asks for (see contract/verdicts.py, ABSENCE_RULES).
PROBED_HEADERS = ("request-id", "anthropic-organization-id", "content-type")


class RecordFilters:
    """vcrpy's before-record chains, built by vcrpy from the suite's vcr_config: what is written,
    and how a live request is seen when matched (as the recorded one was)."""

    def __init__(self, vcr_config: dict[str, Any]) -> None:
        from vcr import VCR

        options = {key: vcr_config[key] for key in FILTER_KEYS if key in vcr_config}
        builder = VCR(decode_compressed_response=False)
        self._request = builder._build_before_record_request(options)
        self._response = builder._build_before_record_response(options)
        self.changes_responses = "before_record_response" in options
        self._stripped: frozenset[str] | None = None

    def stripped_headers(self) -> frozenset[str]:
        """The response headers the suite's before_record_response removes, found by running it once
        on an answer that has them all (empty when it fails on that answer)."""
        if self._stripped is None:
            probe = {
                "status": {"code": 200, "message": "OK"},
                "headers": {name: ["probe"] for name in PROBED_HEADERS},
                "body": {"string": b"{}"},
            }
            try:
                kept = self._response(probe)
            except Exception:  # the suite's hook expects something of the answer: assume nothing
                kept = probe
            names = {str(n).lower() for n in (kept or {}).get("headers", {}) or {}} if kept else set()
            self._stripped = frozenset(n for n in PROBED_HEADERS if n not in names)
        return self._stripped

    def request(self, request: CapturedRequest) -> CapturedRequest | None:
        """The request as it would be recorded; None: the suite's filters leave it unrecorded."""
        filtered = self._request(vcr_request(request))
        return None if filtered is None else captured_request(filtered)

    def response(self, response: dict[str, Any]) -> dict[str, Any] | None:
        """The response as it would be recorded; None: not recorded."""
        filtered = self._response(copy.deepcopy(response))
        if filtered is None:
            return None
        from ..cassette.formats import playable_response

        return playable_response(filtered)


def split_not_recorded(
    found: list[Violation], response: CapturedResponse, *, foreign: bool, stripped: frozenset[str]
) -> tuple[list[Violation], list[Violation]]:
    """(violations, "not recorded") of a replayed exchange whose recording may have lost response
    headers to a recorder's filters. An absent response header is "not recorded" when the suite's
    before_record_response removes it (`stripped`), or, in a recording another tool wrote
    (`foreign`), when `lint` would call it so (the response keeps no headers, or neither `request-id`
    nor any `anthropic-*`). The request side is never excused: the checks judge the live request."""
    from ..contract.verdicts import ABSENCE_RULES, unrecorded_reason  # only on this rare path

    names = set(response.headers)
    kept: list[Violation] = []
    unrecorded: list[Violation] = []
    for violation in found:
        side, headers = ABSENCE_RULES.get(violation.rule, ("", ()))
        reason = None
        if side == "response" and not any(h in names for h in headers):
            if any(h in stripped for h in headers):
                reason = "the suite's before_record_response removes it"
            elif foreign:
                reason = unrecorded_reason(violation.rule, set(), names, response.status)
        if reason is None:
            kept.append(violation)
        else:
            unrecorded.append(violation._replace(message=f"{violation.message} (not recorded: {reason})"))
    return kept, unrecorded
