"""The session's state (kept in `config.stash`) and what each test keeps in its own stash."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from ..capture.core import ClaudeContractRecorder  # noqa: F401 (a StashKey's type)
    from ..contract.checks import Violation
    from ..contract.models import Contract
    from ..contract.report import SessionStats
    from ..contract.verdicts import VerdictStore
    from .options import ContractSettings, SessionOptions

MARKER = "claude_contract"


@dataclass
class SessionState:
    options: SessionOptions
    stats: SessionStats | None = None
    warned: list[tuple[str, Violation | str]] = field(default_factory=list)  # str: from an xdist worker
    env: pytest.MonkeyPatch = field(default_factory=pytest.MonkeyPatch)
    used: bool = False
    # Recording safety and staleness (plugin/xdist.py, plugin/orphans.py, plugin/judging.py).
    session_id: str = ""
    cassettes: set[str] = field(default_factory=set)  # paths collected or used tests read or write
    deselected: set[str] = field(default_factory=set)  # paths of deselected tests (-k, --lf)
    patched: bool = False  # a recorder turned vcrpy's patches on (see pytest_runtest_teardown)
    parse_cache: Path | None = None  # parsed cassettes between sessions: <pytest cache>/d/claude_contract
    verdicts: VerdictStore | None = None  # the response rules' verdicts on recorded responses
    # (claude_contract_config, marker arguments) -> the settings and contract they make (see plugin._frozen)
    settings_memo: dict[tuple[Any, ...], tuple[ContractSettings, Contract]] = field(default_factory=dict)
    # The test being set up (pytest_runtest_setup names it before its fixtures run).
    item: pytest.Item | None = None


STATE = pytest.StashKey[SessionState]()


RECORDER = pytest.StashKey["ClaudeContractRecorder"]()


FAILED = pytest.StashKey[bool]()  # the test failed in set-up or call


STATIC_CASSETTE = pytest.StashKey[tuple[str | bool, "Path"]]()  # the marker's cassette= and its path


# claude_contract_vcr (plugin/vcr_bridge.py): pytest-recording answers this test, and its recorder
# only checks what vcrpy's cassette answered or recorded.
BRIDGED = pytest.StashKey[bool]()


# A test with both @pytest.mark.vcr and @pytest.mark.claude_contract: which of them owns its cassette.
BOTH_MARKERS = pytest.StashKey[str]()


def uses_plugin(item: pytest.Item | None, state: SessionState) -> bool:
    """Whether `item` gets a recorder of its own, with the plugin's patches and cassette: autouse,
    the marker, or the fixture (asked for directly or through claude_cassette, claude_contract_server
    or a user's fixture: fixturenames is the closure); not a test pytest-recording answers (BRIDGED)."""
    if item is None or item.stash.get(BRIDGED, False):
        return False
    return (
        state.options.autouse
        or item.get_closest_marker(MARKER) is not None
        or "claude_contract" in getattr(item, "fixturenames", ())
    )
