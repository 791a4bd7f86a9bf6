"""Large cassettes: load and save of a 1000-interaction cassette shaped like LLM traffic.

    bench/.venvs/main/bin/python bench/large_cassette.py [--rounds 5] [--interactions 1000]

The cassette: POST /v1/messages with long prompts (a 2-6 KB system prompt, a few turns of history),
answered 70% by streamed SSE (60-200 text deltas) and 30% by a JSON message. It is written once in each
tool's own format, in bench/out/large/:
  vcrpy.yaml      by vcrpy's FilesystemPersister (what pytest-recording reads and writes)
  plugin.yaml     by this plugin's write_cassette (JSON bodies as YAML blocks, recorded_at)
  cassetter.yaml  by cassetter's own converter (`cassetter.cli.convert_file`, from vcrpy.yaml)

Each round starts one fresh process per tool (tools interleaved, order rotated per round). In it,
after the tool's modules are imported (import cost is start-up's subject, not this one):
  cold load  the first load of the file in the process (the file is in the page cache)
  warm load  median of 5 further loads in the same process; for the plugin, each from its parse cache
             (the pickle a previous session left in the pytest cache, nothing kept in memory), which
             is what a second session pays
  save       median of 5 saves of the loaded cassette to a new file beside it
What is timed per tool:
  vcrpy      FilesystemPersister.load_cassette / save_cassette with vcrpy's YAML serializer
  plugin     cassette.store.load_cassette / write_cassette (atomic: temp file, fsync, rename; also shown
             without the fsync and rename: dump_cassette alone)
  cassetter  cassetter.cassette.Cassette(path, record_mode=NONE).load() (the object its pytest fixture
             builds) / its Rust cassette's save(path, output_order(...)) as Cassette.save() calls it
             (no fsync)
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH, OUT, Series, machine, save

TOOLS = ("vcrpy", "plugin", "cassetter")
PYTHON = {
    "vcrpy": BENCH / ".venvs" / "main" / "bin" / "python",
    "plugin": BENCH / ".venvs" / "main" / "bin" / "python",
    "cassetter": BENCH / ".venvs" / "cassetter" / "bin" / "python",
}
WORDS = [
    "the",
    "account",
    "balance",
    "transfer",
    "policy",
    "section",
    "card",
    "dispute",
    "refund",
    "within",
    "business",
    "days",
    "customer",
    "premium",
    "limit",
    "statement",
    "charge",
    "merchant",
    "review",
    "support",
    "team",
    "verify",
    "identity",
    "secure",
    "login",
    "reset",
]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _sse(rng: random.Random, msg_id: str) -> tuple[str, str]:
    deltas = [_text(rng, rng.randint(3, 9)) + " " for _ in range(rng.randint(60, 200))]
    events = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": msg_id,
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-sonnet-4-6",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": rng.randint(500, 3000), "output_tokens": 1},
                },
            },
        ),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        ("ping", {"type": "ping"}),
        *[
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": d}},
            )
            for d in deltas
        ],
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": len(deltas) * 6},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    body = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
    return body, "".join(deltas)


def vcrpy_cassette(count: int, seed: int = 7) -> dict[str, list[dict[str, object]]]:
    """The cassette as vcrpy's FilesystemPersister takes it: {'requests': [...], 'responses': [...]}."""
    from vcr.request import Request

    rng = random.Random(seed)
    requests, responses = [], []
    system = _text(rng, 600)  # ~4 KB, shared like a real app's system prompt
    for n in range(count):
        stream = rng.random() < 0.7
        history = []
        for _turn in range(rng.randint(1, 4)):
            history.append({"role": "user", "content": _text(rng, rng.randint(40, 300))})
            history.append({"role": "assistant", "content": _text(rng, rng.randint(40, 200))})
        history.append({"role": "user", "content": f"question {n}: " + _text(rng, rng.randint(20, 120))})
        body = {
            "model": "claude-sonnet-4-6",
            "max_tokens": 1024,
            "system": system[: rng.randint(2000, 4000)],
            "messages": history,
            **({"stream": True} if stream else {}),
        }
        raw = json.dumps(body).encode()
        headers = {
            "accept": "application/json",
            "anthropic-version": "2023-06-01",
            "content-type": "application/json",
            "content-length": str(len(raw)),
            "user-agent": "Anthropic/Python 2.13.0",
            "x-api-key": "redacted",
        }
        requests.append(Request("POST", "https://api.anthropic.com/v1/messages", raw, headers))
        msg_id = f"msg_{n:024d}"
        if stream:
            text, _ = _sse(rng, msg_id)
            content_type = "text/event-stream; charset=utf-8"
        else:
            answer = _text(rng, rng.randint(100, 600))
            text = json.dumps(
                {
                    "id": msg_id,
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-sonnet-4-6",
                    "content": [{"type": "text", "text": answer}],
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "usage": {"input_tokens": 1200, "output_tokens": 300},
                }
            )
            content_type = "application/json"
        responses.append(
            {
                "status": {"code": 200, "message": "OK"},
                "headers": {
                    "content-type": [content_type],
                    "request-id": [f"req_{n:024d}"],
                    "anthropic-organization-id": ["6f1c2a4e-8b3d-4e5f-9a7c-0d2e4f6a8b1c"],
                    "date": ["Mon, 24 Nov 2026 12:00:00 GMT"],
                    "server": ["cloudflare"],
                },
                "body": {"string": text},
            }
        )
    return {"requests": requests, "responses": responses}


