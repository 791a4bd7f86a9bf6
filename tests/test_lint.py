"""`pytest-claude-contract lint`: real cassettes read and judged honestly, secrets found and fixed.

Every cassette here is a real file on disk: copies of cassettes other projects recorded against the
real API (tests/data/real-cassettes, see PROVENANCE.md there), or ones written by the test. A key is
only ever built at run time, never written as a key-shaped literal.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import vcr.serialize
import vcr.serializers.jsonserializer
import vcr.serializers.yamlserializer
import yaml

from pytest_claude_contract.cassette.scrub import REDACTED
from pytest_claude_contract.cassette.store import load_cassette
from pytest_claude_contract.cli import lint as _lint
from pytest_claude_contract.cli import main
from pytest_claude_contract.cli.lint import (
    NOT_RECORDED_LEGEND,
    RECORDED_BEFORE_LEGEND,
    SECRET_RULE,
    is_placeholder,
    lint_paths,
)

REAL = Path(__file__).parent / "data" / "real-cassettes"
LINT_REAL = REAL / "lint"

FILTERED = {"auth-missing", "version-missing", "response-request-id", "response-organization-id"}
# file name -> (violations, "not recorded" findings): the honest verdicts on real traffic.
EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    "crewAIInc__crewAI__TestAnthropicToolCallStreaming.test_anthropic_streaming_emits_tool_call_events.yaml": (
        set(),
        set(),
    ),
    "crewAIInc__crewAI__test_anthropic_stop_sequences_sent_to_api.yaml": (set(), {"auth-missing"}),
    "pydantic__logfire__test_async_beta_messages.yaml": (set(), {"auth-missing"}),
    "pydantic__pydantic-ai__test_anthropic_count_tokens_error.yaml": (set(), FILTERED),
    # Recorded with models retired since (claude-sonnet-4-0 on 2026-06-15, claude-sonnet-4-5 on
    # 2026-11-30, claude-3-opus-20240229 below on 2026-01-05): the live API refuses them today.
    "pydantic__pydantic-ai__test_anthropic_model_thinking_part_stream.yaml": ({"model-retired"}, FILTERED),
    "simonw__llm-anthropic__test_schema_prompt.yaml": ({"model-retired"}, {"auth-missing"}),
    "simonw__llm-anthropic__test_stream_events_thinking.yaml": (set(), {"auth-missing"}),
    # Recorded in April 2024 (its Date header), before the API sent anthropic-organization-id: see
    # RECORDED_BEFORE. Its model has retired since: a true finding against today's API.
    "traceloop__openllmetry__test_anthropic_message_create_legacy.yaml": (
        {"model-retired"},
        {"auth-missing"},
    ),
    "traceloop__openllmetry__test_anthropic_message_streaming_legacy.yaml": (set(), {"auth-missing"}),
    "traceloop__openllmetry__test_async_anthropic_beta_message_stream_manager_legacy.yaml": (
        set(),
        {"auth-missing"},
    ),
}


# file name -> findings of level "recorded before" (a header the API did not send yet).
RECORDED_BEFORE = {
    "traceloop__openllmetry__test_anthropic_message_create_legacy.yaml": {"response-organization-id"},
    "traceloop__openllmetry__test_anthropic_message_streaming_legacy.yaml": {"response-organization-id"},
}


def real(name: str) -> Path:
    path = LINT_REAL / name
    return path if path.exists() else REAL / name


def make_key() -> str:
    return "sk-ant-" + "api03-" + "Zq9" * 30 + "Kw"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["lint", *args])
    return code, capsys.readouterr().out


# ------------------------------------------------------------------ real cassettes


def test_every_copied_real_cassette_is_listed() -> None:
    found = {p.name for p in (*REAL.glob("*.yaml"), *LINT_REAL.glob("*.yaml"))}
    assert found == set(EXPECTED)
    provenance = (REAL / "PROVENANCE.md").read_text(encoding="utf-8")
    for name in found:
        assert name in provenance


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=lambda n: n[:50])
def test_real_cassettes_get_honest_verdicts(name: str) -> None:
    result = lint_paths([real(name)])
    (file,) = result.files
    assert file.error is None
    assert file.checked >= 1
    violations, not_recorded = EXPECTED[name]
    assert {f.rule for f in file.violations} == violations
    assert {f.rule for f in file.not_recorded} == not_recorded
    assert {f.rule for f in file.recorded_before} == RECORDED_BEFORE.get(name, set())
    assert result.exit_code == (1 if violations else 0)


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=lambda n: n[:50])
def test_assume_recorded_makes_absent_headers_violations(name: str) -> None:
    violations, not_recorded = EXPECTED[name]
    (file,) = lint_paths([real(name)], assume_recorded=True).files
    assert {f.rule for f in file.violations} == violations | not_recorded
    assert file.not_recorded == []
    # The recording's date is not a header a recorder could have removed: still not a failure.
    assert {f.rule for f in file.recorded_before} == RECORDED_BEFORE.get(name, set())


def test_a_folder_is_walked_and_the_report_explains_not_recorded(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, str(REAL))
    assert code == 1  # retired models; the 2024 recordings without the organization do not fail
    assert (
        "10 cassettes (13 interactions, 12 with a Claude host): 3 violations in 3 files, 15 not recorded, "
        "2 recorded before the header existed, 0 unreadable"
    ) in out
    assert (
        "not recorded     [version-missing] no `anthropic-version` header is sent (the recorder removed"
        in out
    )
    assert (
        "not recorded     [auth-missing] no `x-api-key` or `Authorization: Bearer` header is sent "
        "(the API answered 200, not 401, so credentials were sent)"
    ) in out
    # The 2024 recording without anthropic-organization-id (its Date header: 07 Apr 2024).
    assert (
        "recorded before  [response-organization-id] the 200 response has no `anthropic-organization-id` "
        "header (recorded before the header existed: recorded 2024-04-07; the API sends it since "
        "2025-02-10, per the API release notes)"
    ) in out
    assert NOT_RECORDED_LEGEND in out
    assert RECORDED_BEFORE_LEGEND in out
    # The crewAI tracing call is not a Claude host: read, counted, not checked.
    assert (
        "crewAI__test_anthropic_stop_sequences_sent_to_api.yaml: 3 interactions, 2 with a Claude host" in out
    )


def test_placeholders_are_not_secrets() -> None:
    assert is_placeholder("X-API-KEY-XXX")
    assert is_placeholder(REDACTED)
    assert is_placeholder("sk-ant-" + "api03-" + "X" * 16)
    assert is_placeholder("<your API key>")
    assert not is_placeholder(make_key())
    assert not is_placeholder("q8Zr2LkP0vWx7NcT5mB1yHsD")


# ------------------------------------------------------------------ cassettes written here


def request(**changes: Any) -> dict[str, Any]:
    headers = {
        "Content-Type": ["application/json"],
        "anthropic-version": ["2023-06-01"],
        "user-agent": ["Anthropic/Python 0.125.0"],
        "x-api-key": [REDACTED],
    }
    headers.update(changes.pop("headers", {}))
    out = {
        "body": '{"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}',
        "headers": {k: v for k, v in headers.items() if v is not None},
        "method": "POST",
        "uri": "https://api.anthropic.com/v1/messages",
    }
    out.update(changes)
    return out


MESSAGE = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-6",
    "content": [{"type": "text", "text": "Hello!"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 8, "output_tokens": 4},
}


def response(
    body: Any = None, status: int = 200, headers: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    all_headers = {
        "Content-Type": ["application/json"],
        "request-id": ["req_011CSHoEeqs5C35K2UUqR7Fy"],
        "anthropic-organization-id": ["d3b07384-d9a0-4c5b-9f3e-3c3d3a1a8f00"],
        **(headers or {}),
    }
    return {
        "body": {"string": json.dumps(MESSAGE) if body is None else body},
        "headers": all_headers,
        "status": {"code": status, "message": "OK"},
    }


def write_yaml(path: Path, *interactions: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump({"interactions": list(interactions), "version": 1}), encoding="utf-8")
    return path


def test_a_clean_cassette_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_yaml(tmp_path / "clean.yaml", {"request": request(), "response": response()})
    code, out = run(capsys, str(path))
    assert code == 0
    assert f"{path}: 1 interactions, 1 with a Claude host: ok" in out


def test_absent_credentials_with_a_401_are_a_violation(tmp_path: Path) -> None:
    error = json.dumps({"type": "error", "error": {"type": "authentication_error", "message": "x"}})
    path = write_yaml(
        tmp_path / "denied.yaml",
        {"request": request(headers={"x-api-key": None}), "response": response(error, status=401)},
    )
    (file,) = lint_paths([path]).files
    assert [f.rule for f in file.violations] == ["auth-missing"]


def test_a_key_is_found_everywhere_and_shown_by_its_prefix_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = make_key()
    token = "q8Zr2LkP0vWx7NcT5mB1yHsDq8Zr2LkP"  # an opaque bearer token, not key-shaped
    answer = json.dumps({**MESSAGE, "content": [{"type": "text", "text": f"your key is {key}"}]}).encode()
    gz = gzip.compress(answer)
    path = tmp_path / "leaky.yaml"
    write_yaml(
        path,
        {
            "request": request(headers={"x-api-key": [key]}),
            "response": response(gz, headers={"Content-Encoding": ["gzip"]}),
        },
        {
            "request": request(
                headers={"x-api-key": None, "Authorization": [f"Bearer {token}"]},
                uri=f"https://api.anthropic.com/v1/messages?api_key={key}",
            ),
            "response": response(),
        },
    )
    assert "!!binary" in path.read_text()
    code, out = run(capsys, str(path))
    assert code == 1
    assert key not in out
    assert key[10:20] not in out
    assert token not in out
    assert token[10:20] not in out
    assert f"[secret-in-cassette] request header `x-api-key` holds a credential ({key[:10]}...)" in out
    assert f"response body (content-encoding gzip) holds a credential ({key[:10]}...)" in out
    assert f"request header `Authorization` holds a credential ({token[:10]}...)" in out
    assert f"URL query parameter `api_key` holds a credential ({key[:10]}...)" in out
    assert "#2 POST https://api.anthropic.com/v1/messages?api_key=redacted" in out
    assert f"fix: {SECRET_RULE.hint}" in out

    code, out = run(capsys, "--fix-secrets", str(path))
    assert "5 secrets replaced by redacted-by-claude-contract" in out
    assert "secret-in-cassette" not in out
    # What is left is the contract's own finding: a credential in the URL, whatever its value.
    assert code == 1
    assert "[auth-scheme] a credential is sent in the URL query parameter 'api_key'" in out
    text = path.read_text()
    assert key not in text
    assert token not in text
    assert f"Bearer {REDACTED}" in text
    # Still a plain vcrpy cassette, the gzip body re-encoded and still gzip.
    data = vcr.serialize.deserialize(text, vcr.serializers.yamlserializer)
    assert len(data[0]) == 2
    body = gzip.decompress(yaml.safe_load(text)["interactions"][0]["response"]["body"]["string"])
    assert body == answer.replace(key.encode(), REDACTED.encode())
    code, out = run(capsys, str(path))
    assert "secret-in-cassette" not in out


def test_fixing_keeps_the_rest_of_the_file_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = make_key()
    path = tmp_path / "cassette.yaml"
    shutil.copy(real("pydantic__logfire__test_async_beta_messages.yaml"), path)
    original = path.read_text()
    marker = "      anthropic-version:\n      - '2023-06-01'\n"
    assert marker in original
    path.write_text(original.replace(marker, marker + f"      x-api-key:\n      - {key}\n", 1))
    assert run(capsys, "--fix-secrets", str(path))[0] == 0
    assert path.read_text() == original.replace(marker, marker + f"      x-api-key:\n      - {REDACTED}\n", 1)
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed, not left behind


def test_json_serialized_cassettes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = make_key()
    cassette = {"interactions": [{"request": request(headers={"x-api-key": [key]}), "response": response()}]}
    path = tmp_path / "cassette.json"
    path.write_text(vcr.serializers.jsonserializer.serialize(cassette))
    code, out = run(capsys, str(path))
    assert code == 1
    assert f"({key[:10]}...)" in out
    assert key not in out
    assert run(capsys, "--fix-secrets", str(path))[0] == 0
    text = path.read_text()
    assert key not in text
    data = vcr.serialize.deserialize(text, vcr.serializers.jsonserializer)
    assert data[0][0].headers["x-api-key"] == REDACTED


def test_gzip_compressed_cassettes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = "traceloop__openllmetry__test_anthropic_message_create_legacy.yaml"
    path = tmp_path / "legacy.yaml.gz"
    path.write_bytes(gzip.compress(real(name).read_bytes()))
    (file,) = lint_paths([tmp_path]).files  # found by walking the folder
    assert file.path == path
    assert ({f.rule for f in file.violations}, {f.rule for f in file.not_recorded}) == EXPECTED[name]

    key = make_key()
    leaky = tmp_path / "leaky.yaml.gz"
    text = yaml.safe_dump(
        {"interactions": [{"request": request(headers={"x-api-key": [key]}), "response": response()}]}
    )
    leaky.write_bytes(gzip.compress(text.encode()))
    assert run(capsys, "--fix-secrets", str(leaky))[0] == 0
    fixed = gzip.decompress(leaky.read_bytes()).decode()
    assert key not in fixed
    assert REDACTED in fixed


def test_an_empty_content_encoding_is_read_as_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`content-encoding: []` names no coding: the body is played as it is, not an IndexError."""
    path = write_yaml(
        tmp_path / "empty-coding.yaml",
        {
            "request": request(),
            "response": response(headers={"Content-Encoding": [], "Content-Length": ["1"]}),
        },
    )
    code, out = run(capsys, str(path))
    assert code == 0, out
    interactions = load_cassette(path)
    assert interactions is not None
    (interaction,) = interactions
    played = interaction.response
    assert played["headers"]["Content-Encoding"] == []
    assert played["body"]["string"] == json.dumps(MESSAGE).encode()
    assert played["headers"]["Content-Length"] == [str(len(played["body"]["string"]))]


