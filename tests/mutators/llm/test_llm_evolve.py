"""Runs with the LLM mutator against real HTTP servers on loopback that speak each provider's API.

The SDKs are the real ones, pointed at the servers by base URL. The servers script what goes wrong with
real providers (rate limits, errors, slow and broken answers, unusable code); the run goes on, records
every attempt, and stops on its budget.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "llm"))

from servers import (
    LoopbackServer,
    Reply,
    empty_choices,
    gemini_reply,
    openai_reply,
    rate_limited,
    server_error,
    slow,
    truncated,
)

from aurora_evo.archive import Archive
from aurora_evo.config import RunConfig, override
from aurora_evo.evolver import build_evolver
from aurora_evo.run_folder import ARCHIVE_FILE

REPO = Path(__file__).resolve().parents[3]

TINY = {
    "task.domain": "binpacking",
    "task.train_instances": 2,
    "task.train_items": 200,
    "task.validation_instances": 1,
    "task.validation_items": 300,
    "islands.islands": 2,
    "islands.population": 5,
    "stop.max_iterations": 40,
    "stop.patience": None,
    "stop.window": None,
    "evaluation.full_warm_up": False,
    "mutators.kinds": ("llm",),
    "mutators.weights": (1.0,),
    "llm.models": ("test-model",),
    "llm.concurrency": 1,
    "llm.backoff_s": 0.01,
    "llm.max_backoff_s": 0.05,
    "llm.timeout_s": 0.5,
}

EXACT_FIT = '''I prefer bins the item fills exactly, then the tightest fit.

```python
import numpy as np


def priority(item, bins):
    """Exact fits first, then best fit."""
    return -(bins - item) + 1000.0 * (bins == item)
```
'''

UNFENCED = """import numpy as np


def priority(item, bins):
    return -(bins - item) - 0.5 * (bins == np.max(bins))
"""

BROKEN = "Here is a faster one.\n\n```python\ndef priority(item, bins)\n    return bins -\n```\n"

RUNTIME_ERROR = (
    "This one calls a helper.\n\n```python\ndef priority(item, bins):\n    return helper(bins)\n```\n"
)

NOT_APPLYING = """Tighten the fit.

<<<<<<< SEARCH
    return bins * 12345
=======
    return -bins
>>>>>>> REPLACE
"""

APPLYING = """Break ties towards fuller bins by adding a small term.

<<<<<<< SEARCH
def priority(item, bins):
=======
def priority(item, bins):
    bins = bins - 1e-6 * np.arange(len(bins))
