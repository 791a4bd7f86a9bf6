"""docs/rules.md and the CLI's rule pages, generated from the rule catalogue and the contract models.

Each rule's example exchange is run through the real checks, so the page shows the message the
plugin prints for it; tests/test_docs.py keeps docs/rules.md equal to `rules_markdown()`.
"""

from __future__ import annotations

import textwrap
from datetime import date
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .checks import SCHEME_NAMES, Violation, check_exchange
from .exchange import CapturedRequest, CapturedResponse, Exchange, lower_headers
from .models import DEFAULT_CONTRACT, DEFAULT_ENDPOINTS, Contract, Endpoint, Profile
from .rules import RULES, Rule

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

REGENERATE = "python -m pytest_claude_contract rules --markdown > docs/rules.md"
_BODY_KIND = {"json": "JSON", "multipart": "multipart/form-data", "none": "none"}
_RESPONSE_KIND = {"json": "JSON", "binary": "binary", "jsonl": "JSON Lines", "event-stream": "event stream"}
_KEY_KIND = {"api-key": "API key", "admin-key": "admin key"}
# The model lifecycle rules judge by a day: the examples are judged as of this one, so that the page
# does not change as time passes (the plugin judges by today).
EXAMPLE_DAY = date(2026, 12, 7)


# ---------------------------------------------------------------- the example exchange


def example_exchange(rule: Rule) -> Exchange:
    """The rule's example as the checks see it; a body with `example_body_size` is padded with
    trailing spaces (still valid JSON) to exactly that many bytes."""
    example = rule.example_request
    body = example.body.encode("utf-8")
    if rule.example_body_size is not None and rule.example_body_size > len(body):
        body += b" " * (rule.example_body_size - len(body))
    request = CapturedRequest(example.method, example.url, lower_headers(example.headers), body)
    answer = rule.example_response
    response = CapturedResponse(answer.status, lower_headers(answer.headers), answer.wire_body())
    return Exchange(request, response, "live", 1)


def example_violations(rule: Rule, contract: Contract = DEFAULT_CONTRACT) -> list[Violation]:
    """What the checks report for the rule's example. Raises RuntimeError if its rule does not fire."""
    found = check_exchange(example_exchange(rule), contract, today=EXAMPLE_DAY)
    if rule.id not in {v.rule for v in found}:
        raise RuntimeError(
            f"the example of rule {rule.id!r} does not trigger it (found: {[v.rule for v in found]})"
        )
    return found


def request_lines(rule: Rule) -> list[str]:
    """The example request as HTTP/1.1: request line, headers, blank line, body (or a padding note)."""
    example = rule.example_request
    parts = urlsplit(example.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{example.method} {target} HTTP/1.1", f"host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in example.headers.items()]
    if example.body or rule.example_body_size:
        lines += ["", example.body]
        if rule.example_body_size is not None:
            lines.append(f"[... padded with spaces to {rule.example_body_size:,} bytes in all ...]")
    return lines


def response_lines(rule: Rule) -> list[str]:
    """The example response as HTTP/1.1: status line, headers, blank line, body."""
    answer = rule.example_response
    try:
        phrase = f" {HTTPStatus(answer.status).phrase}"
    except ValueError:
        phrase = ""
    lines = [f"HTTP/1.1 {answer.status}{phrase}"]
    lines += [f"{name}: {value}" for name, value in answer.headers.items()]
    if answer.body:
        lines += ["", answer.body]
    return lines


def report_lines(violations: list[Violation]) -> list[str]:
    """The violations as the failure report prints them."""
    lines = []
    for violation in violations:
        lines.append(f"[{violation.rule}] {violation.message}")
        lines.append(f"  fix: {violation.hint}")
    return lines


# ---------------------------------------------------------------- plain text (CLI)


def rule_text(rule: Rule, width: int = 100) -> str:
    """One rule in full, for `pytest-claude-contract rules RULE_ID`; prose wrapped to `width`."""
    indent = "    "
    lines = [
        f"{rule.id} ({rule.side} rule{', a warning: reported, fails nothing' if rule.severity == 'warning' else ''})",
        "",
        textwrap.fill(_plain(rule.summary), width),
        "",
        textwrap.fill(f"How to fix: {_plain(rule.hint)}", width),
        textwrap.fill(f"Source: {rule.source}", width),
        "",
        *_example(rule, lambda _language, block: [indent + line if line else "" for line in block]),
    ]
    return "\n".join(lines) + "\n"


def _plain(text: str) -> str:
    return text.replace("`", "")


# ---------------------------------------------------------------- markdown (docs/rules.md)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _fence(language: str, lines: list[str]) -> list[str]:
    return [f"```{language}", *lines, "```"]