def test_cassetter_typed_bodies(tmp_path: Path) -> None:
    """cassetter's format: `body: {type, content}` (json as structure, binary as hex), integer status."""
    path = tmp_path / "cassetter.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "interactions": [
                    {
                        "request": {
                            "method": "POST",
                            "uri": "https://api.anthropic.com/v1/messages",
                            "headers": dict(request()["headers"].items()),
                            "body": {"type": "json", "content": json.loads(request()["body"])},
                        },
                        "response": {
                            "status": 200,
                            "headers": response()["headers"],
                            "body": {"type": "json", "content": MESSAGE},
                        },
                        "recorded_at": "2026-01-01T00:00:00Z",
                    },
                    {
                        "request": {
                            "method": "GET",
                            "uri": "https://example.com/blob",
                            "headers": {},
                            "body": {"type": "none"},
                        },
                        "response": {
                            "status": 200,
                            "headers": {},
                            "body": {"type": "binary", "content": "deadbeef"},
                        },
                    },
                ],
            }
        )
    )
    interactions = load_cassette(path)
    assert interactions is not None
    assert interactions[0].request.json["model"] == "claude-sonnet-4-6"
    assert interactions[1].response["body"]["string"] == bytes.fromhex("deadbeef")
    (file,) = lint_paths([path]).files
    assert (file.interactions, file.checked, file.findings) == (2, 1, [])


