-- The second half of the order engine (DOMAIN.md 7 and 9): orders with their frozen lines,
-- invoices numbered gaplessly per seller, payments and payment attempts, the credit log, and the
-- idempotency keys of submits.

-- An order stores its quote exactly as it was submitted: lines, totals in the plan currency and in
-- the invoice (seller's) currency, the rate and the taxes. It never re-prices.
CREATE TABLE orders (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind ENUM('change', 'switch', 'sales', 'renewal', 'cancellation') NOT NULL,
  status ENUM('awaiting_payment', 'provisioning', 'completed', 'provisioning_failed', 'expired', 'cancelled') NOT NULL,
  subscription_id BIGINT NULL,
  -- Equals subscription_id while the order awaits payment or provisioning, NULL once terminal: the
  -- unique key makes a second open order of one subscription impossible (order_open).
  open_subscription_id BIGINT NULL,
  customer_id BIGINT NOT NULL,
  customer_path VARCHAR(760) NOT NULL,
  seller_id BIGINT NOT NULL,
  plan_id BIGINT NOT NULL,
  billing_type VARCHAR(32) NOT NULL,
  connector VARCHAR(64) NOT NULL,
  -- What to apply (the change request) and the subscription it was priced against, as JSON.
  change_request LONGTEXT NOT NULL,
  priced_against LONGTEXT NOT NULL,
  summary VARCHAR(500) NOT NULL,
  effective_date DATE NOT NULL,
  promo_code VARCHAR(64) NULL,
  plan_currency CHAR(3) NOT NULL,
  plan_currency_exponent TINYINT NOT NULL,
  currency CHAR(3) NOT NULL,
  currency_exponent TINYINT NOT NULL,
  -- 1 plan currency = rate invoice currency, 6 decimals scaled; NULL when they are the same.
  rate_scaled BIGINT NULL,
  tax_rate VARCHAR(32) NOT NULL,
  prices_include_taxes BOOLEAN NOT NULL,
  plan_subtotal BIGINT NOT NULL,
  plan_discount BIGINT NOT NULL,
  plan_tax BIGINT NOT NULL,
  plan_total BIGINT NOT NULL,
  subtotal BIGINT NOT NULL,
  discount BIGINT NOT NULL,
  tax BIGINT NOT NULL,
  total BIGINT NOT NULL,
  invoice_id BIGINT NULL,
  -- Postpaid: the invoice of the period end that carries this order; NULL until it is issued.
  billed_invoice_id BIGINT NULL,
  expires_at DATETIME(6) NULL,
  failure_reason VARCHAR(500) NULL,
  -- Provisioning claims: a worker takes an order by a conditional update committed first.
  claim_token CHAR(36) NULL,
  claimed_until DATETIME(6) NULL,
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  updated_at DATETIME(6) NOT NULL,
  paid_at DATETIME(6) NULL,
  completed_at DATETIME(6) NULL,
  CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES accounts (id),
  CONSTRAINT orders_seller FOREIGN KEY (seller_id) REFERENCES accounts (id),
  CONSTRAINT orders_subscription FOREIGN KEY (subscription_id) REFERENCES subscriptions (id),
  CONSTRAINT orders_plan FOREIGN KEY (plan_id) REFERENCES plans (id),
  UNIQUE KEY orders_one_open (open_subscription_id),
  KEY orders_customer_path (customer_path, id),
  KEY orders_subscription (subscription_id, id),
  KEY orders_status (status, next_attempt_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Lines as quoted: amounts in the plan currency, and the charged figures in the invoice currency.
CREATE TABLE order_lines (
  order_id BIGINT NOT NULL,
  position INT NOT NULL,
  kind VARCHAR(32) NOT NULL,
  description VARCHAR(500) NOT NULL,
  resource_code VARCHAR(64) NULL,
  quantity_delta BIGINT NULL,
  unit_price_scaled BIGINT NULL,
  days_remaining INT NOT NULL,
  days_in_period INT NOT NULL,
  amount BIGINT NOT NULL,
  discount BIGINT NOT NULL,
  charged_amount BIGINT NOT NULL,
  charged_discount BIGINT NOT NULL,
  PRIMARY KEY (order_id, position),
  CONSTRAINT order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Submits are idempotent per user and key for 24 hours (DOMAIN.md 7).
CREATE TABLE idempotency_keys (
  user_id BIGINT NOT NULL,
  idempotency_key VARCHAR(255) NOT NULL,
  request_hash CHAR(64) NOT NULL,
  order_id BIGINT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (user_id, idempotency_key),
  KEY idempotency_keys_created (created_at),
  CONSTRAINT idempotency_keys_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The last invoice number of each seller, locked while an invoice is issued: numbers are gapless
-- because a rolled-back issue rolls the counter back too.
CREATE TABLE invoice_counters (
  seller_id BIGINT NOT NULL PRIMARY KEY,
  last_number BIGINT NOT NULL,
  CONSTRAINT invoice_counters_seller FOREIGN KEY (seller_id) REFERENCES accounts (id)
) ENGINE=InnoDB;

CREATE TABLE invoices (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  seller_id BIGINT NOT NULL,
  number BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  customer_path VARCHAR(760) NOT NULL,
  order_id BIGINT NULL,
  currency CHAR(3) NOT NULL,
  currency_exponent TINYINT NOT NULL,
  subtotal BIGINT NOT NULL,
  discount BIGINT NOT NULL,
  tax BIGINT NOT NULL,
  total BIGINT NOT NULL,
  tax_rate VARCHAR(32) NOT NULL,
  prices_include_taxes BOOLEAN NOT NULL,
  status ENUM('unpaid', 'paid', 'cancelled') NOT NULL,
  issued_on DATE NOT NULL,
  created_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  paid_at DATETIME(6) NULL,
  cancelled_at DATETIME(6) NULL,
  CONSTRAINT invoices_seller FOREIGN KEY (seller_id) REFERENCES accounts (id),
  CONSTRAINT invoices_customer FOREIGN KEY (customer_id) REFERENCES accounts (id),
  CONSTRAINT invoices_order FOREIGN KEY (order_id) REFERENCES orders (id),
  UNIQUE KEY invoices_seller_number (seller_id, number),
  KEY invoices_customer_path (customer_path, id),
  KEY invoices_status (status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE invoice_lines (
  invoice_id BIGINT NOT NULL,
  position INT NOT NULL,
  description VARCHAR(500) NOT NULL,
  amount BIGINT NOT NULL,
  discount BIGINT NOT NULL,
  PRIMARY KEY (invoice_id, position),
  CONSTRAINT invoice_lines_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every payment attempt: succeeded ones pay, declined and failed ones are the record of the attempt.
CREATE TABLE payments (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  invoice_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  customer_path VARCHAR(760) NOT NULL,
  method ENUM('credit', 'card', 'bank_transfer') NOT NULL,
  status ENUM('succeeded', 'declined', 'failed') NOT NULL,
  amount BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  currency_exponent TINYINT NOT NULL,
  card_last4 CHAR(4) NULL,
  reference VARCHAR(255) NULL,
  created_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  CONSTRAINT payments_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id),
  CONSTRAINT payments_customer FOREIGN KEY (customer_id) REFERENCES accounts (id),
  KEY payments_customer_path (customer_path, id),
  KEY payments_invoice (invoice_id, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The credit log (DOMAIN.md 9): the balance is the sum of its entries, always.
CREATE TABLE credit_entries (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  customer_path VARCHAR(760) NOT NULL,
  amount BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  currency_exponent TINYINT NOT NULL,
  reason VARCHAR(500) NOT NULL,
  order_id BIGINT NULL,
  invoice_id BIGINT NULL,
  payment_id BIGINT NULL,
  created_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  CONSTRAINT credit_entries_customer FOREIGN KEY (customer_id) REFERENCES accounts (id),
  CONSTRAINT credit_entries_order FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT credit_entries_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id),
  KEY credit_entries_customer (customer_id, id),
  KEY credit_entries_customer_path (customer_path, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The built-in test connector: the vendor's side. What it provisioned, once per order id, and the
-- rules staff set for it per resource.
CREATE TABLE test_connector_applied (
  order_id BIGINT NOT NULL PRIMARY KEY,
  subscription_id BIGINT NULL,
  outcome VARCHAR(500) NOT NULL,
  applied_at DATETIME(6) NOT NULL
) ENGINE=InnoDB;

CREATE TABLE test_connector_rules (
  resource_code VARCHAR(64) NOT NULL PRIMARY KEY,
  reductions_allowed BOOLEAN NOT NULL DEFAULT TRUE,
  min_quantity BIGINT NOT NULL DEFAULT 0,
  fail_provisioning BOOLEAN NOT NULL DEFAULT FALSE,
  updated_at DATETIME(6) NOT NULL,
  updated_by BIGINT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
