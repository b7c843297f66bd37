-- "none": deliveries go out as they come (as before); "per-order": one delivery of an order at a time
-- to this endpoint, in the order's version order (src/webhooks/delivery/delivery-queue.ts, claimDue).
ALTER TABLE "webhook_endpoints" ADD COLUMN "ordering" TEXT NOT NULL DEFAULT 'none';
-- (no CHECK: the catalog matches what Prisma Migrate would create; input.ts refuses any other value)

-- A per-order endpoint's delivery that waits for an earlier one of its order: set aside (not due) by
-- the claim that found it waiting, and made due again when that earlier one ends.
ALTER TABLE "deliveries" ADD COLUMN "waiting" BOOLEAN NOT NULL DEFAULT false;
