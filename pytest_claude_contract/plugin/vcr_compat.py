"""Switching `@pytest.mark.vcr` (pytest-recording) to `@pytest.mark.claude_contract` in place: the
test's cassette in pytest-recording's layout, the suite's `vcr_config`, `vcr_cassette_dir` and
`default_cassette_name` fixtures, and `match_on=` (vcrpy's matcher names and functions).

Light at import (pytest and the standard library): it runs in every session. A suite that defines
none of pytest-recording's fixtures pays one stash look-up a test (see `suite_for`).
"""

from __future__ import annotations

import hashlib
import inspect
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

if TYPE_CHECKING:
    from ..capture.vcr_config import Matching, RecordFilters

# vcrpy's matcher names (vcr/config.py), as `match_on=` and the ini option claude_match_on take them.
MATCHERS = ("method", "uri", "scheme", "host", "port", "path", "query", "body", "raw_body", "headers")
# The fixtures of pytest-recording a suite overrides (in a conftest, module or class) to configure it.
VCR_FIXTURES = ("vcr_config", "vcr_cassette_dir", "default_cassette_name")
RECORDING_PLUGIN = "pytest_recording.plugin"  # where pytest-recording's own (default) fixtures live
# The keys of a vcr_config the recorder applies to what it writes (capture/vcr_config.py).
FILTER_KEYS = (
    "filter_headers",
    "filter_query_parameters",
    "filter_post_data_parameters",
    "filter_nested_post_data_parameters",
    "before_record_request",
    "before_record",
    "before_record_response",
    "ignore_hosts",
    "ignore_localhost",
)
# Characters pytest-recording replaces by "-" in a default cassette name (pytest_recording/plugin.py).
_FORBIDDEN = r"<>?%*:|\"'/\\"
# Cassette file endings kept as given by a `cassette=` path (otherwise `.yaml` is added).
_KEPT_SUFFIXES = (".yaml", ".yml", ".json", ".yaml.gz", ".yml.gz", ".json.gz")

_DEFINED = pytest.StashKey[frozenset[str]]()  # on a test's parent: the VCR_FIXTURES the suite defines


def check_match_on(value: Any, where: str, *, functions: bool = True) -> None:
    """`match_on=`: None (the plugin's default matching) or a non-empty list of vcrpy matcher names
    and (in a marker or a vcr_config) matcher functions; else a UsageError naming the valid ones."""
    if value is None:
        return
    if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
        raise pytest.UsageError(
            f"{where}: match_on={value!r}; give a non-empty list, e.g. match_on=['method', 'uri']"
        )
    bad = [
        v
        for v in value
        if (isinstance(v, str) and v not in MATCHERS) or not (isinstance(v, str) or callable(v))
    ]
    called = [v for v in value if not isinstance(v, str)]
    if bad or (called and not functions):
        allowed = (
            " (or functions f(live, recorded) that raise AssertionError or return False)" if functions else ""
        )
        raise pytest.UsageError(
            f"{where}: match_on={list(value)!r} names unknown matcher(s) {', '.join(map(repr, bad or called))}; "
            f"valid names are: {', '.join(MATCHERS)}{allowed}"
        )


def ini_match_on(config: pytest.Config) -> tuple[str, ...]:
    """The ini option claude_match_on: one name a line, or names separated by commas."""
    lines = config.getini("claude_match_on") or []
    names = tuple(n.strip() for line in lines for n in str(line).split(",") if n.strip())
    if names:
        check_match_on(list(names), "ini option claude_match_on", functions=False)
    return names


def check_cassette_name(value: str, where: str) -> None:
    """A `cassette=` name: a name in the module's cassette folder, or a path relative to the rootdir
    that stays inside it."""
    normal = os.path.normpath(value)
    if Path(value).is_absolute() or normal in {".", ".."} or normal.startswith(f"..{os.sep}"):
        raise pytest.UsageError(
            f"{where}: cassette={value!r} must be a name in the cassette folder or a path relative to the "
            "rootdir that stays inside it (not absolute, no '..' out of it), e.g. 'tests/cassettes/test_x.yaml'"
        )


def named_path(folder: Path, cassette: str, rootpath: Path) -> Path:
    """A `cassette=` name holding a folder: the file under the module's cassette folder when it is
    there (as before), else that path relative to the rootdir (a pytest-recording cassette, say)."""
    name = cassette if cassette.endswith(_KEPT_SUFFIXES) else f"{cassette}.yaml"
    in_folder = folder / name
    if in_folder.exists():
        return in_folder
    return rootpath / os.path.normpath(name)


