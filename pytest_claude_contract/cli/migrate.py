"""`pytest-claude-contract migrate PATH...`: cassettes another recorder wrote, carried over to the
plugin's layout and readable form.

Each file is read with the one reader (`cassette/formats.py`: vcrpy's YAML and JSON, gzip, `!!binary`
bodies, cassetter's YAML and TOML), judged as `lint` judges it, and written with the plugin's writer
(JSON bodies pretty-printed, compressed bodies stored decoded, a stream one event per group,
credentials replaced). The text to write is read back as a replay reads it and compared with the
original, interaction by interaction: a copy that would not play every interaction as the original
does, or a file holding something the plugin's format has no place for (cassetter's gRPC and
WebSocket interactions, an unknown field), is refused and nothing is written for it.

Where a copy goes: a file in pytest-recording's (and cassetter's) layout,
`<test dir>/cassettes/<module>/<name>.<ext>`, goes where the plugin looks for that test's cassette,
`<cassette dir>/<test dir, relative to the rootdir>/<module>/<name>.yaml`; any other file keeps its
path under the PATH it was found in, below the cassette dir.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..cassette.formats import (
    CassetteDocument,
    _document,
    document_interactions,
    dump_cassette,
    raw_interactions,
)
from ..cassette.model import CassetteError, recorded_time
from ..cassette.scrub import REDACTED, Scrubber
from ..cassette.secret_search import CredentialLeft
from ..contract.limits import LimitExceeded, loads_json
from ..contract.redaction import redact
from ..plugin.options import _cassette_folder, _safe
from . import EXIT_OK, EXIT_USAGE
from .lint import FileResult, LintResult, cassette_files, cassette_to_read, lint_paths
from .lint import text_report as lint_text_report

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ..cassette.model import Interaction

EXIT_FINDINGS = 1  # as lint's: violations in the originals, or a target left alone

# The folder name pytest-recording's and cassetter's `vcr_cassette_dir` put beside the test modules.
RECORDING_FOLDER = "cassettes"
# pytest's configuration files, in the order pytest reads the first that configures it.
CONFIG_FILES = (
    "pytest.toml",
    ".pytest.toml",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
)

# What the plugin's format holds; a file with anything else is refused, never copied without it.
_TOP_KEYS = frozenset({"interactions", "version"})
_INTERACTION_KEYS = frozenset({"request", "response", "recorded_at", "closed_early"})
_SIDE_KEYS = {
    "request": frozenset({"method", "uri", "headers", "body", "parsed_body"}),
    "response": frozenset({"status", "headers", "body", "parsed_body"}),
}
_BODY_KEYS = (frozenset({"string"}), frozenset({"type", "content"}))  # vcrpy's; cassetter's
_STATUS_KEYS = frozenset({"code", "message"})
# Headers the writer sets to the body as written, not as recorded.
_REWRITTEN_HEADERS = frozenset({"content-length"})

Status = Literal["new", "same", "differs", "replaced", "written", "refused", "empty", "skipped"]


@dataclass
class Migration:
    """One cassette file: where its copy goes, what it would hold, and what became of it."""

    source: Path
    target: Path | None = None
    layout: str = ""  # how the target was worked out
    test: str | None = None  # the test pytest-recording's layout names
    test_missing: bool = False  # ... whose module is not on disk
    in_place: bool = False  # the target is the file itself (a test module in the rootdir)
    form: str = ""  # what was read
    interactions: int = 0
    credentials: int = 0  # credentials the copy has replaced
    text: str | None = None  # the copy
    status: Status = "new"
    error: str | None = None
    error_line: int | None = None
    secrets: list[str] = field(default_factory=list, repr=False)
    originals: list[Interaction] = field(default_factory=list, repr=False)  # as read: what is written
    scrubber: Scrubber | None = field(default=None, repr=False)


@dataclass
class MigrateResult:
    migrations: list[Migration]
    verdicts: LintResult
    cassette_dir: Path
    cassette_dir_from: str
    write: bool
    missing: list[Path] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.missing or any(m.status == "refused" for m in self.migrations) or not self._carried:
            return EXIT_USAGE
        if any(f.violations for f in self.verdicts.files) or any(
            m.status == "differs" for m in self.migrations
        ):
            return EXIT_FINDINGS
        return EXIT_OK

    @property
    def _carried(self) -> list[Migration]:
        return [m for m in self.migrations if m.status not in ("skipped", "empty")]

    def text_report(self, *, show: bool = True) -> str:
        lines: list[str] = [
            f"cassette dir: {_shown(self.cassette_dir)} ({self.cassette_dir_from})",
            "",
        ]
        for path in self.missing:
            lines += [f"REFUSED {path}: no such file or folder", ""]
        for m in self.migrations:
            if m.status == "skipped":
                continue
            if m.status == "refused":
                lines += [f"REFUSED {m.error}", "  nothing is written for this file", ""]
                continue
            lines.append(str(m.source))
            if m.status == "empty":
                lines += ["  holds no interactions: nothing to migrate", ""]
                continue
            assert m.target is not None
            lines.append(f"  -> {_shown(m.target)}")
            lines.append(f"     {m.layout}")
            if m.test_missing:
                lines.append(
                    f"     note: {(m.test or '').split('::')[0]} is not on disk; if the test lives elsewhere, move the copy "
                    "there or name it with cassette="
                )
            summary = f"  {m.form}, {m.interactions} interaction{'s' if m.interactions != 1 else ''}"
            if m.credentials:
                summary += (
                    f"; {m.credentials} credential{'s' if m.credentials != 1 else ''} replaced by {REDACTED}"
                )
            lines.append(summary)
            status = _IN_PLACE_TEXT.get(m.status) if m.in_place else None
            lines.append(f"  {status or _STATUS_TEXT[m.status]}")
            if show and m.text is not None and m.status in ("new", "differs", "replaced", "written"):
                lines += ["  | " + row if row else "  |" for row in m.text.splitlines()]
            lines.append("")
        skipped = [m for m in self.migrations if m.status == "skipped"]
        if self.verdicts.files:
            lines += [
                "Lint verdicts on the originals (as `pytest-claude-contract lint` gives them; "
                "the copies keep the same traffic):",
                "",
                lint_text_report(self.verdicts).rstrip("\n"),
                "",
            ]
        lines.append(self.summary_line(len(skipped)))
        if not self._carried and not self.missing and not any(m.status == "refused" for m in self.migrations):
            lines.append(
                "Nothing to migrate: give pytest-recording, vcrpy or cassetter cassettes (files or folders)."
            )
        return redact("\n".join(lines), self._secrets()) + "\n"

    def summary_line(self, skipped: int) -> str:
        counts: dict[str, int] = {}
        for m in self.migrations:
            counts[m.status] = counts.get(m.status, 0) + 1
        carried = len(self._carried)
        parts = []
        if self.write:
            parts.append(f"{counts.get('written', 0) + counts.get('replaced', 0)} written")
        else:
            parts.append(f"{counts.get('new', 0)} to write")
        parts.append(f"{counts.get('same', 0)} already migrated")
        parts.append(f"{counts.get('differs', 0)} left alone (the target differs; --force replaces it)")
        parts.append(f"{counts.get('refused', 0)} refused")
        text = f"{carried} cassette{'s' if carried != 1 else ''}: " + ", ".join(parts)
        if counts.get("empty"):
            text += f"; {counts['empty']} empty"
        if skipped:
            text += f"; {skipped} file{'s' if skipped != 1 else ''} skipped (not cassettes)"
        if not self.write:
            text += ". Dry run: nothing was written; run again with --write"
        return text + "."

    def _secrets(self) -> list[str]:
        return [s for m in self.migrations for s in m.secrets] + [
            s for f in self.verdicts.files for s in f.secrets
        ]


_STATUS_TEXT: dict[str, str] = {
    "new": "would write it (a new file)",
    "written": "written",
    "same": "already migrated: the target holds this copy",
    "differs": "NOT written: the target exists and differs; --force replaces it (diff it first)",
    "replaced": "written over the existing target (--force)",
}


# A test module in the rootdir: both layouts name the same file, and the copy would replace it.
_IN_PLACE_TEXT: dict[str, str] = {
    "same": "already in the plugin's form (pytest-recording's layout and the plugin's name this same file)",
    "differs": "NOT written: the copy would replace the original itself (pytest-recording's layout and "
    "the plugin's name this same file); --force rewrites it in place",
    "replaced": "rewritten in place (--force)",
}


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


# ---------------------------------------------------------------- where a copy goes


def configured_cassette_dir(rootdir: Path) -> tuple[Path, str]:
    """The plugin's cassette folder for a suite run from `rootdir`: `claude_cassette_dir` from the
    first pytest configuration file there that configures pytest, else `cassettes`; and where that
    was read."""
    from _pytest.config.findpaths import load_config_dict_from_file

    for name in CONFIG_FILES:
        path = rootdir / name
        if not path.is_file():
            continue
        try:
            config = load_config_dict_from_file(path)
        except Exception:  # pytest's own error would name it; here it only costs the default
            continue
        if config is None:
            continue
        value = config.get("claude_cassette_dir")
        value = getattr(value, "value", value)  # pytest 9 wraps each value with where it came from
        if isinstance(value, list):  # a TOML value may be a list
            value = value[0] if value else None
        if value:
            folder = Path(str(value))
            return (folder if folder.is_absolute() else rootdir / folder), f"claude_cassette_dir in {name}"
        return rootdir / "cassettes", f"the default; {name} sets no claude_cassette_dir"
    return rootdir / "cassettes", "the default; no pytest configuration file in the rootdir"


def _target(source: Path, base: Path | None, cassette_dir: Path, rootdir: Path, m: Migration) -> Path:
    """Where `source`'s copy goes (see the module's docstring); fills in how it was found."""
    source = _absolute(source)
    name = source.name
    stem = name[: -len(".gz")] if name.lower().endswith(".gz") else name
    stem = stem.rpartition(".")[0] or stem
    module_folder = source.parent
    if module_folder.parent.name == RECORDING_FOLDER:
        test_dir = module_folder.parent.parent
        module = test_dir / f"{module_folder.name}.py"
        cls, dot, function = stem.partition(".")  # pytest-recording names a method `Class.test`
        parts = [cls, function] if dot and cls.isidentifier() else [stem]
        test = "::".join([_shown(module), *parts])
        m.layout = f"pytest-recording's layout: the cassette of {test}"
        m.test = test
        m.test_missing = not module.is_file()
        return _cassette_folder(cassette_dir, str(module), rootdir) / f"{_safe(stem)}.yaml"
    relative = source.relative_to(base).parent if base is not None else Path()
    m.layout = (
        "not pytest-recording's layout (<test dir>/cassettes/<module>/<test>.yaml): placed by its path "
        "under the PATH given; name it in the test with cassette=, or move it to "
        "<cassette dir>/<test module path>/<test name>.yaml"
    )
    return cassette_dir / relative / f"{_safe(stem)}.yaml"


# ---------------------------------------------------------------- what a copy holds


def _form(document: CassetteDocument) -> str:
    if document.source_format is not None:  # another tool's format (the Datadog test agent's)
        form = document.source_format
    elif document.serializer == "toml":
        form = "cassetter TOML"
    else:
        typed = any(
            isinstance(raw, dict)
            and any(
                isinstance(side, dict) and isinstance(side.get("body"), dict) and "type" in side["body"]
                for side in (raw.get("request"), raw.get("response"))
            )
            for raw in raw_interactions(document)
        )
        form = f"{'cassetter' if typed else 'vcrpy'} {document.serializer.upper()}"
    if document.python_tag is not None:
        form += ", with Python tags (read as plain strings)"
    return f"{form}, gzip-compressed" if document.compressed else form


def _uncarried(document: CassetteDocument) -> str | None:
    """What the file holds that the plugin's format has no place for, or None."""
    data = document.data
    extra = sorted(str(k) for k, v in data.items() if k not in _TOP_KEYS and v not in (None, [], {}))
    if extra:
        return (
            f"holds {', '.join(f'`{k}`' for k in extra)}, which a vcrpy cassette has no place for "
            "(cassetter's gRPC and WebSocket interactions, observed requests): keep this file with its "
            "recorder, or split the HTTP interactions into their own cassette"
        )
    for position, raw in enumerate(raw_interactions(document), 1):
        if not isinstance(raw, dict):
            continue  # the reader names what is wrong with it
        found = [f"`{k}`" for k in raw if k not in _INTERACTION_KEYS]
        for side_name, keys in _SIDE_KEYS.items():
            side = raw.get(side_name)
            if not isinstance(side, dict):
                continue
            found += [f"`{side_name}.{k}`" for k in side if k not in keys]
            body = side.get("body")
            if isinstance(body, dict) and not any(set(body) <= known for known in _BODY_KEYS):
                found += [f"`{side_name}.body.{k}`" for k in body if k not in ("string", "type", "content")]
            status = side.get("status")
            if isinstance(status, dict):
                found += [f"`{side_name}.status.{k}`" for k in status if k not in _STATUS_KEYS]
        if found:
            return (
                f"interaction {position} holds {', '.join(found)}, which the plugin's format has no place for"
            )
    return None


