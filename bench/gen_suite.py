"""Generate the 500-test replay suite, once per arm, and record each arm's cassettes in its own format.

Every test makes the same calls through the anthropic SDK, with a client built once per module:
`--calls two` (the default, in bench/out/suite) one plain `messages.create` and one `messages.stream`;
`--calls one` (in bench/out/suite-one) one plain `messages.create`. The arms differ only in who answers:

  a  pytest-recording  @pytest.mark.vcr, vcrpy cassettes         (bench/.venvs/main, -p no:claude_contract)
  b  this plugin       @pytest.mark.claude_contract, checks on    (bench/.venvs/main, -p no:recording)
  c  floor             httpx2.MockTransport answering from a dict (bench/.venvs/main, both plugins off)
  d  cassetter         @pytest.mark.vcr, cassetter's own format   (bench/.venvs/cassetter)

The loopback stand-in of the API (tests/fake_api.py) runs only while recording; it is stopped before
this script returns, so every later run replays (a request that reached the network would fail: the
port is closed and the clients have max_retries=0).

    bench/.venvs/main/bin/python bench/gen_suite.py [OUT_DIR] [--calls two|one] [--modules 10 --tests-per-module 50]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENVS = BENCH / ".venvs"
MAIN_PY = VENVS / "main" / "bin" / "python"
CASSETTER_PY = VENVS / "cassetter" / "bin" / "python"
API_KEY = "bench-recording-key-0000000000"
ARMS = ("a", "b", "c", "d")
# The SDK calls each test makes, in order, per suite; and where each suite goes by default.
CALLS = {"two": ("create", "stream"), "one": ("create",)}
SUITE_DIR = {"two": BENCH / "out" / "suite", "one": BENCH / "out" / "suite-one"}

# Per arm: the python, the pytest plugins switched off, and how to record.
ARM_PYTHON = {"a": MAIN_PY, "b": MAIN_PY, "c": MAIN_PY, "d": CASSETTER_PY}
ARM_DISABLE = {
    "a": ["-p", "no:claude_contract"],
    "b": ["-p", "no:recording"],
    "c": ["-p", "no:claude_contract", "-p", "no:recording"],
    "d": [],
}
ARM_RECORD = {
    "a": ["--record-mode=once"],
    "b": ["--claude-record-mode=once"],
    "c": [],  # BENCH_CAPTURE=1: the conftest captures the stand-in's answers into floor_data/
    "d": ["--record-mode=once"],
}
COMMON = ["-q", "-o", "addopts="]  # the cache provider on, as users run pytest


def pytest_command(arm: str, *extra: str) -> list[str]:
    return [str(ARM_PYTHON[arm]), "-m", "pytest", *COMMON, *ARM_DISABLE[arm], *extra]


def replay_env() -> dict[str, str]:
    """The environment every replay runs with: no key from outside, no proxy, CI set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "PYTEST_"))}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env.pop(name, None)
    env["CI"] = "true"
    # Bytecode is written and reused, as on a user's machine: an installed package (arms a, d) comes
    # with .pyc files, and the plugin's editable install must not be compiled on every run instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


TEST_HEAD = """
def test_{n:03d}(client):
"""
# One snippet per kind of call; a test's body is the snippets of its suite's calls, in order.
CALL_TEMPLATE = {
    "create": """\
    message = client.messages.create(
        model=MODEL, max_tokens=256, messages=[{{"role": "user", "content": PROMPT + "question {m}-{n}"}}]
    )
    assert message.content[0].text.endswith("question {m}-{n}")
""",
    "stream": """\
    with client.messages.stream(
        model=MODEL, max_tokens=256, messages=[{{"role": "user", "content": PROMPT + "stream {m}-{n}"}}]
    ) as stream:
        text = "".join(stream.text_stream)
    assert text.endswith("stream {m}-{n}")
""",
}


def calls_label(calls: str) -> str:
    kinds = CALLS[calls]
    return f"{len(kinds)} SDK call{'s' if len(kinds) != 1 else ''} ({' + '.join(kinds)})"


def render_test(calls: str, m: int, n: int) -> str:
    return "".join(t.format(m=m, n=n) for t in (TEST_HEAD, *(CALL_TEMPLATE[c] for c in CALLS[calls])))


MODULE_HEAD = {
    "a": "import pytest\n\npytestmark = pytest.mark.vcr\n",
    "b": "import pytest\n\npytestmark = pytest.mark.claude_contract\n",
    "c": "",
    "d": "import pytest\n\npytestmark = pytest.mark.vcr\n",
}

CLIENT_FIXTURE = """
import anthropic
import pytest

BASE_URL = {base_url!r}
API_KEY = {api_key!r}


@pytest.fixture(scope="module")
def client():
    return anthropic.Anthropic(base_url=BASE_URL, api_key=API_KEY, max_retries=0)
"""

