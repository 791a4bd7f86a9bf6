"""What the user reads: violation reports, replay misses, the terminal summary."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from ..plugin.options import DOCS_HINT
from .excerpts import excerpt
from .redaction import redact, request_secrets

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from ..cassette.model import Interaction
    from .checks import Violation
    from .exchange import CapturedRequest


def violation_report(violations: list[Violation], exchange_count: int) -> str:
    """Every violation, grouped by exchange, each with its fix; ends with how to allow and where to read."""
    by_exchange: dict[int, list[Violation]] = {}
    for violation in violations:
        index = violation.exchange.index if violation.exchange else 0
        by_exchange.setdefault(index, []).append(violation)
    noun = "violation" if len(violations) == 1 else "violations"
    warned = sum(1 for v in violations if v.severity == "warning")
    of_which = f" ({warned} of them {'a warning' if warned == 1 else 'warnings'})" if warned else ""
    lines = [
        f"Claude API contract: {len(violations)} {noun}{of_which} in {len(by_exchange)} of {exchange_count} "
        f"exchange{'s' if exchange_count != 1 else ''}",
    ]
    for group in by_exchange.values():
        exchange = group[0].exchange
        lines.append("")
        if exchange is not None:
            platform = group[0].platform
            # The first-party API is the default; another platform's contract is named.
            judged = f", judged by the {platform} contract" if platform and platform != "anthropic" else ""
            lines.append(f"{exchange.describe()}, exchange {exchange.index}{judged}")
        for violation in group:
            warning = " (warning)" if violation.severity == "warning" else ""
            lines.append(f"  [{violation.rule}]{warning} {violation.message}")
            lines.append(f"    fix: {violation.hint}")
    rules = sorted({v.rule for v in violations})
    lines += [
        "",
        f"To accept a rule for a test: @pytest.mark.claude_contract(allow={json.dumps(rules)}).",
        DOCS_HINT,
    ]
    # The messages were cut when made; cut again with every reported request's credentials, in case
    # one request quotes another's.
    secrets = [s for v in violations if v.exchange for s in request_secrets(v.exchange.request)]
    return redact("\n".join(lines), secrets)


def no_claude_exchange(where: str, hosts: Iterable[str]) -> str:
    """What `lint` and `diff` say when none of what they read (`where`) is a Claude exchange."""
    return (
        f"no Claude exchange found in {where}: no request went to a Claude host "
        f"({', '.join(sorted(hosts))}), so nothing was checked; pass --host NAME if your client calls "
        "another host"
    )


def miss_report(
    request: CapturedRequest,
    *,
    cassette: Path,
    record_mode: str,
    interactions: list[Interaction],
    exists: bool,
    exhausted: int,
) -> str:
    """Why a request has no recorded answer, and the nearest recorded request with a diff."""
    lines = [f"Claude contract: no recorded answer for {request.target}", f"  cassette: {cassette}"]
    secrets = request_secrets(request)
    if not exists:
        lines.append(f"  the cassette does not exist (record mode {record_mode!r} does not record)")
    elif exhausted:
        lines.append(
            f"  the cassette holds this request {exhausted} time(s), and every recording was already played: "
            "the client sent it once more than when it was recorded"
        )
    else:
        nearest = _nearest(request, interactions)
        if nearest is None:
            lines.append(
                f"  the cassette records {len(interactions)} interaction(s), none to {request.method} "
                f"{request.path}"
            )
        else:
            position, interaction, diff = nearest
            secrets += request_secrets(interaction.request)  # a hand-made cassette may hold a key
            lines.append(
                f"  nearest recorded request: interaction {position + 1}, {interaction.request.method} "
                f"{interaction.request.url}"
            )
            lines.append("  what differs (recorded -> sent):")
            lines += [f"    {row}" for row in diff]
    lines.append("")
    if record_mode == "none" and not exists:
        lines.append(
            "To record it: run once with --claude-record-mode=once and an ANTHROPIC_API_KEY, then "
            "commit the cassette."
        )
    else:
        lines.append(
            "To record it: --claude-record-mode=new_episodes adds what is missing; --claude-record-mode=rewrite "
            "records the test anew. (In CI the default record mode is 'none'.)"
        )
    # The diff quotes query values and bodies, where a key may stand.
    return redact("\n".join(lines), secrets)


def _nearest(
    request: CapturedRequest, interactions: list[Interaction]
) -> tuple[int, Interaction, list[str]] | None:
    from deepdiff import DeepDiff  # only on a miss: keep it off the replay path

    best: tuple[int, int, Interaction, list[str]] | None = None
    for position, interaction in enumerate(interactions):
        recorded = interaction.request
        if recorded.method != request.method or recorded.path != request.path:
            continue
        diff = DeepDiff(_comparable(recorded), _comparable(request), verbose_level=2)
        rows = diff.pretty().splitlines() if diff else ["(nothing: the request matches, see above)"]
        score = len(rows)
        if best is None or score < best[0]:
            best = (score, position, interaction, rows)
        if position > 200:  # a diff per recorded request; bound the cost on huge cassettes
            break
    if best is None:
        return None
    _, position, interaction, rows = best
    if len(rows) > 20:
        rows = [*rows[:20], f"... and {len(rows) - 20} more differences"]
    return position, interaction, [_short(row) for row in rows]


ROW_MAX = 300  # characters of one row of a miss report's diff


# A value a diff row quotes (deepdiff writes strings in double quotes) long enough to cut.
_LONG_VALUE = re.compile(r'"([^"]{80,})"')


def _short(row: str) -> str:
    """A diff row quotes the values it compares, whole: each long value is cut to its start and its
    size (`excerpts.excerpt`); a row still too long keeps its start and its end, and says how much was
    cut (a miss report is read, and the loopback server sends it as its answer)."""
    if len(row) > 80 and '"' in row:
        row = _LONG_VALUE.sub(lambda match: excerpt(match.group(1)), row)
    if len(row) <= ROW_MAX:
        return row
    cut = len(row) - ROW_MAX
    return f"{row[: ROW_MAX - 100]} ... ({cut:,} characters cut) ... {row[-100:]}"


def _comparable(request: CapturedRequest) -> dict[str, Any]:
    from ..cassette.model import MATCHED_HEADERS

    body: Any = request.json if request.json is not None else request.body.decode("utf-8", "replace")
    headers = {name: request.headers.get(name) for name in MATCHED_HEADERS}  # None: not sent
    return {"headers": headers, "query": dict(request.query), "body": body}


# SessionStats' counts and what each starts as (the class annotates their types), in summary order.
_STATS_FIELDS: dict[str, type] = {
    "live": int,
    "replayed": int,
    "other_hosts": int,
    "violations": Counter,
    "warnings": Counter,
    "adopted": list,
    "allowed": Counter,
    "recorded": set,
    "replayed_from": set,
    "refused": list,
    "kept": list,
    "expired": list,
    "unplayed": list,
    "verified": int,
    "drifted": int,
    "drift": list,
    "bridged": int,
    "not_recorded": Counter,
    "recorded_before": Counter,
    "both_markers": Counter,
    "shared": dict,
}


class SessionStats:
    """Counts for the terminal summary. A plain class: a dataclass compiles its methods when it is
    defined (see capture.core.Replay)."""

    live: int
    replayed: int
    other_hosts: int  # exchanges with hosts that are not Claude's: under the cassette, not checked
    violations: Counter[str]
    warnings: Counter[str]  # rules of severity warning: fail nothing
    # Cassettes found in pytest-recording's layout (node id: path), see plugin/vcr_compat.py.
    adopted: list[str]
    allowed: Counter[str]
    recorded: set[str]
    replayed_from: set[str]
    refused: list[str]
    kept: list[str]  # written although the test failed (keep_failed)
    expired: list[str]  # replayed past max_age (on_expiry warn)
    unplayed: list[str]  # interactions no test played
    # Record mode verify: live answers that matched their recording, interactions that drifted, and
    # the drift itself when it did not fail a test (contract mode warn or off).
    verified: int
    drifted: int
    drift: list[str]
    # claude_contract_vcr (plugin/vcr_bridge.py): tests whose pytest-recording cassette answered and
    # were checked; findings on another recorder's cassette set aside as "not recorded", by rule; and
    # tests with both markers, by the one that owned the cassette.
    bridged: int
    not_recorded: Counter[str]
    # Replayed answers recorded before the API sent a header they lack: not failing (checks.Level).
    recorded_before: Counter[str]
    both_markers: Counter[str]
    # Named cassettes replayed by several tests are judged once per session:
    # path -> {"total": n, "played": [positions], "users": [node ids], "failed": bool}
    shared: dict[str, dict[str, Any]]

    def __init__(self) -> None:
        for name, kind in _STATS_FIELDS.items():
            setattr(self, name, kind())

    def note_shared(self, path: str, total: int, played: Iterable[int], user: str, failed: bool) -> None:
        entry = self.shared.setdefault(path, {"total": total, "played": [], "users": [], "failed": False})
        entry["total"] = max(entry["total"], total)
        entry["played"] = sorted(set(entry["played"]) | set(played))
        entry["users"].append(user)
        entry["failed"] = entry["failed"] or failed

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what pytest-xdist can send from a worker to the controller)."""
        out: dict[str, Any] = {}
        for name in _STATS_FIELDS:
            value = getattr(self, name)
            out[name] = sorted(value) if isinstance(value, set) else value
            if isinstance(value, Counter):
                out[name] = dict(value)
        return out

    def merge(self, data: dict[str, Any]) -> None:
        """Add a worker's `to_dict()` to these counts."""
        for name in _STATS_FIELDS:
            if name not in data:
                continue
            mine, theirs = getattr(self, name), data[name]
            if name == "shared":
                for path, entry in theirs.items():
                    for user in entry["users"]:
                        self.note_shared(path, entry["total"], entry["played"], user, entry["failed"])
            elif isinstance(mine, Counter | set):
                mine.update(theirs)
            elif isinstance(mine, list):
                mine.extend(theirs)
            elif isinstance(mine, int):
                setattr(self, name, mine + theirs)

    def summary_lines(self, mode: str) -> list[str]:
        lines = [
            f"exchanges checked: {self.live + self.replayed} ({self.replayed} replayed, {self.live} live)"
            + (" - checks off" if mode == "off" else ""),
        ]
        if self.other_hosts:
            lines.append(f"other hosts: {self.other_hosts} exchange(s) recorded or replayed, not checked")
        if self.violations:
            total = sum(self.violations.values())
            lines.append(f"violations: {total} ({'failing tests' if mode == 'strict' else 'reported only'})")
            lines += [f"  {rule}: {count}" for rule, count in sorted(self.violations.items())]
        else:
            lines.append("violations: 0")
        if self.warnings:
            lines.append(f"warnings: {sum(self.warnings.values())} (reported only, failing no test)")
            lines += [f"  {rule}: {count}" for rule, count in sorted(self.warnings.items())]
        if self.not_recorded:
            lines.append(
                f"not recorded: {sum(self.not_recorded.values())} (response headers the cassette's recorder "
                "removed, as lint reports them; not failing)"
            )
            lines += [f"  {rule}: {count}" for rule, count in sorted(self.not_recorded.items())]
        if self.recorded_before:
            lines.append(
                f"recorded before the header existed: {sum(self.recorded_before.values())} (replayed "
                "answers recorded before the API sent a header they lack, as lint reports them; not failing)"
            )
            lines += [f"  {rule}: {count}" for rule, count in sorted(self.recorded_before.items())]
        if self.allowed:
            lines.append(
                "allowed by marker: " + ", ".join(f"{r} {c}" for r, c in sorted(self.allowed.items()))
            )
        lines.append(f"cassettes: {len(self.recorded)} recorded, {len(self.replayed_from)} replayed")
        if self.bridged:
            lines.append(
                f"pytest-recording tests checked (claude_contract_vcr): {self.bridged}; their cassettes "
                "are pytest-recording's"
            )
        lines += [
            f"tests with both @pytest.mark.vcr and @pytest.mark.claude_contract: {count}, {owner}"
            for owner, count in sorted(self.both_markers.items())
        ]
        lines += [f"  not saved: {reason}" for reason in self.refused]
        if self.adopted:
            lines.append(f"cassettes used in pytest-recording's layout: {len(self.adopted)}")
            lines += [f"  {line}" for line in self.adopted[:20]]
            if len(self.adopted) > 20:
                lines.append(f"  ... and {len(self.adopted) - 20} more")
        lines += [f"  saved although the test failed (keep_failed): {path}" for path in self.kept]
        if self.expired:
            lines.append(f"expired cassettes (older than max_age): {len(self.expired)}")
            lines += [f"  {line}" for line in self.expired]
        if self.unplayed:
            lines.append(f"cassettes with unplayed interactions: {len(self.unplayed)}")
            lines += [f"  {line}" for line in self.unplayed]
        if self.verified or self.drifted:
            lines.append(
                f"verified against cassettes (record mode verify): {self.verified} interaction(s) "
                f"unchanged, {self.drifted} drifted"
                + (" (failing tests)" if mode == "strict" and self.drifted else "")
            )
        if self.drift:
            lines.append("drift (not failing in this contract mode):")
            lines += [f"  {line}" for line in self.drift]
        return lines
