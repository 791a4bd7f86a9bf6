"""No secret in any output: the one redaction step (`contract.redaction.redact`) shown firing and quiet.

Every rule is made to fire with a secret placed in the value its message quotes (a key-shaped one, a
configured token, the request's own credential), and the report shows at most 10 characters of it;
the same rules on their clean examples, with secrets configured, report exactly what they did.
"""

from __future__ import annotations

import json
import string
from typing import TYPE_CHECKING

import pytest
from helpers import KEY_PREFIX, a_key, a_token, leaks
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_claude_contract.contract.aws_eventstream import body_from_text
from pytest_claude_contract.contract.checks import check_exchange
from pytest_claude_contract.contract.docs import EXAMPLE_DAY, example_exchange
from pytest_claude_contract.contract.exchange import CapturedRequest, CapturedResponse, Exchange
from pytest_claude_contract.contract.models import DEFAULT_CONTRACT
from pytest_claude_contract.contract.redaction import SHOWN, redact, redact_data, shown_secret
from pytest_claude_contract.contract.report import violation_report
from pytest_claude_contract.contract.rules import RULE_IDS, RULES_BY_ID, changed_headers

if TYPE_CHECKING:
    from collections.abc import Callable


# ---------------------------------------------------------------- every rule, firing


def _request(
    ex: Exchange, *, url: str | None = None, body: str | None = None, **headers: str | None
) -> Exchange:
    req = ex.request
    new = CapturedRequest(
        req.method,
        url or req.url,
        changed_headers(req.headers, **headers),
        req.body if body is None else body.encode("utf-8"),
    )
    return Exchange(new, ex.response, ex.origin, ex.index, ex.recorded_at)


def _response(
    ex: Exchange, *, status: int | None = None, body: str | None = None, **headers: str | None
) -> Exchange:
    res = ex.response
    assert res is not None
    merged = changed_headers(res.headers, **headers)
    new = CapturedResponse(status or res.status, merged, res.body if body is None else body.encode("utf-8"))
    return Exchange(ex.request, new, ex.origin, ex.index, ex.recorded_at)


_MESSAGE = '{"model": "claude-sonnet-4-6", "max_tokens": %s, "messages": [{"role": "user", "content": %s}]}'
_STREAM_HEAD = (
    'event: message_start\ndata: {"type": "message_start", "message": {"id": "msg_01", "type": "message", '
    '"role": "assistant", "model": "claude-sonnet-4-6", "content": [], "stop_reason": null, '
    '"stop_sequence": null, "usage": {"input_tokens": 8, "output_tokens": 1}}}\n\n'
)


_OUTPUT_TOKENS = (
    '{"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6", "content": [], '
    '"stop_reason": "end_turn", "stop_sequence": null, "usage": {"input_tokens": 8, "output_tokens": %s}}'
)


def _with_content(ex: Exchange, s: str) -> str:
    """The example's body (its model kept) with `s` as the message's content."""
    return ex.request.body.decode().replace('"Hi"', json.dumps(s))


def _in_body(ex: Exchange, s: str) -> Exchange:
    return _request(ex, body=_MESSAGE % ("64", json.dumps(s)))


