"""Claude on Amazon Bedrock, end to end: the anthropic SDK's own `AnthropicBedrock` (SigV4-signed,
sync, async, `messages.create` and `messages.stream`, betas) against a loopback Bedrock Runtime
(`tests/fake_bedrock.py`, event-stream framing included) records through the marker, replays with
the stand-in stopped and no AWS credentials anywhere, and no access key id, secret, signature or
session token reaches the cassette. A broken request of each kind fails with its rule; a live stream
passes through frame by frame and replays frame by frame; `AnthropicBedrockMantle` is judged as the
API on Bedrock's Mantle host; where boto3 fetches credentials is never recorded.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import anthropic  # noqa: F401  (imported once, before the in-process pytester runs)
import botocore.auth  # noqa: F401
import pytest
from fake_bedrock import FakeBedrock
from helpers import interactions

from pytest_claude_contract.cli import main

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# Built at run time: no file holds a credential-shaped literal. AKIA: a long-term key; ASIA: temporary.
KEY_ID = "AKIA" + "BEDROCKTEST" + "12345"
TEMPORARY_KEY_ID = "ASIA" + "BEDROCKTEST" + "67890"
SECRET = "bedrock/test/secret/" + "S3cr3t" * 4
SESSION_TOKEN = "IQoJb3JpZ2luX2VjE" + "SessionToken" * 8

CONFTEST = """
import os
import pytest

@pytest.fixture(scope="module")
def claude_contract_config():
    return {"hosts": {os.environ["FAKE_BEDROCK_HOST"]: "bedrock"}}
"""

SUITE = """
import asyncio
import os

import pytest
from anthropic import AnthropicBedrock, AsyncAnthropicBedrock

MODEL = "anthropic.claude-sonnet-4-6-v1:0"


def credentials():
    # Passed to the constructor, as a test would; none of them is in the environment.
    temporary = os.environ.get("TEMPORARY") == "1"
    return {
        "aws_access_key": os.environ["TEMPORARY_KEY_ID" if temporary else "KEY_ID"],
        "aws_secret_key": os.environ["SECRET"],
        "aws_session_token": os.environ["SESSION_TOKEN"] if temporary else None,
        "aws_region": "us-east-1",
        "base_url": os.environ["FAKE_BEDROCK_URL"],
        "max_retries": 0,
    }


