-- The audit trail: one row per state-changing request and authentication event.
CREATE TABLE audit_logs (
  id TEXT PRIMARY KEY,
  ts BIGINT NOT NULL,
  request_id TEXT NOT NULL,
  actor_id TEXT,
  actor_type TEXT NOT NULL,
  action TEXT NOT NULL,
  resource_type TEXT,
  resource_id TEXT,
  outcome TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  ip TEXT,
  user_agent TEXT,
  duration_ms BIGINT NOT NULL
);
CREATE INDEX audit_logs_ts ON audit_logs (ts, id);
CREATE INDEX audit_logs_actor ON audit_logs (actor_id, ts);
