"""The documented JSON bodies, as pydantic models: what `request-schema` and `response-schema` check.

Each model holds the fields the Claude API documentation lists for one body (Docs, the endpoint
references; SDK `types/`), and nothing stricter: every model allows extra fields, because within a
version the API may add optional inputs and output fields (Docs, Versions). Enum-like outputs the API
may extend (`stop_reason`, `processing_status`, content block types) are plain strings: an unknown
value is not a violation, a missing or mistyped field is.

Which model checks which body is data: `Endpoint.request_schema` / `Endpoint.response_schema` name an
entry of `BODY_MODELS`. Validation is strict (no "4" for 4, no 1 for true), over the JSON the exchange
parsed once, with a `TypeAdapter` built on first use and cached per model.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, TypeAdapter, ValidationError

from .excerpts import excerpt
from .models import BODY_MODEL_NAMES

__all__ = ["BODY_MODELS", "BodyError", "validate_body"]


class _Body(BaseModel):
    # defer_build: the schema is built on first validation, not when the plugin is imported.
    model_config = ConfigDict(extra="allow", strict=True, defer_build=True)


# A union is written as a callable discriminator over tagged members, so that a wrong value gives one
# error ("a string or a list") instead of one per member. Tags are in angle brackets: they appear in
# pydantic's error locations and `_path` leaves them out (a JSON path has no such segment).
def _str_or_list(value: Any) -> str | None:
    if isinstance(value, str):
        return "<str>"
    if isinstance(value, list):
        return "<list>"
    return None


# ---------------------------------------------------------------- content blocks


class ContentBlock(_Body):
    """Any content block: the API adds block types over time, so only `type` is required."""

    type: str


class TextBlock(_Body):
    type: Literal["text"]
    text: str


MessageContent = Annotated[
    Annotated[str, Tag("<str>")] | Annotated[list[ContentBlock], Tag("<list>")],
    Discriminator(
        _str_or_list,
        custom_error_type="string_or_list",
        custom_error_message="Input should be a string or a list of content blocks",
    ),
]
SystemPrompt = Annotated[
    Annotated[str, Tag("<str>")] | Annotated[list[TextBlock], Tag("<list>")],
    Discriminator(
        _str_or_list,
        custom_error_type="string_or_list",
        custom_error_message="Input should be a string or a list of text blocks",
    ),
]


# ---------------------------------------------------------------- requests


class MessageParam(_Body):
    role: Literal["user", "assistant"]
    content: MessageContent


class _Tool(_Body):
    name: str


class _TypedObject(_Body):
    type: str


class MessagesRequest(_Body):
    """POST /v1/messages (Docs, Messages API reference)."""

    model: str
    max_tokens: int
    messages: list[MessageParam]
    system: SystemPrompt | None = None
    tools: list[_Tool] | None = None
    tool_choice: _TypedObject | None = None
    stream: bool | None = None
    metadata: dict[str, Any] | None = None
    stop_sequences: list[str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    thinking: _TypedObject | None = None


class MessagesRequestModelInUrl(MessagesRequest):
    """A Messages request to a platform that names the model in the URL (Vertex AI's rawPredict): the
    body has no `model` (one sent anyway is rule platform-model-in-body's)."""

    model: str | None = None  # type: ignore[assignment]


class CountTokensRequest(_Body):
    """POST /v1/messages/count_tokens: the Messages request without max_tokens and sampling."""

    model: str
    messages: list[MessageParam]
    system: SystemPrompt | None = None
    tools: list[_Tool] | None = None
    tool_choice: _TypedObject | None = None
    thinking: _TypedObject | None = None


class _BatchRequest(_Body):
    custom_id: str
    params: MessagesRequest


class BatchCreateRequest(_Body):
    """POST /v1/messages/batches: each request's `params` is a Messages request."""

    requests: list[_BatchRequest]


# ---------------------------------------------------------------- responses


class Usage(_Body):
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


# Docs and SDK `types/stop_reason.py`: the documented values. A response may carry others (new enum
# variants are allowed within a version), so the model takes any string; the docs page lists these.
DOCUMENTED_STOP_REASONS = (
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
)


class MessagesResponse(_Body):
    """The Message object: POST /v1/messages without `stream: true`."""

    id: str
    type: Literal["message"]
    role: Literal["assistant"]
    content: list[ContentBlock]
    model: str
    stop_reason: str | None
    stop_sequence: str | None = None
    usage: Usage


class CountTokensResponse(_Body):
    """POST /v1/messages/count_tokens: the count."""

    input_tokens: int


class MessageBatch(_Body):
    """A Message Batch: create, retrieve and cancel answer with one."""

    id: str
    type: Literal["message_batch"]
    processing_status: str  # in_progress, canceling, ended (Docs); may grow


class MessageBatchList(_Body):
    """GET /v1/messages/batches: a page of Message Batches."""

    data: list[MessageBatch]
    has_more: bool


class DeletedMessageBatch(_Body):
    """DELETE /v1/messages/batches/{id}."""

    id: str
    type: Literal["message_batch_deleted"]


class ModelInfo(_Body):
    """GET /v1/models/{id}: one model."""

    id: str
    type: Literal["model"]


class ModelList(_Body):
    """GET /v1/models: a page of models."""

    data: list[ModelInfo]
    has_more: bool


class BatchResult(_Body):
    """One line of GET /v1/messages/batches/{id}/results (JSON Lines: each line is checked)."""

    custom_id: str
    result: _TypedObject  # succeeded (with the message), errored, canceled, expired


class CompletionRequest(_Body):
    """POST /v1/complete (Docs, Text Completions, legacy)."""

    model: str
    prompt: str
    max_tokens_to_sample: int
    stop_sequences: list[str] | None = None
    stream: bool | None = None
    temperature: float | None = None


class CompletionResponse(_Body):
    """POST /v1/complete: the completion."""

    type: Literal["completion"]
    completion: str
    stop_reason: str | None
    model: str | None = None


class FileMetadata(_Body):
    """A file: upload, retrieve (Docs, Files API; SDK types/file_metadata.py)."""

    id: str
    type: Literal["file"]
    filename: str
    mime_type: str
    size_bytes: int
    created_at: str


class FileList(_Body):
    """GET /v1/files: a page of files."""

    data: list[FileMetadata]


class DeletedFile(_Body):
    """DELETE /v1/files/{id}."""

    id: str


class Skill(_Body):
    """A skill: create, retrieve (Docs, Skills; SDK types/skill.py)."""

    id: str
    type: Literal["skill"]
    created_at: str


class SkillList(_Body):
    """GET /v1/skills: a page of skills."""

    data: list[Skill]


class AdminList(_Body):
    """A page of Admin API objects (users, invites, workspaces, members, API keys): each has `type`."""

    data: list[_TypedObject]


class Workspace(_Body):
    """An Admin API workspace (SDK types/organization/workspace.py)."""

    id: str
    type: Literal["workspace"]
    name: str


class ApiKey(_Body):
    """An Admin API key record (SDK types/organization/api_key.py); it never holds the key itself."""

    id: str
    type: Literal["api_key"]
    name: str


class Report(_Body):
    """A Usage, Cost or Claude Code Analytics report page: time buckets or records in `data`."""

    data: list[Any]
    has_more: bool | None = None
    next_page: str | None = None


class _ErrorDetail(_Body):
    type: str
    message: str


class ErrorBody(_Body):
    """The error body (Docs, Errors), checked by `error-shape` and `error-status`.

    Not used by `response-schema` (which checks 2xx bodies); kept so the registry documents every body
    the API answers with."""

    type: Literal["error"]
    error: _ErrorDetail
    request_id: str | None = None


BODY_MODELS: dict[str, type[BaseModel]] = {
    "messages_request": MessagesRequest,
    "messages_request_model_in_url": MessagesRequestModelInUrl,
    "count_tokens_request": CountTokensRequest,
    "batch_create_request": BatchCreateRequest,
    "messages_response": MessagesResponse,
    "count_tokens_response": CountTokensResponse,
    "message_batch": MessageBatch,
    "message_batch_list": MessageBatchList,
    "deleted_message_batch": DeletedMessageBatch,
    "model_info": ModelInfo,
    "models_list": ModelList,
    "batch_result": BatchResult,
    "completion_request": CompletionRequest,
    "completion_response": CompletionResponse,
    "file_metadata": FileMetadata,
    "file_list": FileList,
    "deleted_file": DeletedFile,
    "skill": Skill,
    "skill_list": SkillList,
    "admin_list": AdminList,
    "workspace": Workspace,
    "api_key": ApiKey,
    "report": Report,
    "error": ErrorBody,
}
if tuple(BODY_MODELS) != BODY_MODEL_NAMES:  # the contract data names them without importing this module
    raise RuntimeError("contract.models.BODY_MODEL_NAMES must list the names of bodies.BODY_MODELS")

# ---------------------------------------------------------------- validation

MAX_SHOWN = 5  # errors listed per body; the rest are counted
_VALUE_WIDTH = 40


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    return TypeAdapter(BODY_MODELS[name])


class BodyError:
    """One field that does not match: its JSON path, what is wrong, and the value seen."""

    __slots__ = ("path", "problem", "value")

    def __init__(self, path: str, problem: str, value: str | None) -> None:
        self.path = path
        self.problem = problem
        self.value = value

    def __str__(self) -> str:
        seen = f" (got {self.value})" if self.value is not None else ""
        return f"{self.path}: {self.problem}{seen}"


def validate_body(name: str, data: object) -> tuple[list[BodyError], int]:
    """The first `MAX_SHOWN` errors of `data` against model `name`, and how many there are in all."""
    try:
        _adapter(name).validate_python(data)
    except ValidationError as exc:
        details = exc.errors(include_url=False, include_context=False)
        return [_error(d) for d in details[:MAX_SHOWN]], exc.error_count()
    return [], 0


def _error(detail: Any) -> BodyError:
    if detail["type"] == "missing":
        return BodyError(_path(detail["loc"]), "field required", None)
    if detail["type"] == "model_type":  # the body, or a nested object, is not a JSON object
        return BodyError(_path(detail["loc"]), "input should be a JSON object", _shown(detail["input"]))
    message = str(detail["msg"])
    return BodyError(_path(detail["loc"]), message[:1].lower() + message[1:], _shown(detail["input"]))


def _path(loc: tuple[int | str, ...]) -> str:
    """`("messages", 0, "content", "<list>", 1, "type")` -> `messages[0].content[1].type`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not (part.startswith("<") and part.endswith(">")):
            out += f".{part}" if out else part
    return out or "(body)"


def _shown(value: object) -> str:
    if isinstance(value, dict):
        text = "an object"
    elif isinstance(value, list):
        text = f"a list of {len(value)}"
    elif isinstance(value, str | bytes):
        text = excerpt(value, _VALUE_WIDTH)
    else:
        text = excerpt(repr(value), _VALUE_WIDTH, quoted=False)
    return text


# ---------------------------------------------------------------- version-specific content
# Plain dict walks over the parsed JSON (no pydantic): they judge what a version rejects, whether or not
# the rest of the body matches its model.


def message_params(schema: str, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The Messages-shaped parameter objects in a request body of model `schema`, each with the JSON
    path prefix it sits at: the body itself, or each batch request's `params`."""
    if schema in ("messages_request", "messages_request_model_in_url", "count_tokens_request"):
        return [("", data)]
    if schema == "batch_create_request":
        requests = data.get("requests")
        return [
            (f"requests[{i}].params.", item["params"])
            for i, item in enumerate(requests if isinstance(requests, list) else ())
            if isinstance(item, dict) and isinstance(item.get("params"), dict)
        ]
    return []


def version_body_errors(
    params: dict[str, Any],
    prefix: str,
    *,
    removed: tuple[str, ...],
    assistant_document: bool,
    user_text_citations: bool,
) -> list[BodyError]:
    """What one Messages parameter object sends that the version rejects."""
    errors = [
        BodyError(f"{prefix}{name}", "removed in this version", _shown(params[name]))
        for name in removed
        if name in params
    ]
    if not (assistant_document or user_text_citations):
        return errors
    messages = params.get("messages")
    for i, message in enumerate(messages if isinstance(messages, list) else ()):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        where = f"{prefix}messages[{i}].content"
        role = message.get("role")
        if role == "assistant" and assistant_document:
            errors += [
                BodyError(
                    f"{where}[{j}].type", "a `document` block in an `assistant` message returns 400", None
                )
                for j, block in enumerate(content)
                if isinstance(block, dict) and block.get("type") == "document"
            ]
        elif role == "user" and user_text_citations:
            errors += _cited_text(content, where, in_search_result=False)
    return errors


def _cited_text(blocks: list[Any], where: str, *, in_search_result: bool) -> list[BodyError]:
    """User `text` blocks with a non-empty `citations` array: in `blocks` itself, inside `search_result`
    blocks, and inside the search results a `tool_result` returns."""
    errors = []
    for j, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        inner = block.get("content")
        if kind == "text" and isinstance(block.get("citations"), list) and block["citations"]:
            what = (
                "a `text` block with citations inside a `search_result`"
                if in_search_result
                else ("a user `text` block with citations")
            )
            errors.append(
                BodyError(f"{where}[{j}].citations", f"{what} returns 400", _shown(block["citations"]))
            )
        elif kind in ("search_result", "tool_result") and isinstance(inner, list):
            errors += _cited_text(inner, f"{where}[{j}].content", in_search_result=kind == "search_result")
    return errors
