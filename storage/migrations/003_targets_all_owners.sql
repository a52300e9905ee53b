-- Admins list every owner's targets: that order needs an index without owner_id in front.
CREATE INDEX targets_created ON targets (created_at, id) WHERE deleted_at IS NULL;
