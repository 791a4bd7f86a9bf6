"""Options and marker arguments, resolved and validated in one place.

Each option is read CLI first, then ini, then default, and a bad value is a `pytest.UsageError` that
names the valid ones. Imports stay light (no pydantic, no vcrpy): this runs in every session.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest

from ..contract.limits import SIZE_FORMS, Limits, parse_size
from .vcr_compat import check_cassette_name, check_match_on, ini_match_on, named_path

RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite", "verify")
CONTRACT_MODES = ("strict", "warn", "off")
# Credential forms a test may narrow to with auth=[...]: the `x-api-key` header, `Authorization: Bearer`,
# the bare `api-key` header (Foundry's), `Authorization: AWS4-HMAC-SHA256` (SigV4: Bedrock's).
AUTH_VALUES = ("x-api-key", "bearer", "api-key", "sigv4")
DEFAULT_HOSTS = ("api.anthropic.com",)
# The platforms a request can be judged by, and the hosts that select each (shell-style patterns:
# `*` matches any run of characters). contract.models.PLATFORMS holds each one's contract, in this
# order (checked there); here, not there, so the report header and hosts= validation import nothing
# heavy. The first-party API first: a Claude host no pattern matches is judged as first-party.
PLATFORM_HOSTS: dict[str, tuple[str, ...]] = {
    # Docs, API overview: the API's host.
    "anthropic": ("api.anthropic.com",),
    # SDK anthropic/lib/vertex/_client.py: `{region}-aiplatform.googleapis.com`, the global host
    # `aiplatform.googleapis.com`, and the multi-region hosts `aiplatform.{us,eu}.rep.googleapis.com`.
    "vertex": ("*-aiplatform.googleapis.com", "aiplatform.googleapis.com", "aiplatform.*.rep.googleapis.com"),
    # SDK anthropic/lib/foundry.py: `https://{resource}.services.ai.azure.com/anthropic/`.
    "foundry": ("*.services.ai.azure.com",),
    # SDK anthropic/lib/bedrock/_client.py: `https://bedrock-runtime.{aws_region}.amazonaws.com`.
    "bedrock": ("bedrock-runtime.*.amazonaws.com",),
    # SDK anthropic/lib/bedrock/_mantle.py: `https://bedrock-mantle.{region}.api.aws/anthropic`.
    "bedrock-mantle": ("bedrock-mantle.*.api.aws",),
}
PLATFORM_NAMES = tuple(PLATFORM_HOSTS)
# Stands in for ANTHROPIC_API_KEY during replay, so SDK clients can be built without a key. Here, not
# in capture.core, so that lending it at collection imports nothing heavy.
PLACEHOLDER_KEY = "claude-contract-replay-placeholder-key"
# The versions the shipped profiles cover (Docs, Versions); _contract builds one profile for each.
DOCUMENTED_VERSIONS = ("2023-01-01", "2023-06-01", "2026-10-21")
MARKER_KEYS = (
    "cassette",
    "record_mode",
    "allow",
    "api_versions",
    "auth",
    "hosts",
    "allowed_hosts",
    "profiles",
    "upstream",
    "max_age",
    "on_expiry",
    "match_on",
)
EXPIRY_MODES = ("warn", "fail")
UNPLAYED_MODES = ("warn", "fail", "off")
DURATION_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
DURATION_FORMS = "a whole number and a unit: m (minutes), h (hours), d (days) or w (weeks), e.g. 12h, 30d, 2w"
# Where `claude_contract_server` forwards requests it records (marker/config key `upstream=`).
DEFAULT_UPSTREAM = "https://api.anthropic.com"
DOCS_HINT = "Rules and options: `pytest-claude-contract rules`, docs/rules.md and docs/configuration.md."


class SessionOptions(NamedTuple):
    """The session's options, read at configure. A NamedTuple, not a frozen dataclass: see Limits."""

    record_mode: str
    contract_mode: str
    autouse: bool
    cassette_dir: Path
    keep_failed: bool = False
    unplayed: str = "warn"
    scrub_org_id: bool = False
    orphans: bool = False
    max_age: timedelta | None = None
    on_expiry: str = "warn"
    share_ssl_context: bool = True
    allowed_hosts: tuple[str, ...] = ()
    limits: Limits = Limits()
    vcr: bool = False  # claude_contract_vcr: pytest-recording's @pytest.mark.vcr tests checked
    match_on: tuple[str, ...] = ()  # ini claude_match_on; empty: the plugin's own matching
    # ini claude_hosts: the session's hosts= ({host: platform or None}); None: not given.
    hosts: dict[str, str | None] | None = None