def defined_fixtures(item: pytest.Item) -> frozenset[str]:
    """Which of pytest-recording's fixtures the suite itself defines for `item` (not the plugin's
    defaults): looked up once per module or class, as only they (and conftests) define fixtures."""
    parent = item.parent
    held = parent.stash.get(_DEFINED, None) if parent is not None else None
    if held is None:
        manager = item.session._fixturemanager
        found = set()
        for name in VCR_FIXTURES:
            definitions = manager.getfixturedefs(name, item)
            if definitions and getattr(definitions[-1].func, "__module__", "") != RECORDING_PLUGIN:
                found.add(name)
        held = frozenset(found)
        if parent is not None:
            parent.stash[_DEFINED] = held
    return held


class VcrSuite(NamedTuple):
    """What a pytest-recording suite's own fixtures say for one test (a NamedTuple, not a frozen
    dataclass: see contract.limits.Limits)."""

    config: Mapping[str, Any]
    cassette_dir: str | None = None  # None: pytest-recording's default, <test dir>/cassettes/<module>
    cassette_name: str | None = None  # None: pytest-recording's default name


def suite_for(item: pytest.Item) -> VcrSuite | None:
    """The suite's vcr_config, vcr_cassette_dir and default_cassette_name for `item`, when it defines
    any of them (their values come from pytest, as pytest-recording's `vcr` fixture gets them); None
    when it defines none."""
    defined = defined_fixtures(item)
    if not defined:
        return None
    request = getattr(item, "_request", None)  # a Function's own FixtureRequest, as pytest fills it
    if request is None:
        return None
    return _suite({name: request.getfixturevalue(name) for name in defined})


def collected_suite(item: pytest.Item) -> tuple[VcrSuite | None, tuple[str, ...]]:
    """`suite_for` at collection, when no fixture may run through pytest yet (`lint --orphans`
    collects only): each of the suite's fixtures that asks for nothing but `request` is called with
    the test's own request. Also the names of those that cannot be (they ask for other fixtures,
    yield or fail): pytest-recording's default stands in for them."""
    defined = defined_fixtures(item)
    request = getattr(item, "_request", None)
    if not defined or request is None:
        return None, ()
    values: dict[str, Any] = {}
    unknown: list[str] = []
    for name in sorted(defined):
        definitions = item.session._fixturemanager.getfixturedefs(name, item)
        definition = definitions[-1] if definitions else None
        function = getattr(definition, "func", None)
        if (
            definition is None
            or set(definition.argnames) - {"request"}
            or not inspect.isfunction(function)
            or inspect.isgeneratorfunction(function)
            or inspect.iscoroutinefunction(function)
        ):
            unknown.append(name)
            continue
        try:
            # A module-scoped fixture sees the test's request, not its module's: the same file,
            # module, class and config, which is what a cassette folder is named after. pytest
            # warns when a fixture asks the request for another one before the test is set up.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values[name] = function(**({"request": request} if definition.argnames else {}))
        except Exception:  # it needs what only a running test has
            unknown.append(name)
    return _suite(values), tuple(unknown)


def _suite(values: Mapping[str, Any]) -> VcrSuite:
    config = values.get("vcr_config")
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise pytest.UsageError(
            f"vcr_config must return a dict of vcrpy options, got {type(config).__name__}: fix the fixture"
        )
    directory, name = values.get("vcr_cassette_dir"), values.get("default_cassette_name")
    return VcrSuite(
        config, None if directory is None else os.fspath(directory), None if name is None else str(name)
    )


def marker_defaults(suite: VcrSuite | None, config: pytest.Config) -> dict[str, Any]:
    """The vcr_config keys that are marker arguments here (`match_on`, `record_mode`,
    `allowed_hosts`), as defaults below the marker and claude_contract_config. Its record_mode also
    yields to `--claude-record-mode` on the command line, as pytest-recording's to `--record-mode`."""
    if suite is None or not suite.config:
        return {}
    vcr = suite.config
    out: dict[str, Any] = {}
    if vcr.get("match_on") is not None:
        out["match_on"] = (
            list(vcr["match_on"]) if isinstance(vcr["match_on"], list | tuple) else vcr["match_on"]
        )
    mode = vcr.get("record_mode")
    if mode is not None and config.getoption("claude_record_mode", default=None) is None:
        out["record_mode"] = str(getattr(mode, "value", mode))  # vcrpy's RecordMode is an Enum of str
    hosts = vcr.get("allowed_hosts")
    if hosts:
        # pytest-recording's are regexes matched against the host; here they are host names.
        listed = hosts.split(",") if isinstance(hosts, str) else list(hosts)
        out["allowed_hosts"] = [_plain_host(str(h)) for h in listed if str(h).strip()]
    return out