>>>>>>> REPLACE
"""


def reply(flavour: str, text: str) -> Reply:
    return openai_reply(text) if flavour == "openai" else gemini_reply(text)


def script(flavour: str) -> list[Reply]:
    """Good and unusable answers, and every kind of transport failure, in that order; then good code."""
    return [
        reply(flavour, EXACT_FIT),
        reply(flavour, BROKEN),
        reply(flavour, RUNTIME_ERROR),
        reply(flavour, NOT_APPLYING),
        rate_limited(flavour, retry_after=1),
        server_error(flavour, 500),
        slow(reply(flavour, EXACT_FIT), 2.0),
        truncated(flavour),
        empty_choices(flavour),
        reply(flavour, UNFENCED),
        reply(flavour, APPLYING),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["openai", "gemini"])
def test_a_run_survives_every_failure_records_it_and_stops_on_its_budget(tmp_path, flavour, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEYS", "test-key-aaaaaa,test-key-bbbbbb")  # rotated
    with LoopbackServer(flavour, script(flavour)) as server:
        config = override(
            RunConfig(seed=1),
            **(TINY | {"llm.backend": flavour, "llm.base_url": server.base_url, "stop.max_calls": 16}),
        )
        with build_evolver(config, tmp_path / "run") as evolution:
            reason = evolution.run()
        requests = len(server.requests)
        prompts = [json.dumps(r["json"]) for r in server.requests]
        keys = [r["headers"].get("x-goog-api-key") for r in server.requests]

    if flavour == "gemini":
        assert {"test-key-aaaaaa", "test-key-bbbbbb"} == set(keys)

    assert reason == "made the 16 LLM calls allowed"
    # Later prompts quote the failures back: the unparsable answer, the crash in the sandbox, the diff.
    later = " ".join(prompts[6:])
    assert "no_code: the code does not parse" in later
    assert "runtime_error" in later and "helper" in later
    assert "diff_not_applied: diff block 1: SEARCH text not found" in later
    with Archive(tmp_path / "run" / ARCHIVE_FILE) as archive:
        calls = archive.ledger.llm_calls("run")
        attempts = [c for c in calls if c["attempt"] > 0]
        assert len(attempts) == requests == 16  # every HTTP request is one recorded attempt, no more
        outcomes = {c["outcome"] for c in calls}
        assert {"ok", "no_code", "diff_not_applied", "rate_limited", "server_error", "timeout"} <= outcomes
        assert "bad_response" in outcomes
        assert all(c["backend"] == flavour and c["key_index"] is not None for c in attempts)
        failed = [c for c in attempts if c["outcome"] not in ("ok", "no_code", "diff_not_applied")]
        assert all(c["error"] for c in failed)  # each failure says what went wrong

        programs = {p.source: p for p in archive.programs.of_run("run") if p.mutator.startswith("llm.")}
        exact = next(p for source, p in programs.items() if "1000.0 * (bins == item)" in source)
        assert exact.outcome == "ok" and exact.reasoning.startswith("I prefer bins the item fills exactly")
        assert any("np.max(bins)" in source for source in programs)  # unfenced code
        assert any("np.arange(len(bins))" in source for source in programs)  # an applied diff
        crashed = next(p for source, p in programs.items() if "helper(bins)" in source)
        assert crashed.outcome == "runtime_error"
        linked = {c["program_id"] for c in calls if c["outcome"] == "ok"} - {None}  # None: a refused repeat
        assert exact.id in linked and linked <= {p.id for p in programs.values()}
        assert archive.integrity_check() == "ok"


PROGRAM_NUMBERS = itertools.count()


def smart_server(record: dict) -> Reply:
    """Answers a meta request with an instruction, any other with a new program and its reasoning."""
    body = json.dumps(record["json"])
    if "<instruction>" in body:
        return openai_reply(
            "<instruction>Combine exact fits with a penalty on nearly empty bins.</instruction>"
        )
    k = next(PROGRAM_NUMBERS)
    return openai_reply(
        f"Weight the room left by {k}: a new trade-off between tight and exact fits.\n\n"
        f"```python\nimport numpy as np\n\n\ndef priority(item, bins):\n"
        f"    return -(bins - item) + {k + 1}.0 * (bins == item)\n```\n",
        prompt_tokens=1000,
        completion_tokens=200,
    )


@pytest.mark.slow
def test_evolve_command_against_an_openai_compatible_server(tmp_path):
    preset = tmp_path / "tiny.toml"
    preset.write_text(
        """
