"""The `pytest-claude-contract` command (also `python -m pytest_claude_contract`).

Subcommands:
  rules               the rule table
  rules RULE_ID       one rule in full, with its example exchange and the message the checks print
  rules --markdown    docs/rules.md, exactly
  lint PATH...        check committed cassettes: contract rules and secrets (exit 1 on violations)
  lint --orphans DIR  cassettes under DIR that no collected test uses (exit 1 when there are some)
  diff OLD NEW        what changed in the API's answers between two recordings (exit 1 on changes)
  serve --cassette P  a contract-checking server for any client, replaying (or recording) a cassette
  models              the model lifecycle table (deprecated and retired ids, dates, replacements)
  migrate PATH...     carry pytest-recording, vcrpy and cassetter cassettes over to the plugin's layout

Exit codes: 0 done, 1 findings (lint, diff, serve, migrate), 2 usage error, unreadable input, or (lint,
diff) no Claude exchange to check. Only argparse
and the rule catalogue are imported up front; the contract models (pydantic), PyYAML and deepdiff are
imported by the subcommands that use them.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..contract.rules import RULE_IDS, RULES, RULES_BY_ID

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

PROG = "pytest-claude-contract"
EXIT_OK = 0
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="pytest-claude-contract: check Claude API traffic against the API's HTTP contract.",
        epilog="The pytest plugin itself is configured with pytest options and markers; see docs/.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", required=True)

    rules = commands.add_parser(
        "rules",
        help="list the contract rules, or show one in full",
        description="List the rules the plugin checks, or show one rule in full with an example of a "
        "failing exchange and the message the plugin prints for it.",
    )
    rules.add_argument("rule_id", nargs="?", metavar="RULE_ID", help="show this rule in full")
    rules.add_argument(
        "--markdown",
        action="store_true",
        help="print the rules page as Markdown (the content of docs/rules.md)",
    )
    rules.set_defaults(handler=_rules_command, subparser=rules)
    _add_lint(commands)
    _add_diff(commands)

    serve = commands.add_parser(
        "serve",
        help="run the contract server for any client (replays a cassette by default)",
        description="Serve the Claude API on 127.0.0.1 for any client (curl, another language's SDK via "
        "ANTHROPIC_BASE_URL): every request is checked against the contract, then answered from the "
        "cassette or, in a record mode, forwarded to the upstream API and recorded. Each exchange is "
        "logged with its verdict. Ctrl-C stops it (saving the cassette in record modes). Exit code: "
        "0 when every exchange conformed, 1 when any broke the contract or missed the cassette.",
    )
    serve.add_argument("--cassette", required=True, metavar="PATH", help="the cassette file (YAML)")
    serve.add_argument(
        "--port", type=int, default=0, metavar="N", help="port on 127.0.0.1 (default: a free one)"
    )
    serve.add_argument(
        "--record-mode",
        choices=("none", "once", "new_episodes", "all", "rewrite", "verify"),
        default="none",
        help="none (the default) only replays; the others as in --claude-record-mode (verify: send "
        "each request upstream and report, on exit, how the answers drifted from the cassette)",
    )
    serve.add_argument(
        "--upstream",
        default=None,
        metavar="URL",
        help="where a record mode forwards requests (default: https://api.anthropic.com)",
    )
    serve.add_argument(
        "--once",
        action="store_true",
        help="play each recording once, as a test does (default: identical requests get their "
        "recordings in order and start over when they run out, so any number of clients can replay)",
    )
    bounds = serve.add_argument_group(
        "server limits",
        'how far a client may make the server wait or hold (docs/server.md, "Clients that misbehave"; '
        "the defaults suit any well-behaved client)",
    )
    for flag, kind, help_text in SERVER_LIMIT_FLAGS:
        bounds.add_argument(flag, type=_LIMIT_TYPES[kind], default=None, metavar=kind.upper(), help=help_text)
    serve.set_defaults(handler=_serve_command, subparser=serve)

    models = commands.add_parser(
        "models",
        help="print the model lifecycle table (rules model-deprecated and model-retired)",
        description="Print the model ids the contract knows as deprecated or retired: each id's status, "
        "the day it is deprecated from and retires on, the suggested replacement, and the source. An id "
        "not listed is accepted by the rules.",
    )
    models.add_argument("--json", action="store_true", help="print the table as JSON")
    models.add_argument(
        "--on", default=None, metavar="DATE", help="give each status on DATE (YYYY-MM-DD) instead of today"
    )
    models.set_defaults(handler=_models_command, subparser=models)
    _add_migrate(commands)
    return parser


# `serve`'s flags for ContractServer's keyword arguments of the same names (its defaults apply to
# what is not given).
SERVER_LIMIT_FLAGS: tuple[tuple[str, str, str], ...] = (
    ("--header-timeout", "seconds", "time for a request's line and headers (default 5)"),
    ("--idle-timeout", "seconds", "time a keep-alive connection may wait for its next request (default 30)"),
    ("--body-timeout", "seconds", "the longest pause while a request body arrives (default 10)"),
    (
        "--body-min-rate",
        "count",
        "bytes a second a body must average once it has taken --body-timeout (default 10000)",
    ),
    (
        "--send-timeout",
        "seconds",
        "time a client may take to accept the next 64 KB of its answer (default 60)",
    ),
    ("--max-workers", "count", "connections served at once (default 64)"),
    ("--backlog", "count", "connections the system holds for the server to accept (default 128)"),
    (
        "--wait-timeout",
        "seconds",
        "time a connection waits for a worker, or a body for memory, before 503 (default 10)",
    ),
    ("--body-memory", "size", "request bodies held in memory at once, e.g. 64MB (default 32MB)"),
)


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 1e6:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds above 0, e.g. 2.5")
    return seconds


def _count(value: str) -> int:
    if not (value.isascii() and value.isdigit() and 0 < int(value) < 1 << 31):
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number above 0")
    return int(value)


def _size(value: str) -> int:
    from ..contract.limits import SIZE_FORMS, parse_size

    try:
        size = parse_size(value)
    except ValueError:
        size = 0
    if size <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a size: use {SIZE_FORMS}")
    return size


_LIMIT_TYPES: dict[str, Callable[[str], Any]] = {"seconds": _seconds, "count": _count, "size": _size}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code (0 done, 2 usage error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler: Callable[[argparse.Namespace, argparse.ArgumentParser], int] = args.handler
    try:
        return handler(args, args.subparser)
    except SystemExit as exc:  # a subcommand's parser.error()
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE


# ---------------------------------------------------------------- lint and diff


def _add_lint(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lint = commands.add_parser(
        "lint",
        help="check cassettes: contract rules on every recorded exchange, and secrets",
        description="Read vcrpy cassettes (YAML or JSON, .gz too; folders are walked for *.yaml, *.yml, "
        "*.json, *.yaml.gz) and run the plugin's contract rules on every exchange with a Claude host, "
        "plus rule secret-in-cassette on every interaction. Exit 0 clean, 1 violations, 2 unreadable "
        "input, no Claude exchange in any cassette (see --host), or a usage error.",
    )
    lint.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="cassette files or folders")
    lint.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="HOST[=PLATFORM]",
        help="also check requests to this host (api.anthropic.com and every platform's hosts always), "
        "judged as PLATFORM when given (anthropic, vertex, foundry, ...: the host's own otherwise); "
        "repeatable",
    )
    lint.add_argument(
        "--assume-recorded",
        action="store_true",
        help="the cassettes hold every header sent: an absent header is a violation, never 'not recorded'",
    )
    lint.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="RULE_ID",
        help="leave out the findings of this rule (repeat, or separate with commas), as the marker's "
        "allow=; e.g. model-retired for an archive of old recordings. Secrets cannot be allowed",
    )
    lint.add_argument(
        "--fix-secrets",
        action="store_true",
        help="rewrite cassettes in place (atomically), each secret replaced by redacted-by-claude-contract",
    )
    lint.add_argument("--format", choices=("text", "json", "github"), default="text", help="report format")
    lint.add_argument(
        "--orphans",
        type=Path,
        default=None,
        metavar="DIR",
        help="instead of linting: list the cassettes under DIR that no collected test uses (collects "
        "the suite with `python -m pytest --collect-only`); exit 1 when there are some",
    )
    lint.add_argument(
        "--rootdir",
        type=Path,
        default=None,
        metavar="DIR",
        help="with --orphans: collect the tests from DIR, the folder you run pytest from (default: here)",
    )
    from ..contract.limits import limit_flags

    for flag, dest, metavar, help_text in limit_flags(""):
        lint.add_argument(flag, dest=dest, default=None, metavar=metavar, help=help_text)
    lint.set_defaults(handler=_lint_command, subparser=lint)


def _lint_limits(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """The --max-* flags as the process's reading limits; a bad value is a usage error (exit 2)."""
    import pytest

    from ..contract import limits
    from ..plugin.options import LIMIT_SETTINGS, parse_limit

    values: dict[str, Any] = {}
    for name, kind in LIMIT_SETTINGS:
        given = getattr(args, f"max_{name}")
        if given is not None:
            try:
                values[name] = parse_limit(given, kind, f"--max-{name.replace('_', '-')}")
            except pytest.UsageError as exc:
                parser.error(str(exc))
    limits.configure(limits.Limits(**values, via="lint"))


