"""What ``aurora-evo evolve`` shows while it runs: a live table, or plain lines when not a terminal."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # the first line of a run is printed before the controller is imported
    from aurora_evo.evolver import Evolver, IterationStats


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def resume_command(run_dir: Path) -> str:
    return f"aurora-evo evolve --resume {run_dir}"


def announce_run(run_dir: Path, resumed: bool, stream: TextIO | None = None) -> None:
    """The first line of a run, printed before anything slow starts: where the run lives."""
    stream = stream or sys.stderr
    verb = "resuming the run in" if resumed else "run folder:"
    stream.write(
        f"{verb} {run_dir} (stop it at any time with Ctrl-C; {resume_command(run_dir)} resumes it)\n"
    )
    stream.flush()


def training_change(stats: IterationStats) -> str:
    """Why the best score moved without any program changing: the attacker changed the training set, and
    every score is now a mean over the new set."""
    level = f", curriculum at {stats.level}" if stats.level else ""
    return (
        f"the attacker changed the training set at iteration {stats.iteration} ({stats.training_cases} "
        f"cases now{level}): scores are over the new set, best {_score(stats.best_score)} "
        f"(it was {_score(stats.best_before_change)} over the old one)"
    )


class ProgressDisplay:
    """A rich live display of the islands, ratings, archive coverage and evaluation rate; plain lines
    (every 10 iterations, each new best and each change of the training set) when ``stream`` is not a
    terminal or ``enabled`` is false. ``evaluated`` counts the whole run, a resumed run's earlier
    invocations included; the rate counts this invocation's evaluations only."""

    def __init__(self, evolution: Evolver, enabled: bool = True, stream: TextIO | None = None):
        self.evolution = evolution
        self.stream = stream or sys.stderr
        self.live = None
        self.enabled = enabled and self.stream.isatty()
        self.began = time.monotonic()
        self.evaluated = evolution.evaluations_so_far()
        self._evaluated_here = 0
        self.last: IterationStats | None = None
        self.change: str | None = None  # the latest change of the training set, said under the table

    def __enter__(self) -> ProgressDisplay:
        if self.enabled:
            from rich.console import Console
            from rich.live import Live

            self.live = Live(
                self._render(), console=Console(file=self.stream), refresh_per_second=4, transient=False
            )
            self.live.__enter__()
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if self.live is not None:
            self.live.__exit__(kind, value, traceback)
        if kind is not None and issubclass(kind, KeyboardInterrupt):
            # The iteration under way is lost; every one before it was committed.
            self.stream.write(
                f"interrupted at iteration {self.evolution.iteration}; continue with: "
                f"{resume_command(self.evolution.run_dir)}\n"
            )
            self.stream.flush()

    @property
    def rate(self) -> float:
        """Evaluations per second in this invocation."""
        return self._evaluated_here / max(time.monotonic() - self.began, 1e-9)

    def update(self, stats: IterationStats) -> None:
        self.evaluated += stats.evaluated
        self._evaluated_here += stats.evaluated
        self.last = stats
        if stats.training_changed:
            self.change = training_change(stats)
        if self.live is not None:
            self.live.update(self._render())
            return
        if stats.training_changed:
            self.stream.write(f"iteration {stats.iteration}: {self.change}\n")
        if stats.improved or stats.iteration % 10 == 0:
            self.stream.write(
                f"iteration {stats.iteration}: best {_score(stats.best_score)}, {self.evaluated} evaluated "
                f"({self.rate:.1f}/s), coverage {stats.coverage:.0%}{self._llm_line()}\n"
            )
        self.stream.flush()

    def _render(self):
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        stats = self.last
        table = Table()
        table.add_column("island", justify="right")
        table.add_column("best score", justify="right")
        table.add_column("programs", justify="right")
        table.add_column("best program")
        for island in self.evolution.islands:
            best = island.best
            table.add_row(
                str(island.index),
                _score(best.score if best else None),
                str(len(island.members)),
                best.program_id if best else "-",
            )
        # Around the table, not as its title and caption, which wrap at the table's width, not the terminal's.
        lines = [f"run folder {self.evolution.run_dir}"]
        if stats is not None:
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items()))
            elo = "-" if stats.top_rating is None else f"{stats.top_rating:.0f}"
            level = f" | curriculum {stats.level}" if stats.level else ""
            lines.append(
                f"iteration {stats.iteration} | best {_score(stats.best_score)} over {stats.training_cases} "
                f"training cases{level} | top Elo {elo} | coverage {stats.coverage:.0%} | "
                f"{self.evaluated} evaluated, {self.rate:.1f}/s{self._llm_line()}"
            )
            lines.append(f"last iteration: {outcomes or 'nothing evaluated'}")
        if self.change:
            lines.append(self.change)
        return Group(Text(f"aurora-evo: {self.evolution.cases.description}"), table, *map(Text, lines))

    def _llm_line(self) -> str:
        """LLM calls and spending so far, when the run uses a language model."""
        if "llm" not in self.evolution.mutators:
            return ""
        budget = self.evolution.budget
        return f" | LLM calls {budget.calls}, ${budget.cost_usd:.4f}"

    def _against_baselines(self, validation: float) -> str:
        # heavy: the sandbox's client imports numpy, and this module is imported before a run's first line
        from aurora_evo.sandbox import SandboxError

        evolution = self.evolution
        try:
            baselines = evolution.baseline_validation()
        except SandboxError as exc:  # the run's results stand; only the comparison is missing
            return f"(first fit and best fit not scored on the held-out cases: {exc})"
        problem = evolution.problem
        cells = [problem.format_score(v) if v is not None else "failed" for v in baselines.values()]
        head = f"held-out {problem.score_label}: evolved {problem.format_score(validation)}"
        return ", ".join([head, *(f"{name} {cell}" for name, cell in zip(baselines, cells, strict=True))])

    def _on_the_test_split(self) -> str:
        """The chosen program and the baselines on the suite's test split, in one line."""
        # heavy: the sandbox's client imports numpy, and this module is imported before a run's first line
        from aurora_evo.sandbox import SandboxError

        evolution = self.evolution
        suite = evolution.config.task.suite
        try:
            report = evolution.suite_test_report()
        except SandboxError as exc:  # the run's results stand; only the test figures are missing
            return f"(not scored on the test split of suite {suite}: {exc})"
        if report is None:
            return f"(no program to score on the test split of suite {suite})"
        problem = evolution.problem
        cells = {
            name: problem.format_score(v) if v is not None else "failed" for name, v in report.scores.items()
        }
        chosen = cells.pop("chosen")
        return ", ".join([
            f"test split of suite {suite} ({report.cases} scenarios, never trained or chosen on): "
            f"chosen program {report.program} {chosen}",
            *(f"{name} {cell}" for name, cell in cells.items()),
        ])  # fmt: skip

    def summary(self, reason: str) -> None:
        evolution = self.evolution
        best = evolution.best
        lines = [f"stopped: {reason}", f"run folder: {evolution.run_dir}"]
        if evolution.attacker is not None:
            attacker = evolution.attacker
            lines.append(
                f"attacker: curriculum at {attacker.level}; {len(attacker.training_scenarios())} of its "
                f"scenarios in the training set beside {len(evolution.training.base)} "
                f"{'suite' if evolution.config.task.suite else 'seed'} scenarios"
            )
        if "llm" in evolution.mutators:
            lines.append(
                f"LLM calls: {evolution.budget.calls}, ${evolution.budget.cost_usd:.4f} "
                "(each attempt is in the archive's llm_calls table)"
            )
        if best is not None:
            record = evolution.archive.programs.get(best[0])
            shown = evolution.problem.format_score
            lines.append(
                f"best program {best[0]}: {evolution.problem.score_label} {shown(best[1])} in training"
                + ("" if record.validation_score is None else f", {shown(record.validation_score)} held out")
            )
            if record.validation_score is not None:
                lines.append(self._against_baselines(record.validation_score))
            if evolution.config.task.suite is not None:
                lines.append(self._on_the_test_split())
            lines.append(f"export it with: aurora-evo export {evolution.run_dir} --top 5 --out programs/")
            lines.append(f"see the run with: aurora-evo report {evolution.run_dir}")
        sys.stdout.write("\n".join(lines) + "\n")
