"""A program's named terms: what each reads, its value at a decision, and the program run again with one
term changed for one row."""

from __future__ import annotations

import numpy as np
import pytest

from aurora_evo import features
from aurora_evo.contracts import Contract
from aurora_evo.explain import TermProgram

SPARE = """
def priority(task, nodes):
    free = nodes[:, N_CPU_FREE]  # free cpu, cores
    spare = free - task[T_CPU]
    if spare[0] > 100.0:
        spare = spare * 2.0
    return -spare
"""


def _decision(cpu_free):
    task = np.zeros(features.TASK_FEATURES)
    task[features.T_CPU] = 1.0
    nodes = np.zeros((len(cpu_free), features.NODE_FEATURES))
    nodes[:, features.N_CPU_FREE] = cpu_free
    nodes[:, features.N_FITS] = 1.0
    return task, nodes


def test_terms_are_found_in_order_with_their_notes_and_inputs():
    program = TermProgram(SPARE, Contract.ALLOCATION)
    assert [term.name for term in program.terms] == ["free", "spare", "score"]
    free, spare, score = program.terms
    assert free.note == "free cpu, cores" and free.reads() == "nodes.cpu_free"
    assert spare.inputs == (("nodes", "cpu_free"), ("task", "cpu"))  # through free
    assert score.reads() == "nodes.cpu_free, task.cpu"


def test_a_run_records_every_term_and_a_change_reaches_what_follows():
    program = TermProgram(SPARE, Contract.ALLOCATION)
    task, nodes = _decision([4.0, 2.0])
    scores, values = program.run(task, nodes)
    np.testing.assert_array_equal(scores, [-3.0, -1.0])
    np.testing.assert_array_equal(values["free"], [4.0, 2.0])
    np.testing.assert_array_equal(values["score"], scores)
    changed, values = program.run(task, nodes, ("free", 0, 200.0))
    np.testing.assert_array_equal(changed, [-398.0, -2.0])  # 199 spare: the branch doubles every row
    np.testing.assert_array_equal(nodes[:, features.N_CPU_FREE], [4.0, 2.0])  # the arguments untouched


def test_bin_packing_terms_read_whole_arguments():
    source = "def priority(item, bins):\n    room = bins - item  # room left\n    return -room\n"
    program = TermProgram(source, Contract.BINPACKING)
    assert (
        program.terms[0].inputs == (("bins", "*"), ("item", "*")) and program.terms[0].reads() == "bins, item"
    )
    scores, _ = program.run(3.0, np.array([5.0, 10.0]))
    np.testing.assert_array_equal(scores, [-2.0, -7.0])


def test_an_augmented_assignment_is_a_step_of_its_term():
    source = (
        "def priority(item, bins):\n    room = bins - item\n    room *= 2.0  # doubled\n    return -room\n"
    )
    program = TermProgram(source, Contract.BINPACKING)
    assert [term.name for term in program.terms] == ["room", "score"]
    _, values = program.run(1.0, np.array([3.0, 5.0]))
    np.testing.assert_array_equal(values["room"], [4.0, 8.0])  # after the step, as the return reads it
    changed, _ = program.run(1.0, np.array([3.0, 5.0]), ("room", 1, 0.5))
    np.testing.assert_array_equal(changed, [-4.0, -0.5])  # the change is made where the term is last set


def test_functions_inside_priority_are_left_alone():
    source = (
        "def priority(item, bins):\n"
        "    def helper(x):\n        inner = x * 2.0\n        return inner\n"
        "    doubled = helper(bins)\n    return doubled - item\n"
    )
    program = TermProgram(source, Contract.BINPACKING)
    scores, values = program.run(1.0, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(scores, [1.0, 3.0])
    assert set(values) == {"doubled", "score"}  # the helper's own return is not the program's score


@pytest.mark.parametrize("source", ["def priority(task):\n    return 0\n", "not python("])
def test_a_program_that_is_not_one_is_refused(source):
    from aurora_evo.program_text import ProgramError

    with pytest.raises(ProgramError):
        TermProgram(source, Contract.ALLOCATION)
