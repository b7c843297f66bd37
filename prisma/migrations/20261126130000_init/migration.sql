-- CreateTable
CREATE TABLE "notifications" (
    "id" BIGSERIAL NOT NULL,
    "content_key" CHAR(64) NOT NULL,
    "msg_type" TEXT NOT NULL,
    "timestamp" BIGINT NOT NULL,
    "msg_body" TEXT NOT NULL,
    "source" TEXT NOT NULL DEFAULT 'payzero-notify',
    "mcht_order_no" TEXT,
    "problem" TEXT,
    "changed_order" BOOLEAN NOT NULL DEFAULT false,
    "order_after" JSONB,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "stored_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notifications_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "orders" (
    "mcht_order_no" TEXT NOT NULL,
    "payment_amount" BIGINT,
    "payer_name" TEXT,
    "payer_number" TEXT,
    "payer_phone" TEXT,
    "subject" TEXT,
    "pay_status" TEXT,
    "pay_status_at" BIGINT,
    "declare_status" TEXT,
    "declare_status_at" BIGINT,
    "declare_fail_reason" TEXT,
    "payment_order_no" TEXT,
    "ver_dept" TEXT,
    "pay_type" TEXT,
    "init_request" TEXT,
    "init_response" TEXT,
    "payment_datetime" TEXT,
    "customs_pay_company_name" TEXT,
    "customs_pay_company_code" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "orders_pkey" PRIMARY KEY ("mcht_order_no")
);

-- CreateTable
CREATE TABLE "webhook_endpoints" (
    "id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "msg_types" TEXT[],
    "secret" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "description" TEXT,
    "failing_since" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deliveries" (
    "id" BIGSERIAL NOT NULL,
    "notification_id" BIGINT NOT NULL,
    "endpoint_id" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempt_count" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "succeeded_at" TIMESTAMPTZ(3),

    CONSTRAINT "deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "delivery_attempts" (
    "id" BIGSERIAL NOT NULL,
    "delivery_id" BIGINT NOT NULL,
    "attempted_at" TIMESTAMPTZ(3) NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "status_code" INTEGER,
    "error" TEXT,
    "response_excerpt" TEXT,

    CONSTRAINT "delivery_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "notifications_content_key_key" ON "notifications"("content_key");

-- CreateIndex
CREATE INDEX "notifications_mcht_order_no_id_idx" ON "notifications"("mcht_order_no", "id");

-- CreateIndex
CREATE INDEX "notifications_msg_type_id_idx" ON "notifications"("msg_type", "id");

-- CreateIndex
CREATE INDEX "orders_pay_status_mcht_order_no_idx" ON "orders"("pay_status", "mcht_order_no");

-- CreateIndex
CREATE INDEX "orders_declare_status_mcht_order_no_idx" ON "orders"("declare_status", "mcht_order_no");

-- CreateIndex
CREATE INDEX "orders_updated_at_idx" ON "orders"("updated_at");

-- CreateIndex
CREATE INDEX "deliveries_status_next_attempt_at_idx" ON "deliveries"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "deliveries_endpoint_id_status_id_idx" ON "deliveries"("endpoint_id", "status", "id");

-- CreateIndex
CREATE UNIQUE INDEX "deliveries_notification_id_endpoint_id_key" ON "deliveries"("notification_id", "endpoint_id");

-- CreateIndex
CREATE INDEX "delivery_attempts_delivery_id_id_idx" ON "delivery_attempts"("delivery_id", "id");

-- AddForeignKey
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_notification_id_fkey" FOREIGN KEY ("notification_id") REFERENCES "notifications"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "delivery_attempts" ADD CONSTRAINT "delivery_attempts_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE;
