"""The generated rules page cannot drift from the code, and the `pytest-claude-contract` command works."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pytest_claude_contract.cli import main, rules_table
from pytest_claude_contract.contract.docs import REGENERATE, example_violations, rules_markdown
from pytest_claude_contract.contract.rules import RULE_IDS, RULES, RULES_BY_ID
from pytest_claude_contract.plugin.options import CONTRACT_MODES, MARKER_KEYS, RECORD_MODES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def page() -> str:
    """The generated page (each generation checks a 32 MB example body, so build it once)."""
    return rules_markdown()


# ---------------------------------------------------------------- docs/rules.md


def test_rules_page_is_generated_from_the_code(page: str) -> None:
    written = (DOCS / "rules.md").read_text(encoding="utf-8")
    assert written == page, f"docs/rules.md is out of date; run `{REGENERATE}`"


def test_rules_page_has_a_section_and_a_table_row_per_rule(page: str) -> None:
    for rule in RULES:
        assert f"\n### {rule.id}\n" in page
        checks = f"{rule.side} (warning)" if rule.severity == "warning" else rule.side
        assert f"| [`{rule.id}`](#{rule.id}) | {checks} |" in page
        assert f"**How to fix:** {rule.hint}" in page


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_the_page_shows_the_message_the_checks_produce(page: str, rule_id: str) -> None:
    violations = example_violations(RULES_BY_ID[rule_id])
    assert rule_id in {v.rule for v in violations}
    for violation in violations:
        assert f"[{violation.rule}] {violation.message}\n  fix: {violation.hint}\n" in page


def test_the_oversized_example_is_a_note_not_32_mb_of_text(page: str) -> None:
    assert "[... padded with spaces to 32,000,001 bytes in all ...]" in page
    assert "the request body is 32,000,001 bytes" in page
    assert len(page) < 100_000


def test_reference_tables_come_from_the_contract(page: str) -> None:
    assert (
        "| Message Batches | POST | `/v1/messages/batches` | JSON | 256 MB | JSON | API key | yes | - |"
        in page
    )
    assert "| Files | POST | `/v1/files` | multipart/form-data | 500 MB | JSON | API key | yes | - |" in page
    assert (
        "| OpenAI SDK compatibility | POST | `/v1/chat/completions` | JSON | 32 MB | JSON | API key | no | - |"
        in page
    )
    assert "| `/v1/messages/batches/{id}/results` | none | 32 MB | JSON Lines | API key |" in page
    assert "| `/v1/agents` | JSON | 32 MB | JSON | API key | yes | `managed-agents-2026-04-01` |" in page
    assert "| `/v1/organizations/cost_report` | none | 32 MB | JSON | admin key | yes | - |" in page
    assert (
        "| `claude-sonnet-4-5` | retired | 2026-10-01 (assumed: the 60 days' notice) | 2026-11-30 |" in page
    )
    assert "| `2026-10-21` | current | `x-api-key`, `Authorization: Bearer` |" in page
    assert "| 529 | `overloaded_error` |" in page
    assert "| other 4xx | `invalid_request_error` |" in page


# ---------------------------------------------------------------- the docs site


def test_every_page_in_the_nav_exists() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = [next(iter(entry.values())) for entry in config["nav"]]
    assert pages[:5] == ["index.md", "quickstart.md", "configuration.md", "rules.md", "cassettes.md"]
    assert "lint.md" in pages
    for page in pages:
        assert (DOCS / page).is_file(), page


def test_configuration_page_names_every_option_and_marker_argument() -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    names = [
        "--claude-record-mode",
        "--claude-contract",
        "claude_record_mode",
        "claude_contract_autouse",
        "claude_cassette_dir",
        *(f"`{key}=`" for key in MARKER_KEYS),
        *(f"`{mode}`" for mode in (*RECORD_MODES, *CONTRACT_MODES)),
    ]
    missing = [name for name in names if name not in page]
    assert not missing, f"docs/configuration.md does not mention {missing}"


def test_docs_link_only_to_pages_that_exist() -> None:
    for page in DOCS.glob("*.md"):
        for target in re.findall(r"\]\(([a-z_-]+\.md)(?:#[a-z0-9-]+)?\)", page.read_text(encoding="utf-8")):
            assert (DOCS / target).is_file(), f"{page.name} links to {target}"


# ---------------------------------------------------------------- the command


def test_rules_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["RULE", "CHECKS", "WHAT", "IT", "CHECKS"]
    for rule in RULES:
        assert re.search(rf"^{re.escape(rule.id)} +{rule.side} +\S", out, re.MULTILINE), rule.id
    assert "pytest-claude-contract rules RULE_ID" in out
    assert re.search(
        r"^model-deprecated +request +\(warning: fails nothing\) The request names", out, re.MULTILINE
    )


def test_the_table_wraps_to_the_width() -> None:
    table = rules_table(width=80)
    assert max(len(line) for line in table.splitlines()) <= 80


def test_rules_with_an_id_prints_the_rule_in_full(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "error-status"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("error-status (response rule)\n")
    assert "How to fix: Retry logic keys on the status" in out
    assert "Source: Docs, Errors" in out
    assert "    POST /v1/messages HTTP/1.1\n    host: api.anthropic.com\n" in out
    assert "    HTTP/1.1 429 Too Many Requests\n" in out
    assert '    {"type": "error", "error": {"type": "api_error", "message": "Internal error"}}\n' in out
    assert "    [error-status] a 429 response carries error type 'api_error'" in out


def test_rules_markdown_prints_the_generated_page(page: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--markdown"]) == 0
    assert capsys.readouterr().out == page


def test_an_unknown_rule_id_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "auth-mising"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unknown rule id 'auth-mising' (did you mean 'auth-missing'?)" in captured.err
    assert "valid ids: " + ", ".join(RULE_IDS) in captured.err


def test_markdown_of_one_rule_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "auth-missing", "--markdown"]) == 2
    assert "--markdown prints the whole rules page" in capsys.readouterr().err


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: pytest-claude-contract" in capsys.readouterr().err


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("pytest-claude-contract 0.")
    assert main(["rules", "--help"]) == 0
    assert "RULE_ID" in capsys.readouterr().out


def test_python_dash_m_runs_the_command_without_importing_pydantic() -> None:
    code = (
        "import sys, runpy; sys.argv = ['pytest_claude_contract', 'rules']\n"
        "try:\n"
        "    runpy.run_module('pytest_claude_contract', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "assert 'pydantic' not in sys.modules, 'the rule table must not import pydantic'\n"
    )
    light = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert light.returncode == 0, light.stderr
    assert "auth-missing" in light.stdout
    run = subprocess.run(
        [sys.executable, "-m", "pytest_claude_contract", "rules"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == light.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "pytest_claude_contract", "rules", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "valid ids: auth-missing" in bad.stderr