# ------------------------------------------------------------------ exit codes and formats


def test_unreadable_input_exits_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("interactions:\n- request: {method: POST\n  oops: [\n")
    code, out = run(capsys, str(broken), str(real("pydantic__logfire__test_async_beta_messages.yaml")))
    assert code == 2
    assert re.search(rf"{re.escape(str(broken))}:\d+: is not valid YAML", out)
    assert run(capsys, str(tmp_path / "missing.yaml"))[0] == 2
    assert main(["lint"]) == 2  # usage error: no PATH
    assert main(["lint", "--format", "xml", str(broken)]) == 2
    capsys.readouterr()


def test_files_that_are_not_cassettes_are_skipped_when_walking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "package.json").write_text('{"name": "x"}')
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "broken.yaml").write_text(": : :\n")
    write_yaml(tmp_path / "clean.yml", {"request": request(), "response": response()})
    code, out = run(capsys, str(tmp_path))
    assert code == 0
    assert "1 cassette (1 interactions, 1 with a Claude host)" in out
    assert "1 file skipped (not cassettes)" in out
    assert run(capsys, str(tmp_path / "package.json"))[0] == 2  # named explicitly: an error


def test_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--format", "json", str(LINT_REAL))
    assert code == 1
    data = json.loads(out)
    assert data["exit_code"] == 1
    assert data["summary"]["violations"] == 3  # three retired models
    assert data["summary"]["recorded_before"] == 2
    assert data["summary"]["unreadable"] == 0
    finding = next(f for file in data["files"] for f in file["findings"] if f["level"] == "recorded before")
    assert finding["rule"] == "response-organization-id"
    assert finding["interaction"] == 1
    assert finding["line"] == 2
    assert finding["target"] == "POST https://api.anthropic.com/v1/messages"
    assert data["legend"]["not recorded"] == NOT_RECORDED_LEGEND
    assert data["legend"]["recorded before"] == RECORDED_BEFORE_LEGEND