# The limits on reading hostile input: (Limits field, kind). Each is --claude-max-<name> and the ini
# option claude_max_<name>.
LIMIT_SETTINGS = (
    ("yaml_aliases", "count"),
    ("json_depth", "depth"),
    ("decoded_size", "size"),
    ("line_length", "size"),
)
MAX_JSON_DEPTH = 1000  # Python's JSON reader and writer recurse; past this they raise RecursionError


def _limits(config: pytest.Config) -> Limits:
    """The reading limits from --claude-max-* and the claude_max_* ini options; UsageError naming
    the valid values for a bad one."""
    values: dict[str, Any] = {}
    for name, kind in LIMIT_SETTINGS:
        option = f"claude_max_{name}"
        value, source = _given(config, option, option)
        if value is not None:
            values[name] = parse_limit(str(value), kind, source)
    return Limits(**values)


def parse_limit(value: str, kind: str, source: str) -> int:
    """One limit's value: a size (`256MB`), a depth (1 to 1000) or a count; else a UsageError."""
    if kind == "size":
        try:
            return parse_size(value)
        except ValueError:
            raise pytest.UsageError(f"{source}={value!r} is not valid; use {SIZE_FORMS}") from None
    top = MAX_JSON_DEPTH if kind == "depth" else None
    text = value.strip()
    number = int(text) if text.isascii() and text.isdigit() else 0
    if number < 1 or (top is not None and number > top):
        valid = f"a whole number from 1 to {top}" if top else "a whole number from 1"
        raise pytest.UsageError(f"{source}={value!r} is not valid; use {valid}")
    return number


def _given(config: pytest.Config, option: str, ini: str) -> tuple[Any, str]:
    """A setting's value, from the command line, else from the ini file (None: neither), and where
    it came from, as a usage error names it."""
    value = config.getoption(option, default=None)
    if value is not None:
        return value, f"--{option.replace('_', '-')}"
    return config.getini(ini) or None, f"ini option {ini}"


def _choice(config: pytest.Config, option: str, ini: str, choices: tuple[str, ...], default: str) -> str:
    value, source = _given(config, option, ini)
    if value is None:
        return default
    if value not in choices:
        raise pytest.UsageError(f"{source}={value!r} is not valid; use one of: {', '.join(choices)}")
    return str(value)


def running_in_ci() -> bool:
    """CI services set CI (to "true", "1", ...); "false", "0" or empty mean a developer's machine."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def session_options(config: pytest.Config) -> SessionOptions:
    # Replaying in CI: a missing recording must fail, never reach out to the network.
    default_record = "none" if running_in_ci() else "once"
    record_mode = _choice(config, "claude_record_mode", "claude_record_mode", RECORD_MODES, default_record)
    contract_mode = _choice(config, "claude_contract", "claude_contract", CONTRACT_MODES, "strict")
    autouse = _flag(config, None, "claude_contract_autouse")
    raw_dir = config.getini("claude_cassette_dir") or "cassettes"
    cassette_dir = Path(str(raw_dir))
    if not cassette_dir.is_absolute():
        cassette_dir = config.rootpath / cassette_dir
    raw_age = config.getini("claude_max_age") or None
    return SessionOptions(
        record_mode,
        contract_mode,
        autouse,
        cassette_dir,
        keep_failed=_flag(config, "claude_keep_failed", "claude_keep_failed"),
        unplayed=_choice(config, "claude_unplayed", "claude_unplayed", UNPLAYED_MODES, "warn"),
        scrub_org_id=_flag(config, "claude_scrub_org_id", "claude_scrub_org_id"),
        orphans=bool(config.getoption("claude_orphans", default=False)),
        max_age=None if raw_age is None else parse_duration(raw_age, "ini option claude_max_age"),
        on_expiry=_choice(config, "claude_on_expiry", "claude_on_expiry", EXPIRY_MODES, "warn"),
        share_ssl_context=bool(config.getini("claude_share_ssl_context")),
        allowed_hosts=_allowed_hosts(config),
        limits=_limits(config),
        vcr=_flag(config, "claude_contract_vcr", "claude_contract_vcr"),
        match_on=ini_match_on(config),
        hosts=_ini_hosts(config),
    )


def _ini_hosts(config: pytest.Config) -> dict[str, str | None] | None:
    """ini claude_hosts: `host` or `host = platform` per line; None when not set."""
    lines = [str(line).strip() for line in config.getini("claude_hosts") or []]
    lines = [line for line in lines if line]
    if not lines:
        return None
    pairs = [line.partition("=") for line in lines]
    hosts = {host.strip(): name.strip() or None for host, _, name in pairs}
    return check_hosts(hosts, "ini option claude_hosts")


def config_arguments(value: Any) -> dict[str, Any]:
    """What a `claude_contract_config` fixture returned, as marker arguments; a UsageError when it is
    not a mapping."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise pytest.UsageError(
            "claude_contract_config must return a dict of marker arguments (e.g. {'hosts': [...]}), "
            f"got {type(value).__name__}: fix the fixture in your conftest.py"
        )
    return dict(value)


