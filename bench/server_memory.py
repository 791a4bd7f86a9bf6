"""Memory of the contract server under large requests: one refused upload, concurrent uploads
recorded upstream, a run of large misses, and large misses at once.

Starts `pytest-claude-contract serve` in a subprocess and reads its memory from /proc/<pid>/status:
the growth of its peak resident set (VmHWM) over its peak before the load, and for misses its
resident set (VmRSS) after them against before. Each scenario has a limit; the script prints PASS or
FAIL (exit code 1 on any FAIL). Request bodies are generated 1 MB at a time (one buffer, reused):
the client never holds more.

- `refused` (the default): `POST /v1/messages` with `content-length: 600000000`, replaying an empty
  cassette. The server answers 413 request_too_large and drains the body in 64 KB pieces: growth
  under 32 MB (the Messages limit).
- `uploads`: four 400 MB multipart uploads to `POST /v1/files` (limit 500 MB) at once, in record mode
  (`--record-mode all`) to an upstream in this process that reads and drops what it gets. The server
  spools each to a temporary file and sends it upstream from there, recording its digest: growth
  under 64 MB for the four together.
- `misses`: eight 20 MB `POST /v1/messages` bodies the cassette does not hold (replaying a one-
  interaction cassette), one after the other. Each is answered 404 with a miss report of a few KB;
  the resident set after the eight must be within 32 MB of where it was after one small miss.
- `crowd`: eight 30 MB misses at once. Bodies held whole (JSON: the checks, the match key and the miss
  report read them) share the server's body memory budget (32 MB: one such body at a time, the
  others wait for room); the miss report's diff costs a few times the body while it is made. Peak
  growth under 400 MB, and the resident set back within 32 MB of where it was.

    /work/venv/bin/python bench/server_memory.py [--scenario refused|uploads|misses|crowd|all] [--mb N]

Linux only (/proc). A script, not a test: it moves up to 1.6 GB through loopback (tens of seconds).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CHUNK = b"x" * 1_000_000
KEY_HEADERS = "x-api-key: bench\r\nanthropic-version: 2023-06-01\r\n"
CASSETTE = """interactions:
- request:
    body: '{"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}'
    headers:
      anthropic-version: ['2023-06-01']
      content-type: [application/json]
      x-api-key: [redacted-by-claude-contract]
    method: POST
    uri: https://api.anthropic.com/v1/messages
  response:
    body: {string: '{"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6", "content": [{"type": "text", "text": "Hello"}], "stop_reason": "end_turn", "stop_sequence": null, "usage": {"input_tokens": 1, "output_tokens": 1}}'}
    headers:
      content-type: [application/json]
      request-id: [req_1]
    status: {code: 200, message: OK}
