"""Record the example cassettes against the loopback stand-in of the Claude API.

No machine of this project reaches the real API, so the shipped cassettes were recorded against
tests/fake_api.py, which answers as the API does (headers included). Run from the repository root:

    python examples/record.py

Arguments are handed to pytest: the SDK 0.x and 1.x environments of tox.ini, whose SDKs send
`anthropic-version: 2023-06-01` (part of the match key), replay their own cassettes, recorded with
`python examples/record.py -o claude_cassette_dir=cassettes/sdk-2023-06-01` under such an SDK.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_api import FakeClaudeAPI  # noqa: E402


def main() -> int:
    with FakeClaudeAPI(gzip_responses=True) as server:
        env = {
            **os.environ,
            "ANTHROPIC_BASE_URL": server.url,
            "EXAMPLES_EXTRA_HOST": server.host,
            # A throwaway key: the stand-in checks none, and the plugin scrubs it anyway.
            "ANTHROPIC_API_KEY": "example-recording-key-0000",
        }
        env.pop("CI", None)
        command = [
            sys.executable,
            "-m",
            "pytest",
            "examples",
            "--claude-record-mode=rewrite",
            "-q",
            *sys.argv[1:],
        ]
        return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