def check_cassettes_json(config: pytest.Config) -> None:
    """--claude-cassettes-json names a file to write at the end: refused now if it cannot be one."""
    value = config.getoption("claude_cassettes_json", default=None)
    if value and Path(str(value)).is_dir():
        raise pytest.UsageError(
            f"--claude-cassettes-json={value} is a folder; give a file path, e.g. {value}/cassettes.json"
        )


def _allowed_hosts(config: pytest.Config) -> tuple[str, ...]:
    """--claude-allowed-hosts (comma-separated), else the ini's list: hosts a covered test may reach
    live, unrecorded (as pytest-recording's --allowed-hosts)."""
    given = config.getoption("claude_allowed_hosts", default=None)
    source = "--claude-allowed-hosts"
    hosts: list[str] = [h.strip() for h in given.split(",")] if given else []
    if given is None:
        hosts = [str(h).strip() for h in config.getini("claude_allowed_hosts") or []]
        source = "ini option claude_allowed_hosts"
    hosts = [h for h in hosts if h]
    bad = [h for h in hosts if not _is_host(h)]
    if bad:
        raise pytest.UsageError(
            f"{source}={bad!r}: give host names, optionally with a port, e.g. 'auth.example.com' or "
            "'127.0.0.1:8080' (no scheme, no path)"
        )
    return tuple(h.lower() for h in hosts)


def _is_host(value: str) -> bool:
    return bool(value) and "/" not in value and " " not in value


def _flag(config: pytest.Config, option: str | None, ini: str) -> bool:
    """A switch: given on the command line it is on, else the (bool) ini option decides."""
    if option is not None and config.getoption(option, default=None):
        return True
    try:
        return bool(config.getini(ini))
    except (ValueError, pytest.UsageError) as exc:  # pytest's own message does not name the setting
        raise pytest.UsageError(f"ini option {ini}: {exc}; use true or false") from None


