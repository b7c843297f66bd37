-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "expected_at" TIMESTAMPTZ(3),
ADD COLUMN     "need_declare" BOOLEAN,
ADD COLUMN     "payzero_unknown_since" TIMESTAMPTZ(3);
