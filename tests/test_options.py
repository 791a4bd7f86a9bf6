"""Options, ini settings, marker arguments and the config fixture: each bad value is a clear error that
names the valid ones, and each good one changes what the plugin does, in a real pytest session."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

# Imported before any pytester run (see test_record_replay.py): in-process runs restore sys.modules.
import httpx  # noqa: F401
import pytest
import yaml  # noqa: F401

import pytest_claude_contract.capture.core  # noqa: F401
from pytest_claude_contract.contract.rules import RULE_IDS

if TYPE_CHECKING:
    from fake_api import FakeClaudeAPI

MODEL = "claude-sonnet-4-6"
RECORD_MODES = "none, once, new_episodes, all, rewrite, verify"
CONTRACT_MODES = "strict, warn, off"
MARKER_KEYS = "cassette, record_mode, allow, api_versions, auth, hosts, allowed_hosts, profiles, upstream, max_age, on_expiry, match_on"
PROFILES = "2023-01-01, 2023-06-01, 2026-10-21"


def literal(text: str) -> str:
    """`text` as an fnmatch pattern that matches it literally, except for `*` (messages hold `[`)."""
    return text.replace("[", "[[]")


# A raw httpx client, so each test chooses exactly what is sent; VERSION=absent sends no version.
PRELUDE = f"""
import os
from pathlib import Path

import httpx
import pytest

URL = os.environ.get("FAKE_API_URL", "http://127.0.0.1:9")


def ask(version="2023-06-01"):
    headers = {{"x-api-key": os.environ["ANTHROPIC_API_KEY"], "content-type": "application/json"}}
    if version is not None:
        headers["anthropic-version"] = version
    body = {{"model": {MODEL!r}, "max_tokens": 16, "messages": [{{"role": "user", "content": "hi"}}]}}
    response = httpx.post(f"{{URL}}/v1/messages", headers=headers, json=body)
    assert response.status_code == 200
    return response
"""


def config_conftest(host: str, **extra: object) -> str:
    """A conftest whose `claude_contract_config` points `hosts` at the stand-in, plus `extra`."""
    return (
        "import pytest\n\n\n@pytest.fixture(scope='module')\ndef claude_contract_config():\n"
        f"    return {{'hosts': [{host!r}], **{extra!r}}}\n"
    )


# ---------------------------------------------------------------- session options


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (
            ["--claude-record-mode=bogus"],
            "",
            f"--claude-record-mode='bogus' is not valid; use one of: {RECORD_MODES}",
        ),
        (
            ["--claude-contract=bogus"],
            "",
            f"--claude-contract='bogus' is not valid; use one of: {CONTRACT_MODES}",
        ),
        (
            [],
            "claude_record_mode = bogus",
            f"ini option claude_record_mode='bogus' is not valid; use one of: {RECORD_MODES}",
        ),
        (
            [],
            "claude_contract = bogus",
            f"ini option claude_contract='bogus' is not valid; use one of: {CONTRACT_MODES}",
        ),
        (  # the command line is read first: its bad value is reported even when the ini's is good
            ["--claude-record-mode=bogus"],
            "claude_record_mode = none",
            f"--claude-record-mode='bogus' is not valid; use one of: {RECORD_MODES}",
        ),
    ],
    ids=["cli-record-mode", "cli-contract", "ini-record-mode", "ini-contract", "cli-over-ini"],
)
def test_bad_option_value_is_a_usage_error(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    """A bad --claude-record-mode / --claude-contract (or ini twin) ends the session before any test runs,
    with a usage error that names the valid values."""
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_any="from pathlib import Path\n\ndef test_it():\n    Path('ran').touch()\n")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert not (pytester.path / "ran").exists()


def test_report_header_shows_the_resolved_options(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The header line shows the options in force: defaults (record mode once, or none under CI), ini
    values, and command-line values over ini ones."""
    pytester.makepyfile(test_any="def test_it():\n    pass\n")
    root = pytester.path
    default = pytester.runpytest()
    default.stdout.fnmatch_lines(
        [f"claude contract: checks=strict, record mode=once, cassettes={root}/cassettes, profiles={PROFILES}"]
    )

    monkeypatch.setenv("CI", "1")
    pytester.runpytest().stdout.fnmatch_lines(["claude contract: checks=strict, record mode=none, *"])

    pytester.makeini(
        "[pytest]\nclaude_record_mode = new_episodes\nclaude_contract = warn\n"
        "claude_contract_autouse = true\nclaude_cassette_dir = recorded\n"
    )
    pytester.runpytest().stdout.fnmatch_lines(
        [
            "claude contract: checks=warn, record mode=new_episodes, "
            f"cassettes={root}/recorded, profiles={PROFILES}, autouse"
        ]
    )
    over = pytester.runpytest("--claude-record-mode=all", "--claude-contract=off")
    over.stdout.fnmatch_lines(["claude contract: checks=off, record mode=all, *, autouse"])


