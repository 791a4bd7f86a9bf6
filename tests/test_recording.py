"""Recording safety and staleness, end to end: atomic writes, keep-failed, a stable write order,
pytest-xdist workers sharing a cassette (and the merged summary), max_age, unplayed interactions,
orphaned cassettes and organization-id scrubbing. Real pytest sessions (pytester), real clients, real
sockets, real files, as in test_record_replay.py."""

from __future__ import annotations

import json
import re
import secrets
import string
from typing import TYPE_CHECKING

# Imported before any pytester run (see test_record_replay.py): in-process runs restore sys.modules.
import anthropic  # noqa: F401
import brotli  # noqa: F401
import filelock  # noqa: F401
import httpx  # noqa: F401
import pytest
import yaml
from fake_api import ORGANIZATION_ID
from helpers import go_offline, interactions
from test_record_replay import CHAT, MODEL, PRELUDE, answers, run_chat

from pytest_claude_contract.cassette.scrub import REDACTED

if TYPE_CHECKING:
    from pathlib import Path

    from fake_api import FakeClaudeAPI

HOSTS_CONFTEST = """
import os
import pytest

@pytest.fixture(scope="module")
def claude_contract_config():
    return {"hosts": [os.environ["FAKE_API_HOST"]]}
"""


# The outer suite turns warnings into errors, and in-process runs inherit that: show ours as warnings.
SHOW_WARNINGS = ("-W", "default::pytest_claude_contract.ClaudeContractWarning")


def chat_cassette(pytester: pytest.Pytester) -> Path:
    return pytester.path / "cassettes" / "test_chat" / "test_chat.yaml"


# ---------------------------------------------------------------- atomic writes


