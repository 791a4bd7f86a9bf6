"""Peak memory of the marker checking one large request in check-only mode (`cassette=False`).

Runs a pytest session (a subprocess) whose one test, marked `claude_contract(cassette=False)`, sends
`POST /v1/messages/batches` (limit 256 MB) with a JSON body of --mb megabytes through httpx to a
loopback server of this script that drains the body and answers like the API. The test reads its
own peak resident set (VmHWM) after building the body and again after the exchange was checked, and
prints the growth: what the plugin (vcrpy's stub, the capture, the match key, the checks) adds on
top of the body the client already holds.

    bench/.venvs/main/bin/python bench/marker_memory.py [--mb 200]

Linux only (/proc). A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TEST = r"""
import json, os, time
from pathlib import Path
import httpx
import pytest

def peak_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

@pytest.mark.claude_contract(cassette=False, hosts=[os.environ["HOST"]])
def test_large_batch(claude_contract):
    item = {"custom_id": "", "params": {"model": "claude-sonnet-4-6", "max_tokens": 16,
            "messages": [{"role": "user", "content": "x" * 10_000}]}}
    count = int(os.environ["MB"]) * 100  # about 10 KB per item
    parts = []
    for n in range(count):
        item["custom_id"] = f"item-{n}"
        parts.append(json.dumps(item))
    body = ('{"requests": [' + ",".join(parts) + "]}").encode()
    del parts
    before = peak_mb()
    started = time.perf_counter()
    response = httpx.post(os.environ["URL"] + "/v1/messages/batches", content=body, timeout=600,
                          headers={"x-api-key": "k" * 40, "anthropic-version": "2023-06-01",
                                   "content-type": "application/json"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert len(claude_contract.exchanges) == 1
    print(f"\nRESULT body {len(body) / 1e6:.1f} MB, peak before {before:.0f} MB, "
          f"after {peak_mb():.0f} MB, growth {peak_mb() - before:.0f} MB, {elapsed:.1f} s, "
          f"violations {[v.rule for v in claude_contract.violations]}")
"""

ANSWER = json.dumps(
    {
        "id": "msgbatch_01",
        "type": "message_batch",
        "processing_status": "in_progress",
        "request_counts": {"processing": 1, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
        "ended_at": None,
        "created_at": "2026-11-25T00:00:00Z",
        "expires_at": "2026-11-26T00:00:00Z",
        "cancel_initiated_at": None,
        "results_url": None,
    }
).encode()


class Drain(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        left = int(self.headers["content-length"])
        while left:
            left -= len(self.rfile.read(min(left, 1 << 20)))
        self.send_response(200)
        for name, value in (
            ("content-type", "application/json"),
            ("content-length", str(len(ANSWER))),
            ("request-id", "req_01"),
            ("anthropic-organization-id", "org-bench"),
        ):
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(ANSWER)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Drain)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "test_large.py").write_text(TEST)
        env = {
            "URL": f"http://{host}:{port}",
            "HOST": f"{host}:{port}",
            "MB": str(args.mb),
            "PATH": "/usr/bin:/bin",
        }
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "test_large.py"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    server.shutdown()
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT")]
    if result.returncode != 0 or not lines:
        print(result.stdout[-3000:], result.stderr[-2000:])
        sys.exit(1)
    print(lines[0].removeprefix("RESULT "), f"(session {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
