"""Exported programs stand alone; schedulers load them, run them and pickle small."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

from aurora_evo.config import override
from aurora_evo.domains.binpacking import builtin_datasets
from aurora_evo.evolve import Evolution
from aurora_evo.export import constants_used, export_run, load_scheduler, standalone_source
from aurora_evo.policy import Contract
from aurora_evo.seeds import seed_program_paths, seed_scenarios


def test_an_allocation_program_exports_with_the_constants_it_reads(tmp_path):
    source = "import numpy as np\ndef priority(task, nodes):\n    return nodes[:, N_CPU_FREE] - task[T_CPU]\n"
    assert constants_used(source) == {"N_CPU_FREE": 1, "T_CPU": 1}
    text = standalone_source(
        source, domain="cloud", contract=Contract.ALLOCATION, scores={"train": 0.8, "validation": None},
        run="r", program="p1", lineage=["p1", "p0"], reasoning="prefers free cpu",
    )  # fmt: skip
    assert "# lineage: p1 <- p0" in text and "# reasoning:" in text and "N_CPU_FREE = 1" in text
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
    evolution = Evolution(override(tiny_config, **{"task.train_score_items": score_items}), run_dir)
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
    archive = SimpleNamespace(programs=lambda run_id: records)
    ranked = [p.id for p in top_programs(archive, "run", 10)]
    assert ranked == ["generalises", "fits-training", "tied-a", "never-validated"]


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
