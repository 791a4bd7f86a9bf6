"""pytest-claude-contract: hooks, fixtures and options. The hooks call into this package's modules:
`options` (settings), `state` (the session's and each test's), `judging`, `orphans`, `xdist`.

Only pytest and the light `options` module are imported here; vcrpy, pydantic and deepdiff are
imported inside the fixture that needs them, so suites pay for them only when a test uses the plugin.

PYTEST_DONT_REWRITE: the plugin's modules are imported without pytest's assertion rewriting (see
`pytest_claude_contract.unrewritten`).
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from . import fixtureless, judging, orphans, vcr_compat, xdist
from .options import (
    DOCUMENTED_VERSIONS,
    PLACEHOLDER_KEY,
    cassette_path,
    check_cassettes_json,
    config_arguments,
    hosts_header,
    marker_overrides,
    session_options,
    settings_for,
    validate_overrides,
)
from .state import (
    BOTH_MARKERS,
    BRIDGED,
    FAILED,
    MARKER,
    RECORDER,
    STATE,
    STATIC_CASSETTE,
    SessionState,
    uses_plugin,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator
    from pathlib import Path

    from ..capture.core import ClaudeContractRecorder
    from ..capture.server import ContractServer
    from ..contract.models import Contract
    from ..contract.verdicts import VerdictStore
    from .options import ContractSettings


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("claude-contract", "Claude API contract checks and cassettes")
    group.addoption(
        "--claude-record-mode",
        dest="claude_record_mode",
        default=None,
        metavar="MODE",
        help="none|once|new_episodes|all|rewrite|verify (default: none when CI is set, else once); "
        "verify sends every request live and compares the answers with the cassette",
    )
    group.addoption(
        "--claude-contract",
        dest="claude_contract",
        default=None,
        metavar="MODE",
        help="strict: violations fail the test; warn: listed in the summary only; off: no checks "
        "(default: strict)",
    )
    parser.addini("claude_record_mode", "Default record mode (see --claude-record-mode).", default=None)
    parser.addini("claude_contract", "Default contract mode (see --claude-contract).", default=None)
    parser.addini(
        "claude_contract_autouse",
        "Apply @pytest.mark.claude_contract to every test.",
        type="bool",
        default=False,
    )
    parser.addini("claude_cassette_dir", "Cassette folder, relative to the rootdir.", default="cassettes")
    parser.addini(
        "claude_share_ssl_context",
        "While the plugin's patches are on, httpx/httpx2 transports with default verification share "
        "one SSL context (building one costs ~20 ms a client).",
        type="bool",
        default=True,
    )
    group.addoption(
        "--claude-allowed-hosts",
        dest="claude_allowed_hosts",
        default=None,
        metavar="HOSTS",
        help="comma-separated hosts a covered test may reach live, unrecorded (every other request of "
        "the test is under its cassette)",
    )
    parser.addini(
        "claude_allowed_hosts",
        "Hosts a covered test may reach live, unrecorded (see --claude-allowed-hosts).",
        type="linelist",
        default=[],
    )
    group.addoption(
        "--claude-contract-vcr",
        dest="claude_contract_vcr",
        action="store_true",
        default=None,
        help="check the Claude exchanges of pytest-recording's @pytest.mark.vcr tests, which it keeps "
        "answering from its own cassettes (needs pytest-recording)",
    )
    parser.addini(
        "claude_contract_vcr",
        "Check @pytest.mark.vcr tests, answered by pytest-recording (see --claude-contract-vcr).",
        type="bool",
        default=False,
    )
    parser.addini(
        "claude_match_on",
        "What replay matches on, as vcrpy's match_on (one name a line or comma-separated: method, uri, "
        "scheme, host, port, path, query, body, raw_body, headers); default: the plugin's own matching.",
        type="linelist",
        default=[],
    )
    parser.addini(
        "claude_hosts",
        "The Claude hosts, one per line, each optionally judged as a platform: `host` or "
        "`host = platform` (the marker's hosts= replaces it for a test).",
        type="linelist",
        default=[],
    )
    _add_recording_options(group, parser)
    _add_limit_options(group, parser)


def _add_limit_options(group: pytest.OptionGroup, parser: pytest.Parser) -> None:
    from ..contract.limits import limit_flags

    for flag, dest, metavar, help_text in limit_flags("claude-"):
        group.addoption(flag, dest=dest, default=None, metavar=metavar, help=help_text)
        parser.addini(dest, f"Reading limit (see {flag}).", default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "claude_contract(**overrides): check this test's Claude API traffic against the contract and "
        "record/replay it (cassette=, record_mode=, allow=, api_versions=, auth=, hosts=, allowed_hosts=, profiles=, "
        "upstream=, max_age=, on_expiry=, match_on=)",
    )
    config.stash[STATE] = state = SessionState(session_options(config))
    from ..contract import limits

    limits.configure(state.options.limits)
    check_cassettes_json(config)
    if state.options.vcr:
        from .vcr_bridge import require_pytest_recording

        require_pytest_recording(config)
    xdist.configure(config)
    config.pluginmanager.register(RecorderFixture(state), "claude_contract-recorder-fixture")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The cassette folder holds cassettes, not tests: pytest need not list and match its files
    (thousands, in a large suite; about 80 µs each). Unless it holds Python files: then tests or
    conftests may be there, and it is walked as any folder."""
    state = config.stash.get(STATE, None)
    if state is None or collection_path != state.options.cassette_dir:
        return None  # pytest and other plugins decide
    return not orphans.holds_python(collection_path)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is not None:
        from ..contract import limits

        limits.configure(limits.Limits())  # an in-process pytest (pytester) must not leave its own
        state.env.undo()
        if state.patched:
            _release_patches(state)
    if (cassettes := sys.modules.get("pytest_claude_contract.cassette.store")) is not None:
        cassettes.forget_parsed()  # before pytest's and the interpreter's last full collections