def _same_body(original: bytes, copy: bytes) -> bool:
    if original == copy or REDACTED.encode() in copy:
        return True
    try:  # stored pretty: the same JSON in other whitespace (compared as text: NaN is not NaN)
        return _canonical(loads_json(original)) == _canonical(loads_json(copy))
    except (ValueError, UnicodeDecodeError):
        return False


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def _same_value(original: str, copy: str) -> bool:
    return original == copy or REDACTED in copy


def _same_headers(original: dict[str, Any], copy: dict[str, Any]) -> str | None:
    """The first header the copy does not hold as the original does, or None."""
    for name in sorted(set(original) | set(copy), key=str):
        if str(name).lower() in _REWRITTEN_HEADERS:
            continue
        if name not in original or name not in copy:
            return f"header `{name}` {'is missing' if name not in copy else 'was added'}"
        left, right = original[name], copy[name]
        left = left if isinstance(left, list) else [left]
        right = right if isinstance(right, list) else [right]
        if len(left) != len(right) or not all(
            _same_value(str(a), str(b)) for a, b in zip(left, right, strict=False)
        ):
            return f"header `{name}` changes"
    return None


def _difference(original: Interaction, copy: Interaction) -> str | None:
    """What the copy of an interaction would play differently from the original, or None."""
    a, b = original.request, copy.request
    if a.method != b.method:
        return f"the method changes ({a.method} -> {b.method})"
    if not _same_value(a.url, b.url):
        return "the URL changes"
    if (why := _same_headers(a.headers, b.headers)) is not None:
        return f"the request {why}"
    if not _same_body(a.body, b.body):
        return "the request body changes"
    ra, rb = original.response, copy.response
    if ra["status"] != rb["status"]:
        return f"the status changes ({ra['status']} -> {rb['status']})"
    if (why := _same_headers(ra["headers"], rb["headers"])) is not None:
        return f"the response {why}"
    if not _same_body(ra["body"]["string"], rb["body"]["string"]):
        return "the response body changes"
    if original.closed_early != copy.closed_early:
        return "closed_early changes"
    if original.recorded_at != copy.recorded_at and recorded_time(original.recorded_at) != recorded_time(
        copy.recorded_at
    ):
        return "recorded_at changes"
    return None


