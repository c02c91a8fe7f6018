-- The business clock of test mode (API.md): one row, read by every node. Without it, business
-- dates are the real UTC date.
CREATE TABLE business_clock (
  id TINYINT NOT NULL PRIMARY KEY,
  clock_now DATETIME(6) NOT NULL,
  set_at DATETIME(6) NOT NULL,
  set_by BIGINT NULL,
  CONSTRAINT business_clock_single CHECK (id = 1)
) ENGINE=InnoDB;

-- Subscriptions of customers to plans. The current period is [period_start, period_end); the
-- anchor day keeps the day of month a subscription started on (DOMAIN.md 3).
CREATE TABLE subscriptions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  customer_path VARCHAR(760) NOT NULL,
  plan_id BIGINT NOT NULL,
  period_months TINYINT NOT NULL,
  status ENUM('trial', 'active', 'blocked', 'suspended', 'cancelled') NOT NULL,
  period_start DATE NOT NULL,
  period_end DATE NOT NULL,
  anchor_day TINYINT NOT NULL,
  -- The moment whose prices a fixed-price subscription keeps.
  priced_at DATETIME(6) NOT NULL,
  individual_prices BOOLEAN NOT NULL DEFAULT FALSE,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  updated_by BIGINT NULL,
  CONSTRAINT subscriptions_customer FOREIGN KEY (customer_id) REFERENCES accounts (id),
  CONSTRAINT subscriptions_plan FOREIGN KEY (plan_id) REFERENCES plans (id),
  CONSTRAINT subscriptions_period CHECK (period_start < period_end),
  KEY subscriptions_customer_path (customer_path, id),
  KEY subscriptions_plan (plan_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Per resource: included (from the plan at order time), additional (bought), usage (reported).
CREATE TABLE subscription_resources (
  subscription_id BIGINT NOT NULL,
  resource_id BIGINT NOT NULL,
  included BIGINT NOT NULL,
  additional BIGINT NOT NULL,
  usage_units BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (subscription_id, resource_id),
  CONSTRAINT subscription_resources_subscription FOREIGN KEY (subscription_id) REFERENCES subscriptions (id),
  CONSTRAINT subscription_resources_resource FOREIGN KEY (resource_id) REFERENCES resources (id)
) ENGINE=InnoDB;

-- Individual prices agreed for one subscription, in the plan currency (scaled like price lists).
CREATE TABLE subscription_individual_prices (
  subscription_id BIGINT NOT NULL,
  resource_id BIGINT NOT NULL,
  setup_fee_scaled BIGINT NOT NULL,
  recurring_fee_scaled BIGINT NOT NULL,
  PRIMARY KEY (subscription_id, resource_id),
  CONSTRAINT subscription_individual_prices_subscription FOREIGN KEY (subscription_id) REFERENCES subscriptions (id),
  CONSTRAINT subscription_individual_prices_resource FOREIGN KEY (resource_id) REFERENCES resources (id)
) ENGINE=InnoDB;

-- A seller's promo codes: a percentage off positive lines until a date.
CREATE TABLE promo_codes (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  seller_id BIGINT NOT NULL,
  seller_path VARCHAR(760) NOT NULL,
  code VARCHAR(64) NOT NULL,
  percent DECIMAL(7,4) NOT NULL,
  valid_until DATE NOT NULL,
  created_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  CONSTRAINT promo_codes_seller FOREIGN KEY (seller_id) REFERENCES accounts (id),
  CONSTRAINT promo_codes_percent CHECK (percent > 0 AND percent <= 100),
  UNIQUE KEY promo_codes_seller_code (seller_id, code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
