-- Issue 14: spending a customer's credit writes the customer's row, so that in a Galera cluster
-- two spenders of one balance on two nodes conflict at certification (which compares the rows
-- transactions write; a SELECT ... FOR UPDATE on one node does not lock rows on another).
ALTER TABLE accounts ADD COLUMN credit_revision BIGINT NOT NULL DEFAULT 0;
