-- Bangladeshi Taka (ISO 4217 BDT, 2 minor digits; its symbol ৳ is the formatter's, Localization/Format.swift):
-- seeded beside the others so a reseller can bill Bengali-speaking customers in their own money (issue 16).
INSERT INTO currencies (code, name, exponent, created_at, updated_at)
SELECT 'BDT', 'Bangladeshi Taka', 2, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) FROM DUAL
WHERE NOT EXISTS (SELECT 1 FROM currencies WHERE code = 'BDT');
