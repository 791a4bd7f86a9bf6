"""The test's recorder: what vcrpy's patched HTTP libraries talk to instead of a vcrpy Cassette.

vcrpy's stubs ask a cassette four questions for each request (can you play it? are you write
protected? should it be recorded? here is a live response). Answering them here lets one object
capture every exchange with a Claude host, check it, replay it by our matching rules (method, path,
query, parsed JSON body; identical requests in recorded order) and record it, while requests to any
other host pass through untouched.
"""

from __future__ import annotations

import os
import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from vcr.patch import CassettePatcherBuilder

from ._cassette import (
    Interaction,
    MatchKey,
    ReplayIndex,
    Scrubber,
    _playable_response,
    cassette_lock,
    credentials_in,
    load_cassette,
    match_key,
    merge_missing,
    now,
    recorded_time,
    write_cassette,
    write_order,
)
from ._checks import Violation, body_limit, check_exchange
from ._exchange import CapturedRequest, CapturedResponse, Exchange, Origin, body_bytes, lower_headers
from ._report import SessionStats, miss_report, violation_report
from ._settings import PLACEHOLDER_KEY
from ._transport import replay_patchers

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from ._contract import Contract
    from ._settings import ContractSettings
    from ._verdicts import VerdictStore
    from ._verify import DriftReport, Verifier

ORG_ID_HEADER = "anthropic-organization-id"


@dataclass(slots=True)
class _Pending:
    source: Any  # the vcrpy request object this was captured from
    raw_length: int
    request: CapturedRequest
    prechecked: bool = False
    _key: MatchKey | None = None

    @property
    def key(self) -> MatchKey:
        # Only replay needs it: a check-only or recording test never holds the body's canonical text.
        if self._key is None:
            self._key = match_key(self.request)
        return self._key


