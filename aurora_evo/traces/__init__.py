"""Readers of raw cluster traces in their official formats. Each streams the trace's tasks as
:class:`~aurora_evo.traces.records.TraceTask` records in arrival order, in the trace's own units (each
reader documents them), and counts the rows it dropped or repaired in a
:class:`~aurora_evo.traces.records.ReadSummary`; unreadable input is a one-line
:class:`~aurora_evo.traces.records.TraceError`.

* :mod:`~aurora_evo.traces.google2011`: Google clusterdata-2011-2 ``task_events`` shards;
* :mod:`~aurora_evo.traces.alibaba2018`: Alibaba cluster-trace-v2018 ``batch_task``, ``machine_meta`` and
  ``container_meta`` (:mod:`~aurora_evo.traces.occupied`: the machines less its long-running containers);
* :mod:`~aurora_evo.traces.alibaba_gpu2025`: the Alibaba GPU v2025 DLRM serving trace;
* :mod:`~aurora_evo.traces.azure_llm2023`: the Azure LLM inference trace 2023 (service time modelled);
* :mod:`~aurora_evo.traces.azure_vmtable`: the Azure Public Dataset VM trace's ``vmtable`` (V1 2017, V2
  2019);
* :mod:`~aurora_evo.traces.azure_vm2017`: the Azure VM 2017 flavour and lifetime sequences (derived);
  format ``azure-vm2017`` reads either, told apart by the file's first row;
* :mod:`~aurora_evo.traces.swf`: the Standard Workload Format of the Parallel Workloads Archive.

:mod:`~aurora_evo.traces.windows` cuts a task stream into time windows; :mod:`~aurora_evo.traces.replay`
turns a window into a scenario on the trace's machines (:mod:`~aurora_evo.traces.platforms`), in a
scenario's units (:mod:`~aurora_evo.traces.units`); :mod:`~aurora_evo.traces.sources` holds, per format,
its reader, platform, licence and which of its tasks are latency-sensitive.
"""

#: The formats ``aurora-evo scenarios from-trace`` reads (:data:`aurora_evo.traces.sources.SOURCES`).
FORMATS = ("google2011", "alibaba2018", "alibaba-gpu2025", "azure-llm2023", "azure-vm2017", "swf")
