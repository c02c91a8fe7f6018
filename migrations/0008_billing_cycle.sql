-- The billing cycle (DOMAIN.md 3, 6, 7): renewals, rollover, postpaid period invoices,
-- cancellations, scheduled commitment reductions, and the record of billing runs.

-- paid_until: the end of the last period paid for (a prepaid subscription rolls over into a period
-- only once it is paid). cancel_at_period_end: the subscription ends with its period.
-- suspended_by_billing: suspended for an unpaid renewal, so a payment reactivates it (a suspension
-- by staff is theirs to lift). scheduled_change: a commitment reduction asked for during the term,
-- applied when the next period starts.
ALTER TABLE subscriptions
  ADD COLUMN paid_until DATE NULL AFTER period_end,
  ADD COLUMN cancel_at_period_end BOOLEAN NOT NULL DEFAULT FALSE,
  ADD COLUMN suspended_by_billing BOOLEAN NOT NULL DEFAULT FALSE,
  ADD COLUMN scheduled_change LONGTEXT NULL,
  ADD COLUMN cancelled_at DATETIME(6) NULL,
  ADD KEY subscriptions_due (status, period_end);

-- What is paid (prepaid) or invoiced (postpaid) so far: imports and earlier subscriptions are paid
-- for their current period; a postpaid one is invoiced up to its start.
UPDATE subscriptions s JOIN plans p ON p.id = s.plan_id SET s.paid_until = IF(p.billing_type = 'postpaid', s.period_start, s.period_end)
WHERE s.paid_until IS NULL;

-- One renewal order per subscription and period, whoever runs the billing run and how often.
ALTER TABLE orders ADD COLUMN renewal_key VARCHAR(80) NULL AFTER kind, ADD UNIQUE KEY orders_renewal_key (renewal_key);

-- Invoices of a subscription (renewals, postpaid periods); one postpaid invoice per period.
ALTER TABLE invoices
  ADD COLUMN subscription_id BIGINT NULL AFTER order_id,
  ADD COLUMN period_key VARCHAR(80) NULL AFTER subscription_id,
  ADD UNIQUE KEY invoices_period_key (period_key),
  ADD KEY invoices_subscription (subscription_id, id),
  ADD CONSTRAINT invoices_subscription FOREIGN KEY (subscription_id) REFERENCES subscriptions (id);

-- Each billing run: for which business date, when, by whom or by the schedule, and what it did.
CREATE TABLE billing_runs (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  business_date DATE NOT NULL,
  started_at DATETIME(6) NOT NULL,
  finished_at DATETIME(6) NULL,
  started_by BIGINT NULL,
  node VARCHAR(255) NOT NULL,
  subscriptions_seen INT NOT NULL DEFAULT 0,
  renewal_orders INT NOT NULL DEFAULT 0,
  invoices INT NOT NULL DEFAULT 0,
  suspended INT NOT NULL DEFAULT 0,
  reactivated INT NOT NULL DEFAULT 0,
  rolled_over INT NOT NULL DEFAULT 0,
  trials_ended INT NOT NULL DEFAULT 0,
  cancelled INT NOT NULL DEFAULT 0,
  errors INT NOT NULL DEFAULT 0,
  KEY billing_runs_date (business_date, id)
) ENGINE=InnoDB;
