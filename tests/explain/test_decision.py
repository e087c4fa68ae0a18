"""One decision explained: the contender, the deciding term found by asking the program, the sentence,
and the counterfactual that checks it."""

from __future__ import annotations

import numpy as np

from aurora_evo import features
from aurora_evo.contracts import Contract
from aurora_evo.explain import Decision, TermProgram, consistency, explain

BEST_FIT = """
def priority(task, nodes):
    decoy = nodes[:, N_PRICE] * 0.0  # never matters
    spare = nodes[:, N_CPU_FREE] - task[T_CPU]  # cpu left after placement
    return -spare + decoy
"""


def _decision(columns: dict[int, list[float]], fits=None) -> Decision:
    count = len(next(iter(columns.values())))
    task = np.zeros(features.TASK_FEATURES)
    task[features.T_CPU] = 1.0
    nodes = np.zeros((count, features.NODE_FEATURES))
    for column, values in columns.items():
        nodes[:, column] = values
    nodes[:, features.N_INDEX] = np.arange(count)
    nodes[:, features.N_FITS] = 1.0 if fits is None else fits
    return Decision("task 7", task, nodes, np.arange(count), nodes[:, features.N_FITS] > 0.5, "node")


def test_best_fit_is_explained_by_the_room_it_leaves():
    program = TermProgram(BEST_FIT, Contract.ALLOCATION)
    decision = _decision({features.N_CPU_FREE: [8.0, 2.0, 4.0, 1.5], features.N_PRICE: [9.0, 1.0, 5.0, 3.0]},
                         fits=[1, 1, 1, 0])  # fmt: skip
    explanation, check = explain(program, decision)
    assert (explanation.chosen, explanation.contender) == (1, 2)  # node 3 does not fit
    assert explanation.top[0] == (1, -1.0) and explanation.top[1] == (2, -3.0)
    assert explanation.deciding == "spare"
    decides = {term.name: term.decides for term in explanation.terms}
    assert decides == {"decoy": False, "spare": True, "score": False}
    spare = next(term for term in explanation.terms if term.name == "spare")
    assert spare.values[:2] == (1.0, 3.0)
    assert explanation.sentence.startswith(
        "Task 7 goes to node 1 (score -1) rather than node 2 (-3). It turned on"
    )
    assert "spare (cpu left after placement): 1 on node 1 against 3 on node 2" in explanation.sentence
    assert check.checked and check.moved


def test_rows_tied_with_the_chosen_one_are_named_and_the_contender_is_the_best_lower_one():
    program = TermProgram(BEST_FIT, Contract.ALLOCATION)
    explanation, _ = explain(program, _decision({features.N_CPU_FREE: [3.0, 2.0, 2.0, 5.0]}))
    assert (explanation.chosen, explanation.contender) == (1, 0)
    assert "(score -1; node 2 scores the same, and the lowest index is taken) rather than node 0" in (
        explanation.sentence
    )


def test_a_choice_no_named_term_makes_says_so():
    source = "def priority(task, nodes):\n    free = nodes[:, N_CPU_FREE]\n    return free + 100.0 * (nodes[:, N_INDEX] == 2)\n"
    explanation, check = explain(
        TermProgram(source, Contract.ALLOCATION), _decision({features.N_CPU_FREE: [5.0, 9.0, 1.0]})
    )
    assert explanation.chosen == 2 and explanation.deciding is None
    assert "no single term decides" in explanation.sentence and not check.checked


def test_every_row_alike_is_a_choice_by_index():
    explanation, check = explain(
        TermProgram(BEST_FIT, Contract.ALLOCATION), _decision({features.N_CPU_FREE: [2.0, 2.0]})
    )
    assert explanation.contender is None and explanation.sentence.endswith(
        "every node it could take scores the same."
    )
    assert not check.checked


def test_the_check_fails_when_other_uses_of_the_same_input_undo_the_term():
    """``a`` alone decides, but ``b`` reads the same column the other way: swapping the column moves
    both, and the choice stays. The consistency rate counts it as an explanation that did not hold."""
    source = (
        "def priority(task, nodes):\n"
        "    a = nodes[:, N_CPU_FREE]\n"
        "    b = -0.9 * nodes[:, N_CPU_FREE]\n"
        "    return a + b + 10.0 * nodes[:, N_MEM_FREE]\n"
    )
    program = TermProgram(source, Contract.ALLOCATION)
    decision = _decision({features.N_CPU_FREE: [5.0, 0.0], features.N_MEM_FREE: [1.0, 0.9]})
    explanation, check = explain(program, decision)
    assert explanation.deciding == "a" and check.checked and not check.moved
    held = consistency(
        program, [decision, _decision({features.N_CPU_FREE: [5.0, 0.0], features.N_MEM_FREE: [0.0, 0.0]})]
    )
    assert (held.decisions, held.explained, held.checked, held.moved) == (2, 2, 2, 1) and held.rate == 0.5


def test_bins_are_swapped_whole():
    program = TermProgram(
        "def priority(item, bins):\n    room = bins - item\n    return -room\n", Contract.BINPACKING
    )
    decision = Decision(
        "item 3 (size 2)", 2.0, np.array([10.0, 3.0, 5.0]), np.array([0, 4, 6]), np.ones(3, bool), "bin"
    )
    explanation, check = explain(program, decision)
    assert (explanation.chosen, explanation.contender, explanation.deciding) == (4, 6, "room")
    assert check.checked and check.moved
