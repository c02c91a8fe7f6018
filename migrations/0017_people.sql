-- People over their lifetime (issue 15, item 2): each user's language, password reset links, and a
-- way to find a user's sessions so disabling the user or changing its password ends them at once.
ALTER TABLE users ADD COLUMN locale ENUM('en', 'bn') NOT NULL DEFAULT 'en' AFTER role;

-- The signed-in user of a session (Hummingbird stores `ConsoleSession` as JSON under `session.<id>`),
-- indexed, so "delete this user's sessions" locks only that user's rows.
ALTER TABLE persist_entries
  ADD COLUMN user_id BIGINT AS (CAST(JSON_VALUE(value, '$.userID') AS SIGNED)) VIRTUAL,
  ADD KEY persist_entries_user (user_id);

-- Password reset links: only a SHA-256 of the token is kept; valid an hour (real time), used once.
CREATE TABLE password_resets (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  token_hash CHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  used_at DATETIME(6) NULL,
  CONSTRAINT password_resets_user FOREIGN KEY (user_id) REFERENCES users (id),
  UNIQUE KEY password_resets_hash (token_hash),
  KEY password_resets_user (user_id, used_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