def _copy(m: Migration, document: CassetteDocument, secrets: Sequence[str]) -> None:
    """The copy's text, checked against the original; refuses (`m.error`) what it cannot carry over."""
    if (why := _uncarried(document)) is not None:
        _refuse(m, why)
        return
    original = document_interactions(document)
    m.interactions = len(original)
    if not original:
        m.status = "empty"
        return
    scrubber = Scrubber(secrets)
    try:
        text = dump_cassette(original, scrubber)
    except CredentialLeft as exc:
        _refuse(m, f"{exc}; replace it in the original first (`pytest-claude-contract lint --fix-secrets`)")
        return
    leaked = sorted(set(scrubber.leaks(text)))
    if leaked:
        _refuse(m, f"the copy would hold a credential ({', '.join(leaked)})")
        return
    assert m.target is not None
    try:
        copied = document_interactions(_document(m.target, text.encode("utf-8")))
    except (CassetteError, LimitExceeded) as exc:  # pragma: no cover - the writer's own format
        _refuse(m, f"the copy cannot be read back ({exc})")
        return
    if len(copied) != len(original):  # pragma: no cover - the writer writes every interaction
        _refuse(m, f"the copy would hold {len(copied)} of its {len(original)} interactions")
        return
    for position, (before, after) in enumerate(zip(original, copied, strict=True), 1):
        why = _difference(before, after)
        if why is not None:
            _refuse(m, f"interaction {position} would not replay as recorded: {why} in the copy")
            return
    m.text = text
    m.originals = original
    m.scrubber = scrubber
    m.credentials = len(set(secrets))


