"""The loopback contract server's guards against clients that misbehave (see capture/server.py):
a bounded pool of worker threads, one memory budget for the request bodies held, large uploads
spooled to a file and known by their digest, socket reads and writes that wait only so long, and
handing memory back to the system after large bodies.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import json
import queue
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

MB = 1_000_000
READ_CHUNK = 64 * 1024
# Bodies up to this size are held whole whatever they are; a larger one is held only when the
# endpoint takes JSON (the checks and the match key parse it), else spooled (see SpooledUpload). A
# constant, not a setting: a recording and its replay must keep the same bodies whole.
KEEP_WHOLE = 8 * MB
KEPT_PREFIX = 1024  # how much of a spooled body the cassette keeps
POLL = 0.1  # how often an idle keep-alive connection looks whether a waiting one wants its worker
TRIM_AFTER = 1 * MB  # a body at least this large: collect garbage and trim the heap when it is done


# ---------------------------------------------------------------- the worker pool


class WorkerPool:
    """At most `size` worker threads, started as they are needed and kept. A connection gets a worker
    or waits (`run`); while one waits, one idle keep-alive connection gives its worker up (`claim`)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._slots = threading.Semaphore(size)
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0  # workers waiting for a job, not yet promised one
        self._wanted = 0  # a worker wanted by a waiting connection, for an idle one to give up
        self._saturated = False  # a wait timed out: until a worker frees, the next do not wait

    def run(self, job: Callable[[], None], timeout: float, stopping: Callable[[], bool]) -> bool:
        """Hand `job` to a worker; False when none was free within `timeout` (or the server stops)."""
        deadline = time.monotonic() + (0.0 if self._saturated else timeout)
        if not self._slots.acquire(blocking=False):
            with self._lock:
                self._wanted = 1
            try:
                while not self._slots.acquire(timeout=POLL):
                    if stopping() or time.monotonic() >= deadline:
                        self._saturated = True
                        return False
            finally:
                with self._lock:
                    self._wanted = 0
        with self._lock:
            if self._idle:
                self._idle -= 1
            else:
                thread = threading.Thread(target=self._work, name="claude-contract-worker", daemon=True)
                self._threads.append(thread)
                thread.start()
        self._jobs.put(job)
        return True

    def claim(self) -> bool:
        """An idle keep-alive connection asks: True when a waiting connection wants its worker."""
        with self._lock:
            if self._wanted:
                self._wanted = 0
                return True
        return False

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            finally:
                with self._lock:
                    self._idle += 1
                    self._saturated = False
                self._slots.release()

    def stop(self) -> None:
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._jobs.put(None)


# ---------------------------------------------------------------- the body memory budget


