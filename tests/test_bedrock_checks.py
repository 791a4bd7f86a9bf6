"""Amazon Bedrock's contract as the checks judge it, one exchange at a time: each Bedrock rule fires
on its fault and stays quiet on what `AnthropicBedrock` sends (signed by botocore itself, as the SDK
signs) and on what the cassette keeps of it (the SigV4 secrets replaced); the shared rules
(platform-version-body, platform-model-in-body, body-too-large, content types, error shapes) read
Bedrock's facts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from fake_bedrock import chunk_frame, exception_frame

from pytest_claude_contract.cassette.model import Interaction
from pytest_claude_contract.cassette.scrub import REDACTED, Scrubber
from pytest_claude_contract.cassette.store import write_cassette
from pytest_claude_contract.cli import main
from pytest_claude_contract.contract.checks import Violation, check_exchange
from pytest_claude_contract.contract.exchange import CapturedRequest, CapturedResponse, Exchange
from pytest_claude_contract.contract.models import DEFAULT_CONTRACT, MB
from pytest_claude_contract.contract.rules import changed_headers

if TYPE_CHECKING:
    from pathlib import Path

HOST = "bedrock-runtime.us-east-1.amazonaws.com"
MODEL = "anthropic.claude-sonnet-4-6-v1:0"
INVOKE = f"https://{HOST}/model/{MODEL}/invoke"
STREAM = INVOKE + "-with-response-stream"
KEY_ID = "AKIA" + "CHECKSTEST" + "000001"
TEMPORARY_KEY_ID = "ASIA" + "CHECKSTEST" + "000002"
SESSION_TOKEN = "IQoJb3JpZ2luX2Vj" + "Token" * 12
BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "Hi"}],
}
MESSAGE = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-6",
    "content": [{"type": "text", "text": "Hi"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 1, "output_tokens": 1},
}


def signed(
    url: str = INVOKE,
    body: Any = BODY,
    *,
    key_id: str = KEY_ID,
    token: str | None = None,
    region: str = "us-east-1",
    service: str = "bedrock",
) -> dict[str, str]:
    """The headers botocore's SigV4Auth adds, as the SDK's `get_auth_headers` has it sign them."""
    data = json.dumps(body).encode()
    request = AWSRequest("POST", url, headers={"content-type": "application/json"}, data=data)
    SigV4Auth(Credentials(key_id, "secret-key-for-the-tests", token), service, region).add_auth(request)
    return {name.lower(): value for name, value in request.prepare().headers.items()}


def exchange(
    headers: dict[str, str],
    url: str = INVOKE,
    body: Any = BODY,
    *,
    status: int = 200,
    response_headers: dict[str, str] | None = None,
    answer: bytes | None = None,
) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = CapturedRequest("POST", url, {"host": HOST, **headers}, raw)
    reply = answer if answer is not None else json.dumps(MESSAGE).encode()
    response = CapturedResponse(status, response_headers or {"content-type": "application/json"}, reply)
    return Exchange(request, response, "live", 1)


def found(ex: Exchange) -> list[Violation]:
    return check_exchange(ex, DEFAULT_CONTRACT)


def rules(ex: Exchange) -> list[str]:
    return [v.rule for v in found(ex)]


def test_what_the_sdk_signs_is_conformant_and_so_is_its_cassette_form() -> None:
    headers = signed()
    assert rules(exchange(headers)) == []
    temporary = signed(key_id=TEMPORARY_KEY_ID, token=SESSION_TOKEN)
    assert rules(exchange(temporary)) == []
    scrubber = Scrubber([KEY_ID, TEMPORARY_KEY_ID, SESSION_TOKEN])
    for sent in (headers, temporary):
        kept = {name: scrubber.header(name, value) for name, value in sent.items()}
        assert REDACTED in kept["authorization"]
        assert rules(exchange(kept)) == []  # lint reads the cassette's request: no false finding


SIGV4_FAULTS = [
    pytest.param(
        lambda: changed_headers(signed(), authorization=signed()["authorization"].split(", Signature=")[0]),
        "the SigV4 `Authorization` has no Signature",
        id="no signature",
    ),
    pytest.param(
        lambda: changed_headers(
            signed(), authorization=signed()["authorization"].replace("/aws4_request", "")
        ),
        "the SigV4 credential is not `<access key id>/<date>/<region>/<service>/aws4_request`",
        id="short scope",
    ),
    pytest.param(
        lambda: signed(service="bedrock-runtime"),
        "the SigV4 signature is scoped to service 'bedrock-runtime'; Amazon Bedrock takes 'bedrock'",
        id="service",
    ),
    pytest.param(
        lambda: signed(region="eu-west-1"),
        f"the SigV4 signature is scoped to region 'eu-west-1', but the request goes to 'us-east-1' ({HOST})",
        id="region",
    ),
    pytest.param(
        lambda: changed_headers(signed(), x_amz_date=None),
        "no `x-amz-date` header is sent with the SigV4 signature",
        id="no date",
    ),
    pytest.param(
        lambda: changed_headers(signed(), x_amz_date="20200101T000000Z"),
        "`x-amz-date: 20200101T000000Z` is not on the credential scope's date *",
        id="date",
    ),
    pytest.param(
        lambda: changed_headers(signed(), authorization=signed()["authorization"].replace("host;", "")),
        "SignedHeaders leaves out host",
        id="host unsigned",
    ),
    pytest.param(
        lambda: signed(key_id=TEMPORARY_KEY_ID),
        f"the access key id {TEMPORARY_KEY_ID[:10]}... is temporary (ASIA...), but no "
        "`x-amz-security-token` is sent",
        id="temporary without token",
    ),
    pytest.param(
        lambda: signed(token=SESSION_TOKEN),
        f"an `x-amz-security-token` is sent with a long-term access key id ({KEY_ID[:10]}...); only "
        "temporary credentials (ASIA...) have one",
        id="token with a long-term key",
    ),
]


@pytest.mark.parametrize(("headers", "message"), SIGV4_FAULTS)
def test_each_sigv4_fault_is_named(headers: Any, message: str) -> None:
    from fnmatch import fnmatch

    (violation,) = found(exchange(headers()))
    assert violation.rule == "bedrock-sigv4"
    assert fnmatch(violation.message, message), violation.message


def test_a_signed_date_header_stands_for_x_amz_date() -> None:
    headers = signed()
    stamp = headers.pop("x-amz-date")
    headers["authorization"] = headers["authorization"].replace("x-amz-date", "date")
    headers["date"] = stamp
    assert rules(exchange(headers)) == []
    del headers["date"]
    assert rules(exchange(headers)) == ["bedrock-sigv4"]


def test_sigv4_is_for_bedrock_only_and_bedrock_takes_sigv4_or_its_api_key() -> None:
    first_party = exchange(
        {**signed(url="https://api.anthropic.com/v1/messages"), "anthropic-version": "2023-06-01"},
        url="https://api.anthropic.com/v1/messages",
        body={"model": "claude-sonnet-4-6", "max_tokens": 8, "messages": []},
    )
    assert "auth-scheme" in rules(first_party)
    assert "bedrock-sigv4" not in rules(first_party)
    api_key = "ABSK" + "QmVkcm9ja0FQSUtleS1jaGVja3M" + "y" * 30
    assert rules(exchange({"authorization": f"Bearer {api_key}", "content-type": "application/json"})) == []
    claude_key = "sk-ant-" + "api03-" + "C" * 40
    wrong = found(exchange({"authorization": f"Bearer {claude_key}", "content-type": "application/json"}))
    assert [v.rule for v in wrong] == ["auth-scheme"]
    assert "a Claude API key (sk-ant-...) is sent to Amazon Bedrock" in wrong[0].message
    assert rules(exchange({"content-type": "application/json"})) == ["auth-missing"]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("bedrock-2023-05-31", []),
        ("2026-10-21", []),
        ("2023-06-01", []),
        ("vertex-2023-10-16", ["platform-version-body"]),
    ],
)
def test_the_body_version_bedrock_takes(version: str, expected: list[str]) -> None:
    body = {**BODY, "anthropic_version": version}
    assert rules(exchange(signed(body=body), body=body)) == expected


def test_no_body_version_and_a_model_in_the_body_are_violations() -> None:
    body = {k: v for k, v in BODY.items() if k != "anthropic_version"}
    assert rules(exchange(signed(body=body), body=body)) == ["platform-version-body"]
    with_model = {**BODY, "model": MODEL}
    assert rules(exchange(signed(body=with_model), body=with_model)) == ["platform-model-in-body"]


def test_the_2026_version_s_removed_fields_apply_on_bedrock_too() -> None:
    body = {**BODY, "anthropic_version": "2026-10-21", "temperature": 0.5}
    assert rules(exchange(signed(body=body), body=body)) == ["version-body"]
    older = {**BODY, "temperature": 0.5}  # bedrock-2023-05-31 still takes temperature
    assert rules(exchange(signed(body=older), body=older)) == []


def test_the_body_limit_is_bedrock_s_20_mb() -> None:
    def padded(size: int) -> bytes:
        raw = json.dumps(BODY).encode()
        return raw[:-1] + b" " * (size - len(raw)) + b"}"

    at_limit, over = padded(20 * MB), padded(20 * MB + 1)
    assert rules(exchange(signed(), body=at_limit)) == []
    (violation,) = found(exchange(signed(), body=over))
    assert violation.rule == "body-too-large"
    assert "Messages (InvokeModel) (POST /model/{model}/invoke) accepts at most 20 MB" in violation.message


def test_the_request_must_be_json() -> None:
    headers = {**signed(), "content-type": "text/plain"}
    assert rules(exchange(headers)) == ["content-type"]


STREAM_HEADERS = {"content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "e2c1"}
EVENTS: list[dict[str, Any]] = [
    {"type": "message_start", "message": {**MESSAGE, "content": [], "stop_reason": None}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}},
    {"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 1}},
]


def streamed(frames: bytes, headers: dict[str, str] = STREAM_HEADERS) -> Exchange:
    return exchange(signed(url=STREAM), url=STREAM, response_headers=headers, answer=frames)


def test_a_bedrock_stream_is_checked_as_an_sse_stream_is() -> None:
    frames = [chunk_frame(e) for e in EVENTS]
    assert rules(streamed(b"".join(frames))) == []
    swapped = b"".join([*frames[:4], frames[5], frames[4]])
    (violation,) = found(streamed(swapped))
    assert (violation.rule, violation.message) == (
        "stream-order",
        "event 5 is message_stop, but no message_delta came before it",
    )
    thinking = {**EVENTS[2], "delta": {"type": "thinking_delta", "thinking": "hm"}}
    bad_delta = b"".join([*frames[:2], chunk_frame(thinking), *frames[3:]])
    assert rules(streamed(bad_delta)) == ["stream-event"]
    # An exception frame ends the stream as an `error` event: not a fault of the stream.
    cut = b"".join([*frames[:3], exception_frame("modelStreamErrorException", "The model stream failed.")])
    assert rules(streamed(cut)) == []


def test_a_broken_frame_is_reported_with_where_it_breaks() -> None:
    frames = [chunk_frame(e) for e in EVENTS]
    data = bytearray(b"".join(frames))
    data[len(frames[0]) + 20] ^= 0x40
    found_rules = found(streamed(bytes(data)))
    assert found_rules[0].rule == "bedrock-stream-frame"
    assert found_rules[0].message.startswith(f"frame 2 (byte {len(frames[0])}): the frame's CRC32 is 0x")
    # The stream stops being readable there: the order check says so as well.
    assert [v.rule for v in found_rules] == ["bedrock-stream-frame", "stream-order"]


def test_the_stream_answer_must_be_an_event_stream_and_invoke_json() -> None:
    frames = b"".join(chunk_frame(e) for e in EVENTS)
    violation, unread = found(streamed(frames, {"content-type": "text/event-stream"}))
    assert violation.rule == "response-content-type"
    assert violation.message == (
        "the Messages (InvokeModelWithResponseStream) response has content-type 'text/event-stream', "
        "not 'application/vnd.amazon.eventstream'"
    )
    assert unread.rule == "stream-order"  # frames read as SSE: no events at all
    assert rules(exchange(signed(), response_headers={"content-type": "text/html"})) == [
        "response-content-type"
    ]


def aws_error(status: int, error_type: str | None, body: Any) -> Exchange:
    headers = {"content-type": "application/json"}
    if error_type is not None:
        headers["x-amzn-errortype"] = f"{error_type}:http://internal.amazon.com/coral/com.amazon.bedrock/"
    return exchange(signed(), status=status, response_headers=headers, answer=json.dumps(body).encode())


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (429, "ThrottlingException"),
        (400, "ValidationException"),
        (424, "ModelErrorException"),
        (403, "UnrecognizedClientException"),
    ],
)
def test_aws_errors_of_the_documented_shape_and_status_are_quiet(status: int, error_type: str) -> None:
    assert rules(aws_error(status, error_type, {"message": "no"})) == []


def test_an_aws_error_of_another_shape_or_status_is_a_violation() -> None:
    (shape,) = found(aws_error(400, "ValidationException", {"type": "error", "error": {"type": "x"}}))
    assert shape.rule == "error-shape"
    assert 'the 400 response body is not {"message": ...}' in shape.message
    (status,) = found(aws_error(400, "ThrottlingException", {"message": "slow down"}))
    assert status.rule == "error-status"
    assert status.message == (
        "a 400 response carries error type 'ThrottlingException'; Amazon Bedrock answers "
        "ThrottlingException with 429"
    )


# ---------------------------------------------------------------- diff between two recordings


def bedrock_cassette(path: Path, events: list[dict[str, Any]], request_id: str, latency: str) -> Path:
    """A recorded Bedrock stream, written by the plugin's own writer (the readable frames)."""
    request = CapturedRequest("POST", STREAM, {"host": HOST, **signed(url=STREAM)}, json.dumps(BODY).encode())
    headers = {
        "content-type": ["application/vnd.amazon.eventstream"],
        "x-amzn-requestid": [request_id],
        "x-amzn-bedrock-invocation-latency": [latency],
    }
    answer = {
        "status": {"code": 200, "message": "OK"},
        "headers": headers,
        "body": {"string": b"".join(chunk_frame(e) for e in events)},
    }
    write_cassette(path, [Interaction(request, answer, "2026-12-07T12:00:00Z")], Scrubber([KEY_ID]))
    return path