def _refuse(m: Migration, why: str, line: int | None = None) -> None:
    """Nothing is written for `m`; `why` is said after the file's name (and line)."""
    m.status = "refused"
    m.error = str(CassetteError(m.source, why, line))
    m.error_line = line


# ---------------------------------------------------------------- running


def migrate_paths(
    paths: Sequence[Path],
    *,
    rootdir: Path,
    to: Path | None = None,
    hosts: Iterable[str] = (),
    write: bool = False,
    force: bool = False,
) -> MigrateResult:
    """Plan (and with `write`, make) a copy of every cassette under `paths`; see the module's docstring."""
    rootdir = _absolute(rootdir)
    if to is not None:
        cassette_dir, cassette_dir_from = _absolute(to), "--to"
    else:
        cassette_dir, cassette_dir_from = configured_cassette_dir(rootdir)
    existing = [path for path in paths if path.exists()]
    verdicts = lint_paths(existing, hosts=hosts) if existing else LintResult([], [])
    judged = {f.path: f for f in verdicts.files}
    result = MigrateResult([], verdicts, cassette_dir, cassette_dir_from, write)
    for path in paths:
        files, missing = cassette_files([path])
        result.missing += missing
        base = _absolute(path) if path.is_dir() else None
        for file, named in files:
            result.migrations.append(
                _plan(file, base, named, judged.get(file), cassette_dir=cassette_dir, rootdir=rootdir)
            )
    _refuse_clashes(result.migrations)
    for m in result.migrations:
        if m.status in ("new", "differs"):
            _compare_target(m)
    if write:
        for m in result.migrations:
            if m.status == "new" or (m.status == "differs" and force):
                _write(m, force=force)
    return result


