"""`pytest-claude-contract lint`: check committed cassettes without running the tests.

Every recorded exchange with a Claude host goes through the same checks as the plugin's, and every
interaction (any host) is searched for credentials (rule `secret-in-cassette`). Cassettes are read as
they exist in the wild: vcrpy's YAML and JSON serializers, gzip-compressed files, `!!binary` gzip
bodies, pydantic-ai's `parsed_body`, cassetter's typed bodies, header names in any case.

A header a recorder filtered out cannot be told from one the client never sent. Findings about an
absent header are therefore reported at the non-failing level "not recorded" when the cassette itself
shows the header was sent, or that its recorder removed headers (see `NOT_RECORDED_LEGEND`); with
`assume_recorded` the cassette is taken to hold every header and they are violations.

A report never shows a secret: only its first 10 characters and where it is.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, overload
from urllib.parse import parse_qsl, urlsplit

import yaml

from ..cassette.cache_files import replace_atomically
from ..cassette.formats import (
    CASSETTE_SUFFIXES,
    CassetteDocument,
    _body_string,
    document_interactions,
    existing_cassette_document,
    interaction_lines,
    raw_interactions,
)
from ..cassette.model import CassetteError
from ..cassette.scrub import REDACTED
from ..cassette.secret_search import search
from ..contract.credentials import KEY_PATTERN, SECRET_HEADERS, is_credential_param, secret_of
from ..contract.exchange import (
    BROTLI_FIX,
    CapturedResponse,
    Exchange,
    body_bytes,
    host_and_address,
    host_listed,
    lower_headers,
    undecodable,
)
from ..contract.limits import LimitExceeded, decoded_limit, inflate
from ..contract.redaction import redact, redact_data, shown_secret
from ..contract.verdicts import ABSENCE_RULES, unrecorded_reason
from ..plugin.options import DEFAULT_HOSTS

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import date

    from ..cassette.model import Interaction
    from ..contract.models import Contract

# How a finding counts: the checks' levels (contract.checks.Level: "violation", "recorded before",
# "not recorded"), and "warning": a rule of severity warning (model-deprecated), shown, but lint exits
# 0 on warnings alone.
Level = Literal["violation", "warning", "recorded before", "not recorded"]


@dataclass(frozen=True)
class LintRule:
    """A rule only `lint` checks (same fields as the catalogue's rules that matter in a report)."""

    id: str
    summary: str
    hint: str


SECRET_RULE = LintRule(
    id="secret-in-cassette",
    summary="The cassette holds something credential-shaped: an `sk-ant-...` key anywhere, or a "
    "non-placeholder value of a credential header (`x-api-key`, `authorization`, `proxy-authorization`, "
    "`api-key`) or URL query parameter, on either side of any interaction.",
    hint="Revoke the key, then run `pytest-claude-contract lint --fix-secrets PATH` to replace it by "
    f"`{REDACTED}`, and filter credential headers when recording.",
)
BODY_RULE = LintRule(
    id="body-not-decodable",
    summary="A body is stored with `content-encoding: br` and cannot be decoded here because the "
    "`brotli` package is not installed: it was searched for neither secrets nor the contract.",
    hint=f"`{BROTLI_FIX}`, then lint again.",
)
LINT_RULES = (SECRET_RULE, BODY_RULE)
# Rules that read the response body: not run on a body that could not be decoded.
_BODY_RULES = frozenset({"error-shape", "error-status", "stream-order", "stream-event", "response-schema"})

NOT_RECORDED_LEGEND = (
    "not recorded: the cassette lacks a header the contract asks for, but it shows that the header "
    "was sent or that its recorder removed headers, so the client is not blamed. Credentials count as "
    "sent when the API answered anything but 401 (it checks them first); `anthropic-version` when it "
    "answered 2xx (it refuses requests without one). Request headers count as filtered when the "
    "request has no headers or no `user-agent` (every HTTP client sends one); response headers when "
    "the response has no headers or neither `request-id` nor any `anthropic-*` header (the API sends "
    "`request-id` on every answer). These findings do not fail; --assume-recorded says the cassette "
    "holds every header sent and makes them violations."
)
RECORDED_BEFORE_LEGEND = (
    "recorded before: the answer lacks a header the API did not send yet on the day it was recorded "
    "(the cassette's `recorded_at`, else the answer's `Date` header); the contract gives each such "
    "header the day the API started sending it, with its source. These findings do not fail; "
    "re-record the cassette to check the header."
)
LEGENDS: dict[str, str] = {"not recorded": NOT_RECORDED_LEGEND, "recorded before": RECORDED_BEFORE_LEGEND}

# Placeholders recorders write instead of a credential (crewAI `X-API-KEY-XXX`, vcrpy filters, ours).
_PLACEHOLDER_MARKS = (
    "redact",
    "filter",
    "xxx",
    "***",
    "placeholder",
    "dummy",
    "fake",
    "mock",
    "test",
    "example",
    "scrubbed",
    "masked",
    "removed",
    "hidden",
    "<",
    "${",
    "your",
)
# A key-shaped value is a placeholder only when it says so: a real key may contain any short word.
_KEY_PLACEHOLDER_MARKS = ("xxxx", "redacted", "placeholder", "your", "<")


def is_placeholder(value: str) -> bool:
    """A credential header or parameter value that is not a real credential."""
    text = value.strip()
    low = text.lower()
    if KEY_PATTERN.search(text):
        return is_key_placeholder(text)
    return len(text) < 16 or len(set(text)) <= 4 or any(mark in low for mark in _PLACEHOLDER_MARKS)


def is_key_placeholder(key: str) -> bool:
    low = key.lower()
    tail = key.rsplit("-", 1)[-1]
    return any(mark in low for mark in _KEY_PLACEHOLDER_MARKS) or len(set(tail)) <= 3


# ---------------------------------------------------------------- findings


@dataclass(frozen=True)
class Finding:
    rule: str
    level: Level
    message: str
    hint: str
    interaction: int | None  # position in the cassette, from 1; None: outside any interaction
    target: str  # method and URL (credentials in the query not shown), or ""
    line: int | None


@dataclass
class FileResult:
    path: Path
    interactions: int = 0
    checked: int = 0  # interactions with a Claude host
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    error_line: int | None = None
    fixed: int = 0  # secrets replaced by --fix-secrets
    unfixed: int = 0
    allowed: int = 0  # findings of the rules --allow names, left out
    notes: list[tuple[str, int | None]] = field(default_factory=list)  # (how the file was read, line)
    # The credentials found in the file: every report cuts them wherever they are quoted.
    secrets: list[str] = field(default_factory=list, repr=False)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "violation"]

    @property
    def not_recorded(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "not recorded"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    @property
    def recorded_before(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "recorded before"]


@dataclass
class LintResult:
    files: list[FileResult]
    skipped: list[Path]  # files found by walking a folder that are not cassettes
    hosts: frozenset[str] = frozenset()  # the Claude hosts checked

    @property
    def exit_code(self) -> int:
        if any(f.error for f in self.files):
            return 2
        if any(f.violations for f in self.files):
            return 1
        return 2 if self.no_claude_exchange else 0

    @property
    def no_claude_exchange(self) -> bool:
        """Nothing was checked against the contract: every cassette read (or none found), none with a
        Claude host."""
        return not any(f.error or f.checked for f in self.files)


@dataclass(frozen=True)
class _Secret:
    value: str
    where: str
    interaction: int | None
    line: int | None


# ---------------------------------------------------------------- finding secrets


def _header_items(headers: Any) -> list[tuple[str, str]]:
    """(name, value) per recorded value, in order; None values left out."""
    if not isinstance(headers, dict):
        return []
    items: list[tuple[str, str]] = []
    for name, values in headers.items():
        # A name with one string value is nearly every header of every cassette: no conversions.
        if (
            name.__class__ is str
            and values.__class__ is list
            and len(values) == 1
            and values[0].__class__ is str
        ):
            items.append((name, values[0]))
            continue
        for value in values if isinstance(values, list) else [values]:
            if value is not None:
                items.append((str(name), value.decode("latin-1") if isinstance(value, bytes) else str(value)))
    return items


class _Side(NamedTuple):
    """One side of an interaction as the secret scan and the encoding check read it; its headers
    are listed once for both."""

    name: str  # "request" or "response"
    data: dict[str, Any]
    headers: list[tuple[str, str]]
    lower_names: list[str]  # each header's name lower-cased, in the order of `headers`
    encoding: str | None  # content-encoding


def _sides(raw: Any) -> list[_Side]:
    sides = []
    for side_name in ("request", "response"):
        side = raw.get(side_name) if isinstance(raw, dict) else None
        if not isinstance(side, dict):
            continue
        headers = _header_items(side.get("headers"))
        lower_names = list(map(str.lower, map(itemgetter(0), headers)))
        encoding = None
        if "content-encoding" in lower_names:
            named = [
                item for item, lower in zip(headers, lower_names, strict=True) if lower == "content-encoding"
            ]
            encoding = lower_headers(dict(named)).get("content-encoding")
        sides.append(_Side(side_name, side, headers, lower_names, encoding))
    return sides


def _secrets_in(sides: list[_Side], position: int, line: int | None) -> Iterator[_Secret]:
    tokens: list[str] = []  # credential header values: searched for in the bodies too
    for side_name, side, headers, lower_names, encoding in sides:
        # One search over every value at once ("\n" is in no key); a step per value only after a hit.
        keys_possible = bool(search("\n".join(map(itemgetter(1), headers))))
        if keys_possible or not SECRET_HEADERS.isdisjoint(lower_names):
            for (name, value), lower in zip(headers, lower_names, strict=True):
                if lower in SECRET_HEADERS:
                    where = f"{side_name} header `{name}`"
                    token = secret_of(value)
                    if token and not is_placeholder(token):
                        tokens.append(token)
                        yield _Secret(token, where, position, line)
                        continue
                    yield from _keys(value, where, position, line)
                elif keys_possible:
                    yield from _keys(value, f"{side_name} header `{name}`", position, line)
        if side_name == "request" and "uri" in side:
            uri = str(side["uri"])
            if "?" in uri:  # else there is no query
                for name, value in parse_qsl(urlsplit(uri).query, keep_blank_values=True):
                    if value and is_credential_param(name, value) and not is_placeholder(value):
                        yield _Secret(value, f"URL query parameter `{name}`", position, line)
            yield from _keys(uri, "request URL", position, line)
        content_type = next(
            (v for (_, v), lower in zip(headers, lower_names, strict=True) if lower == "content-type"), None
        )
        try:
            if "parsed_body" in side:
                body: str | bytes = json.dumps(side["parsed_body"], ensure_ascii=False)
            else:
                stored = _body_string(side.get("body"))
                body = stored if stored.__class__ is str and encoding is None else body_bytes(stored)
        except (TypeError, ValueError):
            continue
        for found in search(body, tokens, content_encoding=encoding, content_type=content_type):
            if not is_key_placeholder(found.value):
                where = f"{side_name} body" + (f" ({found.how})" if found.how else "")
                yield _Secret(found.value, where, position, line)


def _undecodable_sides(sides: list[_Side]) -> list[str]:
    """The sides of an interaction whose body is br-encoded with no brotli to decode it."""
    found = []
    for side in sides:
        if side.encoding is None:  # only a br body can be left undecoded
            continue
        try:
            body = body_bytes(_body_string(side.data.get("body")))
        except (TypeError, ValueError):
            continue
        if undecodable(body, side.encoding):
            found.append(side.name)
    return found


def _keys(text: str, where: str, position: int | None, line: int | None) -> Iterator[_Secret]:
    """Credentials in a header value or URL, as written or encoded (`secret_search`)."""
    for found in search(text):
        if not is_key_placeholder(found.value):
            shown = f"{where} ({found.how})" if found.how else where
            yield _Secret(found.value, shown, position, line)


def _literal_keys(text: str, where: str, position: int | None, line: int | None) -> Iterator[_Secret]:
    if "sk-ant-" not in text:
        return
    for match in KEY_PATTERN.finditer(text):
        if not is_key_placeholder(match.group(0)):
            yield _Secret(match.group(0), where, position, line)


class InteractionLines(Sequence[int | None]):
    """The line each interaction starts at, found only when a finding needs one: composing the YAML
    again to find them costs almost as much as parsing it, and a clean cassette needs none."""

    def __init__(self, text: str, count: int) -> None:
        self._text = text
        self._count = count
        self._lines: list[int | None] | None = None

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> int | None: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[int | None]: ...
    def __getitem__(self, index: int | slice) -> int | Sequence[int | None] | None:
        if self._lines is None:
            self._lines = interaction_lines(self._text, self._count)
        return self._lines[index]


def find_secrets(
    document: CassetteDocument, lines: Sequence[int | None], sides: Sequence[list[_Side]] | None = None
) -> list[_Secret]:
    """Every credential in the cassette: per interaction, then anywhere else in the text (comments,
    other fields), each value once per place. `sides`: each interaction's, when already read."""
    found: list[_Secret] = []
    seen: set[tuple[str, str, int | None]] = set()
    if sides is None:
        sides = [_sides(raw) for raw in raw_interactions(document)]
    for position, interaction_sides in enumerate(sides, 1):
        for secret in _secrets_in(interaction_sides, position, None):
            if (secret.value, secret.where, position) not in seen:
                seen.add((secret.value, secret.where, position))
                line = lines[position - 1] if position - 1 < len(lines) else None  # only when found
                found.append(replace(secret, line=line))
    known = {s.value for s in found}
    if "sk-ant-" not in document.text:  # one scan of the text before a step per line
        return found
    for number, row in enumerate(document.text.splitlines(), 1):
        if "sk-ant-" not in row:  # most lines: no generator, no label
            continue
        for secret in _literal_keys(row, f"line {number}", None, number):
            if secret.value not in known:
                known.add(secret.value)
                found.append(secret)
    return found


# ---------------------------------------------------------------- contract checks


def _names(headers: Any) -> set[str]:
    return {name.lower() for name, _ in _header_items(headers)}


def _check(
    interaction: Interaction,
    raw: Any,
    position: int,
    lines: Sequence[int | None],
    *,
    contract: Contract,
    assume_recorded: bool,
    today: date,
) -> Iterator[Finding]:
    from ..contract.checks import check_exchange, recording_day

    recorded = interaction.response
    status = int(recorded["status"]["code"])
    response = CapturedResponse(status, lower_headers(recorded["headers"]), recorded["body"]["string"])
    exchange = Exchange(interaction.request, response, "replayed", position, interaction.recorded_at)
    target = interaction.request.target
    # Still br-encoded when loaded: brotli is missing (reported as body-not-decodable by lint_document).
    encoded = response.headers.get("content-encoding", "").strip().lower() == "br"
    # Model lifecycle: judged as of today, saying what the status was when the cassette was recorded.
    for violation in check_exchange(
        exchange, contract, today=today, recorded_on=recording_day(exchange), notes=True
    ):
        if encoded and violation.rule in _BODY_RULES:
            continue
        line = lines[position - 1]  # only for a finding: finding the lines costs a second parse
        if violation.level != "violation":  # the checks' own verdict on the recording (its date)
            yield Finding(
                violation.rule, violation.level, violation.message, violation.hint, position, target, line
            )
            continue
        reason = None
        if not assume_recorded and violation.rule in ABSENCE_RULES:
            request_names = _names(raw["request"].get("headers"))
            response_names = _names(raw["response"].get("headers"))
            reason = unrecorded_reason(violation.rule, request_names, response_names, status)
        if reason is None:
            level: Level = "warning" if violation.severity == "warning" else "violation"
            yield Finding(violation.rule, level, violation.message, violation.hint, position, target, line)
        else:
            message = f"{violation.message} ({reason})"
            yield Finding(violation.rule, "not recorded", message, violation.hint, position, target, line)


def lint_document(
    document: CassetteDocument,
    *,
    hosts: frozenset[str],
    contract: Contract,
    assume_recorded: bool = False,
    today: date | None = None,
) -> FileResult:
    """Every finding in one read cassette. Raises CassetteError when it is not one. `today`: the day
    the model lifecycle rules judge by (default: today)."""
    result = FileResult(document.path)
    if document.source_format is not None:
        result.notes.append((f"read as {document.source_format}", 1))
    if document.python_tag is not None:
        tag, tag_line = document.python_tag
        result.notes.append(
            (
                f"valid YAML with a Python tag (`{tag}`, line {tag_line}): read without running code, "
                "the tagged values as plain strings",
                tag_line,
            )
        )
    raws = raw_interactions(document)
    interactions = document_interactions(document)
    lines = InteractionLines(document.text, len(raws))
    result.interactions = len(interactions)
    targets = {position: i.request.target for position, i in enumerate(interactions, 1)}
    sides = [_sides(raw) for raw in raws]
    secrets = find_secrets(document, lines, sides)
    result.secrets = [secret.value for secret in secrets]
    for secret in secrets:
        message = f"{secret.where} holds a credential ({shown_secret(secret.value)})"
        target = targets.get(secret.interaction or 0, "")
        result.findings.append(
            Finding(
                SECRET_RULE.id,
                "violation",
                message,
                SECRET_RULE.hint,
                secret.interaction,
                target,
                secret.line,
            )
        )
    for position, interaction_sides in enumerate(sides, 1):
        for side in _undecodable_sides(interaction_sides):
            line = lines[position - 1]
            message = (
                f"the {side} body is `content-encoding: br` and the brotli package is not installed: "
                "it was not decoded, so neither secrets nor the contract were checked in it"
            )
            finding = Finding(
                BODY_RULE.id, "violation", message, BODY_RULE.hint, position, targets[position], line
            )
            result.findings.append(finding)
    for position, (interaction, raw) in enumerate(zip(interactions, raws, strict=True), 1):
        name, address = host_and_address(interaction.request.url)
        if not host_listed(hosts, name, address) and contract.platform_serving(name) is None:
            continue  # not a Claude host: neither listed nor one of a platform's
        result.checked += 1
        result.findings.extend(
            _check(
                interaction,
                raw,
                position,
                lines,
                contract=contract,
                assume_recorded=assume_recorded,
                today=today or _judging_day(),
            )
        )
    result.findings.sort(key=lambda f: (f.interaction or 0, f.level != "violation"))
    return result


# ---------------------------------------------------------------- fixing secrets


def _replace_all(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def _replace_bytes(data: bytes, secrets: Sequence[str]) -> bytes:
    if data[:2] == b"\x1f\x8b":
        try:
            inner = inflate(data, 16 + zlib.MAX_WBITS, decoded_limit())
        except (zlib.error, LimitExceeded):  # the scan read it with the same cap, or reported it
            return data
        fixed = _replace_bytes(inner, secrets)
        return data if fixed == inner else gzip.compress(fixed, mtime=0)
    for secret in secrets:
        data = data.replace(secret.encode(), REDACTED.encode())
    return data


def _scalars(node: yaml.Node) -> Iterator[yaml.ScalarNode]:
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(key)
            yield from _scalars(value)


_BINARY_TAG = "tag:yaml.org,2002:binary"


def _binary_scalar(span: str, data: bytes) -> str:
    """`!!binary` scalar text for `data`, laid out like the one it replaces (block or inline)."""
    encoded = base64.b64encode(data).decode("ascii")
    rows = span.split("\n")
    if len(rows) > 1 and rows[1].strip():
        indent = rows[1][: len(rows[1]) - len(rows[1].lstrip())]
        chunks = [encoded[i : i + 76] for i in range(0, len(encoded), 76)] or [""]
        text = rows[0].rstrip() + "\n" + "\n".join(indent + chunk for chunk in chunks)
        return text + "\n" if span.endswith("\n") else text
    return f'!!binary "{encoded}"'


def _fixed_yaml(text: str, secrets: Sequence[str]) -> str:
    """Secret values replaced at the text level (formatting kept); what that cannot reach (`!!binary`
    bodies, escaped or folded strings) re-encoded scalar by scalar."""
    text = _replace_all(text, secrets)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return text
    if root is None:
        return text
    edits: list[tuple[int, int, str]] = []
    for node in _scalars(root):
        start, end = node.start_mark.index, node.end_mark.index
        if node.tag == _BINARY_TAG:
            try:
                data = base64.decodebytes(node.value.encode("ascii"))
            except (binascii.Error, UnicodeEncodeError):
                continue
            fixed = _replace_bytes(data, secrets)
            if fixed != data:
                edits.append((start, end, _binary_scalar(text[start:end], fixed)))
        elif any(secret in node.value for secret in secrets):
            edits.append((start, end, json.dumps(_replace_all(node.value, secrets), ensure_ascii=False)))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _fixed_json(text: str, secrets: Sequence[str]) -> str:
    fixed = _replace_all(text, secrets)
    if not any(secret in json.dumps(json.loads(fixed)) for secret in secrets):
        return fixed

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return _replace_all(value, secrets)
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        return value

    return json.dumps(scrub(json.loads(fixed)), indent=4) + "\n"  # vcrpy's JSON layout


# ---------------------------------------------------------------- content-length after a fix


def _stored_lengths(data: Any) -> dict[tuple[int, str], int]:
    """(interaction, side) -> the length of the body as stored, which is what vcrpy replays."""
    lengths: dict[tuple[int, str], int] = {}
    interactions = data.get("interactions") if isinstance(data, dict) else None
    for position, raw in enumerate(interactions if isinstance(interactions, list) else []):
        for side_name in ("request", "response"):
            side = raw.get(side_name) if isinstance(raw, dict) else None
            if not isinstance(side, dict) or "parsed_body" in side:
                continue
            try:
                lengths[position, side_name] = len(body_bytes(_body_string(side.get("body"))))
            except (TypeError, ValueError):
                continue
    return lengths


def _length_changes(before: Any, after: Any) -> dict[tuple[int, str], int]:
    """By how many bytes the fix changed each stored body (only those it changed)."""
    old, new = _stored_lengths(before), _stored_lengths(after)
    return {key: new[key] - length for key, length in old.items() if key in new and new[key] != length}


def _shifted(value: str, delta: int) -> str | None:
    text = value.strip()
    return str(int(text) + delta) if text.isascii() and text.isdigit() else None


def _fixed_lengths_yaml(before: Any, text: str) -> str:
    """`content-length` moved by as many bytes as the fix changed its body, edited in the text (the
    rest of the file as it was), so that vcrpy replays a length that matches the body."""
    try:
        after = yaml.load(text, Loader=yaml.SafeLoader)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return text
    changes = _length_changes(before, after)
    if not changes or not isinstance(root, yaml.MappingNode):
        return text
    edits: list[tuple[int, int, str]] = []
    interactions = _child(root, "interactions")
    for (position, side_name), delta in changes.items():
        if not isinstance(interactions, yaml.SequenceNode) or position >= len(interactions.value):
            continue
        headers = _child(_child(interactions.value[position], side_name), "headers")
        if not isinstance(headers, yaml.MappingNode):
            continue
        for key, value in headers.value:
            if str(getattr(key, "value", "")).lower() != "content-length":
                continue
            for scalar in _scalars(value):
                shifted = _shifted(str(scalar.value), delta)
                if shifted is not None:
                    quote = scalar.style if scalar.style in ("'", '"') else ""
                    edits.append((scalar.start_mark.index, scalar.end_mark.index, f"{quote}{shifted}{quote}"))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _child(node: yaml.Node | None, name: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((value for key, value in node.value if getattr(key, "value", None) == name), None)


def _fixed_lengths_json(before: Any, text: str) -> str:
    """The same for vcrpy's JSON serializer (rewritten in its layout when a length changes)."""
    after = json.loads(text)
    updated = False
    for (position, side_name), delta in _length_changes(before, after).items():
        headers = after["interactions"][position][side_name].get("headers")
        for name, values in (headers or {}).items():
            if name.lower() != "content-length":
                continue
            listed = values if isinstance(values, list) else [values]
            shifted = [_shifted(str(v), delta) or v for v in listed]
            headers[name] = shifted if isinstance(values, list) else shifted[0]
            updated = True
    return json.dumps(after, indent=4) + "\n" if updated else text


def fix_secrets(document: CassetteDocument, secrets: Iterable[str]) -> bool:
    """Rewrite the cassette with every value in `secrets` replaced by the placeholder; True if written."""
    ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
    if not ordered:
        return False
    if document.serializer == "json":
        text = _fixed_lengths_json(document.data, _fixed_json(document.text, ordered))
    elif document.serializer == "toml":
        text = _replace_all(document.text, ordered)  # plain strings; binary bodies are hex
    else:
        text = _fixed_lengths_yaml(document.data, _fixed_yaml(document.text, ordered))
    if text == document.text:
        return False
    data = text.encode("utf-8")
    written = gzip.compress(data, mtime=0) if document.compressed else data
    replace_atomically(document.path, lambda handle: handle.write(written), durable=True)
    return True


# ---------------------------------------------------------------- running


def cassette_files(paths: Sequence[Path]) -> tuple[list[tuple[Path, bool]], list[Path]]:
    """(file, named on the command line) for every cassette to read, and the paths that do not exist."""
    found: list[tuple[Path, bool]] = []
    missing: list[Path] = []
    for path in paths:
        if path.is_dir():
            walked = (
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.name.lower().endswith(CASSETTE_SUFFIXES)
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            found.extend((p, False) for p in sorted(walked))
        elif path.is_file():
            found.append((path, True))
        else:
            missing.append(path)
    return found, missing


def lint_paths(
    paths: Sequence[Path],
    *,
    hosts: Iterable[str] = (),
    assume_recorded: bool = False,
    fix: bool = False,
    today: date | None = None,
    allow: frozenset[str] = frozenset(),
) -> LintResult:
    """Lint cassettes; `today` is the day the model lifecycle rules judge by (default: today);
    `allow`: rule ids whose findings are left out (counted), as the marker's `allow=`."""
    from ..contract.models import DEFAULT_CONTRACT

    today = today or _judging_day()
    # HOST or HOST=PLATFORM (validated by the CLI): the platform a listed host is judged by.
    given = [h.lower().partition("=") for h in hosts]
    host_set = frozenset((*DEFAULT_HOSTS, *(host for host, _, _ in given)))
    contract = DEFAULT_CONTRACT.with_host_platforms({host: name for host, _, name in given if name})
    files, missing = cassette_files(paths)
    result = LintResult([], [], host_set)
    for path in missing:
        result.files.append(FileResult(path, error=f"{path}: no such file or folder"))
    for path, named in files:
        try:
            document = cassette_to_read(path, named)
            if document is None:
                result.skipped.append(path)
                continue
            checked = lint_document(
                document,
                hosts=host_set,
                contract=contract,
                assume_recorded=assume_recorded,
                today=today,
            )
            if fix:
                checked = _fix(document, checked, host_set, contract, assume=assume_recorded, today=today)
            if allow:
                kept = [f for f in checked.findings if f.rule not in allow]
                checked.allowed, checked.findings = len(checked.findings) - len(kept), kept
        except CassetteError as exc:
            result.files.append(FileResult(path, error=str(exc), error_line=exc.line))
            continue
        except LimitExceeded as exc:  # a body the scan for secrets would inflate past the limit
            result.files.append(FileResult(path, error=f"{path}: {exc}", error_line=exc.line))
            continue
        result.files.append(checked)
    return result


def _judging_day() -> date:
    from ..contract.checks import judging_day  # the one "today" (the project's tests fix it there)

    return judging_day()


def cassette_to_read(path: Path, named: bool) -> CassetteDocument | None:
    """A file as lint and migrate read it: None for one found in a folder (not `named` on the
    command line) that holds no `interactions`, which is skipped, not refused. Raises CassetteError."""
    document = existing_cassette_document(path)
    data = document.data
    return document if named or (isinstance(data, dict) and "interactions" in data) else None


def _fix(
    document: CassetteDocument,
    checked: FileResult,
    hosts: frozenset[str],
    contract: Contract,
    *,
    assume: bool,
    today: date,
) -> FileResult:
    lines = InteractionLines(document.text, len(raw_interactions(document)))
    secrets = find_secrets(document, lines)
    if not secrets or not fix_secrets(document, [s.value for s in secrets]):
        checked.unfixed = len(secrets)
        return checked
    again = existing_cassette_document(document.path)  # as written: what is left in it
    rechecked = lint_document(again, hosts=hosts, contract=contract, assume_recorded=assume, today=today)
    left = sum(1 for f in rechecked.findings if f.rule == SECRET_RULE.id)
    rechecked.fixed = len(secrets) - left
    rechecked.unfixed = left
    return rechecked


# ---------------------------------------------------------------- reports


def _counts(result: LintResult) -> dict[str, int]:
    files = result.files
    return {
        "files": len(files),
        "interactions": sum(f.interactions for f in files),
        "checked": sum(f.checked for f in files),
        "violations": sum(len(f.violations) for f in files),
        "warnings": sum(len(f.warnings) for f in files),
        "files_with_violations": sum(1 for f in files if f.violations),
        "not_recorded": sum(len(f.not_recorded) for f in files),
        "recorded_before": sum(len(f.recorded_before) for f in files),
        "unreadable": sum(1 for f in files if f.error),
        "fixed": sum(f.fixed for f in files),
        "allowed": sum(f.allowed for f in files),
        "skipped": len(result.skipped),
    }


def summary_line(result: LintResult) -> str:
    c = _counts(result)
    text = (
        f"{c['files']} cassette{'s' if c['files'] != 1 else ''} ({c['interactions']} interactions, "
        f"{c['checked']} with a Claude host): {c['violations']} violation{'s' if c['violations'] != 1 else ''} "
        f"in {c['files_with_violations']} file{'s' if c['files_with_violations'] != 1 else ''}, "
        f"{c['not_recorded']} not recorded, "
        + (f"{c['recorded_before']} recorded before the header existed, " if c["recorded_before"] else "")
        + f"{c['unreadable']} unreadable"
    )
    if c["warnings"]:
        text += f", {c['warnings']} warning{'s' if c['warnings'] != 1 else ''} (not failing)"
    if c["fixed"]:
        text += f", {c['fixed']} secret{'s' if c['fixed'] != 1 else ''} replaced"
    if c["allowed"]:
        text += f", {c['allowed']} allowed (--allow)"
    if c["skipped"]:
        text += f"; {c['skipped']} file{'s' if c['skipped'] != 1 else ''} skipped (not cassettes)"
    return text


def _no_claude_exchange(result: LintResult) -> str:
    from ..contract.report import no_claude_exchange

    files, interactions = len(result.files), sum(f.interactions for f in result.files)
    where = f"{files} cassette{'s' if files != 1 else ''} ({interactions} interaction{'s' if interactions != 1 else ''})"
    return no_claude_exchange(where, result.hosts)


def text_report(result: LintResult) -> str:
    lines: list[str] = []
    levels = {f.level for file in result.files for f in file.findings}
    width = max([len("not recorded"), *(len(level) for level in levels if level != "violation")])
    for file in result.files:
        if file.error:
            lines += [f"{file.path}: unreadable", f"  {file.error}", ""]
            continue
        head = f"{file.path}: {file.interactions} interactions, {file.checked} with a Claude host"
        if file.fixed:
            head += f"; {file.fixed} secret{'s' if file.fixed != 1 else ''} replaced by {REDACTED}"
        notes = [f"  note: {note}" for note, _ in file.notes]
        if not file.findings:
            lines += [f"{head}: {'ok' if file.checked else 'nothing checked'}", *notes, ""]
            continue
        lines += [head, *notes]
        current: int | None = -1
        for finding in file.findings:
            if finding.interaction != current:
                current = finding.interaction
                if current is None:
                    lines.append(f"  outside the interactions (line {finding.line})")
                else:
                    at = f" (line {finding.line})" if finding.line else ""
                    lines.append(f"  #{current} {finding.target}{at}")
            label = {"violation": "FAIL", "warning": "WARN"}.get(finding.level, finding.level)
            lines.append(f"    {label:<{width}}  [{finding.rule}] {finding.message}")
            if finding.level in ("violation", "warning"):
                lines.append(f"    {'':<{width}}  fix: {finding.hint}")
        lines.append("")
    lines.append(summary_line(result))
    if result.no_claude_exchange:
        lines.append(_no_claude_exchange(result))
    lines += [part for level, legend in LEGENDS.items() if level in levels for part in ("", legend)]
    return redact("\n".join(lines), _secrets(result)) + "\n"


def _secrets(result: LintResult) -> list[str]:
    return [secret for file in result.files for secret in file.secrets]


def json_report(result: LintResult) -> str:
    files = []
    for file in result.files:
        files.append(
            {
                "path": str(file.path),
                "interactions": file.interactions,
                "checked": file.checked,
                "error": file.error,
                "fixed": file.fixed,
                "notes": [{"note": note, "line": line} for note, line in file.notes],
                "findings": [
                    {
                        "rule": f.rule,
                        "level": f.level,
                        "interaction": f.interaction,
                        "target": f.target,
                        "line": f.line,
                        "message": f.message,
                        "hint": f.hint,
                    }
                    for f in file.findings
                ],
            }
        )
    data = {
        "files": files,
        "skipped": [str(p) for p in result.skipped],
        "summary": _counts(result),
        "exit_code": result.exit_code,
        "legend": LEGENDS,
    }
    if result.no_claude_exchange:
        data["error"] = _no_claude_exchange(result)
    # Cut before dumping: a secret with a character JSON escapes would not be found in the dump.
    return json.dumps(redact_data(data, _secrets(result)), indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_report(result: LintResult) -> str:
    """GitHub Actions workflow commands: an error annotation per violation or unreadable file, a notice
    per "not recorded" finding, on the line of the interaction."""
    lines = []
    secrets = _secrets(result)
    for file in result.files:
        # Cut before escaping: an escaped secret would no longer be found.
        path = _escape_property(redact(str(file.path), secrets))
        if file.error:
            at = f",line={file.error_line}" if file.error_line else ""
            error = _escape_data(redact(file.error, secrets))
            lines.append(f"::error file={path}{at},title=unreadable cassette::{error}")
            continue
        for note, line in file.notes:
            at = f",line={line}" if line else ""
            shown = _escape_data(redact(note, secrets))  # a Python tag quotes the file's text
            lines.append(f"::notice file={path}{at},title=how it was read::{shown}")
        for f in file.findings:
            kind = {"violation": "error", "warning": "warning"}.get(f.level, "notice")
            at = f",line={f.line}" if f.line else ""
            where = f"interaction {f.interaction}: {f.target}: " if f.interaction else ""
            title = _escape_property(
                f"{f.rule}" + (f" ({f.level})" if f.level not in ("violation", "warning") else "")
            )
            message = _escape_data(redact(where + f.message, secrets))
            lines.append(f"::{kind} file={path}{at},title={title}::{message}")
    if result.no_claude_exchange:
        message = _escape_data(_no_claude_exchange(result))
        lines.append(f"::error title=no Claude exchange::{message}")
    lines.append(redact(summary_line(result), secrets))
    return "\n".join(lines) + "\n"


REPORTS = {"text": text_report, "json": json_report, "github": github_report}


# ---------------------------------------------------------------- orphans


@dataclass
class OrphanResult:
    """`lint --orphans DIR`: the cassettes under DIR that no test collected in `rootdir` uses."""

    folder: Path
    rootdir: Path
    files: list[Path] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)
    cassette_dir: Path | None = None  # the collected suite's cassette folder
    # pytest-recording tests whose cassette fixtures could not run at collection: named by default.
    unresolved: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def exit_code(self) -> int:
        if self.error:
            return 2
        return 1 if self.orphans else 0

    def _shown(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.folder))
        except ValueError:
            return str(path)

    def text_report(self) -> str:
        if self.error:
            return f"lint --orphans: {self.error}\n"
        lines = [f"  {self._shown(path)}" for path in self.orphans]
        lines.append(
            f"{len(self.orphans)} of {len(self.files)} cassette{'s' if len(self.files) != 1 else ''} under "
            f"{self.folder} {'are' if len(self.orphans) != 1 else 'is'} used by no test collected by "
            f"`pytest --collect-only` in {self.rootdir}."
        )
        if self.cassette_dir is not None and not self.folder.resolve().is_relative_to(
            self.cassette_dir.resolve()
        ):
            lines.append(f"Note: {self.folder} is outside the suite's cassette folder, {self.cassette_dir}.")
        if self.unresolved:
            lines.append(
                f"Note: {len(self.unresolved)} pytest-recording test(s) name their cassette by a fixture "
                "that cannot run at collection (it asks for other fixtures, yields or fails), so "
                "pytest-recording's default name stood in: "
                + ", ".join(self.unresolved[:_LISTED_UNRESOLVED])
                + (", ..." if len(self.unresolved) > _LISTED_UNRESOLVED else "")
            )
        lines.append(
            "A cassette named only in a claude_contract_config fixture is not seen by collection; "
            "delete orphans that are really unused (or re-record the tests that should use them)."
        )
        return "\n".join(lines) + "\n"

    def json_report(self) -> str:
        data = {
            "folder": str(self.folder),
            "rootdir": str(self.rootdir),
            "cassette_dir": None if self.cassette_dir is None else str(self.cassette_dir),
            "cassettes": len(self.files),
            "orphans": [str(path) for path in self.orphans],
            "unresolved": self.unresolved,
            "error": self.error,
            "exit_code": self.exit_code,
        }
        return json.dumps(data, indent=2) + "\n"

    def github_report(self) -> str:
        if self.error:
            return f"::error title=lint --orphans::{_escape_data(self.error)}\n"
        lines = [
            f"::warning file={_escape_property(str(path))},title=orphaned cassette::no collected test uses "
            "this cassette"
            for path in self.orphans
        ]
        lines.append(f"{len(self.orphans)} of {len(self.files)} cassettes under {self.folder} are orphaned")
        return "\n".join(lines) + "\n"


ORPHAN_REPORTS = {
    "text": OrphanResult.text_report,
    "json": OrphanResult.json_report,
    "github": OrphanResult.github_report,
}
_COLLECT_TIMEOUT = 600.0
_LISTED_UNRESOLVED = 5  # tests named in the note; the rest are counted


def find_orphans(folder: Path, rootdir: Path) -> OrphanResult:
    """Collect the suite in `rootdir` (`python -m pytest --collect-only`, in a subprocess, so its
    conftest files and plugins load as in a real run), have the plugin write the cassette paths the
    collected tests use, and list the cassette files under `folder` that none uses."""
    import subprocess
    import sys

    result = OrphanResult(folder, rootdir)
    if not folder.is_dir():
        result.error = f"{folder}: no such folder (give the cassette folder, e.g. --orphans tests/cassettes)"
        return result
    if not rootdir.is_dir():
        result.error = f"--rootdir {rootdir}: no such folder (give the folder you run pytest from)"
        return result
    result.files = [path for path, _ in cassette_files([folder])[0]]
    with tempfile.TemporaryDirectory(prefix="claude-contract-") as scratch:
        out = Path(scratch) / "cassettes.json"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--claude-cassettes-json={out}",
        ]
        try:
            proc = subprocess.run(
                command, cwd=rootdir, capture_output=True, text=True, timeout=_COLLECT_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            result.error = f"collecting the tests in {rootdir} took over {_COLLECT_TIMEOUT:.0f} s"
            return result
        # 5: no tests collected; every cassette is then an orphan.
        if proc.returncode not in (0, 5) or not out.is_file():
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            why = (
                f"exited {proc.returncode}"
                if proc.returncode not in (0, 5)
                else "did not report its cassettes (is pytest-claude-contract installed for this Python?)"
            )
            result.error = (
                f"`{' '.join(command[:5])}` in {rootdir} {why}; fix the collection (or pass --rootdir, "
                f"the folder you run pytest from), then run again:\n{tail}"
            )
            return result
        data = json.loads(out.read_text(encoding="utf-8"))
    result.cassette_dir = Path(data["cassette_dir"])
    result.unresolved = list(data.get("unresolved", []))
    used = {str(Path(path).resolve()) for path in data["cassettes"]}
    result.orphans = [path for path in result.files if str(path.resolve()) not in used]
    return result
