"""The LLM mutator on its own, against loopback servers: what it charges, when it stops, what it keeps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "llm"))

from servers import LoopbackServer, gemini_reply, openai_reply, rate_limited, unauthorized
from test_llm_evolve import EXACT_FIT, TINY, smart_server

from aurora_evo.archive import Archive
from aurora_evo.config import RunConfig, override
from aurora_evo.contracts import Contract
from aurora_evo.evolver import build_evolver
from aurora_evo.executor import SandboxExecutor
from aurora_evo.llm import CallBudget, GeminiBackend, KeyPool, OpenAIBackend, RetryPolicy
from aurora_evo.mutators import Parent
from aurora_evo.mutators.llm import LLMMutator
from aurora_evo.run_folder import ARCHIVE_FILE
from aurora_evo.sandbox import SandboxConfig

BEST_FIT = Parent(
    "p0", "def priority(item, bins):\n    return -(bins - item)\n", -4.0, None, {"excess_percent": 4.0}
)


def mutator(server: LoopbackServer, flavour: str = "openai", **kwargs) -> LLMMutator:
    backend = OpenAIBackend(server.base_url) if flavour == "openai" else GeminiBackend(server.base_url)
    settings = {
        "retry": RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.02),
        "timeout_s": 5.0,
    } | kwargs
    return LLMMutator(
        Contract.BINPACKING, backend, KeyPool(["key-0123456789"]), ["gemini-2.5-pro"], **settings
    )


def test_an_answer_cut_off_before_its_text_is_charged_and_not_retried():
    """Gemini 2.5 can think through the whole output allowance and send no text; the tokens are billed."""
    cut = gemini_reply(
        None, thoughts="...", finish_reason="MAX_TOKENS", completion_tokens=6, thoughts_tokens=4090
    )
    with LoopbackServer("gemini", [cut, gemini_reply(EXACT_FIT)]) as server:
        budget = CallBudget(max_cost_usd=10.0)
        llm = mutator(server, "gemini", budget=budget)
        assert llm.propose([BEST_FIT], np.random.default_rng(0)) == []
        assert len(server.requests) == 1  # the same allowance would be used up again: no retry
    (call,) = llm.take_calls()
    expected = (100 * 1.25 + 4096 * 10.0) / 1e6  # gemini-2.5-pro list prices
    assert call.outcome == "cut_off" and call.completion_tokens == 4096
    assert call.cost_usd == pytest.approx(expected) and budget.cost_usd == pytest.approx(expected)
    assert budget.calls == 1


def test_ask_builds_the_prompt_at_once_and_leaves_only_the_call_for_later():
    """The controller keeps changing what prompts quote (failures, instructions) while calls run on
    other threads: a request is made of the state when it was asked, never of a later one."""
    with LoopbackServer("openai", [openai_reply(EXACT_FIT)]) as server:
        llm = mutator(server)
        llm.note_failure("asked before: division by zero")
        call = llm.ask([BEST_FIT], np.random.default_rng(0))
        assert server.requests == []  # nothing sent yet
        llm.note_failure("arrived later: timed out")
        (proposal,) = call()
        prompt = json.dumps(server.requests[0]["json"]["messages"])
    assert "asked before" in prompt and "arrived later" not in prompt
    assert proposal.parent_ids == ("p0",) and "1000.0" in proposal.source


def test_a_retry_after_longer_than_a_retry_would_wait_rests_the_key_without_blocking():
    """A 429 saying "come back in an hour" is not retried, and the next call does not sleep an hour:
    with every key resting that long, the mutator stops and says why."""
    with LoopbackServer(
        "openai", [rate_limited("openai", retry_after=3600), openai_reply(EXACT_FIT)]
    ) as server:
        llm = mutator(server)
        assert llm.propose([BEST_FIT], np.random.default_rng(0)) == []
        assert llm.exhausted_reason is None
        assert llm.propose([BEST_FIT], np.random.default_rng(1)) == []
        assert len(server.requests) == 1
    assert llm.exhausted_reason.startswith("every API key is rate limited for at least")
    assert [c.outcome for c in llm.take_calls()] == ["rate_limited", "quota"]


def test_a_refused_key_leaves_the_rotation():
    with LoopbackServer("openai", unauthorized("openai")) as server:
        llm = mutator(server)
        llm.propose([BEST_FIT], np.random.default_rng(0))
        llm.propose([BEST_FIT], np.random.default_rng(1))
        assert len(server.requests) == 1
    assert llm.exhausted_reason == "the server refused every API key (check them)"


def test_calls_in_flight_holding_the_budget_only_postpone_a_call():
    with LoopbackServer("openai", smart_server) as server:
        budget = CallBudget(max_cost_usd=0.05)
        llm = mutator(server, budget=budget)
        budget.start(0.049)  # another call in flight holds nearly all of it
        assert llm.propose([BEST_FIT], np.random.default_rng(0)) == []
        assert llm.exhausted_reason is None and budget.refused is None and server.requests == []
        budget.finish(0.049, 0.001)  # it cost little after all
        assert len(llm.propose([BEST_FIT], np.random.default_rng(0))) == 1
    assert budget.calls == 2


class CrashingExecutor(SandboxExecutor):
    """Dies when asked to evaluate the model's first programs, as a run killed mid-iteration would."""

    def evaluate(self, problem, sources, cases):
        if any("* (bins == item)" in source for source in sources):
            raise RuntimeError("killed")
        return super().evaluate(problem, sources, cases)


@pytest.mark.slow
def test_calls_made_before_a_crash_count_after_resume(tmp_path):
    with LoopbackServer("openai", smart_server) as server:
        # In batches (the steady state's kill is tests/evolver/test_steady.py's): the iteration's calls
        # are all made before any evaluation.
        settings = {"llm.base_url": server.base_url, "stop.max_calls": 10, "evaluation.mode": "batch"}
        config = override(RunConfig(seed=8), **(TINY | settings))
        evolution = build_evolver(
            config, tmp_path / "run", executor=CrashingExecutor(SandboxConfig(full_warm_up=False))
        )
        try:
            with pytest.raises(RuntimeError, match="killed"):
                evolution.run()
        finally:
            evolution.close()
        sent = len(server.requests)
        assert sent == 2  # one iteration: a call per island
        again = build_evolver(config, tmp_path / "run", resume=True)
        try:
            assert (
                again.iteration == 0 and again.budget.calls == sent
            )  # the iteration is redone, the calls stay spent
            assert again.run() == "made the 10 LLM calls allowed"
        finally:
            again.close()
        assert len(server.requests) == 10


@pytest.mark.slow
def test_export_validate_of_an_llm_run_needs_no_api_key(tmp_path, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "key-for-the-run-only")
    with LoopbackServer("gemini", lambda record: gemini_reply(EXACT_FIT)) as server:
        config = override(
            RunConfig(seed=9),
            **(TINY | {"llm.backend": "gemini", "llm.base_url": server.base_url, "stop.max_iterations": 1}),
        )
        evolution = build_evolver(config, tmp_path / "run")
        try:
            evolution.run()
        finally:
            evolution.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GEMINI_", "GOOGLE_"))}
    done = subprocess.run(
        [sys.executable, "-m", "aurora_evo", "export", str(tmp_path / "run"), "--validate", "2", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Archive(tmp_path / "run" / ARCHIVE_FILE) as archive:
        assert sum(p.validation_score is not None for p in archive.programs.of_run("run")) >= 2
