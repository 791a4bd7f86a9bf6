"""`claude_contract_vcr`: a pytest-recording suite adopts the plugin by one line of its config.

Every test marked `@pytest.mark.vcr` keeps being answered by pytest-recording, from its cassettes,
with its `vcr_config`, layout and match rules, untouched; the plugin only looks. Its `claude_contract`
fixture (put before pytest-recording's `vcr` at collection, so set up before the cassette is loaded
and torn down after it is saved) makes a check-only recorder and wraps two of vcrpy's `Cassette`
methods, at the class, for as long as the test runs:

- `play_response(request)` (replay): the request as the client sent it, before any filter, and the
  recorded answer;
- `append(request, response)` (recording): the same live request and the live answer, before
  `before_record_request` / `before_record_response`. vcrpy's `_load` appends every interaction it
  reads too: those are not exchanges, and are told apart by wrapping `_load`.

Each exchange goes to `ClaudeContractRecorder.observe`: the same routing (hosts=, ANTHROPIC_BASE_URL),
checks, report and counts as the plugin's own marker. An answer read from a cassette another tool
wrote (its interactions carry no `recorded_at`) is judged as `lint` judges it: a response header its
recorder removed is "not recorded", not a violation; one the plugin wrote is judged in full.

Secrets: what `append` stored (after the suite's own filters) has every credential the live request
carried, and any key-shaped value, replaced by the plugin's placeholder before pytest-recording writes
the file, so a suite without `filter_headers` does not write its key either.

Both markers on one test: with the option on, pytest-recording owns the cassette and the marker's
checking arguments (hosts=, allow=, ...) apply; with it off, the plugin's marker owns it and
pytest-recording's `vcr` fixture is not set up for that test. The test's report and the summary say
which.

vcrpy is imported here only when a bridged test runs.
"""

from __future__ import annotations

import os
import re
import threading
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import pytest

from .options import PLACEHOLDER_KEY, marker_overrides
from .state import BOTH_MARKERS, BRIDGED, MARKER, STATIC_CASSETTE, SessionState

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ..capture.core import ClaudeContractRecorder
    from ..cassette.scrub import Scrubber
    from ..cassette.secret_search import Found
    from ..contract.exchange import CapturedRequest

VCR_MARKER = "vcr"
RECORDING_PLUGIN = "recording"  # pytest-recording's entry point name
# Marker arguments about the plugin's own cassette: meaningless where pytest-recording owns it.
CASSETTE_ARGUMENTS = ("cassette", "record_mode", "max_age", "on_expiry", "upstream")
OWNED_BY_RECORDING = (
    "pytest-recording owns the cassette (claude_contract_vcr on): its cassette answered, the Claude "
    "exchanges were checked"
)
OWNED_BY_MARKER = (
    "@pytest.mark.claude_contract owns the cassette (claude_contract_vcr off): pytest-recording's vcr "
    "fixture was not set up"
)
# A cassette the plugin wrote: its interactions carry `recorded_at` (cassette.formats writes one each).
_OURS = re.compile(rb'(?m)^[\s-]*"?recorded_at"?\s*:')


def require_pytest_recording(config: pytest.Config) -> None:
    """The option on without pytest-recording active: a usage error saying what to do."""
    if config.pluginmanager.has_plugin(RECORDING_PLUGIN):
        return
    raise pytest.UsageError(
        "claude_contract_vcr is on (ini claude_contract_vcr or --claude-contract-vcr), but pytest-recording "
        "is not active: install it (python -m pip install pytest-recording) and do not disable it "
        "(-p no:recording), or turn the option off"
    )


