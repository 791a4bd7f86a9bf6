"""Secrets in any encoding: the writer never puts one on disk, and `lint` finds each one.

The property test places keys of every shape (API, admin and OAuth keys, and an opaque bearer token
that is the configured key) in every encoding and every place of an interaction, writes the cassette
with the real writer, and reads the file's bytes back with an independent reader
(`secret_encodings.views`): either no trace of the key is there, or the write was refused naming the
file and the place and the file on disk is as it was.
"""

from __future__ import annotations

import gzip
import json
import string
import time
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secret_encodings import TEXT_ENCODERS, b64, entities, json_u, mime, percent, sse, views

from pytest_claude_contract.cassette.formats import playable_response
from pytest_claude_contract.cassette.model import CassetteError, Interaction
from pytest_claude_contract.cassette.scrub import REDACTED, Scrubber
from pytest_claude_contract.cassette.secret_search import DECOMPRESSED_CAP, search
from pytest_claude_contract.cassette.store import write_cassette
from pytest_claude_contract.cli import main
from pytest_claude_contract.contract.exchange import CapturedRequest, body_bytes

if TYPE_CHECKING:
    from pathlib import Path

KEY_CHARS = string.ascii_letters + string.digits + "_-"
PREFIX = "sk-" + "ant-"  # built at run time: no file holds a key-shaped literal
URL = "https://api.anthropic.com/v1/messages"
# lint's cassettes talk to another host: the secret scan covers every interaction, the contract
# checks only Claude's, so a clean cassette here is judged on secrets alone.
OTHER = "https://echo.example/v1/echo"


@st.composite
def credentials(draw: st.DrawFn) -> tuple[str, bool]:
    """(credential, configured): a Claude key of any kind, or an opaque token that is the key."""
    kind = draw(st.sampled_from(["api03", "admin01", "oat01", "opaque"]))
    tail = draw(st.text(KEY_CHARS, min_size=20, max_size=60))
    if kind == "opaque":
        return "Tok" + tail, True
    return f"{PREFIX}{kind}-{tail}", draw(st.booleans())


PLACES = (
    "request header",
    "response header",
    "query",
    "path",
    "request body",
    "response body",
    "sse data",
    "sse split",
    "multipart part",
    "utf-16 body",
    "gzip, gzip body",
    "gzip request body",
)


def _interaction(place: str, key: str, encoder: str) -> Interaction:
    encoded = TEXT_ENCODERS[encoder](key)
    request_headers = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
    response_headers: dict[str, list[str]] = {"content-type": ["application/json"]}
    url = URL
    request_body = json.dumps({"model": "m", "max_tokens": 5}).encode()
    response_body = b'{"type": "message"}'
    if place == "request header":
        request_headers["x-echo"] = encoded
    elif place == "response header":
        response_headers["x-echo"] = [encoded]
    elif place == "query":
        url += "?beta=true&note=" + encoded
    elif place == "path":
        url = "https://api.anthropic.com/v1/files/" + encoded
    elif place == "request body":
        request_body = json.dumps({"model": "m", "note": encoded}).encode()
    elif place == "response body":
        response_body = ("<p>" + encoded + "</p>").encode()
        response_headers["content-type"] = ["text/html"]
    elif place == "sse data":
        response_body = sse("hi ", encoded).encode()
        response_headers["content-type"] = ["text/event-stream"]
    elif place == "sse split":
        cut = len(encoded) // 2
        response_body = sse("hi ", encoded[:cut], encoded[cut:]).encode()
        response_headers["content-type"] = ["text/event-stream"]
    elif place == "multipart part":
        request_headers["content-type"] = "multipart/form-data; boundary=b0"
        request_body = (
            "--b0\r\nContent-Disposition: form-data; name=file\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + mime(encoded) + "\r\n--b0--\r\n"
        ).encode()
    elif place == "utf-16 body":
        response_body = json.dumps({"text": encoded}).encode("utf-16")
        response_headers["content-type"] = ["application/json; charset=utf-16"]
    elif place == "gzip, gzip body":
        response_body = gzip.compress(gzip.compress(json.dumps({"text": encoded}).encode()))
        response_headers["content-encoding"] = ["gzip, gzip"]
    elif place == "gzip request body":
        request_headers["content-encoding"] = "gzip"
        request_body = gzip.compress(json.dumps({"note": encoded}).encode())
    request = CapturedRequest("POST", url, request_headers, request_body)
    raw = {
        "status": {"code": 200, "message": "OK"},
        "headers": response_headers,
        "body": {"string": response_body},
    }
    return Interaction(request, playable_response(raw))  # as the recorder keeps an answer