@pytest.mark.usefixtures("api_key")
def test_ini_twins_change_behaviour(suite: pytest.Pytester, api: FakeClaudeAPI) -> None:
    """ini `claude_contract = warn` turns a failing violation into a summary line; ini
    `claude_record_mode = none` refuses to record; the command line overrides both."""
    suite.makepyfile(
        test_ini=PRELUDE
        + """

@pytest.mark.claude_contract
def test_no_version():
    ask(version=None)
"""
    )
    suite.makeini("[pytest]\nclaude_contract = warn\n")
    warned = suite.runpytest()
    warned.assert_outcomes(passed=1)
    warned.stdout.fnmatch_lines(
        ["violations (warn mode):", "  test_ini.py::test_no_version: *version-missing*"]
    )
    suite.runpytest("--claude-contract=strict", "--claude-record-mode=rewrite").assert_outcomes(failed=1)

    suite.makeini("[pytest]\nclaude_record_mode = none\n")
    shutil.rmtree(suite.path / "cassettes")
    refused = suite.runpytest()
    refused.assert_outcomes(failed=1)
    refused.stdout.fnmatch_lines(["*the cassette does not exist (record mode 'none' does not record)"])
    assert len(api.requests) == 2  # the warn run and the strict rewrite run; none sent nothing


# ---------------------------------------------------------------- marker arguments


BAD_MARKERS = [
    ('casette="x"', f": unknown argument(s) casette; valid ones are: {MARKER_KEYS}"),
    (
        'allow=["version-missing", "no-such-rule"]',
        ": allow=['version-missing', 'no-such-rule'] names unknown rule id(s) no-such-rule; "
        f"rule ids are: {', '.join(RULE_IDS)}",
    ),
    ('allow="version-missing"', ": allow= takes a list of strings, e.g. allow=[...], not 'version-missing'"),
    ('auth=["basic"]', ": auth=['basic']; use a non-empty list of: x-api-key, bearer, api-key, sigv4"),
    ("auth=[]", ": auth=[]; use a non-empty list of: x-api-key, bearer, api-key, sigv4"),
    ('"strict"', " takes keyword arguments only, got ('strict',)"),
    (
        'hosts=["https://api.anthropic.com/v1"]',
        ": hosts=['https://api.anthropic.com/v1']; use a non-empty list of host names, *(no scheme, no path)",
    ),
    (
        'hosts="api.anthropic.com"',
        ": hosts= takes a list of strings, e.g. hosts=[...], not 'api.anthropic.com'",
    ),
    (
        'cassette="../x"',
        ": cassette='../x' must be a name in the cassette folder or a path relative to the rootdir that stays inside it (not absolute, no '..' out of it), e.g. 'tests/cassettes/test_x.yaml'",
    ),
    (
        'cassette="/tmp/x"',
        ": cassette='/tmp/x' must be a name in the cassette folder or a path relative to the rootdir that stays inside it (not absolute, no '..' out of it), e.g. 'tests/cassettes/test_x.yaml'",
    ),
    ("cassette=3", ": cassette=3; give a cassette name, True (the test's own) or False (check only)"),
    ('record_mode="sometimes"', f": record_mode='sometimes'; use one of: {RECORD_MODES}"),
    ('api_versions=["latest"]', ": api_versions=['latest']; use a non-empty list of dates like '2023-06-01'"),
    (
        'profiles=["2027-01-01"]',
        ": profiles= must map an anthropic-version to a Profile or a dict of its fields",
    ),
]


