"""`pytest-claude-contract migrate`: cassettes pytest-recording, vcrpy and cassetter wrote, carried
over to the plugin's layout and readable form, and replayed by the plugin as their recorder did.

Every cassette here is a real file on disk, written by its own recorder's code: vcrpy's serializers
(as pytest-recording saves), a real pytest-recording session against the loopback stand-in, and
cassetter's writer (tests/data/migrate, see PROVENANCE.md there). A key is only ever built at run
time, never written as a key-shaped literal.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Imported before any pytester run (see tests/test_record_replay.py): a module first imported inside
# an in-process run would be imported anew in the next.
import httpx  # noqa: F401
import requests  # noqa: F401
import vcr.request
import vcr.serialize
import yaml
from helpers import KEY_PREFIX, a_token, go_offline, leaks
from vcr.serializers import jsonserializer, yamlserializer

from pytest_claude_contract.cassette.scrub import REDACTED
from pytest_claude_contract.cassette.store import load_cassette
from pytest_claude_contract.cli import main

if TYPE_CHECKING:
    import pytest
    from fake_api import FakeClaudeAPI

DATA = Path(__file__).parent / "data" / "migrate"
MODEL = "claude-sonnet-4-6"
API = "https://api.anthropic.com/v1/messages"


def a_key() -> str:
    # No `-` or `_` in the random part: a key whose last `-` leaves a short tail reads as a placeholder.
    return KEY_PREFIX + "api03-" + a_token()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["migrate", *args])
    return code, capsys.readouterr().out


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` with its content and modification time: what a dry run must not touch."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ------------------------------------------------------------------ cassettes as their recorders write them

SSE_EVENTS = [
    (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": "msg_01",
                "type": "message",
                "role": "assistant",
                "content": [],
                "model": MODEL,
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 5, "output_tokens": 1},
            },
        },
    ),
    (
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ),
    (
        "content_block_delta",
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
    ),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 2},
        },
    ),
    ("message_stop", {"type": "message_stop"}),
]
SSE = "".join(
    f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n" for name, data in SSE_EVENTS
)
RESPONSE_HEADERS = {
    "request-id": ["req_011CSHoEeqs5C35K2UUqR7Fy"],
    "anthropic-organization-id": ["d3b07384-d9a0-4c5b-9f3e-3c3d3a1a8f00"],
}


def request_body(text: str, **extra: Any) -> bytes:
    body = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": text}], **extra}
    return json.dumps(body).encode()


def vcrpy_cassette(path: Path, key: str, serializer: Any = yamlserializer) -> None:
    """What pytest-recording saves for a test with `filter_headers=["x-api-key"]`: the key header
    gone, and (here) the key pasted into a prompt; a gzip SSE answer stored `!!binary`, as urllib3
    hands it over, and a JSON answer."""
    headers = {
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
        "user-agent": "python-requests/2.32",
    }
    sent = [
        vcr.request.Request("POST", API, request_body(f"my key is {key}", stream=True), headers),
        vcr.request.Request("POST", API, request_body("Hello"), headers),
    ]
    message = {
        "id": "msg_02",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [{"type": "text", "text": "Hello!"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 2},
    }
    responses = [
        {
            "status": {"code": 200, "message": "OK"},
            "headers": {
                **RESPONSE_HEADERS,
                "Content-Type": ["text/event-stream; charset=utf-8"],
                **({"Content-Encoding": ["gzip"]} if serializer is yamlserializer else {}),
            },
            # vcrpy's JSON serializer holds no bytes: its users record decoded bodies.
            "body": {"string": gzip.compress(SSE.encode()) if serializer is yamlserializer else SSE},
        },
        {
            "status": {"code": 200, "message": "OK"},
            "headers": {**RESPONSE_HEADERS, "Content-Type": ["application/json"]},
            "body": {"string": json.dumps(message, separators=(",", ":")).encode()},
        },
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(vcr.serialize.serialize({"requests": sent, "responses": responses}, serializer))


# ------------------------------------------------------------------ pytest-recording's YAML


def test_pytest_recording_cassette_shown_in_our_layout_and_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pytest-recording cassette (gzip `!!binary` SSE, filtered key header, a key pasted into a
    prompt): the dry run names where the plugin will look for it and shows the copy, the stream
    decoded one event per group, JSON pretty, the key replaced; and the lint verdicts. It writes
    nothing, and no output shows more of the key than its first 10 characters."""
    monkeypatch.chdir(tmp_path)
    key = a_key()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_chat.py").write_text("def test_stream(): pass\n")
    source = tmp_path / "tests" / "cassettes" / "test_chat" / "test_stream.yaml"
    vcrpy_cassette(source, key)
    assert "!!binary" in source.read_text()
    before = tree(tmp_path)

    code, out = run(capsys, "tests")

    assert code == 1, out  # the key in the original is a lint violation
    assert tree(tmp_path) == before
    assert not leaks(key, out)
    assert "cassette dir: cassettes (the default; no pytest configuration file in the rootdir)" in out
    assert (
        "tests/cassettes/test_chat/test_stream.yaml\n  -> cassettes/tests/test_chat/test_stream.yaml\n" in out
    )
    assert "pytest-recording's layout: the cassette of tests/test_chat.py::test_stream" in out
    assert "is not on disk" not in out
    assert f"vcrpy YAML, 2 interactions; 1 credential replaced by {REDACTED}" in out
    assert "would write it (a new file)" in out
    copy = out.split("would write it (a new file)\n", 1)[1].split("\n\n", 1)[0]
    shown = "\n".join(row[4:] for row in copy.splitlines())  # the text without its "  | " margin
    data = yaml.safe_load(shown)
    stream, answer = data["interactions"]
    assert stream["response"]["body"]["string"] == SSE  # decoded
    assert "content-encoding" not in {h.lower() for h in stream["response"]["headers"]}
    assert "  |         event: message_start\n" in copy
    assert "  |\n  |         event: content_block_start" in copy
    assert f"my key is {REDACTED}" in stream["request"]["body"]
    assert stream["request"]["body"].startswith('{\n  "model"')  # pretty JSON
    assert json.loads(answer["response"]["body"]["string"])["content"][0]["text"] == "Hello!"
    assert '  "content": [\n' in answer["response"]["body"]["string"]
    assert "Lint verdicts on the originals" in out
    assert f"[secret-in-cassette] request body holds a credential ({key[:10]}...)" in out
    assert out.rstrip().endswith("Dry run: nothing was written; run again with --write.")


