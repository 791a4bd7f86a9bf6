"""The `pytest-claude-contract` command (also `python -m pytest_claude_contract`).

Subcommands:
  rules               the rule table
  rules RULE_ID       one rule in full, with its example exchange and the message the checks print
  rules --markdown    docs/rules.md, exactly

Exit codes: 0 done, 2 usage error. Only argparse and the rule catalogue are imported up front; the
contract models (pydantic) are imported by the subcommands that show an example.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import sys
import textwrap
from typing import TYPE_CHECKING

from . import __version__
from ._rules import RULE_IDS, RULES, RULES_BY_ID

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
    return parser


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


# ---------------------------------------------------------------- rules


def _rules_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    rule_id: str | None = args.rule_id
    if rule_id is not None and rule_id not in RULES_BY_ID:
        close = difflib.get_close_matches(rule_id, RULE_IDS, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        parser.error(f"unknown rule id {rule_id!r}{guess}; valid ids: {', '.join(RULE_IDS)}")
    if args.markdown:
        if rule_id is not None:
            parser.error("--markdown prints the whole rules page; give it no RULE_ID")
        from ._docs import rules_markdown

        sys.stdout.write(rules_markdown())
        return EXIT_OK
    if rule_id is not None:
        from ._docs import rule_text

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
        wrapped = textwrap.wrap(rule.summary.replace("`", ""), text_width) or [""]
        lines.append(f"{rule.id:<{id_width}}  {rule.side:<{side_width}}  {wrapped[0]}")
        lines += [" " * indent + line for line in wrapped[1:]]
    lines += [
        "",
        f"Show one rule in full, with an example: {PROG} rules RULE_ID",
        "Accept a rule in a test: @pytest.mark.claude_contract(allow=[RULE_ID, ...])",
    ]
    return "\n".join(lines) + "\n"
