-- Bulk seed for the benchmark (scripts/bench/run.sh), run after `console migrate` and `console seed`.
-- Set first: @customers (bench customers), @per_customer (subscriptions each), @chains (reseller
-- chains of three levels below the provider). Demo rows are reused: the provider (account 1),
-- Northwind Hosting (2) and Northwind Edge (3), Acme Corp (5) and its Cloud VPS S subscription (1),
-- whose dates, plan and resource lines every copy takes. Everything is USD like the template.
-- MariaDB's sequence engine gives the row numbers; WHERE seq <= @n is a range read of it.
SET SESSION foreign_key_checks = 0, unique_checks = 0;
SET @template = (SELECT id FROM subscriptions WHERE customer_id = 5 ORDER BY id LIMIT 1);
SET @now = UTC_TIMESTAMP(6);

START TRANSACTION;
-- Reseller chains: level 1 under the provider, level 2 under level 1, level 3 under level 2.
INSERT INTO accounts (parent_id, kind, name, path, depth, currency, tax_rate, contact_email, created_at, updated_at, created_by, updated_by)
SELECT 1, 'reseller', CONCAT('Bench Reseller ', seq), '', 1, 'USD', 0.20, CONCAT('billing@bench-reseller-', seq, '.test'), @now, @now, 1, 1
FROM seq_1_to_1000000 WHERE seq <= @chains;
UPDATE accounts SET path = CONCAT('/1/', id, '/') WHERE path = '' AND depth = 1;
INSERT INTO accounts (parent_id, kind, name, path, depth, currency, tax_rate, contact_email, created_at, updated_at, created_by, updated_by)
SELECT id, 'reseller', CONCAT(name, ' / Sub'), '', 2, 'USD', 0.20, CONCAT('sub-', contact_email), @now, @now, 1, 1
FROM accounts WHERE name LIKE 'Bench Reseller %' AND depth = 1;
UPDATE accounts c JOIN accounts p ON p.id = c.parent_id SET c.path = CONCAT(p.path, c.id, '/') WHERE c.path = '' AND c.depth = 2;
INSERT INTO accounts (parent_id, kind, name, path, depth, currency, tax_rate, contact_email, created_at, updated_at, created_by, updated_by)
SELECT id, 'reseller', CONCAT(name, ' / Sub'), '', 3, 'USD', 0.20, CONCAT('sub-', contact_email), @now, @now, 1, 1
FROM accounts WHERE name LIKE 'Bench Reseller %' AND depth = 2;
UPDATE accounts c JOIN accounts p ON p.id = c.parent_id SET c.path = CONCAT(p.path, c.id, '/') WHERE c.path = '' AND c.depth = 3;

-- The sellers of the bench customers, numbered 0..n-1: Northwind, its Edge, and every bench reseller.
CREATE TEMPORARY TABLE bench_sellers (n INT NOT NULL PRIMARY KEY, id BIGINT NOT NULL, path VARCHAR(760) NOT NULL, depth INT NOT NULL);
INSERT INTO bench_sellers SELECT ROW_NUMBER() OVER (ORDER BY id) - 1, id, path, depth FROM accounts
WHERE id IN (2, 3) OR (kind = 'reseller' AND name LIKE 'Bench Reseller %');
SET @sellers = (SELECT COUNT(*) FROM bench_sellers);

-- Plans delegated down every chain (and to Northwind Edge), as a seller would.
INSERT IGNORE INTO plan_delegations (plan_id, reseller_id, seller_id, created_at, created_by)
SELECT p.id, a.id, a.parent_id, @now, 1 FROM plans p JOIN accounts a ON a.id IN (SELECT id FROM bench_sellers) AND a.id <> 2
WHERE p.owner_account_id = 1 AND p.currency = 'USD';

-- Customers, dealt round-robin to the sellers (customers are at depths 2, 3 and 4).
INSERT INTO accounts (parent_id, kind, name, path, depth, currency, tax_rate, contact_email, created_at, updated_at, created_by, updated_by)
SELECT s.id, 'customer', CONCAT('Bench Customer ', LPAD(q.seq, 6, '0')), CONCAT(s.path, '#'), s.depth + 1, 'USD', 0.20,
       CONCAT('billing@bench-customer-', q.seq, '.test'), @now, @now, 1, 1
FROM seq_1_to_100000000 q JOIN bench_sellers s ON s.n = q.seq MOD @sellers WHERE q.seq <= @customers;
UPDATE accounts SET path = CONCAT(LEFT(path, LENGTH(path) - 1), id, '/') WHERE kind = 'customer' AND path LIKE '%#';

-- One audit row per created account, as the API would have written.
INSERT INTO audit_log (occurred_at, actor_user_id, actor_email, actor_account_id, account_id, account_path, object_type, object_id, action, before_state, after_state, address)
SELECT @now, 1, 'admin@provider.test', 1, id, path, 'account', id, 'create', NULL, CONCAT('{"name":"', name, '"}'), 'bench-seed'
FROM accounts WHERE name LIKE 'Bench %';
COMMIT;

-- Subscriptions: @per_customer for each bench customer, and Acme Corp brought to 100.
SET @first_new = (SELECT MAX(id) + 1 FROM subscriptions);
START TRANSACTION;
INSERT INTO subscriptions (customer_id, customer_path, plan_id, period_months, status, period_start, period_end, paid_until, anchor_day,
  priced_at, individual_prices, created_at, updated_at, created_by, updated_by)
SELECT c.id, c.path, t.plan_id, t.period_months, t.status, t.period_start, t.period_end, t.paid_until, t.anchor_day, t.priced_at, FALSE, @now, @now, 1, 1
FROM subscriptions t JOIN accounts c ON c.kind = 'customer' AND c.name LIKE 'Bench Customer %'
JOIN seq_1_to_100000000 q ON q.seq <= @per_customer
WHERE t.id = @template;
INSERT INTO subscriptions (customer_id, customer_path, plan_id, period_months, status, period_start, period_end, paid_until, anchor_day,
  priced_at, individual_prices, created_at, updated_at, created_by, updated_by)
SELECT t.customer_id, t.customer_path, t.plan_id, t.period_months, t.status, t.period_start, t.period_end, t.paid_until, t.anchor_day, t.priced_at, FALSE, @now, @now, 1, 1
FROM subscriptions t JOIN seq_1_to_1000 q ON q.seq <= 99 WHERE t.id = @template;
COMMIT;

START TRANSACTION;
INSERT INTO subscription_resources (subscription_id, resource_id, included, additional, usage_units)
SELECT s.id, r.resource_id, r.included, r.additional, r.usage_units
FROM subscriptions s JOIN subscription_resources r ON r.subscription_id = @template
WHERE s.id >= @first_new;
COMMIT;
ANALYZE TABLE accounts, subscriptions, subscription_resources, audit_log;

-- The dashboards' monthly subscription counts (migration 0022, kept by the console as it records subscriptions).
INSERT INTO subscription_months (month, customer_id, customer_path, created, cancelled)
SELECT DATE_FORMAT(created_at, '%Y-%m-01'), customer_id, customer_path, COUNT(*), 0 FROM subscriptions WHERE id >= @first_new
GROUP BY DATE_FORMAT(created_at, '%Y-%m-01'), customer_id, customer_path
ON DUPLICATE KEY UPDATE created = created + VALUES(created);
