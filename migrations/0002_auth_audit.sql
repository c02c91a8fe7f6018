-- Sessions and other short-lived keyed state, shared by every app node (Hummingbird's PersistDriver).
CREATE TABLE persist_entries (
  entry_key VARCHAR(255) NOT NULL PRIMARY KEY,
  value MEDIUMTEXT NOT NULL,
  expires_at DATETIME(6) NULL,
  KEY persist_entries_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Bearer tokens of the JSON API; only a SHA-256 of the token is kept.
CREATE TABLE api_tokens (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  token_hash CHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  last_used_at DATETIME(6) NULL,
  CONSTRAINT api_tokens_user FOREIGN KEY (user_id) REFERENCES users (id),
  UNIQUE KEY api_tokens_hash (token_hash),
  KEY api_tokens_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Failed sign-ins, by email and by address, for throttling (real time, not the business clock).
CREATE TABLE signin_failures (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(254) NOT NULL,
  address VARCHAR(64) NOT NULL,
  failed_at DATETIME(6) NOT NULL,
  KEY signin_failures_email (email, failed_at),
  KEY signin_failures_address (address, failed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every state change: who, on behalf of which account, what object, before and after, when, from where.
-- `account_path` is the owning account's path, so the log of a subtree is one prefix scan.
CREATE TABLE audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  occurred_at DATETIME(6) NOT NULL,
  actor_user_id BIGINT NULL,
  actor_email VARCHAR(254) NOT NULL DEFAULT '',
  actor_account_id BIGINT NULL,
  account_id BIGINT NOT NULL,
  account_path VARCHAR(760) NOT NULL,
  object_type VARCHAR(50) NOT NULL,
  object_id BIGINT NULL,
  action VARCHAR(50) NOT NULL,
  before_state MEDIUMTEXT NULL,
  after_state MEDIUMTEXT NULL,
  address VARCHAR(64) NOT NULL DEFAULT '',
  KEY audit_log_path (account_path, id),
  KEY audit_log_object (object_type, object_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
