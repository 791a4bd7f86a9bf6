"""`pytest-claude-contract serve`: the loopback server outside pytest, for any client."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from . import EXIT_OK, PROG

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from ..capture.core import ClaudeContractRecorder
    from ..plugin.options import ContractSettings


def _report_drift(recorder: ClaudeContractRecorder, path: Path, upstream: str) -> bool:
    """Record mode verify: print how the answers drifted from the cassette; True when they did."""
    from ..contract.redaction import redact

    recorder.finish_verify()
    drift = recorder.take_drift()
    if drift is not None:
        rerecord = f"{PROG} serve --cassette {path} --record-mode rewrite --upstream {upstream}"
        print(drift.text(rerecord=rerecord), flush=True)
    elif recorder.verifying:
        print(redact(f"{PROG} serve: verified against {upstream}: no drift from the cassette"), flush=True)
    return drift is not None


def _settings(args: argparse.Namespace, parser: argparse.ArgumentParser) -> ContractSettings:
    """The recorder's settings from the command line (a bad --upstream or --port: a usage error)."""
    import pytest

    from ..plugin.options import DEFAULT_HOSTS, DEFAULT_UPSTREAM, ContractSettings, check_upstream

    try:
        upstream = check_upstream(args.upstream or DEFAULT_UPSTREAM, "--upstream")
    except pytest.UsageError as exc:
        parser.error(str(exc).removeprefix("--upstream: "))
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port}: use 0 (a free port) to 65535")
    return ContractSettings(
        cassette=True,
        record_mode=args.record_mode,
        allow=frozenset(),
        api_versions=None,
        auth=None,
        hosts=DEFAULT_HOSTS,
        profiles={},
        upstream=upstream,
    )


def serve_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import contextlib
    import signal
    import threading
    from pathlib import Path

    from ..capture.core import ClaudeContractRecorder
    from ..capture.guards import map_large_allocations
    from ..capture.server import ContractServer, Outcome, describe
    from ..cassette.model import CassetteError
    from ..contract.models import DEFAULT_CONTRACT
    from ..contract.redaction import redact, request_secrets

    settings = _settings(args, parser)
    upstream = settings.upstream
    path = Path(args.cassette)
    try:
        recorder = ClaudeContractRecorder(
            settings, DEFAULT_CONTRACT, "strict", path, replay_cycles=not args.once
        )
    except CassetteError as exc:
        print(redact(f"{PROG} serve: cannot use the cassette\n  {exc}"), file=sys.stderr)
        return 1
    printing = threading.Lock()

    def log(outcome: Outcome) -> None:
        # The log quotes the request's verdicts and notes: its own credentials are cut wherever they stand.
        line = redact(describe(outcome), request_secrets(outcome.request))
        with printing:
            print(line, flush=True)

    map_large_allocations()  # large bodies are given back to the system when freed (Linux, glibc)
    from . import SERVER_LIMIT_FLAGS

    bounds = {
        name: value
        for flag, _, _ in SERVER_LIMIT_FLAGS
        if (value := getattr(args, name := flag.removeprefix("--").replace("-", "_"))) is not None
    }
    server = ContractServer(recorder, upstream=upstream, port=args.port, on_exchange=log, **bounds)
    try:
        server.open()
    except OSError as exc:
        print(f"{PROG} serve: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    where = (
        "replaying" if args.record_mode == "none" else f"record mode {args.record_mode}, upstream {upstream}"
    )
    print(
        redact(f"{PROG} serve: {server.url} ({where}; cassette {path})"), flush=True
    )  # --upstream's password
    print(f"  point a client at it: ANTHROPIC_BASE_URL={server.url}   Ctrl-C stops.", flush=True)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # `kill` stops it like Ctrl-C: the cassette is saved
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    try:
        recorder.save(test_failed=False)
    except CassetteError as exc:
        print(redact(f"{PROG} serve: {exc}"), file=sys.stderr)
        return 1
    drifted = _report_drift(recorder, path, upstream)
    stats = recorder.stats
    saved = f"; saved {path}" if stats.recorded else ""
    from ..contract.checks import errors_and_warnings

    errors, warnings = errors_and_warnings(recorder.violations)  # warnings fail nothing
    warned = len(warnings)
    print(
        f"{PROG} serve: stopped after {len(recorder.exchanges)} exchange(s), "
        f"{len(errors)} violation(s), {warned} warning(s), {len(recorder.fatal)} unanswered{saved}",
        flush=True,
    )
    return 1 if errors or recorder.fatal or drifted else EXIT_OK
