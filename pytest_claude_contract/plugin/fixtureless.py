"""A marked test that does not ask for `claude_contract` gets its recorder from the set-up hook, not
from pytest's fixture machinery, wherever that changes nothing the test could see.

Why: a function-scoped fixture costs pytest its own set-up and teardown hooks, a sub-request and a
finalizer for every test. On the bench's 500 one-call tests replayed (2026-12-07, bench/README.md
section 1), 9,933 M instructions with the fixture and 9,832 M without: 0.2 M, about 50 µs, a test.

Nothing changes for the test when, at its set-up, every fixture pytest would set up before the
recorder is already set up (a module's client after the module's first test): the recorder is then
the first thing set up for the test, as the fixture would have been, and it is finished after the
test's own fixtures are torn down and before its module's (`Item.teardown`, which pytest calls after
the finalizers of the item's fixtures). Otherwise (the first test of a module, a parametrized module
fixture, the suite's pytest-recording fixtures, a test pytest-recording answers) the fixture does it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from .state import BOTH_MARKERS, BRIDGED, RECORDER

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Sequence

    from ..capture.core import ClaudeContractRecorder
    from .state import SessionState

    RecorderFor = Callable[
        [pytest.Item, SessionState, dict[str, Any]], Generator[ClaudeContractRecorder, None, None]
    ]

# Where collection put `claude_contract` in the item's fixtures (plugin._request_directly): the test
# did not ask for it, so the set-up hook may answer it instead.
ADDED_AT = pytest.StashKey[int]()
_RUNNING = pytest.StashKey["Generator[ClaudeContractRecorder, None, None]"]()
_CONFIG = "claude_contract_config"


def start(item: pytest.Item, state: SessionState, recorder_for: RecorderFor) -> None:
    """At the test's set-up, before its fixtures: start its recorder here, taking `claude_contract`
    out of the fixtures pytest sets up, or leave (or put back) the fixture to do it."""
    position = item.stash.get(ADDED_AT, None)
    if position is None:
        return
    names: list[str] = item.fixturenames  # type: ignore[attr-defined]  # a Function's own copy
    config = _settled_config(item, state)
    if config is None or not _nothing_set_up_before(item, position):
        if "claude_contract" not in names:  # a rerun of a test this hook answered before
            names.insert(position, "claude_contract")
        return
    running = recorder_for(item, state, config)
    next(running)  # a cassette or argument error fails the set-up, as the fixture's would
    if "claude_contract" in names:
        names.remove("claude_contract")
    item.stash[_RUNNING] = running
    item.teardown = lambda: _finish(item)  # type: ignore[method-assign]


def started(item: pytest.Item) -> ClaudeContractRecorder | None:
    """The recorder this hook started for `item`, if it did (`request.getfixturevalue` then gets it)."""
    return item.stash.get(RECORDER, None) if _RUNNING in item.stash else None


def _finish(item: pytest.Item) -> None:
    running = item.stash[_RUNNING]
    del item.stash[_RUNNING]
    try:
        next(running, None)  # route away, judge, save: the fixture's teardown
    finally:
        del item.teardown  # the class's own again
        type(item).teardown(item)


def end(item: pytest.Item) -> None:
    """After the test's teardown: a recorder whose test never got to set up (its module's set-up
    failed, so pytest never calls its teardown) is routed away, not judged."""
    running = item.stash.get(_RUNNING, None)
    if running is not None:
        del item.stash[_RUNNING]
        vars(item).pop("teardown", None)
        running.close()
        if RECORDER in item.stash:
            del item.stash[RECORDER]


def _settled_config(item: pytest.Item, state: SessionState) -> dict[str, Any] | None:
    """The `claude_contract_config` the fixture would get, when pytest holds it set up already (a
    module-scoped fixture after the module's first test); else None."""
    if item.stash.get(BRIDGED, False) or BOTH_MARKERS in item.stash:
        return None
    from .vcr_compat import defined_fixtures

    if defined_fixtures(item):  # the suite's own vcr_config, ...: read through pytest at set-up
        return None
    definitions: Sequence[Any] | None = _definitions(item).get(_CONFIG)
    if definitions is None:  # the test does not ask for it itself: as the fixture's request finds it
        parent = item.parent
        definitions = state.config_definitions.get(parent)
        if definitions is None:
            definitions = item.session._fixturemanager.getfixturedefs(_CONFIG, item) or ()
            state.config_definitions[parent] = definitions
    if not definitions or not _set_up(definitions[-1]):
        return None
    fixturedef: Any = definitions[-1]
    value: dict[str, Any] = fixturedef.cached_result[0]
    return value


def _nothing_set_up_before(item: pytest.Item, position: int) -> bool:
    """Every fixture before the recorder's place is set up already, and so is every fixture of a
    wider scope than the test (pytest would set them up first)."""
    definitions = _definitions(item)
    for defined in definitions.values():
        if defined and defined[-1].scope != "function" and not _set_up(defined[-1]):
            return False
    names: list[str] = item.fixturenames  # type: ignore[attr-defined]
    for name in names[:position]:
        fixtures: Sequence[Any] | None = definitions.get(name)
        if name != "request" and (not fixtures or fixtures[-1].scope == "function"):
            return False
    return True


def _definitions(item: pytest.Item) -> dict[str, Sequence[Any]]:
    info = getattr(item, "_fixtureinfo", None)
    return info.name2fixturedefs if info is not None else {}


def _set_up(fixturedef: Any) -> bool:
    """Set up, without error, for no parameter that a next test could change."""
    cached = fixturedef.cached_result
    return (
        fixturedef.scope != "function"
        and fixturedef.params is None
        and cached is not None
        and cached[2] is None
    )
