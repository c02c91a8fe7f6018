-- Lists are newest first within the caller's subtree (`path LIKE '/1/2/%' ORDER BY id DESC LIMIT n`).
-- A path prefix can't be read in id order from an index: for a reseller whose rows are not the
-- newest, the server walked the primary key backwards through everyone else's rows (80,000 rows,
-- 67 ms, for 51 of a reseller's subscriptions among 200,000). Each long list's table gets the ids of
-- the row's accounts at depths 2 to 4, computed from its path (never written by the code), each
-- indexed with the id: a scope at those depths (a reseller of the first three levels, a customer up
-- there) reads its newest rows in order from `(ancestorN, id)`. The path condition stays; this one
-- selects the same rows (TenantScope.ancestorCondition). The provider's subtree is every row (the
-- primary key in order is right), deeper scopes keep the path index.

ALTER TABLE subscriptions
  ADD COLUMN ancestor2 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(customer_path, '/', 3), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD COLUMN ancestor3 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(customer_path, '/', 4), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD COLUMN ancestor4 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(customer_path, '/', 5), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD KEY subscriptions_ancestor2 (ancestor2, id),
  ADD KEY subscriptions_ancestor3 (ancestor3, id),
  ADD KEY subscriptions_ancestor4 (ancestor4, id);

ALTER TABLE orders
  ADD COLUMN ancestor2 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(customer_path, '/', 3), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD COLUMN ancestor3 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(customer_path, '/', 4), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD COLUMN ancestor4 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(customer_path, '/', 5), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD KEY orders_ancestor2 (ancestor2, id),
  ADD KEY orders_ancestor3 (ancestor3, id),
  ADD KEY orders_ancestor4 (ancestor4, id);

ALTER TABLE invoices
  ADD COLUMN ancestor2 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(customer_path, '/', 3), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD COLUMN ancestor3 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(customer_path, '/', 4), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD COLUMN ancestor4 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(customer_path, '/', 5), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD KEY invoices_ancestor2 (ancestor2, id),
  ADD KEY invoices_ancestor3 (ancestor3, id),
  ADD KEY invoices_ancestor4 (ancestor4, id);

ALTER TABLE payments
  ADD COLUMN ancestor2 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(customer_path, '/', 3), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD COLUMN ancestor3 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(customer_path, '/', 4), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD COLUMN ancestor4 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(customer_path, '/', 5), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD KEY payments_ancestor2 (ancestor2, id),
  ADD KEY payments_ancestor3 (ancestor3, id),
  ADD KEY payments_ancestor4 (ancestor4, id);

ALTER TABLE audit_log
  ADD COLUMN ancestor2 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(account_path, '/', 3), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD COLUMN ancestor3 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(account_path, '/', 4), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD COLUMN ancestor4 BIGINT AS (CAST(NULLIF(SUBSTRING_INDEX(SUBSTRING_INDEX(account_path, '/', 5), '/', -1), '') AS UNSIGNED)) VIRTUAL,
  ADD KEY audit_log_ancestor2 (ancestor2, id),
  ADD KEY audit_log_ancestor3 (ancestor3, id),
  ADD KEY audit_log_ancestor4 (ancestor4, id);

-- The dashboard's counts of resellers and customers, and the accounts list filtered by kind, read
-- one kind's subtree range from the index alone (was: every account's row).
ALTER TABLE accounts ADD KEY accounts_kind_path (kind, path);

-- An account's audit entries (the audit page's account filter, a subscription's history), newest first.
ALTER TABLE audit_log ADD KEY audit_log_account (account_id, id);
