"""Amazon Bedrock's credentials never reach disk and never show in output: a SigV4 `Authorization`
(its access key id and signature), `x-amz-security-token`, access key ids (AKIA..., ASIA...) in
headers, the URL or a body (a stream's base64 chunks included), and a Bedrock API key sent as a
bearer token. The real writer replaces them; `lint` finds each one left in a cassette; every report
shows at most 10 characters of one."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from fake_bedrock import chunk_frame
from helpers import leaks

from pytest_claude_contract.cassette.formats import interaction_dict
from pytest_claude_contract.cassette.model import Interaction
from pytest_claude_contract.cassette.scrub import REDACTED, Scrubber
from pytest_claude_contract.cassette.store import load_cassette, write_cassette
from pytest_claude_contract.cli import main
from pytest_claude_contract.contract.aws_eventstream import decode_frames
from pytest_claude_contract.contract.credentials import credentials_in
from pytest_claude_contract.contract.exchange import CapturedRequest
from pytest_claude_contract.contract.redaction import redact, request_secrets
from pytest_claude_contract.contract.streams import frame_events

if TYPE_CHECKING:
    from pathlib import Path

# Built at run time: no file holds a credential-shaped literal.
KEY_ID = "AKIA" + "SECRETSTEST" + "00001"
TEMPORARY_KEY_ID = "ASIA" + "SECRETSTEST" + "00002"
SIGNATURE = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr" + "TemporarySessionToken" * 4
API_KEY = "ABSK" + base64.b64encode(b"BedrockAPIKey-test-at-123456789012:" + b"x" * 40).decode()
HOST = "https://bedrock-runtime.us-east-1.amazonaws.com"
PATH = "/model/anthropic.claude-sonnet-4-6-v1:0/invoke-with-response-stream"


def sigv4(key_id: str = KEY_ID, signature: str = SIGNATURE) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential={key_id}/20261207/us-east-1/bedrock/aws4_request, "
        f"SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature={signature}"
    )


def bedrock_request(
    headers: dict[str, str], url: str = HOST + PATH, body: dict[str, Any] | None = None
) -> CapturedRequest:
    payload = body or {"anthropic_version": "2026-10-21", "max_tokens": 8, "messages": []}
    return CapturedRequest(
        "POST",
        url,
        {"content-type": "application/json", "x-amz-date": "20261207T120000Z", **headers},
        json.dumps(payload).encode(),
    )


def stream_answer(*texts: str) -> dict[str, Any]:
    events = [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}} for t in texts
    ]
    return {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["application/vnd.amazon.eventstream"], "x-amzn-requestid": ["e2c1"]},
        "body": {"string": b"".join(chunk_frame(e) for e in events)},
    }


def test_the_writer_replaces_every_bedrock_credential_and_the_stream_still_plays(tmp_path: Path) -> None:
    temporary = bedrock_request(
        {"authorization": sigv4(TEMPORARY_KEY_ID), "x-amz-security-token": SESSION_TOKEN},
        body={"anthropic_version": "2026-10-21", "note": f"echo {KEY_ID}", "messages": []},
    )
    keyed = bedrock_request(
        {"authorization": f"Bearer {API_KEY}"},
        url=f"{HOST}{PATH}?X-Amz-Credential={TEMPORARY_KEY_ID}%2F20261207",
    )
    # A model that echoes the credentials: each inside a chunk's base64, one split across two events.
    echoed = stream_answer(f"key {KEY_ID} ", f"token {SESSION_TOKEN[:30]}", f"{SESSION_TOKEN[30:]} end")
    secrets = {*credentials_in(temporary.headers), *credentials_in(keyed.headers)}
    assert {KEY_ID, TEMPORARY_KEY_ID} & secrets == {TEMPORARY_KEY_ID}  # the header's key id is known
    path = tmp_path / "bedrock.yaml"
    write_cassette(
        path, [Interaction(temporary, echoed), Interaction(keyed, stream_answer("ok"))], Scrubber(secrets)
    )
    text = path.read_text(encoding="utf-8")
    for value in (KEY_ID, TEMPORARY_KEY_ID, SIGNATURE, SESSION_TOKEN, API_KEY, SESSION_TOKEN[:30]):
        assert value not in text
    written = yaml.safe_load(text)["interactions"]
    assert written[0]["request"]["headers"]["authorization"] == [
        sigv4(REDACTED, REDACTED).replace(f"Credential={REDACTED}", f"Credential={REDACTED}")
    ]
    assert written[0]["request"]["headers"]["x-amz-security-token"] == [REDACTED]
    assert written[1]["request"]["headers"]["authorization"] == [f"Bearer {REDACTED}"]
    # Played back: the frames are built again, CRCs and all, with the credentials replaced.
    played = load_cassette(path) or []
    body = next(i for i in played if "note" in i.request.body.decode()).response["body"]["string"]
    frames, problem = decode_frames(body)
    assert problem is None
    assert len(frames) == 3
    events, problems = frame_events(body)
    assert problems == []
    said = "".join(e.parsed["delta"]["text"] for e in events)
    assert said == f"key {REDACTED} token {REDACTED} end"


def test_a_stream_with_a_broken_frame_is_kept_as_bytes_and_still_scrubbed(tmp_path: Path) -> None:
    answer = stream_answer("fine")
    broken = bytearray(answer["body"]["string"])
    broken[-1] ^= 1
    answer["body"]["string"] = bytes(broken)
    request = bedrock_request({"authorization": sigv4()})
    written = interaction_dict(Interaction(request, answer), Scrubber(credentials_in(request.headers)))
    assert written["response"]["body"]["string"] == bytes(broken)  # as it came: !!binary in the file
    assert KEY_ID not in json.dumps(written["request"])


def leaky_cassette(path: Path) -> Path:
    """A cassette another tool wrote, with every Bedrock credential in it as it was sent."""
    chunk = base64.b64encode(json.dumps({"type": "ping", "echo": TEMPORARY_KEY_ID}).encode()).decode()
    stream = (
        f':event-type: chunk\n:message-type: event\ndata: {{"type":"ping"}}\npayload: {{"p":"{chunk}"}}\n'
    )
    interactions = [
        {
            "request": {
                "method": "POST",
                "uri": HOST + PATH,
                "headers": {"authorization": [sigv4()], "x-amz-security-token": [SESSION_TOKEN]},
                "body": '{"anthropic_version": "2026-10-21"}',
            },
            "response": {
                "status": {"code": 200, "message": "OK"},
                "headers": {"content-type": ["application/vnd.amazon.eventstream"]},
                "body": {"string": stream},
            },
        },
        {
            "request": {
                "method": "POST",
                "uri": HOST + PATH.replace("-with-response-stream", ""),
                "headers": {"authorization": [f"Bearer {API_KEY}"]},
                "body": json.dumps({"anthropic_version": "2026-10-21", "id": KEY_ID}),
            },
            "response": {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": "{}"}},
        },
    ]
    path.write_text(yaml.safe_dump({"interactions": interactions, "version": 1}), encoding="utf-8")
    return path


def test_lint_finds_each_bedrock_credential_and_shows_10_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = leaky_cassette(tmp_path / "leaky.yaml")
    assert main(["lint", str(path)]) == 1
    out = capsys.readouterr().out
    for where, value in [
        ("request header `authorization`", SIGNATURE),
        ("request header `x-amz-security-token`", SESSION_TOKEN),
        ("request header `authorization`", API_KEY),
        ("request body", KEY_ID),
        ("response body (base64)", TEMPORARY_KEY_ID),
    ]:
        assert f"{where} holds a credential ({value[:10]}...)" in out
    for value in (KEY_ID, TEMPORARY_KEY_ID, SIGNATURE, SESSION_TOKEN, API_KEY):
        assert leaks(value, out) == []

    assert main(["lint", "--fix-secrets", str(path)]) in (0, 1)
    capsys.readouterr()
    text = path.read_text(encoding="utf-8")
    for value in (KEY_ID, SIGNATURE, SESSION_TOKEN, API_KEY):
        assert value not in text


@pytest.mark.parametrize(
    "text",
    [
        f"authorization: {sigv4()}",
        f"'authorization': '{sigv4(TEMPORARY_KEY_ID)}'",
        f"x-amz-security-token: {SESSION_TOKEN}",
        f"GET {HOST}/x?X-Amz-Signature={SIGNATURE}&X-Amz-Security-Token={SESSION_TOKEN}",
        f"the key {KEY_ID} and {TEMPORARY_KEY_ID} in a sentence",
        f"Authorization: Bearer {API_KEY}",
        f"a Bedrock key {API_KEY} quoted",
    ],
)
def test_reports_show_at_most_10_characters_of_an_aws_credential(text: str) -> None:
    shown = redact(text)
    for value in (KEY_ID, TEMPORARY_KEY_ID, SIGNATURE, SESSION_TOKEN, API_KEY):
        if value[:11] in text:
            assert leaks(value, shown) == [], shown
    assert redact(shown) == shown


def test_a_request_s_sigv4_secrets_are_its_key_id_and_signature() -> None:
    request = bedrock_request({"authorization": sigv4(), "x-amz-security-token": SESSION_TOKEN})
    assert sorted(request_secrets(request)) == sorted([KEY_ID, SIGNATURE, SESSION_TOKEN])
    message = f"sent {sigv4()} with {SESSION_TOKEN}"
    shown = redact(message, request_secrets(request))
    assert "AWS4-HMAC-SHA256 Credential=" in shown  # the scheme stays readable
    for value in (KEY_ID, SIGNATURE, SESSION_TOKEN):
        assert leaks(value, shown) == []


def test_base64_that_merely_contains_the_letters_of_a_key_id_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An image sent as base64 may hold "AKIA" and 16 capitals, or "ABSK", anywhere in its run: not
    a credential, not replaced, not reported."""
    image = "iVBORw0KGgo" + "AKIA" + "ABCDEFGHIJKLMNOP" + "q9" + "ABSK" + "x7Yq" * 10 + "AAAA"
    body = {
        "anthropic_version": "2026-10-21",
        "max_tokens": 8,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": image}}
                ],
            }
        ],
    }
    request = bedrock_request(
        {"authorization": sigv4()}, url=HOST + PATH.replace("-with-response-stream", ""), body=body
    )
    answer = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["application/json"]},
        "body": {"string": b"{}"},
    }
    path = tmp_path / "image.yaml"
    write_cassette(path, [Interaction(request, answer)], Scrubber(credentials_in(request.headers)))
    assert image in path.read_text(encoding="utf-8")
    main(["lint", str(path)])
    assert "secret-in-cassette" not in capsys.readouterr().out
