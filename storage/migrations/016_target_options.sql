-- Target options (issue 11): the system prompt sent before each prompt (NULL: none) and the
-- calls per minute allowed to the target across all instances (NULL: unlimited).
ALTER TABLE targets ADD COLUMN system_prompt TEXT;
ALTER TABLE targets ADD COLUMN rate_limit_rpm BIGINT;
