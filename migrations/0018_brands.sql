-- Issue 15: a reseller sells under its own brand (DOMAIN.md 1, white label). Everyone in its
-- subtree sees the nearest branded reseller at or above their account: a sub-reseller's brand
-- wins within its own subtree. `slug` names the brand's sign-in link (`/signin?brand=<slug>`).
CREATE TABLE account_brands (
  account_id BIGINT NOT NULL PRIMARY KEY,
  brand_name VARCHAR(100) NOT NULL,
  slug VARCHAR(63) NOT NULL,
  support_email VARCHAR(254) NOT NULL,
  primary_color CHAR(7) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  updated_by BIGINT NULL,
  CONSTRAINT account_brands_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  UNIQUE KEY account_brands_slug (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