def pytest_report_header(config: pytest.Config) -> list[str]:
    options = config.stash[STATE].options
    return [
        f"claude contract: checks={options.contract_mode}, record mode={options.record_mode}, "
        f"cassettes={options.cassette_dir}, profiles={', '.join(DOCUMENTED_VERSIONS)}"
        + (", autouse" if options.autouse else "")
        + ("" if options.share_ssl_context else ", SSL contexts not shared")
        + (
            ", pytest-recording's @pytest.mark.vcr tests checked (claude_contract_vcr)" if options.vcr else ""
        ),
        # Which contract each host's requests are judged by; hosts={host: platform} adds to it per test.
        f"claude contract platforms: {hosts_header(options.hosts)}",
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Validate every marker before anything runs: a typo is a usage error, not 200 failed tests."""
    state = config.stash[STATE]
    valid: set[tuple[Any, ...]] = set()  # marker arguments already validated (a module's pytestmark...)
    for item in items:
        marked = item.get_closest_marker(MARKER) is not None
        if marked:
            state.used = True
            overrides = marker_overrides(item)
            key = _frozen(overrides)
            if key is None or key not in valid:
                validate_overrides(overrides, f"{item.nodeid}: @pytest.mark.claude_contract")
                if key is not None:
                    valid.add(key)
        _request_directly(item, marked or state.options.autouse)
        if (state.options.vcr or marked) and item.get_closest_marker("vcr") is not None:
            from .vcr_bridge import collect

            collect(item, state)  # pytest-recording answers it, or the plugin's marker does
    if state.used or state.options.autouse:
        _provide_placeholder_key(state)


def _request_directly(item: pytest.Item, uses: bool) -> None:
    """Each fixture costs pytest tens of microseconds a test. In the item's own list of fixtures
    (a copy: parametrized items share theirs), the autouse fixture becomes `claude_contract` itself
    where the plugin applies, in the same place (the same order of set-up), and is dropped where it
    does not. The autouse fixture stays defined for items this cannot rewrite."""
    names = getattr(item, "fixturenames", None)
    if not isinstance(names, list) or _AUTOUSE not in names:
        return
    position = names.index(_AUTOUSE)
    rest = [n for n in names if n != _AUTOUSE]
    if uses and "claude_contract" not in rest:
        rest.insert(position, "claude_contract")
        if not getattr(item.config.option, "setupshow", False):  # --setup-show lists the fixture
            item.stash[fixtureless.ADDED_AT] = position  # the set-up hook may answer it instead
    item.fixturenames = rest  # type: ignore[attr-defined]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """The patches go on before a covered test's fixtures are set up, not at its recorder: an SDK
    client that a module- or session-scoped fixture builds then shares the SSL context too (see
    capture/ssl_sharing.py). Until the recorder is routed to, requests pass through as if nothing were patched,
    as they do between two covered tests, where the patches stay on. Covered: its fixtures include
    `claude_contract` (asked for, or put there at collection; a test missed here engages them in the
    fixture)."""
    state = item.config.stash.get(STATE, None)
    if state is None:
        return
    state.item = item  # the test whose fixtures are set up now (see RecorderFixture)
    if (
        not state.patched
        and "claude_contract" in getattr(item, "fixturenames", ())
        and not item.stash.get(BRIDGED, False)
    ):
        _engage_patches(state)
    fixtureless.start(item, state, _recorder_for)


def _engage_patches(state: SessionState) -> None:
    from ..process import PATCHES

    PATCHES.share_ssl_contexts = state.options.share_ssl_context  # read when the patches go on
    PATCHES.engage()
    state.patched = True


def _provide_placeholder_key(state: SessionState) -> None:
    """Replay needs no key: SDK clients refuse to be built without one, so lend them a placeholder.
    A request that would carry it to the live API is refused with a message (capture/core.py, `decide`).
    The same for AWS (Amazon Bedrock's SigV4 signing needs an access key to sign with), but only where
    no AWS credentials are configured at all: a placeholder in the environment would win over a
    profile or a credentials file that other code of the suite relies on."""
    if not os.environ.get("ANTHROPIC_API_KEY") and not os.environ.get("ANTHROPIC_AUTH_TOKEN"):
        state.env.setenv("ANTHROPIC_API_KEY", PLACEHOLDER_KEY)
    if not state.aws_looked_up:  # once a session: a credentials file does not come and go mid-run
        state.aws_looked_up = True
        if not _aws_credentials_configured():
            state.env.setenv("AWS_ACCESS_KEY_ID", PLACEHOLDER_KEY)
            state.env.setenv("AWS_SECRET_ACCESS_KEY", PLACEHOLDER_KEY)


# Where botocore finds credentials, short of the instance metadata service (which a CI machine of
# this kind has none of: it would only be asked after a timeout).
_AWS_CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


def _aws_credentials_configured() -> bool:
    if any(os.environ.get(name) for name in _AWS_CREDENTIAL_VARIABLES):
        return True
    files = (
        os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials",
        os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config",
    )
    return any(os.path.exists(os.path.expanduser(path)) for path in files)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    recorder = item.stash.get(RECORDER, None)
    if recorder is None:
        return (yield)
    try:
        result = yield
    except BaseException as exc:
        judging.judge(item, recorder, raised=exc)
        raise
    judging.judge(item, recorder)
    judging.judge_expiry(item, recorder)
    return result


@pytest.fixture(scope="module")
def claude_contract_config() -> dict[str, Any]:
    """Defaults for every test in scope; override in a conftest.py (same keys as the marker)."""
    return {}


class RecorderFixture:
    """The `claude_contract` fixture (and the note of a failed test), registered per session with its
    state: a fixture that asks for `request` (for the test item and its config) costs pytest about
    230 K instructions, some 50 µs, a test more than one that does not (2026-12-07, 500 empty tests
    under callgrind: 2,638 M with `request`, 2,522 M without), about 4% of a replayed one-call test's
    time. The item comes from the set-up hook instead (`SessionState.item`)."""

    def __init__(self, state: SessionState) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Note a test that failed in set-up or call (its cassette is kept as it was, its replay not
        judged again at teardown). A plain hook, not a wrapper of `pytest_runtest_makereport`: pluggy
        runs a wrapper as a generator, three times a test."""
        if report.failed and report.when != "teardown":
            item = self.state.item
            if item is not None and item.nodeid == report.nodeid:
                item.stash[FAILED] = True

    @pytest.fixture
    def claude_contract(
        self, claude_contract_config: dict[str, Any]
    ) -> Generator[ClaudeContractRecorder, None, None]:
        """The test's recorder: `.exchanges`, `.violations`, `.assert_conformant()`."""
        item = self.state.item
        assert item is not None, "pytest_runtest_setup names the test before its fixtures"
        started = fixtureless.started(item)
        if started is not None:  # asked for by name in a test the set-up hook gave its recorder
            yield started
            return
        yield from _recorder_for(item, self.state, claude_contract_config)


def _recorder_for(
    item: pytest.Item, state: SessionState, claude_contract_config: dict[str, Any]
) -> Generator[ClaudeContractRecorder, None, None]:
    from ..cassette.model import CassetteError
    from ..contract.report import SessionStats

    if state.stats is None:
        state.stats = SessionStats()
    bridged = _bridged(item, state)
    try:
        configured = config_arguments(claude_contract_config)
        marker = marker_overrides(item)
        # None unless the suite defines pytest-recording's fixtures (and pytest-recording does not
        # answer the test itself: claude_contract_vcr).
        suite = None if bridged else vcr_compat.suite_for(item)
        from_vcr = vcr_compat.marker_defaults(suite, item.config)
        memo_key = _frozen(from_vcr, configured, marker, *([{"bridged": True}] if bridged else []))
        held = state.settings_memo.get(memo_key) if memo_key is not None else None
        if held is None:
            validate_overrides(from_vcr, f"{item.nodeid}: vcr_config")
            validate_overrides(configured, "claude_contract_config")
            merged = {**from_vcr, **configured, **marker}
            validate_overrides(merged, f"{item.nodeid}: @pytest.mark.claude_contract")
            if bridged:
                merged["cassette"] = False  # pytest-recording's cassette answers
            settings = settings_for(state.options, merged)
            held = (settings, _contract_for(settings))
            if memo_key is not None:
                state.settings_memo[memo_key] = held
        settings, contract = held
    except pytest.UsageError as exc:
        # `from None`: the report is the message alone, not the chain of exceptions behind it.
        raise pytest.fail.Exception(str(exc), pytrace=False) from None
    static = item.stash.get(STATIC_CASSETTE, None)  # worked out at collection, from the markers
    if settings.cassette is False:
        path = None
    elif static is not None and static[0] == settings.cassette:
        path = static[1]
    else:
        path = cassette_path(state.options, item, settings.cassette)
    try:
        recorder = _new_recorder(item, state, settings, contract, path=path, suite=suite)
    except CassetteError as exc:
        raise pytest.fail.Exception(
            _redacted(f"Claude contract: cannot use the cassette\n  {exc}"), pytrace=False
        ) from None
    item.stash[RECORDER] = recorder
    undo = _answer_through(recorder, state, bridged)
    try:
        yield recorder
    finally:
        undo()
    try:
        _finish(item, recorder, state)
    finally:
        # The recorder (its exchanges, parsed bodies, cassette) is done with: left on the item it would
        # live to the end of the session, and every full garbage collection would walk it again.
        del item.stash[RECORDER]


def _bridged(item: pytest.Item, state: SessionState) -> bool:
    """Whether pytest-recording answers the test, and its recorder only checks (vcr_bridge.py). Else
    SDK clients get the replay key (also for a test that asks for the fixture without the marker)."""
    bridged = item.stash.get(BRIDGED, False)
    if not bridged:
        _provide_placeholder_key(state)
    if BOTH_MARKERS in item.stash:
        from .vcr_bridge import note_both_markers

        note_both_markers(item, state)
    return bridged


def _answer_through(
    recorder: ClaudeContractRecorder, state: SessionState, bridged: bool
) -> Callable[[], None]:
    """Route the test's requests to its recorder (the plugin's patches), or, bridged, have it watch
    vcrpy's cassette (vcr_bridge.Observer). Returns what undoes it."""
    if bridged:
        from .vcr_bridge import Observer

        observer = Observer(recorder, state)
        observer.start()
        return observer.stop
    if not state.patched:  # a test the set-up hook did not know was covered
        _engage_patches(state)
    recorder.activate()
    return recorder.deactivate


def _new_recorder(
    item: pytest.Item,
    state: SessionState,
    settings: ContractSettings,
    contract: Contract,
    *,
    path: Path | None,
    suite: vcr_compat.VcrSuite | None,
) -> ClaudeContractRecorder:
    """The test's recorder. A test's own cassette missing from our layout is looked for in
    pytest-recording's (used, and recorded into, where it is): switching the marker moves no file."""
    from ..capture.core import ClaudeContractRecorder

    stats = state.stats
    assert stats is not None

    def build(cassette: Path | None) -> ClaudeContractRecorder:
        return ClaudeContractRecorder(
            settings,
            contract,
            state.options.contract_mode,
            cassette,
            stats,
            keep_failed=state.options.keep_failed,
            scrub_org_id=state.options.scrub_org_id,
            session_id=state.session_id,
            parse_cache=_parse_cache(item.config, state),
            verdicts=_verdict_store(item.config, state),
            matching=vcr_compat.matching_for(settings.match_on),
            filters=vcr_compat.filters_for(suite),
        )

    recorder = build(path)
    if settings.cassette is True and not recorder.cassette_exists:
        found = vcr_compat.recording_cassette(item, suite)
        if found is not None:
            recorder = build(found)
            stats.adopted.append(f"{item.nodeid}: {_shown(found, item.config.rootpath)}")
    return recorder


def _shown(path: Path, rootpath: Path) -> str:
    try:
        return str(path.relative_to(rootpath))
    except ValueError:
        return str(path)


def _redacted(text: str) -> str:
    from ..contract.redaction import redact  # imported on the way out only: start-up stays light

    return redact(text)


def _frozen(*overrides: dict[str, Any]) -> tuple[Any, ...] | None:
    """A hashable copy of the arguments, to reuse the settings and contract they made for an earlier
    test (validating them and building a contract costs tens of microseconds a test); None when a
    value has no such copy (profiles=, other mappings): those are worked out for each test."""
    frozen: list[Any] = []
    for arguments in overrides:
        items: list[Any] = []
        for name, value in arguments.items():
            kind = type(value).__name__  # True and 1 hash alike, and only one of them is valid
            held: Any = value
            if isinstance(value, list | tuple):
                held = tuple((type(v).__name__, v) for v in value)
            elif isinstance(value, set | frozenset):
                held = frozenset((type(v).__name__, v) for v in value)
            elif isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
                held = frozenset((type(k).__name__, k, v) for k, v in value.items())  # hosts={h: platform}
            elif not isinstance(value, str | bool | int | float | None | timedelta):
                return None
            items.append((name, kind, held))
        frozen.append(tuple(items))
    try:
        hash(tuple(frozen))
    except TypeError:  # a list of lists, say: validation will say what is wrong with it
        return None
    return tuple(frozen)


def _finish(item: pytest.Item, recorder: ClaudeContractRecorder, state: SessionState) -> None:
    """After the test: its last verdicts, the cassette written, the replay judged."""
    from ..cassette.model import CassetteError

    recorder.finish_open()  # streams the test left open: checked and kept as far as they got
    recorder.finish_verify()
    judging.warn_unlisted_hosts(item, recorder)
    judging.note_shared_replay(item, recorder)
    if not item.stash.get(FAILED, False):
        judging.judge(item, recorder)  # what fixtures did after the call
    try:
        recorder.save(test_failed=item.stash.get(FAILED, False))
    except CassetteError as exc:
        raise pytest.fail.Exception(_redacted(f"Claude contract: {exc}"), pytrace=False) from None
    if recorder.cassette_path is not None:
        state.cassettes.add(str(recorder.cassette_path))
    judging.judge_cassette(item, recorder)


def _parse_cache(config: pytest.Config, state: SessionState) -> Path | None:
    """The pytest cache's folder for parsed cassettes (None with -p no:cacheprovider)."""
    if state.parse_cache is None and getattr(config, "cache", None) is not None:
        state.parse_cache = config.cache.mkdir("claude_contract")
    return state.parse_cache


def _verdict_store(config: pytest.Config, state: SessionState) -> VerdictStore:
    if state.verdicts is None:
        from ..contract.verdicts import VerdictStore

        state.verdicts = VerdictStore(_parse_cache(config, state))
    return state.verdicts


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    """vcrpy's patches stay on from one test to the next while both use the plugin (entering them
    costs milliseconds a test); they come off before a test that does not, and at the end."""
    try:
        return (yield)
    finally:
        fixtureless.end(item)
        state = item.config.stash.get(STATE, None)
        if state is not None and state.patched and not uses_plugin(nextitem, state):
            _release_patches(state)


def _release_patches(state: SessionState) -> None:
    from ..process import PATCHES

    PATCHES.release()
    state.patched = False


@pytest.fixture
def claude_contract_server(claude_contract: ClaudeContractRecorder) -> Generator[ContractServer, None, None]:
    """A real HTTP server on 127.0.0.1 (a free port) for any client: point it at `.url` (base_url=,
    or ANTHROPIC_BASE_URL via `.env()` for a subprocess). Requests are checked into the test's
    recorder and answered from its cassette (replay) or forwarded to `upstream=` (record)."""
    from ..capture.server import ContractServer

    with ContractServer(claude_contract, upstream=claude_contract.settings.upstream) as server:
        yield server


@pytest.fixture
def claude_cassette(claude_contract: ClaudeContractRecorder) -> ClaudeContractRecorder:
    """The cassette in use (path, record_mode, requests, responses, play_count, all_played)."""
    return claude_contract


_AUTOUSE = "_claude_contract_autouse"


@pytest.fixture(autouse=True)
def _claude_contract_autouse(request: pytest.FixtureRequest) -> None:
    state = request.config.stash[STATE]
    if state.options.autouse or request.node.get_closest_marker(MARKER) is not None:
        request.getfixturevalue("claude_contract")


def _contract_for(settings: ContractSettings) -> Contract:
    from ..contract.models import DEFAULT_CONTRACT

    contract = DEFAULT_CONTRACT.with_host_platforms(dict(settings.host_platforms))
    if settings.profiles:
        try:
            contract = contract.with_profile_edits(dict(settings.profiles))
        except (TypeError, ValueError) as exc:
            raise pytest.UsageError(f"profiles=: {exc}") from exc
    if settings.api_versions is not None:
        unknown = [v for v in settings.api_versions if v not in contract.profiles]
        if unknown:
            raise pytest.UsageError(
                f"api_versions={list(settings.api_versions)!r} names version(s) with no profile: "
                f"{', '.join(unknown)}; known: {', '.join(contract.profiles)}; add one with profiles={{...}}"
            )
    if settings.api_versions is not None or settings.auth is not None:
        contract = contract.narrowed(versions=settings.api_versions, auth=settings.auth)
    return contract


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    state = terminalreporter.config.stash.get(STATE, None)
    if state is None:
        return
    if state.options.orphans:
        orphans.write_orphans(terminalreporter, state)
    if state.stats is None:
        return
    from ..contract.redaction import redact  # what leaves the plugin is cut (not imported at start-up)

    terminalreporter.write_sep("=", "claude contract")
    for line in state.stats.summary_lines(state.options.contract_mode):
        terminalreporter.write_line(redact(line))
    if state.warned:
        terminalreporter.write_line("violations (warn mode):")
        for nodeid, violation in state.warned[:50]:
            terminalreporter.write_line(redact(f"  {nodeid}: {violation}"))
        if len(state.warned) > 50:
            terminalreporter.write_line(f"  ... and {len(state.warned) - 50} more")


# ---------------------------------------------------------------- recording safety and staleness


def _add_recording_options(group: pytest.OptionGroup, parser: pytest.Parser) -> None:
    group.addoption(
        "--claude-keep-failed",
        dest="claude_keep_failed",
        action="store_true",
        default=None,
        help="write the cassette of a test that fails while recording (default: nothing is written)",
    )
    group.addoption(
        "--claude-unplayed",
        dest="claude_unplayed",
        default=None,
        metavar="MODE",
        help="warn|fail|off: a passing test that replays a cassette and leaves some of its "
        "interactions unplayed (default: warn)",
    )
    group.addoption(
        "--claude-scrub-org-id",
        dest="claude_scrub_org_id",
        action="store_true",
        default=None,
        help="replace the anthropic-organization-id of recorded responses with the placeholder",
    )
    group.addoption(
        "--claude-orphans",
        dest="claude_orphans",
        action="store_true",
        default=False,
        help="list, at the end, cassettes that no collected test uses (meaningful for a full run)",
    )
    # For `pytest-claude-contract lint --orphans`, which collects in a subprocess and reads the result.
    group.addoption(
        "--claude-cassettes-json",
        dest="claude_cassettes_json",
        default=None,
        metavar="FILE",
        help="write the cassette folder and the cassettes the collected tests use to FILE, as JSON "
        "(what `pytest-claude-contract lint --orphans` reads)",
    )
    parser.addini(
        "claude_keep_failed", "Write the cassette of a failing test (see --claude-keep-failed).", type="bool"
    )
    parser.addini("claude_unplayed", "Default for --claude-unplayed: warn, fail or off.", default=None)
    parser.addini(
        "claude_scrub_org_id", "Scrub anthropic-organization-id (see --claude-scrub-org-id).", type="bool"
    )
    parser.addini(
        "claude_max_age",
        "Replayed interactions recorded longer ago than this are reported, e.g. 30d, 12h, 2w.",
        default=None,
    )
    parser.addini("claude_on_expiry", "What max_age does: warn (default) or fail.", default=None)


def pytest_itemcollected(item: pytest.Item) -> None:
    state = item.config.stash.get(STATE, None)
    if state is not None and (path := orphans.static_cassette(item, state)) is not None:
        state.cassettes.add(path)


def pytest_deselected(items: list[pytest.Item]) -> None:
    for item in items:
        state = item.config.stash.get(STATE, None)
        if state is not None and (path := orphans.static_cassette(item, state)) is not None:
            state.deselected.add(path)


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash.get(STATE, None)
    if state is None:
        return
    if state.verdicts is not None:
        state.verdicts.save()
    if state.parse_cache is not None:
        from ..cassette.store import save_stat_indexes

        save_stat_indexes()
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller adds it up
        workeroutput[xdist.OUTPUT_KEY] = xdist.worker_output(state)
        return
    judging.judge_shared_cassettes(session, state)
    if out := session.config.getoption("claude_cassettes_json", default=None):
        orphans.write_cassettes_json(str(out), state)
