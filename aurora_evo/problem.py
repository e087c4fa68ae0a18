"""The problem seam (FunSearch's "specification"): what is evolved, on which cases, and how it is judged.

A :class:`Problem` says everything the rest of aurora-evo needs to know about one kind of scheduling
problem, so that the controller, the sandbox, the executor, the mutators, export and the CLI carry a
problem and never branch on which one it is:

* its :attr:`~Problem.contract`: how ``priority`` is called;
* its :meth:`~Problem.cases`: the training and held-out validation cases of a run, and its
  :meth:`~Problem.test_cases`, which a run never sees;
* :meth:`~Problem.run`: the program's raw decisions on cases (one int64 array per decision sequence).
  Inside the sandbox this runs in the jail, on cases the supervisor holds;
* :meth:`~Problem.score`: the metrics of given decisions, after checking them against the rules. It
  runs no program code, so it can take decisions from an untrusted process;
* :meth:`~Problem.queries`: the states ``priority`` was called in at a sample of decisions, for the
  sandbox's witness to ask again (see :mod:`aurora_evo.sandbox.verify`);
* how a case travels to the sandbox's supervisor (:meth:`~Problem.case_to_document` and back);
* its baselines (vetted seed programs) and what a prompt says about it;
* for ``aurora-evo score``: the files its cases are read from (:meth:`~Problem.load_cases`) and an
  evaluation's metrics laid out as a table (:meth:`~Problem.result_table`).

Problems are registered by name in :mod:`aurora_evo.domains`; the sandbox's supervisor, a separate
process, looks them up there by the name a request carries.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from aurora_evo.contracts import Contract
from aurora_evo.evaluation import EvalResult

if TYPE_CHECKING:  # typing only: the sandbox's client imports this module and must not import numba
    from aurora_evo.config import RunConfig, TaskConfig
    from aurora_evo.sandbox.verify import Query

#: How many decisions of each case an evaluation returns, in case order: one int64 array per entry.
Decisions = list[np.ndarray]

JitMode = Literal["auto", "always", "never"]


@dataclass(frozen=True)
class Cases:
    """The cases of a run.

    Attributes:
        train: the cases a program's training score is computed on.
        validation: held-out cases, scored for the best programs only (what export ranks by).
            The test cases, which a run never sees, are :meth:`Problem.test_cases`.
        description: one line for people, e.g. ``"cloud allocation: train on 10 seed scenarios ..."``.
    """

    train: tuple
    validation: tuple
    description: str


@dataclass(frozen=True)
class ResultTable:
    """An evaluation's metrics laid out for people, as ``aurora-evo score`` prints them.

    Attributes:
        columns: the column headings; the first column's cells name things (a case, a metric), the other
            columns' are numbers.
        rows: the cells of each row as text, as many as ``columns``.
        summary: ``(label, value)`` of a closing line, e.g. ``("mean reward over 3 scenario(s)",
            "0.7721")``, or ``None``.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    summary: tuple[str, str] | None = None


