"""Long values in reports are cut to a readable length with their size (`contract/excerpts.py`): in
violation messages, miss reports, `lint` and `diff`. A base64 image or a 20 MB field never fills one."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

import yaml

from pytest_claude_contract.cassette.store import load_cassette
from pytest_claude_contract.cli import main
from pytest_claude_contract.contract.checks import check_exchange
from pytest_claude_contract.contract.excerpts import excerpt, size_text
from pytest_claude_contract.contract.exchange import CapturedRequest, CapturedResponse, Exchange
from pytest_claude_contract.contract.models import DEFAULT_CONTRACT
from pytest_claude_contract.contract.redaction import redact
from pytest_claude_contract.contract.report import miss_report

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

API = "https://api.anthropic.com/v1/messages"
# A PNG's first bytes, then 1.6 MB of image data: base64 of it is 2.1 MB of text.
IMAGE = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 6_000).decode()
HEADERS = {
    "content-type": "application/json",
    "anthropic-version": "2023-06-01",
    "x-api-key": "placeholder-key",
}


def image_request(data: str) -> dict[str, Any]:
    block = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}
    return {
        "model": "claude-sonnet-4-6",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": [block]}],
    }


def test_excerpt_and_size() -> None:
    assert excerpt("short") == "'short'"
    assert excerpt("short", quoted=False) == "short"
    assert excerpt(IMAGE, 11) == f"'iVBORw0KGgo…' ({size_text(len(IMAGE))})"
    assert size_text(len(IMAGE)) == "2.0 MB"
    assert excerpt(b"\x00" * 20_000_000, 4) == "'\\x00\\x00\\x00\\x00…' (20.0 MB)"
    assert excerpt("é" * 50, 2) == "'éé…' (100 bytes)"  # the size in UTF-8 bytes
    assert [size_text(n) for n in (1, 999, 1_000, 12_345, 2_100_000)] == [
        "1 byte",
        "999 bytes",
        "1.0 kB",
        "12.3 kB",
        "2.1 MB",
    ]


def test_a_key_cut_by_an_excerpt_is_shown_once() -> None:
    key = "sk-ant-" + "api03-" + "Zq9" * 30
    assert redact(excerpt(key + "-tail", 30)) == "'sk-ant-api...' (108 bytes)"


def test_violation_messages_cut_long_values() -> None:
    """A 20 MB field in the wrong place, and an image in a field the docs type otherwise."""
    huge = "y" * 20_000_000
    body = json.dumps({**image_request("x"), "max_tokens": IMAGE, "temperature": huge}).encode()
    request = CapturedRequest("POST", API, HEADERS, body)
    found = check_exchange(Exchange(request, None, "not sent"), DEFAULT_CONTRACT)
    (schema,) = [v for v in found if v.rule == "request-schema"]
    assert f"max_tokens: input should be a valid integer (got '{IMAGE[:40]}…' (2.0 MB))" in schema.message
    assert f"temperature: input should be a valid number (got '{'y' * 40}…' (20.0 MB))" in schema.message
    assert len(schema.message) < 400
    # An event stream whose event data is an image, not JSON.
    stream = f"event: message_start\ndata: {IMAGE}\n\n".encode()
    response = CapturedResponse(200, {"content-type": "text/event-stream", "request-id": "req_1"}, stream)
    streamed = CapturedRequest(
        "POST", API, HEADERS, json.dumps({**image_request("x"), "stream": True}).encode()
    )
    found = check_exchange(Exchange(streamed, response, "live"), DEFAULT_CONTRACT)
    (event,) = [v for v in found if v.rule == "stream-event"]
    assert event.message == (
        f"event 1 (message_start) carries data that is not a JSON object: '{IMAGE[:40]}…' (2.0 MB)"
    )


def write(path: Path, request_body: dict[str, Any], answer: dict[str, Any], **headers: list[str]) -> Path:
    response_headers = {
        "Content-Type": ["application/json"],
        "request-id": ["req_1"],
        "anthropic-organization-id": ["org"],
        **headers,
    }
    interaction = {
        "request": {
            "body": json.dumps(request_body),
            "headers": {k: [v] for k, v in HEADERS.items()},
            "method": "POST",
            "uri": API,
        },
        "response": {
            "body": {"string": json.dumps(answer)},
            "headers": response_headers,
            "status": {"code": 200, "message": "OK"},
        },
    }
    # libyaml's dumper: PyYAML's own takes seconds over a 2 MB string.
    text = yaml.dump({"interactions": [interaction], "version": 1}, Dumper=yaml.CSafeDumper)
    path.write_text(text, encoding="utf-8")
    return path


MESSAGE = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-6",
    "content": [{"type": "text", "text": "A pixel."}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 8, "output_tokens": 4},
}


def test_a_miss_report_cuts_the_images_it_compares(tmp_path: Path) -> None:
    path = write(tmp_path / "image.yaml", image_request(IMAGE), MESSAGE)
    interactions = load_cassette(path) or []
    other = IMAGE[:-8] + "AAAAAAA="
    sent = CapturedRequest("POST", API, HEADERS, json.dumps(image_request(other)).encode())
    report = miss_report(
        sent, cassette=path, record_mode="none", interactions=interactions, exists=True, exhausted=0
    )
    assert f"changed from '{IMAGE[:40]}…' (2.0 MB) to '{other[:40]}…' (2.0 MB)" in report
    assert len(report) < 2_000


def test_lint_and_diff_cut_long_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = write(tmp_path / "old.yaml", {**image_request(IMAGE), "max_tokens": IMAGE}, MESSAGE)
    assert main(["lint", str(broken)]) == 1
    out = capsys.readouterr().out
    assert f"(got '{IMAGE[:40]}…' (2.0 MB))" in out
    assert len(out) < 3_000
    # A header whose value is an image (a debugging proxy's echo): diff quotes its start and size.
    new = write(tmp_path / "new.yaml", {**image_request(IMAGE), "max_tokens": IMAGE}, MESSAGE, x_echo=[IMAGE])
    assert main(["diff", str(broken), str(new)]) == 1
    out = capsys.readouterr().out
    assert f"+ new header      header `x_echo` = '{IMAGE[:77]}…' (2.0 MB)" in out
    assert len(out) < 1_000
