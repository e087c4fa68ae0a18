"""The LLM attacker against loopback servers speaking each provider's wire format, through the real SDKs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "llm"))

from servers import (
    GEMINI,
    OPENAI,
    LoopbackServer,
    gemini_reply,
    openai_reply,
    rate_limited,
    server_error,
)

from aurora_evo.attacker.genome import GENE_NAMES, GENES, ScenarioGenome, gene_bounds
from aurora_evo.attacker.llm import (
    SYSTEM_PROMPT,
    AnswerError,
    DefenderStats,
    LLMAttacker,
    LLMAttackerConfig,
    ScenarioResult,
    build_user_prompt,
    parse_spec,
    spec_schema,
)
from aurora_evo.llm.budget import CallBudget
from aurora_evo.llm.gemini_backend import GeminiBackend
from aurora_evo.llm.keys import KeyPool
from aurora_evo.llm.openai_backend import OpenAIBackend
from aurora_evo.llm.retry import RetryPolicy
from aurora_evo.scenario.quality import features

FLAVOURS = (OPENAI, GEMINI)
MODEL = {OPENAI: "test-model", GEMINI: "gemini-test"}
SEED = 7
STATS = DefenderStats("easy", 0.8, [({"n_tasks": 5.0, "n_nodes": 3.0}, 1.0, 0.0)])
FAST = LLMAttackerConfig(attempts=3, retry=RetryPolicy(attempts=3, base_delay_s=0.001, max_delay_s=0.01))


def genes(**changes: float) -> dict[str, float]:
    """A spec QC accepts at easy (8 cloud tasks on 4 nodes, few deadlines), with ``changes``."""
    spec = {}
    for gene, (low, high) in zip(GENES, gene_bounds("easy"), strict=True):
        middle = (low + high) / 2
        spec[gene.name] = float(round(middle)) if gene.integer else round(middle, 3)
    spec.update(domain=0.0, n_tasks=8.0, n_nodes=4.0, deadline_share=0.2)
    spec.update(changes)
    return spec


def answer(rationale: str = "bursty but roomy", **changes: float) -> str:
    return json.dumps({**genes(**changes), "rationale": rationale})


def reply(flavour: str, text: str, **kwargs):
    return (openai_reply if flavour == OPENAI else gemini_reply)(text, **kwargs)


def attacker(flavour: str, server: LoopbackServer, config: LLMAttackerConfig = FAST, **kwargs) -> LLMAttacker:
    backend = OpenAIBackend(server.base_url) if flavour == OPENAI else GeminiBackend(server.base_url)
    return LLMAttacker(backend, KeyPool(["key-0123456789"]), MODEL[flavour], config=config, **kwargs)


def user_text(flavour: str, request: dict) -> str:
    body = request["json"]
    if flavour == OPENAI:
        return body["messages"][1]["content"]
    return body["contents"][0]["parts"][0]["text"]


def run(flavour: str, replies, *, stats=STATS, config=FAST, recent=(), **kwargs):
    """One proposal against a fresh server: (proposal, attacker, requests)."""
    with LoopbackServer(flavour, replies) as server:
        llm = attacker(flavour, server, config, **kwargs)
        proposal = llm.propose("easy", stats, np.random.default_rng(SEED), recent=recent)
        return proposal, llm, list(server.requests)


# ------------------------------------------------------------------------------------- good answers


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_good_answer_gives_an_accepted_scenario_of_the_level(flavour):
    proposal, llm, requests = run(
        flavour, [reply(flavour, answer(), prompt_tokens=900, completion_tokens=80)]
    )
    assert proposal is not None and proposal.report.passed
    assert proposal.scenario.level == "easy" and len(proposal.scenario.tasks) == 8
    assert len(proposal.scenario.nodes) == 4 and proposal.scenario.name == "easy-cloud-llm-001"
    assert proposal.genome == ScenarioGenome("easy", tuple(genes()[name] for name in GENE_NAMES))
    assert proposal.scenario.provenance["genome"]["genes"] == genes()
    assert proposal.rationale == "bursty but roomy" and proposal.notes == () and proposal.attempts == 1
    assert llm.last_reasons == () and llm.last_refusal == "" and llm.accepted == 1
    [record] = llm.take_calls()
    assert (record.backend, record.purpose, record.mode, record.outcome) == (
        flavour,
        "scenario",
        "attacker",
        "ok",
    )
    assert (record.prompt_tokens, record.completion_tokens, record.attempt, record.key_index) == (
        900,
        80,
        1,
        0,
    )
    assert record.latency_s >= 0 and record.cost_usd == 0.0 and record.model == MODEL[flavour]
    assert llm.take_calls() == []
    [request] = requests
    assert "Make the scenario harder." in user_text(flavour, request)


def test_openai_request_carries_the_schema_as_response_format():
    _, _, [request] = run(OPENAI, [openai_reply(answer())])
    body = request["json"]
    assert body["messages"][0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "scenario_spec", "schema": spec_schema("easy"), "strict": False},
    }


def test_gemini_request_carries_the_schema_as_response_json_schema():
    _, _, [request] = run(GEMINI, [gemini_reply(answer())])
    config = request["json"]["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == spec_schema("easy")
    assert request["json"]["systemInstruction"]["parts"] == [{"text": SYSTEM_PROMPT}]


def test_a_fenced_json_answer_works():
    text = f"Here is my scenario:\n```json\n{answer()}\n```\nGood luck."
    proposal, llm, _ = run(GEMINI, [gemini_reply(text)])
    assert proposal is not None and proposal.genome["n_tasks"] == 8
    assert [c.outcome for c in llm.take_calls()] == ["ok"]


def test_an_out_of_bounds_gene_is_clipped_and_noted():
    proposal, llm, _ = run(OPENAI, [openai_reply(answer(n_nodes=9, size_scale=0.1))])
    assert proposal is not None
    assert proposal.genome["n_nodes"] == 5 and proposal.genome["size_scale"] == 0.8
    assert len(proposal.scenario.nodes) == 5
    assert proposal.notes == (
        "n_nodes 9 clipped to 5 (easy allows 2-5)",
        "size_scale 0.1 clipped to 0.8 (easy allows 0.8-1.5)",
    )
    [record] = llm.take_calls()
    assert record.outcome == "ok" and "n_nodes 9 clipped to 5" in record.error


# ------------------------------------------------------------------------------------ refusals


def test_a_refused_scenario_is_asked_again_with_the_reasons():
    # The first answer redraws exactly a recently accepted scenario: the diversity layer refuses it.
    twin = ScenarioGenome("easy", tuple(genes().values())).to_scenario(np.random.default_rng(SEED), "twin")
    second = answer("more tasks at the edge", domain=1.0, n_tasks=10.0)
    proposal, llm, requests = run(
        OPENAI, [openai_reply(answer()), openai_reply(second)], recent=[features(twin)]
    )
    assert proposal is not None and proposal.attempts == 2 and proposal.genome["n_tasks"] == 10
    assert proposal.scenario.name == "easy-edge-llm-001" and proposal.rationale == "more tasks at the edge"
    first, retry = (user_text(OPENAI, r) for r in requests)
    assert "refused" not in first
    assert "Your answer 1 to this request was refused:" in retry
    assert "diversity: a near-copy of a recent scenario (1 back): standardised distance 0.000" in retry
    assert '"n_tasks": 8' in retry  # the refused answer is quoted
    assert [c.outcome for c in llm.take_calls()] == ["qc_refused", "ok"]
    assert len(llm.last_reasons) == 1 and "diversity" in llm.last_reasons[0]
    assert llm.last_refusal == ""


def test_a_proposal_refused_every_time_gives_none_and_the_next_prompt_quotes_it():
    twin = ScenarioGenome("easy", tuple(genes().values())).to_scenario(np.random.default_rng(SEED), "twin")
    once = LLMAttackerConfig(attempts=1, retry=FAST.retry)
    with LoopbackServer(OPENAI, [openai_reply(answer())]) as server:
        llm = attacker(OPENAI, server, once)
        assert llm.propose("easy", STATS, np.random.default_rng(SEED), recent=[features(twin)]) is None
        assert llm.last_refusal.startswith("diversity:") and "diversity" in llm.last_reasons[0]
        assert llm.propose("easy", STATS, np.random.default_rng(SEED + 1)) is not None
        prompts = [user_text(OPENAI, r) for r in server.requests]
    assert "Quality control refused your last scenario:\ndiversity: a near-copy" in prompts[1]
    assert "refused" not in prompts[0]
    assert llm.state() == {"last_refusal": "", "accepted": 1}


def test_garbage_json_a_500_and_a_429_are_recorded_and_do_not_raise():
    replies = [
        openai_reply("I would rather not answer in JSON."),
        server_error(OPENAI, 500),
        rate_limited(OPENAI, retry_after=None),
        openai_reply(answer()),
    ]
    proposal, llm, requests = run(OPENAI, replies)
    assert proposal is not None and proposal.attempts == 2 and len(requests) == 4
    calls = llm.take_calls()
    assert [c.outcome for c in calls] == ["bad_answer", "server_error", "rate_limited", "ok"]
    assert [c.attempt for c in calls] == [1, 1, 2, 3]
    assert "not one JSON object" in calls[0].error and "500" in calls[1].error
    assert "not one JSON object" in user_text(OPENAI, requests[1])


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_failed_calls_give_none_with_the_reason(flavour):
    config = LLMAttackerConfig(retry=RetryPolicy(attempts=2, base_delay_s=0.001))
    proposal, llm, requests = run(
        flavour, [server_error(flavour, 500), rate_limited(flavour, None)], config=config
    )
    assert proposal is None and len(requests) == 2
    assert [c.outcome for c in llm.take_calls()] == ["server_error", "rate_limited"]
    [reason] = llm.last_reasons
    assert reason.startswith("answer 1: the call failed (rate_limited")


def test_answers_that_are_never_usable_give_none():
    proposal, llm, requests = run(GEMINI, [gemini_reply('{"n_tasks": 4, "rationale": "x"}')])
    assert proposal is None and len(requests) == FAST.attempts
    assert [c.outcome for c in llm.take_calls()] == ["bad_answer"] * 3
    assert all("missing genes: domain, n_nodes" in r for r in llm.last_reasons)


def test_the_budget_stops_further_calls():
    budget = CallBudget(max_calls=1)
    with LoopbackServer(GEMINI, [gemini_reply(answer())]) as server:
        llm = attacker(GEMINI, server, budget=budget)
        assert llm.propose("easy", STATS, np.random.default_rng(SEED)) is not None
        assert llm.propose("easy", STATS, np.random.default_rng(SEED)) is None
        assert llm.propose("easy", STATS, np.random.default_rng(SEED)) is None
        assert len(server.requests) == 1
    assert llm.exhausted_reason == "the budget of 1 LLM calls is used"
    calls = llm.take_calls()
    assert [(c.outcome, c.attempt) for c in calls] == [("ok", 1), ("budget", 0)]
    assert llm.last_reasons == ("the budget of 1 LLM calls is used",)
    assert budget.calls == 1


# ------------------------------------------------------------------------------------ parts


def test_the_schema_follows_the_level_bounds():
    schema = spec_schema("medium")
    assert schema["required"] == [*GENE_NAMES, "rationale"] and schema["additionalProperties"] is False
    for gene, (low, high) in zip(GENES, gene_bounds("medium"), strict=True):
        prop = schema["properties"][gene.name]
        assert (prop["minimum"], prop["maximum"]) == (low, high)
        assert prop["type"] == ("integer" if gene.integer else "number")
    assert schema["properties"]["n_tasks"]["minimum"] == 12 and isinstance(
        schema["properties"]["n_tasks"]["minimum"], int
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "not one JSON object"),
        ("[1, 2]", "not one JSON object"),
        (json.dumps({k: v for k, v in genes().items() if k != "n_nodes"}), "missing genes: n_nodes"),
        (json.dumps({**genes(), "n_gpus": 3}), "unknown keys: n_gpus"),
        (json.dumps({**genes(), "n_tasks": "eight"}), 'gene n_tasks must be a number, not "eight"'),
        (json.dumps({**genes(), "n_tasks": True}), "gene n_tasks must be a number, not true"),
        (json.dumps(genes()).replace("8.0", "NaN", 1), "gene n_tasks must be a number"),
    ],
)
def test_unusable_answers_are_refused_with_a_reason(text, says):
    with pytest.raises(AnswerError, match=None) as caught:
        parse_spec(text, "easy")
    assert says in str(caught.value)


def test_parse_rounds_integer_genes_and_tolerates_text_around_the_object():
    text = answer("  two\n lines ", n_tasks=6.6)
    genome, rationale, notes = parse_spec(f"Sure! {text} Done.", "easy")
    assert genome["n_tasks"] == 7 and rationale == "two lines"
    assert notes == ("n_tasks 6.6 rounded to 7 (a whole number)",)
    genome, rationale, _ = parse_spec(json.dumps(genes()), "easy")  # no rationale: tolerated
    assert rationale == "" and genome["n_nodes"] == 4


def test_the_prompt_is_deterministic_and_says_what_matters():
    stats = DefenderStats(
        "easy",
        0.25,
        [ScenarioResult({"n_tasks": 5.0}, 0.0, 0.0)] + [({"n_tasks": float(i)}, 0.5, 1.0) for i in range(9)],
    )
    text = build_user_prompt("easy", stats, recent_shown=3, last_refusal="complexity: too big")
    assert text == build_user_prompt("easy", stats, recent_shown=3, last_refusal="complexity: too big")
    assert text.startswith("Difficulty level: easy (tasks 3-12, nodes 2-5, offered load 0.2-0.7,")
    assert "- domain: whole number 0 to 2; the domain: 0 cloud, 1 edge, 2 network" in text
    assert "- n_nodes: whole number 2 to 5; number of nodes" in text
    assert "succeed on 25% of their training scenarios at level easy; the target is 50%." in text
    assert "Make the scenario easier." in text
    assert text.count("- success ") == 3 and '{"n_tasks": 8}' in text and '{"n_tasks": 5}' not in text
    assert "Quality control refused your last scenario:\ncomplexity: too big" in text
    assert text.endswith('Answer with the JSON object only: every gene of the list above, and "rationale".')


def test_genes_the_generator_cannot_draw_are_a_bad_answer(monkeypatch):
    def refuse(self, rng, name):
        raise ValueError("a request needs a resource (or more gpus) that no node type has")

    monkeypatch.setattr(ScenarioGenome, "to_scenario", refuse)
    once = LLMAttackerConfig(attempts=1, retry=FAST.retry)
    proposal, llm, _ = run(OPENAI, [openai_reply(answer())], config=once)
    assert proposal is None
    [call] = llm.take_calls()
    assert call.outcome == "bad_answer" and call.error.startswith(
        "the generator cannot draw this scenario: a"
    )