def ask(text):
    return {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": text}]}


@pytest.mark.claude_contract
def test_create(claude_contract):
    with AnthropicBedrock(**credentials()) as client:
        message = client.messages.create(**ask("Hello Bedrock"))
    assert message.content[0].text == "Echo: Hello Bedrock"
    (exchange,) = claude_contract.exchanges
    assert exchange.request.path == "/model/anthropic.claude-sonnet-4-6-v1:0/invoke"


@pytest.mark.claude_contract
def test_stream(claude_contract):
    with AnthropicBedrock(**credentials()) as client, client.messages.stream(**ask("Stream it please")) as stream:
        deltas = [e.delta.text for e in stream if e.type == "content_block_delta"]
        final = stream.get_final_message()
    assert "".join(deltas) == final.content[0].text == "Echo: Stream it please"
    (exchange,) = claude_contract.exchanges
    assert len(exchange.response.events) == 9  # each frame's Messages event, as the checks read them


@pytest.mark.claude_contract
def test_betas(claude_contract):
    # Bedrock takes the betas in the body (`anthropic_beta`): the SDK puts them there.
    with AnthropicBedrock(**credentials()) as client:
        reply = client.beta.messages.create(**ask("With a beta"), betas=["context-1m-2025-08-07"])
    assert reply.content[0].text == "Echo: With a beta"
    (exchange,) = claude_contract.exchanges
    assert exchange.request.json["anthropic_beta"] == ["context-1m-2025-08-07"]


@pytest.mark.claude_contract
def test_async_stream(claude_contract):
    async def run():
        async with AsyncAnthropicBedrock(**credentials()) as client:
            async with client.messages.stream(**ask("Async stream")) as stream:
                return await stream.get_final_text()

    assert asyncio.run(run()) == "Echo: Async stream"
"""


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeBedrock]:
    """A running stand-in of Bedrock Runtime, and no AWS credentials anywhere: not in the
    environment, and no credentials or config file (the inner tests pass theirs to the client)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask the instance metadata service
    monkeypatch.setenv("KEY_ID", KEY_ID)
    monkeypatch.setenv("TEMPORARY_KEY_ID", TEMPORARY_KEY_ID)
    monkeypatch.setenv("SECRET", SECRET)
    monkeypatch.setenv("SESSION_TOKEN", SESSION_TOKEN)
    with FakeBedrock() as server:
        monkeypatch.setenv("FAKE_BEDROCK_URL", server.url)
        monkeypatch.setenv("FAKE_BEDROCK_HOST", server.host)
        yield server


@pytest.fixture
def bedrock_suite(suite: pytest.Pytester, bedrock: FakeBedrock) -> pytest.Pytester:
    """A pytester folder (see conftest.py `suite`) whose tests reach the Bedrock stand-in."""
    suite.makeconftest(CONFTEST)
    suite.makepyfile(test_bedrock_suite=SUITE)
    return suite


def no_credential_in(path: Path, *values: str) -> None:
    text = path.read_text(encoding="utf-8")
    for value in values:
        assert value not in text, f"{value[:10]}... reached {path.name}"
    assert "Signature=" not in text or "Signature=redacted-by-claude-contract" in text


@pytest.mark.parametrize("temporary", [False, True], ids=["long-term key", "temporary credentials"])
def test_bedrock_records_then_replays_offline_without_credentials(
    bedrock_suite: pytest.Pytester,
    bedrock: FakeBedrock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    temporary: bool,
) -> None:
    monkeypatch.setenv("TEMPORARY", "1" if temporary else "0")
    recorded = bedrock_suite.runpytest("-p", "no:randomly")
    recorded.assert_outcomes(passed=4)
    recorded.stdout.fnmatch_lines(["exchanges checked: 4 (0 replayed, 4 live)", "violations: 0"])
    sent = [r.headers for r in bedrock.requests]
    assert [("x-amz-security-token" in h) for h in sent] == [temporary] * 4
    signatures = [h["authorization"].rpartition("Signature=")[2] for h in sent]

    folder = bedrock_suite.path / "cassettes" / "test_bedrock_suite"
    cassettes = sorted(folder.iterdir())
    assert [p.name for p in cassettes] == [
        "test_async_stream.yaml",
        "test_betas.yaml",
        "test_create.yaml",
        "test_stream.yaml",
    ]
    for path in cassettes:
        no_credential_in(path, KEY_ID, TEMPORARY_KEY_ID, SECRET, SESSION_TOKEN, *signatures)
    (stream,) = interactions(folder / "test_stream.yaml")
    authorization = stream["request"]["headers"]["authorization"][0]
    assert authorization.startswith(
        "AWS4-HMAC-SHA256 Credential=redacted-by-claude-contract/"
    )  # the scope stays readable: date, region, service
    assert "/us-east-1/bedrock/aws4_request, SignedHeaders=" in authorization
    assert authorization.endswith(", Signature=redacted-by-claude-contract")
    if temporary:
        assert stream["request"]["headers"]["x-amz-security-token"] == ["redacted-by-claude-contract"]
    # The stream is stored readably: each frame's headers and its event's JSON, one group per frame.
    body = stream["response"]["body"]["string"]
    assert body.startswith(":event-type: chunk\n:content-type: application/json\n:message-type: event\n")
    assert 'data: {"type":"message_start"' in body
    assert body.count("\n\n") == 8

    # lint reads them as this plugin wrote them: no secret left, and no violation of Bedrock's contract
    # (the SigV4 header as kept, its secrets replaced, is still well formed).
    assert main(["lint", "--host", f"{bedrock.host}=bedrock", str(folder)]) == 0
    linted = capsys.readouterr().out
    assert "4 interactions, 4 with a Claude host" in linted

    bedrock.stop()
    monkeypatch.setenv("CI", "1")
    for name in ("KEY_ID", "TEMPORARY_KEY_ID", "SECRET", "SESSION_TOKEN"):
        # The inner tests still sign (with credentials of their own): nothing of the recording's
        monkeypatch.setenv(name, "replay-" + name.lower().replace("_", "-") + "-0123456789")
    replayed = bedrock_suite.runpytest("-p", "no:randomly")
    replayed.assert_outcomes(passed=4)
    replayed.stdout.fnmatch_lines(
        ["exchanges checked: 4 (4 replayed, 0 live)", "violations: 0", "cassettes: 0 recorded, 4 replayed"]
    )


def test_a_stream_replays_frame_by_frame(bedrock_suite: pytest.Pytester, bedrock: FakeBedrock) -> None:
    """The replayed stream reaches the SDK as Bedrock sends it: one read per frame, every frame's CRCs
    good (built again from the cassette's readable form)."""
    bedrock_suite.runpytest("-p", "no:randomly", "-k", "test_stream").assert_outcomes(passed=1)
    bedrock.stop()
    recorded = bedrock_suite.path / "cassettes" / "test_bedrock_suite" / "test_stream.yaml"
    (bedrock_suite.path / "cassettes" / "test_frames").mkdir()
    (bedrock_suite.path / "cassettes" / "test_frames" / "test_frames.yaml").write_bytes(recorded.read_bytes())
    bedrock_suite.makepyfile(
        test_frames="""
        import os
        import httpx2
        import pytest
        from pytest_claude_contract.contract.aws_eventstream import decode_frames

        @pytest.mark.claude_contract
        def test_frames():
            url = os.environ["FAKE_BEDROCK_URL"] + "/model/anthropic.claude-sonnet-4-6-v1:0/invoke-with-response-stream"
            body = {"max_tokens": 64, "messages": [{"role": "user", "content": "Stream it please"}],
                    "anthropic_version": "2026-10-21"}
            with httpx2.Client() as client, client.stream("POST", url, json=body) as response:
                pieces = list(response.iter_raw())
            assert len(pieces) == 9
            for piece in pieces:
                frames, problem = decode_frames(piece)
                assert problem is None and len(frames) == 1
        """
    )
    # An unsigned raw request: only how the frames arrive is looked at here, not the contract.
    result = bedrock_suite.runpytest("-p", "no:randomly", "-k", "test_frames", "--claude-contract=off")
    result.assert_outcomes(passed=1)


BROKEN = """
import os

import pytest
from anthropic import AnthropicBedrock
from anthropic.types import Message
from fake_api import FakeClaudeAPI
from test_bedrock_suite import MODEL, ask, credentials


@pytest.mark.claude_contract
def test_model_in_body():
    # messages.create moves the model to the URL; a hand-built call with the same client need not.
    with AnthropicBedrock(**credentials()) as client:
        client.post(f"/model/{MODEL}/invoke", body=ask("Hi"), cast_to=Message)


@pytest.mark.claude_contract
def test_wrong_version():
    with AnthropicBedrock(**credentials()) as client:
        client.messages.create(**ask("Hi"), extra_body={"anthropic_version": "bedrock-2099-01-01"})


@pytest.mark.claude_contract
def test_temporary_key_without_its_token():
    settings = {**credentials(), "aws_access_key": os.environ["TEMPORARY_KEY_ID"]}
    with AnthropicBedrock(**settings) as client:
        client.messages.create(**ask("Hi"))


@pytest.mark.claude_contract
def test_bedrock_api_key():
    settings = {"api_key": os.environ["BEDROCK_API_KEY"], "aws_region": "us-east-1",
                "base_url": os.environ["FAKE_BEDROCK_URL"], "max_retries": 0}
    with AnthropicBedrock(**settings) as client:
        assert client.messages.create(**ask("Hi")).content[0].text == "Echo: Hi"


@pytest.mark.claude_contract
def test_throttled():
    # Bedrock's own error answer ({"message"}, x-amzn-errortype, 429): the contract's, no violation
    import anthropic

    with AnthropicBedrock(**credentials()) as client:
        with pytest.raises(anthropic.RateLimitError):
            client.messages.create(**{**ask("Hi"), "model": "trigger-throttling"})


@pytest.mark.claude_contract
def test_stream_ended_by_an_exception_frame():
    # Bedrock's way to end a stream with an error: an exception frame, read as an `error` event
    import anthropic

    misbehave = FakeClaudeAPI.running[os.environ["FAKE_BEDROCK_HOST"]].misbehave
    misbehave.add("stream-exception")
    try:
        with AnthropicBedrock(**credentials()) as client:
            with pytest.raises(anthropic.APIStatusError, match="The model stream failed"):
                with client.messages.stream(**ask("Stream it please")) as stream:
                    stream.get_final_message()
    finally:
        misbehave.discard("stream-exception")


@pytest.mark.claude_contract
def test_broken_stream():
    misbehave = FakeClaudeAPI.running[os.environ["FAKE_BEDROCK_HOST"]].misbehave
    misbehave.add("stream-bad-crc")
    try:
        with AnthropicBedrock(**credentials()) as client:
            with pytest.raises(Exception, match="Checksum mismatch"):
                with client.messages.stream(**ask("Stream it please")) as stream:
                    stream.get_final_message()
    finally:
        misbehave.discard("stream-bad-crc")
"""


def test_a_broken_bedrock_request_fails_with_a_report_naming_the_rule(
    bedrock_suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through AnthropicBedrock: `model` in the body, an `anthropic_version` Bedrock does not take,
    temporary credentials signed without their session token, and a stream whose frame is broken each
    fail with their rule; a Bedrock API key (Bearer), Bedrock's own throttling answer and a stream
    ended by an exception frame are accepted; none of the secrets shows."""
    api_key = "ABSK" + "QmVkcm9ja0FQSUtleS10ZXN0" + "x" * 40
    monkeypatch.setenv("TEMPORARY", "0")
    monkeypatch.setenv("BEDROCK_API_KEY", api_key)
    bedrock_suite.makepyfile(test_broken=BROKEN)
    result = bedrock_suite.runpytest("-p", "no:randomly", "test_broken.py")
    result.assert_outcomes(passed=3, failed=4)
    result.stdout.fnmatch_lines(
        [
            "*_ test_model_in_body _*",
            "POST http://127.0.0.1:*/model/anthropic.claude-sonnet-4-6-v1:0/invoke -> 200 (live), "
            "exchange 1, judged by the bedrock contract",
            "  [platform-model-in-body] the body names `model` ('anthropic.claude-sonnet-4-6-v1:0'), but "
            "Amazon Bedrock takes the model from the URL (/model/{model}/invoke) and refuses it in the body",
            "*_ test_wrong_version _*",
            "  [platform-version-body] the body's `anthropic_version` is 'bedrock-2099-01-01', not a "
            "version Amazon Bedrock accepts (bedrock-2023-05-31, 2023-01-01, 2023-06-01, 2026-10-21)",
            "*_ test_temporary_key_without_its_token _*",
            f"  [bedrock-sigv4] the access key id {TEMPORARY_KEY_ID[:10]}... is temporary (ASIA...), but no "
            "`x-amz-security-token` is sent",
            "*_ test_broken_stream _*",
            "  [[]bedrock-stream-frame] frame 3 (byte *): the frame's CRC32 is 0x*, but its bytes give 0x*",
        ]
    )
    for secret in (TEMPORARY_KEY_ID, KEY_ID, SECRET, api_key):
        assert secret[10:] not in result.stdout.str()


FROM_THE_ENVIRONMENT = """
import os

import pytest
from anthropic import AnthropicBedrock


@pytest.mark.claude_contract
def test_signed_with_what_the_environment_holds():
    # No credentials given: the SDK's boto3 session finds them (or the plugin's placeholders).
    settings = {"aws_region": "us-east-1", "base_url": os.environ["FAKE_BEDROCK_URL"], "max_retries": 0}
    with AnthropicBedrock(**settings) as client:
        assert client.messages.create(
            model="anthropic.claude-sonnet-4-6-v1:0", max_tokens=8, messages=[{"role": "user", "content": "Env"}]
        ).content[0].text == "Echo: Env"
"""


def test_replay_needs_no_aws_credentials_and_recording_without_them_is_refused(
    bedrock_suite: pytest.Pytester, bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that takes its credentials from the environment records with them, and replays where
    none are configured anywhere: the plugin lends placeholders to sign with. Recording with only the
    placeholders is refused with a message naming the AWS variables."""
    from anthropic.lib.aws import _auth

    bedrock_suite.makepyfile(test_env=FROM_THE_ENVIRONMENT)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    bedrock_suite.runpytest("-p", "no:randomly", "test_env.py").assert_outcomes(passed=1)
    cassette = (
        bedrock_suite.path / "cassettes" / "test_env" / "test_signed_with_what_the_environment_holds.yaml"
    )
    no_credential_in(cassette, KEY_ID, SECRET)

    bedrock.stop()
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    sessions: Any = _auth._get_session  # an lru_cache (the SDK's own typing hides it)
    sessions.cache_clear()  # the SDK keeps one boto3 session per process: start afresh
    replayed = bedrock_suite.runpytest("-p", "no:randomly", "test_env.py", "--claude-record-mode=none")
    replayed.assert_outcomes(passed=1)
    assert "AWS_ACCESS_KEY_ID" not in os.environ  # lent for the inner session only

    cassette.unlink()
    sessions.cache_clear()
    refused = bedrock_suite.runpytest("-p", "no:randomly", "test_env.py")
    refused.assert_outcomes(failed=1)
    refused.stdout.fnmatch_lines(
        [
            "*would go to the live API with the replay placeholder key, because AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY are not set.",
            "*Set AWS credentials to record it, or replay with --claude-record-mode=none.",
        ]
    )


CLOSED_EARLY = """
import pytest
from anthropic import AnthropicBedrock
from test_bedrock_suite import ask, credentials


@pytest.mark.claude_contract
def test_first_delta_only(claude_contract):
    with AnthropicBedrock(**credentials()) as client:
        with client.messages.stream(**ask("Stop after the first words")) as stream:
            first = next(e for e in stream if e.type == "content_block_delta")
    assert first.delta.text == "Echo: "
"""


def test_a_stream_closed_early_is_recorded_up_to_a_whole_frame_and_replays(
    bedrock_suite: pytest.Pytester, bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client stops reading after the first delta: the recording keeps whole frames only, is
    marked closed early, and replays; its missing message_stop is the client's doing, not a fault."""
    monkeypatch.setenv("TEMPORARY", "0")
    bedrock_suite.makepyfile(test_closed=CLOSED_EARLY)
    bedrock_suite.runpytest("-p", "no:randomly", "test_closed.py").assert_outcomes(passed=1)
    (kept,) = interactions(bedrock_suite.path / "cassettes" / "test_closed" / "test_first_delta_only.yaml")
    assert kept["closed_early"] is True
    body = kept["response"]["body"]["string"]
    assert isinstance(body, str)  # whole frames: still the readable form
    assert body.startswith(":event-type: chunk\n")
    bedrock.stop()
    monkeypatch.setenv("CI", "1")
    replayed = bedrock_suite.runpytest("-p", "no:randomly", "test_closed.py")
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["violations: 0"])


def test_bedrock_traffic_to_an_unlisted_host_is_named_with_the_hosts_that_judge_it(
    pytester: pytest.Pytester, bedrock: FakeBedrock
) -> None:
    """A stand-in (or a gateway) not listed in hosts=: its Bedrock-shaped requests are recorded, not
    checked, and the warning gives the hosts= that judges them as Bedrock."""
    pytester.makepyfile(test_bedrock_suite=SUITE)
    result = pytester.runpytest("-p", "no:randomly", "-k", "test_create", "-W", "default")
    result.assert_outcomes(passed=0, failed=1)  # the suite asserts an exchange was checked
    result.stdout.fnmatch_lines(
        [
            f"*looks like Claude traffic of the bedrock platform (its endpoint, with its anthropic_version), "
            f"but {bedrock.host} is not a Claude host for this test*hosts={{*'{bedrock.host}': 'bedrock'}}*",
        ]
    )


PASSED_THROUGH = """
import os
import threading

import pytest
from anthropic import AnthropicBedrock
from fake_api import FakeClaudeAPI
from test_bedrock_suite import ask, credentials


@pytest.mark.claude_contract
def test_each_event_as_it_comes():
    # While recording, the stand-in holds its stream after the first delta until the client has
    # seen that delta: a stream held back until its end would reach the client only after the
    # stand-in gave up waiting and finished it.
    api = FakeClaudeAPI.running[os.environ["FAKE_BEDROCK_HOST"]]
    api.stream_gate = threading.Event()
    before = api.streams_finished
    finished_when_seen = None
    with AnthropicBedrock(**credentials()) as client:
        with client.messages.stream(**ask("One word at a time")) as stream:
            for event in stream:
                if event.type == "content_block_delta" and finished_when_seen is None:
                    finished_when_seen = api.streams_finished - before
                    api.stream_gate.set()
            text = stream.get_final_text()
    assert text == "Echo: One word at a time"
    assert finished_when_seen == 0, "the client saw the first delta only after the stream ended"
"""


def test_a_live_bedrock_stream_reaches_the_client_frame_by_frame_while_recorded(
    bedrock_suite: pytest.Pytester, bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEMPORARY", "0")
    bedrock.gate_timeout = 3.0
    bedrock_suite.makepyfile(test_live=PASSED_THROUGH)
    result = bedrock_suite.runpytest("-p", "no:randomly", "test_live.py")
    result.assert_outcomes(passed=1)
    (kept,) = interactions(
        bedrock_suite.path / "cassettes" / "test_live" / "test_each_event_as_it_comes.yaml"
    )
    assert kept["response"]["body"]["string"].count("data: ") == 11  # recorded whole all the same


MANTLE = """
import os

import pytest
from anthropic import AnthropicBedrockMantle


def mantle(**changes):
    settings = {
        "aws_access_key": os.environ["KEY_ID"],
        "aws_secret_key": os.environ["SECRET"],
        "aws_region": "us-east-1",
        "base_url": os.environ["FAKE_API_URL"] + "/anthropic",
        "max_retries": 0,
        **changes,
    }
    return AnthropicBedrockMantle(**settings)


@pytest.mark.claude_contract
def test_mantle(claude_contract):
    with mantle() as client:
        reply = client.messages.create(
            model="anthropic.claude-sonnet-4-6", max_tokens=16, messages=[{"role": "user", "content": "Mantle"}]
        )
        with client.messages.stream(
            model="anthropic.claude-sonnet-4-6", max_tokens=16, messages=[{"role": "user", "content": "Streamed"}]
        ) as stream:
            streamed = stream.get_final_text()
    assert (reply.content[0].text, streamed) == ("Echo: Mantle", "Echo: Streamed")
    assert [e.request.path for e in claude_contract.exchanges] == ["/anthropic/v1/messages"] * 2


@pytest.mark.claude_contract
def test_mantle_temporary_key_without_its_token():
    with mantle(aws_access_key=os.environ["TEMPORARY_KEY_ID"]) as client:
        client.messages.create(
            model="anthropic.claude-sonnet-4-6", max_tokens=16, messages=[{"role": "user", "content": "Hi"}]
        )
"""


def test_bedrock_mantle_is_judged_as_the_api_signed_for_bedrock_mantle(
    pytester: pytest.Pytester, api: Any, bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AnthropicBedrockMantle: the API's Messages under /anthropic with `anthropic-version`, SigV4 for
    service bedrock-mantle; records, replays offline, keeps no secret; unsigned temporary credentials
    fail with bedrock-sigv4."""
    pytester.makeconftest(
        'import os, pytest\n\n@pytest.fixture(scope="module")\ndef claude_contract_config():\n'
        '    return {"hosts": {os.environ["FAKE_API_HOST"]: "bedrock-mantle"}}\n'
    )
    pytester.makepyfile(test_mantle=MANTLE)
    recorded = pytester.runpytest("-p", "no:randomly")
    recorded.assert_outcomes(passed=1, failed=1)
    recorded.stdout.fnmatch_lines(
        [
            "*, judged by the bedrock-mantle contract",
            f"  [[]bedrock-sigv4] the access key id {TEMPORARY_KEY_ID[:10]}... is temporary (ASIA...), but no "
            "`x-amz-security-token` is sent",
        ]
    )
    signed = [r.headers["authorization"] for r in api.requests]
    assert all("/us-east-1/bedrock-mantle/aws4_request" in value for value in signed)
    cassette = pytester.path / "cassettes" / "test_mantle" / "test_mantle.yaml"
    no_credential_in(cassette, KEY_ID, SECRET, *(value.rpartition("Signature=")[2] for value in signed))
    api.stop()
    monkeypatch.setenv("CI", "1")
    replayed = pytester.runpytest("-p", "no:randomly", "-k", "test_mantle and not temporary")
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["exchanges checked: 2 (2 replayed, 0 live)", "violations: 0"])


STS_FETCH = """
import os
import socket

import boto3
import httpx
import pytest

REAL_GETADDRINFO = socket.getaddrinfo


def to_the_stand_in(host, *args, **kwargs):
    # AWS STS and another host, both answered by the stand-in on 127.0.0.1.
    local = host in ("sts.us-east-1.amazonaws.com", "tracker.example")
    return REAL_GETADDRINFO("127.0.0.1" if local else host, *args, **kwargs)


@pytest.mark.claude_contract
def test_assume_role(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", to_the_stand_in)
    port = os.environ["FAKE_BEDROCK_HOST"].rsplit(":", 1)[1]
    sts = boto3.client(
        "sts",
        endpoint_url=f"http://sts.us-east-1.amazonaws.com:{port}",
        region_name="us-east-1",
        aws_access_key_id=os.environ["KEY_ID"],
        aws_secret_access_key=os.environ["SECRET"],
    )
    with pytest.raises(Exception):  # the stand-in is no STS: what matters is where the request went
        sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/bedrock", RoleSessionName="tests")
    assert httpx.get(f"http://tracker.example:{port}/elsewhere").status_code == 404
"""


def test_where_aws_credentials_are_fetched_passes_through_unrecorded(
    pytester: pytest.Pytester, bedrock: FakeBedrock
) -> None:
    """boto3 asking STS for temporary credentials (whose answer holds a secret access key and a
    session token) goes out live and never into the cassette; the test's other traffic is recorded."""
    pytester.makepyfile(test_sts=STS_FETCH)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
    assert [r.path for r in bedrock.requests] == ["/", "/elsewhere"]  # both went out
    assert "AssumeRole" in bedrock.requests[0].body.decode()
    text = (pytester.path / "cassettes" / "test_sts" / "test_assume_role.yaml").read_text(encoding="utf-8")
    assert "tracker.example" in text
    assert "amazonaws.com" not in text


HAND_SIGNED = """
import os

import httpx
import pytest

BODY = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]}


def invoke(signed_headers):
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={os.environ['KEY_ID']}/20261207/us-east-1/bedrock/aws4_request, "
        f"SignedHeaders={signed_headers}, Signature={os.environ['ODD_SIGNATURE']}"
    )
    headers = {"authorization": authorization, "x-amz-date": "20261207T120000Z"}
    url = os.environ["FAKE_BEDROCK_URL"] + "/model/anthropic.claude-sonnet-4-6-v1:0/invoke"
    assert httpx.post(url, json=BODY, headers=headers).status_code == 200


@pytest.mark.claude_contract
def test_well_signed():
    invoke("content-type;host;x-amz-date")


@pytest.mark.claude_contract
def test_host_unsigned():
    invoke("content-type;x-amz-date")
"""


def test_one_sigv4_parser_for_the_scrubber_and_the_bedrock_sigv4_rule(
    bedrock_suite: pytest.Pytester, bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cassette writer and rule bedrock-sigv4 read a SigV4 `Authorization` with one parser
    (contract.credentials): a signature that is not hex (a client's own signer, a proxy's) is read as
    the rule reads it, to the next comma, and so replaced whole, not cut after its first hex digits."""
    odd_signature = "c2lnbmF0dXJl" + "Zq" * 26  # starts with hex digits, then is not hex
    monkeypatch.setenv("ODD_SIGNATURE", odd_signature)
    bedrock_suite.makepyfile(test_hand_signed=HAND_SIGNED)
    result = bedrock_suite.runpytest("-p", "no:randomly", "test_hand_signed.py")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*_ test_host_unsigned _*", "  [[]bedrock-sigv4] SignedHeaders leaves out host"]
    )
    result.stdout.no_fnmatch_line("*_ test_well_signed _*")
    assert odd_signature[10:] not in result.stdout.str()
    sent = [r.headers["authorization"] for r in bedrock.requests]
    assert all(value.endswith(f"Signature={odd_signature}") for value in sent)  # as the client sent it
    folder = bedrock_suite.path / "cassettes" / "test_hand_signed"
    (kept,) = interactions(folder / "test_well_signed.yaml")
    assert kept["request"]["headers"]["authorization"] == [
        "AWS4-HMAC-SHA256 Credential=redacted-by-claude-contract/20261207/us-east-1/bedrock/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, Signature=redacted-by-claude-contract"
    ]
    no_credential_in(folder / "test_well_signed.yaml", KEY_ID, odd_signature[2:])
