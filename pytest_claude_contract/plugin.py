"""pytest-claude-contract: hooks, fixtures and options.

Only pytest and the light `_settings` module are imported here; vcrpy, pydantic and deepdiff are
imported inside the fixture that needs them, so suites pay for them only when a test uses the plugin.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from ._settings import (
    DOCUMENTED_VERSIONS,
    SessionOptions,
    cassette_path,
    marker_overrides,
    session_options,
    settings_for,
    validate_overrides,
)

if TYPE_CHECKING:
    from collections.abc import Generator

    from ._checks import Violation
    from ._contract import Contract
    from ._recorder import ClaudeContractRecorder
    from ._report import SessionStats
    from ._settings import ContractSettings

MARKER = "claude_contract"


@dataclass
class _State:
    options: SessionOptions
    stats: SessionStats | None = None
    warned: list[tuple[str, Violation]] = field(default_factory=list)
    env: pytest.MonkeyPatch = field(default_factory=pytest.MonkeyPatch)
    used: bool = False


_STATE = pytest.StashKey[_State]()
_RECORDER = pytest.StashKey["ClaudeContractRecorder"]()
_REPORTED = pytest.StashKey[int]()
_FATAL_REPORTED = pytest.StashKey[int]()
_FAILED = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("claude-contract", "Claude API contract checks and cassettes")
    group.addoption(
        "--claude-record-mode",
        dest="claude_record_mode",
        default=None,
        metavar="MODE",
        help="none|once|new_episodes|all|rewrite (default: none when CI is set, else once)",
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "claude_contract(**overrides): check this test's Claude API traffic against the contract and "
        "record/replay it (cassette=, record_mode=, allow=, api_versions=, auth=, hosts=, profiles=)",
    )
    config.stash[_STATE] = _State(session_options(config))


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.env.undo()


def pytest_report_header(config: pytest.Config) -> str:
    options = config.stash[_STATE].options
    return (
        f"claude contract: checks={options.contract_mode}, record mode={options.record_mode}, "
        f"cassettes={options.cassette_dir}, profiles={', '.join(DOCUMENTED_VERSIONS)}"
        + (", autouse" if options.autouse else "")
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Validate every marker before anything runs: a typo is a usage error, not 200 failed tests."""
    state = config.stash[_STATE]
    for item in items:
        if item.get_closest_marker(MARKER) is None:
            continue
        state.used = True
        validate_overrides(marker_overrides(item), f"{item.nodeid}: @pytest.mark.claude_contract")
    if state.used or state.options.autouse:
        _provide_placeholder_key(state)


def _provide_placeholder_key(state: _State) -> None:
    """Replay needs no key: SDK clients refuse to be built without one, so lend them a placeholder.
    A request that would carry it to the live API is stopped with a message (see _recorder)."""
    if not os.environ.get("ANTHROPIC_API_KEY") and not os.environ.get("ANTHROPIC_AUTH_TOKEN"):
        from ._recorder import PLACEHOLDER_KEY

        state.env.setenv("ANTHROPIC_API_KEY", PLACEHOLDER_KEY)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if report.failed and report.when in ("setup", "call"):
        item.stash[_FAILED] = True
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        result = yield
    except BaseException:
        recorder = item.stash.get(_RECORDER, None)
        if recorder is not None and recorder.violations and not recorder.fatal:
            from ._report import violation_report

            item.add_report_section(
                "call", "claude contract", violation_report(recorder.violations, len(recorder.exchanges))
            )
        if recorder is not None:
            item.stash[_REPORTED] = len(recorder.violations)
            item.stash[_FATAL_REPORTED] = len(recorder.fatal)
        raise
    recorder = item.stash.get(_RECORDER, None)
    if recorder is not None:
        _judge(item, recorder)
    return result


