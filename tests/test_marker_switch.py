"""Switching a pytest-recording suite's `@pytest.mark.vcr` to `@pytest.mark.claude_contract`, with no
cassette moved: the layout lookup, `cassette=` paths under the rootdir, the suite's `vcr_config`
honoured, and `match_on=` (vcrpy's matcher names and functions).

The suites are recorded with pytest-recording itself (`--record-mode=once`) against the loopback
stand-ins, then the marker is switched and they replay offline, the way CI runs them.
"""

from __future__ import annotations

import gc
import json
import os
import threading
import warnings
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
    with anthropic.Anthropic(max_retries=0) as client:
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
    messages = [{{"role": "user", "content": "Stream please"}}]
    with anthropic.Anthropic(max_retries=0) as client:
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
        with anthropic.Anthropic(max_retries=0) as client:
            assert client.models.list().data[0].id


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
    with anthropic.Anthropic(max_retries=0) as client:
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


def forget_connections() -> None:
    """Close what a recording run's clients left open (an HTTP library's pooled connections), quietly,
    before the next run: collected during it, their ResourceWarning would fail one of its tests."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


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
    forget_connections()
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
            "not recorded: 16 (response headers the cassette's recorder removed, as lint reports them; "
            "not failing)",
            "  response-organization-id: 8",
            "  response-request-id: 8",
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


def vcrpy_cassette(
    path: Path,
    text: str,
    reply: str,
    *,
    serializer: str = "yaml",
    response_headers: dict[str, list[str]] | None = None,
    recorded_at: str | None = None,
) -> None:
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
            "headers": response_headers
            or {
                "content-type": ["application/json"],
                "request-id": ["req_01"],
                "anthropic-organization-id": [ORGANIZATION_ID],
            },
            "status": {"code": 200, "message": "OK"},
        },
        **({"recorded_at": recorded_at} if recorded_at else {}),
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


def test_response_headers_another_recorder_dropped_are_not_recorded_and_the_plugins_own_are_judged(
    offline: pytest.Pytester,
) -> None:
    """Without any vcr_config: a cassette with no `recorded_at` (another tool's) that kept only
    content-type lost its headers to its recorder, as `lint` judges it; the same file with the
    plugin's `recorded_at` holds every header that was sent, so a missing one is a violation."""
    tests = offline.path / "tests"
    (tests / "test_judged.py").write_text(
        ASK
        + """
@pytest.mark.claude_contract
def test_another_tools():
    assert ask("Hi") == "stripped"


@pytest.mark.claude_contract
def test_the_plugins_own():
    assert ask("Hi") == "stripped"
"""
    )
    few = {"content-type": ["application/json"]}
    vcrpy_cassette(
        tests / "cassettes/test_judged/test_another_tools.yaml", "Hi", "stripped", response_headers=few
    )
    vcrpy_cassette(
        offline.path / "cassettes/tests/test_judged/test_the_plugins_own.yaml",
        "Hi",
        "stripped",
        response_headers=few,
        recorded_at="2026-12-01T10:00:00Z",
    )
    result = offline.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*[[]response-request-id[]]*",
            "violations: 2 (failing tests)",
            "not recorded: 2 (response headers the cassette's recorder removed, as lint reports them; "
            "not failing)",
            "  response-organization-id: 1",
            "  response-request-id: 1",
            "FAILED tests/test_judged.py::test_the_plugins_own*",
        ]
    )


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


# ---------------------------------------------------------------- vcr_config honoured

