"""vcrpy, put on when a library that only vcrpy patches is first used, not before.

Importing vcrpy imports httpx, requests, urllib3 and more wherever they are installed: 0.11 G
instructions in the bench's venv, and 180 ms where requests and click are installed (measured
2026-12-07, bench/README.md, section 1), for a session whose tests may only ever use the SDKs
(httpx, httpx2: the plugin's own transports). So the patches go on with trip-wires instead:

- at the entry point each such library passes through for every request (the two connection
  classes of http.client, urllib3's `urlopen`, which requests and botocore go through too, aiohttp's
  `ClientSession._request`, httplib2's `Http.request`, tornado's `fetch_impl`), when its module is
  loaded;
- and on the import of such a library (or of vcrpy itself) while they stand.

The first to trip takes every trip-wire down (the originals back in place: vcrpy keeps what it
finds at import as the real thing) and puts vcrpy's patchers on; the request that tripped it then
goes on through them.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import inspect
import sys
import threading
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from .attribute_patch import patched

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

# (module, class in it or "" for the module itself, attribute)
ENTRY_POINTS: tuple[tuple[str, str, str], ...] = (
    ("http.client", "", "HTTPConnection"),
    ("http.client", "", "HTTPSConnection"),
    ("urllib3.connectionpool", "HTTPConnectionPool", "urlopen"),
    ("aiohttp.client", "ClientSession", "_request"),
    ("httplib2", "Http", "request"),
    ("tornado.simple_httpclient", "SimpleAsyncHTTPClient", "fetch_impl"),
    ("tornado.curl_httpclient", "CurlAsyncHTTPClient", "fetch_impl"),
)
# Imported while the trip-wires stand, these trip them before their code runs.
WATCHED_PACKAGES = frozenset(
    {"urllib3", "requests", "aiohttp", "httplib2", "tornado", "botocore", "boto3", "vcr"}
)


class TripWires:
    """The trip-wires, standing between `arm` and `disarm`; `trip` (once) calls `on_trip` after
    taking them down. `lock` is the switchboard's: one lock, so no two threads take them in turn."""

    def __init__(self, on_trip: Callable[[], None], lock: threading.RLock) -> None:
        self._on_trip = on_trip
        self._lock = lock
        self._stack: ExitStack | None = None
        self._finder = _ImportWatch(self)

    @property
    def armed(self) -> bool:
        return self._stack is not None

    def arm(self) -> None:
        with self._lock:
            if self._stack is not None:
                return
            stack = ExitStack()
            for module_name, owner_name, attribute in ENTRY_POINTS:
                module = sys.modules.get(module_name)
                owner = getattr(module, owner_name, None) if owner_name else module
                original = getattr(owner, attribute, None) if owner is not None else None
                if original is None:
                    continue
                wire = _class_wire if isinstance(original, type) else _method_wire
                stack.enter_context(patched(owner, attribute, wire(owner, attribute, original, self.trip)))
            sys.meta_path.insert(0, self._finder)
            stack.callback(_remove, sys.meta_path, self._finder)
            self._stack = stack

    def disarm(self) -> bool:
        """Take the trip-wires down; True when they were standing."""
        with self._lock:
            stack, self._stack = self._stack, None
            if stack is not None:
                stack.close()
        return stack is not None

    def trip(self) -> None:
        """Take the trip-wires down and put vcrpy on (once; a no-op when they are not standing)."""
        with self._lock:
            if self.disarm():
                self._on_trip()

    def tripped(self) -> None:
        """Put vcrpy on after `disarm` (a watched package loaded in between)."""
        with self._lock:
            self._on_trip()


def _remove(items: list[Any], item: Any) -> None:
    if item in items:
        items.remove(item)


def _class_wire(owner: Any, attribute: str, original: type[Any], trip: Callable[[], None]) -> type[Any]:
    """A stand-in for a connection class (http.client's): building one trips, then builds what
    stands there now (vcrpy's class). A subclass made while it stood is built as usual."""

    def __new__(cls: type[Any], *args: Any, **kwargs: Any) -> Any:
        trip()
        if cls is not wire:
            return object.__new__(cls)  # http.client's classes define no __new__ of their own
        current = getattr(owner, attribute)
        return (original if current is wire else current)(*args, **kwargs)

    namespace = {"__new__": __new__, "__module__": original.__module__, "__qualname__": original.__qualname__}
    wire: type[Any] = type(original.__name__, (original,), namespace)
    return wire


def _method_wire(owner: Any, attribute: str, original: Callable[..., Any], trip: Callable[[], None]) -> Any:
    """A stand-in for a method: calling it trips, then calls what stands there now (vcrpy's stub, or
    the original where vcrpy patches further in, as for urllib3's urlopen)."""

    def current() -> Callable[..., Any]:
        found: Callable[..., Any] = getattr(owner, attribute)
        return original if found is wire else found

    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def wire(self: Any, *args: Any, **kwargs: Any) -> Any:
            trip()
            return await current()(self, *args, **kwargs)

    else:

        @functools.wraps(original)
        def wire(self: Any, *args: Any, **kwargs: Any) -> Any:
            trip()
            return current()(self, *args, **kwargs)

    return wire


class _ImportWatch:
    """On sys.meta_path while the trip-wires stand: a watched package about to be imported trips
    them first, so it loads with the originals in place, and vcrpy patches it once it has loaded."""

    def __init__(self, wires: TripWires) -> None:
        self._wires = wires
        self._asking = threading.local()  # this thread is asking the finders after this one

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if "." in name or name not in WATCHED_PACKAGES or not self._wires.armed:
            return None
        if getattr(self._asking, "now", False):
            return None
        self._asking.now = True
        try:
            spec: ModuleSpec | None = importlib.util.find_spec(name)  # what the other finders find
        finally:
            self._asking.now = False
        if spec is not None and spec.loader is not None:
            spec.loader = _TripFirst(spec.loader, self._wires)
        return spec


class _TripFirst(importlib.abc.Loader):
    """A package's loader that takes the trip-wires down before the package runs and puts vcrpy on
    after it; the package keeps its own loader."""

    def __init__(self, loader: Any, wires: TripWires) -> None:
        self._loader = loader
        self._wires = wires

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        created: ModuleType | None = self._loader.create_module(spec)
        return created

    def exec_module(self, module: ModuleType) -> None:
        spec = module.__spec__
        assert spec is not None
        spec.loader = module.__loader__ = self._loader
        stood = self._wires.disarm()
        self._loader.exec_module(module)
        if stood:
            self._wires.tripped()