def rule_markdown(rule: Rule) -> list[str]:
    return [
        f"### {rule.id}",
        "",
        f"*Checks the {rule.side}{'; a warning' if rule.severity == 'warning' else ''}.* {rule.summary}",
        "",
        f"**How to fix:** {rule.hint}",
        "",
        f"**Source:** {rule.source}",
        "",
        *_example(rule, _fence),
    ]


def _example(rule: Rule, shown: Callable[[str, list[str]], list[str]]) -> list[str]:
    """A rule's failing exchange and what the plugin reports for it, each block of lines as `shown`
    sets it out (indented in the terminal, fenced in Markdown) with its language."""
    return [
        "Example of a failing exchange:",
        "",
        *shown("http", request_lines(rule)),
        "",
        *shown("http", response_lines(rule)),
        "",
        "What the plugin reports for it:",
        "",
        *shown("text", report_lines(example_violations(rule))),
    ]


_ENDPOINT_COLUMNS = [
    "Endpoint",
    "Method",
    "Path",
    "Request body",
    "Size limit",
    "Response body",
    "Key",
    "`anthropic-version` required",
    "Beta required",
    "Request model",
    "Response model",
]


def _checks(rule: Rule) -> str:
    return f"{rule.side} (warning)" if rule.severity == "warning" else rule.side


def _endpoint_rows(endpoints: tuple[Endpoint, ...]) -> list[list[str]]:
    return [
        [
            e.name,
            e.method,
            f"`{e.path}`",
            _BODY_KIND[e.body],
            e.limit_text,
            _RESPONSE_KIND[e.response_body],
            _KEY_KIND[e.credential],
            "yes" if e.requires_version else "no",
            f"`{e.required_beta}`" if e.required_beta else "-",
            f"`{e.request_schema}`" if e.request_schema else "-",
            f"`{e.response_schema}`" if e.response_schema else "-",
        ]
        for e in endpoints
    ]


def _response_headers_text(contract: Contract) -> str:
    """The response headers the rules ask for, from the fallback profile and the endpoints' own."""
    profile = contract.profile_for(None)

    def names(headers: Iterable[str]) -> str:
        return ", ".join(f"`{h}`" for h in headers)

    text = (
        f"Every answer carries {names(profile.required_response_headers)} (`response-request-id`, "
        "`response-organization-id`)"
    )
    own = [
        f"{e.name} (`{e.method} {e.path}`): {names(e.response_headers)}"
        for e in profile.endpoints
        if e.response_headers is not None
    ]
    if own:
        text += "; these endpoints' answers carry their own instead: " + "; ".join(own)
    absent = [
        f"{names([header])} of {' or '.join(f'`{t}`' for t in types)} answers"
        for header, types in profile.response_headers_absent_on_error.items()
    ]
    if absent:
        text += ". Not asked: " + "; ".join(absent)
    since = [
        f"{names([header])} since {start.since.isoformat()} ({start.source})"
        for header, start in profile.response_headers_since.items()
    ]
    if since:
        text += (
            ". The API sends " + ", ".join(since) + ": a replayed answer recorded before that day (its "
            "`recorded_at`, else its `Date` header) that lacks it is reported as recorded before the "
            "header existed, and does not fail"
        )
    return text + "."


def _body_model_rows() -> list[list[str]]:
    from .bodies import BODY_MODELS

    rows = []
    for name, model in BODY_MODELS.items():
        fields = model.model_fields
        required = [f"`{f}`" for f, info in fields.items() if info.is_required()]
        optional = [f"`{f}`" for f, info in fields.items() if not info.is_required()]
        summary = (model.__doc__ or "").strip().split("\n\n")[0]
        rows.append([f"`{name}`", ", ".join(required), ", ".join(optional) or "-", " ".join(summary.split())])
    return rows


def _version_body_text(profile: Profile) -> str:
    parts = []
    if profile.removed_request_fields:
        parts.append("removed: " + ", ".join(f"`{f}`" for f in profile.removed_request_fields))
    if profile.rejects_assistant_document:
        parts.append("no `document` block in an `assistant` message")
    if profile.rejects_user_text_citations:
        parts.append("no user `text` block with non-empty `citations`")
    return "; ".join(parts) or "-"


def _auth_text(schemes: tuple[str, ...]) -> str:
    return ", ".join(SCHEME_NAMES.get(s, s) for s in schemes)


def _platform_rows(contract: Contract) -> list[list[str]]:
    rows = []
    for p in contract.platforms:
        version = "header `anthropic-version`" if p.version_in == "header" else "body `anthropic_version`"
        aliases = [f"`{alias}` (as `{api}`)" for alias, api in p.version_aliases.items()]
        headers = p.required_response_headers
        rows.append(
            [
                f"{p.title} (`{p.name}`)",
                ", ".join(f"`{h}`" for h in p.hosts),
                version + (f": {', '.join(aliases)} or an API version" if aliases else ""),
                "the profile's" if p.auth is None else _auth_text(p.auth),
                "the profile's" if headers is None else (", ".join(f"`{h}`" for h in headers) or "none"),
                "the profile's" if p.endpoints is None else f"[its own](#{p.name}-endpoints)",
                ", ".join(f"`{h}`" for h in p.credential_hosts) or "-",
                p.source or "-",
            ]
        )
    return rows


