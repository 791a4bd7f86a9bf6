"""Cumulative time per function (each call counted once, not again under a recursive call of itself)
for the plugin's, vcrpy's, PyYAML's and pydantic's functions, from a pyinstrument session:

    python bench/_profile_summary.py bench/out/profile_replay.pyisession
"""

import sys
from collections import Counter

from pyinstrument.session import Session

session = Session.load(sys.argv[1])
root = session.root_frame()
total = root.time
cumulative: Counter = Counter()
WATCH = ("pytest_claude_contract", "vcr/", "yaml/", "pydantic", "deepdiff")


def walk(frame, active):
    path = frame.file_path_short or ""
    key = (frame.function, path, frame.line_no)
    watched = any(w in path for w in WATCH)
    if watched and key not in active:
        cumulative[key] += frame.time
        active = active | {key}
    for child in frame.children:
        walk(child, active)


walk(root, frozenset())
print(f"total {total:.2f} s; cumulative time of the plugin's, vcrpy's, PyYAML's and pydantic's functions:")
for (function, path, line), seconds in cumulative.most_common(40):
    print(f"{seconds:7.3f} s {100 * seconds / total:5.1f}%  {function}  {path}:{line}")
