-- Issue 13: an order's invoice is written first and numbered last, just before its transaction
-- commits, so the seller's counter row (which serializes that seller's invoices) is locked for one
-- statement instead of the whole submit. A number is NULL only inside the transaction that writes
-- the invoice: every committed invoice has its gapless number (DOMAIN.md 9).
ALTER TABLE invoices MODIFY number BIGINT NULL;
