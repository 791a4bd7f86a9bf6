"""Cassettes other tools wrote, read by the one reader (cassette/formats.py) for lint, diff and replay:

- aiohttp-era vcrpy YAML, whose header names are Python-tagged (`!!python/object/apply:multidict.
  _multidict.istr`): read without running code, the tagged values as plain strings;
- the Datadog test agent's JSON cassettes (dd-apm-test-agent's VCR proxy, `ddapm_test_agent/
  vcr_proxy.py`): one interaction per file, header values as strings, binary bodies as `base64:...`.

The files in tests/data/formats were written for these tests (see the README there), shaped like the
ones those tools write.
"""

from __future__ import annotations

import json
import re
import shutil
import tracemalloc
from typing import TYPE_CHECKING

import httpx
import pytest

from pytest_claude_contract.capture.server import ContractServer
from pytest_claude_contract.cassette import formats
from pytest_claude_contract.cassette.formats import read_cassette_document
from pytest_claude_contract.cassette.model import CassetteError
from pytest_claude_contract.cassette.store import load_cassette
from pytest_claude_contract.cli import main

if TYPE_CHECKING:
    from pathlib import Path

from pathlib import Path as _Path

from helpers import server_recorder

DATA = _Path(__file__).parent / "data" / "formats"
TAGGED = DATA / "aiohttp_python_tags.yaml"
DATADOG = DATA / "datadog"
DATADOG_MESSAGE = DATADOG / "anthropic_v1_messages_post_3f2a9c1e.json"
DATADOG_FILE = DATADOG / "anthropic_v1_files_file_011CNha8iCJcU1wXNR6q4V8w_content_get_7b01d2e4.json"
NOTE = (
    "note: valid YAML with a Python tag (`!!python/object/apply:multidict._multidict.istr`, line 6): "
    "read without running code, the tagged values as plain strings"
)
DATADOG_NOTE = (
    "note: read as the Datadog test agent's JSON cassette (dd-apm-test-agent's VCR proxy: one interaction)"
)


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["lint", *args])
    return code, capsys.readouterr().out


# ------------------------------------------------------------------ Python-tagged YAML


def test_python_tagged_header_names_are_read_as_strings() -> None:
    document = read_cassette_document(TAGGED)
    assert document is not None
    assert document.python_tag == ("!!python/object/apply:multidict._multidict.istr", 6)
    headers = document.data["interactions"][0]["request"]["headers"]
    assert list(headers) == [
        "Accept",
        "Accept-Encoding",
        "Content-Length",
        "Content-Type",
        "User-Agent",
        "anthropic-version",
    ]
    assert all(type(name) is str for name in headers)
    (interaction,) = load_cassette(TAGGED) or []
    assert interaction.request.headers["content-type"] == "application/json"
    assert interaction.request.json["messages"][0]["content"] == "What is a system?"


def test_lint_reads_python_tagged_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = lint(capsys, str(TAGGED))
    assert code == 0, out
    assert f"{TAGGED}: 1 interactions, 1 with a Claude host\n  {NOTE}\n" in out
    assert "not valid YAML" not in out
    # The tagged names were read: content-type and the user-agent were found, nothing else is missing.
    assert [line.split("]")[0] for line in out.splitlines() if "[" in line and "  not recorded" in line] == [
        "    not recorded  [auth-missing"
    ]
    code, out = lint(capsys, "--format", "json", str(TAGGED))
    assert json.loads(out)["files"][0]["notes"] == [{"note": NOTE.removeprefix("note: "), "line": 6}]


def test_a_python_tag_runs_no_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A tag that a full YAML loader would call (`os.system`) is read as its arguments' text."""
    marker = tmp_path / "ran"
    text = TAGGED.read_text(encoding="utf-8").replace(
        "      anthropic-version:\n",
        f"      ? !!python/object/apply:os.system ['touch {marker}']\n      : - x\n      anthropic-version:\n",
    )
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    document = read_cassette_document(path)
    assert document is not None
    assert f"touch {marker}" in document.data["interactions"][0]["request"]["headers"]
    assert lint(capsys, str(path))[0] == 0
    assert not marker.exists()


