"""Exported programs stand alone; schedulers load them, run them and pickle small."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

from aurora_evo.config import override
from aurora_evo.contracts import Contract
from aurora_evo.domains.binpacking import builtin_datasets
from aurora_evo.evolver import build_evolver
from aurora_evo.export import constants_used, export_run, standalone_source
from aurora_evo.scheduler import load_scheduler
from aurora_evo.seeds import seed_program_paths, seed_scenarios


def test_an_allocation_program_exports_with_the_constants_it_reads(tmp_path):
    source = "import numpy as np\ndef priority(task, nodes):\n    return nodes[:, N_CPU_FREE] - task[T_CPU]\n"
    assert constants_used(source) == {"N_CPU_FREE": 1, "T_CPU": 1}
    text = standalone_source(
        source, domain="cloud", contract=Contract.ALLOCATION, scores={"train": 0.8, "validation": None},
        run="r", program="p1", lineage=["p1", "p0"], reasoning="prefers free cpu",
    )  # fmt: skip
    assert "# lineage: p1 <- p0" in text and "# reasoning:" in text and "N_CPU_FREE = 1" in text
    # What it does, read from its text (an offline program has no model's reasoning to carry).
    assert "# what it does: Reads nodes.cpu_free, task.cpu, in one expression." in text
    path = tmp_path / "exported.py"
    path.write_text(text)
    # Standalone: numpy only, no aurora_evo import needed.
    check = "import runpy, numpy as np; g = runpy.run_path('exported.py'); print(g['priority'](np.ones(12), np.ones((3, 17))))"
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_a_program_without_numpy_exports_without_its_import_and_long_scores_wrap(tmp_path, ruff):
    # Best fit's seed reads no numpy: an unused import failed the lint of exported files.
    scores = {"train (minus % excess over L1, extrapolated to 250 items)": -3.9, "validation (...)": -4.1}
    text = standalone_source(
        "import numpy as np\n\n\ndef priority(item, bins):\n    return -(bins - item)\n",
        domain="binpacking", contract=Contract.BINPACKING, scores=scores, run="r", program="p", lineage=["p"],
    )  # fmt: skip
    assert "import numpy" not in text
    assert "# scores: train (minus % excess over L1, extrapolated to 250 items) -3.9," in text
    path = tmp_path / "best_fit.py"
    path.write_text(text)
    assert ruff([path]) == ""
    assert load_scheduler(path).pack(np.array([3.0, 4.0]), 10.0).bins_used == 1


def test_load_scheduler_places_runs_and_pickles(tmp_path):
    import aurora_evo

    assert aurora_evo.load_scheduler is load_scheduler  # the documented entry point
    scheduler = load_scheduler(seed_program_paths()["best_fit"])
    assert scheduler.contract is Contract.ALLOCATION and "in this process" in type(scheduler).__doc__
    scenario = seed_scenarios("easy")[0]
    result = scheduler.run(scenario)
    assert result.ok
    nodes = np.zeros((3, 17))
    nodes[:, 1], nodes[:, 2], nodes[:, 5], nodes[:, 6] = [4, 2, 8], [8, 8, 8], 8, 8
    nodes[:, 16] = [1, 1, 0]
    task = np.zeros(12)
    task[1], task[2] = 1, 1
    assert scheduler.place(task, nodes) == 1  # best fit among the two nodes it fits on
    again = pickle.loads(pickle.dumps(scheduler))
    assert again.program_ is None and again.run(scenario).metrics == result.metrics
    assert len(pickle.dumps(scheduler)) < 2_000


def test_a_bin_packing_scheduler_packs(tmp_path):
    path = tmp_path / "bf.py"
    path.write_text("import numpy as np\ndef priority(item, bins):\n    return -(bins - item)\n")
    scheduler = load_scheduler(path)
    assert scheduler.contract is Contract.BINPACKING
    dataset = builtin_datasets()["OR3"]
    bins = [scheduler.pack(i.items, i.capacity).bins_used for i in dataset.instances]
    assert np.mean(bins) == 212.0  # best fit on OR3


@pytest.mark.parametrize("top", [1, 3])
def test_export_run_writes_the_best_programs(tmp_path, tiny_config, top, ruff):
    run_dir = tmp_path / "run"
    score_items = 400 if top == 3 else None  # the header says when training was extrapolated
    evolution = build_evolver(override(tiny_config, **{"task.train_score_items": score_items}), run_dir)
    try:
        evolution.run()
    finally:
        evolution.close()
    written = export_run(run_dir, top, tmp_path / "out")
    assert len(written) == top
    text = written[0].read_text()
    assert text.startswith("# aurora-evo evolved program") and "# scores: train" in text
    assert ("extrapolated to 400 items" in text) == (score_items == 400)
    scheduler = load_scheduler(written[0])
    instance = builtin_datasets()["OR3"].instances[0]
    assert scheduler.pack(instance.items, instance.capacity).bins_used > 0
    # Exported files pass the project's own lint and format checks (they are committed in programs/).
    assert ruff(written) == ""


def test_top_programs_rank_held_out_scores_first():
    from types import SimpleNamespace

    from aurora_evo.export import top_programs

    def record(pid, score, validation, outcome="ok"):
        return SimpleNamespace(id=pid, score=score, validation_score=validation, outcome=outcome)

    records = [
        record("fits-training", -2.0, -1.6),  # best on training, worse held out
        record("generalises", -3.0, -1.0),
        record("never-validated", -1.5, None),
        record("crashed", None, None, outcome="crashed"),
        record("tied-a", -2.5, -1.6),
    ]
    archive = SimpleNamespace(programs=SimpleNamespace(of_run=lambda run_id: records))
    ranked = [p.id for p in top_programs(archive, "run", 10)]
    assert ranked == ["generalises", "fits-training", "tied-a", "never-validated"]
    # By Elo: the rated by rating, then the unrated by training score.
    ratings = {"tied-a": SimpleNamespace(rating=1560.0), "generalises": SimpleNamespace(rating=1490.0)}
    archive.elites = SimpleNamespace(ratings=lambda run_id: ratings)
    ranked = [p.id for p in top_programs(archive, "run", 10, rank="elo")]
    assert ranked == ["tied-a", "generalises", "never-validated", "fits-training"]


def test_export_ranks_by_elo_when_asked(tmp_path, tiny_config):
    from aurora_evo.archive import Archive

    with build_evolver(tiny_config, tmp_path / "run") as evolution:
        evolution.run()
    (written,) = export_run(tmp_path / "run", 1, tmp_path / "out", rank="elo")
    with Archive(tmp_path / "run" / "archive.sqlite") as archive:
        best_rated = next(iter(archive.elites.ratings("run")))  # best first
    assert written.name.endswith(f"-1-{best_rated}.py")


def test_place_only_ever_chooses_a_node_the_task_fits_on(tmp_path):
    path = tmp_path / "refuses.py"
    path.write_text(
        "import numpy as np\ndef priority(task, nodes):\n    return np.full(nodes.shape[0], -np.inf)\n"
    )
    nodes = np.zeros((3, 17))
    nodes[:, 16] = [0, 0, 1]
    assert load_scheduler(path).place(np.zeros(12), nodes) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("def priority(task, nodes:\n", "cannot load a program"),
        ("def schedule(task, nodes):\n    return nodes[:, 0]\n", "no function priority"),
        ("def priority():\n    return 0\n", "no function priority"),
    ],
)
def test_load_scheduler_refuses_a_file_without_a_priority_function_in_one_line(tmp_path, text, expected):
    from aurora_evo.errors import InputError

    path = tmp_path / "bad.py"
    path.write_text(text)
    with pytest.raises(InputError, match=expected) as caught:
        load_scheduler(path)
    assert "\n" not in str(caught.value)
    with pytest.raises(InputError, match="cannot load"):
        load_scheduler(tmp_path / "missing.py")


# --- issue 18: what made a program, simplified expressions, a short repr, one decision --------------

GP_MADE = (
    '"""Evolved by genetic programming."""\n\nimport numpy as np\n\nN_CPU_FREE = 1\nN_MEM_FREE = 2\n\n\n'
    "def priority(task, nodes):\n"
    '    """A tree of 9 nodes, depth 3: one score per node, shape (k,);\n'
    '    the task goes to the highest-scoring node."""\n'
    "    cpu_free = nodes[:, N_CPU_FREE]  # free cpu, cores\n"
    "    mem_free = nodes[:, N_MEM_FREE]  # free memory, GiB\n"
    "    return cpu_free - 1.79 * np.sign(1.79) / np.maximum(np.abs(1.79), 1e-09) + mem_free * 1.0\n"
)


