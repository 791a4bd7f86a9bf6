"""The core: one test's recorder, and the one decision every captured request goes through.

Every adapter (the httpx/httpx2 transports, vcrpy's patchers for the other libraries, the loopback
server) captures a request as a `CapturedRequest` and asks `ClaudeContractRecorder.decide` what to do
with it: `Replay` a recording, `Refuse` it (no recording in a mode that may not record, a body over
the endpoint's limit, the replay placeholder key on its way to the network), or send it `Live`. A live
answer is handed back through `LiveRecording`, chunk by chunk as the client reads it, and is checked
and kept for the cassette when it ends (or when the client closes it early: then as far as it got).

Which host a request goes to decides how much of this applies: a Claude host (`hosts=`, the host
of ANTHROPIC_BASE_URL, and with no hosts= given every platform's hosts) is checked against the
contract of the platform its host selects (`Contract.platform_for`); any other host is recorded and replayed the
same way but never checked; `allowed_hosts=`, the hosts where a platform's credentials are fetched
(Google's and Microsoft's token endpoints) and the loopback server's own address pass through live,
unrecorded. Matching, the size check, the checks, scrubbing and the record-mode policy live here only.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn
from urllib.parse import urlsplit

import pytest

from ..cassette.cache_files import replace_atomically
from ..cassette.model import Interaction, MatchKey, ReplayIndex, match_key, merge_missing, now, recorded_time
from ..cassette.scrub import Scrubber
from ..cassette.store import cassette_lock, load_cassette, write_cassette
from ..contract.checks import (
    Violation,
    body_limit,
    body_limit_of,
    body_too_large,
    check_exchange,
    context_for,
    errors_and_warnings,
)
from ..contract.credentials import (
    CONFIGURED_SECRET_ENV,
    credentials_in,
    looks_like_key,
    shape_hinted,
    shape_hinted_bytes,
    sigv4_fields,
)
from ..contract.exchange import (
    EVENTSTREAM,
    CapturedRequest,
    CapturedResponse,
    Exchange,
    Origin,
    host_and_address,
    host_listed,
    lower_headers,
    media_type,
)
from ..contract.report import SessionStats, miss_report, violation_report
from ..plugin.options import PLACEHOLDER_KEY

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from ..contract.models import Contract
    from ..contract.verdicts import VerdictStore
    from ..plugin.options import ContractSettings
    from .vcr_config import MatchIndex, Matching, RecordFilters
    from .verify import DriftReport, Verifier

ORG_ID_HEADER = "anthropic-organization-id"

Route = Literal["claude", "other", "pass"]


# The decisions, and the recorder below, are plain classes: a dataclass compiles its methods when it
# is defined, about 4 M instructions each (2026-12-07), paid by every session's first covered test.


class Replay:
    """Answer from the cassette: `response` in vcrpy's shape (status, headers, body as bytes)."""

    __slots__ = ("response", "violations")

    def __init__(self, response: dict[str, Any], violations: tuple[Violation, ...] = ()) -> None:
        self.response = response
        self.violations = violations


class Refuse:
    """Do not send: `status` and `error_type` are what the loopback server answers; in-process
    adapters fail the test with `message`."""

    __slots__ = ("error_type", "message", "status", "violations")

    def __init__(
        self, status: int, error_type: str, message: str, violations: tuple[Violation, ...] = ()
    ) -> None:
        self.status = status
        self.error_type = error_type
        self.message = message
        self.violations = violations


class Live:
    """Send it. `observed`: hand the answer to `ClaudeContractRecorder.live` (checked when `claude`,
    kept for the cassette when recording); not observed, it passes through untouched."""

    __slots__ = ("claude", "observed")

    def __init__(self, claude: bool, observed: bool = True) -> None:
        self.claude = claude
        self.observed = observed


Decision = Replay | Refuse | Live
PASS_THROUGH = Live(claude=False, observed=False)


