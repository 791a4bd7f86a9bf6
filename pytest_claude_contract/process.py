"""What the plugin keeps for the whole process, in one place. Each is filled as tests run; the parsed
cassettes, which hold test data, are dropped when pytest is done (`cassette.store.forget_parsed`)."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from .capture.patches import Switchboard

if TYPE_CHECKING:
    from pathlib import Path

    from .cassette.model import Interaction
    from .cassette.store import StatIndex

# The HTTP libraries' patches and the recorder they route to: on across consecutive covered tests.
PATCHES = Switchboard()

# Shared SSL contexts by what decides how they are built (capture/ssl_sharing).
SSL_CONTEXTS: dict[tuple[Any, ...], Any] = {}

# The stream classes that show a live answer to its recording, per httpx-like module, and the one
# that replays a body piece by piece (under "<module> pieces") (capture/httpx_transport).
TEE_STREAMS: dict[str, tuple[type[Any], type[Any]]] = {}

# Parsed cassettes by content hash, the few most recently used (tests sharing a cassette tend to run
# one after another; any other is read from the parse cache in tens of microseconds). Few, because
# every full garbage collection walks what is held (about 35 objects a cassette), four of them after
# the session alone: 256 held were 8,700 objects, about 25 ms a 500-test session (bench/README.md).
PARSED: OrderedDict[str, list[Interaction]] = OrderedDict()
PARSED_LIMIT = 16

# Cassette path -> (identity, digest) indexes, by pytest cache folder (cassette/store).
STAT_INDEXES: dict[Path, StatIndex] = {}