def export(source: str = GP_MADE, **kwargs) -> str:
    settings = {"domain": "cloud", "contract": Contract.ALLOCATION, "scores": {"train": 0.8}, "run": "r",
                "program": "p1", "lineage": ["p1"]} | kwargs  # fmt: skip
    return standalone_source(source, **settings)


@pytest.mark.parametrize(
    ("mutator", "made_by"),
    [
        ("edit.operator", "# made by: a source edit (an operator swapped) [edit.operator]"),
        (
            "edit.crossover",
            "# made by: a source edit (an expression taken from another program) [edit.crossover]",
        ),
        ("llm.diff", "# made by: a language model (prompt mode: diff) [llm.diff]"),
        ("edit.seed", "# made by: none: a shipped seed program [edit.seed]"),
    ],
)
def test_a_program_another_mutator_made_from_a_gp_one_does_not_claim_gp(tmp_path, ruff, mutator, made_by):
    text = export(mutator=mutator)
    assert made_by in text
    assert "Evolved by genetic programming" not in text
    assert '"""Made by ' in text and "from a program evolved by genetic programming" in " ".join(text.split())
    path = tmp_path / "edited.py"
    path.write_text(text)
    assert ruff([path]) == ""


def test_a_gp_program_keeps_its_docstring_and_says_which_operator_made_it():
    text = export(mutator="gp.crossover")
    assert "# made by: genetic programming (one-point crossover) [gp.crossover]" in text
    assert '"""Evolved by genetic programming."""' in text


