BEGIN TRANSACTION;
CREATE TABLE "cell_history" (
   "run_id" TEXT NOT NULL REFERENCES "runs"("id"),
   "cell" TEXT NOT NULL,
   "program_id" TEXT NOT NULL REFERENCES "programs"("id"),
   "score" REAL NOT NULL,
   "iteration" INTEGER NOT NULL
);
INSERT INTO "cell_history" VALUES('r','0,1','808c9e24858479e2',-2.5,0);
INSERT INTO "cell_history" VALUES('r','1,2','624a3860863fd571',-1.5,0);
INSERT INTO "cell_history" VALUES('r','0,1','9fa9c73f50fbf54a',-1.0,1);
INSERT INTO "cell_history" VALUES('other','0,0','0edd5e8fb8e1a005',0.0,0);
CREATE TABLE "cells" (
   "run_id" TEXT NOT NULL REFERENCES "runs"("id"),
   "cell" TEXT NOT NULL,
   "program_id" TEXT NOT NULL REFERENCES "programs"("id"),
   "score" REAL NOT NULL,
   "iteration" INTEGER NOT NULL,
   PRIMARY KEY ("run_id", "cell")
);
INSERT INTO "cells" VALUES('r','0,1','9fa9c73f50fbf54a',-1.0,1);
INSERT INTO "cells" VALUES('r','1,2','624a3860863fd571',-1.5,0);
INSERT INTO "cells" VALUES('other','0,0','0edd5e8fb8e1a005',0.0,0);
CREATE TABLE "evaluations" (
   "program_id" TEXT NOT NULL REFERENCES "programs"("id"),
   "split" TEXT NOT NULL,
   "case_name" TEXT NOT NULL,
   "score" REAL,
   "metrics_json" TEXT NOT NULL,
   PRIMARY KEY ("program_id", "split", "case_name")
);
INSERT INTO "evaluations" VALUES('808c9e24858479e2','train','b',-3.0,'{"score": -3.0, "bins": 10, "excess_percent": 1.5}');
INSERT INTO "evaluations" VALUES('808c9e24858479e2','train','a',-2.0,'{"score": -2.0, "bins": 9, "excess_percent": 0.5}');
INSERT INTO "evaluations" VALUES('624a3860863fd571','train','b',-2.0,'{"score": -2.0, "bins": 11, "excess_percent": 1.5}');
INSERT INTO "evaluations" VALUES('624a3860863fd571','train','a',-1.0,'{"score": -1.0, "bins": 10, "excess_percent": 0.5}');
INSERT INTO "evaluations" VALUES('9fa9c73f50fbf54a','train','b',-1.5,'{"score": -1.5, "bins": 13, "excess_percent": 1.5}');
INSERT INTO "evaluations" VALUES('9fa9c73f50fbf54a','train','a',-0.5,'{"score": -0.5, "bins": 12, "excess_percent": 0.5}');
INSERT INTO "evaluations" VALUES('e2b768df092bb5fd','train','b',-1.0,'{"score": -1.0, "bins": 14, "excess_percent": 1.5}');
INSERT INTO "evaluations" VALUES('e2b768df092bb5fd','train','a',0.0,'{"score": 0.0, "bins": 13, "excess_percent": 0.5}');
INSERT INTO "evaluations" VALUES('0edd5e8fb8e1a005','train','b',-0.5,'{"score": -0.5, "bins": 15, "excess_percent": 1.5}');
INSERT INTO "evaluations" VALUES('0edd5e8fb8e1a005','train','a',0.5,'{"score": 0.5, "bins": 14, "excess_percent": 0.5}');
INSERT INTO "evaluations" VALUES('9fa9c73f50fbf54a','validation','v',-1.25,'{"score": -1.25, "bins": 30}');
INSERT INTO "evaluations" VALUES('9fa9c73f50fbf54a','validation','w',NULL,'{"score": null}');
CREATE TABLE "events" (
   "id" INTEGER PRIMARY KEY,
   "run_id" TEXT NOT NULL REFERENCES "runs"("id"),
   "iteration" INTEGER NOT NULL,
   "kind" TEXT NOT NULL,
   "data_json" TEXT NOT NULL,
   "created_at" TEXT NOT NULL
);
INSERT INTO "events" VALUES(1,'r',0,'iteration','{"evaluated": 2, "outcomes": {"ok": 2}}','2026-12-05T15:59:04.850Z');
INSERT INTO "events" VALUES(2,'r',1,'migration','{"moves": [[0, 1, "808c9e24858479e2"]]}','2026-12-05T15:59:04.850Z');
INSERT INTO "events" VALUES(3,'r',2,'iteration','{"evaluated": 3, "outcomes": {"ok": 2, "timeout": 1}}','2026-12-05T15:59:04.851Z');
INSERT INTO "events" VALUES(4,'other',0,'iteration','{"evaluated": 1}','2026-12-05T15:59:04.851Z');
CREATE TABLE "instructions" (
   "id" TEXT NOT NULL,
   "run_id" TEXT NOT NULL REFERENCES "runs"("id"),
   "text" TEXT NOT NULL,
   "parent_ids_json" TEXT NOT NULL,
   "origin" TEXT NOT NULL,
   "born" INTEGER NOT NULL,
   "children" INTEGER NOT NULL,
   "improved" INTEGER NOT NULL,
   "retired" INTEGER NOT NULL,
   PRIMARY KEY ("run_id", "id")
);
INSERT INTO "instructions" VALUES('i1','r','be brief','[]','seed',0,2,1,0);
INSERT INTO "instructions" VALUES('i2','r','be bold','["i1"]','mutation',1,0,0,1);
CREATE TABLE "islands" (
   "run_id" TEXT NOT NULL REFERENCES "runs"("id"),
   "island" INTEGER NOT NULL,
   "iteration" INTEGER NOT NULL,
   "members_json" TEXT NOT NULL,
   "best_program_id" TEXT REFERENCES "programs"("id"),
   "best_score" REAL,
   PRIMARY KEY ("run_id", "island", "iteration")
);
INSERT INTO "islands" VALUES('r',0,0,'[["808c9e24858479e2", -2.5, [-3.0, -2.0]]]','808c9e24858479e2',-2.5);
INSERT INTO "islands" VALUES('r',1,0,'[["624a3860863fd571", -1.5, [-2.0, -1.0]]]','624a3860863fd571',-1.5);
INSERT INTO "islands" VALUES('r',0,2,'[["e2b768df092bb5fd", -0.5, [-1.0, 0.0]], ["808c9e24858479e2", -2.5, [-3.0, -2.0]]]','e2b768df092bb5fd',-0.5);
INSERT INTO "islands" VALUES('r',1,2,'[]',NULL,NULL);
CREATE TABLE "lineage" (
   "child_id" TEXT NOT NULL REFERENCES "programs"("id"),
   "parent_id" TEXT NOT NULL REFERENCES "programs"("id"),
   "position" INTEGER NOT NULL,
   PRIMARY KEY ("child_id", "parent_id")
);
INSERT INTO "lineage" VALUES('3b7abb53bafccd6f','808c9e24858479e2',0);
INSERT INTO "lineage" VALUES('9fa9c73f50fbf54a','808c9e24858479e2',0);
INSERT INTO "lineage" VALUES('9fa9c73f50fbf54a','624a3860863fd571',1);
INSERT INTO "lineage" VALUES('e2b768df092bb5fd','9fa9c73f50fbf54a',0);
CREATE TABLE "llm_calls" (
   "id" INTEGER PRIMARY KEY,
   "run_id" TEXT NOT NULL REFERENCES "runs"("id"),
   "iteration" INTEGER NOT NULL,
   "backend" TEXT NOT NULL,
   "model" TEXT NOT NULL,
   "purpose" TEXT NOT NULL,
   "mode" TEXT NOT NULL,
   "instruction_id" TEXT,
   "attempt" INTEGER NOT NULL,
   "key_index" INTEGER,
   "prompt_tokens" INTEGER NOT NULL,
   "completion_tokens" INTEGER NOT NULL,
   "latency_s" REAL NOT NULL,
   "cost_usd" REAL NOT NULL,
   "outcome" TEXT NOT NULL,
   "error" TEXT NOT NULL DEFAULT '',
   "program_id" TEXT,
   "requested_at" REAL NOT NULL
);
INSERT INTO "llm_calls" VALUES(1,'r',1,'gemini','gemini-2.5-flash','program','diff','i1',1,0,100,50,1.5,0.25,'ok','','9fa9c73f50fbf54a',1000.0);
INSERT INTO "llm_calls" VALUES(2,'r',1,'gemini','gemini-2.5-flash','program','full','i1',1,1,100,50,1.5,0.25,'ok','','9fa9c73f50fbf54a',1001.0);
INSERT INTO "llm_calls" VALUES(3,'r',1,'gemini','gemini-2.5-flash','program','diff','i1',0,NULL,100,50,1.5,0.0,'budget','budget spent',NULL,1002.0);
INSERT INTO "llm_calls" VALUES(4,'r',2,'gemini','gemini-2.5-flash','program','full',NULL,1,0,100,50,1.5,0.25,'ok','',NULL,1003.0);
CREATE TABLE "matches" (
   "run_id" TEXT NOT NULL REFERENCES "runs"("id"),
   "iteration" INTEGER NOT NULL,
   "program_a" TEXT NOT NULL REFERENCES "programs"("id"),
   "program_b" TEXT NOT NULL REFERENCES "programs"("id"),
   "case_name" TEXT NOT NULL,
   "result" REAL NOT NULL
);
INSERT INTO "matches" VALUES('r',1,'9fa9c73f50fbf54a','808c9e24858479e2','a',1.0);
INSERT INTO "matches" VALUES('r',1,'9fa9c73f50fbf54a','624a3860863fd571','b',0.5);
INSERT INTO "matches" VALUES('r',2,'e2b768df092bb5fd','9fa9c73f50fbf54a','a',0.0);
CREATE TABLE "meta" (
   "key" TEXT PRIMARY KEY NOT NULL,
   "value" TEXT NOT NULL
);
INSERT INTO "meta" VALUES('schema_version','1');
INSERT INTO "meta" VALUES('created_at','2026-12-05T15:59:04.841Z');
CREATE TABLE "programs" (
   "id" TEXT PRIMARY KEY NOT NULL,
   "run_id" TEXT NOT NULL REFERENCES "runs"("id"),
   "source" TEXT NOT NULL,
   "source_hash" TEXT NOT NULL,
   "genotype" TEXT,
   "mutator" TEXT NOT NULL,
   "island" INTEGER,
   "iteration" INTEGER NOT NULL,
   "outcome" TEXT NOT NULL,
   "message" TEXT NOT NULL DEFAULT '',
   "score" REAL,
   "validation_score" REAL,
   "compiled" INTEGER NOT NULL DEFAULT 0,
   "complexity" INTEGER NOT NULL DEFAULT 0,
   "reasoning" TEXT NOT NULL DEFAULT '',
   "descriptor_json" TEXT,
   "evicted" INTEGER NOT NULL DEFAULT 0,
   "created_at" TEXT NOT NULL
);
INSERT INTO "programs" VALUES('808c9e24858479e2','r','def priority(item, bins):
    return bins * 1
','2e6959a46d367053cdc10731118331141a9e9be5ea57ea52b41a05b3304519fa',NULL,'seed',0,0,'ok','',-2.5,NULL,1,12,'','{"complexity": 12.0, "nonlinearity": 0.0}',1,'2026-12-05T15:59:04.846Z');
INSERT INTO "programs" VALUES('624a3860863fd571','r','def priority(item, bins):
    return bins * 2
','51150f439638fc7bb1bd62d9b783845a4aebab8877d69a8a23ae9127ede461ad','(mul bins 2)','gp.mutate_subtree',1,0,'ok','',-1.5,NULL,0,0,'','{"complexity": 14.0, "nonlinearity": 1.0}',0,'2026-12-05T15:59:04.846Z');
INSERT INTO "programs" VALUES('3b7abb53bafccd6f','r','def priority(item, bins):
    return bins * 3
','49ff193bb804493a615183f993e7698f673cc0ab8f34b9e4f6fdcd645c8f57f2',NULL,'edit.swap',0,1,'timeout','killed at 2 s',NULL,NULL,0,0,'',NULL,0,'2026-12-05T15:59:04.846Z');
INSERT INTO "programs" VALUES('9fa9c73f50fbf54a','r','def priority(item, bins):
    return bins * 4
','26a67351d3bd9cf1937710dbb6a1582ac1999f474ac6b63c646c2d10a72edf56',NULL,'llm.diff',1,1,'ok','',-1.0,-1.25,0,20,'cheaper','{"complexity": 20.0, "nonlinearity": 2.0}',0,'2026-12-05T15:59:04.846Z');
INSERT INTO "programs" VALUES('e2b768df092bb5fd','r','def priority(item, bins):
    return bins * 5
','9c04ecf2c8b676eeac1987a80a3fe49fce797f1bfdd42cc9dd653f1ec822bff6',NULL,'llm.full',0,2,'ok','',-0.5,NULL,0,22,'','{"complexity": 22.0, "nonlinearity": 2.0}',0,'2026-12-05T15:59:04.847Z');
INSERT INTO "programs" VALUES('0edd5e8fb8e1a005','other','def priority(item, bins):
    return bins * 1
','2e6959a46d367053cdc10731118331141a9e9be5ea57ea52b41a05b3304519fa',NULL,'seed',NULL,0,'ok','',0.0,NULL,0,0,'',NULL,0,'2026-12-05T15:59:04.847Z');
CREATE TABLE "quality_checks" (
   "id" INTEGER PRIMARY KEY,
   "run_id" TEXT NOT NULL REFERENCES "runs"("id"),
   "iteration" INTEGER NOT NULL,
   "scenario" TEXT NOT NULL,
   "passed" INTEGER NOT NULL,
   "refused_layers_json" TEXT NOT NULL,
   "reasons_json" TEXT NOT NULL,
   "features_json" TEXT
);
INSERT INTO "quality_checks" VALUES(1,'r',1,'attack-hard-0001',1,'[]','[]','[0.5, 1.0]');
INSERT INTO "quality_checks" VALUES(2,'r',2,'bad',0,'["schema"]','["no tasks"]',NULL);
CREATE TABLE "rating_history" (
   "program_id" TEXT NOT NULL REFERENCES "programs"("id"),
   "iteration" INTEGER NOT NULL,
   "rating" REAL NOT NULL
);
INSERT INTO "rating_history" VALUES('808c9e24858479e2',0,1500.0);
INSERT INTO "rating_history" VALUES('624a3860863fd571',0,1500.0);
INSERT INTO "rating_history" VALUES('9fa9c73f50fbf54a',1,1516.0);
INSERT INTO "rating_history" VALUES('808c9e24858479e2',1,1492.0);
INSERT INTO "rating_history" VALUES('624a3860863fd571',1,1492.0);
INSERT INTO "rating_history" VALUES('0edd5e8fb8e1a005',0,1500.0);
CREATE TABLE "ratings" (
   "program_id" TEXT PRIMARY KEY NOT NULL REFERENCES "programs"("id"),
   "rating" REAL NOT NULL,
   "matches" INTEGER NOT NULL,
   "iteration" INTEGER NOT NULL
);
INSERT INTO "ratings" VALUES('808c9e24858479e2',1492.0,1,1);
INSERT INTO "ratings" VALUES('624a3860863fd571',1492.0,1,1);
INSERT INTO "ratings" VALUES('9fa9c73f50fbf54a',1516.0,2,1);
INSERT INTO "ratings" VALUES('0edd5e8fb8e1a005',1500.0,0,0);
CREATE TABLE "runs" (
   "id" TEXT PRIMARY KEY NOT NULL,
   "created_at" TEXT NOT NULL,
   "status" TEXT NOT NULL,
   "seed" INTEGER,
   "config_json" TEXT NOT NULL,
   "versions_json" TEXT NOT NULL
);
INSERT INTO "runs" VALUES('r','2026-12-05T15:59:04.845Z','running',7,'{"islands": 2, "seed": 7}','{"python": "3.12", "numpy": "2.0"}');
INSERT INTO "runs" VALUES('other','2026-12-05T15:59:04.846Z','finished',NULL,'{}','{}');
CREATE TABLE "scenarios" (
   "run_id" TEXT NOT NULL REFERENCES "runs"("id"),
   "name" TEXT NOT NULL,
   "iteration" INTEGER NOT NULL,
   "level" TEXT NOT NULL,
   "learnability" REAL NOT NULL,
   "success_rate" REAL NOT NULL,
   "scenario_json" TEXT NOT NULL,
   PRIMARY KEY ("run_id", "name")
);
INSERT INTO "scenarios" VALUES('r','attack-hard-0001',1,'hard',0.9,0.5,'{"name": "attack-hard-0001", "level": "hard", "tasks": [1, 2]}');
INSERT INTO "scenarios" VALUES('r','attack-easy-0002',2,'',0.1,1.0,'{"name": "attack-easy-0002", "level": null, "tasks": []}');
CREATE TABLE "state" (
   "run_id" TEXT PRIMARY KEY NOT NULL REFERENCES "runs"("id"),
   "iteration" INTEGER NOT NULL,
   "state_json" TEXT NOT NULL
);
INSERT INTO "state" VALUES('r',2,'{"rng": {"bit_generator": "PCG64", "state": {"state": 304397142111423816445458517940380168174, "inc": 233193750087604940414945475171846202189}, "has_uint32": 0, "uinteger": 0}, "best": ["e2b768df092bb5fd", -0.5], "best_history": [-1.5, -1.0, -0.5]}');
CREATE INDEX "idx_programs_run_id_source_hash"
    ON "programs" ("run_id", "source_hash");
CREATE INDEX "idx_programs_run_id_score"
    ON "programs" ("run_id", "score");
CREATE INDEX "idx_programs_run_id_iteration"
    ON "programs" ("run_id", "iteration");
CREATE INDEX "idx_lineage_parent_id"
    ON "lineage" ("parent_id");
CREATE INDEX "idx_cell_history_run_id_iteration"
    ON "cell_history" ("run_id", "iteration");
CREATE INDEX "idx_rating_history_program_id"
    ON "rating_history" ("program_id");
CREATE INDEX "idx_matches_run_id_iteration"
    ON "matches" ("run_id", "iteration");
CREATE INDEX "idx_events_run_id_kind"
    ON "events" ("run_id", "kind");
CREATE INDEX "idx_llm_calls_run_id_iteration"
    ON "llm_calls" ("run_id", "iteration");
CREATE INDEX "idx_quality_checks_run_id_iteration"
    ON "quality_checks" ("run_id", "iteration");
COMMIT;