def parse_duration(value: Any, source: str) -> timedelta:
    """`30d`, `12h`, `2w`, `90m` (or a timedelta) as a positive timedelta; else a UsageError."""
    if isinstance(value, timedelta) and value > timedelta(0):
        return value
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", value) if isinstance(value, str) else None
    if match is None or int(match.group(1)) == 0:
        raise pytest.UsageError(f"{source}={value!r} is not a duration; use {DURATION_FORMS}")
    try:
        return timedelta(**{DURATION_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:
        raise pytest.UsageError(
            f"{source}={value!r} is too long for a date to be that old; use at most {timedelta.max.days}d"
        ) from None


class ContractSettings(NamedTuple):
    """One test's settings: the options, its claude_contract_config and its marker. A NamedTuple, not
    a frozen dataclass: see Limits."""

    cassette: str | bool  # a name, True for the default name, False for check-only
    record_mode: str
    allow: frozenset[str]
    api_versions: tuple[str, ...] | None
    auth: tuple[str, ...] | None
    hosts: tuple[str, ...]
    profiles: Mapping[str, Any]
    # hosts={host: platform}: the platform each listed host's requests are judged by (lower-cased).
    host_platforms: Mapping[str, str] = MappingProxyType({})
    # No hosts= given: every platform's hosts (PLATFORM_HOSTS) are Claude hosts too.
    platform_hosts: bool = True
    allowed_hosts: tuple[str, ...] = ()
    upstream: str = DEFAULT_UPSTREAM
    max_age: timedelta | None = None
    on_expiry: str = "warn"
    match_on: tuple[Any, ...] | None = None  # vcrpy matcher names and functions; None: the default


def validate_overrides(overrides: Mapping[str, Any], where: str) -> None:
    """Raise pytest.UsageError naming the argument and the fix. `where` says whose arguments these are."""
    unknown = sorted(set(overrides) - set(MARKER_KEYS))
    if unknown:
        raise pytest.UsageError(
            f"{where}: unknown argument(s) {', '.join(unknown)}; valid ones are: {', '.join(MARKER_KEYS)}"
        )
    if "cassette" in overrides:
        value = overrides["cassette"]
        if not (
            value is False
            or value is True
            or (isinstance(value, str) and value.strip() and "\0" not in value)
        ):
            raise pytest.UsageError(
                f"{where}: cassette={value!r}; give a cassette name, True (the test's own) or False (check only)"
            )
        if isinstance(value, str):
            check_cassette_name(value, where)
    if "record_mode" in overrides and overrides["record_mode"] not in RECORD_MODES:
        raise pytest.UsageError(
            f"{where}: record_mode={overrides['record_mode']!r}; use one of: {', '.join(RECORD_MODES)}"
        )
    if "allow" in overrides:
        allow = _str_list(overrides["allow"], "allow", where)
        from ..contract.rules import (
            RULE_IDS,  # the rule catalogue costs milliseconds: only when allow= is used
        )

        bad = [rule for rule in allow if rule not in RULE_IDS]
        if bad:
            raise pytest.UsageError(
                f"{where}: allow={allow!r} names unknown rule id(s) {', '.join(bad)}; "
                f"rule ids are: {', '.join(RULE_IDS)}"
            )
    if "auth" in overrides:
        auth = _str_list(overrides["auth"], "auth", where)
        bad = [a for a in auth if a not in AUTH_VALUES]
        if bad or not auth:
            raise pytest.UsageError(
                f"{where}: auth={auth!r}; use a non-empty list of: {', '.join(AUTH_VALUES)}"
            )
    if "api_versions" in overrides:
        versions = _str_list(overrides["api_versions"], "api_versions", where)
        bad = [v for v in versions if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v)]
        if bad or not versions:
            raise pytest.UsageError(
                f"{where}: api_versions={versions!r}; use a non-empty list of dates like '2023-06-01'"
            )
    if "hosts" in overrides:
        check_hosts(overrides["hosts"], where)
    if "allowed_hosts" in overrides:
        allowed = _str_list(overrides["allowed_hosts"], "allowed_hosts", where)
        if not all(_is_host(h) for h in allowed):
            raise pytest.UsageError(
                f"{where}: allowed_hosts={allowed!r}; use a list of host names that may be reached live, "
                "e.g. ['auth.example.com', '127.0.0.1:8080'] (no scheme, no path)"
            )
    if "upstream" in overrides:
        check_upstream(overrides["upstream"], where)
    if overrides.get("max_age") is not None:
        parse_duration(overrides["max_age"], f"{where}: max_age")
    if "on_expiry" in overrides and overrides["on_expiry"] not in EXPIRY_MODES:
        raise pytest.UsageError(
            f"{where}: on_expiry={overrides['on_expiry']!r}; use one of: {', '.join(EXPIRY_MODES)}"
        )
    if "match_on" in overrides:
        check_match_on(overrides["match_on"], where)
    if "profiles" in overrides and not isinstance(overrides["profiles"], Mapping):
        raise pytest.UsageError(
            f"{where}: profiles= must map an anthropic-version to a Profile or a dict of its fields"
        )


def check_hosts(value: Any, where: str) -> dict[str, str | None]:
    """hosts= as {host: platform name, or None to be judged by the platform its name selects}; a
    UsageError naming the fix for a bad host or an unknown platform."""
    if isinstance(value, Mapping):
        hosts = list(value)
        platforms = [value[h] for h in hosts]
    else:
        hosts = _str_list(value, "hosts", where)
        platforms = [None] * len(hosts)
    if not hosts or not all(isinstance(h, str) and _is_host(h) for h in hosts):
        raise pytest.UsageError(
            f"{where}: hosts={value!r}; use a non-empty list of host names, or a dict of host names to "
            "platforms ({'127.0.0.1:8080': 'vertex'}), e.g. ['api.anthropic.com', '127.0.0.1:8080'] "
            "(no scheme, no path)"
        )
    bad = [p for p in platforms if p is not None and p not in PLATFORM_NAMES]
    if bad:
        raise pytest.UsageError(
            f"{where}: hosts={value!r} names unknown platform(s) {', '.join(map(repr, bad))}; "
            f"platforms are: {', '.join(PLATFORM_NAMES)}"
        )
    return {h.lower(): p for h, p in zip(hosts, platforms, strict=True)}


def hosts_header(hosts: Mapping[str, str | None] | None = None) -> str:
    """Which platform's contract each host is judged by, for the report header: `host → platform`,
    the given hosts first (a host given without a platform: the one its name selects), then every
    platform's own hosts."""
    given = [f"{host} → {name}" if name else host for host, name in (hosts or {}).items()]
    shipped = [f"{', '.join(hosts)} → {name}" for name, hosts in PLATFORM_HOSTS.items()]
    return "; ".join(given + shipped)


def check_upstream(value: Any, where: str) -> str:
    """`value` as an upstream base URL (no trailing slash), or a UsageError naming the fix."""
    parts = urlsplit(value) if isinstance(value, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
    ):
        raise pytest.UsageError(
            f"{where}: upstream={value!r}; give the API's base URL, e.g. 'https://api.anthropic.com' or "
            "'http://127.0.0.1:8080' (http or https, a host, no query)"
        )
    return str(value).rstrip("/")


def _str_list(value: Any, name: str, where: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise pytest.UsageError(f"{where}: {name}= takes a list of strings, e.g. {name}=[...], not {value!r}")
    if not all(isinstance(v, str) for v in value):
        raise pytest.UsageError(f"{where}: {name}= takes a list of strings, not {value!r}")
    return list(value)


def settings_for(options: SessionOptions, merged: Mapping[str, Any]) -> ContractSettings:
    """Settings for one test from already-validated overrides (config fixture, then markers)."""

    def strings(name: str) -> tuple[str, ...] | None:
        value = merged.get(name)
        return None if value is None else tuple(value)

    cassette = merged.get("cassette", True)
    given_hosts = merged.get("hosts")
    hosts = check_hosts(given_hosts, "hosts") if given_hosts is not None else dict(options.hosts or {})
    return ContractSettings(
        cassette=cassette,
        record_mode=merged.get("record_mode") or options.record_mode,
        allow=frozenset(merged.get("allow") or ()),
        api_versions=strings("api_versions"),
        auth=strings("auth"),
        hosts=tuple(hosts) or DEFAULT_HOSTS,
        profiles=merged.get("profiles") or {},
        host_platforms={h: p for h, p in hosts.items() if p is not None},
        platform_hosts=given_hosts is None and options.hosts is None,
        allowed_hosts=tuple(h.lower() for h in (merged.get("allowed_hosts", options.allowed_hosts))),
        upstream=str(merged.get("upstream") or DEFAULT_UPSTREAM).rstrip("/"),
        max_age=_max_age(options, merged),
        on_expiry=merged.get("on_expiry") or options.on_expiry,
        match_on=_match_on(options, merged),
    )


def _match_on(options: SessionOptions, merged: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The marker's (or a vcr_config's) match_on, else the ini's; match_on=None: the default matching."""
    if "match_on" not in merged:
        return options.match_on or None
    value = merged["match_on"]
    return None if value is None else tuple(value)


def _max_age(options: SessionOptions, merged: Mapping[str, Any]) -> timedelta | None:
    """The marker's max_age, else the ini's; max_age=None in a marker turns the ini's off for a test."""
    if "max_age" not in merged:
        return options.max_age
    value = merged["max_age"]
    return None if value is None else parse_duration(value, "max_age")


def marker_overrides(item: pytest.Item) -> dict[str, Any]:
    """Marker arguments, the closest marker winning (function over class over module)."""
    merged: dict[str, Any] = {}
    for marker in reversed(list(item.iter_markers("claude_contract"))):
        if marker.args:
            raise pytest.UsageError(
                f"{item.nodeid}: @pytest.mark.claude_contract takes keyword arguments only, got {marker.args!r}"
            )
        merged.update(marker.kwargs)
    return merged


def cassette_path(options: SessionOptions, item: pytest.Item, cassette: str | bool) -> Path:
    """`<cassette dir>/<test module path>/<test name>.yaml`, or the named cassette in that folder."""
    folder = _cassette_folder(options.cassette_dir, str(item.path), item.config.rootpath)
    if isinstance(cassette, str):
        if "/" in cassette:  # a path: see vcr_compat.named_path
            return named_path(folder, cassette, item.config.rootpath)
        name = cassette if cassette.endswith((".yaml", ".yml")) else f"{cassette}.yaml"
        return folder / name
    cls = getattr(item, "cls", None)
    name = item.name if cls is None else f"{cls.__name__}.{item.name}"
    return folder / f"{_safe(name)}.yaml"


@functools.lru_cache(maxsize=1024)
def _cassette_folder(cassette_dir: Path, module_path: str, rootpath: Path) -> Path:
    # Once per test module, not per test: pathlib's relative_to and with_suffix are slow.
    module = Path(module_path)
    try:
        relative = module.relative_to(rootpath)
    except ValueError:
        relative = Path(module.name)
    return cassette_dir / relative.with_suffix("")


def _safe(name: str) -> str:
    # Parametrize ids may hold any character; keep names portable across file systems.
    return re.sub(r"[^\w\-.\[\],=+]", "_", name)
