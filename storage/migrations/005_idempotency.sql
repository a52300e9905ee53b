-- Responses kept for Idempotency-Key replays (24 h). status 0 marks a request in progress.
CREATE TABLE idempotency_keys (
  caller TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL DEFAULT 0,
  content_type TEXT,
  headers TEXT,
  body TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (caller, idem_key)
);
CREATE INDEX idempotency_expires ON idempotency_keys (expires_at);
