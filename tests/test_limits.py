"""Bounded work on hostile input: YAML aliases, JSON depth, decompressed size, line length, and
cassette fields of the wrong type. Each limit is shown firing (a clear error naming the file, the
line where known, the limit and the setting) and quiet (a normal or large-but-legal input passes).

Bombs are kept small: the limit is set low through its setting, or the bomb is caught early.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from pytest_claude_contract.cassette import yaml_fast
from pytest_claude_contract.cassette.formats import document_interactions, read_cassette_document
from pytest_claude_contract.cassette.model import CassetteError
from pytest_claude_contract.cli import main
from pytest_claude_contract.contract import limits
from pytest_claude_contract.contract.exchange import decode_body, parse_json
from pytest_claude_contract.contract.models import DEFAULT_ENDPOINTS
from pytest_claude_contract.contract.streams import parse_events

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

HOST = "api.anthropic.com"
REQUEST_HEADERS = {
    "anthropic-version": ["2023-06-01"],
    "content-type": ["application/json"],
    "user-agent": ["test"],
    "x-api-key": ["redacted-by-claude-contract"],
}
RESPONSE_HEADERS = {
    "content-type": ["application/json"],
    "request-id": ["req_1"],
    "anthropic-organization-id": ["org"],
}
MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "content": [{"type": "text", "text": "Hi"}],
    "model": "claude-sonnet-4-6",
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 1, "output_tokens": 1},
}
REQUEST_BODY = json.dumps(
    {"model": "claude-sonnet-4-6", "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]}
)


@pytest.fixture(autouse=True)
def _default_limits() -> Iterator[None]:
    yield
    limits.configure(limits.Limits())


def interaction(**response: Any) -> dict[str, Any]:
    return {
        "request": {
            "body": REQUEST_BODY,
            "headers": dict(REQUEST_HEADERS),
            "method": "POST",
            "uri": f"https://{HOST}/v1/messages",
        },
        "response": {
            "body": {"string": json.dumps(MESSAGE)},
            "headers": dict(RESPONSE_HEADERS),
            "status": {"code": 200, "message": "OK"},
            **response,
        },
    }


def write_yaml(path: Path, *interactions: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump({"interactions": list(interactions), "version": 1}), encoding="utf-8")
    return path


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["lint", *args])
    return code, capsys.readouterr().out


def billion_laughs(levels: int = 9) -> str:
    """Each level a list of ten aliases of the one before: 10**levels strings once copied out."""
    rows = ['a0: &a0 ["lol"]']
    rows += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, levels + 1)]
    return "\n".join(rows)


# ------------------------------------------------------------------ YAML aliases


def test_alias_bomb_in_a_cassette_is_refused_quickly_and_small(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The bomb sits in a body stored as structure (cassetter's typed JSON body): json.dumps of it
    # would have expanded a billion strings.
    path = tmp_path / "bomb.yaml"
    path.write_text(
        billion_laughs()
        + "\ninteractions:\n- request:\n    method: POST\n    uri: https://api.anthropic.com/v1/messages\n"
        "    headers: {}\n    body: {type: json, content: *a9}\n"
        "  response:\n    status: {code: 200}\n    headers: {}\n    body: {string: ''}\n",
        encoding="utf-8",
    )
    tracemalloc.start()
    with pytest.raises(CassetteError) as caught:
        read_cassette_document(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2_000_000, peak  # the file is 600 bytes; copied out it would be gigabytes
    message = str(caught.value)
    assert f"{path}:1: holds YAML aliases that repeat" in message  # the first anchor repeated
    assert "more than the limit of 10,000" in message
    assert "claude_max_yaml_aliases" in message
    assert "--claude-max-yaml-aliases" in message

    code, out = lint(capsys, str(path))
    assert code == 2
    assert "bomb.yaml: unreadable" in out
    assert "lint --max-yaml-aliases" in out
    assert "ok" not in out


def test_an_alias_that_repeats_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("a: &a [1, *a]\ninteractions: []\n", encoding="utf-8")
    with pytest.raises(CassetteError, match="repeats itself"):
        read_cassette_document(path)


def test_a_few_aliases_pass_and_the_setting_raises_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # PyYAML's dumper writes an anchor and aliases for a mapping two interactions share.
    shared = interaction()
    shared["response"]["headers"] = RESPONSE_HEADERS
    other = interaction()
    other["response"]["headers"] = RESPONSE_HEADERS
    path = tmp_path / "aliases.yaml"
    path.write_text(yaml.dump({"interactions": [shared, other], "version": 1}), encoding="utf-8")
    assert "*id001" in path.read_text(encoding="utf-8")
    code, out = lint(capsys, str(path))
    assert code == 0, out
    assert "2 interactions, 2 with a Claude host: ok" in out
    # Four repeated header nodes of two entries each and a value list: over a limit of 5, not 50.
    code, out = lint(capsys, "--max-yaml-aliases", "5", str(path))
    assert code == 2
    assert "more than the limit of 5" in out
    code, out = lint(capsys, "--max-yaml-aliases", "50", str(path))
    assert code == 0, out


def test_the_fast_yaml_reader_leaves_anchors_and_aliases_to_the_guarded_path() -> None:
    assert yaml_fast.load("a: &x b\nc: *x\n") is None
    assert yaml_fast.load("a:\n  b: &x\n    c: d\n  e: *x\n") is None
    assert yaml_fast.load("a: b\n") == {"a": "b"}


# ------------------------------------------------------------------ JSON depth


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_deep_json_cassette_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{\n"interactions":\n' + deep(100_000) + "\n}\n", encoding="utf-8")
    code, out = lint(capsys, str(path))
    assert code == 2
    assert f"{path}:3: JSON nested deeper than the limit of 200 levels" in out
    assert "lint --max-json-depth" in out
    assert "RecursionError" not in out


def test_json_depth_guard_fires_and_stays_quiet() -> None:
    assert limits.json_depth_over(deep(201), 200)
    assert not limits.json_depth_over(deep(200), 200)
    # Brackets inside strings do not count, nor hide depth.
    assert not limits.json_depth_over(json.dumps(["[" * 500, {"a": "{" * 500}]), 200)
    assert limits.json_depth_over("[" * 150 + '"]]]"' + "[" * 60 + "]" * 210, 200)
    # A large body with many brackets but shallow: parsed.
    wide = json.dumps([{"a": [i, {"b": [i]}]} for i in range(20_000)])
    assert parse_json(wide.encode()) == json.loads(wide)
    assert parse_json(deep(100_000).encode()) is None  # not JSON to the checks, no RecursionError
    with pytest.raises(limits.LimitExceeded, match="deeper than the limit of 200"):
        limits.loads_json(deep(100_000))


def test_deep_json_event_in_a_stream_is_not_json_to_the_checks() -> None:
    nested = '{"type": "ping", "x": ' + deep(5_000) + "}"
    body = f"event: message_start\ndata: {{}}\n\nevent: ping\ndata: {nested}\n\n".encode()
    events = parse_events(body)
    assert events[0].parsed == {}
    assert events[1].parsed is None


def test_replay_of_a_deep_json_response_fails_with_a_report(pytester: pytest.Pytester) -> None:
    cassettes = pytester.mkdir("cassettes") / "test_deep"
    cassettes.mkdir()
    write_yaml(cassettes / "test_call.yaml", interaction(body={"string": deep(100_000)}))
    pytester.makepyfile(test_deep=REPLAY_TEST)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*response-schema*"])
    assert "RecursionError" not in result.stdout.str()


REPLAY_TEST = f"""
import httpx, pytest

