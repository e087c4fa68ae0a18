"""What ``aurora-evo evolve`` shows while it runs: a live table, or plain lines when not a terminal."""

from __future__ import annotations

import sys
import time

from aurora_evo.evolve import Evolution, IterationStats


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


class ProgressDisplay:
    """A rich live display of the islands, ratings, archive coverage and evaluation rate."""

    def __init__(self, evolution: Evolution, enabled: bool = True):
        self.evolution = evolution
        self.live = None
        self.enabled = enabled and sys.stderr.isatty()
        self.began = time.monotonic()
        self.evaluated = 0
        self.last: IterationStats | None = None
        self.quiet = not enabled

    def __enter__(self) -> ProgressDisplay:
        if self.enabled:
            from rich.console import Console
            from rich.live import Live

            self.live = Live(
                self._render(), console=Console(stderr=True), refresh_per_second=4, transient=False
            )
            self.live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.__exit__(*exc)

    def update(self, stats: IterationStats) -> None:
        self.evaluated += stats.evaluated
        self.last = stats
        if self.live is not None:
            self.live.update(self._render())
        elif stats.improved or stats.iteration % 10 == 0:
            rate = self.evaluated / max(time.monotonic() - self.began, 1e-9)
            sys.stderr.write(
                f"iteration {stats.iteration}: best {_score(stats.best_score)}, {self.evaluated} evaluated "
                f"({rate:.1f}/s), coverage {stats.coverage:.0%}{self._llm_line()}\n"
            )

    def _render(self):
        from rich.table import Table

        stats = self.last
        seconds = time.monotonic() - self.began
        title = f"aurora-evo: {self.evolution.task.description}"
        table = Table(title=title, title_justify="left", show_header=True)
        table.add_column("island", justify="right")
        table.add_column("best score", justify="right")
        table.add_column("programs", justify="right")
        for island in self.evolution.islands:
            table.add_row(
                str(island.index),
                _score(island.best.score if island.best else None),
                str(len(island.members)),
            )
        if stats is not None:
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items()))
            elo = "-" if stats.top_rating is None else f"{stats.top_rating:.0f}"
            table.caption = (
                f"iteration {stats.iteration} | best {_score(stats.best_score)} | top Elo {elo} | "
                f"coverage {stats.coverage:.0%} | {self.evaluated / max(seconds, 1e-9):.1f} evaluations/s | "
                f"last: {outcomes or 'none'}{self._llm_line()}"
            )
        return table

    def _llm_line(self) -> str:
        """LLM calls and spending so far, when the run uses a language model."""
        if "llm" not in self.evolution.mutators:
            return ""
        budget = self.evolution.budget
        return f" | LLM calls {budget.calls}, ${budget.cost_usd:.4f}"

    def _against_baselines(self, validation: float) -> str:
        from aurora_evo.sandbox import SandboxError

        evolution = self.evolution
        try:
            baselines = evolution.baseline_validation()
        except SandboxError as exc:  # the run's results stand; only the comparison is missing
            return f"(first fit and best fit not scored on the held-out cases: {exc})"
        if evolution.task.kind == "binpacking":
            cells = [f"{-value:.2f}%" if value is not None else "failed" for value in baselines.values()]
            head = f"held-out excess bins over L1: evolved {-validation:.2f}%"
        else:
            cells = [f"{value:.4f}" if value is not None else "failed" for value in baselines.values()]
            head = f"held-out mean reward: evolved {validation:.4f}"
        return ", ".join([head, *(f"{name} {cell}" for name, cell in zip(baselines, cells, strict=True))])

    def summary(self, reason: str) -> None:
        evolution = self.evolution
        best = evolution.best
        lines = [f"stopped: {reason}", f"run folder: {evolution.run_dir}"]
        if evolution.attacker is not None:
            attacker = evolution.attacker
            lines.append(
                f"attacker: curriculum at {attacker.level}; {len(attacker.training_scenarios())} of its "
                f"scenarios in the training set beside {len(evolution.base_train)} seed scenarios"
            )
        if "llm" in evolution.mutators:
            lines.append(
                f"LLM calls: {evolution.budget.calls}, ${evolution.budget.cost_usd:.4f} "
                "(each attempt is in the archive's llm_calls table)"
            )
        if best is not None:
            record = evolution.archive.get_program(best[0])
            lines.append(
                f"best program {best[0]}: training score {best[1]:.4f}"
                + (
                    f", validation {record.validation_score:.4f}"
                    if record.validation_score is not None
                    else ""
                )
            )
            if record.validation_score is not None:
                lines.append(self._against_baselines(record.validation_score))
            lines.append(f"export it with: aurora-evo export {evolution.run_dir} --top 5 --out programs/")
            lines.append(f"see the run with: aurora-evo report {evolution.run_dir}")
        sys.stdout.write("\n".join(lines) + "\n")
