-- AlterTable
ALTER TABLE "notifications" ADD COLUMN     "applied" BOOLEAN NOT NULL DEFAULT false;

-- Until now a message was applied exactly when it was an order message with no problem.
UPDATE "notifications" SET "applied" = true
 WHERE "problem" IS NULL AND "mcht_order_no" IS NOT NULL
   AND "msg_type" IN ('PAY_STATUS_NOTIFY', 'DECLARE_STATUS_NOTIFY');
