-- Findings triage (PATCH /scans/{id}/findings/{finding_id}): each result's status (open,
-- accepted, false_positive, fixed) and note. A false_positive finding counts nowhere.
ALTER TABLE scan_results ADD COLUMN triage TEXT NOT NULL DEFAULT 'open';
ALTER TABLE scan_results ADD COLUMN note TEXT;
-- The attacks (fingerprint: probe set, prompt, converter) an owner marked as false positives on a
-- target: later scans of that target record matching findings as false_positive at once, so
-- their counts, gates and reports never include them. Removed when the mark is lifted.
CREATE TABLE finding_suppressions (
  owner_id TEXT NOT NULL,
  target_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  note TEXT,
  scan_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (owner_id, target_id, fingerprint)
);