def test_the_alias_guard_holds_for_python_tagged_yaml(tmp_path: Path) -> None:
    rows = ['a0: &a0 ["lol"]']
    rows += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)]
    path = tmp_path / "tagged-bomb.yaml"
    path.write_text(
        "\n".join(rows)
        + "\ninteractions:\n- request:\n    method: POST\n    uri: https://api.anthropic.com/v1/messages\n"
        "    headers: {? !!python/object/apply:multidict._multidict.istr [Accept] : [application/json]}\n"
        "    body: {type: json, content: *a9}\n"
        "  response:\n    status: {code: 200}\n    headers: {}\n    body: {string: ''}\n",
        encoding="utf-8",
    )
    tracemalloc.start()
    with pytest.raises(CassetteError, match=r"tagged-bomb\.yaml:1: holds YAML aliases that repeat"):
        read_cassette_document(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2_000_000, peak
    # A few aliases in a tagged file are read as usual.
    few = tmp_path / "tagged-alias.yaml"
    few.write_text(
        TAGGED.read_text(encoding="utf-8").replace("      - Accept\n", "      - &accept Accept\n", 1),
        encoding="utf-8",
    )
    assert load_cassette(few) is not None


def test_untagged_files_skip_the_python_tag_loader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python-tag loader is used only when the text holds something like a tag; a file that
    only mentions one in a string is not said to hold one."""

    class Refused(formats._PythonTagLoader):
        def __init__(self, text: str) -> None:
            raise AssertionError("the Python-tag loader was used")

    untagged = re.sub(
        r"\? !!python/object/(?:apply|new):multidict\._multidict\.istr\n      - (\S+)\n      : - ",
        r"\1:\n      - ",
        TAGGED.read_text(encoding="utf-8"),
    )
    assert "python/" not in untagged
    plain = tmp_path / "plain.yaml"
    plain.write_text(untagged, encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(formats, "_PythonTagLoader", Refused)
        document = read_cassette_document(plain)
        assert document is not None
        assert read_cassette_document(DATADOG_MESSAGE) is not None
    assert document.python_tag is None
    assert document.data == read_cassette_document(TAGGED).data  # type: ignore[union-attr]

    mentioned = tmp_path / "mentioned.yaml"
    mentioned.write_text(untagged.replace("What is a\n      system?", "What is !!python/name:os.system?"))
    document = read_cassette_document(mentioned)
    assert document is not None
    assert document.python_tag is None
    assert "!!python/name:os.system" in document.data["interactions"][0]["request"]["body"]


def test_replay_of_a_python_tagged_cassette(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "1")  # record mode none
    folder = pytester.path / "cassettes" / "test_tagged"
    folder.mkdir(parents=True)
    shutil.copy(TAGGED, folder / "aiohttp.yaml")
    pytester.makepyfile(
        test_tagged="""
import json
import os

import httpx
import pytest


@pytest.mark.claude_contract(cassette="aiohttp")
def test_replayed():
    body = {"max_tokens": 64, "messages": [{"role": "user", "content": "What is a system?"}],
            "model": "claude-sonnet-4-6"}
    headers = {"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"}
    answer = httpx.post("https://api.anthropic.com/v1/messages", headers=headers, json=body)
    assert answer.json()["content"][0]["text"] == "A system is a set of parts that work together."
"""
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["exchanges checked: 1 (1 replayed, 0 live)", "violations: 0"])


# ------------------------------------------------------------------ the Datadog test agent's JSON


def test_datadog_cassettes_are_read() -> None:
    (message,) = load_cassette(DATADOG_MESSAGE) or []
    assert message.request.method == "POST"
    assert message.request.url == "https://api.anthropic.com/v1/messages"
    assert message.request.headers["anthropic-version"] == "2023-06-01"
    assert message.response["status"] == {"code": 200, "message": "OK"}
    # The agent stored the body decoded (requests undid the gzip) and kept the header: played decoded.
    assert json.loads(message.response["body"]["string"])["content"][0]["text"] == "Hello!"
    assert "Content-Encoding" not in message.response["headers"]
    (download,) = load_cassette(DATADOG_FILE) or []
    assert download.response["body"]["string"].startswith(b"\x89PNG\r\n\x1a\n")  # from `base64:...`


def test_lint_and_diff_read_datadog_cassettes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = lint(capsys, str(DATADOG))
    assert code == 0, out
    assert f"{DATADOG_MESSAGE}: 1 interactions, 1 with a Claude host\n  {DATADOG_NOTE}\n" in out
    assert "#1 GET https://api.anthropic.com/v1/files/file_011CNha8iCJcU1wXNR6q4V8w/content (line 1)" in out
    assert "2 cassettes (2 interactions, 2 with a Claude host): 0 violations" in out

    changed = json.loads(DATADOG_MESSAGE.read_text(encoding="utf-8"))
    answer = json.loads(changed["response"]["body"])
    answer["stop_reason"] = "max_tokens"
    changed["response"]["body"] = json.dumps(answer)
    new = tmp_path / "anthropic_v1_messages_post_3f2a9c1e.json"
    new.write_text(json.dumps(changed, indent=2), encoding="utf-8")
    assert main(["diff", str(DATADOG_MESSAGE), str(DATADOG_MESSAGE)]) == 0
    assert "No change in the API's answers (1 exchanges)." in capsys.readouterr().out
    assert main(["diff", str(DATADOG_MESSAGE), str(new)]) == 1
    assert "~ changed value   body: stop_reason: 'end_turn' -> 'max_tokens'" in capsys.readouterr().out


def test_a_broken_datadog_body_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(DATADOG_FILE.read_text(encoding="utf-8"))
    data["response"]["body"] = "base64:not base64!"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out = lint(capsys, str(path))
    assert code == 2
    assert f"{path}:1: response.body is `base64:` but not base64" in out


def test_replay_of_a_datadog_cassette(tmp_path: Path) -> None:
    """Through the contract server (`serve`), with httpx: the recorded answers come back, checked."""
    for source in (DATADOG_MESSAGE, DATADOG_FILE):
        recorder = server_recorder(source, "none")
        with ContractServer(recorder) as server, httpx.Client(base_url=server.url) as client:
            if source is DATADOG_MESSAGE:
                body = {
                    "max_tokens": 64,
                    "messages": [{"role": "user", "content": "Hi"}],
                    "model": "claude-sonnet-4-6",
                }
                headers = {"x-api-key": "redacted-by-claude-contract", "anthropic-version": "2023-06-01"}
                answer = client.post("/v1/messages", headers=headers, json=body)
                assert answer.json()["content"][0]["text"] == "Hello!"
            else:
                headers = {
                    "x-api-key": "redacted-by-claude-contract",
                    "anthropic-version": "2023-06-01",
                    "anthropic-beta": "files-api-2025-04-14",
                }
                answer = client.get("/v1/files/file_011CNha8iCJcU1wXNR6q4V8w/content", headers=headers)
                assert answer.content.startswith(b"\x89PNG")
        assert answer.status_code == 200
        assert recorder.violations == []
        assert recorder.play_count == 1


def test_migrate_reads_both_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`migrate` reads them with the same reader, says what they are, and writes copies that hold
    the same traffic in the plugin's form."""
    shutil.copy(TAGGED, tmp_path / "aiohttp_python_tags.yaml")
    shutil.copytree(DATADOG, tmp_path / "datadog")
    target = tmp_path / "ours"
    code = main(
        ["migrate", "--brief", "--write", "--to", str(target), "--rootdir", str(tmp_path), str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "  vcrpy YAML, with Python tags (read as plain strings), 1 interaction" in out
    assert (
        out.count("  the Datadog test agent's JSON cassette (dd-apm-test-agent's VCR proxy: one interaction)")
        == 2
    )
    written = sorted(target.rglob("*.yaml"))
    assert [p.name for p in written] == [
        "aiohttp_python_tags.yaml",
        "anthropic_v1_files_file_011CNha8iCJcU1wXNR6q4V8w_content_get_7b01d2e4.yaml",
        "anthropic_v1_messages_post_3f2a9c1e.yaml",
    ]
    for copy, original in zip(written, (TAGGED, DATADOG_FILE, DATADOG_MESSAGE), strict=True):
        (before,) = load_cassette(original) or []
        (after,) = load_cassette(copy) or []
        assert after.key == before.key
        body = before.response["body"]["string"]
        if body.startswith(b"{"):  # JSON is written pretty-printed: the same value
            assert json.loads(after.response["body"]["string"]) == json.loads(body)
        else:
            assert after.response["body"]["string"] == body
        assert "python/" not in copy.read_text(encoding="utf-8")


def test_a_key_in_a_python_tag_is_cut_in_every_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The note "valid YAML with a Python tag" quotes the tag: in the GitHub format too, a key there is
    cut to its first characters."""
    key = "sk-ant-" + "api03-" + "Tag5" * 12 + "AA"
    text = TAGGED.read_text(encoding="utf-8").replace(
        "!!python/object/apply:multidict._multidict.istr", f"!!python/object/apply:{key}", 1
    )
    path = tmp_path / "tagged.yaml"
    path.write_text(text, encoding="utf-8")
    for form in ("text", "json", "github"):
        _, out = lint(capsys, "--format", form, str(path))
        assert key not in out, form
        assert "!!python/object/apply:sk-ant-api" in out, form