def test_a_failed_rename_leaves_the_old_cassette_and_no_temporary_file(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-recording while the rename of the finished temporary file fails (os.replace raises, as on a
    full disk or a read-only folder): the test errors naming the cassette, the committed file is byte
    for byte the old one, and the folder holds no temporary file."""
    suite.makeconftest(
        HOSTS_CONFTEST
        + """
import os

@pytest.fixture(scope="session", autouse=True)
def broken_rename():
    if os.environ.get("BREAK_RENAME") != "1":
        yield
        return
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if str(dst).endswith(".yaml"):
            raise OSError(28, "No space left on device")
        return real(src, dst, *args, **kwargs)

    os.replace = replace
    yield
    os.replace = real
"""
    )
    suite.makepyfile(test_chat=CHAT)
    cassette = chat_cassette(suite)
    run_chat(suite, monkeypatch, "old").assert_outcomes(passed=1)
    before = cassette.read_bytes()

    monkeypatch.setenv("BREAK_RENAME", "1")
    result = run_chat(suite, monkeypatch, "new,newer", "--claude-record-mode=rewrite")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*Claude contract: {cassette}: not written (No space left on device); the file on disk is as it was"
        ]
    )
    assert len(api.requests) == 3  # the new exchanges did happen: only the write failed
    assert cassette.read_bytes() == before
    assert [p.name for p in cassette.parent.iterdir()] == ["test_chat.yaml"]


# ---------------------------------------------------------------- keep failed


@pytest.mark.usefixtures("api_key")
@pytest.mark.parametrize(
    ("args", "ini"), [(["--claude-keep-failed"], ""), ([], "claude_keep_failed = true")], ids=["cli", "ini"]
)
def test_keep_failed_writes_the_cassette_of_a_failing_test(
    suite: pytest.Pytester,
    api: FakeClaudeAPI,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    ini: str,
) -> None:
    """--claude-keep-failed (or ini claude_keep_failed) writes what a failing test recorded, and the
    summary says it was saved although the test failed."""
    suite.makeini(f"[pytest]\n{ini}\n")
    suite.makepyfile(test_chat=CHAT)
    monkeypatch.setenv("FAIL", "1")
    result = run_chat(suite, monkeypatch, "doomed", *args)
    result.assert_outcomes(failed=1)
    cassette = chat_cassette(suite)
    result.stdout.fnmatch_lines([f"  saved although the test failed (keep_failed): {cassette}"])
    assert [text for text, _ in answers(cassette)] == ["doomed"]


# ---------------------------------------------------------------- stable order

GATHER = (
    PRELUDE
    + """

TEXTS = ["delta", "alpha", "charlie", "bravo", "echo"]


@pytest.mark.claude_contract
def test_gather():
    texts = TEXTS if os.environ["ORDER"] == "forward" else TEXTS[::-1]

    async def main():
        async with anthropic.AsyncAnthropic(max_retries=0) as client:
            return await asyncio.gather(*(client.messages.create(**message(t)) for t in texts))

    replies = asyncio.run(main())
    assert [r.content[0].text for r in replies] == [f"Echo: {t}" for t in texts]
"""
)

# What a re-recording changes by nature: when, and the ids and dates the server made up.
VOLATILE = [
    (re.compile(r"recorded_at: .*"), "recorded_at: X"),
    (re.compile(r"msg_[0-9a-f]+"), "msg_X"),
    (re.compile(r"req_[0-9a-f]+"), "req_X"),
    (re.compile(r"(?m)^(\s+)- \w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT$"), r"\1- DATE"),
]


def normalized(text: str) -> str:
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def test_concurrent_requests_are_written_in_a_stable_order(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five different requests sent at once with asyncio.gather, recorded, then re-recorded (rewrite)
    sent in the opposite order: the two files are the same byte for byte apart from recorded_at and
    the ids and dates the server made up, sorted by request; replay answers each request its own."""
    suite.makepyfile(test_gather=GATHER)
    cassette = suite.path / "cassettes" / "test_gather" / "test_gather.yaml"
    monkeypatch.setenv("ORDER", "forward")
    suite.runpytest().assert_outcomes(passed=1)
    first = cassette.read_text()

    monkeypatch.setenv("ORDER", "backward")
    suite.runpytest("--claude-record-mode=rewrite").assert_outcomes(passed=1)
    second = cassette.read_text()
    assert len(api.requests) == 10

    assert first != second  # new ids: it was recorded anew
    assert normalized(first) == normalized(second)
    assert [text for text, _ in answers(cassette)] == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert len({i["recorded_at"] for i in interactions(cassette)}) == 1  # one time per recording

    go_offline(api, monkeypatch)
    monkeypatch.setenv("ORDER", "forward")
    suite.runpytest().assert_outcomes(passed=1)


def test_identical_requests_keep_their_sending_order(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sorting is stable: identical requests stay in the order they were sent (the order replay
    answers them in), between requests that sort before and after them."""
    suite.makepyfile(test_chat=CHAT)
    run_chat(suite, monkeypatch, "zulu,same,alpha,same,same").assert_outcomes(passed=1)
    sent = got(suite)
    recorded = answers(chat_cassette(suite))
    assert [text for text, _ in recorded] == ["alpha", "same", "same", "same", "zulu"]
    assert [pair for pair in recorded if pair[0] == "same"] == [pair for pair in sent if pair[0] == "same"]

    go_offline(api, monkeypatch)
    run_chat(suite, monkeypatch, "zulu,same,alpha,same,same").assert_outcomes(passed=1)
    assert got(suite) == sent


def got(pytester: pytest.Pytester) -> list[list[str]]:
    result: list[list[str]] = json.loads((pytester.path / "got.json").read_text())
    return result


# ---------------------------------------------------------------- pytest-xdist

# What xdist workers import: httpx only (each worker imports the module anew; the SDK is slow to import).
LIGHT_PRELUDE = f"""
import os

import httpx
import pytest

URL = os.environ["FAKE_API_URL"]


def message(text):
    return {{"model": {MODEL!r}, "max_tokens": 64, "messages": [{{"role": "user", "content": text}}]}}


def headers():
    return {{
        "x-api-key": os.environ["ANTHROPIC_API_KEY"],
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
    }}
"""

SHARED = (
    LIGHT_PRELUDE
    + """

pytestmark = pytest.mark.claude_contract(cassette="shared")


@pytest.mark.parametrize("n", range(6))
def test_part(n):
    if str(n) in os.environ.get("SKIP", "").split(","):
        return
    response = httpx.post(f"{URL}/v1/messages", headers=headers(), json=message(f"part {n}"))
    assert response.json()["content"][0]["text"] == f"Echo: part {n}"


def test_unversioned():
    sent = {k: v for k, v in headers().items() if k != "anthropic-version"}
    assert httpx.post(f"{URL}/v1/messages", headers=sent, json=message("no version")).status_code == 200
"""
)
SHARED_TEXTS = sorted([*(f"part {n}" for n in range(6)), "no version"])


@pytest.mark.parametrize("mode", ["new_episodes", "rewrite"])
def test_xdist_workers_recording_one_cassette_lose_nothing(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """Seven tests on four xdist workers record into one `cassette="shared"` at the same time: every
    interaction ends up in the file (load-merge-save under a file lock); a second run adds nothing
    (new_episodes replays; rewrite re-records and replaces the file once per session, so the workers
    do not wipe each other's work); the controller's summary adds up the workers' counts and
    warn-mode violations; the cassette replays offline on workers."""
    suite.makepyfile(test_shared=SHARED)
    cassette = suite.path / "cassettes" / "test_shared" / "shared.yaml"
    for round_ in (1, 2):
        live = 7 if round_ == 1 or mode == "rewrite" else 0
        result = suite.runpytest("-n", "4", f"--claude-record-mode={mode}", "--claude-contract=warn")
        result.assert_outcomes(passed=7)
        result.stdout.fnmatch_lines(
            [
                "*= claude contract =*",
                f"exchanges checked: 7 ({7 - live} replayed, {live} live)",
                "violations: 1 (reported only)",
                "  version-missing: 1",
                f"cassettes: {1 if live else 0} recorded, {0 if live else 1} replayed",
                "violations (warn mode):",
                "  test_shared.py::test_unversioned: *",
            ]
        )
        assert sorted(text for text, _ in answers(cassette)) == SHARED_TEXTS
    assert len(api.requests) == (14 if mode == "rewrite" else 7)
    assert [p.name for p in cassette.parent.iterdir()] == ["shared.yaml"]

    go_offline(api, monkeypatch)
    result = suite.runpytest("-n", "4", "--claude-contract=warn")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(
        ["exchanges checked: 7 (7 replayed, 0 live)", "cassettes: 0 recorded, 1 replayed"]
    )
    assert "not played" not in result.stdout.str()


def test_a_shared_cassette_is_judged_for_unplayed_interactions_once_per_session(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test plays only its part of a shared cassette; what no test played is reported once at
    the end (fail mode fails the session), pooled across xdist workers; a -k run that deselects a
    user of the cassette judges nothing."""
    suite.makepyfile(test_shared=SHARED)
    suite.runpytest(
        "-p", "no:xdist", "--claude-contract=warn", "--claude-record-mode=new_episodes"
    ).assert_outcomes(passed=7)
    cassette = suite.path / "cassettes" / "test_shared" / "shared.yaml"
    go_offline(api, monkeypatch)
    monkeypatch.setenv("SKIP", "2,4")
    missing = ", ".join(str(SHARED_TEXTS.index(f"part {n}") + 1) for n in (2, 4))

    result = suite.runpytest("-n", "3", "--claude-contract=warn")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(
        [
            "cassettes with unplayed interactions: 1",
            f"  {cassette}: 2 of 7 not played (interaction {missing}) by the 7 test(s) that replayed it",
        ]
    )
    assert result.ret == 0

    result = suite.runpytest("-n", "3", "--claude-contract=warn", "--claude-unplayed=fail")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(["  *: 2 of 7 not played * - failing the session (--claude-unplayed=fail)"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED

    result = suite.runpytest("--claude-unplayed=fail", "-k", "part")
    result.assert_outcomes(passed=6, deselected=1)
    assert "not played" not in result.stdout.str()
    assert result.ret == 0


# ---------------------------------------------------------------- max_age

STALE = (
    PRELUDE
    + """

pytestmark = pytest.mark.claude_contract(**json.loads(os.environ.get("MARKER", "{}")))


def test_chat():
    with anthropic.Anthropic(max_retries=0) as client:
        assert client.messages.create(**message("hi")).content[0].text == "Echo: hi"
"""
)


def age_cassette(path: Path, recorded_at: str | None) -> None:
    """Set (or, with None, remove) every interaction's recorded_at in the file."""
    data = yaml.safe_load(path.read_text())
    for interaction in data["interactions"]:
        interaction.pop("recorded_at", None)
        if recorded_at is not None:
            interaction["recorded_at"] = recorded_at
    path.write_text(yaml.safe_dump(data))


def test_max_age_warns_about_an_old_replayed_cassette(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ini claude_max_age: a replayed interaction recorded longer ago is a ClaudeCassetteExpired
    warning (which a filterwarnings line silences) and a summary line; a fresh cassette, or one whose
    interactions carry no recorded_at (another tool's), is not judged."""
    suite.makepyfile(test_stale=STALE)
    suite.runpytest().assert_outcomes(passed=1)
    cassette = suite.path / "cassettes" / "test_stale" / "test_chat.yaml"
    go_offline(api, monkeypatch)

    suite.makeini("[pytest]\nclaude_max_age = 30d\n")
    fresh = suite.runpytest()
    fresh.assert_outcomes(passed=1)
    assert "expired" not in fresh.stdout.str()

    age_cassette(cassette, "2020-01-01T00:00:00Z")
    result = suite.runpytest(*SHOW_WARNINGS)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*ClaudeCassetteExpired: Claude contract: cassette *test_chat.yaml is older than max_age "
            "(30 days): 1 replayed interaction(s) were recorded * days ago or more (oldest recorded_at "
            "2020-01-01T00:00:00Z).",
            "*= claude contract =*",
            "expired cassettes (older than max_age): 1",
            f"  {cassette}: recorded * days ago (test_stale.py::test_chat)",
        ]
    )

    suite.makeini(
        "[pytest]\nclaude_max_age = 2w\nfilterwarnings = ignore::pytest_claude_contract.ClaudeCassetteExpired\n"
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1)
    assert "ClaudeCassetteExpired" not in result.stdout.str()

    age_cassette(cassette, None)
    result = suite.runpytest()
    result.assert_outcomes(passed=1)
    assert "expired" not in result.stdout.str()


@pytest.mark.usefixtures("api_key")
@pytest.mark.parametrize(
    ("marker", "ini"),
    [({"max_age": "12h", "on_expiry": "fail"}, ""), ({}, "claude_max_age = 12h\nclaude_on_expiry = fail\n")],
    ids=["marker", "ini"],
)
def test_on_expiry_fail_fails_the_test_saying_how_to_rerecord(
    suite: pytest.Pytester,
    api: FakeClaudeAPI,
    monkeypatch: pytest.MonkeyPatch,
    marker: dict[str, str],
    ini: str,
) -> None:
    """on_expiry="fail" (marker or ini): the test fails naming the cassette, its age and the command
    that re-records it; max_age=None in a marker turns an ini max_age off for that test."""
    suite.makepyfile(test_stale=STALE)
    suite.runpytest().assert_outcomes(passed=1)
    cassette = suite.path / "cassettes" / "test_stale" / "test_chat.yaml"
    age_cassette(cassette, "2026-01-01T00:00:00+00:00")
    go_offline(api, monkeypatch)
    suite.makeini(f"[pytest]\n{ini}")
    monkeypatch.setenv("MARKER", json.dumps(marker))
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"Claude contract: cassette {cassette} is older than max_age (12 hours): 1 replayed "
            "interaction(s) were recorded * ago or more (oldest recorded_at 2026-01-01T00:00:00Z).",
            "Re-record it against the live API, with ANTHROPIC_API_KEY set:",
            "  pytest 'test_stale.py::test_chat' --claude-record-mode=rewrite",
        ]
    )
    if ini:
        monkeypatch.setenv("MARKER", json.dumps({"max_age": None}))
        suite.runpytest().assert_outcomes(passed=1)


FORMS = "a whole number and a unit: m (minutes), h (hours), d (days) or w (weeks), e.g. 12h, 30d, 2w"


@pytest.mark.parametrize(
    ("ini", "marker", "message"),
    [
        ("claude_max_age = 30x", {}, f"ini option claude_max_age='30x' is not a duration; use {FORMS}"),
        ("claude_max_age = 0d", {}, f"ini option claude_max_age='0d' is not a duration; use {FORMS}"),
        ("claude_on_expiry = explode", {}, "ini option claude_on_expiry='explode' is not valid; use one of: warn, fail"),
        ("", {"max_age": "soon"}, f"test_stale.py::test_chat: @pytest.mark.claude_contract: max_age='soon' is not a duration; use {FORMS}"),
        ("", {"on_expiry": "explode"}, "test_stale.py::test_chat: @pytest.mark.claude_contract: on_expiry='explode'; use one of: warn, fail"),
        ("claude_unplayed = loud", {}, "ini option claude_unplayed='loud' is not valid; use one of: warn, fail, off"),
    ],
)  # fmt: skip
def test_bad_staleness_values_are_usage_errors(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ini: str, marker: dict[str, str], message: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_stale=STALE)
    monkeypatch.setenv("FAKE_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("MARKER", json.dumps(marker))
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


# ---------------------------------------------------------------- unplayed


def test_unplayed_interactions_of_a_passing_test(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replay that leaves a recorded interaction unplayed warns (ClaudeCassetteUnplayed, a summary
    line), fails with --claude-unplayed=fail naming the interaction, is silent with off, and is not
    judged when the record mode adds to the cassette (new_episodes)."""
    suite.makepyfile(test_chat=CHAT)
    run_chat(suite, monkeypatch, "first,second").assert_outcomes(passed=1)
    cassette = chat_cassette(suite)
    go_offline(api, monkeypatch)

    result = run_chat(suite, monkeypatch, "first", *SHOW_WARNINGS)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            f"*ClaudeCassetteUnplayed: Claude contract: 1 of 2 recorded interaction(s) in {cassette} were "
            "not played: the client no longer makes a call the cassette says it makes.",
            f"*  interaction 2: POST {api.url}/v1/messages",
            "cassettes with unplayed interactions: 1",
            f"  {cassette}: 1 of 2 not played (test_chat.py::test_chat)",
        ]
    )

    result = run_chat(suite, monkeypatch, "first", "--claude-unplayed=fail")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_chat*",
            f"Claude contract: 1 of 2 recorded interaction(s) in {cassette} were not played*",
            f"  interaction 2: POST {api.url}/v1/messages",
        ]
    )

    for args in (["--claude-unplayed=off"], ["--claude-record-mode=new_episodes"]):
        result = run_chat(suite, monkeypatch, "first", *args)
        result.assert_outcomes(passed=1)
        assert "not played" not in result.stdout.str()


# ---------------------------------------------------------------- orphans

ORPHANS = """
import pytest

pytestmark = pytest.mark.claude_contract


def test_own():
    pass


@pytest.mark.claude_contract(cassette="named")
def test_named():
    pass


@pytest.mark.claude_contract(cassette=False)
def test_check_only():
    pass
"""


@pytest.mark.parametrize("args", [[], ["-n", "2"], ["-k", "own"]], ids=["plain", "xdist", "deselect"])
def test_orphans_lists_cassettes_no_collected_test_uses(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """--claude-orphans lists the cassette files no collected test would use (default names and
    cassette= markers count, deselected tests too), and says it is meaningful for a full run only."""
    monkeypatch.setenv("FAKE_API_URL", "http://127.0.0.1:9")
    pytester.makepyfile(test_orphans=ORPHANS)
    folder = pytester.path / "cassettes"
    for name in (
        "test_orphans/test_own.yaml",
        "test_orphans/named.yaml",
        "test_orphans/test_gone.yaml",
        "old/test_x.yaml",
    ):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("interactions: []\nversion: 1\n")
    result = pytester.runpytest("--claude-orphans", *args)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*= claude contract: orphaned cassettes =*",
            f"2 of 4 cassette(s) under {folder} are used by no collected test. Only meaningful for a full run*",
            "  old/test_x.yaml",
            "  test_orphans/test_gone.yaml",
        ]
    )
    assert "test_own.yaml" not in result.stdout.str()
    assert "orphaned" not in pytester.runpytest(*args).stdout.str()


# ---------------------------------------------------------------- organization id


@pytest.mark.parametrize("how", ["cli", "ini", "off"])
def test_scrub_org_id(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """--claude-scrub-org-id (or ini claude_scrub_org_id) replaces the response's
    anthropic-organization-id with the placeholder everywhere in the file; the cassette replays
    without a violation (the header is still there). Off by default."""
    if how == "ini":
        suite.makeini("[pytest]\nclaude_scrub_org_id = true\n")
    suite.makepyfile(test_chat=CHAT)
    run_chat(suite, monkeypatch, "org", *(["--claude-scrub-org-id"] if how == "cli" else [])).assert_outcomes(
        passed=1
    )
    cassette = chat_cassette(suite)
    (interaction,) = interactions(cassette)
    org = interaction["response"]["headers"]["anthropic-organization-id"]
    if how == "off":
        assert org == [ORGANIZATION_ID]
        return
    assert org == [REDACTED]
    assert ORGANIZATION_ID not in cassette.read_text()
    go_offline(api, monkeypatch)
    result = run_chat(suite, monkeypatch, "org")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["violations: 0"])


# ---------------------------------------------------------------- a server that echoes the credential

ECHO = (
    PRELUDE
    + """

@pytest.mark.claude_contract
def test_echo():
    key, token = os.environ["ANTHROPIC_API_KEY"], os.environ["OPAQUE_TOKEN"]
    with anthropic.Anthropic(max_retries=0) as client:  # the SDK sends the key as a Bearer token
        assert client.messages.create(**message("sdk")).credential == key
        events = list(client.messages.create(**message("sdk stream"), stream=True))
    assert events[0].message.credential == key
    raw = httpx.post(f"{URL}/v1/messages", headers=headers(), json=message("x-api-key"))
    assert raw.headers["x-echo-credential"] == key and raw.json()["credential"] == key
    bearer = {**headers(), "authorization": f"Bearer {token}"}
    del bearer["x-api-key"]
    opaque = httpx.post(f"{URL}/v1/messages", headers=bearer, json=message("opaque bearer"))
    assert opaque.headers["x-echo-credential"] == token and opaque.json()["credential"] == token
    with httpx.stream("POST", f"{URL}/v1/messages", headers=headers(), json=message("raw", stream=True)) as r:
        assert key in r.read().decode()
"""
)


def test_a_server_echoing_the_credential_leaves_no_key_on_disk(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stand-in puts each request's credential (x-api-key, or the Bearer token) into a response
    header, the JSON body and the stream's message_start: the cassette on disk holds the placeholder in
    every one of those places and not a byte of the key nor of an opaque (not key-shaped) Bearer token."""
    token = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))
    monkeypatch.setenv("OPAQUE_TOKEN", token)
    api.misbehave.add("echo-credential")
    suite.makepyfile(test_echo=ECHO)
    suite.runpytest().assert_outcomes(passed=1)
    sent = [r.headers.get("authorization") or r.headers.get("x-api-key") for r in api.requests]
    assert sent == [f"Bearer {api_key}", f"Bearer {api_key}", api_key, f"Bearer {token}", api_key]

    cassette = suite.path / "cassettes" / "test_echo" / "test_echo.yaml"
    data = cassette.read_bytes()
    for secret in (api_key, token):
        assert secret.encode() not in data
        assert secret[8:24].encode() not in data
    assert b"sk-ant-" not in data
    recorded = interactions(cassette)
    assert len(recorded) == 5
    for interaction in recorded:
        assert interaction["response"]["headers"]["x-echo-credential"] == [REDACTED]
        body = interaction["response"]["body"]["string"]
        if body.startswith("event:"):  # the stream: message_start carries it
            start = json.loads(body.split("data: ", 1)[1].split("\n", 1)[0])
            assert start["message"]["credential"] == REDACTED
        else:
            assert json.loads(body)["credential"] == REDACTED

    go_offline(api, monkeypatch)  # and the scrubbed cassette still replays
    monkeypatch.setenv("ANTHROPIC_API_KEY", REDACTED)
    monkeypatch.setenv("OPAQUE_TOKEN", REDACTED)
    suite.runpytest().assert_outcomes(passed=1)


# ---------------------------------------------------------------- brotli

BROTLI = (
    PRELUDE
    + """

@pytest.mark.claude_contract
def test_br():
    for name, post in (("httpx", httpx.post), ("requests", requests.post)):
        reply = post(f"{URL}/v1/messages", headers=headers(), json=message(name))
        assert reply.json()["content"][0]["text"] == f"Echo: {name}"
        assert reply.headers.get("content-encoding") == os.environ["ENCODING"]
"""
)


def test_brotli_bodies_are_stored_decoded_and_replay(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clients that have brotli ask for br, and the stand-in answers br-compressed: the cassette holds
    the JSON decoded, without content-encoding, with a content-length of the stored bytes; replayed
    offline, the clients read the same answers with that length."""
    api.brotli_responses = True
    suite.makepyfile(test_br=BROTLI)
    monkeypatch.setenv("ENCODING", "br")
    suite.runpytest().assert_outcomes(passed=1)
    assert all("br" in r.headers["accept-encoding"] for r in api.requests)

    cassette = suite.path / "cassettes" / "test_br" / "test_br.yaml"
    for interaction in interactions(cassette):
        headers = {name.lower(): values for name, values in interaction["response"]["headers"].items()}
        body = interaction["response"]["body"]["string"]
        assert "content-encoding" not in headers
        assert json.loads(body)["type"] == "message"
        assert headers["content-length"] == [str(len(body.encode()))]

    go_offline(api, monkeypatch)
    monkeypatch.setenv("ENCODING", "")
    suite.makeconftest(
        HOSTS_CONFTEST
        + """
import httpx, requests

@pytest.fixture(autouse=True)
def check_length(monkeypatch):
    for module in (httpx, requests):
        real = module.post

        def post(*args, real=real, **kwargs):
            reply = real(*args, **kwargs)
            assert reply.headers["content-length"] == str(len(reply.content))
            return reply

        monkeypatch.setattr(module, "post", post)
"""
    )
    suite.makepyfile(test_br=BROTLI.replace('os.environ["ENCODING"]', "None"))
    suite.runpytest().assert_outcomes(passed=1)
