-- LLM-as-judge: the target a scan re-checks its deterministic findings with (POST /scans
-- "judge_target_id"; NULL: none), and each result's judge opinion as JSON {"score", "reason"}
-- (NULL: no judge saw the reply).
ALTER TABLE scans ADD COLUMN judge_target_id TEXT;
ALTER TABLE scan_results ADD COLUMN judge TEXT;