def collect(item: pytest.Item, state: SessionState) -> None:
    """At collection, for a test marked `@pytest.mark.vcr`: who answers it, and its fixtures in the
    order that makes it so."""
    names = getattr(item, "fixturenames", None)
    if not isinstance(names, list):
        return  # not a function item: nothing of pytest-recording's runs for it either
    both = item.get_closest_marker(MARKER) is not None
    if state.options.vcr:
        if both:
            given = sorted(set(marker_overrides(item)) & set(CASSETTE_ARGUMENTS))
            if given:
                raise pytest.UsageError(
                    f"{item.nodeid}: @pytest.mark.claude_contract({', '.join(f'{n}=...' for n in given)}) "
                    "with @pytest.mark.vcr: pytest-recording owns this test's cassette (claude_contract_vcr "
                    "on), so these arguments would do nothing; remove them, or turn claude_contract_vcr off "
                    "to let @pytest.mark.claude_contract own the cassette"
                )
            item.stash[BOTH_MARKERS] = OWNED_BY_RECORDING
            static = item.stash.get(STATIC_CASSETTE, None)
            if static is not None:  # listed at collection as the plugin's; it is not used
                state.cassettes.discard(str(static[1]))
        item.stash[BRIDGED] = True
        if state.options.orphans or item.config.getoption("claude_cassettes_json", default=None):
            _list_cassettes(item, state)
        # The check-only recorder is the `claude_contract` fixture, set up before pytest-recording's
        # `vcr` (it must see the cassette loaded) and so torn down after the cassette is saved.
        rest = [n for n in names if n != "claude_contract"]
        position = rest.index(VCR_MARKER) if VCR_MARKER in rest else 0
        rest.insert(position, "claude_contract")
        item.fixturenames = rest  # type: ignore[attr-defined]
        return
    if not both:
        return
    if _vcr_fixture_asked_for(item):
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.claude_contract and @pytest.mark.vcr, and the test (or one of "
            "its fixtures) asks for pytest-recording's `vcr` fixture: both would answer its requests. "
            "Set claude_contract_vcr = true (pytest-recording answers, the plugin checks), or drop one "
            "of the markers"
        )
    item.stash[BOTH_MARKERS] = OWNED_BY_MARKER
    item.fixturenames = [n for n in names if n != VCR_MARKER]  # type: ignore[attr-defined]


def _list_cassettes(item: pytest.Item, state: SessionState) -> None:
    """For --claude-cassettes-json (`lint --orphans`) and --claude-orphans: the cassettes
    pytest-recording reads and writes for the test, by the suite's own fixtures where they can run at
    collection. At run time the cassettes vcrpy actually loads or records are added as they are met."""
    from .vcr_compat import collected_suite, recording_cassettes

    suite, unknown = collected_suite(item)
    written, read = recording_cassettes(item, suite)
    state.cassettes.update(os.path.abspath(path) for path in (written, *read))
    if unknown:
        state.unresolved.append(f"{item.nodeid} ({', '.join(unknown)})")


def _vcr_fixture_asked_for(item: pytest.Item) -> bool:
    """Whether `vcr` is in the test's fixtures for another reason than being autouse."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return True
    if VCR_MARKER in info.argnames:
        return True
    if any(VCR_MARKER in marker.args for marker in item.iter_markers("usefixtures")):
        return True
    return any(
        name != VCR_MARKER and defs and VCR_MARKER in defs[-1].argnames
        for name, defs in info.name2fixturedefs.items()
    )


def note_both_markers(item: pytest.Item, state: SessionState) -> None:
    """Say, in the test's report and in the summary, which marker owned the cassette."""
    owner = item.stash[BOTH_MARKERS]
    assert state.stats is not None
    state.stats.both_markers[owner] += 1
    item.add_report_section(
        "setup", "claude contract", f"both @pytest.mark.vcr and @pytest.mark.claude_contract: {owner}"
    )


