"""A program's fitness against each of best fit, the GA, DQN and PPO, from an ``evaluate`` report.

    python benchmarks/paired_vs_baselines.py DIR PROGRAM [DIR PROGRAM ...]

``DIR`` is the folder ``aurora-evo evaluate PROGRAM.py --suite NAME --out DIR`` wrote, ``PROGRAM`` the
policy's name there (the file's stem), or ``NAME@OTHER_DIR`` for a program another ``evaluate`` of the
same suite and split scored (the baselines' training is seeded, so a second full ``evaluate`` would give
them the same figures; ``--baselines best_fit`` spares training them again). The report compares every
policy with best fit and with DQN; issue 24 asks whether the program beats each baseline, so this prints
the program's mean fitness difference against each of them, paired over the split's scenarios, with the
report's tests (paired t and Wilcoxon signed-rank, two-sided) Holm-corrected over the baselines present,
and its wins and losses.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from aurora_evo.evaluate.statistics import holm, paired_test

BASELINES = ("best_fit", "ga", "dqn", "ppo")


def compare(folder: Path, program: str) -> list[str]:
    """One line per baseline in the report at ``folder``: ``program``'s fitness against it."""
    report = json.loads((folder / "results.json").read_text())["per_scenario"]
    policies = report["policies"]
    program, _, elsewhere = program.partition("@")
    if elsewhere:
        other = json.loads((Path(elsewhere) / "results.json").read_text())["per_scenario"]
        if other["scenarios"] != report["scenarios"]:
            sys.exit(f"{elsewhere} scored other scenarios than {folder}")
        policies = {**policies, program: other["policies"][program]}
    mine = np.asarray(policies[program]["values"]["fitness"])
    present = [name for name in BASELINES if name in policies and not policies[name]["error"]]
    tests = [paired_test(mine, policies[name]["values"]["fitness"], True) for name in present]
    t_holm, w_holm = holm([t.t_pvalue for t in tests]), holm([t.wilcoxon_pvalue for t in tests])
    lines = []
    for name, test, t_p, w_p in zip(present, tests, t_holm, w_holm, strict=True):
        differences = mine - np.asarray(policies[name]["values"]["fitness"])
        lines.append(
            f"{program} vs {name}: {test.mean_difference:+.4f} fitness, "
            f"Holm p {t_p:.2g} (t) / {w_p:.2g} (W), "
            f"won {int(np.sum(differences > 0))}, lost {int(np.sum(differences < 0))} of {len(mine)}"
        )
    return lines


def main(argv: list[str]) -> None:
    if len(argv) < 2 or len(argv) % 2:
        sys.exit(__doc__)
    for folder, program in zip(argv[::2], argv[1::2], strict=True):
        print("\n".join(compare(Path(folder), program)))


if __name__ == "__main__":
    main(sys.argv[1:])