def test_diff_compares_bedrock_streams_by_their_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = bedrock_cassette(tmp_path / "old.yaml", EVENTS, "e2c1", "321")
    again = [
        {**e, "message": {**e["message"], "id": "msg_02"}} if e["type"] == "message_start" else e
        for e in EVENTS
    ]
    same = bedrock_cassette(tmp_path / "same.yaml", again, "f3d2", "456")
    host = ["--host", HOST]
    assert main(["diff", *host, str(old), str(same)]) == 0, capsys.readouterr().out
    capsys.readouterr()
    grown = [
        {**e, "usage": {**e["usage"], "service_tier": "standard"}} if e["type"] == "message_delta" else e
        for e in EVENTS
    ]
    new = bedrock_cassette(tmp_path / "new.yaml", grown, "f3d2", "456")
    assert main(["diff", *host, str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "+ new field       body: event message_delta.usage.service_tier = 'standard'" in out


@pytest.mark.parametrize(
    ("betas", "message"),
    [
        (["context-1m-2025-08-07"], None),
        (
            "context-1m-2025-08-07",
            'the body\'s `anthropic_beta` is "context-1m-2025-08-07", not a list of beta names*',
        ),
        (["Context 1M"], "the body's `anthropic_beta` names 'Context 1M', which is not a beta name*"),
    ],
)
def test_the_body_s_betas_are_a_list_of_beta_names(betas: Any, message: str | None) -> None:
    from fnmatch import fnmatch

    body = {**BODY, "anthropic_beta": betas}
    violations = found(exchange(signed(body=body), body=body))
    if message is None:
        assert violations == []
    else:
        (violation,) = violations
        assert violation.rule == "beta-header"
        assert fnmatch(violation.message, message), violation.message


def test_anthropic_s_model_lifecycle_is_not_judged_on_bedrock_s_mantle_endpoint() -> None:
    """Amazon sets Bedrock's model schedule (the model lifecycle dates are the Anthropic-operated
    platforms'): a retired id in a Mantle body, as on the API, is not judged there."""
    retired = "claude-sonnet-4-5"  # retired 2026-11-30 on the API (Docs, Model deprecations)
    url = "https://bedrock-mantle.us-east-1.api.aws/anthropic/v1/messages"
    body = {"model": retired, "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]}
    headers = {**signed(url=url, body=body, service="bedrock-mantle"), "anthropic-version": "2026-10-21"}
    request = CapturedRequest(
        "POST", url, {"host": "bedrock-mantle.us-east-1.api.aws", **headers}, json.dumps(body).encode()
    )
    mantle = Exchange(
        request,
        CapturedResponse(200, {"content-type": "application/json"}, json.dumps(MESSAGE).encode()),
        "live",
        1,
    )
    assert rules(mantle) == []
    api = Exchange(
        CapturedRequest("POST", "https://api.anthropic.com/v1/messages",
                        {"x-api-key": "a-key-of-some-length-here", "anthropic-version": "2026-10-21",
                         "content-type": "application/json"}, json.dumps(body).encode()),
        mantle.response, "live", 1,
    )  # fmt: skip
    assert "model-retired" in rules(api)
