-- DropIndex
DROP INDEX "deliveries_status_next_attempt_at_idx";

-- AlterTable
ALTER TABLE "deliveries" ADD COLUMN     "manual_retry" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "deliveries_endpoint_id_status_next_attempt_at_idx" ON "deliveries"("endpoint_id", "status", "next_attempt_at");

-- Postgres is now the delivery queue: a pending row is due at next_attempt_at. Earlier versions could
-- leave none there only by hand; make such rows due now rather than never.
UPDATE "deliveries" SET "next_attempt_at" = now() WHERE "status" = 'pending' AND "next_attempt_at" IS NULL;