class LiveRecording:
    """A live answer as the client reads it: `feed` each chunk as it arrives, then `finish`. Only then
    is it checked and kept for the cassette, so a stream reaches the client as it comes. Finishing
    before the end (`complete=False`: the client closed it) keeps what arrived, marked so."""

    __slots__ = ("_done", "_parts", "_recorder", "claude", "headers", "reason", "request", "status")

    def __init__(
        self,
        recorder: ClaudeContractRecorder,
        request: CapturedRequest,
        claude: bool,
        *,
        status: int,
        reason: str,
        headers: dict[str, list[str]],
    ) -> None:
        self._recorder = recorder
        self.request = request
        self.claude = claude
        self.status = status
        self.reason = reason
        self.headers = headers
        self._parts: list[bytes] = []
        self._done = False

    def feed(self, chunk: bytes) -> None:
        if chunk:
            self._parts.append(chunk)

    def finish(self, complete: bool = True) -> list[Violation]:
        """Check and keep the exchange (once; later calls do nothing). Returns the violations found."""
        if self._done:
            return []
        self._done = True
        response = {
            "status": {"code": self.status, "message": self.reason},
            "headers": self.headers,
            "body": {"string": b"".join(self._parts)},
        }
        return self._recorder._finished(self, response, complete)


def grouped_headers(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(name, value) pairs as vcrpy keeps them: {name: [values]}, in the order they came."""
    out: dict[str, list[str]] = {}
    for name, value in items:
        out.setdefault(name, []).append(value)
    return out


class ClaudeContractRecorder:
    """One test's exchanges, violations and cassette; the one place requests are decided.

    Recording options (--claude-keep-failed, --claude-scrub-org-id) and the session's id, which tells
    a rewrite whether this session already wrote the cassette (see save()). `parse_cache`: where
    parsed cassettes are kept between sessions (the pytest cache; None: parse each session).
    `verdicts`: the response rules' verdicts on recorded responses, kept for the session (see
    contract.verdicts). `replay_cycles`: `serve` outside pytest, where identical requests start over
    at their first recording once all were played (a test never does: running out is a miss).
    `matching` and `filters`: a suite's vcrpy matching (`match_on=`) and record filters (its
    `vcr_config`, capture/vcr_config.py); None: the default matching, nothing filtered but
    credentials."""

    def __init__(
        self,
        settings: ContractSettings,
        contract: Contract,
        contract_mode: str,
        cassette_path: Path | None,
        stats: SessionStats | None = None,
        *,
        keep_failed: bool = False,
        scrub_org_id: bool = False,
        session_id: str = "",
        parse_cache: Path | None = None,
        verdicts: VerdictStore | None = None,
        replay_cycles: bool = False,
        matching: Matching | None = None,
        filters: RecordFilters | None = None,
    ) -> None:
        self.settings = settings
        self.contract = contract
        self.contract_mode = contract_mode
        self.cassette_path = cassette_path
        self.stats = stats if stats is not None else SessionStats()
        self.exchanges: list[Exchange] = []
        self.violations: list[Violation] = []
        self.fatal: list[str] = []
        self.keep_failed = keep_failed
        self.scrub_org_id = scrub_org_id
        self.session_id = session_id
        self.parse_cache = parse_cache
        self.verdicts = verdicts
        self.replay_cycles = replay_cycles
        self.matching = matching
        self.filters = filters
        # Absent response headers judged "not recorded" (a cassette another tool wrote, or one this
        # suite's before_record_response filtered): reported, never failing.
        self.not_recorded: list[Violation] = []
        self._set_up()

    def __repr__(self) -> str:
        return f"<ClaudeContractRecorder {self.cassette_path} ({len(self.exchanges)} exchanges)>"

    def _set_up(self) -> None:
        path = self.cassette_path
        self._lock = threading.RLock()
        self._secrets: set[str] = {v for v in map(os.environ.get, CONFIGURED_SECRET_ENV) if v}
        self._secrets.discard(PLACEHOLDER_KEY)
        loaded = load_cassette(path, self.parse_cache) if path is not None else None
        self._exists = loaded is not None
        self._loaded: list[Interaction] = loaded or []
        self._index = ReplayIndex(self._loaded, cycle=self.replay_cycles)
        # match_on: picked once per recorder, so the default matching pays nothing for it.
        self._vcr_index: MatchIndex | None = None
        if self.matching is not None:
            self._vcr_index = self.matching.index(self._loaded)
            self._index = ReplayIndex([])
        self._played: set[int] = set()
        self._recorded: list[Interaction] = []
        self._open: list[LiveRecording] = []
        mode = self.settings.record_mode
        self._replay = path is not None and self._exists and mode not in ("all", "rewrite", "verify")
        self._write_protected = path is not None and (mode == "none" or (mode == "once" and self._exists))
        # verify: every request goes live (a real key needed), is compared with the cassette, and
        # nothing is recorded (see capture/verify.py).
        self._verifier: Verifier | None = None
        if path is not None and mode == "verify":
            from . import verify as _verify

            self._verifier = _verify.Verifier(path, self._loaded, self._exists, self.stats)
        self._recording = path is not None and not self._write_protected and self._verifier is None
        self._claude_hosts = frozenset(h.lower() for h in (*self.settings.hosts, *_base_url_host()))
        self._allowed_hosts = frozenset(h.lower() for h in self.settings.allowed_hosts)
        self._passed: set[str] = set()  # the loopback server's own address, while it runs
        # What judging has been handed (take_findings, take_expired): each finding is reported once.
        self._fatal_taken = 0
        self._violations_taken = 0
        self._expiry_taken = False
        # host -> a request that looked like Claude's, and the platform it looked like (see _route)
        self.unlisted: dict[str, tuple[str, str]] = {}

    # ------------------------------------------------------------ the decision

    def decide(
        self, request: CapturedRequest, *, claude: bool | None = None, network: bool = True
    ) -> Decision:
        """What to do with a captured request, before it is sent. `claude`: the caller knows it is
        Claude traffic (the loopback server); None: told by its host. Not `network` (httpx's
        MockTransport, WSGI and ASGI transports, answered in process): only Claude hosts' requests
        are taken; the others are the test's own business."""
        route: Route = "claude" if claude else self._route(request)
        if route == "pass" or (route == "other" and not network):
            return PASS_THROUGH
        is_claude = route == "claude"
        if is_claude and (oversized := self._oversized(request)) is not None:
            return oversized
        seen: CapturedRequest | None = request
        if self.filters is not None:  # matched as it would be recorded, as the recorded one was
            seen = self.filters.request(request)
        position = None
        if self._replay and seen is not None:
            if self._vcr_index is None:
                key = self._match_key(seen)
                with self._lock:
                    position = self._index.take(key)
                    if position is not None:
                        self._played.add(position)
            else:
                scrubbed = self._scrubbed(seen)
                with self._lock:
                    position = self._vcr_index.take(scrubbed)
                    if position is not None:
                        self._played.add(position)
        if position is not None:
            interaction = self._loaded[position]
            found: list[Violation] = []
            if is_claude:
                complete = not interaction.closed_early
                found = self._complete(
                    request,
                    interaction.captured_response,
                    "replayed",
                    complete,
                    interaction.recorded_at,
                    foreign=interaction.recorded_at is None,
                )
            else:
                with self._lock:
                    self.stats.other_hosts += 1
            if self.cassette_path is not None:
                self.stats.replayed_from.add(str(self.cassette_path))
            return Replay(interaction.response, tuple(found))
        if self._write_protected and seen is not None:  # None: the suite's filters ignore it (live)
            return self._refuse(404, "not_found_error", self._miss_message(request, seen))
        if PLACEHOLDER_KEY in credentials_in(request.headers):
            return self._refuse(401, "authentication_error", self._placeholder_message(request))
        return Live(claude=is_claude)

    def observe(
        self, request: CapturedRequest, response: CapturedResponse, origin: Origin, *, foreign: bool = False
    ) -> list[Violation]:
        """An exchange another tool answered (pytest-recording's vcrpy cassette, see
        plugin/vcr_bridge.py): checked when its host is a Claude host, counted when not, never
        decided here. `foreign`: the response was read from a cassette another recorder wrote, whose
        filters may have removed headers; an absent response header it shows was removed is "not
        recorded" (as `lint` says), not a violation."""
        route = self._route(request)
        if route == "pass":
            return []
        if route == "other":
            with self._lock:
                self.stats.other_hosts += 1
            return []
        return self._complete(request, response, origin, foreign=foreign)

    def live(
        self,
        request: CapturedRequest,
        decision: Live,
        status: int,
        reason: str,
        headers: dict[str, list[str]],
    ) -> LiveRecording:
        """Start observing the live answer to a request `decide` sent `Live`."""
        recording = LiveRecording(
            self, request, decision.claude, status=status, reason=reason, headers=headers
        )
        with self._lock:
            self._open.append(recording)
        return recording

    def fail(self, decision: Refuse) -> NoReturn:
        """Stop the test with the refusal's message (in-process adapters). pytest.fail raises a
        BaseException: HTTP clients and SDK retry loops catch Exception, so the test stops here with
        this message instead of a wrapped "connection error" after retries."""
        with self._lock:
            if decision.message not in self.fatal:
                self.fatal.append(decision.message)
        pytest.fail(decision.message, pytrace=False)

    def pass_through(self, host: str, *, on: bool = True) -> None:
        """Let requests to `host` (host:port) through untouched: the loopback server's own address,
        whose requests it captures itself."""
        with self._lock:
            (self._passed.add if on else self._passed.discard)(host.lower())

    def activate(self) -> None:
        """Route the patched HTTP libraries to this recorder (the patches go on if they are off)."""
        from ..process import PATCHES

        PATCHES.route_to(self)

    def deactivate(self) -> None:
        """Route away; the patches stay on for the next test until `PATCHES.release()`."""
        from ..process import PATCHES

        PATCHES.route_away(self)

    # ------------------------------------------------------------ the size check (also the server's)

    def body_limit_for(self, request: CapturedRequest) -> int | None:
        """The documented body limit of the endpoint `request` goes to (by its anthropic-version)."""
        return body_limit_of(context_for(Exchange(request, None, "not sent"), self.contract))

    def refuse_oversized(self, request: CapturedRequest, size: int, limit: int) -> Refuse:
        """A body of `size` bytes over `limit`, refused before it is read (the server, from
        content-length): its exchange noted as not sent, with the violation."""
        exchange = Exchange(request, None, "not sent", self.exchange_count + 1)
        outcome = "; the contract server answered 413 request_too_large without reading it"
        violation = body_too_large(context_for(exchange, self.contract), size, limit, outcome)
        kept = self._not_sent(request, [violation])
        return Refuse(413, "request_too_large", violation_report(kept, self.exchange_count), tuple(kept))

    def _oversized(self, request: CapturedRequest) -> Refuse | None:
        """An oversized body fails before it is sent, in record mode as in replay (strict only)."""
        if self.contract_mode != "strict" or len(request.body) <= self.contract.smallest_body_limit:
            return None
        found = list(body_limit(Exchange(request, None, "not sent", self.exchange_count + 1), self.contract))
        kept = self._not_sent(request, found) if found else []
        if not kept:
            return None
        message = violation_report(kept, self.exchange_count) + "\nThe request was not sent."
        return Refuse(413, "request_too_large", message, tuple(kept))

    def _not_sent(self, request: CapturedRequest, found: list[Violation]) -> list[Violation]:
        with self._lock:
            self.exchanges.append(Exchange(request, None, "not sent", len(self.exchanges) + 1))
            if self.contract_mode == "off":
                return []
            kept = [v for v in found if v.rule not in self.settings.allow]
            self.violations.extend(kept)
            for violation in kept:
                self._count(violation)
            self.stats.allowed.update(v.rule for v in found if v.rule in self.settings.allow)
        return kept

    def request_verdicts(self, request: CapturedRequest) -> list[Violation]:
        """The request rules' verdicts on a request that got no answer (for the server's log)."""
        if self.contract_mode == "off":
            return []
        return check_exchange(Exchange(request, None, "not sent"), self.contract, self.settings.allow)

    # ------------------------------------------------------------ routing and matching

    def _route(self, request: CapturedRequest) -> Route:
        name, address = host_and_address(request.url)
        if address in self._passed:
            return "pass"
        if host_listed(self._claude_hosts, name, address):
            return "claude"
        if self.settings.platform_hosts and self.contract.platform_serving(name) is not None:
            return "claude"
        if host_listed(self._allowed_hosts, name, address):
            return "pass"
        if self.contract.credential_host(name):
            return "pass"  # a platform's token endpoint: refresh tokens and secrets are never recorded
        if address not in self.unlisted and (platform := _claude_shaped(request, self.contract)):
            with self._lock:
                self.unlisted.setdefault(address, (request.target, platform))
        return "other"

    def _match_key(self, request: CapturedRequest) -> MatchKey:
        """The request's match key as it would be written: scrubbed the way the recorded one was, so
        a key in the URL matches its placeholder."""
        return match_key(self._scrubbed(request))

    def _scrubbed(self, request: CapturedRequest) -> CapturedRequest:
        """The request as it would be written (its URL and body scrubbed); itself when unchanged."""
        secrets = self._secrets.union(credentials_in(request.headers))
        secrets.discard(PLACEHOLDER_KEY)
        url, body = request.url, request.body
        # Nearly always nothing to scrub: no credential value in the URL or body, nothing shaped like one.
        if (
            any(s in url or s.encode() in body for s in secrets)
            or shape_hinted(url)
            or shape_hinted_bytes(body)
        ):
            scrubber = Scrubber(secrets)
            url, body = scrubber.text(url), scrubber.data(body)
        if url is request.url and body is request.body:
            return request
        return CapturedRequest(request.method, url, request.headers, body)

    # ------------------------------------------------------------ live answers

    def _finished(
        self, recording: LiveRecording, response: dict[str, Any], complete: bool
    ) -> list[Violation]:
        with self._lock:
            if recording in self._open:
                self._open.remove(recording)
        from ..cassette.formats import playable_response  # live answers only: replay never imports it

        playable = playable_response(response)
        if not complete:
            playable["body"]["string"] = _whole_events(playable)
        request = recording.request
        found: list[Violation] = []
        if recording.claude:
            body = playable["body"]["string"]
            captured = CapturedResponse(playable["status"]["code"], lower_headers(playable["headers"]), body)
            found = self._complete(request, captured, "live", complete)
        else:
            with self._lock:
                self.stats.other_hosts += 1
        if self._verifier is not None:
            seen = request if self.filters is None else self.filters.request(request) or request
            self._verifier.check(request, playable, self._match_key(seen), compared=recording.claude)
        if self._recording:
            written: tuple[CapturedRequest, dict[str, Any]] | None = (request, playable)
            if self.filters is not None:  # the suite's vcr_config filters, on top of the scrubbing
                kept_request = self.filters.request(request)
                kept_response = None if kept_request is None else self.filters.response(playable)
                written = (
                    None if kept_request is None or kept_response is None else (kept_request, kept_response)
                )
            with self._lock:
                self._secrets.update(credentials_in(request.headers))  # the request as sent
                self._secrets.discard(PLACEHOLDER_KEY)
                if written is not None:
                    self._recorded.append(Interaction(*written, now(), closed_early=not complete))
        return found

    def finish_open(self) -> None:
        """Answers still open at the end of the test (a stream never read to its end nor closed): kept
        as far as they got."""
        with self._lock:
            still_open = list(self._open)
        for recording in still_open:
            recording.finish(complete=False)

    # ------------------------------------------------------------ public surface

    def assert_conformant(self) -> None:
        """Fail with the full report if any exchange so far broke the contract (warnings aside)."""
        __tracebackhide__ = True
        errors = errors_and_warnings(self.violations)[0]  # warnings fail nothing
        if errors:
            raise AssertionError(violation_report(errors, len(self.exchanges)))

    @property
    def path(self) -> Path | None:
        return self.cassette_path

    @property
    def record_mode(self) -> str:
        return self.settings.record_mode

    @property
    def cassette_exists(self) -> bool:
        """The cassette file was there when the test started."""
        return self._exists

    @property
    def write_protected(self) -> bool:
        return self._write_protected

    @property
    def replaying(self) -> bool:
        """Pure replay: the cassette exists and this record mode (none, once) will not add to it."""
        return self._write_protected and self._exists

    @property
    def play_count(self) -> int:
        return len(self._played)

    @property
    def all_played(self) -> bool:
        return len(self._played) == len(self._loaded)

    @property
    def requests(self) -> list[CapturedRequest]:
        return [i.request for i in self._loaded + self._recorded]

    @property
    def responses(self) -> list[dict[str, Any]]:
        return [i.response for i in self._loaded + self._recorded]

    def __len__(self) -> int:
        return len(self._loaded) + len(self._recorded)

    @property
    def loaded_count(self) -> int:
        return len(self._loaded)

    @property
    def exchange_count(self) -> int:
        with self._lock:
            return len(self.exchanges)

    def unplayed(self) -> Iterator[int]:
        return (n for n in range(len(self._loaded)) if n not in self._played)

    @property
    def played(self) -> frozenset[int]:
        return frozenset(self._played)

    def describe(self, positions: Iterable[int]) -> list[str]:
        """`interaction N: METHOD URL` for loaded interactions (reports)."""
        return [f"interaction {p + 1}: {self._loaded[p].request.target}" for p in positions]

    def take_findings(self) -> tuple[list[str], list[Violation]]:
        """The refusals and violations found since the last call: each is handed out once."""
        with self._lock:
            fatal, self._fatal_taken = self.fatal[self._fatal_taken :], len(self.fatal)
            fresh, self._violations_taken = self.violations[self._violations_taken :], len(self.violations)
        return fatal, fresh

    def take_expired(self, max_age: timedelta) -> tuple[int, datetime] | None:
        """The interactions this test replayed that were recorded more than `max_age` ago: how many,
        and when the oldest was recorded (once a test: later calls give None). Interactions without
        `recorded_at` are not judged."""
        if self._expiry_taken:
            return None
        found = self._expired(max_age)
        self._expiry_taken = found is not None
        return found

    def _expired(self, max_age: timedelta) -> tuple[int, datetime] | None:
        limit = datetime.now(UTC) - max_age
        times = (recorded_time(self._loaded[position].recorded_at) for position in sorted(self._played))
        old = [t for t in times if t is not None and t < limit]
        return (len(old), min(old)) if old else None

    # ------------------------------------------------------------ record mode verify (see capture/verify.py)

    @property
    def verifying(self) -> bool:
        return self._verifier is not None

    def finish_verify(self) -> None:
        """At the end of the test: recordings no request played count as drift."""
        if self._verifier is not None:
            self._verifier.finish()

    def take_drift(self) -> DriftReport | None:
        """Drift found since the last call (verify mode), or None."""
        return None if self._verifier is None else self._verifier.take_report()

    # ------------------------------------------------------------ saving

    def save(self, test_failed: bool) -> None:
        """Write what was recorded, unless the test failed (a failing run records a broken story) and
        keep_failed is off.

        Load-merge-save runs under a lock shared by every process (pytest-xdist workers), against the
        file as it is *now*, so that tests recording into one cassette at the same time lose nothing:
        once / new_episodes add what the file does not hold yet (by match key and occurrence); all
        replaces the requests it re-recorded; rewrite replaces the file on its first save in the
        session and adds to it afterwards. The result is written in `write_order`, atomically."""
        self.finish_open()
        if not self._recording or not self._recorded or self.cassette_path is None:
            return
        path = self.cassette_path
        if test_failed and not self.keep_failed:
            self.stats.refused.append(
                f"{path} (the test failed; nothing was written; --claude-keep-failed writes it anyway)"
            )
            return
        secrets = set(self._secrets)
        if self.scrub_org_id:
            secrets.update(
                value
                for i in self._recorded
                for name, values in i.response["headers"].items()
                if name.lower() == ORG_ID_HEADER
                for value in values
            )
        scrubber = Scrubber(secrets, headers=(ORG_ID_HEADER,) if self.scrub_org_id else ())
        stamp = now()  # one time for the test's recordings: no timing noise between them in a diff
        for interaction in self._recorded:
            interaction.recorded_at = stamp
        mode = self.settings.record_mode
        from ..cassette.formats import write_order

        with cassette_lock(path) as notes:
            on_disk = load_cassette(path) or []
            session_note = notes.with_suffix(".rewrite")
            if mode == "rewrite":
                written_this_session = bool(self.session_id) and _read(session_note) == self.session_id
                interactions = merge_missing(on_disk if written_this_session else [], self._recorded)
            elif mode == "all":
                fresh = {i.key for i in self._recorded}
                interactions = [i for i in on_disk if i.key not in fresh] + self._recorded
            else:
                interactions = merge_missing(on_disk, self._loaded + self._recorded)
            write_cassette(path, write_order(interactions, scrubber), scrubber)
            if mode == "rewrite" and self.session_id:
                replace_atomically(session_note, lambda handle: handle.write(self.session_id.encode()))
        self.stats.recorded.add(str(path))
        if test_failed:
            self.stats.kept.append(str(path))

    # ------------------------------------------------------------ internals

    def _refuse(self, status: int, error_type: str, message: str) -> Refuse:
        with self._lock:
            self.fatal.append(message)
        return Refuse(status, error_type, message)

    def _placeholder_message(self, request: CapturedRequest) -> str:
        signed = sigv4_fields(request.headers.get("authorization", "")) is not None
        variable = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are" if signed else "ANTHROPIC_API_KEY is"
        return (
            f"Claude contract: {request.target} would go to the live API with the replay placeholder key, "
            f"because {variable} not set.\n"
            f"  cassette: {self.cassette_path or '(check only)'} (record mode {self.record_mode!r})\n"
            f"Set {'AWS credentials' if signed else 'ANTHROPIC_API_KEY'} to "
            f"{'verify' if self._verifier else 'record'} it, or replay with --claude-record-mode=none."
        )

    def _miss_message(self, request: CapturedRequest, seen: CapturedRequest) -> str:
        """`seen`: the request as the suite's filters would record it (`request` itself without)."""
        if self._vcr_index is None:
            key = self._match_key(seen)
            recorded = sum(1 for i in self._loaded if i.key == key)
        else:
            recorded = self._vcr_index.count(self._scrubbed(seen))
        return miss_report(
            request,
            cassette=self.cassette_path or Path("(none)"),
            record_mode=self.record_mode,
            interactions=self._loaded,
            exists=self._exists,
            exhausted=recorded,
        )

    def _complete(
        self,
        request: CapturedRequest,
        response: CapturedResponse,
        origin: Origin,
        complete: bool = True,
        recorded_at: object = None,
        *,
        foreign: bool = False,
    ) -> list[Violation]:
        """Check and count one exchange. `foreign`: replayed from a recording another tool wrote."""
        with self._lock:
            exchange = Exchange(request, response, origin, len(self.exchanges) + 1, recorded_at)
            self.exchanges.append(exchange)
            if origin == "live":
                self.stats.live += 1
            else:
                self.stats.replayed += 1
        if self.contract_mode == "off":
            return []
        found = check_exchange(
            exchange, self.contract, verdicts=self.verdicts if origin == "replayed" else None, notes=True
        )
        if not complete:  # the client closed the stream: that it stops short is the client's doing
            found = [v for v in found if not _cut_short(v)]
        if any(v.level != "violation" for v in found):  # recorded before the header existed: counted
            with self._lock:
                self.stats.recorded_before.update(v.rule for v in found if v.level != "violation")
            found = [v for v in found if v.level == "violation"]
        # A response header the recorder may have filtered out (another tool's recording, or this
        # suite's before_record_response) is "not recorded", not the API's fault.
        filters = self.filters
        if (
            found
            and origin == "replayed"
            and (foreign or (filters is not None and filters.changes_responses))
        ):
            from .vcr_config import split_not_recorded

            stripped = filters.stripped_headers() if filters is not None else frozenset()
            found, unrecorded = split_not_recorded(found, response, foreign=foreign, stripped=stripped)
            if unrecorded:
                with self._lock:
                    self.not_recorded.extend(unrecorded)
                    self.stats.not_recorded.update(v.rule for v in unrecorded)
        kept: list[Violation] = []
        with self._lock:
            for violation in found:
                if violation.rule in self.settings.allow:
                    self.stats.allowed[violation.rule] += 1
                else:
                    kept.append(violation)
                    self.violations.append(violation)
                    self._count(violation)
        return kept

    def _count(self, violation: Violation) -> None:
        """In the summary: a warning (model-deprecated) apart from the violations that fail."""
        counter = self.stats.warnings if violation.severity == "warning" else self.stats.violations
        counter[violation.rule] += 1


