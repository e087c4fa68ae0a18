"""The problem seam: the registry, and what every registered problem must do alike (its cases travel to
the sandbox's supervisor as JSON documents and back unchanged, the sandbox scores a program as this
process does, scores and ``jit="auto"`` follow the same rules)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aurora_evo.config import TaskConfig
from aurora_evo.domains import (
    ALLOCATION_DOMAINS,
    PROBLEMS,
    UnknownProblem,
    get_problem,
    problem_from_spec,
    problem_names,
    problem_of_domain,
)
from aurora_evo.domains.binpacking import Dataset, VectorInstance
from aurora_evo.domains.binpacking.problem import BinPackingProblem
from aurora_evo.errors import InputError
from aurora_evo.problem import Problem, mean_score, unique_names
from aurora_evo.sandbox import Sandbox, SandboxConfig
from aurora_evo.sandbox.cases import problem_spec
from aurora_evo.scenario.model import Domain
from aurora_evo.seeds import seed_scenario_paths

#: Small task settings of every registered problem: a few cases, each evaluated in well under a second.
SMALL_TASKS = {
    "allocation": TaskConfig(domain="cloud", levels=("easy",)),
    "binpacking": TaskConfig(
        domain="binpacking",
        dataset="or",
        train_instances=2,
        train_items=120,
        validation_instances=1,
        validation_items=250,
    ),
    "vector_packing": TaskConfig(
        domain="vector_packing",
        train_instances=2,
        train_items=60,
        validation_instances=1,
        validation_items=100,
    ),
}


def _vector_dataset() -> Dataset:
    items = np.random.default_rng(0).uniform(0.5, 4.0, size=(20, 2))
    return Dataset("vector", (VectorInstance("v0", np.array([10.0, 8.0]), items),), "test")


#: Cases a problem's documents must also carry that its runs' cases do not have.
OTHER_CASES = {"binpacking": (_vector_dataset(),)}


def write_case_file(name: str, folder) -> str:
    """A small case file of the registered problem ``name``, as ``aurora-evo score`` takes them."""
    if name == "allocation":
        return str(seed_scenario_paths("easy", "cloud")[0])
    if name == "binpacking":
        path = folder / "small.txt"
        path.write_text("1\nu1\n10 4 2\n6\n5\n4\n3\n")  # OR-Library: one problem of four items
        return str(path)
    path = folder / "small.vbp"
    path.write_text("2\n32 128\n2\n16 64 2\n8 16 3\n")
    return str(path)


def small_cases(name: str) -> tuple:
    cases = get_problem(name).cases(SMALL_TASKS[name], seed=0)
    return (*cases.train, *cases.validation)


def baseline(problem: Problem, readable: str) -> str:
    """The baseline program ``readable`` (``"best fit"``) of ``problem``, whatever the case and
    separators of its name there (as :func:`aurora_evo.evolver.validation.baseline_validation` reads them)."""
    named = {name.replace("_", " ").lower(): source for name, source in problem.baselines().items()}
    return named[readable]


class ShortBinPacking(BinPackingProblem):
    """A problem no registry entry names, found by its ``"module:Class"`` alone."""

    name = "short-binpacking"


# --- the registry -----------------------------------------------------------------------------------


def test_every_registered_problem_has_small_task_settings_here():
    assert set(SMALL_TASKS) == set(problem_names()) == set(PROBLEMS)


@pytest.mark.parametrize("name", problem_names())
def test_a_registered_problem_is_one_instance_under_its_own_name(name):
    problem = get_problem(name)
    assert isinstance(problem, Problem)
    assert problem.name == name
    assert get_problem(name) is problem
    assert problem_from_spec(PROBLEMS[name]) is problem
    assert problem_from_spec(problem_spec(problem)) is problem  # the spec the sandbox's requests carry


def test_an_unknown_name_is_a_one_line_error_listing_the_registered_ones():
    with pytest.raises(UnknownProblem) as caught:
        get_problem("knapsack")
    registered = ", ".join(sorted(problem_names()))
    assert str(caught.value) == f"no problem named 'knapsack'; registered: {registered}"
    assert "allocation, binpacking" in registered
    assert isinstance(caught.value, KeyError)


def test_a_spec_finds_a_problem_no_registry_entry_names():
    spec = f"{__name__}:ShortBinPacking"
    problem = problem_from_spec(spec)
    assert type(problem) is ShortBinPacking
    assert problem_from_spec(spec) is problem
    # Outside the package, the spec names the folder the supervisor imports the module from.
    assert problem_spec(problem) == f"{spec}@{Path(__file__).resolve().parent}"
    assert type(problem_from_spec(problem_spec(problem))) is ShortBinPacking
    assert "short-binpacking" not in problem_names()


def test_a_problem_no_other_process_can_import_is_refused_with_a_reason():
    class Local(ShortBinPacking):
        pass

    with pytest.raises(ValueError, match="define Local in a module file"):
        problem_spec(Local())


def test_the_allocation_domains_are_the_scenario_model_s():
    """The registry spells them out to stay light (the scenario model imports numpy); they must agree."""
    assert set(ALLOCATION_DOMAINS) == {domain.value for domain in Domain} - {"binpacking"}


def test_a_run_domain_names_its_problem():
    assert problem_of_domain("binpacking") is get_problem("binpacking")
    for domain in ("cloud", "edge", "network"):
        assert problem_of_domain(domain) is get_problem("allocation")


# --- what every problem does alike --------------------------------------------------------------------


@pytest.mark.parametrize("name", problem_names())
def test_a_case_document_round_trips_through_json(name):
    problem = get_problem(name)
    for case in (*small_cases(name), *OTHER_CASES.get(name, ())):
        document = problem.case_to_document(case)
        back = problem.case_from_document(json.loads(json.dumps(document)))
        assert type(back) is type(case)
        assert problem.case_to_document(back) == document
        assert back.name == case.name
        assert problem.decision_counts(back) == problem.decision_counts(case)


@pytest.mark.parametrize("name", problem_names())
def test_a_round_tripped_case_scores_as_the_original(name):
    problem = get_problem(name)
    cases = small_cases(name)
    back = [problem.case_from_document(json.loads(json.dumps(problem.case_to_document(c)))) for c in cases]
    source = baseline(problem, "best fit")
    assert problem.evaluate(source, back).as_dict() == problem.evaluate(source, cases).as_dict()


@pytest.mark.parametrize("name", problem_names())
def test_the_trivial_program_runs_on_the_touch_case(name):
    problem = get_problem(name)
    case = small_cases(name)[0]
    touch = problem.touch_case(case)
    assert problem.case_size(touch) <= problem.case_size(case)
    result = problem.evaluate(problem.trivial_program, [touch])
    assert result.outcome.ok, result.message


@pytest.mark.parametrize("name", problem_names())
def test_the_score_is_the_mean_of_the_case_scores(name):
    problem = get_problem(name)
    cases = small_cases(name)
    result = problem.evaluate(baseline(problem, "first fit"), cases)
    assert result.outcome.ok, result.message
    scores = problem.training_score(result.per_case)
    assert list(scores) == list(result.per_case)
    assert result.score == mean_score(list(scores.values()))
    assert problem.case_size(cases[0]) == sum(problem.decision_counts(cases[0]))


@pytest.mark.parametrize("name", problem_names())
def test_two_cases_of_one_name_keep_an_entry_each(name):
    problem = get_problem(name)
    case = small_cases(name)[0]
    result = problem.evaluate(baseline(problem, "best fit"), [case, case])
    assert list(result.per_case) == [case.name, f"{case.name}#2"]
    assert unique_names(["a", "b", "a", "a"]) == ["a", "b", "a#2", "a#3"]


@pytest.mark.parametrize("name", problem_names())
def test_jit_always_and_never_ignore_the_size_and_an_unknown_mode_is_refused(name):
    problem = get_problem(name)
    cases = small_cases(name)
    assert problem.use_jit("always", cases) and not problem.use_jit("never", cases)
    assert not problem.use_jit("auto", cases)  # small cases: below every threshold
    with pytest.raises(ValueError, match="jit mode 'sometimes'"):
        problem.use_jit("sometimes", [])


@pytest.mark.parametrize("name", problem_names())
def test_case_files_load_and_a_result_lays_out_as_a_table(name, tmp_path):
    problem = get_problem(name)
    assert problem.case_file_kind in ("scenario", "dataset") and problem.case_file_hint.startswith("FILE")
    path = write_case_file(name, tmp_path)
    cases = problem.load_cases([path, path])
    assert len(cases) == 2 and problem.case_to_document(cases[0]) == problem.case_to_document(cases[1])
    result = problem.evaluate(baseline(problem, "best fit"), cases)
    assert result.outcome.ok, result.message
    table = problem.result_table(result)
    assert table.rows and all(len(row) == len(table.columns) for row in table.rows)
    assert all(isinstance(cell, str) for row in table.rows for cell in row)
    cells = {cell for row in table.rows for cell in row} | set(table.columns)
    assert set(result.per_case) <= cells  # every case is named, down the side or across the top


def test_vector_packing_refuses_a_one_dimensional_dataset_and_allocation_a_dataset(tmp_path):
    with pytest.raises(InputError, match=r"one-dimensional items; vector packing needs a \.vbp file"):
        get_problem("vector_packing").load_cases([write_case_file("binpacking", tmp_path)])
    with pytest.raises(InputError, match=r"small\.vbp"):
        get_problem("allocation").load_cases([write_case_file("vector_packing", tmp_path)])


def test_scores_read_as_their_problem_says():
    assert get_problem("allocation").format_score(0.77214) == "0.7721"
    assert get_problem("binpacking").format_score(-3.1649) == "3.16%"


# --- in the sandbox as in this process ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(SandboxConfig(full_warm_up=False)) as box:
        yield box


@pytest.mark.parametrize("path", ["chosen", "jail"])
@pytest.mark.parametrize("program", ["first fit", "best fit", "trivial"])
@pytest.mark.parametrize("name", problem_names())
def test_the_sandbox_scores_a_program_as_this_process_does(name, program, path, sandbox):
    """``path``: the sandbox's own choice (the client simulates a small allocation evaluation itself,
    a jail answering the program's calls), or an evaluation jail whatever the size."""
    problem = get_problem(name)
    cases = small_cases(name)[:2]
    source = problem.trivial_program if program == "trivial" else baseline(problem, program)
    config = sandbox.config
    if path == "jail":
        sandbox.config = dataclasses.replace(config, simulate_here_max_tasks=0)
    try:
        sandboxed = sandbox.evaluate(problem, source, cases)
    finally:
        sandbox.config = config
    assert sandboxed.outcome.ok, sandboxed.message
    assert sandboxed.as_dict() == problem.evaluate(source, cases).as_dict()


def test_the_supervisor_s_problems_bring_no_archive_nor_language_model():
    """The supervisor imports every problem a request names and forks each jail from itself: what they
    import, every jail carries (the attacker, with the archive and the LLM client, did)."""
    probe = (
        "import sys\n"
        "from aurora_evo.domains import PROBLEMS, get_problem\n"
        "for name in PROBLEMS: get_problem(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'sqlite_utils', 'openai', 'google'}))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('aurora_evo.attacker', 'aurora_evo.llm', "
        "'aurora_evo.archive'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.splitlines() == ["[]", "[]"], done.stdout
