-- Retries the merchant announces (POST /v1/orders/:mchtOrderNo/retries): one row per order and kind
-- ("pay": sections 2.7/4.2/5.5/6.2, "declare": section 8.1). While consumed_at is null, the next
-- notification of that kind about the order is a new event even when its content was seen before.
CREATE TABLE "order_retries" (
    "mcht_order_no" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "generation" INTEGER NOT NULL DEFAULT 1,
    "announced_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "consumed_at" TIMESTAMPTZ(3),
    "notification_id" BIGINT,

    CONSTRAINT "order_retries_pkey" PRIMARY KEY ("mcht_order_no","kind")
);

-- The reconciler's announced orders: the pending ones.
CREATE INDEX "order_retries_consumed_at_announced_at_idx" ON "order_retries"("consumed_at", "announced_at");