def _add_diff(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    diff = commands.add_parser(
        "diff",
        help="what changed in the API's answers between two recordings of the same test",
        description="Compare two cassettes of the same test: statuses, headers and the shape of the "
        "response bodies (fields added or removed, changed types, changed enum-like values). Volatile "
        "values (ids, request-id, dates, recorded_at, usage numbers, rate-limit values, content-length, "
        "free text) are ignored. Exit 0 when nothing else changed, 1 otherwise, 2 unreadable input or "
        "no Claude exchange in either file (see --host).",
    )
    diff.add_argument("old", type=Path, metavar="OLD", help="the earlier recording")
    diff.add_argument("new", type=Path, metavar="NEW", help="the later recording")
    diff.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="HOST",
        help="also compare exchanges with this host (api.anthropic.com always); repeatable",
    )
    diff.add_argument("--format", choices=("text", "json"), default="text", help="report format")
    diff.set_defaults(handler=_diff_command, subparser=diff)


def _lint_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.orphans is not None:
        if args.paths or args.fix_secrets or args.assume_recorded or args.host:
            parser.error("--orphans DIR lists orphaned cassettes only; lint PATHs in a separate run")
        from .lint import ORPHAN_REPORTS, find_orphans

        orphans = find_orphans(args.orphans, args.rootdir or Path.cwd())
        sys.stdout.write(ORPHAN_REPORTS[args.format](orphans))
        return orphans.exit_code
    if args.rootdir is not None:
        parser.error("--rootdir goes with --orphans DIR")
    if not args.paths:
        parser.error("give the cassettes to lint (PATH..., files or folders), or --orphans DIR")
    from ..contract import limits
    from .lint import REPORTS, lint_paths

    _check_hosts(args.host, parser)
    allow = frozenset(r.strip() for given in args.allow for r in given.split(",") if r.strip())
    from .lint import LINT_RULES, SECRET_RULE

    unknown = sorted(allow.difference(RULE_IDS, (r.id for r in LINT_RULES)))
    if SECRET_RULE.id in allow:
        parser.error(f"--allow {SECRET_RULE.id}: a secret in a cassette cannot be allowed; replace it")
    if unknown:
        parser.error(f"--allow {unknown[0]}: no such rule; `{PROG} rules` lists them")
    before = limits.current()
    _lint_limits(args, parser)
    try:
        result = lint_paths(
            args.paths,
            hosts=args.host,
            assume_recorded=args.assume_recorded,
            fix=args.fix_secrets,
            allow=allow,
        )
    finally:
        limits.configure(before)  # `main` may run in a process that goes on (a test, a tool)
    sys.stdout.write(REPORTS[args.format](result))
    return result.exit_code