@dataclass
class ClaudeContractRecorder:
    """Exchanges and violations of one test; also the cassette vcrpy's patches talk to."""

    settings: ContractSettings
    contract: Contract
    contract_mode: str
    cassette_path: Path | None
    stats: SessionStats = field(default_factory=SessionStats)
    exchanges: list[Exchange] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    fatal: list[str] = field(default_factory=list)

    # Recording options (--claude-keep-failed, --claude-scrub-org-id) and the session's id, which
    # tells a rewrite whether this session already wrote the cassette (see save()).
    keep_failed: bool = False
    scrub_org_id: bool = False
    session_id: str = ""
    # Where parsed cassettes are pickled between sessions (the pytest cache); None: parse each session.
    parse_cache: Path | None = None
    # The response rules' verdicts on recorded responses, kept for the session (see _verdicts).
    verdicts: VerdictStore | None = None

    def __post_init__(self) -> None:
        path = self.cassette_path
        self._path = str(path) if path else "check-only"
        self._lock = threading.RLock()
        self._pending: dict[int, _Pending] = {}
        self._secrets: set[str] = {
            v for v in (os.environ.get("ANTHROPIC_API_KEY"), os.environ.get("ANTHROPIC_AUTH_TOKEN")) if v
        }
        self._secrets.discard(PLACEHOLDER_KEY)
        loaded = load_cassette(path, self.parse_cache) if path is not None else None
        self._exists = loaded is not None
        self._loaded: list[Interaction] = loaded or []
        self._index = ReplayIndex(self._loaded)
        self._played: set[int] = set()
        self._recorded: list[Interaction] = []
        mode = self.settings.record_mode
        self._replay = path is not None and self._exists and mode not in ("all", "rewrite", "verify")
        self._write_protected = path is not None and (mode == "none" or (mode == "once" and self._exists))
        # verify: every request goes live (a real key needed), is compared with the cassette, and
        # nothing is recorded (see _verify).
        self._verifier: Verifier | None = None
        if path is not None and mode == "verify":
            from . import _verify

            self._verifier = _verify.Verifier(path, self._loaded, self._exists, self.stats)
        self._recording = path is not None and not self._write_protected and self._verifier is None
        self._hosts = frozenset(self.settings.hosts)

    # ------------------------------------------------------------ public surface

    def assert_conformant(self) -> None:
        """Fail with the full report if any exchange so far broke the contract."""
        __tracebackhide__ = True
        if self.violations:
            raise AssertionError(violation_report(self.violations, len(self.exchanges)))

    @property
    def path(self) -> Path | None:
        return self.cassette_path

    @property
    def record_mode(self) -> str:
        return self.settings.record_mode

    @property
    def write_protected(self) -> bool:
        return self._write_protected

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

    def activate(self) -> None:
        """Route the patched HTTP libraries to this recorder; the patches stay on after deactivate()
        until PATCHES.release() (the plugin keeps them on across consecutive tests that use it)."""
        PATCHES.route_to(self)

    def deactivate(self) -> None:
        PATCHES.route_away(self)

    def __enter__(self) -> ClaudeContractRecorder:
        self.activate()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.deactivate()
        PATCHES.release()

    @property
    def replaying(self) -> bool:
        """Pure replay: the cassette exists and this record mode (none, once) will not add to it."""
        return self._write_protected and self._exists

    def save(self, test_failed: bool) -> None:
        """Write what was recorded, unless the test failed (a failing run records a broken story) and
        keep_failed is off.

        Load-merge-save runs under a lock shared by every process (pytest-xdist workers), against the
        file as it is *now*, so that tests recording into one cassette at the same time lose nothing:
        once / new_episodes add what the file does not hold yet (by match key and occurrence); all
        replaces the requests it re-recorded; rewrite replaces the file on its first save in the
        session and adds to it afterwards. The result is written in `write_order`, atomically."""
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
                session_note.write_text(self.session_id, encoding="utf-8")
        self.stats.recorded.add(str(path))
        if test_failed:
            self.stats.kept.append(str(path))

    def expired(self, max_age: timedelta) -> tuple[int, datetime] | None:
        """The interactions this test replayed that were recorded more than `max_age` ago: how many,
        and when the oldest was recorded. Interactions without `recorded_at` are not judged."""
        limit = datetime.now(UTC) - max_age
        times = (recorded_time(self._loaded[position].recorded_at) for position in sorted(self._played))
        old = [t for t in times if t is not None and t < limit]
        return (len(old), min(old)) if old else None

    def describe(self, positions: Iterable[int]) -> list[str]:
        """`interaction N: METHOD URL` for loaded interactions (reports)."""
        return [f"interaction {p + 1}: {self._loaded[p].request.target}" for p in positions]

    @property
    def loaded_count(self) -> int:
        return len(self._loaded)

    # ------------------------------------------------------------ record mode verify (see _verify)

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

    # ------------------------------------------------------------ vcrpy's cassette protocol

    def can_play_response_for(self, request: Any) -> bool:
        if not self._is_claude(request):
            return False
        with self._lock:
            pending = self._capture(request)
            if not pending.prechecked:
                pending.prechecked = True
                self._precheck(pending.request)
            if self._replay and self._index.peek(pending.key):
                return True
            if not self._write_protected:
                self._refuse_placeholder(pending.request)
            return False

    def filter_request(self, request: Any) -> Any:
        """vcrpy asks this before refusing an unplayable request: we refuse Claude requests ourselves."""
        if not self._is_claude(request):
            return None
        if self._write_protected:
            with self._lock:
                pending = self._capture(request)
            self._miss(pending)
        return request

    def play_response(self, request: Any) -> dict[str, Any]:
        with self._lock:
            pending = self._capture(request)
            position = self._index.take(pending.key)
            if position is None:
                return self._miss(pending)
            self._pending.pop(id(request), None)
            self._played.add(position)
        interaction = self._loaded[position]
        recorded = interaction.response
        response = {
            "status": dict(recorded["status"]),
            "headers": {k: list(v) for k, v in recorded["headers"].items()},
            "body": {"string": recorded["body"]["string"]},
        }
        self._complete(pending.request, interaction.captured_response, "replayed")
        if self.cassette_path is not None:
            self.stats.replayed_from.add(str(self.cassette_path))
        return response

    def append(self, request: Any, response: dict[str, Any]) -> None:
        if not self._is_claude(request):
            return
        with self._lock:
            pending = self._capture(request)
            self._pending.pop(id(request), None)
        playable = _playable_response(response)
        body = playable["body"]["string"]
        captured = CapturedResponse(playable["status"]["code"], lower_headers(playable["headers"]), body)
        self._complete(pending.request, captured, "live")
        if self._verifier is not None:
            self._verifier.check(pending.request, playable)
        if self._recording:
            with self._lock:
                self._secrets.update(credentials_in(pending.request.headers))
                self._recorded.append(Interaction(pending.request, playable, now()))

    def find_requests_with_most_matches(self, request: Any) -> list[Any]:
        return []  # aiohttp asks this to follow recorded redirects; the Claude API sends none

    # ------------------------------------------------------------ one exchange at a time (_server)
    # The same decisions as vcrpy's path above, for a caller that holds a CapturedRequest and must
    # never raise in its own thread: failures are noted in `fatal`, which the plugin's _judge raises
    # in the test.

    # ------------------------------------------------------------ httpx/httpx2 replay (_transport)

    @property
    def plays_recordings(self) -> bool:
        """Requests with a recording left are answered from the cassette (every mode but all,
        rewrite and verify, once there is a cassette)."""
        return self._replay

    def is_claude_url(self, url: Any) -> bool:
        """`_is_claude` for an httpx URL (host lower-cased, port None when it is the default)."""
        host = url.host
        if host in self._hosts:
            return True
        return f"{host}:{url.port or (443 if url.scheme == 'https' else 80)}" in self._hosts

    def replay(self, request: CapturedRequest) -> dict[str, Any] | None:
        """The recorded response for `request`, checked and counted as vcrpy's path does it; None
        when none is left (the caller hands the request on to vcrpy's stub, which decides)."""
        key = match_key(request)
        with self._lock:
            if not self._index.peek(key):
                return None
            self._precheck(request)
            position = self._index.take(key)
            assert position is not None
            self._played.add(position)
        interaction = self._loaded[position]
        self._complete(request, interaction.captured_response, "replayed")
        if self.cassette_path is not None:
            self.stats.replayed_from.add(self._path)
        return interaction.response

    def play(self, request: CapturedRequest) -> tuple[dict[str, Any], list[Violation]] | None:
        """The recorded response for `request` (vcrpy's shape), checked and counted, with the
        violations found; None when the cassette has no recording left for it."""
        if not self._replay:
            return None
        with self._lock:
            position = self._index.take(match_key(request))
            if position is None:
                return None
            self._played.add(position)
        interaction = self._loaded[position]
        recorded = interaction.response
        found = self._complete(request, interaction.captured_response, "replayed")
        if self.cassette_path is not None:
            self.stats.replayed_from.add(str(self.cassette_path))
        return recorded, found

    def refusal(self, request: CapturedRequest) -> str | None:
        """Why `request` (which `play` could not answer) may not go live: a replay miss, or the
        placeholder key on its way to the API. Noted as fatal for the test; None when it may go."""
        if self._write_protected:
            message = self._miss_message(request, match_key(request))
        elif PLACEHOLDER_KEY in credentials_in(request.headers):
            message = self._placeholder_message(request)
        else:
            return None
        with self._lock:
            self.fatal.append(message)
        return message

    def record_live(self, request: CapturedRequest, response: dict[str, Any]) -> list[Violation]:
        """A live exchange (response in vcrpy's shape, body as received): checked, counted, and kept
        for the cassette when recording. Returns the violations found."""
        playable = _playable_response(response)
        body = playable["body"]["string"]
        captured = CapturedResponse(playable["status"]["code"], lower_headers(playable["headers"]), body)
        found = self._complete(request, captured, "live")
        if self._verifier is not None:
            self._verifier.check(request, playable)
        if self._recording:
            with self._lock:
                self._secrets.update(credentials_in(request.headers))
                self._recorded.append(Interaction(request, playable, now()))
        return found

    def record_refused(self, request: CapturedRequest, found: list[Violation]) -> list[Violation]:
        """A request answered without being sent (e.g. 413 for its size): its exchange and the
        violations that refused it, less the allowed ones (none when checks are off)."""
        with self._lock:
            self.exchanges.append(Exchange(request, None, "not sent", len(self.exchanges) + 1))
            if self.contract_mode == "off":
                return []
            kept = [v for v in found if v.rule not in self.settings.allow]
            self.violations.extend(kept)
            self.stats.violations.update(v.rule for v in kept)
            self.stats.allowed.update(v.rule for v in found if v.rule in self.settings.allow)
        return kept

    @property
    def exchange_count(self) -> int:
        with self._lock:
            return len(self.exchanges)

    # ------------------------------------------------------------ internals

    def _is_claude(self, request: Any) -> bool:
        parsed = request.parsed_uri
        host = (parsed.hostname or "").lower()
        if host in self._hosts:
            return True
        return f"{host}:{request.port}" in self._hosts

    def _capture(self, request: Any) -> _Pending:
        raw = request.body_bytes if hasattr(request, "body_bytes") else request.body
        body = body_bytes(raw)
        pending = self._pending.get(id(request))
        if pending is not None and pending.source is request and pending.raw_length == len(body):
            return pending
        headers = lower_headers(request.headers.items())
        if isinstance(raw, dict | list) and not isinstance(raw, bytes) and "content-type" not in headers:
            # aiohttp's json=: aiohttp adds this header itself after vcrpy has seen the request.
            headers["content-type"] = "application/json"
        captured = CapturedRequest(request.method, request.uri, headers, body)
        pending = _Pending(request, len(body), captured)
        self._pending[id(request)] = pending
        return pending

    def _precheck(self, request: CapturedRequest) -> None:
        """An oversized body fails the test before it is sent, in record mode as in replay."""
        if self.contract_mode != "strict" or len(request.body) <= self.contract.smallest_body_limit:
            return
        exchange = Exchange(request, None, "not sent", len(self.exchanges) + 1)
        found = [v for v in body_limit(exchange, self.contract) if v.rule not in self.settings.allow]
        if found:
            self.violations.extend(found)
            self.stats.violations.update(v.rule for v in found)
            self._fail(violation_report(found, len(self.exchanges) + 1) + "\nThe request was not sent.")

    def _refuse_placeholder(self, request: CapturedRequest) -> None:
        if PLACEHOLDER_KEY in credentials_in(request.headers):
            self._fail(self._placeholder_message(request))

    def _placeholder_message(self, request: CapturedRequest) -> str:
        return (
            f"Claude contract: {request.target} would go to the live API with the replay placeholder key, "
            "because ANTHROPIC_API_KEY is not set.\n"
            f"  cassette: {self.cassette_path or '(check only)'} (record mode {self.record_mode!r})\n"
            f"Set ANTHROPIC_API_KEY to {'verify' if self._verifier else 'record'} it, or replay with "
            "--claude-record-mode=none."
        )

    def _miss(self, pending: _Pending) -> NoReturn:
        self._fail(self._miss_message(pending.request, pending.key))

    def _miss_message(self, request: CapturedRequest, key: MatchKey) -> str:
        recorded = sum(1 for i in self._loaded if i.key == key)
        return miss_report(
            request,
            cassette=self.cassette_path or Path("(none)"),
            record_mode=self.record_mode,
            interactions=self._loaded,
            exists=self._exists,
            exhausted=recorded,
        )

    def _fail(self, message: str) -> NoReturn:
        # pytest.fail raises a BaseException: HTTP clients and SDK retry loops catch Exception, so the
        # test stops here with this message instead of a wrapped "connection error" after retries.
        self.fatal.append(message)
        pytest.fail(message, pytrace=False)

    def _complete(
        self, request: CapturedRequest, response: CapturedResponse, origin: Origin
    ) -> list[Violation]:
        with self._lock:
            exchange = Exchange(request, response, origin, len(self.exchanges) + 1)
            self.exchanges.append(exchange)
            if origin == "live":
                self.stats.live += 1
            else:
                self.stats.replayed += 1
        if self.contract_mode == "off":
            return []
        found = check_exchange(
            exchange, self.contract, verdicts=self.verdicts if origin == "replayed" else None
        )
        kept: list[Violation] = []
        with self._lock:
            for violation in found:
                if violation.rule in self.settings.allow:
                    self.stats.allowed[violation.rule] += 1
                else:
                    kept.append(violation)
                    self.violations.append(violation)
                    self.stats.violations[violation.rule] += 1
        return kept

    def unplayed(self) -> Iterator[int]:
        return (n for n in range(len(self._loaded)) if n not in self._played)

    @property
    def played(self) -> frozenset[int]:
        return frozenset(self._played)


