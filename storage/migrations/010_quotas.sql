-- MAX_ACTIVE_SCANS_PER_USER counts an owner's queued and running scans on every POST /scans:
-- an index of only those, so the count stays small however many scans have finished.
CREATE INDEX scans_owner_active ON scans (owner_id) WHERE status IN ('queued', 'running');
