-- Schedules carry a version like every mutable resource (ETag, If-Match; a run's record bumps it
-- too, since it changes what GET shows), and their number per owner is a quota
-- (MAX_SCHEDULES_PER_USER), counted in owner_counts like targets and probe sets.
ALTER TABLE schedules ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
INSERT INTO owner_counts (owner_id, kind, n)
  SELECT owner_id, 'schedules', COUNT(*) FROM schedules GROUP BY owner_id;
