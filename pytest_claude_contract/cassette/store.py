"""Cassettes on disk: loading through the parse cache, the lock that serialises load-merge-save across
processes, and the atomic write that refuses a leak."""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from .. import process
from ..contract import limits
from .cache_files import read_marshal, replace_atomically, temporary_files, write_atomically
from .model import CassetteError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .model import Interaction
    from .scrub import Scrubber


def load_cassette(path: Path, cache_dir: Path | None = None) -> list[Interaction] | None:
    """The interactions in `path`, or None when there is no file. Raises CassetteError.

    YAML is parsed once per content: the result is kept in memory for the session (tests sharing a
    cassette) and, with `cache_dir` (the pytest cache), kept for later sessions, keyed by a hash of
    the bytes, so an edited or re-recorded cassette is parsed again. Callers share the Interaction
    objects and must not change them."""
    if cache_dir is not None:
        # The file's identity on disk, taken before it is read: unchanged since an earlier session
        # hashed it, its digest is known without reading it (see StatIndex).
        index = _stat_index(cache_dir)
        try:
            identity = _identity(os.stat(path))
        except FileNotFoundError:
            return None
        except OSError:
            identity = None
        noted = index.digest(str(path), identity)
        if noted is not None:
            key = _parse_key(noted)
            interactions = process.PARSED.get(key)
            if interactions is not None:
                process.PARSED.move_to_end(key)
                return list(interactions)
            interactions = _read_cached(cache_dir / f"{key}.{_CACHE_FORMAT}")
            if interactions is not None:
                _remember(key, interactions)
                return list(interactions)
    # Parsing and writing need the formats (and PyYAML, about 90 M instructions to import): a replay
    # answered from the parse cache never does.
    from .formats import _document, _read_bytes, document_interactions

    raw = _read_bytes(path)
    if raw is None:
        return None
    hasher = hashlib.sha256(raw)  # twice blake2b's speed where the CPU has SHA instructions
    hasher.update(path.name.lower().removesuffix(".gz").rpartition(".")[2].encode())  # how it is parsed
    digest = hasher.hexdigest()[:40]
    if cache_dir is not None:
        index.note(str(path), identity, digest)
    key = _parse_key(digest)
    interactions = process.PARSED.get(key)
    if interactions is not None:
        process.PARSED.move_to_end(key)
        return list(interactions)
    cached = cache_dir / f"{key}.{_CACHE_FORMAT}" if cache_dir is not None else None
    interactions = _read_cached(cached) if cached is not None else None
    if interactions is None:
        interactions = document_interactions(_document(path, raw))
        if any(_left_encoded(i.response["headers"]) for i in interactions):
            # A body left encoded (br without the brotli package): decodable once brotli is
            # installed, so this parse must not outlive the session's environment.
            return interactions
        if cached is not None:
            _write_cached(cached, interactions)
    _remember(key, interactions)
    return list(interactions)


def _parse_key(digest: str) -> str:
    """A parse is kept per content and per reading limits: a cassette that passed under looser limits
    is read again, and refused, under stricter ones."""
    return f"{digest}-{_limits_tag(limits.current())}"


@functools.lru_cache(maxsize=8)
def _limits_tag(held: limits.Limits) -> str:
    bounds = (held.yaml_aliases, held.json_depth, held.decoded_size, held.line_length)
    return hashlib.sha256(repr(bounds).encode()).hexdigest()[:8]


def _remember(key: str, interactions: list[Interaction]) -> None:
    process.PARSED[key] = interactions
    if len(process.PARSED) > process.PARSED_LIMIT:
        process.PARSED.popitem(last=False)


# What identifies a file's content without reading it: inode, size, and modification and change
# times in nanoseconds (ctime cannot be set back by hand; a checkout or an edit always moves it).
Identity = tuple[int, int, int, int]
# A file changed this recently may change again within its file system's timestamp granularity
# (a second or two on some): its digest is not noted, so it is read and hashed again next time.
_SETTLED_NS = 3_000_000_000


def _identity(stat: os.stat_result) -> Identity:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


class StatIndex:
    """Cassette path -> (identity, content digest), kept in the pytest cache between sessions, so an
    unchanged cassette is found in the parse cache from one `stat`, as git's index finds unchanged
    files. Any change to the file changes its identity, and it is read and hashed as before."""

    FILE = "stat-index-v1.marshal"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._entries: dict[str, tuple[Identity, str]] | None = None
        self._noted: dict[str, tuple[Identity, str]] = {}

    def digest(self, path: str, identity: Identity | None) -> str | None:
        if identity is None:
            return None
        entry = self._noted.get(path) or self._read().get(path)
        return entry[1] if entry is not None and entry[0] == identity else None

    def note(self, path: str, identity: Identity | None, digest: str) -> None:
        if identity is None:
            return
        now = time.time_ns()
        if now - identity[2] < _SETTLED_NS or now - identity[3] < _SETTLED_NS:
            return
        if self._read().get(path) != (identity, digest):
            self._noted[path] = (identity, digest)

    def save(self) -> None:
        """Best effort and atomic, merged with what other processes (xdist workers) wrote since."""
        if not self._noted:
            return
        path = self.folder / self.FILE
        merged = read_marshal(path)
        merged.update(self._noted)
        if len(merged) > _STAT_INDEX_LIMIT:  # paths no longer used fall out, oldest first
            merged = dict(list(merged.items())[-_STAT_INDEX_LIMIT:])
        if not write_atomically(path, lambda handle: marshal.dump(merged, handle)):
            return
        self._entries = merged
        self._noted = {}

    def _read(self) -> dict[str, tuple[Identity, str]]:
        if self._entries is None:
            loaded = read_marshal(self.folder / self.FILE)
            self._entries = {
                path: entry
                for path, entry in loaded.items()
                if isinstance(path, str)
                and isinstance(entry, tuple)
                and len(entry) == 2
                and isinstance(entry[1], str)
                and isinstance(entry[0], tuple)
            }
        return self._entries