def test_write_is_atomic_and_the_copy_holds_no_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--write writes the copy shown (through the plugin's writer, a temporary file renamed over the
    target), keeps the original, and the copy loads as the original plays: same requests, the
    stream's bytes, no key."""
    monkeypatch.chdir(tmp_path)
    key = a_key()
    source = tmp_path / "tests" / "cassettes" / "test_chat" / "test_stream.yaml"
    vcrpy_cassette(source, key)
    original = source.read_bytes()
    code, shown = run(capsys, "tests")
    assert code == 1

    code, out = run(capsys, "tests", "--write")

    assert code == 1, out  # the original still holds the key: revoke it
    assert not leaks(key, out)
    target = tmp_path / "cassettes" / "tests" / "test_chat" / "test_stream.yaml"
    assert "  written\n" in out
    assert "| interactions:" not in out
    assert out.rstrip().endswith(
        "1 cassette: 1 written, 0 already migrated, 0 left alone (the target differs; --force replaces it), 0 refused."
    )
    assert source.read_bytes() == original
    text = target.read_text()
    assert key not in text
    assert REDACTED in text
    copy = shown.split("would write it (a new file)\n", 1)[1].split("\n\n", 1)[0]
    assert "\n".join(row[4:] for row in copy.splitlines()) + "\n" == text  # what the dry run showed
    assert sorted(p.name for p in target.parent.iterdir()) == ["test_stream.yaml"]  # no temporary file
    played = load_cassette(target)
    assert played is not None
    assert played[0].response["body"]["string"] == SSE.encode()
    assert played[0].request.json is not None
    assert played[0].request.json["stream"] is True
    assert played[0].recorded_at is None  # not ours: a header its recorder filtered stays "not recorded"
    assert played[1].response["status"] == {"code": 200, "message": "OK"}

    code, out = run(capsys, "tests", "--write")  # again: nothing to do
    assert "already migrated: the target holds this copy" in out
    assert "0 written, 1 already migrated" in out
    assert target.read_text() == text


