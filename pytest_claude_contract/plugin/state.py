"""The session's state (kept in `config.stash`) and what each test keeps in its own stash."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from _pytest.nodes import Node

    from ..capture.core import ClaudeContractRecorder  # noqa: F401 (a StashKey's type)
    from ..contract.checks import Violation
    from ..contract.models import Contract
    from ..contract.report import SessionStats
    from ..contract.verdicts import VerdictStore
    from .options import ContractSettings, SessionOptions

MARKER = "claude_contract"


class SessionState:
    """What the plugin keeps for the session (`config.stash[STATE]`). A plain class: the modules
    pytest imports for every session define no dataclass, whose methods are compiled when the class
    is defined (about 6 M instructions each, 1.5 ms, on 2026-12-07; bench/README.md section 3)."""

    def __init__(self, options: SessionOptions) -> None:
        self.options = options
        self.stats: SessionStats | None = None
        self.warned: list[tuple[str, Violation | str]] = []  # str: from an xdist worker
        self.env = pytest.MonkeyPatch()
        self.used = False
        # Recording safety and staleness (plugin/xdist.py, plugin/orphans.py, plugin/judging.py).
        self.session_id = ""
        self.cassettes: set[str] = set()  # paths collected or used tests read or write
        self.deselected: set[str] = set()  # paths of deselected tests (-k, --lf)
        # pytest-recording tests whose cassette fixtures could not run at collection (vcr_bridge.py).
        self.unresolved: list[str] = []
        self.patched = False  # a recorder turned vcrpy's patches on (see pytest_runtest_teardown)
        self.aws_looked_up = False  # AWS credentials looked for (plugin._provide_placeholder_key)
        self.parse_cache: Path | None = (
            None  # parsed cassettes between sessions: <pytest cache>/d/claude_contract
        )
        self.verdicts: VerdictStore | None = None  # the response rules' verdicts on recorded responses
        # (claude_contract_config, marker arguments) -> the settings and contract they make (plugin._frozen)
        self.settings_memo: dict[tuple[Any, ...], tuple[ContractSettings, Contract]] = {}
        # The test being set up (pytest_runtest_setup names it before its fixtures run).
        self.item: pytest.Item | None = None
        # A module's or class's claude_contract_config definitions (plugin/fixtureless.py).
        self.config_definitions: dict[Node | None, Sequence[Any]] = {}


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
