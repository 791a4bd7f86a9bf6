"""Peak memory of the contract server while a 600 MB upload streams into it.

Starts `pytest-claude-contract serve` (replaying an empty cassette) in a subprocess, sends it
`POST /v1/messages` with `content-length: 600000000` and the body generated 1 MB at a time (one
buffer, reused: the client never holds more), reads the 413 answer, and prints the growth of the
server process's peak resident set (VmHWM in /proc/<pid>/status) over its peak before the upload.
The server must answer 413 request_too_large and drain the body in bounded chunks: the growth has
to stay under 32 MB (the Messages limit), which it reports as PASS or FAIL (exit code 1).

    /work/venv/bin/python bench/server_memory.py [--mb 600]

Linux only (/proc). A script, not a test: it moves 600 MB through loopback (a few seconds).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_MB = 32
CHUNK = b"x" * 1_000_000


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/<pid>/status")


def upload(port: int, megabytes: int) -> tuple[str, float]:
    head = (
        "POST /v1/messages HTTP/1.1\r\n"
        f"host: 127.0.0.1:{port}\r\n"
        "x-api-key: bench\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
        f"content-length: {megabytes * len(CHUNK)}\r\n\r\n"
    )
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head.encode())
        for _ in range(megabytes):
            sock.sendall(CHUNK)
        sock.shutdown(socket.SHUT_WR)
        answer = sock.makefile("rb").read().decode()
    return answer, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=600, help="upload size in MB (default 600)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cassette = Path(folder) / "empty.yaml"
        cassette.write_text("interactions: []\nversion: 1\n")
        server = subprocess.Popen(
            [sys.executable, "-m", "pytest_claude_contract", "serve", "--cassette", str(cassette)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = server.stdout.readline().split()[2]
            port = int(url.rpartition(":")[2])
            time.sleep(0.5)  # let the process settle after start-up imports
            before = peak_rss_kb(server.pid)
            answer, seconds = upload(port, args.mb)
            after = peak_rss_kb(server.pid)
        finally:
            server.terminate()
            server.communicate(timeout=30)
    status = answer.split("\r\n", 1)[0]
    error = json.loads(answer.partition("\r\n\r\n")[2])["error"]["type"]
    growth_mb = (after - before) / 1024
    verdict = "PASS" if growth_mb < LIMIT_MB and " 413 " in status else "FAIL"
    print(f"upload: {args.mb} MB in {seconds:.1f} s -> {status} ({error})")
    print(f"server peak RSS: {before / 1024:.1f} MB before, {after / 1024:.1f} MB after")
    print(f"peak RSS growth: {growth_mb:.2f} MB (must be under {LIMIT_MB} MB): {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