def _plain_host(pattern: str) -> str:
    # `^api\.example\.com$` as a regex is `api.example.com` as a name.
    return pattern.strip().removeprefix("^").removesuffix("$").replace("\\.", ".")


class RecordingCassettes(NamedTuple):
    """Where pytest-recording keeps one test's cassettes: the file it reads first and records into,
    and those `@pytest.mark.vcr("path", ...)` has it read as well."""

    written: Path
    read: tuple[Path, ...] = ()


def recording_cassettes(item: pytest.Item, suite: VcrSuite | None) -> RecordingCassettes:
    """The test's cassettes as pytest-recording names them (pytest_recording/_vcr.py `use_cassette`):
    `<vcr_cassette_dir>/<default_cassette_name>.<serializer>`, by default
    `<test file's folder>/cassettes/<module name>/<Class.>test name.yaml`; each `@pytest.mark.vcr`
    path under vcr_cassette_dir unless absolute, as given. The one answer for the switched marker
    (which adopts the written file) and for the bridge (which lists them all for `lint --orphans`)."""
    markers = list(item.iter_markers("vcr"))
    vcr = dict(suite.config) if suite is not None else {}
    for marker in reversed(markers):  # pytest-recording's merge_kwargs: the closest marker wins
        vcr.update(marker.kwargs)
    directory = suite.cassette_dir if suite is not None else None
    if directory is None:
        directory = os.path.join(os.path.dirname(item.path), "cassettes", item.path.stem)
    name = suite.cassette_name if suite is not None else None
    if name is None:
        name = _default_cassette_name(item)
    # pytest-recording shortens a long name so, measuring it against the serializer's name (no dot).
    measure, limit = len(str(vcr.get("serializer", ".yaml"))), _max_name_length()
    if len(name) + measure > limit:
        digest = hashlib.md5(name.encode()).hexdigest()  # a file name, as pytest-recording's
        name = f"{name[: limit - measure - len(digest) - 3]}...{digest}"
    suffix = f".{vcr['serializer']}" if "serializer" in vcr else ".yaml"
    path = os.path.join(directory, name)
    if not path.endswith(suffix):
        path += suffix
    read = tuple(Path(directory, str(extra)) for marker in markers for extra in marker.args)
    return RecordingCassettes(Path(path), read)


def recording_cassette(item: pytest.Item, suite: VcrSuite | None) -> Path | None:
    """The file pytest-recording records the test into (`recording_cassettes`), when it exists."""
    written = recording_cassettes(item, suite).written
    return written if written.is_file() else None


def _default_cassette_name(item: pytest.Item) -> str:
    """pytest-recording's default_cassette_name: the `default_cassette` marker's name, else
    `Class.test[params]`, its forbidden file-name characters replaced by "-"."""
    marker = item.get_closest_marker("default_cassette")
    if marker is not None and marker.args:
        return str(marker.args[0])
    cls = getattr(item, "cls", None)
    name = f"{cls.__name__}.{item.name}" if cls is not None else item.name
    for character in _FORBIDDEN:
        name = name.replace(character, "-")
    return name


def _max_name_length() -> int:
    try:
        return int(os.pathconf(".", "PC_NAME_MAX"))
    except (AttributeError, ValueError, OSError):
        return 255


def matching_for(match_on: tuple[Any, ...] | None) -> Matching | None:
    if match_on is None:
        return None
    from ..capture.vcr_config import Matching

    return Matching(match_on)


def filters_for(suite: VcrSuite | None) -> RecordFilters | None:
    """The suite's record filters, or None when its vcr_config sets none (nothing to apply)."""
    if suite is None or not any(suite.config.get(key) for key in FILTER_KEYS):
        return None
    from ..capture.vcr_config import RecordFilters

    return RecordFilters(dict(suite.config))
