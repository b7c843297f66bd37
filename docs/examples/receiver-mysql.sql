-- The receiver's recipe for MySQL 8 and MariaDB 10.11 (docs/webhooks.md, "Receiving webhooks"): the
-- same steps as docs/examples/receiver.ts does in Postgres, after verifying the signature.
-- test/integration/webhooks/receiver-sql.test.ts runs it on MariaDB with reordered and repeated events.

-- [schema]
CREATE TABLE IF NOT EXISTS shop_webhook_inbox (
  webhook_id  VARCHAR(100) NOT NULL PRIMARY KEY,
  type        VARCHAR(100) NOT NULL,
  received_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);
CREATE TABLE IF NOT EXISTS shop_orders (
  mcht_order_no    VARCHAR(100) NOT NULL PRIMARY KEY,
  pay_status       VARCHAR(40),
  declare_status   VARCHAR(40),
  payment_amount   BIGINT,
  payment_order_no VARCHAR(100),
  version          INT NOT NULL,
  updated_at       TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);

-- Per event, in one transaction: START TRANSACTION, then the two statements, then COMMIT.

-- [record-event] webhook-id, type. 0 rows affected: a repeat; COMMIT and answer 2xx, nothing more.
INSERT IGNORE INTO shop_webhook_inbox (webhook_id, type) VALUES (?, ?);

-- [apply-order] from "order": mchtOrderNo, payStatus, declareStatus, paymentAmount, paymentOrderNo,
-- version. Only a higher version changes the row; `version` is assigned last because MySQL assigns
-- left to right and the lines before it compare with the stored version. (VALUES() is what both
-- MySQL 8 and MariaDB take here; MySQL 8.0.20+ warns that it is deprecated.)
INSERT INTO shop_orders (mcht_order_no, pay_status, declare_status, payment_amount, payment_order_no, version)
VALUES (?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
  pay_status       = IF(VALUES(version) > version, VALUES(pay_status), pay_status),
  declare_status   = IF(VALUES(version) > version, VALUES(declare_status), declare_status),
  payment_amount   = IF(VALUES(version) > version, VALUES(payment_amount), payment_amount),
  payment_order_no = IF(VALUES(version) > version, VALUES(payment_order_no), payment_order_no),
  updated_at       = IF(VALUES(version) > version, CURRENT_TIMESTAMP(3), updated_at),
  version          = GREATEST(version, VALUES(version));
