-- Targets: LLM endpoints under test. Portable SQL (SQLite and PostgreSQL).
-- Times are milliseconds since the epoch; owner_id is '' until accounts exist.
CREATE TABLE targets (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  description TEXT,
  kind TEXT NOT NULL,
  endpoint_url TEXT NOT NULL,
  model TEXT,
  headers TEXT NOT NULL DEFAULT '{}',
  request_template TEXT,
  response_path TEXT,
  timeout_seconds INTEGER NOT NULL,
  max_concurrency INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT
);

-- Names are unique per owner among live targets; a deleted name can be reused.
CREATE UNIQUE INDEX targets_owner_name ON targets (owner_id, name) WHERE deleted_at IS NULL;

-- Pages in the default order (-created_at) are an index range, not a sort.
CREATE INDEX targets_owner_created ON targets (owner_id, created_at, id) WHERE deleted_at IS NULL;
