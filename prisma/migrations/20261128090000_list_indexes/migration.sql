-- CreateIndex
CREATE INDEX "orders_pay_status_declare_status_mcht_order_no_idx" ON "orders"("pay_status", "declare_status", "mcht_order_no");

-- CreateIndex
CREATE INDEX "deliveries_status_id_idx" ON "deliveries"("status", "id");