@pytest.mark.parametrize(("arguments", "message"), BAD_MARKERS, ids=[a for a, _ in BAD_MARKERS])
def test_bad_marker_argument_is_a_usage_error_at_collection(
    pytester: pytest.Pytester, arguments: str, message: str
) -> None:
    """A bad marker argument stops the session at collection (no test runs, not even good ones) with a
    usage error naming the test, the argument and the valid values."""
    pytester.makepyfile(
        test_bad=f"""
from pathlib import Path
import pytest

def test_good():
    Path("ran").touch()

class TestGroup:
    @pytest.mark.claude_contract({arguments})
    def test_it(self):
        Path("ran").touch()
"""
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [literal(f"ERROR: test_bad.py::TestGroup::test_it: @pytest.mark.claude_contract{message}")]
    )
    assert not (pytester.path / "ran").exists()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"record_mode": "sometimes"},
            f"claude_contract_config: record_mode='sometimes'; use one of: {RECORD_MODES}",
        ),
        (
            {"alow": ["version-missing"]},
            f"claude_contract_config: unknown argument(s) alow; valid ones are: {MARKER_KEYS}",
        ),
        (
            {"allow": ["no-such-rule"]},
            "claude_contract_config: allow=['no-such-rule'] names unknown rule id(s) no-such-rule; rule ids are: *",
        ),
    ],
    ids=["record-mode", "unknown-key", "unknown-rule"],
)
def test_bad_config_fixture_value_fails_the_test(
    pytester: pytest.Pytester, config: dict[str, object], message: str
) -> None:
    """A bad value in a conftest `claude_contract_config` fails each test that uses the plugin with a
    clear message (no chained traceback); tests that do not use it still run."""
    pytester.makeconftest(config_conftest("127.0.0.1:9", **config))
    pytester.makepyfile(
        test_cfg="""
import pytest

@pytest.mark.claude_contract
def test_marked():
    pass

def test_plain():
    pass
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*_ ERROR at setup of test_marked _*", literal(message)])
    assert "direct cause" not in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_api_versions_and_profiles(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`api_versions` naming a version with no profile fails with the known ones and the fix;
    `profiles={...}` adds a version, so a client sending it passes (it fails without); `api_versions`
    narrows the accepted versions; a bad profile field is a clear message."""
    suite.makepyfile(
        test_versions=PRELUDE
        + """

NEW = {"2027-01-01": {"status": "current", "notes": "a version from the future"}}


@pytest.mark.claude_contract(api_versions=["2027-01-01"])
def test_unknown_in_api_versions():
    pass


@pytest.mark.claude_contract(profiles=NEW)
def test_added_profile():
    ask(version="2027-01-01")


@pytest.mark.claude_contract(profiles=NEW, api_versions=["2027-01-01"])
def test_added_profile_only():
    ask(version="2027-01-01")


@pytest.mark.claude_contract
def test_without_profile():
    ask(version="2027-01-01")


@pytest.mark.claude_contract(api_versions=["2026-10-21"])
def test_narrowed():
    ask(version="2023-06-01")


@pytest.mark.claude_contract(profiles={"2027-01-01": {"auth": []}})
def test_bad_profile():
    pass
"""
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=2, failed=2, errors=2)
    output = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR at setup of test_unknown_in_api_versions _*",
            literal(
                "api_versions=['2027-01-01'] names version(s) with no profile: 2027-01-01; "
                f"known: {PROFILES}; add one with profiles={{...}}"
            ),
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR at setup of test_bad_profile _*",
            "profiles=: 1 validation error for Profile",
            "auth",
            "*a profile must accept at least one auth scheme*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["*_ test_without_profile _*", "*[[]version-unknown[]] `anthropic-version: 2027-01-01`*"]
    )
    result.stdout.fnmatch_lines(
        ["*_ test_narrowed _*", "*[[]version-unknown[]] `anthropic-version: 2023-06-01`*(known: 2026-10-21)*"]
    )
    for passing in ("test_added_profile", "test_added_profile_only"):
        assert f"_ {passing} _" not in output
    assert "direct cause" not in output


