-- DOMAIN.md 2: the rate an order converted at is stored with its id, not only its value.
ALTER TABLE orders ADD COLUMN rate_id BIGINT NULL AFTER rate_scaled;
