-- The payer's personal data is sealed at rest (src/orders/personal-data.ts) and erased by hand or by
-- PERSONAL_DATA_RETENTION_DAYS: an order whose personal data was erased keeps it erased, even when
-- Payzero or the reconciler brings it again (src/orders/erase.ts).
ALTER TABLE "orders" ADD COLUMN "personal_data_erased_at" TIMESTAMPTZ(3);
