"""Bin-packing programs against a reference program, paired over many fresh generated instances.

    python benchmarks/binpacking_paired.py REFERENCE CANDIDATE... [--dataset or] [--instances 2000]
        [--items 500] [--seed 20261207] [--timeout 1800]

A run's validation set (100 instances of 500 items for OR) tells two programs apart only when they differ
by more than about a bin in eight instances; this settles whether a candidate really packs better than
the shipped program before it replaces it and is measured on the test set. Every program packs the same
``--instances`` instances of ``--items`` items, generated with ``--seed`` (FunSearch's shapes,
:mod:`aurora_evo.domains.binpacking.generators`; none is a released test set). It prints each program's
bins and % excess over the L1 bound, and for each candidate its bins against the reference's, paired per
instance: the instances it wins and loses, and the two-sided paired t and Wilcoxon signed-rank p values
(:func:`aurora_evo.evaluate.statistics.paired_test`). Candidates exported from a run are not vetted, so
every program runs in the sandbox, with ``--timeout`` seconds for the whole set (about 2 minutes for
2,000 instances of 500 items on this machine).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from aurora_evo.domains.binpacking import Dataset
from aurora_evo.domains.binpacking.generators import or_dataset, weibull_dataset
from aurora_evo.domains.binpacking.problem import BinPackingProblem
from aurora_evo.evaluate.statistics import paired_test
from aurora_evo.sandbox import Sandbox, SandboxConfig

BINPACKING = BinPackingProblem()


def bins_per_instance(sandbox: Sandbox, path: Path, dataset: Dataset) -> tuple[np.ndarray, float]:
    """The bins the program at ``path`` uses on each instance, shape ``(n_instances,)``, and its % excess
    over L1 on the whole set (FunSearch's: the mean bins against the mean bound)."""
    result = sandbox.evaluate(BINPACKING, path.read_text(), [dataset])
    if not result.outcome.ok:
        raise SystemExit(f"{path}: {result.message}")
    return np.asarray(result.per_case[dataset.name]["bins"]), -result.score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path, help="the program to beat, e.g. programs/binpack_or.py")
    parser.add_argument("candidates", type=Path, nargs="+")
    parser.add_argument("--dataset", choices=("or", "weibull"), default="or")
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--items", type=int, default=500, help="items per instance")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per program (default 1800)")
    args = parser.parse_args()
    make = or_dataset if args.dataset == "or" else weibull_dataset
    dataset = make(np.random.default_rng(args.seed), args.instances, args.items, name="fresh")
    print(f"{args.instances} fresh {args.dataset} instances of {args.items} items, seed {args.seed}")
    with Sandbox(SandboxConfig(timeout_s=args.timeout, full_warm_up=False)) as sandbox:
        compare(sandbox, dataset, args.reference, args.candidates)


def compare(sandbox: Sandbox, dataset: Dataset, reference_path: Path, candidates: list[Path]) -> None:
    """Print the reference's bins and excess, then each candidate's, paired with the reference's."""
    reference, excess = bins_per_instance(sandbox, reference_path, dataset)
    print(f"{reference_path.name}: {reference.sum()} bins, {excess:.3f} % excess over L1", flush=True)
    for path in candidates:
        bins, excess = bins_per_instance(sandbox, path, dataset)
        test = paired_test(bins, reference, higher_is_better=False)
        print(
            f"{path.name}: {bins.sum()} bins, {excess:.3f} % excess over L1; against the reference "
            f"{int(bins.sum() - reference.sum()):+d} bins, won {int(np.sum(bins < reference))}, "
            f"lost {int(np.sum(bins > reference))}, "
            f"p {test.t_pvalue:.2g} (t) / {test.wilcoxon_pvalue:.2g} (W)",
            flush=True,
        )


if __name__ == "__main__":
    main()
