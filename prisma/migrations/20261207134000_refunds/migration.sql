-- Refunds the merchant applied for (Payzero section 9.1) and registered here (POST /v1/refunds), polled
-- with section 9.2 until a final status (src/refunds/). Each change of status is also a notification
-- row (REFUND_STATUS_NOTIFY, source payzero-query), forwarded like any other.
CREATE TABLE refunds (
  mcht_refund_order_no text PRIMARY KEY,
  mcht_order_no        text NOT NULL,
  refund_amount        bigint,
  refund_status        text,
  version              integer NOT NULL DEFAULT 0,
  polls                integer NOT NULL DEFAULT 0,
  next_poll_at         timestamptz(3),
  last_error           text,
  created_at           timestamptz(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at           timestamptz(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX refunds_mcht_order_no_idx ON refunds (mcht_order_no);
CREATE INDEX refunds_next_poll_at_idx ON refunds (next_poll_at);
