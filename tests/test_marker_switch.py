"""Switching a pytest-recording suite's `@pytest.mark.vcr` to `@pytest.mark.claude_contract`, with no
cassette moved: the layout lookup, `cassette=` paths under the rootdir, the suite's `vcr_config`
honoured, and `match_on=` (vcrpy's matcher names and functions).

The suites are recorded with pytest-recording itself (`--record-mode=once`) against the loopback
stand-ins, then the marker is switched and they replay offline, the way CI runs them.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

# Imported before any pytester run (see tests/conftest.py): in-process runs restore sys.modules.
import anthropic  # noqa: F401
import httpx  # noqa: F401
import pytest
import requests  # noqa: F401
import yaml
from helpers import go_offline, interactions

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from fake_api import FakeClaudeAPI

MODEL = "claude-sonnet-4-6"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))  # an "image": the bytes matter, not the picture


class _Images(BaseHTTPRequestHandler):
    """A second host, not Claude's: serves an image, and echoes anything else as JSON."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/cat.png"):
            payload, kind = PNG, "image/png"
        else:
            payload, kind = b'{"echo": %d}' % len(body), "application/json"
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _answer


@pytest.fixture
def images(monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    monkeypatch.setenv("IMAGES_URL", f"http://127.0.0.1:{server.server_address[1]}")
    yield server
    stop(server)


def stop(server: ThreadingHTTPServer) -> None:
    if server.socket.fileno() != -1:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- a pytest-recording suite, switched

# Modelled on real suites: credentials filtered, the response headers stripped by a hook, matching on
# method and URI only (their prompts change between runs).
RECORDING_CONFTEST = """
import pytest


def keep_few_response_headers(response):
    keep = ("content-type", "content-encoding", "transfer-encoding")
    response["headers"] = {k: v for k, v in response["headers"].items() if k.lower() in keep}
    return response


@pytest.fixture(scope="module")
def vcr_config():
    return {
        "filter_headers": ["x-api-key", "authorization"],
        "before_record_response": keep_few_response_headers,
        "match_on": ["method", "uri"],
    }
"""

RECORDING_SUITE = f"""
import base64
import os
import uuid

import anthropic
import httpx
import pytest
import requests

MODEL = {MODEL!r}


def ask(content):
    client = anthropic.Anthropic(max_retries=0)
    message = client.messages.create(model=MODEL, max_tokens=64, messages=[{{"role": "user", "content": content}}])
    return message.content[0].text


@MARK
def test_create():
    assert ask("Hello") == "Echo: Hello"


@MARK
def test_random_prompt():
    assert ask(f"Say {{uuid.uuid4().hex}}").startswith("Echo: Say ")


@MARK
def test_stream_gzip():
    client = anthropic.Anthropic(max_retries=0)
    messages = [{{"role": "user", "content": "Stream please"}}]
    with client.messages.stream(model=MODEL, max_tokens=64, messages=messages) as stream:
        text = "".join(stream.text_stream)
    assert text == "Echo: Stream please"


@MARK
def test_image_from_another_host():
    png = httpx.get(os.environ["IMAGES_URL"] + "/cat.png").content
    image = {{"type": "base64", "media_type": "image/png", "data": base64.b64encode(png).decode()}}
    content = [{{"type": "image", "source": image}}, {{"type": "text", "text": "What is this?"}}]
    assert ask(content) == "Echo: What is this?"


@MARK
def test_requests_library():
    response = requests.post(
        os.environ["FAKE_API_URL"] + "/v1/messages",
        headers={{
            "x-api-key": os.environ["ANTHROPIC_API_KEY"],
            "anthropic-version": "2023-06-01",
            "content-type": "application/json",
        }},
        json={{"model": MODEL, "max_tokens": 64, "messages": [{{"role": "user", "content": "Hi"}}]}},
    )
    assert response.json()["content"][0]["text"] == "Echo: Hi"


class TestModels:
    @MARK
    def test_list(self):
        page = anthropic.Anthropic(max_retries=0).models.list()
        assert page.data[0].id


@MARK
@pytest.mark.parametrize("prompt", ["a/b", "c:d"])
def test_parametrized(prompt):
    assert ask(prompt) == f"Echo: {{prompt}}"
"""

# A module of the same suite that matches as the plugin does by default (its own vcr_config).
DEFAULT_MATCH_SUITE = f"""
import anthropic
import pytest


@pytest.fixture(scope="module")
def vcr_config():
    return {{"filter_headers": ["x-api-key"]}}


@MARK
def test_fixed_prompt():
    client = anthropic.Anthropic(max_retries=0)
    message = client.messages.create(model={MODEL!r}, max_tokens=64, messages=[{{"role": "user", "content": "Fixed"}}])
    assert message.content[0].text == "Echo: Fixed"
"""

VCR = "pytest.mark.vcr"
CLAUDE = "pytest.mark.claude_contract"


def write_suite(pytester: pytest.Pytester, marker: str, conftest: str = RECORDING_CONFTEST) -> None:
    """The suite in `tests/`, as projects keep it (pytest-recording's cassettes: tests/cassettes/)."""
    tests = pytester.path / "tests"
    tests.mkdir(exist_ok=True)
    (tests / "conftest.py").write_text(conftest)
    (tests / "test_chat.py").write_text(RECORDING_SUITE.replace("@MARK", "@" + marker))
    (tests / "test_default_match.py").write_text(DEFAULT_MATCH_SUITE.replace("@MARK", "@" + marker))


def record_with_pytest_recording(
    pytester: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> dict[Path, bytes]:
    """The suite as its maintainers recorded it: pytest-recording's marker, --record-mode=once.
    Returns every cassette file with its bytes."""
    api.gzip_streams = True
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-" + "api03-" + "R3c0rd" * 8 + "AA")
    write_suite(pytester, VCR)
    result = pytester.runpytest("--record-mode=once", "-p", "no:randomly")
    result.assert_outcomes(passed=9)
    assert not (pytester.path / "cassettes").exists()
    files = sorted((pytester.path / "tests" / "cassettes").rglob("*.yaml"))
    return {path: path.read_bytes() for path in files}


def test_a_recorded_pytest_recording_suite_replays_under_the_switched_marker(
    suite: pytest.Pytester, api: FakeClaudeAPI, images: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = record_with_pytest_recording(suite, api, monkeypatch)
    names = {str(p.relative_to(suite.path)) for p in recorded}
    assert names == {
        "tests/cassettes/test_chat/test_create.yaml",
        "tests/cassettes/test_chat/test_random_prompt.yaml",
        "tests/cassettes/test_chat/test_stream_gzip.yaml",
        "tests/cassettes/test_chat/test_image_from_another_host.yaml",
        "tests/cassettes/test_chat/test_requests_library.yaml",
        "tests/cassettes/test_chat/TestModels.test_list.yaml",
        "tests/cassettes/test_chat/test_parametrized[a-b].yaml",
        "tests/cassettes/test_chat/test_parametrized[c-d].yaml",
        "tests/cassettes/test_default_match/test_fixed_prompt.yaml",
    }
    stream = (suite.path / "tests/cassettes/test_chat/test_stream_gzip.yaml").read_text()
    assert "!!binary" in stream
    assert "content-encoding" in stream.lower()
    assert "request-id" not in stream  # the suite's before_record_response stripped it

    write_suite(suite, CLAUDE)  # the switch: one marker, nothing else
    go_offline(api, monkeypatch)
    stop(images)
    result = suite.runpytest("-p", "no:randomly")

    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines(
        [
            "exchanges checked: 9 (9 replayed, 0 live)",
            "other hosts: 1 exchange(s) recorded or replayed, not checked",
            "violations: 0",
            # test_default_match's vcr_config keeps the response headers: judged in full.
            "not recorded (a response header the cassette's recorder filtered out; not failing): "
            "response-organization-id 8, response-request-id 8",
            "cassettes: 0 recorded, 9 replayed",
            "cassettes used in pytest-recording's layout: 9",
            "  tests/test_chat.py::test_create: tests/cassettes/test_chat/test_create.yaml",
            "  tests/test_chat.py::TestModels::test_list: tests/cassettes/test_chat/TestModels.test_list.yaml",
        ]
    )
    # Nothing moved, nothing rewritten, nothing written in the plugin's own layout.
    assert {path: path.read_bytes() for path in recorded} == recorded
    assert not (suite.path / "cassettes").exists()


def test_the_switched_suite_still_judges_what_the_client_sends(
    suite: pytest.Pytester, api: FakeClaudeAPI, images: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recordings lost their credentials and response headers to the suite's filters; a client
    that sends no anthropic-version is still caught, replaying the same cassette."""
    record_with_pytest_recording(suite, api, monkeypatch)
    write_suite(suite, CLAUDE)
    go_offline(api, monkeypatch)
    stop(images)
    (suite.path / "tests/test_chat.py").write_text(
        RECORDING_SUITE.replace("@MARK", "@" + CLAUDE).replace('"anthropic-version": "2023-06-01",', "")
    )
    result = suite.runpytest("-p", "no:randomly", "tests/test_chat.py::test_requests_library")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*[[]version-missing[]]*"])


def test_a_body_aware_default_does_not_replay_a_prompt_that_changes(
    suite: pytest.Pytester, api: FakeClaudeAPI, images: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the suite's match_on (method and URI), the default matching compares the body: the
    random prompt misses, with the report naming the pytest-recording cassette."""
    record_with_pytest_recording(suite, api, monkeypatch)
    write_suite(suite, CLAUDE, RECORDING_CONFTEST.replace('"match_on": ["method", "uri"],', ""))
    go_offline(api, monkeypatch)
    stop(images)
    result = suite.runpytest(
        "-p", "no:randomly", "tests/test_chat.py::test_random_prompt", "tests/test_chat.py::test_create"
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*no recorded answer for POST*/v1/messages*",
            "*cassette: */tests/cassettes/test_chat/test_random_prompt.yaml",
        ]
    )


# ---------------------------------------------------------------- where the cassette is found

ORGANIZATION_ID = "6f1c2a4e-8b3d-4e5f-9a7c-0d2e4f6a8b1c"

ASK = f"""
import os

import httpx
import pytest


def ask(text, url=None):
    response = httpx.post(
        (url or os.environ["FAKE_API_URL"]) + "/v1/messages",
        headers={{
            "x-api-key": os.environ["ANTHROPIC_API_KEY"],
            "anthropic-version": "2023-06-01",
            "content-type": "application/json",
        }},
        json={{"model": {MODEL!r}, "max_tokens": 64, "messages": [{{"role": "user", "content": text}}]}},
    )
    return response.json()["content"][0]["text"]
"""


def vcrpy_cassette(path: Path, text: str, reply: str, *, serializer: str = "yaml") -> None:
    """A cassette as vcrpy writes it (pytest-recording's serializer): one Messages exchange with the
    API's headers, no `recorded_at`."""
    body = json.dumps({"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": text}]})
    message = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [{"type": "text", "text": reply}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 2},
    }
    interaction = {
        "request": {
            "body": body,
            "headers": {"anthropic-version": ["2023-06-01"], "content-type": ["application/json"]},
            "method": "POST",
            "uri": os.environ["FAKE_API_URL"] + "/v1/messages",
        },
        "response": {
            "body": {"string": json.dumps(message)},
            "headers": {
                "content-type": ["application/json"],
                "request-id": ["req_01"],
                "anthropic-organization-id": [ORGANIZATION_ID],
            },
            "status": {"code": 200, "message": "OK"},
        },
    }
    data = {"interactions": [interaction], "version": 1}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) if serializer == "json" else yaml.safe_dump(data), encoding="utf-8")