def _diff_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .diff import diff_files

    result = diff_files(args.old, args.new, hosts=args.host)
    sys.stdout.write(result.json_report() if args.format == "json" else result.text_report())
    return result.exit_code


# ---------------------------------------------------------------- migrate


def _add_migrate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    migrate = commands.add_parser(
        "migrate",
        help="carry pytest-recording, vcrpy and cassetter cassettes over to the plugin's layout",
        description="Read cassettes another recorder wrote (pytest-recording and vcrpy YAML or JSON, .gz "
        "too, gzip !!binary bodies; cassetter's YAML and TOML; folders are walked) and show, for each, "
        "where the plugin will look for it and what it will hold: JSON bodies pretty-printed, "
        "compressed bodies decoded, a stream one event per group, credentials replaced; then the "
        "lint verdicts on the originals. A file in pytest-recording's layout "
        "(<test dir>/cassettes/<module>/<test>.yaml) goes to <cassette dir>/<test dir>/<module>/"
        "<test>.yaml; any other keeps its path under the PATH given. Nothing is written without "
        "--write. A file whose copy would not replay every interaction as the original does is "
        "refused. Exit 0 done, 1 lint violations in the originals or a target left alone (it exists "
        "and differs; --force), 2 a file refused or unreadable, or nothing to migrate.",
    )
    migrate.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="cassette files or folders")
    migrate.add_argument(
        "--to",
        type=Path,
        default=None,
        metavar="DIR",
        help="the cassette folder to copy into (default: claude_cassette_dir from the pytest "
        "configuration in --rootdir, else <rootdir>/cassettes)",
    )
    migrate.add_argument(
        "--rootdir",
        type=Path,
        default=None,
        metavar="DIR",
        help="the folder you run pytest from: test module paths are taken relative to it (default: here)",
    )
    migrate.add_argument(
        "--write",
        action="store_true",
        help="write the copies (atomically); without it nothing is written",
    )
    migrate.add_argument(
        "--force",
        action="store_true",
        help="with --write: replace a target that exists and differs (never without it)",
    )
    migrate.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="HOST[=PLATFORM]",
        help="also judge requests to this host by the contract, as PLATFORM when given (api.anthropic.com "
        "and every platform's hosts always); repeatable",
    )
    migrate.add_argument(
        "--brief",
        action="store_true",
        help="leave out the text of each copy: where it goes, what became of it, and the verdicts",
    )
    migrate.set_defaults(handler=_migrate_command, subparser=migrate)


