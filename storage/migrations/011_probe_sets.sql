-- Users' own probe sets (POST /probe-sets). The id is the owner's slug: unique per owner, so
-- (owner_id, id) is the key. Detector and frameworks are JSON objects, prompts a JSON array;
-- lists read prompt_count and never the prompts. A PATCH replaces the row and bumps version.
CREATE TABLE probe_sets (
  owner_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  category TEXT NOT NULL,
  frameworks TEXT NOT NULL,
  detector TEXT NOT NULL,
  prompt_count INTEGER NOT NULL,
  prompts TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (owner_id, id)
);

-- The user sets a scan runs, as they were when it was created (id, version, the set in the
-- file format of domain/probes/*.json): a later PATCH or DELETE never changes what a resumed
-- scan sends. Deleted with nothing: rows live as long as their scan.
CREATE TABLE scan_probe_sets (
  scan_id TEXT NOT NULL,
  probe_set_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (scan_id, probe_set_id)
);

-- Each scan's sets with their source and version ("builtin:1,user:3", in the order of
-- `probes`); NULL for scans made before user sets existed (all built-in, version 1).
ALTER TABLE scans ADD COLUMN probe_sets TEXT;