# ------------------------------------------------------------------ vcrpy's JSON, cassetter's YAML and TOML


def test_vcrpy_json_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """vcrpy's JSON serializer, named on the command line outside pytest-recording's layout: the copy
    keeps its name (as YAML) in the cassette dir, and plays what the JSON file plays."""
    monkeypatch.chdir(tmp_path)
    key = a_key()
    source = tmp_path / "fixtures" / "chat.json"
    vcrpy_cassette(source, key, jsonserializer)
    code, out = run(capsys, "fixtures/chat.json", "--write")
    assert code == 1, out
    assert "fixtures/chat.json\n  -> cassettes/chat.yaml\n" in out
    assert "not pytest-recording's layout" in out
    assert "vcrpy JSON, 2 interactions; 1 credential replaced" in out
    original, copy = load_cassette(source), load_cassette(tmp_path / "cassettes" / "chat.yaml")
    assert original is not None
    assert copy is not None
    assert [i.key for i in copy][1:] == [i.key for i in original][1:]  # the first held the key
    assert copy[0].request.json is not None
    assert copy[0].request.json["messages"][0]["content"] == f"my key is {REDACTED}"
    assert [i.response["status"] for i in copy] == [i.response["status"] for i in original]
    assert [i.response["headers"] for i in copy] == [i.response["headers"] for i in original]
    assert copy[0].response["body"]["string"] == SSE.encode()
    # Stored pretty: the same JSON, in more lines.
    assert json.loads(copy[1].response["body"]["string"]) == json.loads(
        original[1].response["body"]["string"]
    )


def cassetter_files(folder: Path, key: str) -> list[Path]:
    written = []
    for name in ("cassetter.yaml", "cassetter.toml", "cassetter-grpc.yaml"):
        path = folder / name
        path.write_text((DATA / name).read_text().replace("@KEY@", key))
        written.append(path)
    return written


def test_cassetter_yaml_and_toml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """cassetter's YAML (YAML 1.2: `anthropic-version: 2023-06-01` unquoted, which YAML 1.1 reads as
    a date) and its TOML, written by cassetter from the same interactions, give the same copy; the
    file that also holds gRPC and WebSocket interactions is refused, naming them, and nothing is
    written for it."""
    source = tmp_path / "recorded"
    source.mkdir()
    monkeypatch.chdir(tmp_path)
    key = a_key()
    cassetter_files(source, key)

    code, out = run(capsys, "recorded", "--write", "--to", "copies")

    assert code == 2, out  # files refused
    assert not leaks(key, out)
    assert (
        "REFUSED recorded/cassetter-grpc.yaml: holds `grpc_interactions`, `ws_interactions`, which a vcrpy "
        "cassette has no place for" in out
    )
    assert "  nothing is written for this file" in out
    # Both would be copies/cassetter.yaml: they clash, and neither is written.
    assert (
        "REFUSED recorded/cassetter.toml: recorded/cassetter.toml, recorded/cassetter.yaml would all be "
        "copied to copies/cassetter.yaml" in out
    )
    assert "3 cassettes: 0 written, 0 already migrated, 0 left alone" in out
    assert not (tmp_path / "copies").exists()

    (source / "cassetter.toml").rename(tmp_path / "cassetter.toml")
    code, out = run(capsys, "recorded/cassetter.yaml", "--write", "--to", "copies")
    assert code == 1  # the key in the original
    assert "cassetter YAML, 3 interactions; 1 credential replaced" in out
    from_yaml = (tmp_path / "copies" / "cassetter.yaml").read_text()
    code, out = run(capsys, "cassetter.toml", "--write", "--to", "toml")
    assert code == 1
    assert "cassetter TOML, 3 interactions; 1 credential replaced" in out
    assert (tmp_path / "toml" / "cassetter.yaml").read_text() == from_yaml
    assert key not in from_yaml
    data = yaml.safe_load(from_yaml)
    exchange, stream, image = data["interactions"]
    assert exchange["request"]["headers"]["anthropic-version"] == ["2023-06-01"]
    assert exchange["request"]["headers"]["x-api-key"] == [REDACTED]
    assert exchange["recorded_at"] == "2026-03-01T10:00:00Z"
    assert stream["response"]["body"]["string"].startswith("event: message_start\ndata: {")
    assert "\n\nevent: content_block_start\n" in stream["response"]["body"]["string"]
    assert image["response"]["body"]["string"] == b"\x89PNG\r\n\x1a\n\x00\x01"
    assert not (tmp_path / "copies" / "cassetter-grpc.yaml").exists()


