"""pytest-xdist: one session id for the controller and its workers (a rewrite replaces a cassette once
per session), and the workers' counts, warnings and cassette paths added up by the controller. The
controller's hooks are registered only when xdist is installed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .state import STATE, SessionState

SESSION_KEY = "claude_contract_session"  # workerinput: the controller's session id


OUTPUT_KEY = "claude_contract"  # workeroutput: a worker's counts, warnings and cassette paths


def configure(config: pytest.Config) -> None:
    state = config.stash[STATE]
    workerinput = getattr(config, "workerinput", None)
    # One id per session, shared by xdist workers: a rewrite replaces a cassette once per session.
    state.session_id = (workerinput or {}).get(SESSION_KEY) or uuid.uuid4().hex
    if workerinput is None and config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistController(state), "claude_contract_xdist")


class XdistController:
    """pytest-xdist hooks for the controller, registered only when xdist is installed."""

    def __init__(self, state: SessionState) -> None:
        self.state = state

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[SESSION_KEY] = self.state.session_id

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = (getattr(node, "workeroutput", None) or {}).get(OUTPUT_KEY)
        if not data:
            return
        if data.get("stats") is not None:
            from ..contract.report import SessionStats

            if self.state.stats is None:
                self.state.stats = SessionStats()
            self.state.stats.merge(data["stats"])
        self.state.warned.extend((str(nodeid), str(text)) for nodeid, text in data.get("warned", []))
        self.state.cassettes.update(data.get("cassettes", []))
        self.state.deselected.update(data.get("deselected", []))
        self.state.unresolved.extend(data.get("unresolved", []))


def worker_output(state: SessionState) -> dict[str, Any]:
    """What an xdist worker sends the controller at the end (`XdistController` adds it up)."""
    return {
        "stats": None if state.stats is None else state.stats.to_dict(),
        "warned": [(nodeid, str(violation)) for nodeid, violation in state.warned],
        "cassettes": sorted(state.cassettes),
        "deselected": sorted(state.deselected),
        "unresolved": sorted(state.unresolved),
    }
