"""What a write does to the files around it: a rewritten cassette keeps its mode (mkstemp's 0600 made
a 0644 cassette private), a new one gets what the umask gives, and the temporary file a run killed
mid-write left beside a cassette is removed at the next write of that cassette (and only of that one)."""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest
    from fake_api import FakeClaudeAPI

SUITE = """
import os

import anthropic
import pytest


@pytest.mark.claude_contract
def test_one():
    client = anthropic.Anthropic(base_url=os.environ["FAKE_API_URL"], max_retries=0)
    client.messages.create(model="claude-sonnet-4-6", max_tokens=16, messages=[{"role": "user", "content": "Hi"}])
"""


def _mode(path: os.PathLike[str]) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_rewritten_cassette_keeps_its_mode_and_a_new_one_follows_the_umask(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    suite.makepyfile(test_files=SUITE)
    old_mask = os.umask(0o027)
    try:
        suite.runpytest_subprocess("--claude-record-mode=once").assert_outcomes(passed=1)
    finally:
        os.umask(old_mask)
    cassette = suite.path / "cassettes" / "test_files" / "test_one.yaml"
    assert _mode(cassette) == 0o640  # 0666 less the umask, not 0600

    cassette.chmod(0o644)
    suite.runpytest("--claude-record-mode=rewrite").assert_outcomes(passed=1)
    assert _mode(cassette) == 0o644
    cassette.chmod(0o600)  # a private one stays private
    suite.runpytest("--claude-record-mode=rewrite").assert_outcomes(passed=1)
    assert _mode(cassette) == 0o600


def test_a_killed_writes_temporary_file_is_removed_at_the_next_write(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    suite.makepyfile(test_files=SUITE)
    folder = suite.path / "cassettes" / "test_files"
    folder.mkdir(parents=True)
    left = folder / ".test_one.yaml.k1ll3d.tmp"  # as replace_atomically names its temporary files
    left.write_bytes(b"x" * 100_000)
    other = folder / ".test_two.yaml.k1ll3d.tmp"  # another cassette's: not this write's business
    other.write_bytes(b"y")

    suite.runpytest("--claude-record-mode=none").assert_outcomes(failed=1)  # nothing written
    assert left.exists()
    suite.runpytest("--claude-record-mode=once").assert_outcomes(passed=1)
    assert not left.exists()
    assert other.exists()
    assert sorted(p.name for p in folder.iterdir()) == [".test_two.yaml.k1ll3d.tmp", "test_one.yaml"]