@pytest.fixture
def offline(suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The suite folder, replaying as CI does (no stand-in, no key, CI set)."""
    go_offline(api, monkeypatch)
    (suite.path / "tests").mkdir()
    return suite


def test_the_plugins_own_layout_wins_over_pytest_recordings(offline: pytest.Pytester) -> None:
    tests = offline.path / "tests"
    (tests / "test_both.py").write_text(
        ASK
        + """
@pytest.mark.claude_contract
def test_both_exist():
    assert ask("Hi") == "ours"


@pytest.mark.claude_contract
def test_only_pytest_recordings():
    assert ask("Hi") == "theirs"
"""
    )
    vcrpy_cassette(offline.path / "cassettes/tests/test_both/test_both_exist.yaml", "Hi", "ours")
    vcrpy_cassette(tests / "cassettes/test_both/test_both_exist.yaml", "Hi", "theirs")
    vcrpy_cassette(tests / "cassettes/test_both/test_only_pytest_recordings.yaml", "Hi", "theirs")
    result = offline.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "cassettes used in pytest-recording's layout: 1",
            "  tests/test_both.py::test_only_pytest_recordings: "
            "tests/cassettes/test_both/test_only_pytest_recordings.yaml",
        ]
    )
    result.stdout.no_fnmatch_line("*test_both_exist: *")


def test_the_suites_vcr_cassette_dir_and_default_cassette_name_are_honoured(offline: pytest.Pytester) -> None:
    tests = offline.path / "tests"
    (tests / "conftest.py").write_text(
        """
import os
import pytest


@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    return os.path.join(os.path.dirname(__file__), "recorded", request.module.__name__.rpartition(".")[2])
"""
    )
    (tests / "test_named.py").write_text(
        ASK
        + """
@pytest.fixture
def default_cassette_name(request):
    return "custom-" + request.node.name


@pytest.mark.claude_contract
def test_fixture_name():
    assert ask("Hi") == "from the fixture's name"


@pytest.mark.claude_contract
@pytest.mark.default_cassette("by-marker")
def test_marker_name():
    assert ask("Hi") == "from the marker's name"
"""
    )
    (tests / "test_plain.py").write_text(
        ASK
        + """
class TestGroup:
    @pytest.mark.claude_contract
    @pytest.mark.parametrize("text", ["a/b", 'q"?*'])
    def test_it(self, text):
        assert ask(text) == "class and id"
"""
    )
    recorded = tests / "recorded"
    vcrpy_cassette(recorded / "test_named/custom-test_fixture_name.yaml", "Hi", "from the fixture's name")
    # The marker is what pytest-recording's own default_cassette_name reads; a suite's override of
    # the fixture decides alone, as in pytest-recording.
    vcrpy_cassette(recorded / "test_named/custom-test_marker_name.yaml", "Hi", "from the marker's name")
    vcrpy_cassette(recorded / "test_plain/TestGroup.test_it[a-b].yaml", "a/b", "class and id")
    vcrpy_cassette(recorded / "test_plain/TestGroup.test_it[q---].yaml", 'q"?*', "class and id")
    result = offline.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["cassettes used in pytest-recording's layout: 4"])


def test_the_default_cassette_marker_and_a_json_serializer(offline: pytest.Pytester) -> None:
    tests = offline.path / "tests"
    (tests / "test_json.py").write_text(
        ASK
        + """
@pytest.fixture
def vcr_config():
    return {"serializer": "json"}


@pytest.mark.claude_contract
@pytest.mark.default_cassette("shared-name")
def test_marker_name():
    assert ask("Hi") == "json"
"""
    )
    vcrpy_cassette(tests / "cassettes/test_json/shared-name.json", "Hi", "json", serializer="json")
    result = offline.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["  tests/test_json.py::test_marker_name: tests/cassettes/test_json/shared-name.json"]
    )


def test_new_recordings_go_to_the_plugins_layout_and_added_ones_to_the_cassette_in_use(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    tests = suite.path / "tests"
    tests.mkdir()
    (tests / "test_rec.py").write_text(
        ASK
        + """
@pytest.mark.claude_contract
def test_new():
    assert ask("New") == "Echo: New"


@pytest.mark.claude_contract(record_mode="new_episodes")
def test_adds():
    assert ask("Hi") == "recorded before"
    assert ask("More") == "Echo: More"
"""
    )
    theirs = tests / "cassettes/test_rec/test_adds.yaml"
    vcrpy_cassette(theirs, "Hi", "recorded before")
    result = suite.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert (suite.path / "cassettes/tests/test_rec/test_new.yaml").is_file()
    assert not (suite.path / "cassettes/tests/test_rec/test_adds.yaml").exists()
    texts = [json.loads(i["request"]["body"])["messages"][0]["content"] for i in interactions(theirs)]
    assert sorted(texts) == ["Hi", "More"]
    assert api_key not in theirs.read_text()


def test_cassette_may_name_a_file_under_the_rootdir(offline: pytest.Pytester) -> None:
    tests = offline.path / "tests"
    (tests / "test_path.py").write_text(
        ASK
        + """
@pytest.mark.claude_contract(cassette="tests/cassettes/test_old/test_y.yaml")
def test_rootdir_path():
    assert ask("Hi") == "by path"


@pytest.mark.claude_contract(cassette="sub/kept")
def test_module_folder_first():
    assert ask("Hi") == "in the module folder"
"""
    )
    vcrpy_cassette(tests / "cassettes/test_old/test_y.yaml", "Hi", "by path")
    vcrpy_cassette(offline.path / "cassettes/tests/test_path/sub/kept.yaml", "Hi", "in the module folder")
    vcrpy_cassette(offline.path / "sub/kept.yaml", "Hi", "under the rootdir")
    result = offline.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize("name", ["../elsewhere.yaml", "tests/../../elsewhere.yaml", "/tmp/abs.yaml", "a/.."])
def test_a_cassette_path_out_of_the_rootdir_is_a_usage_error(pytester: pytest.Pytester, name: str) -> None:
    pytester.makepyfile(
        f"import pytest\n\n@pytest.mark.claude_contract(cassette={name!r})\ndef test_it():\n    pass\n"
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: *cassette={name!r} must be a name in the cassette folder or a path relative to the rootdir*"
        ]
    )
