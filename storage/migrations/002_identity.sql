-- Accounts and sessions. Portable SQL (SQLite and PostgreSQL); times in ms since the epoch.
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  email TEXT NOT NULL,
  full_name TEXT,
  password_hash TEXT NOT NULL,
  is_active INTEGER NOT NULL DEFAULT 1,
  roles TEXT NOT NULL DEFAULT 'user',
  version INTEGER NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_login_at BIGINT,
  deleted_at BIGINT
);

-- Usernames and emails are unique case-insensitively among live users.
CREATE UNIQUE INDEX users_username ON users (lower(username)) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE deleted_at IS NULL;

-- One row per login; refresh_jti is the only refresh token of the session that still works.
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  refresh_jti TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  ip TEXT,
  user_agent TEXT
);
CREATE INDEX sessions_user ON sessions (user_id, created_at) WHERE revoked_at IS NULL;

-- Values the service keeps for itself, e.g. the generated development SECRET_KEY.
CREATE TABLE service_state (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
