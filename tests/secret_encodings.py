"""Ways a credential is written that no plain substring search sees, shared by the secret tests.

Each encoder writes text around a value; each oracle undoes it with the standard library alone (not
with the plugin's `secret_search`), so the tests judge the plugin's search by an independent reader.
"""

from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import unquote


def percent(value: str) -> str:
    return "".join(f"%{byte:02X}" for byte in value.encode())


def json_u(value: str) -> str:
    return "".join(f"\\u{ord(char):04x}" for char in value)


def entities(value: str) -> str:
    return "".join(f"&#{ord(char)};" if i % 2 else f"&#x{ord(char):x};" for i, char in enumerate(value))


def b64(value: str) -> str:
    return base64.b64encode(f"token: {value}".encode()).decode()


def b64url(value: str) -> str:
    return base64.urlsafe_b64encode(f"{{'k': '{value}'}}".encode()).decode().rstrip("=")


def mime(value: str) -> str:
    encoded = base64.b64encode(f"the key is {value} and that is all".encode()).decode()
    return "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


TEXT_ENCODERS = {
    "plain": lambda v: v,
    "percent": percent,
    "json-u": json_u,
    "html": entities,
    "base64": b64,
    "base64url": b64url,
}


def sse(*texts: str) -> str:
    """An event stream whose text deltas are `texts`, as written (escapes kept)."""
    start = {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant"}}
    out = [f"event: message_start\ndata: {json.dumps(start)}\n\n"]
    for text in texts:
        out.append(
            "event: content_block_delta\n"
            f'data: {{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"{text}"}}}}\n\n'
        )
    out.append('event: message_stop\ndata: {"type":"message_stop"}\n\n')
    return "".join(out)


def views(text: str) -> list[str]:
    """`text` and what a reader makes of it: unescaped each way, base64 runs decoded (at each
    alignment), stream deltas joined."""
    out = [text, unquote(text), html.unescape(text)]
    out.append(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text))
    compact = text.replace("\n", "")
    for run in re.findall(r"[A-Za-z0-9+/_-]{12,}", compact):
        standard = run.replace("-", "+").replace("_", "/")
        for offset in range(4):
            piece = standard[offset:]
            piece = piece[: len(piece) - len(piece) % 4] if len(piece) % 4 == 1 else piece
            try:
                out.append(base64.b64decode(piece + "=" * (-len(piece) % 4)).decode("latin-1"))
            except ValueError:
                continue
    deltas = []
    for line in text.splitlines():
        if line.startswith("data: {"):
            try:
                event = json.loads(line[6:])
            except ValueError:
                continue
            delta = event.get("delta") if isinstance(event, dict) else None
            if isinstance(delta, dict) and isinstance(delta.get("text"), str):
                deltas.append(delta["text"])
    out.append("".join(deltas))
    return out