def test_github_format_annotates_the_line_of_the_interaction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = make_key()
    path = write_yaml(
        tmp_path / "leaky.yaml",
        {"request": request(), "response": response()},
        {"request": request(headers={"x-api-key": [key]}), "response": response()},
    )
    starts = [n for n, row in enumerate(path.read_text().splitlines(), 1) if row.startswith("- request:")]
    line = starts[1]
    code, out = run(
        capsys, "--format", "github", str(path), str(real("simonw__llm-anthropic__test_schema_prompt.yaml"))
    )
    assert code == 1
    assert (
        f"::error file={path},line={line},title=secret-in-cassette::interaction 2: "
        f"POST https://api.anthropic.com/v1/messages: request header `x-api-key` holds a credential ({key[:10]}...)"
    ) in out
    assert "::notice file=" in out
    assert "title=auth-missing (not recorded)::interaction 1" in out
    assert key not in out


def test_python_dash_m_runs_lint() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest_claude_contract",
            "lint",
            str(real("pydantic__logfire__test_async_beta_messages.yaml")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 violations in 0 files, 1 not recorded, 0 unreadable" in proc.stdout


def test_binary_bodies_keep_their_layout_when_fixed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = make_key()
    body = gzip.compress(json.dumps({**MESSAGE, "content": [{"type": "text", "text": key}]}).encode())
    path = write_yaml(
        tmp_path / "c.yaml",
        {"request": request(), "response": response(body, headers={"Content-Encoding": ["gzip"]})},
    )
    before = path.read_text()
    assert run(capsys, "--fix-secrets", str(path))[0] == 0
    after = path.read_text()
    assert after.count("!!binary |") == before.count("!!binary |") == 1
    stored = yaml.safe_load(after)["interactions"][0]["response"]["body"]["string"]
    assert REDACTED in gzip.decompress(stored).decode()
    assert base64.b64encode(stored).decode()[:60] in after.replace("\n", "").replace(" ", "")


# ------------------------------------------------------------------ --orphans

ORPHANS_SUITE = """
import pytest

pytestmark = pytest.mark.claude_contract


def test_own():
    pass


@pytest.mark.claude_contract(cassette="named")
def test_named():
    pass
"""


def test_orphans_lists_cassettes_no_collected_test_uses(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    """`lint --orphans DIR` collects the suite (pytest --collect-only, in a subprocess, from --rootdir)
    and lists the cassettes under DIR no collected test uses: exit 1 with orphans, 0 without."""
    pytester.makepyfile(test_orphans=ORPHANS_SUITE)
    folder = pytester.path / "cassettes"
    for name in (
        "test_orphans/test_own.yaml",
        "test_orphans/named.yaml",
        "test_orphans/test_gone.yaml",
        "old/x.yaml",
    ):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("interactions: []\nversion: 1\n")
    root = str(pytester.path)
    code, out = run(capsys, "--orphans", str(folder), "--rootdir", root)
    assert code == 1, out
    assert out.splitlines()[:3] == [
        "  old/x.yaml",
        "  test_orphans/test_gone.yaml",
        f"2 of 4 cassettes under {folder} are used by no test collected by `pytest --collect-only` in {root}.",
    ]
    assert "test_own.yaml" not in out
    assert not (pytester.path / ".pytest_cache").exists()  # the collection leaves nothing behind

    code, out = run(capsys, "--orphans", str(folder), "--rootdir", root, "--format", "json")
    data = json.loads(out)
    assert (code, data["exit_code"], data["cassettes"]) == (1, 1, 4)
    assert data["orphans"] == [
        str(folder / "old" / "x.yaml"),
        str(folder / "test_orphans" / "test_gone.yaml"),
    ]
    assert data["cassette_dir"] == str(folder)

    shutil.rmtree(folder / "old")
    (folder / "test_orphans" / "test_gone.yaml").unlink()
    code, out = run(capsys, "--orphans", str(folder), "--rootdir", root)
    assert code == 0
    assert f"0 of 2 cassettes under {folder} are used by no test" in out


def test_orphans_usage_and_collection_errors(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    """Usage errors and a suite that does not collect exit 2, saying what to fix."""
    folder = pytester.path / "cassettes"
    folder.mkdir()
    assert main(["lint", "--orphans", str(folder), str(folder)]) == 2
    assert "--orphans DIR lists orphaned cassettes only" in capsys.readouterr().err
    assert main(["lint", "--rootdir", str(folder), str(folder)]) == 2
    assert "--rootdir goes with --orphans DIR" in capsys.readouterr().err
    assert main(["lint"]) == 2
    assert (
        "give the cassettes to lint (PATH..., files or folders), or --orphans DIR" in capsys.readouterr().err
    )

    code, out = run(capsys, "--orphans", str(pytester.path / "missing"), "--rootdir", str(pytester.path))
    assert code == 2
    assert "missing: no such folder (give the cassette folder" in out

    pytester.makepyfile(test_broken="def test_x(:\n    pass\n")
    code, out = run(capsys, "--orphans", str(folder), "--rootdir", str(pytester.path))
    assert code == 2
    assert (
        f"`{sys.executable} -m pytest --collect-only -q` in {pytester.path} exited 2; fix the collection"
        in out
    )
    assert "SyntaxError" in out or "invalid syntax" in out


# ------------------------------------------------------------------ --fix-secrets and content-length


def test_fix_secrets_updates_content_length(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Replacing a key inside a body changes its length: --fix-secrets moves that body's
    content-length with it (YAML in place, quoting kept; vcrpy's JSON too), and leaves the others."""
    key = make_key()
    answer = json.dumps({**MESSAGE, "content": [{"type": "text", "text": f"the key is {key}"}]})
    clean = json.dumps(MESSAGE)
    length = {"content-length": [str(len(answer))]}
    leaky = {"request": request(), "response": response(answer, headers=length)}
    untouched = {"request": request(), "response": response(clean, headers={"content-length": ["7"]})}
    for path in (tmp_path / "c.yaml", tmp_path / "c.json"):
        cassette = {"interactions": [leaky, untouched], "version": 1}
        if path.suffix == ".json":
            path.write_text(vcr.serializers.jsonserializer.serialize(cassette))
        else:
            write_yaml(path, leaky, untouched)
        assert run(capsys, "--fix-secrets", str(path))[0] == 0
        text = path.read_text()
        assert key not in text
        data = (json.loads if path.suffix == ".json" else yaml.safe_load)(text)
        fixed, other = data["interactions"]
        body = fixed["response"]["body"]["string"]
        assert REDACTED in body
        assert fixed["response"]["headers"]["content-length"] == [str(len(body.encode()))]
        assert len(body) != len(answer)
        assert other["response"]["headers"]["content-length"] == ["7"]  # its body did not change
        if path.suffix == ".yaml":
            assert f"  - '{len(body.encode())}'\n" in text  # quoted as PyYAML wrote it
        _, responses = vcr.serialize.deserialize(
            text, vcr.serializers.jsonserializer if path.suffix == ".json" else vcr.serializers.yamlserializer
        )
        assert responses[0]["headers"]["content-length"] == [str(len(responses[0]["body"]["string"]))]


# ------------------------------------------------------------------ the secret scan's shortcuts


def test_keys_in_headers_of_every_shape_are_found(tmp_path: Path) -> None:
    """A key in any header value is found, whatever the value's shape (one string, several, a bare
    string, bytes), each reported under its header's own name."""
    key = make_key()
    headers = {
        "X-Trace": [f"trace {key}"],
        "x-several": ["first", f"{key}"],
        "x-bare": key,
        "x-bytes": [key.encode()],
        "x-none": [None, key],
        "x-number": [12345],
        "x-api-key": [REDACTED],
    }
    path = write_yaml(
        tmp_path / "headers.yaml", {"request": request(headers=headers), "response": response()}
    )
    (file,) = lint_paths([path]).files
    secrets = [f.message for f in file.findings if f.rule == SECRET_RULE.id]
    assert secrets == [
        f"request header `{name}` holds a credential ({key[:10]}...)"
        for name in ("X-Trace", "x-bare", "x-bytes", "x-none", "x-several")  # as stored: sorted
    ]


def test_the_secret_scan_searches_one_by_one_only_what_may_hold_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Headers are searched one by one only when some value may hold a key (credential headers
    always are), and the text's lines one by one only when they hold the prefix; what holds a key is
    still found. (Bodies go to `secret_search`, whose own fast path tests/test_secret_search.py
    times.)"""
    searched: list[str] = []
    keys, literal_keys = _lint._keys, _lint._literal_keys

    def counting_keys(text: str, where: str, position: int | None, line: int | None) -> Any:
        searched.append(where)
        return keys(text, where, position, line)

    def counting_literal_keys(text: str, where: str, position: int | None, line: int | None) -> Any:
        searched.append(where)
        return literal_keys(text, where, position, line)

    monkeypatch.setattr(_lint, "_keys", counting_keys)
    monkeypatch.setattr(_lint, "_literal_keys", counting_literal_keys)
    clean = write_yaml(tmp_path / "clean.yaml", {"request": request(), "response": response()})
    assert lint_paths([clean]).exit_code == 0
    assert searched == ["request header `x-api-key`", "request URL"]

    key = make_key()
    answer = json.dumps({**MESSAGE, "content": [{"type": "text", "text": f"the key is {key}"}]})
    leaky = write_yaml(
        tmp_path / "leaky.yaml",
        {"request": request(headers={"x-trace": [f"t {key}"]}), "response": response(answer)},
    )
    searched.clear()
    (file,) = lint_paths([leaky]).files
    # Then the lines of the text that hold the prefix (`line N`), for keys outside the interactions.
    assert [where for where in searched if not where.startswith("line ")] == [
        "request header `Content-Type`",
        "request header `anthropic-version`",
        "request header `user-agent`",
        "request header `x-api-key`",
        "request header `x-trace`",
        "request URL",
    ]
    rows = leaky.read_text().splitlines()
    holding = [f"line {n}" for n, row in enumerate(rows, 1) if "sk-ant-" in row]
    assert [where for where in searched if where.startswith("line ")] == holding
    assert 0 < len(holding) < len(rows)
    assert [f.message for f in file.findings if f.rule == SECRET_RULE.id] == [
        f"request header `x-trace` holds a credential ({key[:10]}...)",
        f"response body holds a credential ({key[:10]}...)",
    ]


def test_a_key_in_a_url_without_a_query_is_still_found(tmp_path: Path) -> None:
    """A URL with no "?" has no query parameters to read, but a key anywhere in it is found."""
    key = make_key()
    path = write_yaml(
        tmp_path / "url.yaml",
        {"request": request(uri=f"https://api.anthropic.com/v1/messages#{key}"), "response": response()},
    )
    (file,) = lint_paths([path]).files
    assert [f.message for f in file.findings if f.rule == SECRET_RULE.id] == [
        f"request URL holds a credential ({key[:10]}...)"
    ]


def test_keys_outside_the_interactions_are_found_on_their_line(tmp_path: Path) -> None:
    """Lines are searched one by one only once the text holds the key prefix; a key in a comment or
    another field is reported with its line, a key-shaped placeholder is not, and a key already found
    in an interaction is not reported again."""
    key, other = make_key(), make_key().replace("Zq9", "Yp8")
    path = write_yaml(
        tmp_path / "comments.yaml", {"request": request(headers={"x-api-key": [key]}), "response": response()}
    )
    text = path.read_text()
    path.write_text(
        f"# recorded with {other}\n# placeholder sk-ant-api03-XXXXXXXXXXXXXXXX\n# again {key}\n" + text
    )
    (file,) = lint_paths([path]).files
    found = [(f.message, f.line) for f in file.findings if f.rule == SECRET_RULE.id]
    assert found == [
        (f"line 1 holds a credential ({other[:10]}...)", 1),
        (f"request header `x-api-key` holds a credential ({key[:10]}...)", 5),  # the interaction's line
    ]


# ------------------------------------------------------------------ brotli


def br_cassette(path: Path, key: str) -> Path:
    import brotli

    answer = json.dumps({**MESSAGE, "content": [{"type": "text", "text": f"the key is {key}"}]}).encode()
    compressed = brotli.compress(answer)
    headers = {"Content-Encoding": ["br"], "Content-Length": [str(len(compressed))]}
    return write_yaml(path, {"request": request(), "response": response(compressed, headers=headers)})


def test_brotli_bodies_found_in_the_wild_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A body stored br-compressed (`!!binary`, content-encoding: br kept) is decoded: the key inside
    is found, the contract checks read the JSON, and load plays it decoded with its own length."""
    key = make_key()
    path = br_cassette(tmp_path / "br.yaml", key)
    assert "!!binary" in path.read_text()
    code, out = run(capsys, str(path))
    assert code == 1
    assert f"response body (content-encoding br) holds a credential ({key[:10]}...)" in out
    assert "body-not-decodable" not in out
    assert "response-schema" not in out
    (interaction,) = load_cassette(path) or []
    body = interaction.response["body"]["string"]
    assert json.loads(body)["type"] == "message"
    assert "Content-Encoding" not in interaction.response["headers"]
    assert interaction.response["headers"]["Content-Length"] == [str(len(body))]


def test_brotli_bodies_without_brotli_installed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the brotli package the body cannot be read: lint says so, with the fix, and does not
    crash or judge the undecoded bytes as a bad body."""
    # Another key than the test above's: load_cassette keeps what it parsed by content, for the session.
    path = br_cassette(tmp_path / "br.yaml", make_key().replace("Zq9", "Qz8"))
    monkeypatch.setitem(sys.modules, "brotli", None)  # `import brotli` now raises ImportError
    code, out = run(capsys, str(path))
    assert code == 1
    assert (
        "FAIL          [body-not-decodable] the response body is `content-encoding: br` and the brotli "
        "package is not installed: it was not decoded, so neither secrets nor the contract were checked in it"
    ) in out
    assert "fix: `pip install brotli`, then lint again." in out
    assert "response-schema" not in out
    (interaction,) = load_cassette(path) or []
    assert interaction.response["headers"]["Content-Encoding"] == ["br"]  # kept: the bytes are still br


# ------------------------------------------------------------------ cassetter's TOML

CASSETTER_TOML = """\
version = 1

[[interactions]]
recorded_at = "2026-02-01T00:00:00Z"

[interactions.request]
method = "POST"
uri = "https://api.anthropic.com/v1/messages"
body_type = "json"
body_content = '{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}'

[interactions.request.headers]
anthropic-version = ["2023-06-01"]
content-type = ["application/json"]
user-agent = ["Anthropic/Python 0.125.0"]
x-api-key = ["KEY"]

[interactions.response]
status = 200
body_type = "json"
body_content = 'MESSAGE'

[interactions.response.headers]
anthropic-organization-id = ["d3b07384-d9a0-4c5b-9f3e-3c3d3a1a8f00"]
content-type = ["application/json"]
request-id = ["req_011CSHoEeqs5C35K2UUqR7Fy"]

[[interactions]]

[interactions.request]
method = "GET"
uri = "https://example.com/blob"
body_type = "none"

[interactions.response]
status = 200
body_type = "binary"
body_content = "deadbeef"
"""


def test_cassetter_toml_cassettes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """cassetter's TOML format (`body_type` and `body_content`: JSON as a JSON string, binary as hex):
    loaded like its YAML, linted (found by walking a folder too), secrets fixed; bad TOML exits 2
    naming the line."""
    key = make_key()
    path = tmp_path / "cassetter.toml"
    path.write_text(CASSETTER_TOML.replace("KEY", key).replace("MESSAGE", json.dumps(MESSAGE)))
    interactions = load_cassette(path)
    assert interactions is not None
    assert interactions[0].request.json["messages"][0]["content"] == "Hi"
    assert interactions[0].response["body"]["string"] == json.dumps(MESSAGE).encode()
    assert interactions[0].recorded_at == "2026-02-01T00:00:00Z"
    assert interactions[1].response["body"]["string"] == bytes.fromhex("deadbeef")

    code, out = run(capsys, str(tmp_path))
    assert code == 1
    assert f"{path}: 2 interactions, 1 with a Claude host" in out
    assert f"request header `x-api-key` holds a credential ({key[:10]}...)" in out
    assert run(capsys, "--fix-secrets", str(path))[0] == 0
    assert key not in path.read_text()
    assert f'x-api-key = ["{REDACTED}"]' in path.read_text()

    path.write_text(CASSETTER_TOML.replace("status = 200\n", "status = = 200\n", 1))
    code, out = run(capsys, str(path))
    assert code == 2
    assert re.search(rf"{re.escape(str(path))}:19: is not valid TOML: ", out), out


def test_openai_shaped_errors_pass_only_on_the_openai_compatible_endpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The OpenAI-compatible endpoint's clients expect OpenAI's error body: accepted there, while the
    same body from /v1/messages is error-shape."""
    openai_error = json.dumps(
        {"error": {"message": "rate limited", "type": "rate_limit_error", "param": None}}
    )
    chat = request(
        uri="https://api.anthropic.com/v1/chat/completions",
        headers={"anthropic-version": None, "x-api-key": None, "authorization": [f"Bearer {REDACTED}"]},
        body='{"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "Hi"}]}',
    )
    # What that endpoint sends: `x-request-id`, no organization (observed).
    limited = response(openai_error, status=429)
    limited["headers"] = {
        "Content-Type": ["application/json"],
        "x-request-id": ["req_011CSHoEeqs5C35K2UUqR7Fy"],
        "retry-after": ["1"],
    }
    code, out = run(capsys, str(write_yaml(tmp_path / "chat.yaml", {"request": chat, "response": limited})))
    assert code == 0, out
    code, out = run(
        capsys, str(write_yaml(tmp_path / "messages.yaml", {"request": request(), "response": limited}))
    )
    assert code == 1
    assert "[error-shape]" in out


# ------------------------------------------------------------------ model lifecycle


def model_request(model: str) -> dict[str, Any]:
    return request(
        body=json.dumps({"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]})
    )


def test_a_deprecated_model_is_a_warning_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_yaml(
        tmp_path / "deprecated.yaml",
        {
            "request": model_request("claude-opus-4-5"),
            "response": response(),
            "recorded_at": "2026-12-01T09:00:00Z",
        },
    )
    result = lint_paths([path], today=date(2026, 12, 7))
    (file,) = result.files
    assert file.violations == []
    assert [(f.rule, f.level) for f in file.warnings] == [("model-deprecated", "warning")]
    assert file.warnings[0].message == (
        "the request names model 'claude-opus-4-5', deprecated: it retires on 2027-01-22 (judged on "
        "2026-12-07); use 'claude-opus-4-8' instead; recorded 2026-12-01 when it was deprecated"
    )
    assert result.exit_code == 0
    text = _lint.text_report(result)
    assert "    WARN          [model-deprecated] the request names model 'claude-opus-4-5'" in text
    assert "0 violations in 0 files, 0 not recorded, 0 unreadable, 1 warning (not failing)" in text
    github = _lint.github_report(result)
    assert "::warning file=" in github
    assert "title=model-deprecated::" in github
    # The same cassette judged after the retirement date: a failure.
    later = lint_paths([path], today=date(2027, 1, 22))
    assert [f.rule for f in later.files[0].violations] == ["model-retired"]
    assert later.exit_code == 1


def test_a_retired_model_names_its_status_on_the_recording_date(tmp_path: Path) -> None:
    """recorded_at first; without it, the response's Date header."""
    date_header = {"date": ["Thu, 01 Oct 2026 10:00:00 GMT"]}
    path = write_yaml(
        tmp_path / "retired.yaml",
        {
            "request": model_request("claude-sonnet-4-5"),
            "response": response(),
            "recorded_at": "2026-08-01T00:00:00Z",
        },
        {"request": model_request("claude-sonnet-4-5"), "response": response(headers=date_header)},
        {"request": model_request("claude-sonnet-4-5"), "response": response()},
        {"request": model_request("claude-sonnet-4-6"), "response": response()},
    )
    result = lint_paths([path], today=date(2026, 12, 7))
    messages = [f.message for f in result.files[0].violations]
    prefix = (
        "the request names model 'claude-sonnet-4-5', retired on 2026-11-30 (judged on 2026-12-07): the API "
        "refuses it; use 'claude-sonnet-4-6' instead"
    )
    assert messages == [
        prefix + "; recorded 2026-08-01 when it was active",
        prefix + "; recorded 2026-10-01 when it was deprecated",
        prefix,  # no date to say when it was recorded
    ]
    assert result.exit_code == 1


def test_lint_judges_by_the_real_date_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without `today`, the CLI judges by today's date: a model retired in 2024 is retired now."""
    path = write_yaml(tmp_path / "old.yaml", {"request": model_request("claude-2.1"), "response": response()})
    code, out = run(capsys, str(path))
    assert code == 1
    assert f"(judged on {date.today()})" in out


def test_allow_leaves_a_rules_findings_out_and_says_how_many(capsys: pytest.CaptureFixture[str]) -> None:
    # An archive of old recordings: their models retired since, which lint reports as violations.
    code, out = run(capsys, str(LINT_REAL))
    assert code == 1
    assert "[model-retired]" in out
    code, out = run(capsys, "--allow", "model-retired", str(LINT_REAL))
    assert code == 0, out
    assert "[model-retired]" not in out
    assert ", 3 allowed (--allow)" in out
    code, out = run(capsys, "--allow", "model-retired,auth-missing", "--format", "json", str(LINT_REAL))
    assert json.loads(out)["summary"]["allowed"] > 3


@pytest.mark.parametrize(
    ("flag", "error"),
    [
        ("model-retierd", "--allow model-retierd: no such rule; `pytest-claude-contract rules` lists them"),
        ("secret-in-cassette", "--allow secret-in-cassette: a secret in a cassette cannot be allowed"),
    ],
)
def test_allow_refuses_unknown_rules_and_secrets(
    flag: str, error: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from pytest_claude_contract.cli import main

    assert main(["lint", "--allow", flag, str(tmp_path)]) == 2
    assert error in capsys.readouterr().err


def test_a_folder_with_no_cassette_checks_nothing_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.json").write_text('{"not": "a cassette"}', encoding="utf-8")
    code, out = run(capsys, str(tmp_path))
    assert code == 2
    assert "no Claude exchange found" in out