# rule id -> (the rule's example with the secret `s` where its message quotes a value, whether the
# message quotes it). Rules that quote nothing get the secret elsewhere in the exchange.
HOSTILE: dict[str, tuple[Callable[[Exchange, str], Exchange], bool]] = {
    "auth-missing": (_in_body, False),
    "auth-scheme": (lambda ex, s: _request(ex, authorization=f"{s} x"), True),
    "version-missing": (_in_body, False),
    "version-unknown": (lambda ex, s: _request(ex, anthropic_version=s), True),
    "content-type": (lambda ex, s: _request(ex, content_type=s), True),
    "body-too-large": (lambda ex, s: _request(ex, url=f"{ex.request.url}?note={s}"), False),
    "body-not-json": (lambda ex, s: _request(ex, body=f"{s}&max_tokens=64"), True),
    "response-request-id": (lambda ex, s: _response(ex, x_note=s), False),
    "response-organization-id": (lambda ex, s: _response(ex, x_note=s), False),
    "response-content-type": (lambda ex, s: _response(ex, content_type=s), True),
    "error-shape": (lambda ex, s: _response(ex, body=json.dumps({"error": s})), False),
    "error-status": (
        lambda ex, s: _response(ex, body=json.dumps({"type": "error", "error": {"type": s, "message": "x"}})),
        True,
    ),
    "stream-order": (
        lambda ex, s: _response(ex, body=_STREAM_HEAD + f'event: {s}\ndata: {{"type": "{s}"}}\n\n'),
        True,
    ),
    "stream-event": (lambda ex, s: _response(ex, body=_STREAM_HEAD + f"event: ping\ndata: {s}\n\n"), True),
    "ratelimit-headers": (lambda ex, s: _response(ex, retry_after=s), True),
    "beta-header": (lambda ex, s: _request(ex, anthropic_beta=f"files-api-2025-04-14,{s}!"), True),
    "request-schema": (lambda ex, s: _request(ex, body=_MESSAGE % (json.dumps(s), '"Hi"')), True),
    "response-schema": (lambda ex, s: _response(ex, body=_OUTPUT_TOKENS % json.dumps(s)), True),
    "version-body": (
        lambda ex, s: _request(ex, body=ex.request.body.decode().replace("0.5", json.dumps(s))),
        True,
    ),
    "beta-required": (lambda ex, s: _request(ex, anthropic_beta=s), True),
    # The admin key sent is the secret (its tail): the message shows the key's first characters only.
    "auth-key-kind": (lambda ex, s: _request(ex, x_api_key="sk-ant-" + "admin01-" + s), False),
    "model-deprecated": (lambda ex, s: _request(ex, body=_with_content(ex, s)), False),
    "model-retired": (lambda ex, s: _request(ex, body=_with_content(ex, s)), False),
    "platform-version-body": (
        lambda ex, s: _request(ex, body=json.dumps({"anthropic_version": s, **json.loads(ex.request.body)})),
        True,
    ),
    "platform-model-in-body": (
        lambda ex, s: _request(ex, body=json.dumps({**json.loads(ex.request.body), "model": s})),
        True,
    ),
    # Quoted as the malformed x-amz-date; the request's credential as its session token.
    "bedrock-sigv4": (lambda ex, s: _request(ex, x_amz_date=s, x_amz_security_token=s), True),
    "bedrock-stream-frame": (lambda ex, s: _frames(ex, json.dumps({"chunk": s})), True),
}


def _frames(ex: Exchange, payload: str) -> Exchange:
    """The bedrock-stream-frame example with its unreadable chunk's payload replaced."""
    text = RULES_BY_ID["bedrock-stream-frame"].example_response.body.replace('{"chunk": "Hello!"}', payload)
    res = ex.response
    assert res is not None
    return Exchange(
        ex.request, CapturedResponse(res.status, dict(res.headers), body_from_text(text)), ex.origin, ex.index
    )


# How the secret is known: by its shape (a Claude key), configured (ANTHROPIC_AUTH_TOKEN), or as the
# request's own credential header (nothing else says it is one).
KINDS = ("key", "configured token", "request's credential")


def test_every_rule_has_a_hostile_case() -> None:
    """A new rule needs its case here: the table is the rule catalogue."""
    assert sorted(HOSTILE) == sorted(RULE_IDS)


def _cases() -> list[tuple[str, str]]:
    # A rule about absent credentials has no credential header to carry the secret.
    return [(rule, kind) for rule in RULE_IDS for kind in KINDS if (rule, kind) != ("auth-missing", KINDS[2])]


