"""What a session reuses to keep the per-test cost low, and that reuse never changes an answer.

- vcrpy's patches are entered once and stay on across consecutive tests that use the plugin; they
  come off before a test that does not (its requests reach the network untouched) and at the end.
- Parsed cassettes are pickled into the pytest cache, keyed by the file's content: a later session
  reads the pickle, an edited cassette is parsed again, a broken pickle is ignored. In memory, only
  the last few used are held, and none after the session.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import anthropic  # noqa: F401  (imported once, before any in-process pytester run)
import httpx
from helpers import go_offline

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from fake_api import FakeClaudeAPI

MODEL = "claude-sonnet-4-6"

SUITE = f"""
import os

import anthropic
import httpx
import pytest

ORIGINAL = httpx.HTTPTransport.handle_request
URL = os.environ["FAKE_API_URL"]


def ask(text):
    client = anthropic.Anthropic(base_url=URL, max_retries=0)
    reply = client.messages.create(
        model={MODEL!r}, max_tokens=32, messages=[{{"role": "user", "content": text}}]
    )
    return reply.content[0].text


PATCHED = []


@pytest.mark.claude_contract
def test_first():
    assert "one" in ask("one")
    assert httpx.HTTPTransport.handle_request is not ORIGINAL
    PATCHED.append(httpx.HTTPTransport.handle_request)


@pytest.mark.claude_contract
def test_second():
    assert "two" in ask("two")
    print("patched again", httpx.HTTPTransport.handle_request is not PATCHED[0])


def test_unmarked():
    # The patches are off: this request goes to the network, not to any cassette.
    assert httpx.HTTPTransport.handle_request is ORIGINAL
    print("live status", httpx.get(URL + "/v1/models").status_code)


@pytest.mark.claude_contract
def test_third():
    assert "three" in ask("three")
"""


def test_patches_stay_on_between_plugin_tests_and_off_for_others(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    suite.makepyfile(test_reuse=SUITE)
    result = suite.runpytest("-s", "--claude-record-mode=once")
    result.assert_outcomes(passed=4)
    # Entered for test_first and kept for test_second (not entered again); released before test_unmarked.
    result.stdout.fnmatch_lines(["*patched again False*", "*live status 200*"])
    assert any(r.path == "/v1/models" for r in api.requests)
    # The session is over: nothing is left patched in this (the outer) process either.
    assert httpx.HTTPTransport.handle_request.__module__.startswith("httpx")


def test_unmarked_test_between_replays_reaches_the_network(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.makepyfile(test_reuse=SUITE)
    suite.runpytest("--claude-record-mode=once").assert_outcomes(passed=4)
    before = len(api.requests)
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("CI", "1")  # replay: record mode none
    result = suite.runpytest("-s")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*live status 200*"])
    # Only the unmarked test's request went out; the three Claude calls replayed.
    assert [r.path for r in api.requests[before:]] == ["/v1/models"]


def _reply(result: pytest.RunResult) -> str:
    found = re.search(r"reply: (.*)", result.stdout.str())
    assert found is not None, result.stdout.str()
    return found.group(1)


def _pickles(root: Path) -> list[Path]:
    """The parse cache's files (marshal: cassette/store.py)."""
    return sorted((root / ".pytest_cache" / "d" / "claude_contract").glob("*.interactions-*"))


REPLAY = f"""
import os

import anthropic
import pytest

pytestmark = pytest.mark.claude_contract


def test_reply():
    client = anthropic.Anthropic(base_url=os.environ["FAKE_API_URL"], max_retries=0)
    reply = client.messages.create(
        model={MODEL!r}, max_tokens=32, messages=[{{"role": "user", "content": "cache me"}}]
    )
    print("reply:", reply.content[0].text)
"""


