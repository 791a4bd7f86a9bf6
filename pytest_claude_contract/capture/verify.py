"""Record mode `verify`: is the cassette still what the API answers?

Every Claude request is sent live (nothing is replayed, nothing is written), and each live answer is
compared with the recording that the same request would have replayed: the same matching as replay
(method, path, query, parsed JSON body; identical requests take their recordings in recorded order)
and the same comparison as `pytest-claude-contract diff` (`cli.diff.compare`: the answers reduced to their
status, headers and body shape, volatile values ignored). What differs is *drift*: a new or removed
field or header, a changed type, a changed status or enum-like value, a request the cassette holds no
recording of, and, when the test ends, recordings no request played.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..cassette.model import Interaction, MatchKey, ReplayIndex
from ..cli.diff import VOLATILE_NOTE, Change, change_line, compare
from ..contract.redaction import redact, request_secrets

if TYPE_CHECKING:
    from pathlib import Path

    from ..contract.exchange import CapturedRequest
    from ..contract.report import SessionStats

CHANGED = "changed"
NOT_IN_CASSETTE = "not in the cassette"
NOT_SENT = "not sent"


@dataclass(frozen=True)
class Drift:
    """One interaction whose live answer is not what the cassette holds."""

    kind: str  # CHANGED, NOT_IN_CASSETTE or NOT_SENT
    target: str  # method and URL
    position: int | None = None  # the recording (from 1); None for a request not in the cassette
    changes: tuple[Change, ...] = ()
    note: str = ""

    def headline(self) -> str:
        where = f"interaction {self.position}: " if self.position is not None else ""
        if self.kind == CHANGED:
            count = len(self.changes)
            return f"{where}{self.target}: {count} difference{'s' if count != 1 else ''}"
        return f"{where}{self.target}: {self.kind} ({self.note})"


@dataclass(frozen=True)
class DriftReport:
    """Drift not reported yet, for a test's failure message or the terminal summary."""

    cassette: Path
    drift: tuple[Drift, ...]
    verified: int  # live answers so far that matched their recording
    # The credentials of the requests compared: the report quotes answers, which may echo one.
    secrets: tuple[str, ...] = ()

    def ordered(self) -> list[Drift]:
        """By interaction (the cassette's order), then requests not in the cassette as they were sent."""
        return sorted(self.drift, key=lambda d: (d.position is None, d.position or 0))

    def text(self, nodeid: str | None = None, rerecord: str | None = None) -> str:
        """The report; `rerecord` is the command that records the cassette anew (default: pytest's)."""
        count = len(self.drift)
        lines = [
            f"Claude contract: the live API's answers drifted from the cassette (record mode verify): "
            f"{count} interaction{'s' if count != 1 else ''} differ, {self.verified} unchanged",
            f"  cassette: {self.cassette}",
        ]
        for drift in self.ordered():
            lines += ["", f"  {drift.headline()}"]
            lines += [f"    {change_line(change)}" for change in drift.changes]
        command = f"pytest '{nodeid}'" if nodeid else "pytest"
        lines += [
            "",
            VOLATILE_NOTE[0].upper() + VOLATILE_NOTE[1:] + ".",
            "If the API changed on purpose, record the cassette anew against the live API, with "
            "ANTHROPIC_API_KEY set:",
            f"  {rerecord or command + ' --claude-record-mode=rewrite'}",
        ]
        return redact("\n".join(lines), self.secrets)

    def summary_lines(self, nodeid: str) -> list[str]:
        lines = []
        for drift in self.ordered():
            lines.append(f"{nodeid}: {self.cassette} {drift.headline()}")
            lines += [f"    {change_line(change)}" for change in drift.changes]
        return [redact(line, self.secrets) for line in lines]


class Verifier:
    """Compares a test's live answers with its cassette; thread-safe (claude_contract_server)."""

    def __init__(
        self, cassette: Path, interactions: list[Interaction], exists: bool, stats: SessionStats
    ) -> None:
        self.cassette = cassette
        self._loaded = interactions
        self._exists = exists
        self._stats = stats
        self._index = ReplayIndex(interactions)
        self._played: set[int] = set()
        self._lock = threading.Lock()
        self._drift: list[Drift] = []
        self._reported = 0
        self._finished = False
        self._secrets: set[str] = set()
        self.verified = 0

    @property
    def drift(self) -> list[Drift]:
        with self._lock:
            return list(self._drift)

    def check(
        self, request: CapturedRequest, response: dict[str, Any], key: MatchKey, *, compared: bool = True
    ) -> Drift | None:
        """Compare a live answer (vcrpy's shape, body decoded) with the recording its match `key` (the
        recorder's: the request as scrubbed) finds. Not `compared` (a host that is not Claude's):
        its recording only counts as sent."""
        with self._lock:
            position = self._index.take(key)
            if position is not None:
                self._played.add(position)
            self._secrets.update(request_secrets(request))
        if not compared:
            return None
        if position is None:
            drift = Drift(NOT_IN_CASSETTE, request.target, note=self._why_missing(key))
        else:
            recorded = self._loaded[position]
            changes = compare([recorded], [Interaction(request, response)])
            if not changes:
                with self._lock:
                    self.verified += 1
                    self._stats.verified += 1
                return None
            drift = Drift(
                CHANGED,
                recorded.request.target,
                position + 1,
                tuple(replace(change, exchange=position + 1) for change in changes),
            )
        self._add(drift)
        return drift

    def finish(self) -> None:
        """At the end of the test: each recording no request played is drift (the client no longer
        sends it, or sends it differently)."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
            unplayed = [p for p in range(len(self._loaded)) if p not in self._played]
        for position in unplayed:
            target = self._loaded[position].request.target
            note = "recorded, but the test did not send this request"
            self._add(Drift(NOT_SENT, target, position + 1, note=note))

    def take_report(self) -> DriftReport | None:
        """The drift found since the last call, or None."""
        with self._lock:
            fresh = tuple(self._drift[self._reported :])
            self._reported = len(self._drift)
            verified = self.verified
            secrets = tuple(self._secrets)
        return DriftReport(self.cassette, fresh, verified, secrets) if fresh else None

    def _add(self, drift: Drift) -> None:
        with self._lock:
            self._drift.append(drift)
            self._stats.drifted += 1

    def _why_missing(self, key: Any) -> str:
        if not self._exists:
            return "the cassette does not exist"
        recorded = sum(1 for interaction in self._loaded if interaction.key == key)
        if recorded:
            return (
                f"the cassette holds this request {recorded} time(s), and each was already compared: "
                "the client sent it once more than when it was recorded"
            )
        return "the cassette holds no recording of this request (method, path, query and body)"