def _platform_endpoints(contract: Contract) -> list[str]:
    lines: list[str] = []
    for p in contract.platforms:
        if p.endpoints is None:
            continue
        lines += [
            f"### {p.name} endpoints",
            "",
            f"{p.title}: {p.notes}" if p.notes else f"{p.title}:",
            "",
            *_table(
                _ENDPOINT_COLUMNS,
                _endpoint_rows(p.endpoints),
            ),
            "",
        ]
        if any(e.model_in_url for e in p.endpoints):
            lines += [
                "Where the path names `{model}`, a `model` field in the body is `platform-model-in-body`.",
                "",
            ]
    return lines


def _types(accepted: tuple[str, ...]) -> str:
    return " or ".join(f"`{t}`" for t in accepted) or "any (not checked)"


def _accepted(profile: Profile, first: int) -> str:
    """Accepted error types for the statuses from `first` to `first + 99` that the profile does not list."""
    status = next((s for s in range(first, first + 100) if s not in profile.error_types), None)
    return _types(profile.expected_error_types(status) if status is not None else ())


def _fallback_sentence(profile: Profile) -> str:
    fallback = profile.fallback_4xx_error_type
    listed = [s for s, t in profile.error_types.items() if 400 <= s < 500 and t != fallback]
    if all(fallback in profile.expected_error_types(s) for s in listed):
        where = "every 4xx status, listed or not"
    else:
        where = "the 4xx statuses the table does not list"
    return (
        f"`{fallback}` is accepted for {where}. An error response whose status has no accepted type "
        "is checked for its shape only (`error-shape`)."
    )


def lifecycle_rows(contract: Contract, day: date) -> list[list[str]]:
    """The lifecycle table: id, status on `day`, deprecated from, retired on, replacement, source."""
    rows = []
    for entry in contract.model_lifecycle.models:
        deprecated = (
            str(entry.deprecated_on)
            if entry.deprecated_on
            else f"{entry.deprecated_from} (assumed: the 60 days' notice)"
        )
        rows.append(
            [
                entry.model,
                entry.status_on(day),
                deprecated,
                str(entry.retired_on),
                entry.replacement or "-",
                entry.source,
            ]
        )
    return rows


def _lifecycle_lines(contract: Contract) -> list[str]:
    lifecycle = contract.model_lifecycle
    rows = [
        [f"`{row[0]}`", *row[1:4], f"`{row[4]}`" if row[4] != "-" else "-", row[5]]
        for row in lifecycle_rows(contract, EXAMPLE_DAY)
    ]
    return [
        "## Model lifecycle",
        "",
        "The model a request names (the JSON body's `model`, and each Message Batches request's) is "
        "looked up in this table: `model-deprecated` (a warning) from its deprecation, `model-retired` "
        "(a failure) from its retirement on. An id the table does not list is accepted. The plugin "
        "judges by today's date; `lint` by today's, and says what the status was on the recording date. "
        f"Status below as of {EXAMPLE_DAY}; `pytest-claude-contract models` prints it as of today. "
        f"Platform: {lifecycle.platform}. {lifecycle.notes}",
        "",
        *_table(["Model", "Status", "Deprecated from", "Retired on", "Replacement", "Source"], rows),
    ]


