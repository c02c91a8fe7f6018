-- One row per throttled subject ('email:<address>' or 'address:<ip>'). A sign-in attempt writes
-- the rows of its email and address before counting their failures and recording its own, so
-- concurrent attempts are counted one after another, on every node of a cluster.
CREATE TABLE signin_throttle_subjects (
  subject VARCHAR(300) NOT NULL PRIMARY KEY,
  touched_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