def _plan(
    source: Path,
    base: Path | None,
    named: bool,
    verdict: FileResult | None,
    *,
    cassette_dir: Path,
    rootdir: Path,
) -> Migration:
    """`source` as given on the command line (or found under a folder given), for the report."""
    m = Migration(source)
    if verdict is not None:
        m.secrets = list(verdict.secrets)
        if verdict.error:  # unreadable: lint's message names the file and line
            m.status, m.error, m.error_line = "refused", verdict.error, verdict.error_line
            return m
    try:
        document = cassette_to_read(source, named)
        if document is None:
            m.status = "skipped"
            return m
        m.form = _form(document)
        m.target = _target(source, base, cassette_dir, rootdir, m)
        _copy(m, document, m.secrets)
    except CassetteError as exc:
        m.status, m.error, m.error_line = "refused", str(exc), exc.line
    except LimitExceeded as exc:
        _refuse(m, str(exc), exc.line)
    return m


def _refuse_clashes(migrations: list[Migration]) -> None:
    by_target: dict[Path, list[Migration]] = {}
    for m in migrations:
        if m.target is not None and m.status == "new":
            by_target.setdefault(m.target, []).append(m)
    for target, clashing in by_target.items():
        if len(clashing) > 1:
            names = ", ".join(_shown(m.source) for m in clashing)
            for m in clashing:
                _refuse(
                    m,
                    f"{names} would all be copied to {_shown(target)}: migrate them in separate runs "
                    "with --to, or rename one",
                )


def _compare_target(m: Migration) -> None:
    assert m.target is not None
    assert m.text is not None
    try:
        existing = m.target.read_bytes()
    except FileNotFoundError:
        m.status = "new"
        return
    except OSError as exc:
        _refuse(m, f"the target {_shown(m.target)} cannot be read: {exc.strerror}")
        return
    m.in_place = m.target == _absolute(m.source)
    m.status = "same" if existing == m.text.encode("utf-8") else "differs"


def _write(m: Migration, *, force: bool) -> None:
    """Atomically, under the cassette's lock (a test session may be writing it); the target is
    looked at again under the lock, so a file that appeared meanwhile is not overwritten."""
    from ..cassette.store import cassette_lock, write_cassette

    assert m.target is not None
    assert m.scrubber is not None
    try:
        with cassette_lock(m.target):
            existed = m.target.exists()
            if existed and not force:
                m.status = "differs"
                return
            write_cassette(m.target, m.originals, m.scrubber)
    except CassetteError as exc:  # write_cassette's message names the file
        m.status, m.error = "refused", str(exc)
        return
    m.status = "replaced" if existed else "written"