class BodyBudget:
    """Bytes of request bodies held in memory at once, for all connections. A body that would take the
    total over `size` waits for others to finish; one larger than `size` waits until it is alone. Small
    bodies (READ_CHUNK at most: a worker's read buffer) never wait."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.held = 0
        self._cond = threading.Condition()
        self._large = 0  # exchanges of large bodies not over yet

    def take(self, amount: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while amount > READ_CHUNK and self.held and self.held + amount > self.size:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            self.held += amount
            if amount >= TRIM_AFTER:
                self._large += 1
        return True

    def give(self, amount: int) -> None:
        with self._cond:
            self.held -= amount
            self._cond.notify_all()

    def large_done(self) -> bool:
        """A large body's exchange is over, everything it made freed: True when it was the last one,
        then the memory they took is to be handed back (`give_memory_back`)."""
        with self._cond:
            self._large -= 1
            return self._large == 0


def give_memory_back() -> None:
    """After a large body: collect its cycles (a miss report's diff makes some) and hand the freed heap
    back to the system (glibc keeps it otherwise, in each thread's arena)."""
    gc.collect()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _libc_function(name: str) -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim nor mallopt's options)
        return None


_MALLOC_TRIM: Callable[[int], int] | None = _libc_function("malloc_trim")
_M_MMAP_THRESHOLD = -3  # glibc's mallopt option


def map_large_allocations() -> bool:
    """Have glibc map every allocation of 1 MiB or more on its own, and unmap it when freed. By default
    its threshold rises to the size of the largest block freed (up to 32 MiB), after which large
    request bodies are carved from the worker threads' arenas, and many at once leave those arenas
    grown for good. Process-wide: the `serve` command calls it for its own process; the fixture
    leaves the test process's allocator alone. False where it cannot be set (not glibc)."""
    mallopt = _libc_function("mallopt")
    return bool(mallopt is not None and mallopt(_M_MMAP_THRESHOLD, 1 << 20))


# ---------------------------------------------------------------- bodies


class UploadDigest:
    """A multipart body's SHA-256 and first bytes with its (random) boundary written `BOUNDARY`, as
    the match key writes it, computed piece by piece as the body streams through."""

    def __init__(self, boundary: bytes | None) -> None:
        self._boundary = boundary
        self._tail = b""
        self._sha = hashlib.sha256()
        self.prefix = bytearray()
        self.size = 0

    def update(self, chunk: bytes | memoryview) -> None:
        boundary = self._boundary
        if not boundary:
            self._emit(chunk)
            return
        data = self._tail + chunk
        safe = len(data) - len(boundary) + 1  # a boundary starting from here may go on in the next chunk
        start = 0
        while (found := data.find(boundary, start)) >= 0:
            self._emit(data[start:found])
            self._emit(b"BOUNDARY")
            start = found + len(boundary)
        end = max(start, safe)
        self._emit(data[start:end])
        self._tail = data[end:]

    def _emit(self, data: bytes | memoryview) -> None:
        if data:
            self.size += len(data)
            self._sha.update(data)
            if len(self.prefix) < KEPT_PREFIX:
                self.prefix += data[: KEPT_PREFIX - len(self.prefix)]

    def kept(self) -> bytes:
        """The body as the recorder knows it (see `kept_form`), once all of it went through `update`."""
        self._emit(self._tail)
        self._tail = b""
        return kept_form(bytes(self.prefix), self.size, self._sha.hexdigest(), self._boundary is not None)


@dataclass(slots=True)
class SpooledUpload:
    """An upload too large to hold, to an endpoint that takes no JSON: written to a temporary file as
    it arrives (when it may go upstream), and known to the recorder by what `kept` says of it - its
    first KEPT_PREFIX bytes and its SHA-256, boundary taken out - which the cassette records and
    replay matches. The same upload made through the marker is recorded whole: such a cassette
    replays through the marker, not through the server."""

    size: int
    kept: bytes
    file: IO[bytes] | None

    def chunks(self) -> Iterator[bytes]:
        assert self.file is not None
        self.file.seek(0)
        while chunk := self.file.read(READ_CHUNK):
            yield chunk


def kept_form(prefix: bytes, size: int, digest: str, multipart: bool) -> bytes:
    """What the recorder gets of a spooled body: its first bytes, then a note with its size and its
    SHA-256. Both are of the body as the match key sees it (a multipart boundary written BOUNDARY), so
    that the same upload under another boundary gives the same bytes."""
    boundary = ", its multipart boundary written BOUNDARY" if multipart else ""
    note = (
        f"\n[pytest-claude-contract: a body of {size:,} bytes{boundary}; over the {KEEP_WHOLE:,} bytes "
        f"the contract server keeps whole, it is kept as its first {len(prefix):,} bytes and its sha256 "
        f"{digest}]"
    )
    return prefix + note.encode()


# ---------------------------------------------------------------- the connection's socket, and a 503


class SocketReader(io.RawIOBase):
    """The socket as a handler's rfile reads it, through the handler's `recv_into`, which waits only
    as long as the handler's phase allows (see `_Handler._recv_into` in capture/server.py). The
    handler sets `recv_into` to None when it is done: no reference cycle keeps its buffers."""

    def __init__(self, recv_into: Callable[[Any], int]) -> None:
        self.recv_into: Callable[[Any], int] | None = recv_into

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.recv_into is None:
            raise ValueError("the connection is finished")
        return self.recv_into(buffer)


class SocketWriter(io.BufferedIOBase):
    """The socket as the handler writes it, 64 KB at a time, each within `send_timeout`."""

    def __init__(self, connection: socket.socket, timeout: float) -> None:
        self._connection = connection
        self._timeout = timeout

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        for start in range(0, len(view), READ_CHUNK):
            self._connection.settimeout(self._timeout)
            self._connection.sendall(view[start : start + READ_CHUNK])
        return len(view)


def answer_overloaded(connection: socket.socket, workers: int) -> None:
    """Every worker is busy and stayed so: 503 overloaded_error (retryable), then close."""
    message = (
        f"The Claude contract server is serving {workers} connections, its limit (max_workers); "
        "try again shortly."
    )
    body = json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": message}}).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nretry-after: 1\r\nx-claude-contract: refused\r\n"
        "connection: close\r\n\r\n"
    )
    try:
        connection.setblocking(False)
        with contextlib.suppress(BlockingIOError):  # read what it sent, or closing would reset
            for _ in range(16):
                if not connection.recv(READ_CHUNK):
                    break
        connection.settimeout(0.5)
        connection.sendall(head.encode() + body)
        connection.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        connection.close()
