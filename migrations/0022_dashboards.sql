-- Dashboards (docs/rules.md, Dashboards; docs/performance.md, Dashboards).

-- Subscriptions recorded and cancelled per UTC month and customer, kept in the same transaction
-- as the subscription's row (Storage SubscriptionMonths): the provider's chart of new and
-- cancelled subscriptions reads one row per customer and month, not every subscription.
CREATE TABLE subscription_months (
  month DATE NOT NULL,
  customer_id BIGINT NOT NULL,
  customer_path VARCHAR(760) NOT NULL,
  created INT NOT NULL DEFAULT 0,
  cancelled INT NOT NULL DEFAULT 0,
  PRIMARY KEY (month, customer_id),
  CONSTRAINT subscription_months_customer FOREIGN KEY (customer_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO subscription_months (month, customer_id, customer_path, created, cancelled)
SELECT DATE_FORMAT(created_at, '%Y-%m-01'), customer_id, customer_path, COUNT(*), 0 FROM subscriptions
GROUP BY DATE_FORMAT(created_at, '%Y-%m-01'), customer_id, customer_path;
INSERT INTO subscription_months (month, customer_id, customer_path, created, cancelled)
SELECT DATE_FORMAT(cancelled_at, '%Y-%m-01'), customer_id, customer_path, 0, COUNT(*) FROM subscriptions WHERE cancelled_at IS NOT NULL
GROUP BY DATE_FORMAT(cancelled_at, '%Y-%m-01'), customer_id, customer_path
ON DUPLICATE KEY UPDATE cancelled = VALUES(cancelled);

-- A reseller's subscriptions per plan and status, read from the index alone (ancestorN as in 0013).
ALTER TABLE subscriptions
  ADD KEY subscriptions_ancestor2_plan (ancestor2, status, plan_id),
  ADD KEY subscriptions_ancestor3_plan (ancestor3, status, plan_id),
  ADD KEY subscriptions_ancestor4_plan (ancestor4, status, plan_id);

-- Orders by business date (orders by outcome; the sales and renewals of the recurring revenue).
ALTER TABLE orders ADD KEY orders_effective (effective_date, status, kind);

-- Invoices by day of issue (revenue by reseller, a customer's spend).
ALTER TABLE invoices ADD KEY invoices_issued (issued_on, status);

-- A reseller's own charges by month.
ALTER TABLE reseller_charges ADD KEY reseller_charges_reseller_effective (reseller_id, effective_date);