@pytest.mark.parametrize(("rule_id", "kind"), _cases(), ids=[f"{r}-{k}" for r, k in _cases()])
def test_each_rule_firing_with_a_secret_in_what_it_quotes(
    rule_id: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    secret = a_key() if kind == "key" else a_token()
    if kind == "configured token":
        monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", secret)
    place, quoted = HOSTILE[rule_id]
    exchange = place(example_exchange(RULES_BY_ID[rule_id]), secret)
    # auth-scheme's and auth-key-kind's is the header itself; bedrock-sigv4's, the SigV4 request's
    # session token
    if kind == "request's credential" and rule_id not in ("auth-scheme", "auth-key-kind", "bedrock-sigv4"):
        exchange = _request(exchange, x_api_key=secret, authorization=None)
    found = check_exchange(exchange, DEFAULT_CONTRACT, today=EXAMPLE_DAY)
    assert rule_id in {v.rule for v in found}, [str(v) for v in found]
    report = violation_report(found, 1)
    assert leaks(secret, report) == [], report
    for violation in found:  # the Violation objects too (claude_contract.violations, the summary)
        assert leaks(secret, str(violation)) == []
    if quoted:  # the message did quote it: cut to its first SHOWN characters
        assert secret[:SHOWN].lower() + "..." in report.lower(), report


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_each_rule_quiet_on_its_clean_example(rule_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With secrets configured and sent, but quoted nowhere, a rule's report is what it was: the
    redaction touches nothing else (status codes, ids, token counts, versions, paths)."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    example = example_exchange(RULES_BY_ID[rule_id])
    plain = violation_report(check_exchange(example, DEFAULT_CONTRACT, today=EXAMPLE_DAY), 1)
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", a_token())
    monkeypatch.setenv("ANTHROPIC_API_KEY", a_key())
    # auth-key-kind's example sends an admin key: the kind of key is what it is about.
    keep = "x-api-key" not in example.request.headers or rule_id == "auth-key-kind"
    with_key = example if keep else _request(example, x_api_key=a_key())
    assert violation_report(check_exchange(with_key, DEFAULT_CONTRACT, today=EXAMPLE_DAY), 1) == plain
    assert redact(plain) == plain


# ---------------------------------------------------------------- the function itself

READABLE = (
    "claude-sonnet-4-6",
    "msg_01XFDUDYJgAACzvnptvVoYEL",
    "req_011CSHoEeqs5C35K2UUqR7Fy",
    "d3b07384-d9a0-4c5b-9f3e-3c3d3a1a8f00",
    "input_tokens: 123456789",
    '"output_tokens": 4',
    "2026-11-24T12:00:30Z",
    "anthropic-version: 2023-06-01",
    "anthropic-beta: files-api-2025-04-14",
    "retry-after: 30",
    "https://api.anthropic.com/v1/messages?beta=true&limit=20",
    "no `x-api-key` or `Authorization: Bearer` header is sent",
    "`Authorization: Basic ...` is sent; the API takes Bearer",
    "Send the key as `x-api-key: <key>` or `Authorization: Bearer <token>`",
    "redacted-by-claude-contract",
    "claude-contract-replay-placeholder-key",
    "(did you mean 'auth-scheme'?)",
    "tests/test_x.py::test_y[param-1]",
)


def test_readable_text_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "claude-contract-replay-placeholder-key")  # lent, not secret
    text = "\n".join(READABLE)
    assert redact(text, secrets=["short", "", "   "]) == text


def test_the_replay_placeholder_is_not_a_secret_of_the_request() -> None:
    """A raw client replaying with the placeholder key the plugin lends: the docs hint in its report
    kept `pytest-claude-con...`, the placeholder's start taken for an excerpt of a secret."""
    from pytest_claude_contract.contract.redaction import request_secrets
    from pytest_claude_contract.plugin.options import DOCS_HINT, PLACEHOLDER_KEY

    lent = CapturedRequest(
        "POST", "https://api.anthropic.com/v1/messages", {"x-api-key": PLACEHOLDER_KEY}, b""
    )
    assert request_secrets(lent) == []
    assert redact(DOCS_HINT, request_secrets(lent)) == DOCS_HINT
    real = CapturedRequest("POST", "https://api.anthropic.com/v1/messages", {"x-api-key": "s3cr3t-" * 5}, b"")
    assert request_secrets(real) == ["s3cr3t-" * 5]


@pytest.mark.parametrize(
    ("template", "shown"),
    [
        ("x-api-key: {s}", "x-api-key: {c}"),
        ("{{'authorization': 'Bearer {s}'}}", "{{'authorization': 'Bearer {c}'}}"),
        ("Proxy-Authorization: Basic {s}", "Proxy-Authorization: Basic {c}"),
        ("GET https://h/v1/models?api_key={s}&limit=2", "GET https://h/v1/models?api_key=redacted&limit=2"),
        ("https://user:{s}@proxy.example/v1", "https://user:{c}@proxy.example/v1"),
    ],
)
def test_credentials_by_place(template: str, shown: str) -> None:
    """Values in credential places are cut even when nothing else says they are secrets."""
    secret = a_token()
    assert redact(template.format(s=secret)) == shown.format(c=secret[:SHOWN] + "...")


def test_key_cut_short_is_still_cut() -> None:
    """A key with a tail shorter than KEY_PATTERN asks for still shows only 10 characters."""
    short = KEY_PREFIX + "api03-" + "Ab3"
    assert redact(f"got {short}!") == f"got {short[:SHOWN]}...!"
    assert shown_secret("0123456789") == "0123456789"  # a short value shows no more than itself


def test_data_is_cut_before_json_escapes_it() -> None:
    token = a_token()
    secret = token + '"\\'  # characters JSON escapes: a dump would no longer hold the secret as is
    data = {"message": f"value {secret}", "n": 3, secret: [secret, None, 1.5]}
    out = json.dumps(redact_data(data, [secret]))
    assert leaks(token, out) == []
    assert '"n": 3' in out
    assert "1.5" in out
    assert "value " in out


# The secrets' characters and the filler's letters are apart, so that any piece of a secret found
# after redaction came from the secret; the filler's letters still extend a key they touch.
KEY_CHARS = "".join(c for c in string.ascii_letters + string.digits + "_-" if c not in "xyzXYZ")
FILLER = st.text("xyzXYZ .,:;()[]{}'\"`=&?/\n\t", max_size=30)


@st.composite
def secrets_in_text(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    """A secret (key-shaped or opaque, then known), somewhere in text, in some place."""
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["api03", "admin01", "oat01", "a"]))
        secret = f"{KEY_PREFIX}{kind}-" + draw(st.text(KEY_CHARS, min_size=1, max_size=80))
        known: list[str] = []
    else:
        secret = draw(st.text(KEY_CHARS, min_size=SHOWN + 1, max_size=80))
        known = [secret]
    place = draw(
        st.sampled_from(
            [
                "{}",
                "x-api-key: {}",
                "Authorization: Bearer {}",
                "?api_key={}&a=1",
                "'{}'",
                '{{"k": "{}"}}',
                "got {}!",
            ]
        )
    )
    text = draw(FILLER) + place.format(secret) + draw(FILLER)
    return secret, text, known


@settings(max_examples=150, deadline=None, database=None)
@given(case=secrets_in_text())
def test_no_piece_of_a_secret_survives_and_cutting_twice_changes_nothing(
    case: tuple[str, str, list[str]],
) -> None:
    secret, text, known = case
    once = redact(text, known)
    assert leaks(secret, once) == []
    assert redact(once, known) == once


@settings(max_examples=100, deadline=None, database=None)
@given(words=st.lists(st.sampled_from(READABLE), max_size=12), sep=st.sampled_from([" ", "\n", ", "]))
def test_readable_text_in_any_order_is_left_alone(words: list[str], sep: str) -> None:
    text = sep.join(words)
    assert redact(text) == text
