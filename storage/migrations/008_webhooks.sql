-- Webhooks: a user's receivers of events, each with its own signing secret. The secret is kept
-- as issued ("whsec_" + base64): the service needs its bytes to sign every delivery, so it cannot
-- be hashed like an API key (docs/security.md says why it is not encrypted either).
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
-- A scan's webhook_url names one webhook of its owner, so a URL is unique per owner.
CREATE UNIQUE INDEX webhooks_owner_url ON webhooks (owner_id, url);
CREATE INDEX webhooks_owner_created ON webhooks (owner_id, created_at, id);
