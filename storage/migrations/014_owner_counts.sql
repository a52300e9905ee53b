-- Per-owner counts of what quotas limit, kept by the stores in the transaction that inserts or
-- deletes: a quota check is one conditional increment of one row (which also makes concurrent
-- creates of one owner queue only for that increment), not a COUNT over the owner's rows under
-- an owner-wide lock.
CREATE TABLE owner_counts (
  owner_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (owner_id, kind)
);
INSERT INTO owner_counts (owner_id, kind, n)
  SELECT owner_id, 'targets', COUNT(*) FROM targets WHERE deleted_at IS NULL GROUP BY owner_id;
INSERT INTO owner_counts (owner_id, kind, n)
  SELECT owner_id, 'probe_sets', COUNT(*) FROM probe_sets GROUP BY owner_id;