CONFTEST = {
    "a": CLIENT_FIXTURE
    + """

@pytest.fixture(scope="module")
def vcr_config():
    return {"filter_headers": ["authorization", "x-api-key"]}
""",
    "b": CLIENT_FIXTURE
    + """

@pytest.fixture(scope="module")
def claude_contract_config():
    # The stand-in the cassettes were recorded against is one more host to check.
    return {"hosts": ["api.anthropic.com", BASE_URL.split("://", 1)[1]]}
""",
    "d": CLIENT_FIXTURE,
    "c": '''
import json
import os
from pathlib import Path

import anthropic
import httpx2
import pytest

BASE_URL = {base_url!r}
API_KEY = {api_key!r}
DATA = Path(__file__).parent / "floor_data"
DROP = {{"content-encoding", "content-length", "transfer-encoding", "connection"}}


def _key(request):
    body = json.loads(request.content)
    return ("stream" if body.get("stream") else "plain") + ":" + body["messages"][-1]["content"]


def _capturing(module):
    """Recording only: a real transport to the stand-in that keeps each answer for the floor."""
    captured = {{}}
    real = httpx2.HTTPTransport()

    def handler(request):
        response = real.handle_request(request)
        response.read()
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in DROP]
        captured[_key(request)] = [response.status_code, headers, response.content.decode()]
        return httpx2.Response(response.status_code, headers=headers, content=response.content)

    return handler, captured


def _replaying(module):
    answers = {{
        key: (status, headers, body.encode())
        for key, (status, headers, body) in json.loads((DATA / f"{{module}}.json").read_text()).items()
    }}

    def handler(request):
        status, headers, body = answers[_key(request)]
        return httpx2.Response(status, headers=headers, content=body)

    return handler, None


@pytest.fixture(scope="module")
def client(request):
    module = request.module.__name__
    capture = os.environ.get("BENCH_CAPTURE") == "1"
    handler, captured = (_capturing if capture else _replaying)(module)
    http_client = httpx2.Client(transport=httpx2.MockTransport(handler))
    yield anthropic.Anthropic(base_url=BASE_URL, api_key=API_KEY, max_retries=0, http_client=http_client)
    if capture:
        DATA.mkdir(exist_ok=True)
        (DATA / f"{{module}}.json").write_text(json.dumps(captured))
''',
}

PROMPT = (
    "You are a support assistant for a bank. Answer briefly and cite the policy section. "
    "Customer context: premium account, two cards, one open dispute. "
)


def write_suite(arm: str, folder: Path, base_url: str, modules: int, per_module: int, *, calls: str) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "conftest.py").write_text(
        CONFTEST[arm].format(base_url=base_url, api_key=API_KEY)
        if arm == "c"
        else CONFTEST[arm].replace("{base_url!r}", repr(base_url)).replace("{api_key!r}", repr(API_KEY))
    )
    for m in range(modules):
        body = [
            '"""Generated by bench/gen_suite.py."""\n',
            MODULE_HEAD[arm],
            f'\nMODEL = "claude-sonnet-4-6"\nPROMPT = {PROMPT!r}\n',
        ]
        body += [render_test(calls, m, n) for n in range(per_module)]
        (folder / f"test_mod_{m:02d}.py").write_text("".join(body))


def record(arm: str, folder: Path) -> None:
    env = replay_env()
    env.pop("CI")
    env["ANTHROPIC_API_KEY"] = API_KEY
    if arm == "c":
        env["BENCH_CAPTURE"] = "1"
    result = subprocess.run(
        pytest_command(arm, *ARM_RECORD[arm], "-p", "no:xdist"),
        cwd=folder,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
    tail = result.stdout.strip().splitlines()[-1:] or ["(no output)"]
    print(f"  recorded arm {arm}: {tail[0]}")
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"recording arm {arm} failed")


def cassette_stats(arm: str, folder: Path) -> str:
    if arm == "c":
        files = list((folder / "floor_data").glob("*.json"))
    else:
        files = [p for p in folder.rglob("*.yaml") if "floor_data" not in p.parts]
    size = sum(p.stat().st_size for p in files)
    return f"{len(files)} files, {size / 1e6:.2f} MB"


def generate(
    out: Path, modules: int, per_module: int, arms: tuple[str, ...] = ARMS, calls: str = "two"
) -> dict[str, Path]:
    sys.path.insert(0, str(ROOT / "tests"))
    from fake_api import FakeClaudeAPI

    out.mkdir(parents=True, exist_ok=True)
    folders = {arm: out / f"suite_{arm}" for arm in arms}
    with FakeClaudeAPI() as server:
        for arm in arms:
            write_suite(arm, folders[arm], server.url, modules, per_module, calls=calls)
            record(arm, folders[arm])
        served = len(server.requests) if hasattr(server, "requests") else None
    # The stand-in is stopped from here on: every later run is a replay.
    for arm in arms:
        print(f"  arm {arm} cassettes: {cassette_stats(arm, folders[arm])}")
    if served is not None:
        print(f"  stand-in served {served} requests while recording; now stopped")
    (out / "suites.json").write_text(
        json.dumps(
            {
                "modules": modules,
                "per_module": per_module,
                "calls": calls,
                "folders": {a: str(p) for a, p in folders.items()},
            }
        )
    )
    return folders


def suite_meta(suite: Path) -> dict:
    """A generated suite's suites.json; suites generated before --calls existed are two-call ones."""
    return {"calls": "two", **json.loads((suite / "suites.json").read_text())}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "out", type=Path, nargs="?", help="default: bench/out/suite, or suite-one for --calls one"
    )
    parser.add_argument("--calls", choices=tuple(CALLS), default="two")
    parser.add_argument("--modules", type=int, default=10)
    parser.add_argument("--tests-per-module", type=int, default=50)
    parser.add_argument("--arms", default="abcd")
    args = parser.parse_args()
    out = args.out or SUITE_DIR[args.calls]
    generate(out, args.modules, args.tests_per_module, tuple(args.arms), args.calls)


if __name__ == "__main__":
    main()
