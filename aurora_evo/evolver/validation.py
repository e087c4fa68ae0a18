"""Held-out scores beyond a run's successive bests: more programs validated, the baselines, and the
chosen program on the test cases of a run on a suite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aurora_evo.export import selection_pool, top_programs

if TYPE_CHECKING:  # typing only: the evolver imports this module
    from aurora_evo.evolver.evolver import Evolver


def validate_more(run: Evolver, n: int) -> int:
    """Score on the held-out cases the ``n`` best training scores not scored there yet (a run validates
    only its successive bests), one program per score: the smallest of those that share it; returns
    how many were scored. One transaction.

    Programs that tie on the training score almost always pack every training instance alike (a run's
    top 300 programs held 12 to 27 distinct scores), so validating each would mostly repeat one
    measurement.
    """
    validation = run.training.validation
    if not validation or n < 1:
        return 0
    ran = [p for p in run.archive.programs.of_run(run.run_id) if p.outcome == "ok" and p.score is not None]
    seen = {p.score for p in ran if p.validation_score is not None}
    pending = []
    for program in sorted(ran, key=lambda p: (-p.score, p.complexity, p.id)):
        if len(pending) < n and program.score not in seen:
            seen.add(program.score)
            pending.append(program)
    results = run.evaluate([p.source for p in pending], validation)
    with run.archive.transaction():
        for program, result in zip(pending, results, strict=True):
            run.filing.store_validation(program.id, result)
        event = {"programs": [p.id for p in pending]}
        run.archive.ledger.add_event(run.run_id, run.iteration, "validated", event)
    return len(pending)


@dataclass(frozen=True)
class SuiteTestReport:
    """The program a run chose, and first fit and best fit, on the test cases it never trained or chose on.

    Attributes:
        program: the chosen program's id (the one ``aurora-evo export`` ships first).
        cases: how many test cases.
        scores: ``"chosen"``, then ``"first fit"`` and ``"best fit"`` -> score on the test cases
            (``None`` when the program failed there).
    """

    program: str
    cases: int
    scores: dict[str, float | None]


def baseline_sources(run: Evolver) -> dict[str, str]:
    """First fit's and best fit's sources by readable name, in the order the problem lists them."""
    readable = ((name.replace("_", " ").lower(), source) for name, source in run.problem.baselines().items())
    return {name: source for name, source in readable if name in ("first fit", "best fit")}


def baseline_validation(run: Evolver) -> dict[str, float | None]:
    """First fit's and best fit's scores on the held-out cases (``None`` if one failed), to set the
    best program's validation score against; in the order the problem lists them."""
    if not run.training.validation:
        return {}
    sources = baseline_sources(run)
    results = run.evaluate(list(sources.values()), run.training.validation)
    return {name: result.score for name, result in zip(sources, results, strict=True)}


def suite_test_report(run: Evolver) -> SuiteTestReport | None:
    """For a run on a suite (``task.suite``), the program it chose (by the held-out cases, as export
    chooses) and the baselines on the suite's test split; ``None`` for other runs (their figures stay
    untouched by the run's end), or before any program ran."""
    if run.config.task.suite is None:
        return None
    cases = run.problem.test_cases(run.config.task)
    chosen = top_programs(run.archive, run.run_id, 1, selection_pool(run.config))
    if not cases or not chosen:
        return None
    sources = {"chosen": chosen[0].source, **baseline_sources(run)}
    results = run.evaluate(list(sources.values()), cases)
    scores = {name: result.score for name, result in zip(sources, results, strict=True)}
    return SuiteTestReport(chosen[0].id, len(cases), scores)


def evaluations_so_far(run: Evolver) -> int:
    """Candidates evaluated over the whole run, earlier invocations of a resumed run included."""
    return sum(int(e.data.get("evaluated", 0)) for e in run.archive.ledger.events(run.run_id, "iteration"))
