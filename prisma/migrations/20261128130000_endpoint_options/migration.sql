-- Per-endpoint headers (encrypted JSON, like the secrets) and status filters (empty: any status).
ALTER TABLE "webhook_endpoints" ADD COLUMN     "headers" TEXT,
ADD COLUMN     "pay_statuses" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "declare_statuses" TEXT[] DEFAULT ARRAY[]::TEXT[];
