-- Restrictions (DOMAIN.md 8): staff restrict an account below them; a restriction on a reseller
-- covers its subtree. Lifting keeps the row, with who lifted it and when.
CREATE TABLE restrictions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  account_path VARCHAR(760) NOT NULL,
  -- The account whose staff imposed it: its exceptions list applies.
  restricting_account_id BIGINT NOT NULL,
  reason VARCHAR(500) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  created_by BIGINT NOT NULL,
  lifted_at DATETIME(6) NULL,
  lifted_by BIGINT NULL,
  CONSTRAINT restrictions_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT restrictions_restricting FOREIGN KEY (restricting_account_id) REFERENCES accounts (id),
  KEY restrictions_path (account_path, lifted_at),
  KEY restrictions_restricting (restricting_account_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Plans a restricting account keeps changeable under its restrictions.
CREATE TABLE restriction_exceptions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  account_path VARCHAR(760) NOT NULL,
  plan_id BIGINT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  created_by BIGINT NOT NULL,
  CONSTRAINT restriction_exceptions_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT restriction_exceptions_plan FOREIGN KEY (plan_id) REFERENCES plans (id),
  UNIQUE KEY restriction_exceptions_account_plan (account_id, plan_id)
) ENGINE=InnoDB;

-- The business moment an order was priced at: upstream charges price the same change at it.
ALTER TABLE orders ADD COLUMN quoted_at DATETIME(6) NULL AFTER effective_date;

-- The upstream charges of an order, priced in the submit's transaction with the order's own quote
-- (the prices of that moment) and copied to reseller_charges when the order completes.
CREATE TABLE order_upstream (
  order_id BIGINT NOT NULL,
  reseller_id BIGINT NOT NULL,
  reseller_path VARCHAR(760) NOT NULL,
  parent_id BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  currency_exponent TINYINT NOT NULL,
  amount BIGINT NOT NULL,
  sold BIGINT NOT NULL,
  PRIMARY KEY (order_id, reseller_id),
  CONSTRAINT order_upstream_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB;

-- Upstream reseller charges (DOMAIN.md 7): when an order completes, each reseller level between the
-- plan's owner and the customer owes its parent its net cost for the same change, and earned what
-- it sold it at. Refunds are negative rows. Amounts in the plan currency.
CREATE TABLE reseller_charges (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  reseller_id BIGINT NOT NULL,
  reseller_path VARCHAR(760) NOT NULL,
  parent_id BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  currency_exponent TINYINT NOT NULL,
  -- What this level owes its parent: its net cost for the same change, rounded per line.
  amount BIGINT NOT NULL,
  -- What this level sold the change at (for the direct seller: the customer's subtotal after discount).
  sold BIGINT NOT NULL,
  effective_date DATE NOT NULL,
  created_at DATETIME(6) NOT NULL,
  CONSTRAINT reseller_charges_order FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT reseller_charges_reseller FOREIGN KEY (reseller_id) REFERENCES accounts (id),
  CONSTRAINT reseller_charges_parent FOREIGN KEY (parent_id) REFERENCES accounts (id),
  UNIQUE KEY reseller_charges_order_level (order_id, reseller_id),
  KEY reseller_charges_reseller (reseller_id, id),
  KEY reseller_charges_path (reseller_path, id),
  KEY reseller_charges_parent (parent_id, id)
) ENGINE=InnoDB;

-- The expiry sweep looks for unpaid orders past their expiry.
ALTER TABLE orders ADD KEY orders_expiry (status, expires_at);
