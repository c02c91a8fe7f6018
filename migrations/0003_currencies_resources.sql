-- Currencies (ISO 4217) and exchange rates. A rate is `1 from = rate to` from its effective
-- time on; the reverse is its own row. The rate in effect at a moment is a query, never a copy.
CREATE TABLE currencies (
  code CHAR(3) NOT NULL PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  exponent TINYINT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  updated_by BIGINT NULL,
  CONSTRAINT currencies_exponent CHECK (exponent IN (0, 2, 3))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The currencies most providers bill in; provider admins add others.
INSERT INTO currencies (code, name, exponent, created_at, updated_at) VALUES
  ('USD', 'US Dollar', 2, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
  ('EUR', 'Euro', 2, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
  ('GBP', 'Pound Sterling', 2, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
  ('CHF', 'Swiss Franc', 2, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
  ('CAD', 'Canadian Dollar', 2, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
  ('AUD', 'Australian Dollar', 2, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
  ('JPY', 'Yen', 0, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
  ('BHD', 'Bahraini Dinar', 3, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));

CREATE TABLE currency_rates (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  from_code CHAR(3) NOT NULL,
  to_code CHAR(3) NOT NULL,
  rate DECIMAL(18,6) NOT NULL,
  effective_from DATETIME(6) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  CONSTRAINT currency_rates_from FOREIGN KEY (from_code) REFERENCES currencies (code),
  CONSTRAINT currency_rates_to FOREIGN KEY (to_code) REFERENCES currencies (code),
  CONSTRAINT currency_rates_positive CHECK (rate > 0),
  CONSTRAINT currency_rates_distinct CHECK (from_code <> to_code),
  UNIQUE KEY currency_rates_pair_time (from_code, to_code, effective_from)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every account bills in a known currency.
ALTER TABLE accounts ADD CONSTRAINT accounts_currency FOREIGN KEY (currency) REFERENCES currencies (code);

-- Resources: what plans sell. Limits are units; -1 is unlimited.
CREATE TABLE resources (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code VARCHAR(64) NOT NULL,
  name VARCHAR(200) NOT NULL,
  unit VARCHAR(50) NOT NULL,
  kind ENUM('quantity', 'license', 'composite') NOT NULL,
  min_units BIGINT NOT NULL DEFAULT 0,
  max_units BIGINT NOT NULL DEFAULT -1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  updated_by BIGINT NULL,
  UNIQUE KEY resources_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A composite resource is a bundle of other resources in fixed amounts.
CREATE TABLE resource_components (
  resource_id BIGINT NOT NULL,
  component_id BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  PRIMARY KEY (resource_id, component_id),
  CONSTRAINT resource_components_resource FOREIGN KEY (resource_id) REFERENCES resources (id),
  CONSTRAINT resource_components_component FOREIGN KEY (component_id) REFERENCES resources (id),
  CONSTRAINT resource_components_amount CHECK (amount > 0)
) ENGINE=InnoDB;

-- Resource upgrade configurations. A→B and B→A are one pair: the unordered pair is unique.
-- The upgrade fee is an amount in minor units of `fee_currency`.
CREATE TABLE resource_upgrades (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  from_resource_id BIGINT NOT NULL,
  to_resource_id BIGINT NOT NULL,
  low_resource_id BIGINT AS (LEAST(from_resource_id, to_resource_id)) PERSISTENT,
  high_resource_id BIGINT AS (GREATEST(from_resource_id, to_resource_id)) PERSISTENT,
  downgradable BOOLEAN NOT NULL DEFAULT FALSE,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  upgrade_fee_minor BIGINT NOT NULL DEFAULT 0,
  fee_currency CHAR(3) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  updated_by BIGINT NULL,
  CONSTRAINT resource_upgrades_from FOREIGN KEY (from_resource_id) REFERENCES resources (id),
  CONSTRAINT resource_upgrades_to FOREIGN KEY (to_resource_id) REFERENCES resources (id),
  CONSTRAINT resource_upgrades_currency FOREIGN KEY (fee_currency) REFERENCES currencies (code),
  CONSTRAINT resource_upgrades_distinct CHECK (from_resource_id <> to_resource_id),
  UNIQUE KEY resource_upgrades_pair (low_resource_id, high_resource_id),
  KEY resource_upgrades_to (to_resource_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
