"""Online bin packing, FunSearch's benchmark: datasets, generators, evaluation, baselines, benchmark.

Programs follow :attr:`aurora_evo.contracts.Contract.BINPACKING`, ``priority(item, bins) -> scores``; see
:mod:`aurora_evo.domains.binpacking.evaluate` for the exact packing procedure and metric.
"""

from aurora_evo.domains.binpacking.baselines import (
    BEST_FIT_SOURCE,
    FIRST_FIT_SOURCE,
    WORST_FIT_SOURCE,
    baseline_programs,
)
from aurora_evo.domains.binpacking.bench import (
    PUBLISHED,
    PUBLISHED_SOURCE,
    BenchRow,
    bench_table,
    bench_to_json,
    run_bench,
)
from aurora_evo.domains.binpacking.datasets import (
    Dataset,
    DatasetError,
    Instance,
    VectorInstance,
    builtin_dataset_path,
    builtin_datasets,
    load_dataset,
    load_funsearch_json,
    load_orlib,
    load_vbp,
)
from aurora_evo.domains.binpacking.evaluate import (
    DatasetResult,
    PackResult,
    evaluate,
    excess_percent,
    extrapolated_excess,
    l1_bound,
    pack,
    pack_vector,
    settled_bins,
)
from aurora_evo.domains.binpacking.generators import (
    or_dataset,
    or_instance,
    weibull_dataset,
    weibull_instance,
)

__all__ = [
    "BEST_FIT_SOURCE",
    "FIRST_FIT_SOURCE",
    "PUBLISHED",
    "PUBLISHED_SOURCE",
    "WORST_FIT_SOURCE",
    "BenchRow",
    "Dataset",
    "DatasetError",
    "DatasetResult",
    "Instance",
    "PackResult",
    "VectorInstance",
    "baseline_programs",
    "bench_table",
    "bench_to_json",
    "builtin_dataset_path",
    "builtin_datasets",
    "evaluate",
    "excess_percent",
    "extrapolated_excess",
    "l1_bound",
    "load_dataset",
    "load_funsearch_json",
    "load_orlib",
    "load_vbp",
    "or_dataset",
    "or_instance",
    "pack",
    "pack_vector",
    "run_bench",
    "settled_bins",
    "weibull_dataset",
    "weibull_instance",
]
