"""The studies of ``aurora-evo evaluate --study``: ablation, scalability, transfer and continual learning;
each writes its tables and figure into the evaluate report (:mod:`aurora_evo.studies.report`)."""