class Observer:
    """For one bridged test: vcrpy's `Cassette` wrapped at the class, every exchange handed to the
    test's recorder, what pytest-recording stores scrubbed of credentials."""

    def __init__(self, recorder: ClaudeContractRecorder, state: SessionState) -> None:
        self.recorder = recorder
        self.state = state
        self._loading = threading.local()  # inside vcrpy's Cassette._load, on this thread
        self._ours: dict[str, bool] = {}  # cassette path -> the plugin wrote it
        self._patches = ExitStack()

    def start(self) -> None:
        from vcr.cassette import Cassette

        from ..capture.attribute_patch import patched

        assert self.recorder.stats is self.state.stats
        self.recorder.stats.bridged += 1
        wrappers = {
            "play_response": self._play_response(Cassette.play_response),
            "append": self._append(Cassette.append),
            "_load": self._load(Cassette._load),
        }
        try:
            for name, wrapper in wrappers.items():
                self._patches.enter_context(patched(Cassette, name, wrapper))
        except BaseException:
            self._patches.close()
            raise

    def stop(self) -> None:
        self._patches.close()

    # ------------------------------------------------------------ the wrappers

    def _load(self, original: Callable[..., Any]) -> Callable[..., Any]:
        loading = self._loading

        def _load(cassette: Any) -> Any:
            loading.active = True
            try:
                return original(cassette)
            finally:
                loading.active = False

        return _load

    def _play_response(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def play_response(cassette: Any, request: Any) -> Any:
            from ..capture.vcr_adapter import captured_request

            captured = captured_request(request)  # as sent: before the suite's filters see it
            response = original(cassette, request)
            self._replayed(cassette, captured, response)
            return response

        return play_response

    def _append(self, original: Callable[..., Any]) -> Callable[..., Any]:
        loading = self._loading

        def append(cassette: Any, request: Any, response: Any) -> Any:
            if getattr(loading, "active", False):
                return original(cassette, request, response)  # an interaction read from the file
            captured = self._recorded(cassette, request, response)
            before = len(cassette.data)
            result = original(cassette, request, response)
            if len(cassette.data) > before:
                self._scrub_stored(cassette, before, captured)
                self.recorder.stats.recorded.add(str(cassette._path))
            return result

        return append

    # ------------------------------------------------------------ the exchanges

    def _replayed(self, cassette: Any, request: CapturedRequest, response: dict[str, Any]) -> None:
        from ..capture.vcr_adapter import captured_response

        path = str(cassette._path)
        foreign = not self._written_by_plugin(path)
        self.recorder.observe(request, captured_response(response), "replayed", foreign=foreign)
        self.recorder.stats.replayed_from.add(path)
        self.state.cassettes.add(path)

    def _recorded(self, cassette: Any, request: Any, response: dict[str, Any]) -> CapturedRequest:
        from ..capture.vcr_adapter import captured_request, captured_response

        captured = captured_request(request)
        self.recorder.observe(captured, captured_response(response), "live")
        self.state.cassettes.add(str(cassette._path))
        return captured

    def _written_by_plugin(self, path: str) -> bool:
        known = self._ours.get(path)
        if known is None:
            try:
                with open(path, "rb") as handle:
                    known = _OURS.search(handle.read()) is not None
            except OSError:
                known = False
            self._ours[path] = known
        return known

    # ------------------------------------------------------------ secrets

    def _scrub_stored(self, cassette: Any, start: int, live: CapturedRequest) -> None:
        """What `append` stored from `start` on, with the live request's credentials and any key
        replaced: pytest-recording writes `cassette.data` as it is."""
        scrubber = _scrubber(live)
        for position in range(start, len(cassette.data)):
            request, response = cassette.data[position]
            cassette.data[position] = (
                _scrubbed_request(request, scrubber),
                _scrubbed_response(response, scrubber),
            )
        left = []
        for position in range(start, len(cassette.data)):
            request, response = cassette.data[position]
            left += [
                (position, place, found) for place, found in _left_in(request, response, scrubber.values)
            ]
        if left:
            # A credential in a form the scrubber does not rewrite (percent-encoded, base64, in a
            # compressed body...): what pytest-recording would write is refused, as the plugin's own
            # writer refuses it (cassette/formats.py), and the client's call fails saying where.
            position, place, found = left[0]
            del cassette.data[start:]
            raise pytest.fail.Exception(
                f"Claude contract: a credential is left in what pytest-recording would write to "
                f"{cassette._path} (interaction {position + 1}, {place}: {found.shown()}); it is not "
                "written. Remove it with the suite's vcr_config (filter_headers, before_record_request, "
                "before_record_response), or record with @pytest.mark.claude_contract, whose writer "
                "replaces it.",
                pytrace=False,
            )


def _scrubber(live: CapturedRequest) -> Scrubber:
    from ..cassette.scrub import Scrubber
    from ..contract.credentials import CONFIGURED_SECRET_ENV, credentials_in

    # The same configured secrets as the recorder's own (capture/core.py): Claude's and AWS's.
    secrets = {v for v in map(os.environ.get, CONFIGURED_SECRET_ENV) if v}
    secrets.update(credentials_in(live.headers))
    secrets.discard(PLACEHOLDER_KEY)
    return Scrubber(secrets)


def _left_in(request: Any, response: Any, secrets: tuple[str, ...]) -> Iterator[tuple[str, Found]]:
    """Credentials still in a stored interaction, as a reader could decode them (secret_search)."""
    from ..capture.vcr_adapter import vcr_body
    from ..cassette.secret_search import search

    yield from (("the request URL", f) for f in search(request.uri, secrets))
    for name, value in request.headers.items():
        if isinstance(value, str):
            yield from ((f"request header {name}", f) for f in search(value, secrets))
    headers = {k.lower(): v for k, v in request.headers.items()}
    yield from _body_left_in("the request body", vcr_body(request), headers, secrets)
    if not isinstance(response, dict):
        return
    answer: dict[str, str] = {}
    for name, values in (response.get("headers") or {}).items():
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str):
                answer.setdefault(name.lower(), value)
                yield from ((f"response header {name}", f) for f in search(value, secrets))
    body = response.get("body")
    string = body.get("string") if isinstance(body, dict) else None
    if isinstance(string, str | bytes):
        yield from _body_left_in("the response body", string, answer, secrets)


