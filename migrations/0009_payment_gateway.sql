-- Payments through a gateway outside any retried transaction (DOMAIN.md 9): a card payment is
-- recorded `pending` and committed, the gateway is called with the payment's id as its idempotency
-- key, and the outcome is committed after (by the request, or by the worker's reconciler when the
-- request died in between).

-- pending_invoice_id equals invoice_id while the payment is pending and is NULL once settled: the
-- unique key allows one pending payment per invoice, so a double-clicked Pay never charges twice.
ALTER TABLE payments
  MODIFY status ENUM('pending', 'succeeded', 'declined', 'failed') NOT NULL,
  ADD COLUMN pending_invoice_id BIGINT NULL AFTER invoice_id,
  ADD COLUMN settled_at DATETIME(6) NULL AFTER created_at,
  ADD UNIQUE KEY payments_pending_invoice (pending_invoice_id),
  ADD KEY payments_pending (status, created_at);

-- Payments made before this migration were settled when they were made.
UPDATE payments SET settled_at = created_at WHERE settled_at IS NULL;

-- The built-in test gateway: the card processor's side. Every charge once per idempotency key,
-- with the answer it gave; a repeat of a key is answered from here and counted, never charged.
CREATE TABLE test_gateway_charges (
  idempotency_key VARCHAR(255) NOT NULL PRIMARY KEY,
  card_last4 CHAR(4) NOT NULL,
  amount BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  outcome ENUM('approved', 'declined', 'error') NOT NULL,
  requests INT NOT NULL DEFAULT 1,
  charged_at DATETIME(6) NOT NULL
) ENGINE=InnoDB;
