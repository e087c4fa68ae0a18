"""One evaluation from start to report: a suite's splits, every policy (:mod:`.run`), the statistics
(:mod:`.summary`) and the files (:mod:`.report`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from aurora_evo.evaluate.report import write_report
from aurora_evo.evaluate.run import PROFILES, evaluate_policies
from aurora_evo.evaluate.summary import per_scenario, summarise
from aurora_evo.evaluation import EvalResult
from aurora_evo.scenario.model import Scenario
from aurora_evo.suites import load_suite


def evaluate_suite(
    suite_name: str,
    split: str,
    programs: Mapping[str, str],
    evaluate_untrusted: Callable[[str, Sequence[Scenario]], EvalResult],
    baselines: Sequence[str],
    profile_name: str,
    seed: int,
    out: Path,
    say: Callable[[str], None] = lambda line: None,
) -> tuple[list[Path], bool]:
    """Evaluate on ``split`` of the suite, the trained baselines trained on its train split; write the
    report into ``out``. Returns the files written and whether a policy failed."""
    suite = load_suite(suite_name)
    profile = PROFILES[profile_name]
    test = list(suite.split(split))[: profile.test_scenarios]
    train = list(suite.train)[: profile.train_scenarios]
    say(f"suite {suite.name}, split {split}: {len(test)} scenario(s); training on {len(train)}")
    results = evaluate_policies(train, test, programs, evaluate_untrusted, baselines, profile, seed, say)
    document = {
        "run": {
            "suite": suite.name,
            "split": split,
            "scenarios": len(test),
            "train_scenarios": len(train),
            "profile": profile.name,
            "seed": seed,
            "suite_content_sha256": suite.manifest.get("content_sha256"),
        },
        "summary": summarise(results, np.random.default_rng(seed)),
        "per_scenario": per_scenario(results, test),
    }
    return write_report(document, out), any(r.error for r in results)