def build(folder: Path, count: int) -> dict[str, Path]:
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.serializers import yamlserializer

    from pytest_claude_contract.cassette.scrub import Scrubber
    from pytest_claude_contract.cassette.store import load_cassette, write_cassette

    folder.mkdir(parents=True, exist_ok=True)
    paths = {tool: folder / f"{tool}.yaml" for tool in TOOLS}
    FilesystemPersister.save_cassette(paths["vcrpy"], vcrpy_cassette(count), yamlserializer)
    interactions = load_cassette(paths["vcrpy"])
    assert interactions is not None
    assert len(interactions) == count
    write_cassette(paths["plugin"], interactions, Scrubber([]))
    subprocess.run(
        [
            str(PYTHON["cassetter"]),
            "-c",
            "import sys; from pathlib import Path; from cassetter.cli import convert_file; "
            "print(convert_file(Path(sys.argv[1]), Path(sys.argv[2]), scrub=False))",
            str(paths["vcrpy"]),
            str(paths["cassetter"]),
        ],
        check=True,
        capture_output=True,
    )
    return paths


# ---------------------------------------------------------------- one tool, in its own process

WORKER = r"""
import json, os, statistics, sys, time
tool, path, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
folder = os.path.dirname(path)
if tool == "vcrpy":
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.serializers import yamlserializer
    def load():
        requests, responses = FilesystemPersister.load_cassette(path, yamlserializer)
        return {"requests": requests, "responses": responses}
    def save(loaded, target):
        FilesystemPersister.save_cassette(target, loaded, yamlserializer)
    count = lambda loaded: len(loaded["requests"])
    dump = None
    warm_load = load
elif tool == "plugin":
    from pathlib import Path
    from pytest_claude_contract import process
    from pytest_claude_contract.cassette.scrub import Scrubber
    from pytest_claude_contract.cassette.formats import dump_cassette
    from pytest_claude_contract.cassette.store import load_cassette, write_cassette
    scrubber = Scrubber([])
    cache = Path(folder) / ".plugin-parse-cache"
    def load():  # a parse: no pickle, nothing kept in memory from an earlier load
        process.PARSED.clear()
        return load_cassette(Path(path))
    def warm_load():  # what a later session does: the pickle in the pytest cache, memory empty
        process.PARSED.clear()
        return load_cassette(Path(path), cache)
    warm_load()  # writes the pickle (untimed), as the first session that replays the cassette does
    def save(loaded, target):
        write_cassette(Path(target), loaded, scrubber)
    def dump(loaded):
        dump_cassette(loaded, scrubber)
    count = len
else:
    from cassetter.cassette import Cassette
    from cassetter.recording import RecordMode
    def load():
        cassette = Cassette(path, record_mode=RecordMode.NONE)
        cassette.load()
        return cassette
    def save(loaded, target):
        inner = loaded._inner
        inner.save(target, inner.output_order(loaded._match_config, loaded._record_orders), None)
    count = len
    dump = None
    warm_load = load

def clock(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - start, value

cold, loaded = clock(load)
warm = [clock(warm_load)[0] for _ in range(repeats)]
target = os.path.join(folder, f".save-{tool}-{os.getpid()}.yaml")
saves = []
for _ in range(repeats):
    saves.append(clock(save, loaded, target)[0])
    os.remove(target)
dumps = [clock(dump, loaded)[0] for _ in range(repeats)] if dump else []
print(json.dumps({"n": count(loaded), "cold": cold, "warm": statistics.median(warm),
                  "save": statistics.median(saves), "dump": statistics.median(dumps) if dumps else None}))
"""


