"""Readers of raw cluster traces in their official formats: each streams the trace's tasks as
:class:`~aurora_evo.traces.records.TraceTask` records, in arrival order, in the trace's own units (each
reader documents them), and counts the rows it dropped or repaired. Turning tasks into scenarios
(windows, the node platform, units) is not a reader's job."""