version: 1
"""


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


class _Drain(BaseHTTPRequestHandler):
    """The upstream: reads the body and drops it, answers a small JSON."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        left = int(self.headers.get("content-length") or 0)
        while left > 0 and (chunk := self.rfile.read(min(1 << 20, left))):
            left -= len(chunk)
        body = json.dumps({"id": "file_1", "type": "file", "size_bytes": 0}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("request-id", "req_1")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int

    def kb(self, field: str) -> int:
        return status_kb(self.process.pid, field)


def start(cassette: Path, *extra: str) -> Server:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_claude_contract", "serve", "--cassette", str(cassette), *extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().split()[2]
    threading.Thread(target=process.stdout.read, daemon=True).start()  # the log, never read back
    time.sleep(0.5)  # let the process settle after start-up imports
    return Server(process, int(url.rpartition(":")[2]))


def stop(server: Server) -> None:
    server.process.terminate()
    server.process.wait(timeout=120)


def send(port: int, head: str, megabytes: int, prefix: bytes = b"", suffix: bytes = b"") -> str:
    """One request whose body is `prefix`, `megabytes` MB of x, `suffix`; the status line back."""
    with socket.create_connection(("127.0.0.1", port), timeout=300) as sock:
        sock.sendall(head.encode() + prefix)
        for _ in range(megabytes):
            sock.sendall(CHUNK)
        sock.sendall(suffix)
        sock.shutdown(socket.SHUT_WR)
        answer = sock.makefile("rb").read().decode("latin-1")
    return answer.split("\r\n", 1)[0]


def concurrently(count: int, job: Any) -> list[str]:
    results: list[str] = [""] * count

    def run(index: int) -> None:
        results[index] = job(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def refused(folder: Path, megabytes: int) -> bool:
    cassette = folder / "empty.yaml"
    cassette.write_text("interactions: []\nversion: 1\n")
    server = start(cassette)
    try:
        before = server.kb("VmHWM")
        head = (
            f"POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\n{KEY_HEADERS}content-type: application/json\r\n"
            f"content-length: {megabytes * len(CHUNK)}\r\n\r\n"
        )
        started = time.monotonic()
        status = send(server.port, head, megabytes)
        seconds = time.monotonic() - started
        after = server.kb("VmHWM")
    finally:
        stop(server)
    growth = (after - before) / 1024
    ok = growth < 32 and " 413 " in status
    print(f"refused: one {megabytes} MB upload in {seconds:.1f} s -> {status}")
    print(
        f"  peak RSS {before / 1024:.1f} -> {after / 1024:.1f} MB, growth {growth:.2f} MB (limit 32): {verdict(ok)}"
    )
    return ok


def uploads(folder: Path, megabytes: int, count: int = 4) -> bool:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Drain)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    server = start(
        folder / "uploads.yaml",
        "--record-mode",
        "all",
        "--upstream",
        f"http://127.0.0.1:{upstream.server_port}",
    )
    try:
        before = server.kb("VmHWM")

        def upload(index: int) -> str:
            boundary = f"bench-boundary-{index}"
            prefix = (
                f'--{boundary}\r\ncontent-disposition: form-data; name="file"; filename="big{index}.bin"\r\n'
                "content-type: application/octet-stream\r\n\r\n"
            ).encode()
            suffix = f"\r\n--{boundary}--\r\n".encode()
            size = len(prefix) + megabytes * len(CHUNK) + len(suffix)
            head = (
                f"POST /v1/files HTTP/1.1\r\nhost: 127.0.0.1\r\n{KEY_HEADERS}"
                f"content-type: multipart/form-data; boundary={boundary}\r\ncontent-length: {size}\r\n"
                "connection: close\r\n\r\n"
            )
            return send(server.port, head, megabytes, prefix, suffix)

        started = time.monotonic()
        statuses = concurrently(count, upload)
        seconds = time.monotonic() - started
        after = server.kb("VmHWM")
    finally:
        stop(server)
        upstream.shutdown()
    growth = (after - before) / 1024
    ok = growth < 64 and all(" 200 " in s for s in statuses)
    recorded = (folder / "uploads.yaml").stat().st_size
    print(
        f"uploads: {count} x {megabytes} MB to /v1/files at once, recorded upstream, in {seconds:.1f} s -> {set(statuses)}"
    )
    print(f"  cassette {recorded:,} bytes")
    print(
        f"  peak RSS {before / 1024:.1f} -> {after / 1024:.1f} MB, growth {growth:.2f} MB (limit 64): {verdict(ok)}"
    )
    return ok


def crowd(folder: Path, megabytes: int = 30, count: int = 8) -> bool:
    cassette = folder / "crowd.yaml"
    cassette.write_text(CASSETTE)
    server = start(cassette)
    try:
        before, peak_before = server.kb("VmRSS"), server.kb("VmHWM")

        def post(index: int) -> str:
            prefix = (
                b'{"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "'
            )
            suffix = f'{index}"}}]}}'.encode()
            size = len(prefix) + megabytes * len(CHUNK) + len(suffix)
            head = (
                f"POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\n{KEY_HEADERS}content-type: application/json\r\n"
                f"content-length: {size}\r\nconnection: close\r\n\r\n"
            )
            return send(server.port, head, megabytes, prefix, suffix)

        started = time.monotonic()
        statuses = concurrently(count, post)
        seconds = time.monotonic() - started
        time.sleep(0.5)  # the server hands memory back after it answered
        after, peak = server.kb("VmRSS"), server.kb("VmHWM")
    finally:
        stop(server)
    growth, back = (peak - peak_before) / 1024, (after - before) / 1024
    ok = growth < 400 and back < 32 and all(" 404 " in s for s in statuses)
    print(f"crowd: {count} x {megabytes} MB misses at once in {seconds:.1f} s -> {set(statuses)}")
    print(f"  peak RSS {peak_before / 1024:.1f} -> {peak / 1024:.1f} MB, growth {growth:.2f} MB (limit 400)")
    print(
        f"  RSS {before / 1024:.1f} MB before, {after / 1024:.1f} MB after: {back:+.2f} MB (limit 32): {verdict(ok)}"
    )
    return ok


def misses(folder: Path, megabytes: int = 20, count: int = 8) -> bool:
    cassette = folder / "one.yaml"
    cassette.write_text(CASSETTE)
    server = start(cassette)

    def miss(size: int) -> str:
        prefix = (
            b'{"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "'
        )
        suffix = b'"}]}'
        body = prefix + b"y" * size + suffix
        head = (
            f"POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\n{KEY_HEADERS}content-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", server.port), timeout=300) as sock:
            sock.sendall(head.encode() + body)
            answer = sock.makefile("rb").read()
        status = answer.partition(b"\r\n")[0].decode()
        return f"{status} ({len(answer):,} bytes)"

    try:
        miss(1000)
        time.sleep(0.5)
        before, peak_before = server.kb("VmRSS"), server.kb("VmHWM")
        started = time.monotonic()
        answers = [miss(megabytes * len(CHUNK)) for _ in range(count)]
        seconds = time.monotonic() - started
        time.sleep(0.5)  # the server hands memory back after it answered
        after, peak = server.kb("VmRSS"), server.kb("VmHWM")
    finally:
        stop(server)
    growth = (after - before) / 1024
    ok = growth < 32 and all(" 404 " in a for a in answers)
    print(
        f"misses: {count} x {megabytes} MB, one after the other, in {seconds:.1f} s -> {sorted(set(answers))}"
    )
    print(f"  peak RSS {peak_before / 1024:.1f} -> {peak / 1024:.1f} MB while they were answered")
    print(
        f"  RSS {before / 1024:.1f} MB after one small miss, {after / 1024:.1f} MB after them: {growth:+.2f} MB (limit 32): {verdict(ok)}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenario", default="refused", choices=["refused", "uploads", "misses", "crowd", "all"]
    )
    parser.add_argument("--mb", type=int, default=None, help="upload size in MB (refused: 600, uploads: 400)")
    args = parser.parse_args()
    chosen = ["refused", "uploads", "misses", "crowd"] if args.scenario == "all" else [args.scenario]
    results = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for scenario in chosen:
            if scenario == "refused":
                results.append(refused(folder, args.mb or 600))
            elif scenario == "uploads":
                results.append(uploads(folder, args.mb or 400))
            elif scenario == "crowd":
                results.append(crowd(folder))
            else:
                results.append(misses(folder))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
