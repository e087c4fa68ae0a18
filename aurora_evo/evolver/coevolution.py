"""Co-evolution of the training cases: the problem's attacker proposes cases at the edge of what the
defender's elites can solve; those it keeps join the training set, and the islands are rescored on them.

An attacker step runs before the iteration's transaction (it evaluates in the sandbox) and returns what
the transaction stores (:meth:`Coevolution.store`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from aurora_evo.archive import Archive, behaviour_signature
from aurora_evo.evaluation import EvalResult
from aurora_evo.island_model import Member
from aurora_evo.scenario.io import scenario_from_dict, scenario_to_dict
from aurora_evo.scenario.levels import LEVELS

if TYPE_CHECKING:  # typing only: the evolver imports this module
    from aurora_evo.evolver.evolver import Evolver


class Coevolution:
    """The problem's attacker (:meth:`~aurora_evo.problem.Problem.make_attacker`) inside a run.

    Args:
        attacker: the attacker.
        interval: it takes a step every ``interval`` iterations.
        elites: the defender programs it scores its candidates against.
    """

    def __init__(self, attacker, interval: int, elites: int):
        self.attacker, self.interval, self.elites = attacker, interval, elites
        self.stored_scenarios: set[str] = set()  # the attacker scenarios the archive holds
        self.dropped: list[str] = []  # island members that failed on a new training scenario

    @property
    def writer(self):
        """The language model the attacker asks for cases, or ``None``."""
        return self.attacker.writer

    def due(self, iteration: int) -> bool:
        return iteration % self.interval == 0

    def restore(self, run: Evolver, saved: Mapping) -> None:
        """Take back the attacker's saved state, and train on its scenarios again."""
        archive, run_id = run.archive, run.run_id
        self.stored_scenarios = {row["name"] for row in archive.ledger.scenario_rows(run_id)}
        if not saved:
            return
        self.attacker.restore(saved, lambda name: scenario_from_dict(archive.ledger.scenario(run_id, name)))
        for check in archive.ledger.quality_checks(run_id):
            self.attacker.monitor.add(check)
        # The saved islands already hold the scores over this training set.
        run.training.train_on(self.attacker.training_scenarios())

    def attack(self, run: Evolver) -> dict:
        """One attacker step: candidates, the elites scored on them and on the training scenarios of
        the level, the curriculum, and the islands rescored when the training set changed. Returns
        what to store."""
        attacker = self.attacker
        candidates = attacker.ask(run.rng)
        accepted = [c for c in candidates if c.accepted]
        elites = run.population.elites(self.elites)
        cases = [c.scenario for c in accepted] + attacker.training_scenarios()
        per_case, baseline = self._scored(run, elites, cases)
        level = attacker.level
        step = attacker.tell(candidates, per_case, run.iteration, elites, baseline)
        # The defender (its best program) on every scenario of the level it was scored on in this step:
        # the new ones (learnable or not) and those in the training set. The curriculum needs 4 or more.
        wins = [attacker.succeeded(per_case[case.name][0], baseline.get(case.name)) for case in cases
                if per_case.get(case.name)]  # fmt: skip
        level_success = float(np.mean(wins)) if len(wins) >= 4 else None
        advanced = attacker.maybe_advance(level_success) if level_success is not None else None
        changed = step.training_changed or advanced is not None
        rescored = self.set_training(run, attacker.training_scenarios()) if changed else {}
        return {
            "checks": step.checks,
            "rescored": rescored,
            "event": {
                "level": level, "level_rank": LEVELS[level].rank, "proposed": step.proposed,
                "refused": step.refused, "refusals": step.refusals,
                "mean_learnability": float(np.mean(step.learnability)) if step.learnability else None,
                "mean_success": float(np.mean(step.success_rates)) if step.success_rates else None,
                "level_success": level_success, "active": step.active, "elites": elites,
                "scenario_elo": {n: attacker.ratings[n] for n in step.active if n in attacker.ratings},
                "training_changed": changed, "mastered": attacker.mastered,
                "reasons": [c.report.feedback() for c in candidates if not c.accepted],
            },
            "advanced": advanced,
        }  # fmt: skip

    @staticmethod
    def _scored(
        run: Evolver, elites: list[str], cases: list
    ) -> tuple[dict[str, list[dict]], dict[str, dict]]:
        """The elites' metrics on ``cases`` (per case, one entry per elite) and best fit's: success
        means doing at least as well as best fit, so best fit is scored beside the elites."""
        per_case: dict[str, list[dict]] = {case.name: [] for case in cases}
        baseline: dict[str, dict] = {}
        if elites and cases:
            sources = [run.memory.source(pid) for pid in elites] + [run.problem.baseline("best fit")]
            results = run.evaluate(sources, cases)
            for result in results[:-1]:
                for case in cases:
                    metrics = result.per_case.get(case.name, {}) if result.outcome.ok else {}
                    per_case[case.name].append(dict(metrics))
            if results[-1].outcome.ok:
                baseline = {name: dict(metrics) for name, metrics in results[-1].per_case.items()}
        return per_case, baseline

    def set_training(self, run: Evolver, attack_scenarios) -> dict[str, EvalResult]:
        """Train on the problem's cases and ``attack_scenarios`` from now on: the island members are
        scored on the attacker's scenarios (in the sandbox) and their scores recomputed over the new
        set, and the best is taken afresh. Returns the new evaluations, by program, to store."""
        run.training.train_on(attack_scenarios)
        population = run.population
        members = sorted(population.housed())
        if not members or not attack_scenarios:
            fresh: dict[str, EvalResult] = {}
        else:
            results = run.evaluate([run.memory.source(pid) for pid in members], list(attack_scenarios))
            fresh = dict(zip(members, results, strict=True))
        names = [case.name for case in run.training.train]
        for island in population.islands:
            rescored = []
            for member in island.members:
                known = self._known_scores(run, member, fresh.get(member.program_id), names)
                if known is None:  # it failed on a new scenario: off the island
                    self.dropped.append(member.program_id)
                    continue
                score = run.training.score(known, float(np.mean(list(known.values()))))
                rescored.append(Member(member.program_id, score, behaviour_signature(known)))
            # New scores reorder the members; the island keeps them best first (its best, its worst).
            island.members = sorted(rescored, key=lambda m: -m.score)
        best = max(population.members(), key=lambda m: m.score, default=None)
        population.best = (best.program_id, best.score) if best else None
        population.history_start = len(population.best_history)
        return fresh

    @staticmethod
    def _known_scores(run: Evolver, member: Member, fresh: EvalResult | None, names: list[str]):
        """``member``'s score on each case of ``names``, from the archive and ``fresh``; ``None`` when
        one is missing."""
        stored = run.archive.programs.case_scores(member.program_id, "train").items()
        scores = {k: v for k, v in stored if v is not None}
        if fresh is not None and fresh.outcome.ok:
            scores.update(run.problem.training_score(fresh.per_case))
        known = {n: scores[n] for n in names if n in scores}
        return known if len(known) == len(names) else None

    def store(self, run: Evolver, attack: dict) -> None:
        """Inside the iteration's transaction: the rescoring evaluations, the programs that left the
        islands (evicted when no cell holds them either), and the attacker's events."""
        archive, run_id, iteration, filing = run.archive, run.run_id, run.iteration, run.filing
        filing.evict_if_homeless(self.dropped)
        self.dropped = []
        for pid, result in attack["rescored"].items():
            if result.outcome.ok:
                filing.store_evaluations(pid, "train", result)
        best = run.population.best
        if attack["rescored"] and best is not None:
            # The rescoring named the best afresh; like any new best, it is scored on held-out cases.
            if archive.programs.get(best[0]).validation_score is None:
                run.validate(best[0], run.memory.source(best[0]))
        self._store_training_scenarios(archive, run_id)
        archive.ledger.add_quality_checks(run_id, attack["checks"])
        archive.ledger.add_event(run_id, iteration, "attacker", attack["event"])
        archive.ledger.add_event(run_id, iteration, "quality", self.attacker.monitor.summary())
        if attack["advanced"] is not None:
            archive.ledger.add_event(
                run_id, iteration, "curriculum",
                {"level": attack["advanced"], "level_rank": LEVELS[attack["advanced"]].rank,
                 "level_success": attack["event"]["level_success"]},
            )  # fmt: skip

    def _store_training_scenarios(self, archive: Archive, run_id: str) -> None:
        """Store the attacker's training scenarios the archive does not hold yet (the saved state
        names them)."""
        for active in self.attacker.active:
            if active.scenario.name not in self.stored_scenarios:
                archive.ledger.add_scenario(
                    run_id, active.born, scenario_to_dict(active.scenario),
                    learnability=active.learnability, success_rate=active.success_rate,
                )  # fmt: skip
                self.stored_scenarios.add(active.scenario.name)