# ------------------------------------------------------------------ what is refused, never lost


def test_a_broken_file_is_named_with_its_line_and_the_others_are_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "tests" / "cassettes" / "test_chat"
    vcrpy_cassette(folder / "test_good.yaml", a_key())
    broken = folder / "test_broken.yaml"
    broken.write_text("interactions:\n- request:\n    method: POST\n    uri: [unclosed\n")
    code, out = run(capsys, "tests", "--write")
    assert code == 2, out
    assert "REFUSED tests/cassettes/test_chat/test_broken.yaml:5: is not valid YAML" in out
    assert "1 cassette" not in out
    assert "2 cassettes: 1 written" in out
    written = sorted(p.name for p in (tmp_path / "cassettes" / "tests" / "test_chat").iterdir())
    assert written == ["test_good.yaml"]


def test_a_field_the_format_has_no_place_for_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copying would drop it: the file is refused instead, naming the interaction and the field."""
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "chat.yaml"
    vcrpy_cassette(source, a_key())
    data = yaml.safe_load(source.read_text())
    data["interactions"][1]["response"]["trailers"] = {"grpc-status": ["0"]}
    source.write_text(yaml.safe_dump(data))
    code, out = run(capsys, "chat.yaml", "--write")
    assert code == 2, out
    assert (
        "REFUSED chat.yaml: interaction 2 holds `response.trailers`, which the plugin's format has no place for"
        in out
    )
    assert not (tmp_path / "cassettes").exists()


def test_an_existing_target_is_never_overwritten_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "tests" / "cassettes" / "test_chat" / "test_stream.yaml"
    vcrpy_cassette(source, a_key())
    target = tmp_path / "cassettes" / "tests" / "test_chat" / "test_stream.yaml"
    target.parent.mkdir(parents=True)
    target.write_text("interactions: []\nversion: 1\n")  # a re-recording of the test, say

    code, out = run(capsys, "tests", "--write")
    assert code == 1, out
    assert "NOT written: the target exists and differs; --force replaces it" in out
    assert target.read_text() == "interactions: []\nversion: 1\n"

    code, out = run(capsys, "tests", "--write", "--force")
    assert "written over the existing target (--force)" in out
    assert len(load_cassette(target) or []) == 2
    assert sorted(p.name for p in target.parent.iterdir()) == ["test_stream.yaml"]


def test_usage_errors_and_nothing_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["migrate", "x.yaml", "--force"]) == 2
    assert "--force replaces existing targets when writing; give it with --write" in capsys.readouterr().err
    assert main(["migrate"]) == 2
    capsys.readouterr()
    code, out = run(capsys, "nowhere")
    assert code == 2
    assert "REFUSED nowhere: no such file or folder" in out
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "package.json").write_text("{}")
    code, out = run(capsys, "empty")
    assert code == 2
    assert "Nothing to migrate: give pytest-recording, vcrpy or cassetter cassettes" in out
    assert "1 file skipped (not cassettes)" in out


def test_the_cassette_dir_comes_from_the_pytest_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nclaude_cassette_dir = "tests/recorded"\n'
    )
    vcrpy_cassette(tmp_path / "tests" / "cassettes" / "test_chat" / "test_stream.yaml", a_key())
    _code, out = run(capsys, "tests", "--brief")
    assert "cassette dir: tests/recorded (claude_cassette_dir in pyproject.toml)" in out
    assert "  -> tests/recorded/tests/test_chat/test_stream.yaml\n" in out
    assert "| interactions:" not in out  # --brief
    assert "is not on disk" in out  # tests/test_chat.py does not exist here


# ------------------------------------------------------------------ replayed by the plugin as by its recorder

# A suite as pytest-recording users write it: `vcr_config` filters the key header; the stand-in
# gzips its JSON answers.
# MARK is @pytest.mark.vcr, then @pytest.mark.claude_contract once the cassettes are migrated. Each
# test writes what it was answered to replies/<test>.json.
RECORDED_SUITE = """
import json
import os
from pathlib import Path

