"""The plugin's modules are imported as any Python module, not through pytest's assertion rewriter.

pytest loads every module of a plugin installed by entry point through its assertion rewriter, so that
a failing `assert` in a plugin's fixture shows its values. Ours assert nothing a user sees (every
failure the plugin reports is a message of its own), and that loader is slow: it hashes each module's
whole source and unmarshals its code through a file object, read piece by piece. On the bench's 500
one-call tests replayed (2026-12-07, bench/README.md section 1), 9,692 M instructions through the
rewriter and 9,570 M without: 122 M, about 28 ms a session, 34 M of it at start-up (bench/startup.py).

pytest has no public switch for this (a module's `PYTEST_DONT_REWRITE` leaves its asserts as they are
but still loads it through the rewriter), so the package takes itself off the rewriter's list as it is
imported, before it imports anything else. Where pytest's internals differ, nothing changes but the
speed. `PYTEST_DONT_REWRITE` in the plugin module's docstring keeps pytest from warning that the module
was imported before a later session (pytester's) could rewrite it.
"""

from __future__ import annotations

import sys

PACKAGE = __name__.rpartition(".")[0]


def skip_assertion_rewriting() -> None:
    """Take this package off the list of every pytest assertion rewriter installed in the process."""
    for finder in sys.meta_path:
        marked = getattr(finder, "_must_rewrite", None)
        cache = getattr(finder, "_marked_for_rewrite_cache", None)
        if not isinstance(marked, set) or not isinstance(cache, dict):
            continue
        for name in [n for n in marked if _ours(n)]:
            marked.discard(name)
        for name in [n for n in cache if _ours(n)]:
            del cache[name]


def _ours(name: object) -> bool:
    return isinstance(name, str) and (name == PACKAGE or name.startswith(PACKAGE + "."))