SEND = f"""
import os

import httpx
import pytest


def send(user, metadata, trace, path="/v1/messages"):
    response = httpx.post(
        os.environ["FAKE_API_URL"] + path + "?user=" + user,
        headers={{
            "x-api-key": os.environ["ANTHROPIC_API_KEY"],
            "anthropic-version": "2023-06-01",
            "content-type": "application/json",
            "x-trace": trace,
            "x-drop": "secret-ish",
        }},
        json={{
            "model": {MODEL!r},
            "max_tokens": 64,
            "messages": [{{"role": "user", "content": "Hi"}}],
            "metadata": {{"user_id": metadata}},
        }},
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.claude_contract
def test_send():
    send(os.environ["USER_NAME"], os.environ["METADATA"], os.environ["TRACE"])


@pytest.mark.claude_contract
def test_ignored():
    send("x", "y", "z", path="/v1/messages/count_tokens")
"""

FILTERING_CONFIG = """

def hide_trace(request):
    request.headers["x-trace"] = "hidden"
    return request


def skip_count_tokens(request):
    return None if request.path.endswith("/count_tokens") else request


def strip_ids(response):
    response["headers"] = {
        k: v for k, v in response["headers"].items() if k.lower() not in ("request-id", "anthropic-organization-id")
    }
    return response


@pytest.fixture(scope="module")
def vcr_config():
    return {
        "filter_headers": ["x-drop"],
        "filter_query_parameters": ["user"],
        "filter_post_data_parameters": ["metadata"],
        "before_record_request": [hide_trace, skip_count_tokens],
        "before_record_response": strip_ids,
    }
"""


