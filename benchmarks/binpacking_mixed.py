"""One bin-packing program for both of FunSearch's distributions (issue 24: within 10 % of both
specialised programs' excess, on both), evolved offline with the capacity hidden.

    python benchmarks/binpacking_mixed.py [--seed 0] [--seconds 3600] [--iterations N]
        [--run-dir runs/mixed-seed0] [--validate 100] [--resume]

The run trains on the Weibull and OR presets' training instances at once, every instance scaled to a
capacity of 300 (:mod:`mixed_binpacking`, beside this file, says why), with the OR preset's search
settings (GP and source edits, its constant ladder and rule mutation; one worker). A program scores
minus the mean over the two distributions of its excess over L1 divided by the shipped program's for
that distribution (-1: as good as both). At the end ``--validate`` more programs are validated (one per
training score, as ``aurora-evo export --validate`` does); the best validated program is written to
``RUN/mixed-best.py`` and measured once on OR3 and Weibull 5k (scaled), beside the shipped programs.
The run folder records the OR preset's task; its problem is this script's, so read the folder with this
script, not ``aurora-evo export``. With one worker a run is deterministic for a given seed, run folder
name and iteration count (``--iterations``, with ``--seconds`` large enough not to stop first).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mixed_binpacking import FAMILIES, MixedBinPacking, family_excess, family_of, relative_excess

from aurora_evo.config import override
from aurora_evo.config_files import load_preset
from aurora_evo.evolver import Evolver, sandbox_executor
from aurora_evo.evolver.build import make_mutators
from aurora_evo.export import top_programs
from aurora_evo.llm import CallBudget
from aurora_evo.run_folder import RunFolder

REPO = Path(__file__).resolve().parent.parent


def evolver_for(run_dir: Path, seed: int, stop: dict, resume: bool) -> Evolver:
    settings = {"seed": seed, "evaluation.workers": 1, **stop}
    config = override(load_preset(REPO / "islands" / "binpacking-or.toml"), **settings)
    folder = RunFolder(run_dir)
    if not resume:
        folder.create(config)
    problem = MixedBinPacking()
    mutators = make_mutators(config, problem, CallBudget(None, None))
    return Evolver(problem, mutators, sandbox_executor(config), folder.open_archive(), folder, config)


def report(evolver: Evolver, validate: int, out: Path) -> None:
    """Validate more, write the best validated program (as ``aurora-evo export`` chooses: bin packing
    by the validation score alone), and measure it once on the test sets."""
    evolver.validate_more(validate)
    best = top_programs(evolver.archive, evolver.run_id, 1)[0]
    out.write_text(best.source, encoding="utf-8")
    print(f"best validated: {best.id} (iteration {best.iteration}), training {best.score:.4f}, "
          f"validation {best.validation_score:.4f}; written to {out}")  # fmt: skip
    tests = evolver.problem.test_cases(evolver.config.task)
    test = evolver.evaluate([best.source], tests)[0]
    if not test.outcome.ok:
        sys.exit(f"{best.id} on the test sets: {test.message}")
    references = {case.name: evolver.problem.reference(case) for case in tests}  # the shipped programs'
    shipped = {family_of(name): excess for name, excess in references.items()}
    ratios = relative_excess(test.per_case, references)
    for family, excess in family_excess(test.per_case).items():
        print(f"{family} test set: {excess:.2f} % excess over L1, {ratios[family]:.2f} x the shipped "
              f"program's {shipped[family]:.3f} % (x{FAMILIES[family][0]:g} sizes)")  # fmt: skip


def progress(stats) -> None:
    if stats.iteration % 10 == 0 and stats.best_score is not None:
        print(f"iteration {stats.iteration}: best {stats.best_score:.4f}, {stats.seconds:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=3600.0, help="the run's time budget")
    parser.add_argument("--iterations", type=int, default=None, help="stop after this iteration")
    parser.add_argument("--run-dir", type=Path, default=None, help="default: runs/mixed-seedS")
    parser.add_argument("--validate", type=int, default=100, help="programs validated after the run")
    parser.add_argument("--resume", action="store_true", help="go on with the run in --run-dir")
    args = parser.parse_args()
    run_dir = args.run_dir or Path("runs") / f"mixed-seed{args.seed}"
    stop = {"stop.max_seconds": args.seconds}
    if args.iterations is not None:
        stop["stop.max_iterations"] = args.iterations
    evolver = evolver_for(run_dir, args.seed, stop, args.resume)
    try:
        reason = evolver.run(progress)
        print(f"stopped: {reason}")
        report(evolver, args.validate, run_dir / "mixed-best.py")
    finally:
        evolver.close()


if __name__ == "__main__":
    main()