_STAT_INDEX_LIMIT = 100_000


def _stat_index(folder: Path) -> StatIndex:
    index = process.STAT_INDEXES.get(folder)
    if index is None:
        index = process.STAT_INDEXES[folder] = StatIndex(folder)
    return index


def save_stat_indexes() -> None:
    """Write what this session noted (the plugin calls it when the session finishes)."""
    for index in process.STAT_INDEXES.values():
        index.save()


def _left_encoded(headers: dict[str, list[str]]) -> bool:
    return any(name.lower() == "content-encoding" for name in headers)


def forget_parsed() -> None:
    """Drop the parsed cassettes held in memory (the plugin calls it when pytest is done with them)."""
    process.PARSED.clear()


# A cache of an older layout of Interaction is never read: the name carries the layout.
_CACHE_FORMAT = "interactions-v7.marshal"


def _read_cached(path: Path) -> list[Interaction] | None:
    from .model import Interaction

    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        # Our own cache, written by _write_cached below into the project's pytest cache: as trusted
        # as the project's .pyc files.
        return [Interaction.from_cached(fields) for fields in marshal.loads(data)]
    except Exception:  # a truncated or foreign file: parse the cassette instead
        return None


def _write_cached(path: Path, interactions: list[Interaction]) -> None:
    """Best effort and atomic (xdist workers share the cache): a failure only costs a parse later.
    Each interaction's response digest (which keys the remembered verdicts) is worked out here,
    once, and kept with it."""
    try:
        data = marshal.dumps([interaction.cached() for interaction in interactions])
    except ValueError:  # a value marshal cannot keep (a YAML timestamp in another tool's file)
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    write_atomically(path, lambda handle: handle.write(data))


_LOCK_TIMEOUT = 120.0


def _lock_dir() -> Path:
    # Outside the project: a lock file in the cassette folder would show up in `git status`.
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return Path(tempfile.gettempdir()) / f"pytest-claude-contract-{user}"


@contextmanager
def cassette_lock(path: Path) -> Iterator[Path]:
    """Hold the lock that serialises load-merge-save of `path` across processes (pytest-xdist
    workers); yields a per-cassette scratch path beside the lock (for small session notes)."""
    from filelock import FileLock, Timeout

    folder = _lock_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]
    lock = FileLock(str(folder / f"{name}.lock"), timeout=_LOCK_TIMEOUT)
    try:
        lock.acquire()
    except Timeout as exc:
        raise CassetteError(
            path, f"not written: another process held its lock for {_LOCK_TIMEOUT:.0f} s ({lock.lock_file})"
        ) from exc
    try:
        yield folder / name
    finally:
        lock.release()


def write_cassette(path: Path, interactions: list[Interaction], scrubber: Scrubber) -> None:
    """Write atomically: a temporary file in the same folder, then a rename; the file keeps its mode.
    Refuses a leak. A write that fails leaves the file as it was and no temporary file behind
    (CassetteError). Called under the cassette's lock (`cassette_lock`)."""
    from .formats import dump_cassette
    from .secret_search import CredentialLeft

    try:
        text = dump_cassette(interactions, scrubber)
    except CredentialLeft as exc:  # encoded where it cannot be replaced exactly: nothing is written
        raise CassetteError(path, f"not written: {exc}; the file on disk is as it was") from None
    leaked = sorted(set(scrubber.leaks(text)))
    if leaked:
        line = next(n for n, row in enumerate(text.splitlines(), 1) if any(s[:10] in row for s in leaked))
        raise CassetteError(
            path, f"not written: it would hold a credential ({', '.join(leaked)}) at line {line}", line
        )
    data = text.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CassetteError(path, f"not written: {exc.strerror or exc}") from exc
    # A run killed while writing this cassette left its temporary file: the caller holds the
    # cassette's lock, so no other writer of ours is using one now.
    for stale in temporary_files(path):
        with suppress(OSError):
            stale.unlink()
    try:
        replace_atomically(path, lambda handle: handle.write(data), durable=True)
    except OSError as exc:
        raise CassetteError(
            path, f"not written ({exc.strerror or exc}); the file on disk is as it was"
        ) from exc