import httpx
import pytest
import requests

URL = os.environ["FAKE_API_URL"] + "/v1/messages"


@pytest.fixture(scope="module")
def vcr_config():
    return {"filter_headers": ["x-api-key", "authorization"]}


def headers():
    # pytest-recording's replay has no key; the plugin lends a placeholder one.
    return {
        "x-api-key": os.environ.get("ANTHROPIC_API_KEY", "no-key-when-replayed-by-vcrpy"),
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
    }


def body(text, **extra):
    return {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": text}], **extra}


def keep(name, answer):
    Path("replies").mkdir(exist_ok=True)
    Path("replies", name + ".json").write_text(json.dumps(answer))


@MARK
def test_requests_gzip():
    response = requests.post(URL, headers=headers(), json=body("Hello there"))
    keep("test_requests_gzip", [response.status_code, response.json()["content"][0]["text"]])


@MARK
def test_httpx_stream():
    with httpx.Client() as client:
        with client.stream("POST", URL, headers=headers(), json=body("Stream it", stream=True)) as response:
            events = [line[len("event: "):] for line in response.iter_lines() if line.startswith("event: ")]
    keep("test_httpx_stream", [response.status_code, events])


class TestConversation:
    @MARK
    def test_two_turns(self):
        with httpx.Client() as client:
            first = client.post(URL, headers=headers(), json=body("One"))
            second = client.post(URL, headers=headers(), json=body("Two"))
        keep("test_two_turns", [r.json()["content"][0]["text"] for r in (first, second)])
"""


def replies(folder: Path) -> dict[str, Any]:
    found = {p.stem: json.loads(p.read_text()) for p in sorted((folder / "replies").glob("*.json"))}
    for path in (folder / "replies").glob("*.json"):
        path.unlink()
    return found


def test_a_migrated_suite_replays_as_pytest_recording_did(
    suite: pytest.Pytester,
    api: FakeClaudeAPI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Recorded by pytest-recording (a real session, real clients, the stand-in gzipping its
    answers), replayed by pytest-recording offline; migrated with --write; then, with the marker
    switched and no cassette moved by hand, the plugin replays every test offline, the exchanges
    checked, and each test is answered exactly as pytest-recording answered it."""
    api.gzip_responses = True
    monkeypatch.setenv("ANTHROPIC_API_KEY", a_key())
    tests = suite.path / "tests"
    tests.mkdir()
    module = tests / "test_chat.py"
    module.write_text(RECORDED_SUITE.replace("MARK", "pytest.mark.vcr"))

    suite.runpytest("--record-mode=once", "-p", "no:randomly").assert_outcomes(passed=3)
    recorded = replies(suite.path)
    assert recorded["test_requests_gzip"][0] == 200
    assert recorded["test_httpx_stream"][1][0] == "message_start"
    layout = tests / "cassettes" / "test_chat"
    assert sorted(p.name for p in layout.iterdir()) == [
        "TestConversation.test_two_turns.yaml",
        "test_httpx_stream.yaml",
        "test_requests_gzip.yaml",
    ]
    gzipped = layout / "test_requests_gzip.yaml"
    assert "x-api-key" not in gzipped.read_text()
    # vcrpy 9 stores the answer decoded with `content-encoding: gzip` kept (the header then says what
    # the body is not: the copy drops it).
    _, responses = vcr.serialize.deserialize(gzipped.read_text(), yamlserializer)
    assert responses[0]["headers"]["content-encoding"] == ["gzip"]

    go_offline(api, monkeypatch)
    suite.runpytest("-p", "no:randomly").assert_outcomes(passed=3)  # pytest-recording, offline
    assert replies(suite.path) == recorded

    monkeypatch.chdir(suite.path)
    code, out = run(capsys, "tests", "--write", "--host", api.host)
    assert code == 0, out
    assert "3 cassettes: 3 written" in out
    assert (
        "pytest-recording's layout: the cassette of tests/test_chat.py::TestConversation::test_two_turns"
        in out
    )
    migrated = suite.path / "cassettes" / "tests" / "test_chat"
    text = (migrated / "test_requests_gzip.yaml").read_text()
    assert "content-encoding" not in text
    assert '"text": "Echo: Hello there"' in text  # pretty

    # The migration done: the marker switched, the old folder deleted (so the copies answer, not it).
    module.write_text(RECORDED_SUITE.replace("MARK", "pytest.mark.claude_contract"))
    shutil.rmtree(tests / "cassettes")
    result = suite.runpytest("-p", "no:randomly", "-rA")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*exchanges checked: 4*"])
    assert replies(suite.path) == recorded

    # Without the copies the plugin has no cassette for these tests: they answered.
    for path in migrated.iterdir():
        path.unlink()
    suite.runpytest("-p", "no:randomly").assert_outcomes(failed=3)


def test_a_copy_that_would_play_differently_is_told_apart(tmp_path: Path) -> None:
    """The check behind every copy: what the copy of an interaction would play differently from the
    original. Pretty JSON, a replaced credential and a recomputed content-length are the same
    traffic; a changed body, status, header, method or URL is not."""
    from pytest_claude_contract.cli.migrate import _difference

    path = tmp_path / "chat.yaml"
    vcrpy_cassette(path, a_key())
    original = load_cassette(path)
    assert original is not None
    data = yaml.safe_load(path.read_text())

    def copy_with(change: Any) -> Any:
        edited = json.loads(json.dumps(data, default=lambda b: b.decode("latin-1")))
        change(edited["interactions"][1])
        other = tmp_path / "copy.yaml"
        other.write_text(yaml.safe_dump(edited))
        return (load_cassette(other) or [])[1]

    def pretty(i: Any) -> None:
        i["response"]["body"]["string"] = json.dumps(json.loads(i["response"]["body"]["string"]), indent=2)
        i["response"]["headers"]["content-length"] = ["9999"]
        i["request"]["body"] = i["request"]["body"].replace("Hello", f"Hello {REDACTED}")

    def added(i: Any) -> None:
        i["request"]["headers"]["x-api-key"] = [REDACTED]

    def body(i: Any) -> None:
        i["response"]["body"]["string"] = i["response"]["body"]["string"].replace("Hello!", "Hullo!")

    def status(i: Any) -> None:
        i["response"]["status"]["code"] = 201

    def header(i: Any) -> None:
        del i["response"]["headers"]["request-id"]

    def method(i: Any) -> None:
        i["request"]["method"] = "PUT"

    def url(i: Any) -> None:
        i["request"]["uri"] += "?beta=true"

    assert _difference(original[1], copy_with(lambda i: None)) is None
    assert _difference(original[1], copy_with(pretty)) is None
    assert _difference(original[1], copy_with(added)) == "the request header `x-api-key` was added"
    assert _difference(original[1], copy_with(body)) == "the response body changes"
    assert _difference(original[1], copy_with(status)) == (
        "the status changes ({'code': 200, 'message': 'OK'} -> {'code': 201, 'message': 'OK'})"
    )
    assert _difference(original[1], copy_with(header)) == "the response header `request-id` is missing"
    assert _difference(original[1], copy_with(method)) == "the method changes (POST -> PUT)"
    assert _difference(original[1], copy_with(url)) == "the URL changes"


REAL_STREAM = (
    Path(__file__).parent
    / "data"
    / "real-cassettes"
    / "simonw__llm-anthropic__test_stream_events_thinking.yaml"
)

# The request llm-anthropic's test made (see the cassette), through the anthropic SDK; the SDK's
# generation here sends anthropic-version 2026-10-21, part of the match key: the recorded one is asked.
REAL_SUITE = """
import anthropic
import pytest


@pytest.mark.claude_contract
def test_stream_events_thinking():
    client = anthropic.Anthropic(max_retries=0, default_headers={"anthropic-version": "2023-06-01"})
    with client.messages.stream(
        max_tokens=8192,
        messages=[{"role": "user", "content": [{"type": "text", "text": "Two names for a pet pelican, be brief"}]}],
        model="claude-haiku-4-5-20251001",
        thinking={"type": "enabled", "budget_tokens": 1024},
        extra_body={"temperature": 1.0},  # this SDK generation takes no temperature argument
    ) as stream:
        message = stream.get_final_message()
    assert [block.type for block in message.content] == ["thinking", "text"]
    print("ANSWER", message.content[1].text.replace(chr(10), " "))
"""


def test_a_real_pytest_recording_cassette_replays_through_the_sdk_once_migrated(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cassette llm-anthropic's suite committed (pytest-recording, the SDK's gzip SSE stored
    `!!binary`, the key header filtered), in its place in pytest-recording's layout: migrated, its
    stream is stored decoded, one event per group, with the same lint verdicts; and the anthropic SDK
    replays it through the plugin, offline, the exchange checked."""
    layout = pytester.path / "tests" / "cassettes" / "test_anthropic"
    layout.mkdir(parents=True)
    original = layout / "test_stream_events_thinking.yaml"
    original.write_bytes(REAL_STREAM.read_bytes())
    (pytester.path / "tests" / "test_anthropic.py").write_text(REAL_SUITE)
    monkeypatch.chdir(pytester.path)

    code, out = run(capsys, "tests", "--write")
    assert code == 0, out
    copy = pytester.path / "cassettes" / "tests" / "test_anthropic" / "test_stream_events_thinking.yaml"
    assert f"  -> {copy.relative_to(pytester.path)}\n" in out
    text = copy.read_text()
    assert "!!binary" not in text
    assert "\n        event: message_start\n        data: {" in text
    assert "\n\n        event: content_block_delta\n        data: {" in text
    assert code == main(["lint", str(original)])
    judged_original = capsys.readouterr().out.split(": ", 1)[1]
    assert main(["lint", str(copy)]) == 0
    assert capsys.readouterr().out.split(": ", 1)[1] == judged_original  # "not recorded": the key header

    shutil.rmtree(pytester.path / "tests" / "cassettes")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    monkeypatch.setenv("CI", "1")
    result = pytester.runpytest("-s", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*ANSWER*Pouch*", "*exchanges checked: 1 (1 replayed, 0 live)*"])


def test_a_test_module_in_the_rootdir_is_rewritten_in_place_only_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`test_chat.py` in the rootdir: pytest-recording's `cassettes/test_chat/test_x.yaml` is the
    plugin's path too. The copy would replace the original: only with --force, and then once."""
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "cassettes" / "test_chat" / "test_stream.yaml"
    vcrpy_cassette(source, a_key())
    original = source.read_bytes()
    code, out = run(capsys, "cassettes", "--write")
    assert code == 1
    assert "cassettes/test_chat/test_stream.yaml\n  -> cassettes/test_chat/test_stream.yaml\n" in out
    assert "NOT written: the copy would replace the original itself" in out
    assert source.read_bytes() == original
    code, out = run(capsys, "cassettes", "--write", "--force")
    assert "rewritten in place (--force)" in out
    assert b"!!binary" not in source.read_bytes()
    code, out = run(capsys, "cassettes")
    assert code == 0, out
    assert "already in the plugin's form" in out


def test_an_unknown_platform_for_a_host_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_claude_contract.cli import main

    assert main(["migrate", str(tmp_path), "--host", "gateway.internal=bogus"]) == 2
    assert (
        "--host gateway.internal=bogus: unknown platform; platforms are: anthropic" in capsys.readouterr().err
    )
