"""The studies of ``aurora-evo evaluate --study``: ablation, scalability, transfer; each writes its
tables and figures into the evaluate report (:mod:`aurora_evo.studies.report`)."""