class _Switchboard:
    """The one object vcrpy's patchers talk to, for the whole session: it hands each request to the
    active test's recorder. Building and entering vcrpy's patchers for every HTTP library costs
    milliseconds, so they are entered once and stay on while consecutive tests use the plugin (the
    plugin releases them before a test that does not). With no recorder active, requests pass through
    to the network as if nothing were patched (vcrpy still buffers their responses)."""

    # vcrpy's CassettePatcherBuilder reads these.
    custom_patches: tuple[Any, ...] = ()
    skip_patchers: tuple[str, ...] = ()
    _path = "claude-contract"  # vcrpy names its patched connection classes after it
    share_ssl_contexts = True  # ini claude_share_ssl_context (see _transport)

    def __init__(self) -> None:
        self._stack: ExitStack | None = None
        self._routes: list[ClaudeContractRecorder] = []  # a stack: the last is active
        self.entered = 0  # times the patchers were entered (tests and benchmarks read it)

    @property
    def active(self) -> bool:
        return self._stack is not None

    def route_to(self, recorder: ClaudeContractRecorder) -> None:
        self.engage()
        self._routes.append(recorder)

    def engage(self) -> None:
        """Enter the patchers, if they are not on: with no recorder routed to, requests pass through."""
        if self._stack is None:
            stack = ExitStack()
            for patcher in CassettePatcherBuilder(self).build():
                stack.enter_context(patcher)
            # In front of vcrpy's httpx stubs: recorded answers straight from the transport.
            for patcher in replay_patchers(lambda: self._current, self.share_ssl_contexts):
                stack.enter_context(patcher)
            self._stack = stack
            self.entered += 1

    def route_away(self, recorder: ClaudeContractRecorder) -> None:
        for position in range(len(self._routes) - 1, -1, -1):  # its most recent routing
            if self._routes[position] is recorder:
                del self._routes[position]
                return

    def release(self) -> None:
        """Unpatch, unless a recorder is still routed to."""
        if self._stack is not None and not self._routes:
            stack, self._stack = self._stack, None
            stack.close()

    # ------------------------------------------------------------ vcrpy's cassette protocol

    @property
    def _current(self) -> ClaudeContractRecorder | None:
        return self._routes[-1] if self._routes else None

    @property
    def write_protected(self) -> bool:
        current = self._current
        return current is not None and current.write_protected

    def can_play_response_for(self, request: Any) -> bool:
        current = self._current
        return current is not None and current.can_play_response_for(request)

    def filter_request(self, request: Any) -> Any:
        current = self._current
        return None if current is None else current.filter_request(request)

    def play_response(self, request: Any) -> dict[str, Any]:
        current = self._current
        assert current is not None  # vcrpy plays only what can_play_response_for accepted
        return current.play_response(request)

    def append(self, request: Any, response: dict[str, Any]) -> None:
        current = self._current
        if current is not None:
            current.append(request, response)

    def find_requests_with_most_matches(self, request: Any) -> list[Any]:
        return []  # aiohttp asks this to follow recorded redirects; the Claude API sends none


PATCHES = _Switchboard()


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None