def test_parsed_cassettes_are_cached_by_content_between_sessions(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.makepyfile(test_cache=REPLAY)
    suite.runpytest("--claude-record-mode=once").assert_outcomes(passed=1)
    cassette = suite.path / "cassettes" / "test_cache" / "test_reply.yaml"
    assert cassette.is_file()
    go_offline(api, monkeypatch)

    # First replay parses the YAML and leaves its parse in the cache; the second replays from there.
    suite.runpytest("-s").assert_outcomes(passed=1)
    first = _pickles(suite.path)
    assert len(first) == 1
    result = suite.runpytest("-s")
    result.assert_outcomes(passed=1)
    assert _pickles(suite.path) == first
    original_reply = _reply(result)

    # An edited cassette is parsed again: the answer is the edited one, never the cached one.
    text = cassette.read_text(encoding="utf-8")
    marker = "cache me"
    assert text.count(marker) >= 2, "the stand-in echoes the prompt in its answer"
    assert "Echo:" in text
    cassette.write_text(text.replace("Echo:", "Echoed:"), encoding="utf-8")
    result = suite.runpytest("-s")
    result.assert_outcomes(passed=1)
    edited_reply = _reply(result)
    assert edited_reply != original_reply
    assert edited_reply == original_reply.replace("Echo:", "Echoed:")
    assert len(_pickles(suite.path)) == 2

    # A broken cache file is ignored (the YAML is parsed instead), never a crash.
    for pickled in _pickles(suite.path):
        pickled.write_bytes(b"not marshal data")
    result = suite.runpytest("-s")
    result.assert_outcomes(passed=1)
    assert _reply(result) == edited_reply


STAT_PROBE = """
import pytest_claude_contract.cassette.formats as formats
import pytest_claude_contract.cassette.store as cassette
from pytest_claude_contract import process


def pytest_configure(config):
    # Files written a moment ago count as settled here (a session normally leaves them for later).
    config._probe = (cassette._SETTLED_NS, formats._read_bytes)
    cassette._SETTLED_NS = 0
    process.STAT_INDEXES.clear()  # what a new process starts with (in-process runs share the module)
    original = formats._read_bytes

    def counted(path):
        with open("reads.txt", "a") as handle:
            handle.write(path.name + "\\n")
        return original(path)

    formats._read_bytes = counted


def pytest_unconfigure(config):
    cassette._SETTLED_NS, formats._read_bytes = config._probe
"""


def test_unchanged_cassettes_are_found_by_stat_without_reading_them(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cassette whose inode, size and times are as a session noted them is not read again: its
    parse comes from the cache by the noted digest. An edit of the same size, or a broken index,
    means it is read and hashed again, and the edited answer is what replays."""
    suite.makepyfile(test_cache=REPLAY, stat_probe=STAT_PROBE)
    suite.syspathinsert()
    suite.runpytest("--claude-record-mode=once").assert_outcomes(passed=1)
    cassette = suite.path / "cassettes" / "test_cache" / "test_reply.yaml"
    go_offline(api, monkeypatch)
    reads = suite.path / "reads.txt"

    def replay() -> tuple[int, str]:
        reads.write_text("")
        result = suite.runpytest("-s", "-p", "stat_probe")
        result.assert_outcomes(passed=1)
        return len(reads.read_text().splitlines()), _reply(result)

    count, original = replay()
    assert count == 1
    assert replay() == (0, original)

    text = cassette.read_text(encoding="utf-8")
    assert "Echo:" in text
    cassette.write_text(text.replace("Echo:", "Ekko:"), encoding="utf-8")  # the same size
    assert cassette.stat().st_size == len(text.encode())
    edited = original.replace("Echo:", "Ekko:")
    assert replay() == (1, edited)
    assert replay() == (0, edited)

    (index,) = (suite.path / ".pytest_cache" / "d" / "claude_contract").glob("stat-index-*.marshal")
    index.write_bytes(b"not marshal data")
    assert replay() == (1, edited)
    assert replay() == (0, edited)


def test_no_pickles_without_the_cache_provider(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.makepyfile(test_cache=REPLAY)
    suite.runpytest("--claude-record-mode=once", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    go_offline(api, monkeypatch)
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert not (suite.path / ".pytest_cache").exists()


HELD = f"""
import os

import anthropic
import pytest

from pytest_claude_contract import process

pytestmark = pytest.mark.claude_contract


@pytest.mark.parametrize("n", range(24))
def test_reply(n):
    client = anthropic.Anthropic(base_url=os.environ["FAKE_API_URL"], max_retries=0)
    client.messages.create(
        model={MODEL!r}, max_tokens=32, messages=[{{"role": "user", "content": f"held {{n}}"}}]
    )
    print("held in memory:", len(process.PARSED))
"""


def test_few_parsed_cassettes_are_held_and_none_after_the_session(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every full garbage collection walks what the session holds, four of them after it ends: the
    parsed cassettes kept in memory are the last few used, and none once pytest is done (in-process
    runs share the module, so the outer test sees what the inner session left)."""
    from pytest_claude_contract import process
    from pytest_claude_contract.cassette.store import forget_parsed

    suite.makepyfile(test_held=HELD)
    suite.runpytest("--claude-record-mode=once").assert_outcomes(passed=24)
    assert len(list((suite.path / "cassettes" / "test_held").glob("*.yaml"))) == 24
    go_offline(api, monkeypatch)
    forget_parsed()  # what this process's own earlier tests may have loaded
    result = suite.runpytest("-s")
    result.assert_outcomes(passed=24)
    held = [int(n) for n in re.findall(r"held in memory: (\d+)", result.stdout.str())]
    assert held[:3] == [1, 2, 3]  # each test's cassette is held after it...
    assert max(held) == held[-1] == process.PARSED_LIMIT < 24  # ...the most recent few
    assert not process.PARSED


def test_lazily_parsed_values_survive_the_pickle_cache() -> None:
    """A pickled response whose JSON was never parsed parses it after unpickling (the "not parsed"
    marker must come back as itself, not as a copy that would pass for a parsed value)."""
    import pickle

    from pytest_claude_contract.contract.exchange import CapturedResponse
    from pytest_claude_contract.contract.streams import parse_events

    response = CapturedResponse(200, {"content-type": "application/json"}, b'{"type": "message"}')
    assert pickle.loads(pickle.dumps(response)).json == {"type": "message"}
    stream = CapturedResponse(200, {}, b"event: ping\ndata: not json\n\n")
    restored = pickle.loads(pickle.dumps(stream))
    assert restored.events == parse_events(stream.body)
    assert restored.events[0].data == "not json"
    assert not isinstance(restored.events[0].json, dict)
    assert restored.events[0].json is parse_events(b"data: x\n\n")[0].json


def _verdict_files(root: Path) -> list[Path]:
    return sorted((root / ".pytest_cache" / "d" / "claude_contract").glob("verdicts-*.marshal"))


def _failing_replay(suite: pytest.Pytester, *expected: str) -> str:
    """Replay once; the test fails (its violations), and the output holds `expected` in order."""
    result = suite.runpytest("-s")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*{expected[0]}", *expected[1:]])
    return result.stdout.str()


def counting_fixture(checks: str, label: str) -> str:
    """An inner autouse fixture that counts how often the rules in `_checks.<checks>` run in a test
    (rather than their verdict being read back) and prints `<label>: N` at its end."""
    return f"""
@pytest.fixture(autouse=True)
def counted_rules(claude_contract, monkeypatch):
    calls = []

    def counted(check):
        def run(ctx):
            calls.append(check.__name__)
            return check(ctx)

        return run

    # The checks module this recorder calls into (in-process pytester runs import the plugin's
    # lazily imported modules afresh, while the package keeps the first run's as attributes).
    checks = sys.modules[type(claude_contract).__module__].check_exchange.__globals__
    monkeypatch.setitem(checks, {checks!r}, tuple(counted(c) for c in checks[{checks!r}]))
    yield
    print({label!r} + ":", len(calls))
"""


STREAM = f"""
import os
import sys

import anthropic
import pytest

pytestmark = pytest.mark.claude_contract(MARKER_ARGS)


{counting_fixture("RESPONSE_CHECKS", "response rules run")}

def test_stream():
    with anthropic.Anthropic(base_url=os.environ["FAKE_API_URL"], max_retries=0) as client:
        events = client.messages.create(
            model={MODEL!r}, max_tokens=32, stream=True, messages=[{{"role": "user", "content": "Hi there"}}]
        )
        assert [event.type for event in events][-1] == "message_stop"
"""
# What the stand-in's "stream-bad-delta" and "no-request-id" faults break.
BAD_DELTA = "*[[]stream-event[]] event 4 is content_block_delta (thinking_delta) for index 0*"
NO_REQUEST_ID = "*[[]response-request-id[]]*"
# A profile that does not require request-id (a gateway that strips it): another contract.
NO_REQUEST_ID_PROFILE = (
    "profiles={'2026-10-21': {'required_response_headers': ['anthropic-organization-id']}}"
)


def test_response_verdicts_are_remembered_and_never_change_an_answer(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The response rules' verdict on a recorded response is worked out in the first replay and read
    back in later sessions (the rules do not run again). Another contract, an edited response or a
    broken file of verdicts means the rules run again; the verdict is the same either way."""
    suite.makepyfile(test_verdicts=STREAM.replace("MARKER_ARGS", ""))
    api.misbehave.update({"stream-bad-delta", "no-request-id"})
    suite.runpytest("--claude-record-mode=once", "--claude-contract=warn").assert_outcomes(passed=1)
    go_offline(api, monkeypatch)

    def replay(*expected: str) -> str:
        return _failing_replay(suite, *expected)

    replay("response rules run: 5", NO_REQUEST_ID, BAD_DELTA)
    assert len(_verdict_files(suite.path)) == 1
    replay("response rules run: 0", NO_REQUEST_ID, BAD_DELTA)

    # Another contract: judged by that contract (request-id not required), then remembered for it too.
    suite.makepyfile(test_verdicts=STREAM.replace("MARKER_ARGS", NO_REQUEST_ID_PROFILE))
    assert "response-request-id" not in replay("response rules run: 5", BAD_DELTA)
    assert "response-request-id" not in replay("response rules run: 0", BAD_DELTA)
    suite.makepyfile(test_verdicts=STREAM.replace("MARKER_ARGS", ""))
    replay("response rules run: 0", NO_REQUEST_ID, BAD_DELTA)

    # A broken file of verdicts is ignored: the rules run again and find the same.
    for path in _verdict_files(suite.path):
        path.write_bytes(b"not marshal data")
    replay("response rules run: 5", NO_REQUEST_ID, BAD_DELTA)
    replay("response rules run: 0", NO_REQUEST_ID, BAD_DELTA)

    # An edited response (the delta's type mended) is another response: judged again.
    cassette = suite.path / "cassettes" / "test_verdicts" / "test_stream.yaml"
    text = cassette.read_text(encoding="utf-8")
    assert text.count('"thinking_delta"') == 1, text
    cassette.write_text(text.replace('"thinking_delta"', '"text_delta"'), encoding="utf-8")
    assert "stream-event" not in replay("response rules run: 5", NO_REQUEST_ID)


BODY = f"""
import json
import os
import sys

import httpx2
import pytest

pytestmark = pytest.mark.claude_contract


{counting_fixture("BODY_CHECKS", "body rules run")}

def test_raw():
    body = {{"model": {MODEL!r}, "max_tokens": 8, "temperature": TEMPERATURE,
            "messages": [{{"role": "user", "content": "hot"}}]}}
    headers = {{"x-api-key": os.environ.get("ANTHROPIC_API_KEY", ""), "anthropic-version": "2026-10-21",
               "content-type": "application/json", "anthropic-beta": "BETA"}}
    with httpx2.Client() as client:
        answer = client.post(os.environ["FAKE_API_URL"] + "/v1/messages", content=json.dumps(body, indent=INDENT), headers=headers)
    assert answer.status_code == 200
"""
# What 2026-10-21 rejects in the body (a body rule), and a malformed beta header (a header rule).
VERSION_BODY = "*[[]version-body[]]*temperature*"
BETA = "*[[]beta-header[]]*"


def test_request_body_verdicts_are_remembered_header_rules_always_run(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The body rules (documented request model, what the version rejects) read only the body: their
    verdict on a replayed request's bytes is remembered. The header rules run on every request (here a
    malformed anthropic-beta, flagged on every replay although the body verdict is read back); a changed
    body is judged again. (A changed anthropic-beta is another request: it is part of the match key.)"""

    def write(indent: str = "None") -> None:
        suite.makepyfile(
            test_body=BODY.replace("TEMPERATURE", "0.5")
            .replace("BETA", "Files API")
            .replace("INDENT", indent)
        )

    write()
    suite.runpytest("--claude-record-mode=once", "--claude-contract=warn").assert_outcomes(passed=1)
    go_offline(api, monkeypatch)

    def replay(*expected: str) -> str:
        return _failing_replay(suite, *expected)

    replay("body rules run: 2", VERSION_BODY, BETA)
    # Same body: the body verdict is read back, and the header rule fires again.
    replay("body rules run: 0", VERSION_BODY, BETA)
    # Other bytes (indented: the same JSON, so the same recording) are another verdict: run again.
    write(indent="2")
    replay("body rules run: 2", VERSION_BODY, BETA)
    replay("body rules run: 0", VERSION_BODY, BETA)


def test_verdict_files_merge_concurrent_writers_and_replace_older_rules(tmp_path: Path) -> None:
    """xdist workers each save what they worked out: the file keeps both. A file written by another
    version of the rules is deleted when this version writes its own."""
    from pytest_claude_contract.contract.verdicts import VerdictStore, rules_fingerprint

    older = tmp_path / "verdicts-0123456789abcdef0123.marshal"
    older.write_bytes(b"")
    first, second = VerdictStore(tmp_path), VerdictStore(tmp_path)
    first.put(b"a" * 16, ())
    second.put(b"b" * 16, (("stream-order", "event 2 is ...", "Re-record it.", "violation"),))
    first.save()
    second.save()
    assert not older.exists()
    assert [p.name for p in tmp_path.iterdir()] == [f"verdicts-{rules_fingerprint()}.marshal"]
    later = VerdictStore(tmp_path)
    assert later.get(b"a" * 16) == ()
    assert later.get(b"b" * 16) == (("stream-order", "event 2 is ...", "Re-record it.", "violation"),)
    assert later.get(b"c" * 16) is None
    # Nothing new: nothing written.
    assert later.path is not None
    stamp = later.path.stat().st_mtime_ns
    later.save()
    assert later.path.stat().st_mtime_ns == stamp
    # Without the pytest cache, verdicts live for the session only.
    memory = VerdictStore(None)
    memory.put(b"a" * 16, ())
    memory.save()
    assert memory.get(b"a" * 16) == ()


RELEASED = """
import gc
import weakref

import pytest

REFS = []


@pytest.mark.claude_contract(cassette=False)
def test_uses_the_plugin(claude_contract):
    REFS.append(weakref.ref(claude_contract))


def test_after():
    gc.collect()
    assert REFS and REFS[0]() is None, gc.get_referrers(REFS[0]())
"""


def test_a_finished_tests_recorder_is_not_kept(pytester: pytest.Pytester) -> None:
    """Once its test is over, a recorder (exchanges, parsed bodies, cassette) is garbage: kept to the
    end of the session, every full collection in a large suite would walk it again."""
    pytester.makepyfile(test_released=RELEASED)
    pytester.runpytest().assert_outcomes(passed=2)


TRANSPORT = f"""
import asyncio
import os

import anthropic
import pytest
import vcr.stubs.httpx_stubs as stubs

URL = os.environ["FAKE_API_URL"]
PROMPTS = PROMPTS_HERE


@pytest.fixture(autouse=True)
def vcrpy_requests(monkeypatch):
    # How many requests went through vcrpy's own httpx stub (which builds a vcrpy Request each).
    built = []
    real = stubs._make_vcr_request
    monkeypatch.setattr(stubs, "_make_vcr_request", lambda *args: built.append(1) or real(*args))
    yield
    print("through vcrpy:", len(built))


def ask(text):
    with anthropic.Anthropic(base_url=URL, max_retries=0) as client:
        reply = client.messages.create(
            model={MODEL!r}, max_tokens=32, messages=[{{"role": "user", "content": text}}]
        )
    return reply.content[0].text


async def ask_async(text):
    async with anthropic.AsyncAnthropic(base_url=URL, max_retries=0) as client:
        reply = await client.messages.create(
            model={MODEL!r}, max_tokens=32, messages=[{{"role": "user", "content": text}}]
        )
    return reply.content[0].text


@pytest.mark.claude_contract
def test_ask(claude_contract):
    for text in PROMPTS:
        assert text in ask(text)
        assert text + "!" in asyncio.run(ask_async(text + "!"))
    print("origins:", " ".join(e.origin for e in claude_contract.exchanges))
"""


def test_httpx_requests_are_the_plugins_own_transports_never_vcrpys(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK's requests (sync and async) are recorded, replayed and refused by the plugin's own
    httpx transport: vcrpy's httpx stub never sees one."""
    suite.makepyfile(test_transport=TRANSPORT.replace("PROMPTS_HERE", "['one']"))
    result = suite.runpytest("-s", "--claude-record-mode=once")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*origins: live live", "*through vcrpy: 0"])

    suite.makepyfile(test_transport=TRANSPORT.replace("PROMPTS_HERE", "['one', 'two']"))
    result = suite.runpytest("-s", "--claude-record-mode=new_episodes")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*origins: replayed replayed live live", "*through vcrpy: 0"])

    go_offline(api, monkeypatch)
    result = suite.runpytest("-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*origins: replayed replayed replayed replayed", "*through vcrpy: 0"])

    suite.makepyfile(test_transport=TRANSPORT.replace("PROMPTS_HERE", "['one', 'three']"))
    result = suite.runpytest("-s")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*through vcrpy: 0", "*Claude contract: no recorded answer for POST*"])


def test_the_parse_cache_keeps_plain_data_and_rebuilds_the_request_on_demand() -> None:
    """What the parse cache keeps goes through marshal and comes back as the same interaction: the
    match key and the response digest as they were worked out (not again), the request when asked."""
    import marshal

    from pytest_claude_contract.cassette.model import Interaction
    from pytest_claude_contract.contract.exchange import CapturedRequest

    request = CapturedRequest(
        "POST",
        "https://api.anthropic.com/v1/messages?beta=true",
        {"anthropic-version": "2023-06-01"},
        b'{"a": 1}',
    )
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Request-Id": ["req_1"], "Content-Type": ["application/json"]},
        "body": {"string": b'{"type": "message"}'},
    }
    original = Interaction(request, response, "2026-12-07T10:00:00Z", closed_early=True)
    restored = Interaction.from_cached(marshal.loads(marshal.dumps(original.cached())))
    assert restored._request is None  # not built until something asks
    assert restored.key == original.key
    assert (restored.recorded_at, restored.closed_early, restored.response) == (
        "2026-12-07T10:00:00Z",
        True,
        response,
    )
    assert (
        restored.captured_response._digest == original.captured_response.digest
    )  # carried, not hashed again
    assert restored.captured_response.headers == {"request-id": "req_1", "content-type": "application/json"}
    assert (restored.request.url, restored.request.query, restored.request.json) == (
        request.url,
        request.query,
        {"a": 1},
    )


def test_every_count_of_the_session_is_sent_from_an_xdist_worker() -> None:
    """SessionStats is a plain class: its annotated counts and the table that makes and sends them
    (to_dict, merge) name the same fields."""
    from pytest_claude_contract.contract.report import _STATS_FIELDS, SessionStats

    assert list(SessionStats.__annotations__) == list(_STATS_FIELDS)
    worker = SessionStats()
    worker.replayed, worker.violations["auth-missing"] = 3, 2
    worker.recorded.add("a.yaml")
    controller = SessionStats()
    controller.merge(worker.to_dict())
    assert (controller.replayed, controller.violations, controller.recorded) == (
        3,
        {"auth-missing": 2},
        {"a.yaml"},
    )