def test_autouse_ini_applies_the_plugin_to_unmarked_tests(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    """Without the ini option an unmarked test is left alone; with `claude_contract_autouse = true` it is
    checked (a violation fails it) and recorded like a marked one."""
    suite.makepyfile(
        test_auto=PRELUDE
        + """

def test_compliant():
    ask()


def test_no_version():
    ask(version=None)
"""
    )
    plain = suite.runpytest()
    plain.assert_outcomes(passed=2)
    assert "= claude contract =" not in plain.stdout.str()
    assert not (suite.path / "cassettes").exists()

    suite.makeini("[pytest]\nclaude_contract_autouse = true\n")
    auto = suite.runpytest()
    auto.assert_outcomes(passed=1, failed=1)
    auto.stdout.fnmatch_lines(["*_ test_no_version _*", "*[[]version-missing[]]*"])
    assert (suite.path / "cassettes" / "test_auto" / "test_compliant.yaml").is_file()
    assert not (suite.path / "cassettes" / "test_auto" / "test_no_version.yaml").exists()


def test_closest_marker_wins(suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str) -> None:
    """Markers on the module, the class and the function merge per argument, the closest one winning:
    the cassette name comes from the nearest marker that names one, and a function's `allow` replaces
    the module's."""
    suite.makepyfile(
        test_layers=PRELUDE
        + """

pytestmark = pytest.mark.claude_contract(cassette="from-module", allow=["version-missing"])


def test_module_level(claude_cassette):
    assert claude_cassette.path.name == "from-module.yaml"
    ask(version=None)  # allowed by the module's marker


@pytest.mark.claude_contract(cassette="from-class")
class TestGroup:
    def test_class_level(self, claude_cassette):
        assert claude_cassette.path.name == "from-class.yaml"
        ask(version=None)

    @pytest.mark.claude_contract(cassette="from-function")
    def test_function_level(self, claude_cassette):
        assert claude_cassette.path.name == "from-function.yaml"
        ask(version=None)

    @pytest.mark.claude_contract(allow=["auth-missing"])
    def test_allow_replaced(self, claude_cassette):
        assert claude_cassette.path.name == "from-class.yaml"
        ask(version=None)  # no longer allowed
"""
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*_ TestGroup.test_allow_replaced _*", "*[[]version-missing[]]*"])
    folder = suite.path / "cassettes" / "test_layers"
    assert sorted(p.name for p in folder.iterdir()) == [
        "from-class.yaml",
        "from-function.yaml",
        "from-module.yaml",
    ]


def test_config_fixture_sets_defaults_and_the_marker_overrides_them(
    pytester: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    """A conftest `claude_contract_config` applies to every marked test in scope (here: record mode
    none, so nothing is recorded) and a marker argument beats it (record_mode="once" records)."""
    pytester.makeconftest(config_conftest(api.host, record_mode="none"))
    pytester.makepyfile(
        test_cfg=PRELUDE
        + """

@pytest.mark.claude_contract
def test_from_config(claude_cassette):
    assert claude_cassette.record_mode == "none"
    ask()


@pytest.mark.claude_contract(record_mode="once")
def test_marker_wins(claude_cassette):
    assert claude_cassette.record_mode == "once"
    ask()
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*_ test_from_config _*", "*the cassette does not exist (record mode 'none'*"]
    )
    assert len(api.requests) == 1
    folder = pytester.path / "cassettes" / "test_cfg"
    assert sorted(p.name for p in folder.iterdir()) == ["test_marker_wins.yaml"]


def test_settings_reused_between_tests_only_for_the_same_arguments(pytester: pytest.Pytester) -> None:
    """The settings a test's arguments make are reused by later tests with the same arguments (each
    test would otherwise validate them and build a contract again): other config fixtures, other
    markers and the same values under other types each get their own, and a bad value still fails."""
    common = """
import pytest

@pytest.fixture
def claude_contract_config():
    return CONFIG

@pytest.mark.claude_contract(cassette=False)
def test_a(claude_contract):
    print(__name__, "a", claude_contract.record_mode, sorted(claude_contract.settings.allow))

@pytest.mark.claude_contract(cassette=False, allow=["version-missing"])
def test_b(claude_contract):
    print(__name__, "b", claude_contract.record_mode, sorted(claude_contract.settings.allow))
"""
    pytester.makepyfile(
        test_1=common.replace("CONFIG", '{"record_mode": "none"}'),
        test_2=common.replace("CONFIG", '{"record_mode": "once"}'),
        test_3=common.replace("CONFIG", '{"record_mode": "once", "allow": ["no-such-rule"]}'),
        test_4=common.replace("CONFIG", '{"record_mode": "once", "allow": ("version-missing",)}'),
    )
    result = pytester.runpytest("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6, errors=2)
    result.stdout.fnmatch_lines_random(
        [
            literal(line)
            for line in (
                "*test_1 a none []",
                "*test_1 b none ['version-missing']",
                "*test_2 a once []",
                "*test_2 b once ['version-missing']",
                "*test_4 a once ['version-missing']",
                "*test_4 b once ['version-missing']",
                "*claude_contract_config: allow=['no-such-rule'] names unknown rule id(s) no-such-rule*",
            )
        ]
    )


def test_the_recorder_is_requested_only_where_the_plugin_applies(pytester: pytest.Pytester) -> None:
    """Marked tests get `claude_contract` set up before their own function fixtures (where the autouse
    fixture stood); unmarked ones get no fixture of the plugin's at all; a parameter with its own
    marker gets it without its siblings getting it."""
    pytester.makepyfile(
        test_order="""
import pytest


@pytest.fixture
def own(request):
    print("recorder before own:", "claude_contract" in request.node.funcargs)


@pytest.mark.claude_contract(cassette=False)
def test_marked(own, request):
    assert request.node.funcargs["claude_contract"].exchanges == []


def test_unmarked(request):
    print("unmarked:", [n for n in request.fixturenames if "claude" in n])


@pytest.mark.parametrize("n", [1, pytest.param(2, marks=pytest.mark.claude_contract(cassette=False))])
def test_param(n, request):
    from pytest_claude_contract.process import PATCHES

    recorder = PATCHES.current()
    print("param", n, "claude_contract" in request.fixturenames, recorder is not None)
    if recorder is not None:  # asked for by name: the same recorder, whichever set it up
        assert request.getfixturevalue("claude_contract") is recorder
"""
    )
    result = pytester.runpytest("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        # The fixture where the test's fixtures came first; the set-up hook (plugin/fixtureless.py)
        # for the marked parameter, whose test pytest has nothing else to set up first.
        ["*recorder before own: True", "*unmarked: []", "*param 1 False False", "*param 2 False True"]
    )


# ---------------------------------------------------------------- import cost

PROBE = """
import json
import sys

HEAVY = ("vcr", "pydantic", "deepdiff", "yaml", "pytest_claude_contract.capture.core")


def pytest_unconfigure(config):
    with open("imported.json", "w") as handle:
        json.dump({name: name in sys.modules for name in HEAVY}, handle)
"""


def test_no_heavy_imports_without_marked_tests(pytester: pytest.Pytester) -> None:
    """In a fresh interpreter, a session with no marked test imports none of vcrpy, pydantic, deepdiff
    or PyYAML; one marked test imports the core and pydantic, not deepdiff, vcrpy or PyYAML (so the probe
    can tell)."""
    pytester.makeconftest(PROBE)
    pytester.makepyfile(test_plain="def test_one():\n    pass\n")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    imported = json.loads((pytester.path / "imported.json").read_text())
    assert imported == dict.fromkeys(imported, False)
    assert len(imported) == 5

    pytester.makepyfile(
        test_plain="import pytest\n\n@pytest.mark.claude_contract(cassette=False)\ndef test_one():\n    pass\n"
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    imported = json.loads((pytester.path / "imported.json").read_text())
    # deepdiff is for a replay miss's report only; vcrpy for a library only it patches (test_lazy_vcr);
    # PyYAML for a cassette parsed or written (a replay from the parse cache does neither).
    assert imported == {**dict.fromkeys(imported, True), "deepdiff": False, "vcr": False, "yaml": False}


def test_collection_does_not_walk_the_cassette_folder(pytester: pytest.Pytester) -> None:
    """The cassette folder holds cassettes: pytest does not look for tests in it, unless it holds
    Python files (a test put there, or a folder shared with tests) or is named on the command line."""
    pytester.makepyfile(test_top="def test_top():\n    pass\n")
    module_folder = pytester.path / "cassettes" / "test_top"
    module_folder.mkdir(parents=True)
    (module_folder / "test_top.yaml").write_text("interactions: []\n")
    # What pytest would collect from the folder if it walked it: a YAML file handled by a conftest.
    pytester.makeconftest(
        """
import pytest

def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".yaml":
        return YamlFile.from_parent(parent, path=file_path)

class YamlFile(pytest.File):
    def collect(self):
        yield YamlItem.from_parent(self, name="walked")

class YamlItem(pytest.Item):
    def runtest(self):
        pass
"""
    )
    args = ("--collect-only", "-q", "-p", "no:cacheprovider")

    not_walked = pytester.runpytest(*args)
    not_walked.stdout.fnmatch_lines(["test_top.py::test_top", "1 test collected*"])

    named = pytester.runpytest(*args, "cassettes")
    named.stdout.fnmatch_lines(["cassettes/test_top/test_top.yaml::walked", "1 test collected*"])

    without_plugin = pytester.runpytest(*args, "-p", "no:claude_contract")
    without_plugin.stdout.fnmatch_lines(["*2 tests collected*"])

    (module_folder / "test_stray.py").write_text("def test_stray():\n    pass\n")
    holds_python = pytester.runpytest(*args)
    holds_python.stdout.fnmatch_lines(["*test_stray.py::test_stray", "*3 tests collected*"])
