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

-- Every stored order_after gets the version the order had right after that message: its order's
-- messages that changed it, up to and including this one (applied in id order, under the order's lock).
UPDATE "notifications" n
   SET "order_after" = n."order_after" || jsonb_build_object('version', c.v)
  FROM (SELECT "id", count(*) FILTER (WHERE "changed_order")
                 OVER (PARTITION BY "mcht_order_no" ORDER BY "id")::int AS v
          FROM "notifications"
         WHERE "order_after" IS NOT NULL) c
 WHERE c."id" = n."id";