def _judge(item: pytest.Item, recorder: ClaudeContractRecorder) -> None:
    """Fail the test (strict) or note for the summary (warn) what is not yet reported."""
    __tracebackhide__ = True
    fatal = recorder.fatal[item.stash.get(_FATAL_REPORTED, 0) :]
    fresh = recorder.violations[item.stash.get(_REPORTED, 0) :]
    item.stash[_FATAL_REPORTED] = len(recorder.fatal)
    item.stash[_REPORTED] = len(recorder.violations)
    if fatal:  # raised inside the client, which swallowed it: say it again
        pytest.fail("\n\n".join(fatal), pytrace=False)
    if not fresh:
        return
    state = item.config.stash[_STATE]
    if state.options.contract_mode == "warn":
        state.warned.extend((item.nodeid, v) for v in fresh)
        return
    from ._report import violation_report

    pytest.fail(violation_report(fresh, len(recorder.exchanges)), pytrace=False)


@pytest.fixture(scope="module")
def claude_contract_config() -> dict[str, Any]:
    """Defaults for every test in scope; override in a conftest.py (same keys as the marker)."""
    return {}


@pytest.fixture
def claude_contract(
    request: pytest.FixtureRequest, claude_contract_config: dict[str, Any]
) -> Generator[ClaudeContractRecorder, None, None]:
    """The test's recorder: `.exchanges`, `.violations`, `.assert_conformant()`."""
    from ._cassette import CassetteError
    from ._recorder import ClaudeContractRecorder
    from ._report import SessionStats

    state = request.config.stash[_STATE]
    if state.stats is None:
        state.stats = SessionStats()
    _provide_placeholder_key(state)  # also for a test that asks for the fixture without the marker
    item = request.node
    configured = dict(claude_contract_config or {})
    try:
        validate_overrides(configured, "claude_contract_config")
        merged = {**configured, **marker_overrides(item)}
        validate_overrides(merged, f"{item.nodeid}: @pytest.mark.claude_contract")
        settings = settings_for(state.options, merged)
        contract = _contract_for(settings)
    except pytest.UsageError as exc:
        # `from None`: the report is the message alone, not the chain of exceptions behind it.
        raise pytest.fail.Exception(str(exc), pytrace=False) from None
    path = None if settings.cassette is False else cassette_path(state.options, item, settings.cassette)
    try:
        recorder = ClaudeContractRecorder(settings, contract, state.options.contract_mode, path, state.stats)
    except CassetteError as exc:
        raise pytest.fail.Exception(
            f"Claude contract: cannot use the cassette\n  {exc}", pytrace=False
        ) from None
    item.stash[_RECORDER] = recorder
    with recorder:
        yield recorder
    if not item.stash.get(_FAILED, False):
        _judge(item, recorder)  # exchanges made by fixtures after the test body
    try:
        recorder.save(test_failed=item.stash.get(_FAILED, False))
    except CassetteError as exc:
        raise pytest.fail.Exception(f"Claude contract: {exc}", pytrace=False) from None


@pytest.fixture
def claude_cassette(claude_contract: ClaudeContractRecorder) -> ClaudeContractRecorder:
    """The cassette in use (path, record_mode, requests, responses, play_count, all_played)."""
    return claude_contract


@pytest.fixture(autouse=True)
def _claude_contract_autouse(request: pytest.FixtureRequest) -> None:
    state = request.config.stash[_STATE]
    if state.options.autouse or request.node.get_closest_marker(MARKER) is not None:
        request.getfixturevalue("claude_contract")


def _contract_for(settings: ContractSettings) -> Contract:
    from ._contract import DEFAULT_CONTRACT

    contract = DEFAULT_CONTRACT
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
    state = terminalreporter.config.stash.get(_STATE, None)
    if state is None or state.stats is None:
        return
    terminalreporter.write_sep("=", "claude contract")
    for line in state.stats.summary_lines(state.options.contract_mode):
        terminalreporter.write_line(line)
    if state.warned:
        terminalreporter.write_line("violations (warn mode):")
        for nodeid, violation in state.warned[:50]:
            terminalreporter.write_line(f"  {nodeid}: {violation}")
        if len(state.warned) > 50:
            terminalreporter.write_line(f"  ... and {len(state.warned) - 50} more")
