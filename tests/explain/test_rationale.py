"""A language model's rationale beside the offline explanation: the prompt (a golden file), and the
command against real HTTP servers on loopback that speak each provider's API."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "llm"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_run import run
from servers import LoopbackServer, gemini_reply, openai_reply, server_error

from aurora_evo.contracts import Contract
from aurora_evo.explain import TermProgram, explain, scenario_decisions
from aurora_evo.explain.rationale import rationale_prompt
from aurora_evo.scenario.io import load_scenario

REPO = Path(__file__).resolve().parents[2]
PROGRAM = REPO / "programs" / "cloud.py"
SCENARIO = REPO / "seeds" / "scenarios" / "hard-cloud-01.json"
GOLDEN = Path(__file__).parent / "golden" / "rationale_prompt.txt"
WHY = "Node 9 wins because it idles at 18 W where node 1 draws 34 W; both have room for the task."


def test_the_prompt_holds_the_program_the_terms_and_the_offline_sentence():
    source = PROGRAM.read_text()
    (decision,) = scenario_decisions(source, load_scenario(SCENARIO), [40])
    explanation, _ = explain(TermProgram(source, Contract.ALLOCATION), decision)
    prompt = rationale_prompt(source, explanation)
    if os.environ.get("AURORA_EVO_UPDATE_GOLDEN"):
        GOLDEN.write_text(prompt, encoding="utf-8")
    assert prompt == GOLDEN.read_text(encoding="utf-8")


@pytest.mark.parametrize("flavour", ["openai", "gemini"])
def test_explain_asks_the_model_and_prints_its_rationale_beside_the_explanation(capsys, monkeypatch, flavour):
    monkeypatch.setenv("GEMINI_API_KEY", "test-key-aaaaaa")
    answer = openai_reply(WHY) if flavour == "openai" else gemini_reply(WHY)
    with LoopbackServer(flavour, [answer]) as server:
        argv = ["explain", PROGRAM, "--scenario", SCENARIO, "--task", "40", "--check", "10"]
        argv += ["--llm", flavour, "--base-url", server.base_url, "--model", "explainer", "--json"]
        code, out, err = run(capsys, *argv)
        (request,) = server.requests
    assert code == 0, err
    explained = json.loads(out)
    assert explained["rationale"] == WHY and explained["rationale_error"] is None
    body = json.dumps(request["json"])
    assert "explainer" in json.dumps(request) and "An automatic analysis says" in body
    code, out, err = run(capsys, *[a for a in argv if a != "--json"])  # the server answers once
    assert code == 0 and "The model gave no rationale" in out and explained["sentence"][:30] in out


def test_a_failing_model_leaves_the_offline_explanation_whole(capsys):
    with LoopbackServer("openai", [server_error("openai", 500)] * 8) as server:
        code, out, err = run(
            capsys, "explain", PROGRAM, "--scenario", SCENARIO, "--llm", "openai", "--base-url", server.base_url,
            "--model", "m", "--json",
        )  # fmt: skip
    assert code == 0, err
    explained = json.loads(out)
    assert explained["rationale"] == "" and explained["rationale_error"].startswith("server_error")
    assert explained["sentence"] and explained["consistency"]["decisions"] > 0


def test_a_missing_key_or_model_is_one_line(capsys, monkeypatch):
    for name in [n for n in os.environ if n.startswith(("GEMINI_", "GOOGLE_"))]:
        monkeypatch.delenv(name)
    code, _, err = run(capsys, "explain", PROGRAM, "--scenario", SCENARIO, "--llm", "gemini")
    assert code == 2 and "GEMINI_API_KEY" in err and err.count("\n") == 1
    code, _, err = run(
        capsys, "explain", PROGRAM, "--scenario", SCENARIO, "--llm", "openai", "--base-url", "http://x"
    )
    assert code == 2 and "--llm openai needs --model NAME" in err
    code, _, err = run(capsys, "explain", PROGRAM, "--scenario", SCENARIO, "--model", "m")
    assert code == 2 and "go with --llm" in err