def rules_markdown(contract: Contract = DEFAULT_CONTRACT) -> str:
    """The whole of docs/rules.md."""
    fallback = contract.profiles[contract.fallback_version]
    lines = [
        "# Rules",
        "",
        f"<!-- Generated from pytest_claude_contract/contract/rules.py and contract/models.py: do not edit by hand. "
        f"Regenerate with `{REGENERATE}`. -->",
        "",
        "Every exchange between a test and a Claude API host is checked against these rules, whether it "
        "goes to the live API or is replayed from a cassette. A violation names its rule id; accept a "
        "rule for one test with `@pytest.mark.claude_contract(allow=[...])` "
        "(see [Configuration](configuration.md)). "
        "The same pages are printed by `pytest-claude-contract rules` and `pytest-claude-contract rules "
        "RULE_ID`.",
        "",
        "Each example below is run through the plugin's checks when this page is generated, and the "
        "message shown is the one the plugin prints for it (the model lifecycle rules as of "
        f"{EXAMPLE_DAY}). A rule marked *warning* is reported but fails no test, and `lint` exits 0 on "
        "warnings alone.",
        "",
        *_table(
            ["Rule", "Checks", "What it checks"],
            [[f"[`{r.id}`](#{r.id})", _checks(r), r.summary] for r in RULES],
        ),
        "",
        "## The rules",
        "",
    ]
    for rule in RULES:
        lines += [*rule_markdown(rule), ""]
    lines += [
        "## Endpoints and limits",
        "",
        "Which endpoint a request goes to decides its body type, its size limit (`body-too-large`) and "
        "whether it needs `anthropic-version` (`version-missing`). A path segment written `{id}` matches "
        "any one segment.",
        "",
        *_table(
            _ENDPOINT_COLUMNS,
            _endpoint_rows(DEFAULT_ENDPOINTS),
        ),
        "",
        "Sizes are decimal (1 MB = 1,000,000 bytes), measured on the body as sent. A request to a path "
        "not listed here is held to the Messages limit, and a body it sends must be `application/json` or "
        "`multipart/form-data`; whether that body is valid JSON is not checked. An endpoint whose response "
        "body is binary is not held to the JSON content type when it succeeds; a JSON Lines body (Message "
        "Batches results, which the SDK reads as a stream) is checked line by line against its response "
        "model, and its content type is not checked. Key: the Admin API takes an admin key, every other "
        "endpoint a standard API key (`auth-key-kind`). Beta required: the name `anthropic-beta` must "
        "list (`beta-required`). Files and Skills are generally available since 2026-08-19 and need no "
        "beta header any more (the SDK 2.17's `client.files` and `client.skills` send none); the names "
        "their betas had, `files-api-2025-04-14` and `skills-2025-10-02`, are still accepted.",
        "",
        *_lifecycle_lines(contract),
        "",
        _response_headers_text(contract),
        "",
        "## Body models",
        "",
        "A JSON request body is checked against its endpoint's request model (`request-schema`), and a "
        "successful JSON response against its response model (`response-schema`; event streams are not "
        'checked here). A body must have each required field with its documented type (strictly: `"64"` '
        "is not an integer); unknown extra fields are accepted everywhere, and so are values the API may "
        "add within a version (a new `stop_reason`, content block `type` or `processing_status`). The "
        "`error` model documents the error body, which `error-shape` and `error-status` check.",
        "",
        *_table(["Model", "Required fields", "Optional fields checked", "What it is"], _body_model_rows()),
        "",
        "## Profiles",
        "",
        "A profile holds what one `anthropic-version` value accepts; the request's `anthropic-version` "
        f"header selects it. A request with no version, or one with no profile, is judged by the "
        f"`{contract.fallback_version}` profile."
        + (
            " Every profile lists the endpoints above."
            if all(p.endpoints == DEFAULT_ENDPOINTS for p in contract.profiles.values())
            else ""
        ),
        "",
        *_table(
            ["Version", "Status", "Accepted auth", "Notes", "Body rules (`version-body`)"],
            [
                [f"`{p.version}`", p.status, _auth_text(p.auth), p.notes or "-", _version_body_text(p)]
                for p in contract.profiles.values()
            ],
        ),
        "",
        "Body rules apply to the Messages-shaped parameters of Messages, Token Counting and each Message "
        "Batches request, and only when the request declares that version: a request with no "
        "`anthropic-version` is `version-missing`, not judged against the fallback profile's body rules.",
        "",
        "## Platforms",
        "",
        "A request is judged by the platform its host selects (the first pattern that matches; "
        "`hosts={host: platform}` selects one for any host), and within it by the profile of the API "
        "version it sends, changed where the platform differs. A Claude host no pattern matches is "
        f"judged as `{contract.default_platform}`. See [Platforms](platforms.md).",
        "",
        *_table(
            [
                "Platform",
                "Hosts",
                "Version",
                "Accepted auth",
                "Required response headers",
                "Endpoints",
                "Credentials fetched at (live, never recorded)",
                "Source",
            ],
            _platform_rows(contract),
        ),
        "",
        *_platform_endpoints(contract),
        "## Error types by status",
        "",
        "An error response (status >= 400) must carry an `error.type` that belongs to its status "
        "(`error-status`). "
        + (
            "Every shipped profile uses this table:"
            if all(p.error_types == fallback.error_types for p in contract.profiles.values())
            else f"The `{fallback.version}` profile uses this table:"
        ),
        "",
        *_table(
            ["Status", "Accepted `error.type`"],
            [
                [str(status), _types(fallback.expected_error_types(status))]
                for status in sorted(fallback.error_types)
            ]
            + [
                ["other 4xx", _accepted(fallback, 400)],
                ["other 5xx", _accepted(fallback, 500)],
            ],
        ),
        "",
        _fallback_sentence(fallback),
    ]
    return "\n".join(lines) + "\n"
