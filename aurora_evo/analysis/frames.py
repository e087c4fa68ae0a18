"""A run's archive as pandas DataFrames, so that analysis (notebooks, ``aurora-evo report``) never
writes SQL.

:class:`RunData` opens a run folder and returns one DataFrame per question; every frame has plain
columns (no index tricks) with the units in the column docs below. Scores are higher-is-better: the
mean reward in [0, 1] for allocation runs, minus the % excess bins over the L1 bound for bin packing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from aurora_evo.config import RunConfig
from aurora_evo.domains import problem_of_task
from aurora_evo.export import selection_pool, top_programs
from aurora_evo.run_folder import RunFolder

#: Columns of :meth:`RunData.programs`.
PROGRAM_COLUMNS = [
    "id", "iteration", "island", "mutator", "operator", "outcome", "score", "validation_score",
    "complexity", "evicted", "message", "reasoning", "created_at", "source",
]  # fmt: skip


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=columns)


class RunData:
    """The archive of the run in ``run_dir`` (a folder holding ``config.json`` and ``archive.sqlite``).

    Use it as a context manager, or call :meth:`close`. It changes no rows; like any opening of an
    archive, it keeps the file in WAL mode and adds tables newer than the archive (the LLM ones).

    Raises:
        InputError: when ``run_dir`` is not a run folder.
    """

    def __init__(self, run_dir: str | Path):
        folder = RunFolder(run_dir)
        folder.require_run()
        self.run_dir = folder.path
        self.config: RunConfig = folder.read_config()
        self.problem = problem_of_task(self.config.task)
        self.archive, self.run_id = folder.open_to_read()
        self._pool: tuple[int, int] | bool | None = False

    def close(self) -> None:
        self.archive.close()

    def __enter__(self) -> RunData:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def score_label(self) -> str:
        """What a score means in this run, for axis labels."""
        return self.problem.axis_label(self.config.task)

    # --- programs and lineage -----------------------------------------------------------------------

    def programs(self) -> pd.DataFrame:
        """Every program of the run, in the order stored: ``id``, ``iteration``, ``island``, ``mutator``
        (e.g. ``gp.mutate_subtree``), ``operator`` (its family: ``gp``, ``edit``, ``llm``), ``outcome``,
        ``score`` (training), ``validation_score`` (held-out; NaN when not scored there),
        ``complexity`` (syntax-tree nodes), ``evicted`` (bool), ``message``, ``reasoning``,
        ``created_at``, ``source``."""
        rows = (
            (p.id, p.iteration, p.island, p.mutator, p.mutator.split(".")[0], p.outcome, p.score,
             p.validation_score, p.complexity, p.evicted, p.message, p.reasoning, p.created_at, p.source)
            for p in self.archive.programs.of_run(self.run_id)
        )  # fmt: skip
        frame = _frame(rows, PROGRAM_COLUMNS)
        return frame.astype({"score": float, "validation_score": float, "evicted": bool})

    def lineage(self) -> pd.DataFrame:
        """Parent links: ``child_id``, ``parent_id``, ``position`` (the parent's place in the child's
        parent list; 0 is the one it was made from)."""
        return _frame(self.archive.programs.lineage_rows(self.run_id), ["child_id", "parent_id", "position"])

    def ancestry(self, program_id: str) -> pd.DataFrame:
        """The program and all its ancestors (evicted ones included), each once, with ``depth`` (0 for
        the program, 1 for its parents...) and ``parent_id`` (its first parent, None for a seed); the
        columns of :meth:`programs` besides."""
        programs = self.programs().set_index("id")
        parents = self.lineage()
        first = parents[parents.position == 0].set_index("child_id").parent_id.to_dict()
        every: dict[str, list[str]] = {}
        for child, parent in zip(parents.child_id, parents.parent_id, strict=True):
            every.setdefault(child, []).append(parent)
        depth = {program_id: 0}
        queue = [program_id]
        while queue:
            current = queue.pop(0)
            for parent in every.get(current, []):
                if parent not in depth:
                    depth[parent] = depth[current] + 1
                    queue.append(parent)
        frame = programs.loc[list(depth)].reset_index()
        frame.insert(1, "depth", [depth[i] for i in frame.id])
        frame.insert(2, "parent_id", [first.get(i) for i in frame.id])
        return frame.sort_values(["depth", "id"]).reset_index(drop=True)

    def winner(self) -> str | None:
        """The program ``aurora-evo export`` ships first: the best of those scored on the held-out
        cases (pooled with the training cases for allocation runs, whose few held-out scenarios are
        too few to choose by alone), else the best by training score; ``None`` before any ran."""
        top = top_programs(self.archive, self.run_id, 1, self._selection_pool())
        return top[0].id if top else None

    def winner_chosen_by(self) -> str:
        """How :meth:`winner` chose, for people (it completes "The winner is chosen by ...")."""
        if self._selection_pool() is None:
            return "its score on the held-out cases alone"
        return "its mean score over every case (training and held-out)"

    def _selection_pool(self) -> tuple[int, int] | None:
        if self._pool is False:
            self._pool = selection_pool(self.config)
        return self._pool

    def best_program(self, by: str = "score") -> str | None:
        """The id of the best program by ``score`` (training) or ``validation_score``."""
        programs = self.programs().dropna(subset=[by])
        if programs.empty:
            return None
        return str(programs.sort_values([by, "iteration"], ascending=[False, True]).id.iloc[0])

    # --- evaluations and scenarios --------------------------------------------------------------------

    def evaluations(self, split: str | None = None) -> pd.DataFrame:
        """One row per program and case: ``program_id``, ``split`` (train, validation), ``case``,
        ``score``, then one column per metric the evaluation reported (e.g. ``reward``,
        ``excess_percent``, ``p95_latency_s``)."""
        rows = self.archive.programs.evaluation_rows(self.run_id, split)
        raw = _frame(
            ((r["program_id"], r["split"], r["case_name"], r["score"]) for r in rows),
            ["program_id", "split", "case", "score"],
        )
        metrics = pd.DataFrame([r["metrics"] for r in rows], index=raw.index)
        metrics = metrics.drop(columns=[c for c in ("score",) if c in metrics.columns])
        return pd.concat([raw, metrics], axis=1)

    def scenarios(self) -> pd.DataFrame:
        """The cases programs were scored on: ``case``, ``split``, ``programs`` (how many were scored on
        it), ``best_score``, ``mean_score``."""
        frame = self.evaluations()[["case", "split", "score"]]
        if frame.empty:
            return pd.DataFrame(columns=["case", "split", "programs", "best_score", "mean_score"])
        grouped = frame.groupby(["case", "split"]).score
        return pd.DataFrame(
            {"programs": grouped.size(), "best_score": grouped.max(), "mean_score": grouped.mean()}
        ).reset_index()

    # --- islands, Elo, MAP-Elites -----------------------------------------------------------------------

    def islands(self) -> pd.DataFrame:
        """Each island at each iteration: ``iteration``, ``island``, ``size`` (programs it holds),
        ``best_score``, ``median_score`` (over its members), ``best_program_id``, ``members`` (a
        list of program ids)."""
        rows = []
        for state in self.archive.ledger.island_history(self.run_id):
            scores = [m[1] for m in state.members if isinstance(m, list) and m[1] is not None]
            rows.append(
                (state.iteration, state.island, len(state.members), state.best_score,
                 float(np.median(scores)) if scores else np.nan, state.best_program_id,
                 [m[0] if isinstance(m, list) else m for m in state.members])
            )  # fmt: skip
        columns = ["iteration", "island", "size", "best_score", "median_score", "best_program_id", "members"]
        frame = _frame(rows, columns)
        return frame.astype({"best_score": float, "median_score": float})

    def elo_history(self) -> pd.DataFrame:
        """Rating changes: ``program_id``, ``iteration``, ``rating`` (Elo, starting at 1500)."""
        return _frame(self.archive.elites.rating_changes(self.run_id), ["program_id", "iteration", "rating"])

    def ratings(self) -> pd.DataFrame:
        """Current ratings, best first: ``program_id``, ``rating``, ``matches``."""
        rows = ((pid, r.rating, r.matches) for pid, r in self.archive.elites.ratings(self.run_id).items())
        frame = _frame(rows, ["program_id", "rating", "matches"])
        return frame.sort_values("rating", ascending=False).reset_index(drop=True)

    def cells(self) -> pd.DataFrame:
        """The MAP-Elites elites: one column per descriptor (its bin index, named after the
        descriptor), ``program_id``, ``score``."""
        names = list(self.config.archive.descriptors)
        rows = [(*cell, pid, score) for cell, (pid, score) in self.archive.elites.cells(self.run_id).items()]
        return _frame(rows, [*names, "program_id", "score"]).astype({"score": float})

    def descriptors(self) -> pd.DataFrame:
        """The MAP-Elites descriptor values of every program that ran: ``program_id``, then one column
        per descriptor of the run (its value in the descriptor's own unit, see
        :data:`aurora_evo.archive.map_elites.DESCRIPTORS`; NaN where it was not recorded)."""
        names = list(self.config.archive.descriptors)
        rows = (
            (p.id, *[(p.descriptor or {}).get(name, np.nan) for name in names])
            for p in self.archive.programs.of_run(self.run_id)
            if p.outcome == "ok"
        )
        return _frame(rows, ["program_id", *names]).astype(dict.fromkeys(names, float))

    def coverage_history(self) -> pd.DataFrame:
        """``iteration``, ``filled`` (cells holding an elite after that iteration), ``coverage`` (share
        of all cells)."""
        changes = self.archive.elites.cell_history(self.run_id)
        total = int(np.prod(self.config.archive.bins))
        seen: set = set()
        rows = []
        for change in changes:
            seen.add(change.cell)
            if rows and rows[-1][0] == change.iteration:
                rows[-1] = (change.iteration, len(seen), len(seen) / total)
            else:
                rows.append((change.iteration, len(seen), len(seen) / total))
        return _frame(rows, ["iteration", "filled", "coverage"])

    # --- events, LLM calls, prompts -------------------------------------------------------------------

    def events(self, kind: str | None = None) -> pd.DataFrame:
        """The controller's events: ``iteration``, ``kind`` (``iteration``, ``migration``, ``reset``,
        ``new_best``...), ``data`` (a dict), ``created_at``."""
        rows = (
            (e.iteration, e.kind, e.data, e.created_at) for e in self.archive.ledger.events(self.run_id, kind)
        )
        return _frame(rows, ["iteration", "kind", "data", "created_at"])

    def outcomes(self) -> pd.DataFrame:
        """Sandbox outcomes per iteration: one row per iteration, one column per outcome (``ok``,
        ``syntax_error``, ``timeout``...), counts of candidates; answers of a language model that gave
        no candidate appear as ``llm.no_code``, ``llm.diff_not_applied``... ."""
        rows = [
            {"iteration": e.iteration, **e.data.get("outcomes", {})}
            for e in self.archive.ledger.events(self.run_id, "iteration")
        ]
        return pd.DataFrame(rows).fillna(0).astype(int) if rows else pd.DataFrame(columns=["iteration"])

    def llm_calls(self) -> pd.DataFrame:
        """Every attempt at an LLM call: ``iteration``, ``backend``, ``model``, ``purpose``, ``mode``,
        ``attempt``, ``prompt_tokens``, ``completion_tokens``, ``latency_s``, ``cost_usd``, ``outcome``,
        ``error``, ``program_id``, ``requested_at`` (unix seconds). Empty for offline runs."""
        columns = ["iteration", "backend", "model", "purpose", "mode", "instruction_id", "attempt",
                   "key_index", "prompt_tokens", "completion_tokens", "latency_s", "cost_usd", "outcome",
                   "error", "program_id", "requested_at"]  # fmt: skip
        return _frame(
            ({c: row[c] for c in columns} for row in self.archive.ledger.llm_calls(self.run_id)), columns
        )

    def instructions(self) -> pd.DataFrame:
        """The prompt instructions of meta-prompt evolution: ``id``, ``text``, ``origin``, ``born``,
        ``children``, ``improved``, ``success`` (improved / children), ``retired``."""
        frame = _frame(
            self.archive.ledger.instructions(self.run_id),
            ["id", "text", "origin", "born", "children", "improved", "retired"],
        )
        frame["success"] = frame.improved / frame.children.where(frame.children > 0)
        return frame

    # --- co-evolution ---------------------------------------------------------------------------------

    def attacker_scenarios(self) -> pd.DataFrame:
        """Every scenario the attacker put in the training set: ``name``, ``iteration`` (when it
        entered), ``level``, ``learnability``, ``success_rate`` (the elites' then). Load one with
        ``aurora_evo.scenario.io.scenario_from_dict(run.archive.ledger.scenario(run.run_id, name))``."""
        columns = ["name", "iteration", "level", "learnability", "success_rate"]
        rows = ({c: row[c] for c in columns} for row in self.archive.ledger.scenario_rows(self.run_id))
        return _frame(rows, columns)

    def quality_checks(self) -> pd.DataFrame:
        """Quality control's verdict on every scenario the attacker proposed: ``iteration``,
        ``scenario``, ``passed``, ``refused_layers`` (list), ``reasons`` (list), ``features`` (list of
        floats, or None)."""
        columns = ["iteration", "scenario", "passed", "refused_layers", "reasons", "features"]
        return _frame(self.archive.ledger.quality_checks(self.run_id), columns)


def load_run(run_dir: str | Path) -> RunData:
    """:class:`RunData` for ``run_dir``."""
    return RunData(run_dir)