def _check_hosts(hosts: Sequence[str], parser: argparse.ArgumentParser) -> None:
    """`--host HOST[=PLATFORM]` (lint, migrate): an unknown platform is a usage error."""
    from ..plugin.options import PLATFORM_NAMES

    bad = [h for h in hosts if h.partition("=")[2] and h.partition("=")[2] not in PLATFORM_NAMES]
    if bad:
        parser.error(f"--host {bad[0]}: unknown platform; platforms are: {', '.join(PLATFORM_NAMES)}")


def _migrate_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    _check_hosts(args.host, parser)
    if args.force and not args.write:
        parser.error("--force replaces existing targets when writing; give it with --write")
    rootdir: Path = args.rootdir if args.rootdir is not None else Path.cwd()
    if not rootdir.is_dir():
        parser.error(f"--rootdir {rootdir}: no such folder (give the folder you run pytest from)")
    from .migrate import migrate_paths

    result = migrate_paths(
        args.paths, rootdir=rootdir, to=args.to, hosts=args.host, write=args.write, force=args.force
    )
    sys.stdout.write(result.text_report(show=not args.brief and not args.write))
    return result.exit_code


# ---------------------------------------------------------------- rules


def _serve_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .serve import serve_command

    return serve_command(args, parser)


def _models_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .models import models_command

    return models_command(args, parser)


def _rules_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    rule_id: str | None = args.rule_id
    if rule_id is not None and rule_id not in RULES_BY_ID:
        close = difflib.get_close_matches(rule_id, RULE_IDS, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        parser.error(f"unknown rule id {rule_id!r}{guess}; valid ids: {', '.join(RULE_IDS)}")
    if args.markdown:
        if rule_id is not None:
            parser.error("--markdown prints the whole rules page; give it no RULE_ID")
        from ..contract.docs import rules_markdown

        sys.stdout.write(rules_markdown())
        return EXIT_OK
    if rule_id is not None:
        from ..contract.docs import rule_text

        sys.stdout.write(rule_text(RULES_BY_ID[rule_id]))
        return EXIT_OK
    sys.stdout.write(rules_table())
    return EXIT_OK


def rules_table(width: int | None = None) -> str:
    """The rule table as plain text, the summary column wrapped to `width` (default: the terminal's)."""
    if width is None:
        width = shutil.get_terminal_size((100, 24)).columns
    id_width = max(len("RULE"), *(len(rule.id) for rule in RULES))
    side_width = len("response")
    indent = id_width + side_width + 4
    text_width = max(width - indent, 30)
    lines = [f"{'RULE':<{id_width}}  {'CHECKS':<{side_width}}  WHAT IT CHECKS"]
    for rule in RULES:
        summary = ("(warning: fails nothing) " if rule.severity == "warning" else "") + rule.summary
        wrapped = textwrap.wrap(summary.replace("`", ""), text_width) or [""]
        lines.append(f"{rule.id:<{id_width}}  {rule.side:<{side_width}}  {wrapped[0]}")
        lines += [" " * indent + line for line in wrapped[1:]]
    lines += [
        "",
        f"Show one rule in full, with an example: {PROG} rules RULE_ID",
        "Accept a rule in a test: @pytest.mark.claude_contract(allow=[RULE_ID, ...])",
    ]
    return "\n".join(lines) + "\n"
