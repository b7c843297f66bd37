-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0;

-- An existing order's version is the number of its messages that changed it, as if it had been counted all along.
UPDATE "orders" o
   SET "version" = c.n
  FROM (SELECT "mcht_order_no", count(*)::int AS n
          FROM "notifications"
         WHERE "changed_order" AND "mcht_order_no" IS NOT NULL
         GROUP BY "mcht_order_no") c
 WHERE c."mcht_order_no" = o."mcht_order_no";
