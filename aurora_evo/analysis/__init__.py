"""Analysis of runs: the archive as pandas DataFrames (:mod:`~aurora_evo.analysis.frames`), the figures
(:mod:`~aurora_evo.analysis.figures`) and ``aurora-evo report`` (:mod:`~aurora_evo.analysis.report`)."""

from aurora_evo.analysis.frames import RunData, load_run

__all__ = ["RunData", "load_run"]
