"""`pytest-claude-contract diff OLD NEW`: what changed in the API's answers between two recordings.

Two recordings of the same test never match byte for byte: ids, request ids, dates, token counts,
rate-limit values and the model's own words change every time. What matters in review is whether the
API's answers changed *shape*: a field added or removed, a value of another type, a new header, a new
stop reason or event type. Each answer is reduced to a sketch that keeps exactly that (status,
headers, the body's structure with enum-like strings kept and volatile or free-text values replaced
by markers of the same type), and the sketches are compared with deepdiff.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..cassette.formats import document_interactions, existing_cassette_document
from ..cassette.model import CassetteError
from ..contract.credentials import credentials_in
from ..contract.excerpts import excerpt
from ..contract.exchange import EVENTSTREAM, lower_headers, media_type, parse_json
from ..contract.redaction import redact, redact_data, request_secrets
from ..contract.streams import frame_events, parse_events
from ..plugin.options import DEFAULT_HOSTS

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from ..cassette.model import Interaction
    from ..contract.streams import Event

# Headers whose presence and value both depend on the transport or the moment, not on the API.
IGNORED_HEADERS = frozenset(
    {
        "age",
        "alt-svc",
        "cf-cache-status",
        "cf-ray",
        "connection",
        "content-encoding",
        "content-length",
        "date",
        "expires",
        "keep-alive",
        "server",
        "server-timing",
        "set-cookie",
        "strict-transport-security",
        "transfer-encoding",
        "via",
        "x-cloud-trace-context",
        "x-envoy-upstream-service-time",
        "x-robots-tag",
    }
)
# Headers the API sends whose value changes on every call: their presence is compared, not their value.
VOLATILE_HEADERS = frozenset(
    {
        "request-id",
        "x-request-id",
        "anthropic-organization-id",
        "retry-after",
        # Amazon Bedrock's request id and per-call figures
        "x-amzn-requestid",
        "x-amzn-bedrock-invocation-latency",
        "x-amzn-bedrock-input-token-count",
        "x-amzn-bedrock-output-token-count",
    }
)
VOLATILE_HEADER_PREFIXES = ("anthropic-ratelimit-",)

# Body keys whose string values are ids or free text (the model's words, signatures, citations).
_ID_KEYS = frozenset({"id", "request_id", "tool_use_id", "file_id", "batch_id", "container_id"})
_TEXT_KEYS = frozenset(
    {
        "text",
        "thinking",
        "partial_json",
        "signature",
        "data",
        "message",
        "title",
        "url",
        "cited_text",
        "encrypted_content",
        "encrypted_index",
        "page_age",
        "content",
        "query",
        "stdout",
        "stderr",
    }
)
# Number keys that count tokens or time: their value changes, their type must not.
_VOLATILE_NUMBER_PARENTS = frozenset({"usage", "server_tool_use", "cache_creation", "request_counts"})
_ID_VALUE = re.compile(
    r"^(msg|req|toolu|srvtoolu|mcptoolu|file|msgbatch|batch|container|cntr|org|wrkspc|compact)_[A-Za-z0-9]+$"
    r"|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
_DATE_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}.*)?$")
_ENUM_VALUE = re.compile(r"^[A-Za-z0-9_.:/+-]{1,64}$")

VOLATILE_NOTE = (
    "ignored as volatile: ids (msg_, req_, toolu_, ...), request-id, organization id, dates, "
    "recorded_at, usage numbers, rate-limit values, retry-after, content-length and transport headers, "
    "free text (text, thinking, signatures, citations)"
)


def _sketch_string(value: str, key: str | None) -> str:
    if key in _ID_KEYS or _ID_VALUE.match(value):
        return "<id>"
    if _DATE_VALUE.match(value):
        return "<date>"
    if key in _TEXT_KEYS or not _ENUM_VALUE.match(value):
        return "<text>"
    return value


def sketch(value: Any, key: str | None = None, parent: str | None = None) -> Any:
    """`value` with what changes between recordings replaced, keeping every type and every key."""
    if isinstance(value, dict):
        return {str(k): sketch(v, str(k), key) for k, v in value.items()}
    if isinstance(value, list):
        return [sketch(v, None, key) for v in value]
    if isinstance(value, str):
        return _sketch_string(value, key)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float) and (
        parent in _VOLATILE_NUMBER_PARENTS or (key or "").endswith(("_tokens", "_requests", "_ms"))
    ):
        return type(value)(0)
    return value


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        merged = dict(a)
        for k, v in b.items():
            merged[k] = _merge(a[k], v) if k in a else v
        return merged
    return a


def _stream_sketch(events: list[Event]) -> dict[str, Any]:
    """A stream by its kinds of events (event name, block or delta type) and the shape of each."""
    shapes: dict[str, Any] = {}
    for event in events:
        kind, data = event.type or "message", event.parsed  # unnamed events (Bedrock's): by their type
        if isinstance(data, dict):
            inner = data.get("delta") if isinstance(data.get("delta"), dict) else data.get("content_block")
            if isinstance(inner, dict) and isinstance(inner.get("type"), str):
                kind += f"/{inner['type']}"
        sketched = sketch(data)
        shapes[kind] = _merge(shapes[kind], sketched) if kind in shapes else sketched
    return {"stream": shapes}


def _body_sketch(body: bytes, content_type: str | None) -> Any:
    if not body:
        return None
    if media_type(content_type) == EVENTSTREAM:  # Amazon Bedrock: the events its frames carry
        return _stream_sketch(frame_events(body)[0])
    if media_type(content_type) == "text/event-stream" or body.lstrip().startswith((b"event:", b"data:")):
        return _stream_sketch(parse_events(body))
    parsed = parse_json(body)
    if parsed is not None:
        return sketch(parsed)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "<binary>"
    return "<text>"


def answer_sketch(interaction: Interaction) -> dict[str, Any]:
    response = interaction.response
    headers = lower_headers(response["headers"])
    shown: dict[str, str] = {}
    for name, value in sorted(headers.items()):
        if name in IGNORED_HEADERS:
            continue
        volatile = name in VOLATILE_HEADERS or name.startswith(VOLATILE_HEADER_PREFIXES)
        shown[name] = "<volatile>" if volatile else value
    return {
        "status": response["status"]["code"],
        "headers": shown,
        "body": _body_sketch(response["body"]["string"], headers.get("content-type")),
    }


# ---------------------------------------------------------------- comparing


@dataclass(frozen=True)
class Change:
    exchange: int  # position among the exchanges with a Claude host, from 1
    target: str
    kind: str  # new field, removed field, changed type, changed value, new header, ...
    where: str  # status, header `name`, body: path
    old: Any = None
    new: Any = None

    def describe(self) -> str:
        if self.kind in ("changed type",):
            return f"{self.where}: {type(self.old).__name__} -> {type(self.new).__name__}"
        if self.kind.startswith("changed") or self.kind == "changed request":
            return f"{self.where}: {_short(self.old)} -> {_short(self.new)}"
        if self.kind.startswith(("new", "only in NEW")):
            return f"{self.where} = {_short(self.new)}" if self.new is not None else self.where
        return self.where


def change_line(change: Change) -> str:
    """`+ new field       body: usage.x = 'y'`: a sign (+ new, - removed, ~ changed), the kind, where."""
    sign = "~"
    if change.kind.startswith(("new", "only in NEW")):
        sign = "+"
    elif change.kind.startswith(("removed", "only in OLD")):
        sign = "-"
    return f"{sign} {change.kind:<15} {change.describe()}"


def _short(value: Any) -> str:
    if isinstance(value, str):
        return excerpt(value, 77)
    return excerpt(json.dumps(value, ensure_ascii=False), 77, quoted=False)


@dataclass
class DiffResult:
    old: Path
    new: Path
    old_count: int = 0
    new_count: int = 0
    changes: list[Change] = field(default_factory=list)
    error: str | None = None
    # The credentials both files hold: a header value or a body the report quotes may repeat one.
    secrets: list[str] = field(default_factory=list, repr=False)

    # Every interaction each file holds, and the Claude hosts compared.
    old_total: int = 0
    new_total: int = 0
    hosts: frozenset[str] = frozenset()

    @property
    def exit_code(self) -> int:
        if self.error or self.no_claude_exchange:
            return 2
        return 1 if self.changes else 0

    @property
    def no_claude_exchange(self) -> bool:
        """Neither file holds a Claude exchange: nothing was compared."""
        return not self.error and not self.old_count and not self.new_count

    def _no_claude_exchange(self) -> str:
        from ..contract.report import no_claude_exchange

        where = f"either cassette (OLD: {self.old_total}, NEW: {self.new_total} interactions)"
        return no_claude_exchange(where, self.hosts)

    def text_report(self) -> str:
        return redact(self._text(), self.secrets) + "\n"

    def _text(self) -> str:
        if self.error:
            return f"diff: {self.error}"
        if self.no_claude_exchange:
            return f"diff: {self._no_claude_exchange()}"
        lines = [
            f"OLD {self.old} ({self.old_count} exchanges with a Claude host)",
            f"NEW {self.new} ({self.new_count} exchanges with a Claude host)",
        ]
        current = -1
        for change in self.changes:
            if change.exchange != current:
                current = change.exchange
                lines += ["", f"#{current} {change.target}"]
            lines.append(f"  {change_line(change)}")
        lines.append("")
        if self.changes:
            touched = len({c.exchange for c in self.changes})
            lines.append(
                f"{len(self.changes)} change{'s' if len(self.changes) != 1 else ''} in {touched} "
                f"exchange{'s' if touched != 1 else ''} of the API's answers"
            )
        else:
            lines.append(f"No change in the API's answers ({max(self.old_count, self.new_count)} exchanges).")
        lines.append(VOLATILE_NOTE[0].upper() + VOLATILE_NOTE[1:] + ".")
        return "\n".join(lines)

    def json_report(self) -> str:
        data = {
            "old": str(self.old),
            "new": str(self.new),
            "error": self._no_claude_exchange() if self.no_claude_exchange else self.error,
            "exchanges": {"old": self.old_count, "new": self.new_count},
            "changes": [
                {
                    "exchange": c.exchange,
                    "target": c.target,
                    "kind": c.kind,
                    "where": c.where,
                    "old": c.old,
                    "new": c.new,
                }
                for c in self.changes
            ],
            "exit_code": self.exit_code,
        }
        # Cut before dumping (a secret JSON escapes would not be found after); values that are not
        # JSON types are made text first, as `default=str` would.
        plain = json.loads(json.dumps(data, default=str))
        return json.dumps(redact_data(plain, self.secrets), indent=2) + "\n"


_KINDS = {
    "dictionary_item_added": "new",
    "dictionary_item_removed": "removed",
    "iterable_item_added": "new",
    "iterable_item_removed": "removed",
    "type_changes": "changed type",
    "values_changed": "changed value",
}


def _where(path: list[Any]) -> tuple[str, str]:
    """(what it is, where): ("header", "header `x`"), ("field", "body: usage.x"), ("status", "status")."""
    if not path:
        return "answer", "answer"
    head, rest = path[0], path[1:]
    if head == "headers":
        return ("header", f"header `{rest[0]}`") if rest else ("header", "headers")
    if head == "status":
        return "status", "status"
    text = ""
    for part in rest:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    if rest and rest[0] == "stream":
        text = text.removeprefix("stream")
        text = "event " + text.lstrip(".") if text else "stream"
        return ("event" if len(rest) == 2 else "field"), f"body: {text}"
    if len(rest) and isinstance(rest[-1], int):
        return "item", f"body: {text}"
    return "field", f"body: {text or '(whole)'}"


def compare(old: list[Interaction], new: list[Interaction]) -> list[Change]:
    from deepdiff import DeepDiff
    from deepdiff.helper import notpresent

    changes: list[Change] = []
    for position in range(max(len(old), len(new))):
        index = position + 1
        if position >= len(old):
            target = new[position].request.target
            changes.append(Change(index, target, "only in NEW", "exchange", None, None))
            continue
        if position >= len(new):
            target = old[position].request.target
            changes.append(Change(index, target, "only in OLD", "exchange", None, None))
            continue
        before, after = old[position], new[position]
        target = before.request.target
        was = (before.request.method, before.request.path)
        now = (after.request.method, after.request.path)
        if was != now:
            changes.append(Change(index, target, "changed request", "request", " ".join(was), " ".join(now)))
        diff = DeepDiff(
            answer_sketch(before),
            answer_sketch(after),
            view="tree",
            verbose_level=2,
            threshold_to_diff_deeper=0,
        )
        found: list[Change] = []
        for report_type, levels in diff.items():
            kind = _KINDS.get(report_type)
            if kind is None:
                continue
            for level in sorted(levels, key=lambda lv: str(lv.path())):
                what, where = _where(level.path(output_format="list"))
                label = f"{kind} {what}" if kind in ("new", "removed") else kind
                if what == "status" and kind == "changed type":
                    label = "changed value"
                old_value = None if level.t1 is notpresent else level.t1
                new_value = None if level.t2 is notpresent else level.t2
                found.append(Change(index, target, label, where, old_value, new_value))
        # deepdiff's order follows set iteration (string hashes vary per process): sort, so that the
        # same change reads the same in every run.
        changes.extend(sorted(found, key=_reading_order))
    return changes


def _reading_order(change: Change) -> tuple[int, str, str]:
    section = 0 if change.where == "status" else 1 if change.where.startswith("header") else 2
    return section, change.where, change.kind


def _claude(interactions: list[Interaction], hosts: frozenset[str]) -> list[Interaction]:
    """The exchanges with a Claude host: a listed one, or one of a platform's (Vertex AI's, ...)."""
    from ..contract.models import DEFAULT_CONTRACT

    def claude(host: str) -> bool:
        name = host.split(":", 1)[0]
        return host in hosts or name in hosts or DEFAULT_CONTRACT.platform_serving(name) is not None

    return [i for i in interactions if claude(i.request.host)]


def diff_files(old: Path, new: Path, *, hosts: Iterable[str] = ()) -> DiffResult:
    host_set = frozenset(h.lower() for h in (*DEFAULT_HOSTS, *hosts))
    result = DiffResult(old, new, hosts=host_set)
    loaded: list[list[Interaction]] = []
    totals: list[int] = []
    for path in (old, new):
        try:
            interactions = document_interactions(existing_cassette_document(path))
        except CassetteError as exc:
            result.error = str(exc)
            return result
        result.secrets += _secrets_of(interactions)
        totals.append(len(interactions))
        loaded.append(_claude(interactions, host_set))
    result.old_count, result.new_count = len(loaded[0]), len(loaded[1])
    result.old_total, result.new_total = totals
    result.changes = compare(loaded[0], loaded[1])
    return result


def _secrets_of(interactions: list[Interaction]) -> list[str]:
    """The credentials of every request, and credential headers' values in answers (a hostile or
    hand-made recording may echo one)."""
    found: list[str] = []
    for interaction in interactions:
        found += request_secrets(interaction.request)
        headers = lower_headers(interaction.response.get("headers") or {})
        found += credentials_in(headers)
    return found