@pytest.mark.claude_contract
def test_call():
    httpx.post(
        "https://api.anthropic.com/v1/messages",
        content={REQUEST_BODY!r},
        headers={{"anthropic-version": "2023-06-01", "content-type": "application/json",
                 "x-api-key": "redacted-by-claude-contract", "user-agent": "test"}},
    )
"""


class _DeepJSON(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        body = deep(100_000).encode()
        self.send_response(200)
        for name, value in (("content-type", "application/json"), ("request-id", "req_1")):
            self.send_header(name, value)
        self.send_header("anthropic-organization-id", "org")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_live_recording_of_a_deep_json_response(pytester: pytest.Pytester) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DeepJSON)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host = f"127.0.0.1:{server.server_address[1]}"
    try:
        pytester.makepyfile(
            test_live=f"""
import httpx, pytest

@pytest.mark.claude_contract(hosts=[{host!r}])
def test_call():
    response = httpx.post(
        "http://{host}/v1/messages",
        content={REQUEST_BODY!r},
        headers={{"anthropic-version": "2023-06-01", "content-type": "application/json",
                 "x-api-key": "sk-ant-api03-" + "Ab9" * 30}},
    )
    assert response.content.startswith(b"[[[")
"""
        )
        result = pytester.runpytest_inprocess(
            "-p", "no:cacheprovider", "--claude-record-mode=once", "--claude-keep-failed"
        )
    finally:
        server.shutdown()
        server.server_close()
    output = result.stdout.str()
    assert "RecursionError" not in output
    assert "INTERNALERROR" not in output
    result.assert_outcomes(failed=1)  # the checks report the body: not a documented message
    result.stdout.fnmatch_lines(["*response-schema*"])
    written = pytester.path / "cassettes" / "test_live" / "test_call.yaml"
    data = yaml.safe_load(written.read_text(encoding="utf-8"))  # written as text, not pretty-printed
    assert data["interactions"][0]["response"]["body"]["string"] == deep(100_000)


# ------------------------------------------------------------------ decompressed size


def gzip_interaction(inflated: int) -> dict[str, Any]:
    body = gzip.compress(b" " * inflated, mtime=0)
    return interaction(
        body={"string": body},
        headers={**RESPONSE_HEADERS, "content-encoding": ["gzip"]},
    )


def test_a_gzip_bomb_body_is_refused_within_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_yaml(tmp_path / "gzip-bomb.yaml", gzip_interaction(50_000_000))
    assert path.stat().st_size < 200_000
    limits.configure(limits.Limits(decoded_size=1_000_000, via="lint"))
    tracemalloc.start()
    document = read_cassette_document(path)
    assert document is not None
    with pytest.raises(CassetteError) as caught:
        document_interactions(document)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000, peak  # the limit and the file, not the 50 MB it inflates to
    assert f"{path}:2: interaction 1: the compressed body inflates to more than the limit of 1 MB" in str(
        caught.value
    )
    limits.configure(limits.Limits())
    code, out = lint(capsys, "--max-decoded-size", "1MB", str(path))
    assert code == 2
    assert "lint --max-decoded-size" in out


def test_a_large_legal_gzip_body_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_yaml(tmp_path / "large.yaml", gzip_interaction(3_000_000))
    code, out = lint(capsys, "--max-decoded-size", "4MB", str(path))
    assert ": unreadable" not in out, out
    assert ", 0 unreadable" in out, out
    code, out = lint(capsys, "--max-decoded-size", "2MB", str(path))
    assert code == 2
    assert "more than the limit of 2 MB" in out


def test_the_default_decoded_limit_is_per_endpoint() -> None:
    by_path = {(e.method, e.path): e.max_body_bytes for e in DEFAULT_ENDPOINTS}
    assert by_path["POST", "/v1/messages"] == limits.STANDARD_BODY_LIMIT  # in step with the contract
    assert limits.decoded_limit("POST", "/v1/messages") == 4 * 32_000_000
    assert limits.decoded_limit("POST", "/v1/messages/batches") == 4 * 256_000_000
    assert limits.decoded_limit("GET", "/elsewhere") == limits.decoded_limit() == 4 * 32_000_000


def test_decompression_is_capped_for_every_encoding() -> None:
    import zlib

    import brotli

    data = b"x" * 100_000
    for coding, packed in (
        ("gzip", gzip.compress(data)),
        ("deflate", zlib.compress(data)),
        ("br", brotli.compress(data)),
    ):
        assert decode_body(packed, coding, 100_000) == data
        with pytest.raises(limits.LimitExceeded, match="limit of 99,999 bytes"):
            decode_body(packed, coding, 99_999)
    assert decode_body(b"not gzip", "gzip", 10) == b"not gzip"  # broken: as it is, as before


def test_a_gzip_cassette_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml.gz"
    path.write_bytes(gzip.compress(b"#" * 3_000_000))
    limits.configure(limits.Limits(decoded_size=1_000_000))
    with pytest.raises(
        CassetteError, match="the gzip-compressed cassette inflates to more than the limit of 1 MB"
    ):
        read_cassette_document(path)


def test_replay_of_a_gzip_bomb_fails_naming_the_ini_option(pytester: pytest.Pytester) -> None:
    cassettes = pytester.mkdir("cassettes") / "test_deep"
    cassettes.mkdir()
    write_yaml(cassettes / "test_call.yaml", gzip_interaction(3_000_000))
    pytester.makepyfile(test_deep=REPLAY_TEST)
    pytester.makeini("[pytest]\nclaude_max_decoded_size = 1MB\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*test_call.yaml:2: interaction 1: the compressed body inflates to more than the limit of 1 MB*"]
    )
    result.stdout.fnmatch_lines(["*ini option claude_max_decoded_size or --claude-max-decoded-size*"])
    assert "Traceback" not in result.stdout.str()


# ------------------------------------------------------------------ line length


def test_a_long_line_is_refused_with_its_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "long.json"
    record = interaction(body={"string": "x" * 300_000})
    path.write_text(json.dumps({"interactions": [record], "version": 1}, indent=1), encoding="utf-8")
    line = next(n for n, row in enumerate(path.read_text().splitlines(), 1) if len(row) > 300_000)
    code, out = lint(capsys, "--max-line-length", "100KB", str(path))
    assert code == 2
    assert f"{path}:{line}: line {line} is longer than the limit of 100,000 bytes" in out
    assert "lint --max-line-length" in out
    code, out = lint(capsys, "--max-line-length", "1MB", str(path))
    assert ": unreadable" not in out, out
    assert ", 0 unreadable" in out, out


def test_long_line_search() -> None:
    assert limits.long_line(b"a\n" * 1000, 10) is None
    assert limits.long_line(b"a\n" * 10 + b"b" * 11 + b"\nc", 10) == 11
    assert limits.long_line(b"a\n" + b"b" * 10 + b"\n" + b"c" * 11, 10) == 3
    assert limits.long_line(b"b" * 10, 10) is None


# ------------------------------------------------------------------ fields of the wrong type


WRONG: dict[str, tuple[Callable[[dict[str, Any]], object], str]] = {
    "uri": (lambda i: i["request"].update(uri=12345), "request.uri is 12345, a int; expected a URL string"),
    "headers": (lambda i: i["request"].update(headers="x"), "request.headers is 'x', a str"),
    "status": (
        lambda i: i["response"].update(status={"code": "abc"}),
        "response.status.code is 'abc', a str; expected an integer",
    ),
    "body": (lambda i: i["request"].update(body=12345), "request.body is 12345, a int"),
    "response-body": (
        lambda i: i["response"].update(body={"string": 7}),
        "response.body.string is 7, a int",
    ),
}


@pytest.mark.parametrize("field", list(WRONG))
def test_a_field_of_the_wrong_type_is_unreadable_in_lint(
    field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit, message = WRONG[field]
    bad = interaction()
    edit(bad)
    path = write_yaml(tmp_path / "typed.yaml", interaction(), bad)
    code, out = lint(capsys, str(path))
    assert code == 2, out
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    assert isinstance(root, yaml.MappingNode)
    line = root.value[0][1].value[1].start_mark.line + 1
    assert f"{path}:{line}: interaction 2 is not a vcrpy interaction ({message}" in out
    assert ": ok" not in out


def test_a_field_of_the_wrong_type_fails_replay_with_file_and_line(pytester: pytest.Pytester) -> None:
    cassettes = pytester.mkdir("cassettes") / "test_deep"
    cassettes.mkdir()
    bad = interaction()
    bad["request"]["uri"] = 12345
    write_yaml(cassettes / "test_call.yaml", bad)
    pytester.makepyfile(test_deep=REPLAY_TEST)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*test_call.yaml:2: interaction 1 is not a vcrpy interaction (request.uri is 12345*"]
    )
    assert "Traceback" not in result.stdout.str()


def test_real_cassettes_still_read(capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    real = Path(__file__).parent / "data" / "real-cassettes"
    code, out = lint(capsys, str(real))
    assert ": unreadable" not in out, out
    assert ", 0 unreadable" in out, out
    assert code in (0, 1)


# ------------------------------------------------------------------ settings


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["--claude-max-json-depth=abc"],
            "--claude-max-json-depth='abc' is not valid; use a whole number from 1 to 1000",
        ),
        (["--claude-max-json-depth=5000"], "use a whole number from 1 to 1000"),
        (
            ["--claude-max-yaml-aliases=-1"],
            "--claude-max-yaml-aliases='-1' is not valid; use a whole number from 1",
        ),
        (["--claude-max-decoded-size=lots"], "use a whole number of bytes, or with a unit: KB, MB or GB"),
        (["--claude-max-line-length=0"], "--claude-max-line-length='0' is not valid"),
    ],
)
def test_bad_limit_settings_are_usage_errors(pytester: pytest.Pytester, args: list[str], error: str) -> None:
    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest_inprocess(*args)
    result.stderr.fnmatch_lines([f"*{error}*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_bad_limit_ini_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nclaude_max_decoded_size = 12 parsecs\n")
    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest_inprocess()
    result.stderr.fnmatch_lines(["*ini option claude_max_decoded_size='12 parsecs' is not valid*"])


def test_bad_lint_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["lint", "--max-json-depth", "0", str(tmp_path)]) == 2
    assert "--max-json-depth='0' is not valid; use a whole number from 1 to 1000" in capsys.readouterr().err


def test_lint_flags_do_not_outlive_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_yaml(tmp_path / "ok.yaml", interaction())
    lint(capsys, "--max-json-depth", "3", str(path))
    assert limits.current() == limits.Limits()


def test_binary_body_round_trip_unaffected(tmp_path: Path) -> None:
    # A !!binary body that is not compressed reads as before.
    record = interaction(body={"string": base64.b64decode(base64.b64encode(b"\x00\x01"))})
    path = write_yaml(tmp_path / "bin.yaml", record)
    assert read_cassette_document(path) is not None


def test_a_cassette_parsed_under_looser_limits_is_read_again_under_stricter_ones(
    pytester: pytest.Pytester,
) -> None:
    # The parse cache (memory and the pytest cache's pickles) is kept per reading limits: a
    # cassette that passed before is refused once the user lowers a limit, not replayed from cache.
    first, second = interaction(), interaction()
    first["response"]["headers"] = second["response"]["headers"] = RESPONSE_HEADERS  # YAML aliases
    cassettes = pytester.mkdir("cassettes") / "test_deep"
    cassettes.mkdir()
    path = cassettes / "test_call.yaml"
    path.write_text(yaml.dump({"interactions": [first, second], "version": 1}), encoding="utf-8")
    assert "*id001" in path.read_text(encoding="utf-8")
    pytester.makepyfile(
        test_deep=REPLAY_TEST.replace("    httpx.post(", "    for _ in range(2):\n        httpx.post(")
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)
    strict = pytester.runpytest_inprocess("--claude-max-yaml-aliases=1")
    strict.assert_outcomes(errors=1)
    strict.stdout.fnmatch_lines(["*more than the limit of 1*claude_max_yaml_aliases*"])
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_a_search_inflates_what_a_reader_refuses_up_to_the_limit() -> None:
    import zlib

    bomb = gzip.compress(b"k" * 10_000, mtime=0)
    with pytest.raises(limits.LimitExceeded):
        limits.inflate(bomb, 31, 1_000)
    assert limits.inflate(bomb, 31, 1_000, partial=True) == b"k" * 1_000
    truncated = gzip.compress(b"sk-ant-api03-" + b"x" * 5_000, mtime=0)[:-8]  # no trailer
    with pytest.raises(zlib.error):
        limits.inflate(truncated, 31, 1_000_000)
    assert limits.inflate(truncated, 31, 1_000_000, partial=True).startswith(b"sk-ant-api03-")
    two_members = gzip.compress(b"one ", mtime=0) + gzip.compress(b"two", mtime=0) + b"junk"
    assert limits.inflate(two_members, 31, 100, partial=True) == b"one two"
    with pytest.raises(zlib.error):
        limits.inflate(b"not compressed", 31, 100, partial=True)


def test_deep_toml_is_refused_at_the_limit_not_only_past_pythons_recursion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # cassetter's TOML: tomllib recurses, so only ~1,000 levels raised RecursionError; 300 passed.
    path = tmp_path / "deep.toml"
    path.write_text("a = " + "[" * 300 + "]" * 300 + "\ninteractions = []\n", encoding="utf-8")
    code, out = lint(capsys, str(path))
    assert code == 2
    assert "is nested deeper than the limit of 200 levels" in out
    code, out = lint(capsys, "--max-json-depth", "400", str(path))
    assert "unreadable" not in out.splitlines()[0], out
    path.write_text("a = " + "[" * 5000 + "]" * 5000 + "\ninteractions = []\n", encoding="utf-8")
    code, out = lint(capsys, str(path))
    assert code == 2
    assert "is nested deeper than the limit of 200 levels" in out