def _base_url_host() -> tuple[str, ...]:
    """The host of ANTHROPIC_BASE_URL (the SDKs send there): Claude traffic, wherever it points."""
    base = os.environ.get("ANTHROPIC_BASE_URL", "").strip()
    netloc = urlsplit(base).netloc.rpartition("@")[2] if "://" in base else ""
    return (netloc,) if netloc else ()


def _claude_shaped(request: CapturedRequest, contract: Contract) -> str | None:
    """The platform whose traffic the request looks like, or None: a first-party endpoint with an
    anthropic-version header or a Claude credential; another platform's endpoint (the URL is its own:
    Vertex AI's `.../publishers/anthropic/models/...`) with the version where that platform reads it."""
    headers = request.headers
    credential = any(looks_like_key(value) for value in credentials_in(headers))
    if (credential or "anthropic-version" in headers) and context_for(
        Exchange(request, None, "not sent"), contract
    ).endpoint is not None:
        return contract.default_platform
    for platform in contract.platforms:
        if platform.endpoints and any(e.matches(request.method, request.path) for e in platform.endpoints):
            data = request.json if platform.version_in == "body" else None
            if "anthropic-version" in headers or (isinstance(data, dict) and "anthropic_version" in data):
                return platform.name
    return None


def _whole_events(response: dict[str, Any]) -> bytes:
    """The body of an answer the client closed early; for an event stream, up to its last whole
    event or frame (what a client could have acted on), so that the recording parses."""
    body: bytes = response["body"]["string"]
    content_type = lower_headers(response["headers"]).get("content-type", "")
    if media_type(content_type) == EVENTSTREAM:  # Bedrock's binary frames: up to the last whole one
        from ..contract.aws_eventstream import whole_frames

        return whole_frames(body)
    if "text/event-stream" not in content_type:
        return body
    ends = [found + len(sep) for sep in (b"\n\n", b"\r\n\r\n") if (found := body.rfind(sep)) >= 0]
    return body[: max(ends)] if ends else b""


def _cut_short(violation: Violation) -> bool:
    """The stream-order verdict that a stream stops before message_stop: for a stream the client
    closed, that is the client's doing, not the API's."""
    return violation.rule == "stream-order" and (
        "without message_stop" in violation.message or "has no events" in violation.message
    )


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None
