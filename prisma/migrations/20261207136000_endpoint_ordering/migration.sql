-- "none": deliveries go out as they come (as before); "per-order": one delivery of an order at a time
-- to this endpoint, in the order's version order (src/webhooks/delivery/delivery-queue.ts, claimDue).
ALTER TABLE "webhook_endpoints" ADD COLUMN "ordering" TEXT NOT NULL DEFAULT 'none';
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_ordering_check" CHECK ("ordering" IN ('none', 'per-order'));