class Problem(abc.ABC):
    """One kind of problem programs are evolved for. Subclasses set the class attributes and implement
    the abstract methods; an instance holds no state (the registry hands out one per name).

    Attributes:
        name: the registry name (``"allocation"``, ``"binpacking"``).
        contract: how ``priority`` is called.
        decision_noun: what a decision picks, for messages (``"node"``, ``"bin"``).
        score_unit: what a score is, for people (``"mean reward"``).
        score_label: what :meth:`format_score` shows, for people (``"mean reward"``, ``"excess bins
            over L1"``).
        jit_min_decisions: with ``jit="auto"``, numba compiles a program only for evaluations of at
            least this many decisions (below it the numpy path ends before numba would have compiled).
        trivial_program: a vetted program of the contract, run to warm a jail up.
        calls_here: the sandbox may run a small evaluation in its own process, asking a jail for each
            call of ``priority`` (:meth:`run_program` must then work on any compiled program). Only
            for the allocation contract: the sandbox's proxy speaks ``priority(task, nodes)``.
        case_file_kind: what the files :meth:`load_cases` reads are, one word (``"scenario"``,
            ``"dataset"``); ``aurora-evo score`` takes them with the option of that name.
        case_file_hint: what to give for one of those files, for a message (``"FILE"``, ``"FILE (or a
            shipped name: OR3, 'Weibull 5k')"``).
    """

    name: ClassVar[str]
    contract: ClassVar[Contract]
    decision_noun: ClassVar[str]
    score_unit: ClassVar[str]
    score_label: ClassVar[str]
    jit_min_decisions: ClassVar[int]
    trivial_program: ClassVar[str]
    calls_here: ClassVar[bool] = False
    case_file_kind: ClassVar[str]
    case_file_hint: ClassVar[str] = "FILE"

    # --- cases -------------------------------------------------------------------------------------

    @abc.abstractmethod
    def cases(self, task: TaskConfig, seed: int) -> Cases:
        """The training and validation cases of a run with these task settings; any generated case
        comes from its own stream of ``seed`` (never the run's generator)."""

    def pooled_selection(self, task: TaskConfig) -> bool:
        """Whether export chooses among validated programs by their mean over training and validation
        cases together, the validation cases of these task settings being too few to choose by alone
        (``False`` by default: by the validation score)."""
        return False

    def test_cases(self, task: TaskConfig) -> tuple:
        """The cases a run of these settings never trains or chooses on, to report its programs on
        (none by default). Everything is chosen on validation and measured once on these."""
        return ()

    @abc.abstractmethod
    def decision_counts(self, case) -> list[int]:
        """The length of each decision sequence :meth:`run` returns for ``case``, in order: one
        sequence for a scenario (a node per task), one per instance of a dataset (a bin per item)."""

    def case_size(self, case) -> int:
        """Decisions a program makes on ``case``."""
        return sum(self.decision_counts(case))

    @abc.abstractmethod
    def case_to_document(self, case) -> dict:
        """``case`` as a JSON document, to hand it to the sandbox's supervisor."""

    @abc.abstractmethod
    def case_from_document(self, document: dict):
        """The inverse of :meth:`case_to_document`."""

    def load_cases(self, specs: Sequence[str]) -> list:
        """The cases named on the command line, in order: each spec a file (or a name the problem
        ships); :class:`~aurora_evo.errors.InputError` naming the file when one cannot be read."""
        raise NotImplementedError(f"the {self.name} problem reads no case files")

    def touch_case(self, case):
        """A small case like ``case``, which a jail runs the trivial program on while it waits for its
        job, to touch the memory the job will (the case itself by default)."""
        return case

    # --- running and scoring -----------------------------------------------------------------------

    @abc.abstractmethod
    def run(
        self, source: str, cases: Sequence, *, jit: bool, boundscheck: bool
    ) -> EvalResult | tuple[Decisions, bool]:
        """Compile ``source`` and run it on ``cases``: its decisions (see :data:`Decisions`) and whether
        numba compiled it, or why it failed. Executes the program: only in the sandbox's jail, or for
        vetted programs."""

    @abc.abstractmethod
    def score(self, cases: Sequence, decisions: Decisions, compiled: bool) -> EvalResult:
        """The metrics of ``decisions`` on ``cases``, after checking every decision against the rules
        (``invalid_output`` if one breaks them). Runs no program code."""

    @abc.abstractmethod
    def case_score(self, metrics: Mapping) -> float:
        """The number a case's metrics count for in a program's training score, higher is better."""

    @abc.abstractmethod
    def queries(
        self, cases: Sequence, decisions: Decisions, samples: int, rng: np.random.Generator
    ) -> list[Query] | None:
        """The states of ``samples`` decisions drawn with ``rng``, for a witness to ask ``priority``
        about again; ``None`` when the decisions cannot be replayed (scoring then says why)."""

    def run_program(self, program, cases: Sequence) -> EvalResult | Decisions:
        """Run an already compiled program on ``cases`` (only where :attr:`calls_here`)."""
        raise NotImplementedError(f"the {self.name} problem runs programs only from their source")

    def use_jit(self, mode: JitMode, cases: Sequence) -> bool:
        """Whether an evaluation on ``cases`` compiles with numba: ``"always"``, ``"never"``, or
        ``"auto"``: when it makes at least :attr:`jit_min_decisions` decisions."""
        if mode not in ("auto", "always", "never"):
            raise ValueError(f"jit mode {mode!r}; use 'auto', 'always' or 'never'")
        if mode != "auto":
            return mode == "always"
        return sum(self.case_size(case) for case in cases) >= self.jit_min_decisions

    def evaluate(self, source: str, cases: Sequence, *, jit: JitMode = "auto") -> EvalResult:
        """Run and score in this process: vetted programs only (the sandbox's
        :meth:`~aurora_evo.sandbox.Sandbox.evaluate` does the same for the rest)."""
        ran = self.run(source, cases, jit=self.use_jit(jit, cases), boundscheck=False)
        if isinstance(ran, EvalResult):
            return ran
        decisions, compiled = ran
        return self.score(cases, decisions, compiled)

    def training_score(self, per_case: Mapping[str, Mapping]) -> dict[str, float]:
        """Per-case scores of an evaluation (see :meth:`case_score`)."""
        return {name: self.case_score(metrics) for name, metrics in per_case.items()}

    def result_table(self, result: EvalResult) -> ResultTable:
        """The metrics of a successful evaluation for people (``aurora-evo score``): by default each
        case's score as :meth:`format_score` shows it, and the mean."""
        rows = tuple((name, self.format_score(self.case_score(m))) for name, m in result.per_case.items())
        summary = (f"{self.score_label} over {len(rows)} case(s)", self.format_score(result.score))
        return ResultTable(("case", self.score_label), rows, summary)

    # --- what surrounds a run ----------------------------------------------------------------------

    def format_score(self, value: float) -> str:
        """A score as people read it (allocation: ``0.7721``; bin packing: ``3.16%`` excess)."""
        return f"{value:.4f}"

    def run_label(self, task: TaskConfig) -> str:
        """What a run of these task settings works on, in a few words (``cloud``, ``binpacking (or)``)."""
        return task.domain

    def axis_label(self, task: TaskConfig) -> str:
        """What a score means in a run of these task settings, for a plot's axis."""
        return f"score ({self.score_unit})"

    def training_note(self, task: TaskConfig) -> str:
        """How training scores differ from validation ones, appended to the score's unit (``""``)."""
        return ""

    @abc.abstractmethod
    def baselines(self) -> dict[str, str]:
        """Vetted seed programs by name, in the order the islands are seeded with them; among them
        first fit and best fit (see :meth:`baseline`), which a new best's validation score is set
        against."""

    def baseline(self, name: str) -> str:
        """The source of the baseline called ``name`` however :meth:`baselines` spells it:
        ``baseline("best fit")`` finds ``best_fit`` as well as ``Best Fit``."""
        by_plain_name = {key.replace("_", " ").lower(): source for key, source in self.baselines().items()}
        return by_plain_name[name.replace("_", " ").lower()]

    def prompt_context(self) -> tuple[str, str] | None:
        """What a language model's prompt says of the problem and of its scoring, as ``(problem,
        scoring)`` Markdown text; ``None`` (the default): the contract's own description
        (:mod:`aurora_evo.mutators.llm.problem_text`), right for every problem that only changes the
        cases."""
        return None

    def make_attacker(self, config: RunConfig, writer=None):
        """The co-evolving adversary of the run's cases, or ``None`` when the problem has none;
        ``writer``, when given, makes the language-model writer it may ask for cases."""
        return None


def mean_score(values: Sequence[float]) -> float:
    """The mean of per-case values, summed exactly (the same float whatever their order)."""
    return math.fsum(values) / len(values)


def unique_names(names: Sequence[str]) -> list[str]:
    """The names, with ``#2``, ``#3``... appended to repeats so that each case keeps its entry."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return unique
