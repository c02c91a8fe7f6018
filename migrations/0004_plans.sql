-- Service plans. A plan belongs to its owner (the provider or a reseller) and is sold below it
-- through delegation. Prices live in price lists, never on the plan row: the owner's price list
-- is the plan's own price; every price list is versioned by effective time, so fixed-price
-- subscriptions can be charged what was in effect when they were ordered.
CREATE TABLE plans (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  owner_account_id BIGINT NOT NULL,
  owner_path VARCHAR(760) NOT NULL,
  name VARCHAR(200) NOT NULL,
  currency CHAR(3) NOT NULL,
  billing_type ENUM('prepaid', 'postpaid', 'non_refund', 'monthly_commitment', 'csp_monthly') NOT NULL,
  fixed_price BOOLEAN NOT NULL DEFAULT FALSE,
  prices_include_taxes BOOLEAN NOT NULL DEFAULT FALSE,
  trial_days INT NOT NULL DEFAULT 0,
  changes_in_trial BOOLEAN NOT NULL DEFAULT TRUE,
  connector VARCHAR(64) NOT NULL DEFAULT 'test',
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  updated_by BIGINT NULL,
  CONSTRAINT plans_owner FOREIGN KEY (owner_account_id) REFERENCES accounts (id),
  CONSTRAINT plans_currency FOREIGN KEY (currency) REFERENCES currencies (code),
  CONSTRAINT plans_trial CHECK (trial_days >= 0),
  KEY plans_owner_path (owner_path)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The billing periods a plan offers (1, 3, 6, 12 months).
CREATE TABLE plan_periods (
  plan_id BIGINT NOT NULL,
  months TINYINT NOT NULL,
  PRIMARY KEY (plan_id, months),
  CONSTRAINT plan_periods_plan FOREIGN KEY (plan_id) REFERENCES plans (id),
  CONSTRAINT plan_periods_months CHECK (months IN (1, 3, 6, 12))
) ENGINE=InnoDB;

-- Resource rates of a plan: included units (-1 unlimited, 0, or >= min) and limits.
CREATE TABLE plan_resources (
  plan_id BIGINT NOT NULL,
  resource_id BIGINT NOT NULL,
  included BIGINT NOT NULL,
  min_units BIGINT NOT NULL,
  max_units BIGINT NOT NULL,
  added_at DATETIME(6) NOT NULL,
  PRIMARY KEY (plan_id, resource_id),
  KEY plan_resources_resource (resource_id),
  CONSTRAINT plan_resources_plan FOREIGN KEY (plan_id) REFERENCES plans (id),
  CONSTRAINT plan_resources_resource FOREIGN KEY (resource_id) REFERENCES resources (id)
) ENGINE=InnoDB;

-- Which plans a subscription of this plan may switch to.
CREATE TABLE plan_switch_paths (
  plan_id BIGINT NOT NULL,
  to_plan_id BIGINT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (plan_id, to_plan_id),
  CONSTRAINT plan_switch_paths_plan FOREIGN KEY (plan_id) REFERENCES plans (id),
  CONSTRAINT plan_switch_paths_to FOREIGN KEY (to_plan_id) REFERENCES plans (id),
  CONSTRAINT plan_switch_paths_distinct CHECK (plan_id <> to_plan_id)
) ENGINE=InnoDB;

-- A seller passes a plan down to a reseller directly below it.
CREATE TABLE plan_delegations (
  plan_id BIGINT NOT NULL,
  reseller_id BIGINT NOT NULL,
  seller_id BIGINT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  PRIMARY KEY (plan_id, reseller_id),
  KEY plan_delegations_reseller (reseller_id),
  CONSTRAINT plan_delegations_plan FOREIGN KEY (plan_id) REFERENCES plans (id),
  CONSTRAINT plan_delegations_reseller FOREIGN KEY (reseller_id) REFERENCES accounts (id),
  CONSTRAINT plan_delegations_seller FOREIGN KEY (seller_id) REFERENCES accounts (id)
) ENGINE=InnoDB;

-- A seller's prices for a plan, in the plan currency, from `effective_from` on. Amounts are
-- scaled integers with 4 digits more than the currency's minor unit.
CREATE TABLE price_lists (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  seller_id BIGINT NOT NULL,
  plan_id BIGINT NOT NULL,
  effective_from DATETIME(6) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  KEY price_lists_lookup (seller_id, plan_id, effective_from),
  CONSTRAINT price_lists_seller FOREIGN KEY (seller_id) REFERENCES accounts (id),
  CONSTRAINT price_lists_plan FOREIGN KEY (plan_id) REFERENCES plans (id)
) ENGINE=InnoDB;

CREATE TABLE price_list_periods (
  price_list_id BIGINT NOT NULL,
  months TINYINT NOT NULL,
  fee_scaled BIGINT NOT NULL,
  PRIMARY KEY (price_list_id, months),
  CONSTRAINT price_list_periods_list FOREIGN KEY (price_list_id) REFERENCES price_lists (id),
  CONSTRAINT price_list_periods_fee CHECK (fee_scaled >= 0)
) ENGINE=InnoDB;

CREATE TABLE price_list_resources (
  price_list_id BIGINT NOT NULL,
  resource_id BIGINT NOT NULL,
  setup_fee_scaled BIGINT NOT NULL,
  recurring_fee_scaled BIGINT NOT NULL,
  PRIMARY KEY (price_list_id, resource_id),
  CONSTRAINT price_list_resources_list FOREIGN KEY (price_list_id) REFERENCES price_lists (id),
  CONSTRAINT price_list_resources_resource FOREIGN KEY (resource_id) REFERENCES resources (id),
  CONSTRAINT price_list_resources_fees CHECK (setup_fee_scaled >= 0 AND recurring_fee_scaled >= 0)
) ENGINE=InnoDB;
