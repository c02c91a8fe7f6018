-- The accounts tree: one provider at the root, resellers at any depth, customers at the leaves.
-- `path` is the chain of ids from the root ("/1/4/9/"), so a subtree is one indexed prefix scan.
CREATE TABLE accounts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  parent_id BIGINT NULL,
  kind ENUM('provider', 'reseller', 'customer') NOT NULL,
  name VARCHAR(200) NOT NULL,
  path VARCHAR(760) NOT NULL DEFAULT '',
  depth INT NOT NULL DEFAULT 0,
  currency CHAR(3) NOT NULL,
  tax_rate DECIMAL(9,6) NOT NULL DEFAULT 0,
  status ENUM('active', 'suspended', 'closed') NOT NULL DEFAULT 'active',
  contact_name VARCHAR(200) NOT NULL DEFAULT '',
  contact_email VARCHAR(254) NOT NULL DEFAULT '',
  contact_phone VARCHAR(50) NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  updated_by BIGINT NULL,
  CONSTRAINT accounts_parent FOREIGN KEY (parent_id) REFERENCES accounts (id),
  KEY accounts_path (path),
  KEY accounts_parent_name (parent_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Users belong to exactly one account, with one role there.
CREATE TABLE users (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  email VARCHAR(254) NOT NULL,
  name VARCHAR(200) NOT NULL DEFAULT '',
  role ENUM('admin', 'operator', 'viewer') NOT NULL,
  password_hash VARCHAR(100) NOT NULL,
  status ENUM('active', 'disabled') NOT NULL DEFAULT 'active',
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  created_by BIGINT NULL,
  updated_by BIGINT NULL,
  CONSTRAINT users_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  UNIQUE KEY users_email (email),
  KEY users_account (account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