def test_exported_expressions_are_simplified_and_decide_alike(tmp_path, ruff):
    text = export(mutator="gp.mutate_constant")
    assert "np.sign" not in text and "1e-09" not in text and "* 1.0" not in text
    assert "return cpu_free - 1.0 + mem_free" in text
    assert "# simplified: constants folded and identities removed" in text
    path = tmp_path / "simplified.py"
    path.write_text(text)
    assert ruff([path]) == ""
    original, simplified = load_scheduler_from_text(tmp_path, GP_MADE), load_scheduler(path)
    for scenario in seed_scenarios("medium")[:2]:
        np.testing.assert_array_equal(
            original.run(scenario).placement.node, simplified.run(scenario).placement.node
        )
    assert "np.sign" in export(mutator="gp.mutate_constant", simplify=False)


def load_scheduler_from_text(folder, text: str):
    path = folder / "original.py"
    path.write_text(text)
    return load_scheduler(path)


def test_export_run_names_each_programs_own_mutator(tmp_path, tiny_config):
    from aurora_evo.archive import Archive
    from aurora_evo.run_folder import ARCHIVE_FILE

    run_dir = tmp_path / "run"
    evolution = build_evolver(tiny_config, run_dir)
    try:
        evolution.run()
    finally:
        evolution.close()
    written = export_run(run_dir, 3, tmp_path / "out")
    with Archive(run_dir / ARCHIVE_FILE) as archive:
        for path in written:
            program_id = path.stem.rsplit("-", 1)[-1]
            mutator = archive.programs.get(program_id).mutator
            assert f"[{mutator}]" in path.read_text()


def test_a_scheduler_prints_where_it_came_from_not_its_source(tmp_path):
    scheduler = load_scheduler(seed_program_paths()["best_fit"])
    assert repr(scheduler) == f"Scheduler({str(seed_program_paths()['best_fit'])!r}, allocation)"
    assert "def priority" not in repr(scheduler)
    relative = load_scheduler_from_text(tmp_path, "def priority(item, bins):\n    return -(bins - item)\n")
    assert repr(relative) == f"Scheduler({str(tmp_path / 'original.py')!r}, binpacking)"
    assert repr(pickle.loads(pickle.dumps(relative))) == repr(relative)


def test_task_vector_and_node_matrix_are_what_the_simulator_shows_at_the_first_decision():
    from aurora_evo.features import N_FITS, NODE_FEATURES, TASK_FEATURES, node_matrix, task_vector
    from aurora_evo.sim.simulate import decision_states

    scheduler = load_scheduler(seed_program_paths()["best_fit"])
    for scenario in (*seed_scenarios("medium")[:2], seed_scenarios("hard")[0]):
        placement = scheduler.run(scenario).placement
        first = decision_states(scenario, placement.node, np.array([0]))
        index = int(first.task[0])
        task = task_vector(scenario, index)
        nodes = node_matrix(scenario, task)
        assert task.shape == (TASK_FEATURES,) and nodes.shape == (len(scenario.nodes), NODE_FEATURES)
        np.testing.assert_array_equal(task, first.task_row[0])
        np.testing.assert_array_equal(nodes, first.node_feat[0])
        assert scheduler.place(task, nodes) == placement.node[index]
    full = node_matrix(scenario, task, free=np.zeros((len(scenario.nodes), 4)))
    assert not full[:, N_FITS].any() and scheduler.place(task, full) == -1
    with pytest.raises(IndexError):
        task_vector(scenario, len(scenario.tasks))


def test_a_scheduler_used_as_the_readme_shows(monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    snippet = """
import aurora_evo
from aurora_evo.features import node_matrix, task_vector
from aurora_evo.scenario import load_scenario

scheduler = aurora_evo.load_scheduler("programs/cloud.py")
print(scheduler)  # Scheduler('programs/cloud.py', allocation)
scenario = load_scenario("seeds/scenarios/hard-cloud-02.json")
result = scheduler.run(scenario)
print(result.metrics.reward)
task = task_vector(scenario, 0)  # task 0 of the scenario as it arrives, shape (12,)
nodes = node_matrix(scenario, task)  # every node, empty as the run starts, shape (n_nodes, 17)
node = scheduler.place(task, nodes)  # one decision: a node index, or -1 if the task fits nowhere

packer = aurora_evo.load_scheduler("programs/binpack_weibull.py")
items = [42.0, 17.5, 63.0, 30.0, 55.5, 8.0]  # item sizes, packed online in this order
print(packer.pack(items, capacity=100).bins_used)
"""
    namespace: dict = {}
    exec(compile(snippet, "README.md", "exec"), namespace)  # the project's own snippet and programs
    assert repr(namespace["scheduler"]) == "Scheduler('programs/cloud.py', allocation)"
    assert 0 <= namespace["node"] < len(namespace["scenario"].nodes)
