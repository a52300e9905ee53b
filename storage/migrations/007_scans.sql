-- Scans: a run of probe prompts against one target, queued here and claimed by the runners of
-- any instance. `claim` is the fencing token: every claim bumps it, and a runner's writes only
-- land while the scan still carries its claim, so a scan is never run twice at once.
CREATE TABLE scans (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  target_id TEXT NOT NULL,
  probes TEXT NOT NULL,
  concurrency INTEGER NOT NULL,
  webhook_url TEXT,
  status TEXT NOT NULL,
  total INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0,
  errors INTEGER NOT NULL DEFAULT 0,
  findings_low INTEGER NOT NULL DEFAULT 0,
  findings_medium INTEGER NOT NULL DEFAULT 0,
  findings_high INTEGER NOT NULL DEFAULT 0,
  findings_critical INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  claim INTEGER NOT NULL DEFAULT 0,
  claimed_by TEXT,
  lease_until BIGINT,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT
);
-- The queue: oldest queued first; orphan detection reads running scans by lease.
CREATE INDEX scans_status_created ON scans (status, created_at, id);
CREATE INDEX scans_owner_created ON scans (owner_id, created_at, id);

-- One row per prompt sent (seq is the prompt's place in the scan's plan).
CREATE TABLE scan_results (
  scan_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  probe TEXT NOT NULL,
  prompt TEXT NOT NULL,
  response TEXT,
  detector TEXT NOT NULL,
  vulnerable INTEGER NOT NULL,
  severity TEXT,
  evidence TEXT,
  latency_ms BIGINT NOT NULL,
  attempts INTEGER NOT NULL,
  error TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (scan_id, seq)
);
CREATE INDEX scan_results_findings ON scan_results (scan_id, vulnerable, seq);