def run_worker(tool: str, path: Path, repeats: int) -> dict[str, float]:
    result = subprocess.run(
        [str(PYTHON[tool]), "-c", WORKER, tool, str(path), str(repeats)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{tool}: {result.stderr[-3000:]}")
    data: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--interactions", type=int, default=1000)
    args = parser.parse_args()
    info = machine()  # the load average as the run starts
    start = time.perf_counter()
    paths = build(OUT / "large", args.interactions)
    sizes = {tool: paths[tool].stat().st_size for tool in TOOLS}
    print(
        f"built in {time.perf_counter() - start:.1f} s: "
        + ", ".join(f"{tool} {size / 1e6:.1f} MB" for tool, size in sizes.items()),
        flush=True,
    )
    for p in paths.values():
        p.read_bytes()  # page cache
    figures = {tool: {k: Series() for k in ("cold", "warm", "save", "dump")} for tool in TOOLS}
    for r in range(args.rounds):
        for tool in TOOLS[r % 3 :] + TOOLS[: r % 3]:
            data = run_worker(tool, paths[tool], args.repeats)
            assert data["n"] == args.interactions, (tool, data)
            for key in ("cold", "warm", "save", "dump"):
                if data.get(key) is not None:
                    figures[tool][key].values.append(data[key])
            print(
                f"round {r + 1} {tool}: "
                + ", ".join(
                    f"{k} {data[k] * 1000:.0f} ms"
                    for k in ("cold", "warm", "save", "dump")
                    if data.get(k) is not None
                ),
                flush=True,
            )
    lines = [
        f"{args.interactions} interactions, {args.rounds} rounds (median of {args.repeats} in each for "
        f"warm/save), ms min/median/max"
    ]
    for tool in TOOLS:
        row = ", ".join(
            f"{k} {figures[tool][k].spread(1000, '{:.0f}')}"
            for k in ("cold", "warm", "save", "dump")
            if figures[tool][k].values
        )
        lines.append(f"  {tool:<10} ({sizes[tool] / 1e6:.1f} MB): {row}")
    ratios = {}
    for other in ("cassetter", "vcrpy"):
        for key in ("cold", "warm", "save"):
            ratios[f"plugin/{other} {key}"] = figures["plugin"][key].median / figures[other][key].median
        ratios[f"plugin dump (no fsync)/{other} save"] = (
            figures["plugin"]["dump"].median / figures[other]["save"].median
        )
    lines += [f"  {name}: {value:.2f}" for name, value in ratios.items()]
    print("\n".join(lines))
    result = {
        "machine": info,
        "interactions": args.interactions,
        "sizes": sizes,
        "figures": {tool: {k: s.values for k, s in kinds.items()} for tool, kinds in figures.items()},
        "ratios": ratios,
    }
    print(f"saved {save('large_cassette', result)}")


if __name__ == "__main__":
    main()
