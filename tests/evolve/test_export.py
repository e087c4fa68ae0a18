"""Exported programs stand alone; schedulers load them, run them and pickle small."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

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


def test_load_scheduler_places_runs_and_pickles(tmp_path):
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
def test_export_run_writes_the_best_programs(tmp_path, tiny_config, top):
    run_dir = tmp_path / "run"
    evolution = Evolution(tiny_config, run_dir)
    try:
        evolution.run()
    finally:
        evolution.close()
    written = export_run(run_dir, top, tmp_path / "out")
    assert len(written) == top
    text = written[0].read_text()
    assert text.startswith("# aurora-evo evolved program") and "# scores: train" in text
    scheduler = load_scheduler(written[0])
    instance = builtin_datasets()["OR3"].instances[0]
    assert scheduler.pack(instance.items, instance.capacity).bins_used > 0
