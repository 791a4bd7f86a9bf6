"""Long values in what the user reads (violation messages, miss reports, `lint`, `diff`): cut to a
readable length, with their size, so that a base64 image or a 20 MB field does not fill the report.

    >>> excerpt("iVBORw0KGgo" + "A" * 2_100_000, 11)
    "'iVBORw0KGgo…' (2.1 MB)"
"""

from __future__ import annotations

EXCERPT = 40  # characters of a long value a report quotes
ELLIPSIS = "…"


def size_text(size: int) -> str:
    """`812 bytes`, `12.3 kB`, `2.1 MB` (decimal units, as the docs give the API's limits)."""
    if size < 1_000:
        return f"{size:,} byte{'s' if size != 1 else ''}"
    for unit, scale in (("GB", 1_000_000_000), ("MB", 1_000_000), ("kB", 1_000)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def excerpt(value: str | bytes, width: int = EXCERPT, *, quoted: bool = True) -> str:
    """`value` for a report: quoted (`repr`) whole when it has at most `width` characters; else its
    first `width` characters, an ellipsis and its size in bytes (UTF-8): `'iVBORw0KGgo…' (2.1 MB)`.
    Not `quoted`: the text as it is (a short value unchanged), cut the same way when long."""
    if isinstance(value, bytes):
        size = len(value)
        text = value[: width * 4 + 4].decode("utf-8", "replace")
        long = size > width and len(text) > width
    else:
        text = value
        long = len(value) > width
        size = len(value) if not long or value.isascii() else len(value.encode("utf-8", "surrogatepass"))
    if not long:
        return repr(text) if quoted else text
    head = text[:width]
    if not quoted:
        return f"{head}{ELLIPSIS} ({size_text(size)})"
    shown = repr(head)
    return f"{shown[:-1]}{ELLIPSIS}{shown[-1]} ({size_text(size)})"
