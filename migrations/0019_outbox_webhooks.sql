-- Issue 15: events and notifications through an outbox (DOMAIN.md 11). A store writes an event in
-- the transaction of the change that causes it; the delivery worker fans it out to its channels'
-- destinations (webhooks, email recipients) after commit and delivers each one at least once.

-- One row per event. `event_uuid` is what receivers de-duplicate by; `account_id`/`account_path`
-- are the account the event is about (webhooks of it and of its ancestors hear it). `fanned_out_at`
-- is set in the transaction that wrote the event's deliveries.
CREATE TABLE outbox_events (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_uuid CHAR(36) NOT NULL,
  type VARCHAR(40) NOT NULL,
  account_id BIGINT NOT NULL,
  account_path VARCHAR(760) NOT NULL,
  object_type VARCHAR(40) NOT NULL,
  object_id BIGINT NULL,
  payload MEDIUMTEXT NOT NULL,
  occurred_at DATETIME(6) NOT NULL,
  fanned_out_at DATETIME(6) NULL,
  UNIQUE KEY outbox_events_uuid (event_uuid),
  KEY outbox_events_fan_out (fanned_out_at, id),
  KEY outbox_events_account (account_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An account's webhooks. The secret is kept (not only hashed): every delivery is signed with it.
-- `events` is a comma-separated list of event types. A deleted webhook keeps its row (and its
-- deliveries' history) with `deleted_at` set.
CREATE TABLE webhooks (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  account_path VARCHAR(760) NOT NULL,
  url VARCHAR(2048) NOT NULL,
  events VARCHAR(500) NOT NULL,
  secret VARCHAR(100) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  deleted_at DATETIME(6) NULL,
  KEY webhooks_account (account_id, id),
  KEY webhooks_path (account_path)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per event and destination: `channel` is 'webhook' or 'email', `destination` the webhook's
-- id or the recipient's address; `account_id`/`account_path` own the destination (the webhook's
-- account, the recipient's account). A worker claims a due row by a conditional update
-- (`claimed_until`, `claimed_by`); a claim that runs out passes the row to another worker.
CREATE TABLE outbox_deliveries (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id BIGINT NOT NULL,
  channel VARCHAR(20) NOT NULL,
  destination VARCHAR(320) NOT NULL,
  webhook_id BIGINT NULL,
  account_id BIGINT NOT NULL,
  account_path VARCHAR(760) NOT NULL,
  status ENUM('pending', 'delivered', 'failed', 'cancelled') NOT NULL DEFAULT 'pending',
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NOT NULL,
  claimed_until DATETIME(6) NULL,
  claimed_by VARCHAR(64) NULL,
  last_response_code INT NULL,
  last_error VARCHAR(500) NULL,
  created_at DATETIME(6) NOT NULL,
  delivered_at DATETIME(6) NULL,
  UNIQUE KEY outbox_deliveries_destination (event_id, channel, destination),
  KEY outbox_deliveries_due (status, next_attempt_at),
  KEY outbox_deliveries_webhook (webhook_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every attempt of a delivery, with what the destination answered.
CREATE TABLE outbox_attempts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  delivery_id BIGINT NOT NULL,
  attempted_at DATETIME(6) NOT NULL,
  worker VARCHAR(64) NOT NULL,
  response_code INT NULL,
  error VARCHAR(500) NULL,
  duration_ms INT NOT NULL DEFAULT 0,
  KEY outbox_attempts_delivery (delivery_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
