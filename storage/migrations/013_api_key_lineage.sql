-- API key lineage: the live key a key was made with (NULL when made with a session). Revoking a
-- key revokes every live key made from it, down the whole tree, so no key outlives its maker.
ALTER TABLE api_keys ADD COLUMN parent_id TEXT;
CREATE INDEX api_keys_parent ON api_keys (parent_id) WHERE revoked_at IS NULL;
