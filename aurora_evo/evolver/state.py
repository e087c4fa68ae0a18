"""The controller's state in the archive: islands, the best so far, the random generator, the mutators'
and the attacker's own state; saved at the end of every iteration, inside its transaction, so that a run
resumes from its last committed iteration exactly as it would have gone on."""

from __future__ import annotations

import importlib.metadata
import platform
from typing import TYPE_CHECKING

from aurora_evo.archive import Archive
from aurora_evo.config import RunConfig
from aurora_evo.island_model import Member

if TYPE_CHECKING:  # typing only: the evolver imports this module
    from aurora_evo.evolver.evolver import Evolver


def save_state(run: Evolver) -> None:
    """Write ``run``'s islands and resumable state for its current iteration."""
    population, ledger = run.population, run.archive.ledger
    for island in population.islands:
        best = island.best
        ledger.set_island_state(
            run.run_id,
            island.index,
            run.iteration,
            [[m.program_id, m.score, list(m.signature)] for m in island.members],
            best.program_id if best else None,
            best.score if best else None,
        )
    coevolution = run.coevolution
    state = {
        "rng": run.rng.bit_generator.state,
        "best_history": population.best_history,
        "best": list(population.best) if population.best else None,
        "mutators": {k: saved for k, m in run.mutators.items() if (saved := m.state())},
        "history_start": population.history_start,
        "attacker": coevolution.attacker.state() if coevolution is not None else None,
    }
    ledger.save_state(run.run_id, run.iteration, state)


def restore_state(run: Evolver) -> None:
    """Take ``run`` back to its last saved iteration (nothing to do before the first was saved)."""
    archive, population = run.archive, run.population
    saved = archive.ledger.load_state(run.run_id)
    if saved is None:
        return
    run.iteration, state = saved
    run.rng.bit_generator.state = state["rng"]
    population.best_history = list(state["best_history"])
    population.best = tuple(state["best"]) if state["best"] else None
    population.history_start = int(state.get("history_start", 0))
    if run.coevolution is not None:
        run.coevolution.restore(run, state.get("attacker"))
    for kind, mutator_state in state.get("mutators", {}).items():
        if kind in run.mutators:
            run.mutators[kind].restore(mutator_state)
    for index, island in archive.ledger.latest_islands(run.run_id).items():
        population.islands[index].members = [Member(m[0], m[1], tuple(m[2])) for m in island.members]
    for record in archive.programs.of_run(run.run_id):
        run.memory.remember(record.source)


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages a run's numbers depend on, stored with the run."""
    names = ("aurora-evo", "numpy", "numba", "deap", "scipy", "sqlite-utils", "joblib")
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def register_run(archive: Archive, run_id: str, config: RunConfig) -> None:
    """Register the run in its archive unless it is there (a run killed between writing config.json
    and registering is registered when it resumes)."""
    try:
        archive.runs.get(run_id)
    except KeyError:
        archive.runs.create(run_id, config.to_dict(), config.seed, package_versions())