def test_vcr_config_filters_what_is_written_and_how_a_live_request_is_matched(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each filter key, shown firing (the module with the suite's vcr_config) and quiet (the same
    test without it): what is written, and whether a live request that differs only in what the
    filters remove replays."""
    tests = suite.path / "tests"
    tests.mkdir()
    (tests / "test_filtered.py").write_text(SEND + FILTERING_CONFIG)
    (tests / "test_unfiltered.py").write_text(SEND)
    monkeypatch.setenv("USER_NAME", "alice")
    monkeypatch.setenv("METADATA", "m1")
    monkeypatch.setenv("TRACE", "t1")
    suite.runpytest("-p", "no:randomly").assert_outcomes(passed=4)
    forget_connections()

    (filtered,) = interactions(suite.path / "cassettes/tests/test_filtered/test_send.yaml")
    (unfiltered,) = interactions(suite.path / "cassettes/tests/test_unfiltered/test_send.yaml")
    assert "user=" not in filtered["request"]["uri"]
    assert "user=alice" in unfiltered["request"]["uri"]
    assert "metadata" not in filtered["request"]["body"]
    assert "m1" in unfiltered["request"]["body"]
    assert "x-drop" not in filtered["request"]["headers"]
    assert unfiltered["request"]["headers"]["x-drop"] == ["secret-ish"]
    assert filtered["request"]["headers"]["x-trace"] == ["hidden"]
    assert unfiltered["request"]["headers"]["x-trace"] == ["t1"]
    assert "request-id" not in filtered["response"]["headers"]
    assert "request-id" in unfiltered["response"]["headers"]
    # before_record_request returned None: sent live, not recorded (as vcrpy's ignored requests).
    assert not (suite.path / "cassettes/tests/test_filtered/test_ignored.yaml").exists()
    assert (suite.path / "cassettes/tests/test_unfiltered/test_ignored.yaml").is_file()
    for path in (suite.path / "cassettes").rglob("*.yaml"):
        assert api_key not in path.read_text()  # the plugin's own scrubbing runs as well

    go_offline(api, monkeypatch)
    monkeypatch.setenv("USER_NAME", "bob")  # removed by filter_query_parameters
    monkeypatch.setenv("METADATA", "m2")  # removed by filter_post_data_parameters
    monkeypatch.setenv("TRACE", "t2")  # rewritten by before_record_request
    result = suite.runpytest("-p", "no:randomly", "-k", "test_send")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "not recorded: 2 (response headers the cassette's recorder removed, as lint reports them; "
            "not failing)",
            "  response-organization-id: 1",
            "  response-request-id: 1",
            "FAILED tests/test_unfiltered.py::test_send - Failed: Claude contract: no recorded answer*",
        ]
    )


def test_a_header_stripped_without_the_suites_filter_is_a_violation(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cassette the filtering suite wrote, replayed by a test that does not have its
    before_record_response: the plugin wrote it (it has recorded_at), so it is judged in full."""
    tests = suite.path / "tests"
    tests.mkdir()
    (tests / "test_filtered.py").write_text(SEND + FILTERING_CONFIG)
    for name, value in (("USER_NAME", "alice"), ("METADATA", "m1"), ("TRACE", "t1")):
        monkeypatch.setenv(name, value)
    suite.runpytest("-p", "no:randomly", "-k", "test_send").assert_outcomes(passed=1)
    forget_connections()
    (tests / "test_other.py").write_text(
        SEND.replace(
            "@pytest.mark.claude_contract\ndef test_send",
            '@pytest.mark.claude_contract(cassette="cassettes/tests/test_filtered/test_send.yaml", '
            'match_on=["method", "path"])\ndef test_send',
        )
    )
    go_offline(api, monkeypatch)
    result = suite.runpytest("-p", "no:randomly", "-k", "test_send")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*[[]response-request-id[]]*", "FAILED tests/test_other.py::test_send*"])


def test_vcr_config_allowed_hosts_go_live_unrecorded(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, images: ThreadingHTTPServer
) -> None:
    host = f"127.0.0.1:{images.server_address[1]}"
    tests = suite.path / "tests"
    tests.mkdir()
    body = (
        ASK
        + """
@pytest.mark.claude_contract
def test_fetch():
    assert httpx.get(os.environ["IMAGES_URL"] + "/cat.png").status_code == 200
    assert ask("Hi") == "Echo: Hi"
"""
    )
    (tests / "test_allowed.py").write_text(
        body
        + f"\n\n@pytest.fixture\ndef vcr_config():\n    return {{'allowed_hosts': [{'^' + host.replace('.', chr(92) + '.') + '$'!r}]}}\n"
    )
    (tests / "test_recorded.py").write_text(body)
    suite.runpytest("-p", "no:randomly").assert_outcomes(passed=2)
    allowed = interactions(suite.path / "cassettes/tests/test_allowed/test_fetch.yaml")
    recorded = interactions(suite.path / "cassettes/tests/test_recorded/test_fetch.yaml")
    assert [i["request"]["uri"].endswith("/cat.png") for i in allowed] == [False]
    assert sorted(i["request"]["uri"].endswith("/cat.png") for i in recorded) == [False, True]


def test_vcr_config_record_mode_applies_below_the_command_line(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    tests = suite.path / "tests"
    tests.mkdir()
    (tests / "test_mode.py").write_text(
        ASK
        + """
from vcr.record_mode import RecordMode


@pytest.fixture
def vcr_config():
    return {"record_mode": RecordMode.NONE}


@pytest.mark.claude_contract
def test_it():
    assert ask("Hi") == "Echo: Hi"
"""
    )
    result = suite.runpytest("-p", "no:randomly")  # the session's default is once; vcr_config says none
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the cassette does not exist (record mode 'none' does not record)*"])
    suite.runpytest("-p", "no:randomly", "--claude-record-mode=once").assert_outcomes(passed=1)
    assert (suite.path / "cassettes/tests/test_mode/test_it.yaml").is_file()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("{'record_mode': 'sometimes'}", "*vcr_config: record_mode='sometimes'; use one of: none, once,*"),
        (
            "{'match_on': ['method', 'bodyy']}",
            "*vcr_config: match_on=[[]'method', 'bodyy'[]] names unknown matcher(s) 'bodyy'; valid names are: method, *",
        ),
        ("['method']", "*vcr_config must return a dict of vcrpy options, got list*"),
    ],
)
def test_a_bad_vcr_config_fails_the_test_naming_it(
    pytester: pytest.Pytester, config: str, message: str
) -> None:
    pytester.makepyfile(
        f"import pytest\n\n@pytest.fixture\ndef vcr_config():\n    return {config}\n\n"
        "@pytest.mark.claude_contract\ndef test_it():\n    pass\n"
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])
    assert "Traceback" not in result.stdout.str()


