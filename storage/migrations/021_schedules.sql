-- Scan schedules: a scan request run on a cron expression or every interval_seconds. Instances
-- claim due runs like scans: `claim` is the fencing token every claim bumps, `lease_until`
-- holds a claimed run for its instance, and a run's writes land only under its claim, so each
-- due run creates exactly one scan however many instances tick at once.
CREATE TABLE schedules (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  target_id TEXT NOT NULL,
  probes TEXT NOT NULL,
  converters TEXT NOT NULL,
  fail_on TEXT,
  cron TEXT,
  interval_seconds BIGINT,
  enabled INTEGER NOT NULL,
  next_run_at BIGINT NOT NULL,
  claim INTEGER NOT NULL DEFAULT 0,
  lease_until BIGINT,
  last_run_at BIGINT,
  last_scan_id TEXT,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
-- A tick reads only the due rows of enabled schedules, never every schedule.
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE enabled = 1;
CREATE INDEX schedules_owner_created ON schedules (owner_id, created_at, id);

-- The schedule whose run created a scan (NULL: created by POST /scans). Indexed with the end
-- time: "the previous scan of the same schedule" is one index probe.
ALTER TABLE scans ADD COLUMN schedule_id TEXT;
CREATE INDEX scans_schedule_finished ON scans (schedule_id, finished_at) WHERE schedule_id IS NOT NULL;