seed = 2
[islands]
islands = 2
population = 5
[stop]
max_iterations = 6
patience = 100
[task]
domain = "binpacking"
train_instances = 2
train_items = 200
validation_instances = 1
validation_items = 300
[evaluation]
full_warm_up = false
[llm]
meta_interval = 3
prices = ["my-model=1.0/2.0"]
""",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GEMINI_", "GOOGLE_"))}
    with LoopbackServer("openai", smart_server) as server:
        done = subprocess.run(
            [sys.executable, "-m", "aurora_evo", "evolve", "--preset", str(preset), "--mutator", "openai",
             "--base-url", server.base_url, "--model", "my-model", "--run-dir", str(tmp_path / "llm-run"),
             "--no-progress"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env,
        )  # fmt: skip
        asked = [r for r in server.requests if r["path"].endswith("/chat/completions")]
    assert done.returncode == 0, done.stderr
    assert "stopped: reached 6 iterations" in done.stdout
    assert asked and all(r["model"] == "my-model" for r in asked)
    # Each prompt carries the contract, the parents' feedback and the instruction.
    first = asked[0]["json"]["messages"]
    assert [m["role"] for m in first] == ["system", "user"] and "priority" in first[1]["content"]

    with Archive(tmp_path / "llm-run" / ARCHIVE_FILE) as archive:
        run_id = "llm-run"
        from_server = [p for p in archive.programs.of_run(run_id) if p.mutator.startswith("llm.")]
        assert len(from_server) >= 6
        assert all(p.reasoning.startswith("Weight the room left by") for p in from_server)
        spent = archive.ledger.llm_spending(run_id)
        assert spent[0] == len(asked)
        meta = sum("<instruction>" in json.dumps(r["json"]) for r in asked)
        # Program answers report 1,000 + 200 tokens, meta answers 100 + 50; my-model costs $1 and $2 per 1M.
        expected = (len(asked) - meta) * (1000 * 1.0 + 200 * 2.0) / 1e6 + meta * (100 * 1.0 + 50 * 2.0) / 1e6
        assert meta >= 1 and spent[1] == pytest.approx(expected)
        instructions = archive.ledger.instructions(run_id)
        assert any(i["origin"] == "llm" for i in instructions)  # meta-prompt evolution took a step
        assert sum(i["children"] for i in instructions) > 0

    exported = subprocess.run(
        [sys.executable, "-m", "aurora_evo", "export", str(tmp_path / "llm-run"), "--out", str(tmp_path / "out"),
         "--top", "20"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    texts = [Path(line).read_text() for line in exported.stdout.split()]
    # The model's explanation travels with its program into the exported file.
    assert any("# reasoning:\n# Weight the room left by" in text for text in texts)
    assert any("# written by: test-model (prompt mode: " in text for text in texts)


def test_a_missing_key_is_one_line_and_leaves_nothing_behind(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GEMINI_", "GOOGLE_"))}
    done = subprocess.run(
        [sys.executable, "-m", "aurora_evo", "evolve", "--mutator", "gemini", "--run-dir", str(tmp_path / "r")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "GEMINI_API_KEY" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_a_resumed_run_keeps_its_spending_and_its_instructions(tmp_path):
    with LoopbackServer("openai", smart_server) as server:
        config = override(
            RunConfig(seed=4),
            **(TINY | {"llm.base_url": server.base_url, "stop.max_calls": 4, "llm.meta_interval": 2}),
        )
        with build_evolver(config, tmp_path / "run") as first:
            assert first.run() == "made the 4 LLM calls allowed"
            instructions = first.mutators["llm"].instructions.state()
        with build_evolver(override(config, **{"stop.max_calls": 6}), tmp_path / "run", resume=True) as again:
            assert again.budget.calls == 4
            assert again.mutators["llm"].instructions.state() == instructions
            assert again.run() == "made the 6 LLM calls allowed"
        assert len(server.requests) == 6


@pytest.mark.slow
def test_llm_and_offline_mutators_mix_and_models_mix_by_weight(tmp_path):
    with LoopbackServer("openai", smart_server) as server:
        config = override(
            RunConfig(seed=5),
            **(
                TINY
                | {
                    "llm.base_url": server.base_url,
                    "llm.models": ("big", "small", "unused"),
                    "llm.model_weights": (1.0, 1.0, 0.0),
                    "llm.concurrency": 3,
                    "mutators.kinds": ("llm", "gp", "edit"),
                    "mutators.weights": (0.5, 0.25, 0.25),
                    "stop.max_iterations": 6,
                }
            ),
        )
        with build_evolver(config, tmp_path / "run") as evolution:
            evolution.run()
            mutators = {p.mutator.split(".")[0] for p in evolution.archive.programs.of_run("run")}
        models = [r["model"] for r in server.requests]
    assert {"llm", "gp", "edit"} <= mutators
    assert set(models) == {"big", "small"}


def test_a_call_the_cost_budget_cannot_cover_is_never_sent(tmp_path):
    """The budget holds a call's largest possible cost before it starts: with $0.001 left and an answer
    allowed 4,096 tokens at $2 per million, no request goes out, and the run stops on its budget."""
    with LoopbackServer("openai", smart_server) as server:
        config = override(
            RunConfig(seed=6),
            **(
                TINY
                | {
                    "llm.base_url": server.base_url,
                    "llm.prices": ("test-model=1/2",),
                    "stop.max_cost_usd": 0.001,
                }
            ),
        )
        with build_evolver(config, tmp_path / "run") as evolution:
            reason = evolution.run()
            calls = evolution.archive.ledger.llm_calls("run")
        assert server.requests == []
    assert reason == "the $0.001 budget cannot cover another LLM call ($0.0000 spent)"
    assert calls and all(c["attempt"] == 0 and c["outcome"] == "budget" for c in calls)


@pytest.mark.slow
def test_when_the_keys_daily_quota_is_used_the_offline_mutators_carry_on(tmp_path):
    with LoopbackServer("openai", smart_server) as server:
        changes = {"llm.base_url": server.base_url, "llm.requests_per_day": 3, "stop.max_iterations": 5}
        with build_evolver(override(RunConfig(seed=7), **(TINY | changes)), tmp_path / "alone") as alone:
            assert alone.run().startswith("every API key has used its daily request limit")
        assert len(server.requests) == 3

        mixed_changes = changes | {"mutators.kinds": ("llm", "gp"), "mutators.weights": (0.9, 0.1)}
        mixed_config = override(RunConfig(seed=7), **(TINY | mixed_changes))
        with build_evolver(mixed_config, tmp_path / "mixed") as mixed:
            assert mixed.run() == "reached 5 iterations"
            late = [p for p in mixed.archive.programs.of_run("mixed") if p.iteration >= 4]
    assert late and all(p.mutator.startswith("gp.") for p in late)


@pytest.mark.parametrize("stop", [{"stop.max_calls": 7}, {"stop.max_iterations": 3}])
def test_a_steady_run_evaluates_every_answer_it_paid_for_before_it_stops(tmp_path, stop):
    """Calls are made ahead of need; when the run's end is known (the calls allowed are made, or the
    last iteration has its slots in flight), nothing more is asked and every answer is evaluated and
    filed before the run stops."""
    with LoopbackServer("openai", smart_server) as server:
        settings = {"llm.base_url": server.base_url, "llm.concurrency": 3, "evaluation.mode": "steady"}
        config = override(RunConfig(seed=8), **(TINY | settings | stop))
        with build_evolver(config, tmp_path / "run") as evolution:
            evolution.run()
            calls = [c for c in evolution.archive.ledger.llm_calls("run") if c["attempt"] > 0]
    # smart_server writes a new program each time: none is refused as a repeat.
    assert calls and all(c["outcome"] == "ok" for c in calls)
    assert [c["id"] for c in calls if c["program_id"] is None] == []


def test_in_the_steady_state_a_slow_answer_holds_up_nothing_else(tmp_path):
    """The server keeps one answer back until twelve later requests have come: the steady state asks
    ahead on several calls at once and goes on evaluating and filing meanwhile. (A controller that waited
    on each call itself would send nothing more: the held call then fails, and its program is missing.)"""
    held, later = 2, 12
    served = threading.Semaphore(0)
    arrivals = itertools.count()

    def holding_server(record: dict) -> Reply:
        if next(arrivals) == held:
            deadline = time.monotonic() + 20
            for _ in range(later):
                assert served.acquire(timeout=max(0.0, deadline - time.monotonic())), "nothing came meanwhile"
            return openai_reply(f"```python\ndef priority(item, bins):\n    return {HELD_MARK} - bins\n```\n")
        served.release()
        return smart_server(record)

    with LoopbackServer("openai", holding_server) as server:
        config = override(
            RunConfig(seed=4),
            **(
                TINY
                | {
                    "llm.base_url": server.base_url,
                    "llm.concurrency": 3,
                    "llm.timeout_s": 60.0,
                    "evaluation.mode": "steady",
                    "stop.max_iterations": 8,
                }
            ),
        )
        with build_evolver(config, tmp_path / "run") as evolution:
            reason = evolution.run()
            sources = [p.source for p in evolution.archive.programs.of_run("run")]
    assert reason == "reached 8 iterations"
    assert len(server.requests) > held + later
    assert any(HELD_MARK in source for source in sources)  # the held answer was evaluated and filed


HELD_MARK = "0.123456"
