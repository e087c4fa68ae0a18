"""Prompt building: golden texts for each mode and contract, ordering, renaming and edge cases.

Run with ``UPDATE_GOLDEN=1`` to rewrite the golden files after an intended change, then read them: they
are what the language model sees.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

from aurora_evo.contracts import Contract
from aurora_evo.mutators.base import Parent
from aurora_evo.mutators.edits import seed_sources
from aurora_evo.mutators.llm.parse import ParseStatus, parse_response
from aurora_evo.mutators.llm.prompts import DEFAULT_INSTRUCTIONS, PromptMode, build_prompt
from aurora_evo.seeds import seed_program_paths

GOLDEN = Path(__file__).parent / "golden"

BINPACKING = seed_sources(Contract.BINPACKING)
ALLOCATION = {name: path.read_text(encoding="utf-8") for name, path in seed_program_paths().items()}

BIN_PARENTS = (
    Parent("bp-best", BINPACKING["Best Fit"], -3.9812, metrics={"excess_percent": 3.98123}),
    Parent(
        "bp-first",
        BINPACKING["First Fit"],
        -4.8813,
        metrics={"excess_percent": 4.88134},
        message="numba could not compile the program; it ran on the numpy path",
    ),
)
ALLOC_PARENTS = (
    Parent(
        "al-best",
        ALLOCATION["best_fit"],
        0.61234,
        metrics={
            "reward": 0.61234,
            "sla_violation_rate": 0.0412,
            "cpu_utilization": 0.55561,
            "cost_usd": 1234.5678,
        },
    ),
    Parent(
        "al-rr",
        ALLOCATION["round_robin"],
        0.54981,
        metrics={"reward": 0.54981, "sla_violation_rate": 0.1, "cpu_utilization": 0.31, "cost_usd": 2040.0},
        message="scenario cloud-easy-03: 12 tasks rejected",
    ),
)
FAILURES = (
    'diff_not_applied: diff block 1: SEARCH text not found in the parent (it starts "return bins")',
    "forbidden: line 3: import of os is not allowed",
    "runtime_error: weibull-5k: priority() raised an exception: ZeroDivisionError:\n float division by zero",
)

CASES = {
    f"{mode.value}_{name}": (mode, contract, parents, instruction, ())
    for mode in PromptMode
    for name, contract, parents, instruction in (
        ("binpacking", Contract.BINPACKING, BIN_PARENTS, DEFAULT_INSTRUCTIONS[0]),
        ("allocation", Contract.ALLOCATION, ALLOC_PARENTS, DEFAULT_INSTRUCTIONS[1]),
    )
}
CASES["diff_binpacking_failures"] = (
    PromptMode.DIFF,
    Contract.BINPACKING,
    BIN_PARENTS,
    DEFAULT_INSTRUCTIONS[3],
    FAILURES,
)


def render(prompt) -> str:
    return f"=== system ===\n{prompt.system}=== user ===\n{prompt.user}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    mode, contract, parents, instruction, failures = CASES[name]
    text = render(build_prompt(mode, contract, parents, instruction, failures=failures))
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to write it"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed: rerun with UPDATE_GOLDEN=1 and review"


def test_prompts_are_deterministic():
    for mode, contract, parents, instruction, failures in CASES.values():
        first = build_prompt(mode, contract, parents, instruction, failures=failures)
        assert first == build_prompt(mode, contract, list(parents), instruction, failures=list(failures))


def test_best_shot_orders_parents_by_score_with_none_lowest():
    parents = [
        Parent("a", BINPACKING["Best Fit"], -2.0),
        Parent("b", BINPACKING["First Fit"], None),
        Parent("c", BINPACKING["Worst Fit"], -7.5),
    ]
    prompt = build_prompt(PromptMode.BEST_SHOT, Contract.BINPACKING, parents, "Improve.")
    assert prompt.version == 3
    code = prompt.parent_source
    order = [code.index(f"def priority_v{i}(") for i in range(3)]
    assert order == sorted(order)
    assert "First fit" in code[order[0] :] and "Worst fit" in code[order[1] : order[2]]
    assert "Best fit" in code[order[2] :]
    assert '"""Improved version of priority_v2."""' in prompt.user
    assert "def priority_v3(item: float, bins: np.ndarray) -> np.ndarray:" in prompt.user
    assert "def priority(" not in code
    ast.parse(code)


def test_best_shot_merges_imports_and_renames_clashing_helpers():
    one = 'import numpy as np\nimport math\n\nW = 0.5\n\n\ndef priority(item, bins):\n    """Uses priority in a string."""\n    return -W * (bins - item)\n'
    two = "import numpy as np\n\nW = 0.9\n\n\ndef priority(item, bins):\n    return priority_helper(bins) * W\n\n\ndef priority_helper(bins):\n    return -bins\n"
    prompt = build_prompt(
        PromptMode.BEST_SHOT,
        Contract.BINPACKING,
        [Parent("1", one, -1.0), Parent("2", two, -2.0)],
        "Improve.",
    )
    code = prompt.parent_source
    assert code.count("import numpy as np") == 1 and code.count("import math") == 1
    # v0 is the worse one (-2.0): its W stays, the better one's W becomes W_v1.
    assert "W = 0.9" in code and "W_v1 = 0.5" in code
    assert "return priority_helper(bins) * W\n" in code
    assert "-W_v1 * (bins - item)" in code
    assert '"""Uses priority in a string."""' in code
    ast.parse(code)


def test_empty_parents_ask_for_a_fresh_program():
    prompt = build_prompt(PromptMode.BEST_SHOT, Contract.BINPACKING, [], "Start simple.")
    assert prompt.version == 0 and prompt.parent_source is None
    assert "def priority_v0(item: float, bins: np.ndarray) -> np.ndarray:" in prompt.user
    for mode in (PromptMode.DIFF, PromptMode.REWRITE):
        prompt = build_prompt(mode, Contract.ALLOCATION, [], "Start simple.")
        assert prompt.version is None and prompt.parent_source is None
        assert "There is no program yet" in prompt.user
        assert "SEARCH" not in prompt.system and "complete program" in prompt.system


def test_diff_and_rewrite_show_the_first_parent_to_edit_and_others_for_inspiration():
    for mode in (PromptMode.DIFF, PromptMode.REWRITE):
        prompt = build_prompt(mode, Contract.BINPACKING, BIN_PARENTS, "Improve.")
        assert prompt.parent_source == BIN_PARENTS[0].source and prompt.version is None
        current = prompt.user.index("## Current program")
        others = prompt.user.index("## Other programs, for inspiration")
        assert current < prompt.user.index("Best fit") < others < prompt.user.index("First fit")
    assert "<<<<<<< SEARCH\n" in build_prompt(PromptMode.DIFF, Contract.BINPACKING, BIN_PARENTS, "x").system
    assert "```python fence" in build_prompt(PromptMode.REWRITE, Contract.BINPACKING, BIN_PARENTS, "x").system


def test_feedback_and_failures_are_shown():
    prompt = build_prompt(
        PromptMode.REWRITE, Contract.ALLOCATION, ALLOC_PARENTS, "Go.", failures=["", *FAILURES]
    )
    assert "Score: 0.6123" in prompt.user
    assert (
        "Metrics: cost_usd=1235, cpu_utilization=0.5556, reward=0.6123, sla_violation_rate=0.0412"
        in prompt.user
    )
    assert "Sandbox: scenario cloud-easy-03: 12 tasks rejected" in prompt.user
    assert (
        "- runtime_error: weibull-5k: priority() raised an exception: ZeroDivisionError: float division by zero"
        in prompt.user
    )
    assert prompt.user.count("\n- ") >= 3
    assert (
        "## Recent failures"
        not in build_prompt(PromptMode.REWRITE, Contract.ALLOCATION, ALLOC_PARENTS, "Go.").user
    )


def test_the_model_is_always_asked_to_explain_first():
    for mode in PromptMode:
        for contract in Contract:
            prompt = build_prompt(mode, contract, BIN_PARENTS[:1], "Go.")
            assert "first explain your idea in a few sentences" in prompt.system
            assert "numpy" in prompt.system and "no other imports" in prompt.system


def test_default_instructions_are_varied_and_short():
    assert len(DEFAULT_INSTRUCTIONS) == 4 and len(set(DEFAULT_INSTRUCTIONS)) == 4
    for text in DEFAULT_INSTRUCTIONS:
        assert 1 <= len(re.findall(r"[.!?](?:\s|$)", text)) <= 3, text
        assert "\n" not in text and text == text.strip()


def test_best_shot_answer_round_trip_uses_the_shown_helpers():
    prompt = build_prompt(PromptMode.BEST_SHOT, Contract.ALLOCATION, ALLOC_PARENTS, "Go.")
    answer = (
        "Blend best fit with a penalty on busy nodes.\n\n```python\n"
        f"def priority_v{prompt.version}(task, nodes):\n"
        "    spare = (nodes[:, N_CPU_FREE] - task[T_CPU]) / np.maximum(nodes[:, N_CPU_CAP], 1e-9)\n"
        "    return priority_v1(task, nodes) - 0.1 * spare\n```\n"
    )
    parsed = parse_response(answer, prompt.mode, prompt.parent_source, version=prompt.version)
    assert parsed.status is ParseStatus.OK, parsed.detail
    tree = ast.parse(parsed.source)
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert names == ["priority_v1", "priority"]
    assert "import numpy as np" in parsed.source and "N_CPU_FREE, N_MEM_FREE" in parsed.source
    assert parsed.reasoning == "Blend best fit with a penalty on busy nodes."