def _stored_texts(path: Path) -> list[str]:
    """Every text of the written file: the whole of it, and each value in it (bodies as bytes too,
    decoded each way a reader would)."""
    text = path.read_bytes().decode("utf-8")
    out = [text]
    for interaction in yaml.safe_load(text)["interactions"]:
        for side in ("request", "response"):
            data = interaction[side]
            out.extend(str(v) for values in data["headers"].values() for v in values)
            out.append(str(data.get("uri", "")))
            body = data["body"]["string"] if side == "response" else data["body"]
            raw = body_bytes(body)
            coding = {k.lower(): v for k, v in data["headers"].items()}.get("content-encoding")
            if coding and raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            for codec in ("utf-8", "utf-16"):
                try:
                    out.append(raw.decode(codec))
                except UnicodeDecodeError:
                    continue
    return out


@settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    credential=credentials(),
    place=st.sampled_from(PLACES),
    encoder=st.sampled_from(sorted(TEXT_ENCODERS)),
)
def test_no_credential_reaches_disk_in_any_encoding(
    tmp_path: Path, credential: tuple[str, bool], place: str, encoder: str
) -> None:
    key, configured = credential
    path = tmp_path / f"{place}-{encoder}.yaml".replace(" ", "_").replace(",", "")
    path.write_text("old: content\n", encoding="utf-8")
    scrubber = Scrubber([key] if configured else [])
    try:
        write_cassette(path, [_interaction(place, key, encoder)], scrubber)
    except CassetteError as exc:
        message = str(exc)
        assert message.startswith(f"{path}: not written: interaction 1, "), message
        assert "request" in message or "response" in message
        assert key not in message
        assert path.read_text(encoding="utf-8") == "old: content\n"  # left as it was
        return
    for text in _stored_texts(path):
        for view in views(text):
            assert key not in view, (place, encoder)
            assert key[-16:] not in view, (place, encoder)  # nor a piece left behind by a split


def test_each_encoding_is_replaced_where_it_stands(tmp_path: Path) -> None:
    """The common encodings are replaced exactly (the cassette is written, with the placeholder
    in the key's place, encoded the same way); a compressed request body is refused, naming where."""
    key = PREFIX + "api03-" + "Xy7" * 20
    for place, encoder in [
        ("query", "percent"),
        ("sse data", "json-u"),
        ("sse split", "plain"),
        ("response header", "base64"),
        ("utf-16 body", "plain"),
        ("response body", "html"),
        ("multipart part", "plain"),
        ("gzip, gzip body", "plain"),
    ]:
        path = tmp_path / "c.yaml"
        write_cassette(path, [_interaction(place, key, encoder)], Scrubber([]))
        texts = _stored_texts(path)
        assert not any(key in view for text in texts for view in views(text)), (place, encoder)
        assert any(REDACTED in view for text in texts for view in views(text)), (place, encoder)
    with pytest.raises(CassetteError) as refused:
        write_cassette(tmp_path / "r.yaml", [_interaction("gzip request body", key, "plain")], Scrubber([]))
    assert "interaction 1, request body would hold a credential" in str(refused.value)
    assert "content-encoding gzip" in str(refused.value)
    assert not (tmp_path / "r.yaml").exists()


def test_search_finds_each_encoding_and_nothing_in_clean_text() -> None:
    key = PREFIX + "oat01-" + "Q2w" * 12
    cases: dict[str, tuple[str | bytes, dict[str, str]]] = {
        "percent-encoding": ("q=" + percent(key), {}),
        "JSON \\u escapes": (sse(json_u(key)), {}),
        "split across SSE events": (sse(key[:9], key[9:]), {}),
        "base64": (b64(key), {}),
        "content-encoding gzip, content-encoding gzip": (
            gzip.compress(gzip.compress(key.encode())),
            {"content_encoding": "gzip, gzip"},
        ),
        "UTF-16": (json.dumps({"k": key}).encode("utf-16-le"), {}),
        "HTML entities": (entities(key), {}),
    }
    for how, (value, options) in cases.items():
        assert [(f.value, f.how) for f in search(value, **options)] == [(key, how)]
    clean = sse("Hello", " world") + b64("nothing here") + percent("a b") + entities("<x>")
    assert search(clean) == []
    assert search(clean.encode("utf-16")) == []


def test_the_work_is_bounded() -> None:
    """A 2 MB body of each kind is searched in well under a second, and a compression bomb is read
    no further than the cap."""
    filler = "The quick brown fox msg_01AbCdEf0123456789 jumps %20 &amp; \\u0041. " * 30_000
    bodies: list[str | bytes] = [
        filler,
        sse(*(["word "] * 20_000)),
        b64("x" * 1_500_000),
        json.dumps({"image": b64("".join(map(chr, range(256))) * 6000)}),
    ]
    for body in bodies:
        started = time.perf_counter()
        assert search(body) == []
        assert time.perf_counter() - started < 1.5
    bomb = gzip.compress(b"\0" * (DECOMPRESSED_CAP * 2))
    started = time.perf_counter()
    assert search(bomb, content_encoding="gzip") == []
    assert time.perf_counter() - started < 5


# ---------------------------------------------------------------- lint


def _cassette(request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    base_request = {
        "method": "POST",
        "uri": OTHER,
        "body": '{"model": "m"}',
        "headers": {"content-type": ["application/json"], "x-api-key": [REDACTED]},
    }
    base_response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["application/json"]},
        "body": {"string": '{"type": "message"}'},
    }
    base_request.update(request)
    base_response.update(response)
    return {"interactions": [{"request": base_request, "response": base_response}], "version": 1}


