-- Rate limit per endpoint, and the shared "not before" a 429 sets.
ALTER TABLE "webhook_endpoints" ADD COLUMN "rate_limit_per_second" INTEGER,
                                ADD COLUMN "throttled_until" TIMESTAMPTZ(3);

-- 429 answers a delivery got (recorded as attempts, not counted in attempt_count), and the backfill
-- that created it.
ALTER TABLE "deliveries" ADD COLUMN "throttled_count" INTEGER NOT NULL DEFAULT 0,
                         ADD COLUMN "backfill_id" BIGINT;

-- CreateTable
CREATE TABLE "webhook_backfills" (
    "id" BIGSERIAL NOT NULL,
    "endpoint_id" TEXT NOT NULL,
    "since" TIMESTAMPTZ(3) NOT NULL,
    "until" TIMESTAMPTZ(3) NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "cursor_received_at" TIMESTAMPTZ(3),
    "cursor_notification_id" BIGINT,
    "scanned" INTEGER NOT NULL DEFAULT 0,
    "created" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_backfills_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "webhook_backfills_endpoint_id_id_idx" ON "webhook_backfills"("endpoint_id", "id");
CREATE INDEX "webhook_backfills_status_id_idx" ON "webhook_backfills"("status", "id");
CREATE INDEX "notifications_received_at_id_idx" ON "notifications"("received_at", "id");
CREATE INDEX "deliveries_backfill_id_status_idx" ON "deliveries"("backfill_id", "status");

-- AddForeignKey
ALTER TABLE "webhook_backfills" ADD CONSTRAINT "webhook_backfills_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE ON UPDATE CASCADE;