# ---------------------------------------------------------------- match_on

MATCHING = """
import json
import os

import httpx
import pytest

BASE = os.environ["IMAGES_URL"]  # not a Claude host: recorded and replayed, never checked
PORT = int(BASE.rsplit(":", 1)[1])


def send(variant):
    method, url = "POST", BASE + "/echo?a=1&b=2"
    body, headers = b'{"x": 1, "y": 2}', {"content-type": "application/json", "x-h": "1"}
    if variant == "method":
        method = "PUT"
    elif variant == "uri":
        url = BASE + "/echo?a=1&b=3"
    elif variant == "scheme":
        url = url.replace("http://", "https://")
    elif variant == "host":
        url = url.replace("127.0.0.1", "localhost")
    elif variant == "port":
        url = url.replace(f":{PORT}", f":{PORT + 1}")
    elif variant == "path":
        url = BASE + "/other?a=1&b=2"
    elif variant == "query":
        url = BASE + "/echo?b=2&a=9"
    elif variant == "body":
        body = b'{"x": 1, "y": 3}'
    elif variant == "raw_body":
        body = b'{"y": 2, "x": 1}'
    elif variant == "headers":
        headers["x-h"] = "2"
    return httpx.request(method, url, content=body, headers=headers)


def same_x(live, recorded):
    return json.loads(live.body)["x"] == json.loads(recorded.body)["x"]


def same_y(live, recorded):
    assert json.loads(live.body)["y"] == json.loads(recorded.body)["y"], "y differs"


VARIANT = os.environ.get("VARIANT", "recorded")


@pytest.mark.claude_contract(cassette="shared", match_on=FIRING)
def test_firing():
    assert send(VARIANT).json() == {"echo": 16}


@pytest.mark.claude_contract(cassette="shared", match_on=QUIET)
def test_quiet():
    assert send(VARIANT).json() == {"echo": 16}
"""

# matcher -> the matchers that ignore what its variant changes
QUIET = {
    "method": ["uri", "body"],
    "uri": ["method", "path", "body"],
    "scheme": ["method", "host", "port", "path", "query", "body"],
    "host": ["method", "scheme", "port", "path", "query", "body"],
    "port": ["method", "scheme", "host", "path", "query", "body"],
    "path": ["method", "host", "query", "body"],
    "query": ["method", "path", "body"],
    "body": ["method", "uri"],
    "raw_body": ["method", "uri", "body"],  # the same JSON, other bytes: `body` parses it
    "headers": ["method", "uri", "body"],
}


def matching_suite(pytester: pytest.Pytester, firing: str, quiet: str) -> None:
    pytester.makepyfile(test_match=MATCHING.replace("FIRING", firing).replace("QUIET", quiet))