def nine_cassettes(key: str) -> dict[str, dict[str, Any]]:
    """The nine ways a server's echo or a client's request hid a key from the first probe."""
    stream = {"content-type": ["text/event-stream"]}
    return {
        "percent": _cassette({"uri": OTHER + "?note=" + percent(key)}, {}),
        "json-u-sse": _cassette({}, {"headers": stream, "body": {"string": sse(json_u(key))}}),
        "split-sse": _cassette({}, {"headers": stream, "body": {"string": sse(key[:12], key[12:])}}),
        "base64": _cassette({}, {"headers": {"x-echo": [b64(key)]}}),
        "gzip-gzip": _cassette(
            {},
            {
                "headers": {"content-encoding": ["gzip, gzip"]},
                "body": {"string": gzip.compress(gzip.compress(key.encode()))},
            },
        ),
        "gzip-request": _cassette(
            {
                "headers": {"content-encoding": ["gzip"], "x-api-key": [REDACTED]},
                "body": gzip.compress(json.dumps({"k": key}).encode()),
            },
            {},
        ),
        "utf-16": _cassette(
            {},
            {
                "headers": {"content-type": ["application/json; charset=utf-16"]},
                "body": {"string": json.dumps({"k": key}).encode("utf-16")},
            },
        ),
        "html": _cassette(
            {}, {"headers": {"content-type": ["text/html"]}, "body": {"string": entities(key)}}
        ),
        "multipart-base64": _cassette(
            {
                "headers": {"content-type": ["multipart/form-data; boundary=b0"], "x-api-key": [REDACTED]},
                "body": "--b0\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime(key) + "\r\n--b0--\r\n",
            },
            {},
        ),
    }


def test_lint_flags_each_of_the_nine_and_passes_a_clean_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = PREFIX + "api03-" + "Lm4" * 25 + "AA"
    for name, data in nine_cassettes(key).items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        code = main(["lint", str(path)])
        out = capsys.readouterr().out
        assert code == 1, (name, out)
        assert "secret-in-cassette" in out, (name, out)
        assert f"({key[:10]}..." in out, (name, out)
        assert key not in out
    clean = tmp_path / "clean"
    clean.mkdir()
    for name, data in nine_cassettes("an innocent sentence of text").items():
        (clean / f"{name}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    code = main(["lint", str(clean)])
    out = capsys.readouterr().out
    assert "secret-in-cassette" not in out, out
    assert "0 violations" in out, out
    # None of them goes to a Claude host: searched for secrets, nothing for the contract (exit 2).
    assert "no Claude exchange found in 9 cassettes" in out, out
    assert code == 2, out


def test_lint_says_how_the_key_was_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = PREFIX + "admin01-" + "Rr5Tq8Wz" * 8
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(nine_cassettes(key)["utf-16"]), encoding="utf-8")
    assert main(["lint", str(path)]) == 1
    assert f"response body (UTF-16) holds a credential ({key[:10]}...)" in capsys.readouterr().out


def test_every_credential_shape_is_found_in_base64() -> None:
    """The base64 hints are made from credentials.CREDENTIAL_STARTS, the starts of every credential
    shape the scrubber knows: a short-term Amazon Bedrock API key in a base64 run is found as a
    Claude key or an AWS access key id is; base64 of other text is not searched as one."""
    bedrock_key = "bedrock-api-key-" + "YmVkcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249Q2FsbFdpdGhCZWFyZXJUb2tlbg"
    access_key_id = "AKIA" + "BASE64SEARCHTEST"
    for credential in (bedrock_key, access_key_id, PREFIX + "api03-" + "B64x" * 10):
        text = "attachment: " + b64(f"config:\n  token: {credential}\n")
        assert [(f.value, f.how) for f in search(text)] == [(credential, "base64")], credential
    assert search("attachment: " + b64("config:\n  token: none here\n")) == []


def test_the_base64_hint_pattern_finds_each_hint_and_only_them() -> None:
    """The hints are scanned as one trie-shaped pattern: each hint is found wherever it stands, with
    line breaks inside it (MIME-wrapped base64) looked through, and text holding none of them (the
    hints less their last character) is not searched as base64."""
    from pytest_claude_contract.cassette.secret_search import (
        _base64_hint_pattern,
        _base64_hints,
        _Search,
    )

    secret = "opaque-token-" + "x" * 12
    hints = _base64_hints((secret,))
    pattern = _base64_hint_pattern((secret,))
    run = _Search([secret], 1000)
    for hint in hints:
        assert pattern.search(f"lead {hint} tail") is not None, hint
        assert run.base64_hinted(f"lead {hint[:2]}\r\n{hint[2:]} tail"), hint
    cut = " ".join(hint[:-1] for hint in hints)
    assert not any(hint in cut for hint in hints)  # no hint is the start of another
    assert not run.base64_hinted(cut)
