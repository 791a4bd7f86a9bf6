"""Judging a test: its verdicts (violations, refusals, drift), its cassette (expired, unplayed), and
the cassettes several tests share, once per session."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from .state import FAILED, STATE, SessionState

if TYPE_CHECKING:
    from ..capture.core import ClaudeContractRecorder
    from ..contract.checks import Violation


def judge(item: pytest.Item, recorder: ClaudeContractRecorder, raised: BaseException | None = None) -> None:
    """The verdict on what the recorder found since it was last asked: each finding is handed out
    once (`take_findings`), so this runs after the call and again at the end of the test, for what
    fixtures did after it, without reporting anything twice. With `raised` the test failed on its
    own, and the findings go beside its report; else they fail the test (strict) or are noted for
    the summary (warn)."""
    __tracebackhide__ = True
    fatal, fresh = recorder.take_findings()
    drift = recorder.take_drift()  # record mode verify: answers unlike the cassette's
    if raised is not None:
        if fresh and not fatal:
            from ..contract.report import violation_report

            item.add_report_section(
                "call", "claude contract", violation_report(fresh, len(recorder.exchanges))
            )
        # Refusals the client swallowed (the server's threads answer a miss with 404...) that the test
        # never raised: the client saw an error answer; the report says why.
        unseen = [message for message in fatal if message != getattr(raised, "msg", None)]
        if unseen:
            from ..contract.redaction import redact  # what leaves the plugin is cut

            item.add_report_section("call", "claude contract server", redact("\n\n".join(unseen)))
        if drift is not None:
            item.add_report_section("call", "claude contract verify", drift.text(item.nodeid))
        return
    if fatal:  # raised inside the client, which swallowed it: say it again
        from ..contract.redaction import redact  # what leaves the plugin is cut

        pytest.fail(redact("\n\n".join(fatal)), pytrace=False)
    if fresh:
        fresh = _warn(item, recorder, fresh)  # warnings are reported, and fail nothing
    if not fresh and drift is None:
        return
    state = item.config.stash[STATE]
    if state.options.contract_mode != "strict":
        state.warned.extend((item.nodeid, v) for v in fresh)
        if drift is not None:
            recorder.stats.drift.extend(drift.summary_lines(item.nodeid))
        return
    from ..contract.report import violation_report

    failure = [violation_report(fresh, len(recorder.exchanges))] if fresh else []
    pytest.fail("\n\n".join([*failure, *([drift.text(item.nodeid)] if drift else [])]), pytrace=False)


def _warn(item: pytest.Item, recorder: ClaudeContractRecorder, found: list[Violation]) -> list[Violation]:
    """Issue the warnings among `found` as a pytest warning; returns the rest."""
    from ..contract.checks import errors_and_warnings

    errors, warnings = errors_and_warnings(found)
    if warnings:
        from ..contract.report import violation_report
        from .warnings import ClaudeContractRuleWarning

        item.warn(ClaudeContractRuleWarning(violation_report(warnings, len(recorder.exchanges))))
    return errors


def warn_unlisted_hosts(item: pytest.Item, recorder: ClaudeContractRecorder) -> None:
    """Claude-shaped requests to a host not in hosts=: under the cassette, but not checked."""
    if not recorder.unlisted:
        return
    from .warnings import ClaudeTrafficToUnlistedHost

    settings = recorder.settings
    for address, (target, platform) in sorted(recorder.unlisted.items()):
        if platform == recorder.contract.default_platform:
            what = "Claude API traffic (a documented endpoint, with anthropic-version or a Claude key)"
            listed: Any = [*settings.hosts, address]
        else:  # another platform's: the host must be mapped to it, or it would be judged as the API's
            what = f"Claude traffic of the {platform} platform (its endpoint, with its anthropic_version)"
            listed = {
                **{h: recorder.contract.platform_for(h).name for h in settings.hosts},
                address: platform,
            }
        item.warn(
            ClaudeTrafficToUnlistedHost(
                f"Claude contract: {target} looks like {what}, but {address} is not a Claude host for "
                "this test: it was recorded or replayed, not checked against the contract. To check it, "
                f"add the host: @pytest.mark.claude_contract(hosts={listed!r}) (or the same key in "
                "claude_contract_config)."
            )
        )


def _age(delta: Any) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def judge_expiry(item: pytest.Item, recorder: ClaudeContractRecorder) -> None:
    """max_age: replayed interactions recorded too long ago fail the test, or warn (once per test)."""
    __tracebackhide__ = True
    max_age = recorder.settings.max_age
    if max_age is None or recorder.cassette_path is None:
        return
    found = recorder.take_expired(max_age)
    if found is None:
        return
    count, oldest = found
    age = _age(datetime.now(UTC) - oldest)
    message = (
        f"Claude contract: cassette {recorder.cassette_path} is older than max_age ({_age(max_age)}): "
        f"{count} replayed interaction(s) were recorded {age} ago or more "
        f"(oldest recorded_at {oldest:%Y-%m-%dT%H:%M:%SZ}).\n"
        f"Re-record it against the live API, with ANTHROPIC_API_KEY set:\n"
        f"  pytest '{item.nodeid}' --claude-record-mode=rewrite"
    )
    if recorder.settings.on_expiry == "fail":
        pytest.fail(message, pytrace=False)
    from .warnings import ClaudeCassetteExpired

    recorder.stats.expired.append(f"{recorder.cassette_path}: recorded {age} ago ({item.nodeid})")
    item.warn(ClaudeCassetteExpired(message))


def note_shared_replay(item: pytest.Item, recorder: ClaudeContractRecorder) -> None:
    """A named cassette may be replayed by several tests: what each played is pooled, and the
    cassette is judged for unplayed interactions once, at the end of the session."""
    if (
        recorder.replaying
        and recorder.cassette_path is not None
        and isinstance(recorder.settings.cassette, str)
    ):
        recorder.stats.note_shared(
            str(recorder.cassette_path),
            recorder.loaded_count,
            recorder.played,
            item.nodeid,
            item.stash.get(FAILED, False),
        )


def _unplayed_hint(mode: str) -> str:
    return (
        "If the client stopped making these calls on purpose, re-record the cassette "
        "(--claude-record-mode=rewrite, with ANTHROPIC_API_KEY set); "
        f"--claude-unplayed=off (ini claude_unplayed) turns this check off (now: {mode})."
    )


def judge_cassette(item: pytest.Item, recorder: ClaudeContractRecorder) -> None:
    """After a passing test (and its fixtures): expiry of what fixtures replayed, and the test's own
    cassette's unplayed interactions (pure replay only)."""
    __tracebackhide__ = True
    if item.stash.get(FAILED, False):
        return
    judge_expiry(item, recorder)
    mode = item.config.stash[STATE].options.unplayed
    shared = isinstance(recorder.settings.cassette, str)
    if mode == "off" or shared or not recorder.replaying or recorder.cassette_path is None:
        return
    positions = list(recorder.unplayed())
    if not positions:
        return
    message = "\n".join(
        [
            f"Claude contract: {len(positions)} of {recorder.loaded_count} recorded interaction(s) in "
            f"{recorder.cassette_path} were not played: the client no longer makes a call the cassette "
            "says it makes.",
            *(f"  {line}" for line in recorder.describe(positions)),
            _unplayed_hint(mode),
        ]
    )
    if mode == "fail":
        pytest.fail(message, pytrace=False)
    from .warnings import ClaudeCassetteUnplayed

    recorder.stats.unplayed.append(
        f"{recorder.cassette_path}: {len(positions)} of {recorder.loaded_count} not played ({item.nodeid})"
    )
    item.warn(ClaudeCassetteUnplayed(message))


def judge_shared_cassettes(session: pytest.Session, state: SessionState) -> None:
    stats = state.stats
    mode = state.options.unplayed
    if stats is None or mode == "off":
        return
    found = False
    for path, entry in sorted(stats.shared.items()):
        played = set(entry["played"])
        missing = [n + 1 for n in range(entry["total"]) if n not in played]
        # A failing user, or one left out by -k/--lf, may be the one that plays the rest.
        if not missing or entry["failed"] or path in state.deselected:
            continue
        found = True
        users = sorted(set(entry["users"]))
        stats.unplayed.append(
            f"{path}: {len(missing)} of {entry['total']} not played (interaction "
            f"{', '.join(map(str, missing))}) by the {len(users)} test(s) that replayed it"
            + (" - failing the session (--claude-unplayed=fail)" if mode == "fail" else "")
        )
    if found and mode == "fail" and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
