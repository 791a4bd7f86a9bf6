"""The patches, and where they route: the switchboard (its one instance is `process.PATCHES`).

Entering the patchers for every HTTP library costs milliseconds, so they go on once and stay on
while consecutive tests use the plugin (the plugin releases them before a test that does not). Each
request is handed to the recorder routed to last; with none, requests pass through untouched. The
httpx/httpx2 transports are patched at once; vcrpy's patchers (every other library) when one of
those libraries is first used (`lazy_vcr`).
"""

from __future__ import annotations

import sys
import threading
from contextlib import ExitStack
from typing import TYPE_CHECKING

from .lazy_vcr import TripWires

if TYPE_CHECKING:
    from .core import ClaudeContractRecorder
    from .vcr_adapter import VcrCassette


class Switchboard:
    def __init__(self) -> None:
        self._stack: ExitStack | None = None
        self._routes: list[ClaudeContractRecorder] = []  # a stack: the last is active
        self._vcr: VcrCassette | None = None  # vcrpy's patchers are on (for this stack)
        self._lock = threading.RLock()
        self._wires = TripWires(self._engage_vcr, self._lock)
        self.share_ssl_contexts = True  # ini claude_share_ssl_context (see ssl_sharing)

    def current(self) -> ClaudeContractRecorder | None:
        return self._routes[-1] if self._routes else None

    def engage(self) -> None:
        """Enter the patchers, if they are not on: with no recorder routed to, requests pass through."""
        with self._lock:
            if self._stack is not None:
                return
            from .httpx_transport import transport_patchers

            stack = ExitStack()
            for patcher in transport_patchers(self.current, self.share_ssl_contexts):
                stack.enter_context(patcher)
            self._stack = stack
            if "vcr.patch" in sys.modules:  # imported already: nothing to save by waiting
                self._engage_vcr()
            else:
                self._wires.arm()

    def _engage_vcr(self) -> None:
        """vcrpy's patchers for every library but httpx and httpx2, on the same stack."""
        with self._lock:
            if self._stack is None or self._vcr is not None:
                return
            from vcr.patch import CassettePatcherBuilder

            from .vcr_adapter import VcrCassette

            self._vcr = VcrCassette(self.current)
            for patcher in CassettePatcherBuilder(self._vcr).build():
                self._stack.enter_context(patcher)

    def route_to(self, recorder: ClaudeContractRecorder) -> None:
        self.engage()
        self._routes.append(recorder)

    def route_away(self, recorder: ClaudeContractRecorder) -> None:
        for position in range(len(self._routes) - 1, -1, -1):  # its most recent routing
            if self._routes[position] is recorder:
                del self._routes[position]
                if not self._routes and self._vcr is not None:
                    self._vcr.forget_all()
                return

    def release(self) -> None:
        """Unpatch, unless a recorder is still routed to."""
        with self._lock:
            if self._stack is None or self._routes:
                return
            self._wires.disarm()
            stack, self._stack, self._vcr = self._stack, None, None
            stack.close()