@pytest.fixture
def recorded_once(
    suite: pytest.Pytester, api: FakeClaudeAPI, images: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """The request recorded once into the shared cassette, then everything offline."""
    matching_suite(suite, "None", "None")
    suite.runpytest("-p", "no:randomly", "-k", "test_quiet").assert_outcomes(passed=1)
    forget_connections()
    go_offline(api, monkeypatch)
    stop(images)
    return suite


@pytest.mark.parametrize("matcher", list(QUIET))
def test_each_vcrpy_matcher_fires_on_what_it_compares_and_only_that(
    recorded_once: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, matcher: str
) -> None:
    monkeypatch.setenv("VARIANT", matcher)
    matching_suite(recorded_once, repr([matcher]), repr(QUIET[matcher]))
    result = recorded_once.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*no recorded answer for*", "FAILED test_match.py::test_firing*"])


def test_every_matcher_matches_the_request_as_recorded(
    recorded_once: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`headers` and `raw_body` too, although the plugin writes JSON bodies pretty-printed and
    credentials as placeholders."""
    matching_suite(recorded_once, repr(list(QUIET)), "['method', 'uri']")
    recorded_once.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_matcher_functions_decide_vcrpy_style(
    recorded_once: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A function returning False or raising AssertionError is no match; True or None is one."""
    monkeypatch.setenv("VARIANT", "body")  # y changed, x kept
    matching_suite(recorded_once, '["method", "path", same_y]', '["method", "path", same_x]')
    result = recorded_once.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_match.py::test_firing*"])


def test_the_ini_option_sets_matching_for_the_session(
    recorded_once: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VARIANT", "body")
    recorded_once.makepyfile(
        test_match=MATCHING.replace(", match_on=FIRING", "").replace(", match_on=QUIET", ", match_on=None")
    )
    recorded_once.makeini("[pytest]\nclaude_match_on =\n    method\n    path, query\n")
    result = recorded_once.runpytest("-p", "no:randomly")
    # The ini's matching ignores the body; match_on=None in a marker is the plugin's own (body-aware).
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_match.py::test_quiet*"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            "match_on=['method', 'bodyy']",
            "*match_on=[[]'method', 'bodyy'[]] names unknown matcher(s) 'bodyy'; valid names are: method, uri, scheme, host, port, path, query, body, raw_body, headers (or functions*",
        ),
        (
            "match_on='method'",
            "*match_on='method'; give a non-empty list, e.g. match_on=[[]'method', 'uri'[]]",
        ),
        ("match_on=[]", "*match_on=[[][]]; give a non-empty list*"),
        ("match_on=['method', 3]", "*names unknown matcher(s) 3;*"),
    ],
)
def test_a_bad_match_on_is_a_usage_error(pytester: pytest.Pytester, arguments: str, message: str) -> None:
    pytester.makepyfile(
        f"import pytest\n\n@pytest.mark.claude_contract({arguments})\ndef test_it():\n    pass\n"
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: test_a_bad_match_on_is_a_usage_error.py::test_it: @pytest.mark.claude_contract: {message}"]
    )


def test_a_bad_ini_match_on_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nclaude_match_on = method, bodyy\n")
    pytester.makepyfile("def test_it():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: ini option claude_match_on: match_on=[[]'method', 'bodyy'[]] names unknown matcher(s) 'bodyy'; valid names are: method, *, headers"
        ]
    )


def test_a_suite_without_vcr_config_or_match_on_never_loads_their_code(offline: pytest.Pytester) -> None:
    """The default matching and a suite with none of pytest-recording's fixtures pay nothing for
    them: the module that applies vcr_config and match_on is not even imported (a fresh process)."""
    tests = offline.path / "tests"
    check = """
    assert ("pytest_claude_contract.capture.vcr_config" in sys.modules) is LOADED
"""
    (tests / "test_plain.py").write_text(
        "import sys\n"
        + ASK
        + "\n\n@pytest.mark.claude_contract\ndef test_plain():\n    assert ask('Hi') == 'plain'\n"
        + check.replace("LOADED", "False")
    )
    (tests / "test_matched.py").write_text(
        "import sys\n"
        + ASK
        + "\n\n@pytest.mark.claude_contract(match_on=['method', 'path'])\ndef test_matched():\n"
        + "    assert ask('Other') == 'matched'\n"
        + check.replace("LOADED", "True")
    )
    vcrpy_cassette(offline.path / "cassettes/tests/test_plain/test_plain.yaml", "Hi", "plain")
    vcrpy_cassette(offline.path / "cassettes/tests/test_matched/test_matched.yaml", "Hi", "matched")
    offline.runpytest_subprocess("-p", "no:randomly", "tests/test_plain.py").assert_outcomes(passed=1)
    offline.runpytest_subprocess("-p", "no:randomly", "tests/test_matched.py").assert_outcomes(passed=1)
