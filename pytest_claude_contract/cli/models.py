"""`pytest-claude-contract models`: the model lifecycle table the rules model-deprecated and
model-retired judge by, with each id's status on a day (today unless --on says otherwise)."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

COLUMNS = ("model", "status", "deprecated_from", "retired_on", "replacement", "source")


def models_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..contract.checks import judging_day
    from ..contract.docs import lifecycle_rows
    from ..contract.models import DEFAULT_CONTRACT

    day = judging_day()
    if args.on is not None:
        try:
            day = date.fromisoformat(args.on)
        except ValueError:
            parser.error(f"--on {args.on!r} is not a date; give it as YYYY-MM-DD (e.g. 2026-12-07)")
    lifecycle = DEFAULT_CONTRACT.model_lifecycle
    rows = lifecycle_rows(DEFAULT_CONTRACT, day)
    if args.json:
        data = {
            "platform": lifecycle.platform,
            "notes": lifecycle.notes,
            "judged_on": str(day),
            "models": [
                {
                    "model": entry.model,
                    "status": entry.status_on(day),
                    "deprecated_on": str(entry.deprecated_on) if entry.deprecated_on else None,
                    "deprecated_from": str(entry.deprecated_from),
                    "retired_on": str(entry.retired_on),
                    "replacement": entry.replacement,
                    "source": entry.source,
                }
                for entry in lifecycle.models
            ],
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return 0
    header = ["MODEL", "STATUS", "DEPRECATED FROM", "RETIRED ON", "REPLACEMENT", "SOURCE"]
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(len(header) - 1)]
    lines = [f"Model lifecycle ({lifecycle.platform}), status on {day}", ""]
    for row in [header, *rows]:
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1]
        )
    lines += [
        "",
        lifecycle.notes,
        "An id not listed is accepted. Deprecated: rule model-deprecated (a warning); retired: rule "
        "model-retired (a failure).",
    ]
    sys.stdout.write("\n".join(line.rstrip() for line in lines) + "\n")
    return 0