def _body_left_in(
    place: str, body: str | bytes, headers: dict[str, str], secrets: tuple[str, ...]
) -> Iterator[tuple[str, Found]]:
    """Credentials in a stored body, read as its (lower-cased) headers say it is encoded."""
    from ..cassette.secret_search import search

    found = search(
        body,
        secrets,
        content_encoding=headers.get("content-encoding"),
        content_type=headers.get("content-type"),
    )
    return ((place, f) for f in found)


def _scrubbed_request(request: Any, scrubber: Scrubber) -> Any:
    """A vcrpy Request with credentials replaced by value (a new one when anything changed: the stored
    request may be the live one, when the suite has no request filter)."""
    from ..capture.vcr_adapter import vcr_body

    headers = {
        name: scrubber.text(value) if isinstance(value, str) else value
        for name, value in request.headers.items()
    }
    uri = scrubber.text(request.uri)
    raw = vcr_body(request)
    body = scrubber.data(raw)
    if uri == request.uri and body == raw and headers == dict(request.headers.items()):
        return request
    return type(request)(request.method, uri, body, headers)


def _scrubbed_response(response: Any, scrubber: Scrubber) -> Any:
    if not isinstance(response, dict):
        return response
    headers = response.get("headers") or {}
    scrubbed_headers = {
        name: [_scrubbed_text(v, scrubber) for v in values]
        if isinstance(values, list)
        else _scrubbed_text(values, scrubber)
        for name, values in headers.items()
    }
    body = response.get("body")
    scrubbed_body = body
    if isinstance(body, dict):
        string = body.get("string")
        if isinstance(string, bytes):
            scrubbed_body = {**body, "string": scrubber.data(string)}
        elif isinstance(string, str):
            scrubbed_body = {**body, "string": scrubber.text(string)}
    return {**response, "headers": scrubbed_headers, "body": scrubbed_body}


def _scrubbed_text(value: Any, scrubber: Scrubber) -> Any:
    return scrubber.text(value) if isinstance(value, str) else value
