-- Retention (RETENTION_DAYS): an old notification's body is removed, its row kept (the content key
-- still makes a resend a duplicate); pruned_at says when. The indexes let each batch of the
-- retention job find its rows by age instead of reading the tables.
ALTER TABLE "notifications" ALTER COLUMN "msg_body" DROP NOT NULL,
ADD COLUMN     "pruned_at" TIMESTAMPTZ(3),
ADD COLUMN     "traceparent" TEXT;

-- CreateIndex
CREATE INDEX "notifications_pruned_at_received_at_idx" ON "notifications"("pruned_at", "received_at");

-- CreateIndex
CREATE INDEX "deliveries_status_succeeded_at_idx" ON "deliveries"("status", "succeeded_at");
