"""The figures of ``aurora-evo report``, one module per question about a run.

Each figure is a public function ``fig_*(run) -> Figure`` taking a :class:`~aurora_evo.analysis.RunData`,
so notebooks and tests can use them one at a time; :mod:`aurora_evo.analysis.report` saves them all.
Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot, no global state); a run with
nothing to show yet gets a figure saying so instead of an error. :mod:`.drawing` holds what they share.
"""
