-- The hash-chained audit log (src/audit) and its one-row head.
CREATE TABLE "audit_log" (
    "id" BIGINT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "actor_kind" TEXT NOT NULL,
    "actor_id" TEXT NOT NULL,
    "actor_name" TEXT,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "summary" JSONB NOT NULL,
    "prev_hash" CHAR(64) NOT NULL,
    "hash" CHAR(64) NOT NULL,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "audit_log_action_id_idx" ON "audit_log"("action", "id");
CREATE INDEX "audit_log_target_id_idx" ON "audit_log"("target", "id");

CREATE TABLE "audit_head" (
    "id" INTEGER NOT NULL,
    "entries" BIGINT NOT NULL,
    "last_hash" CHAR(64) NOT NULL,

    CONSTRAINT "audit_head_pkey" PRIMARY KEY ("id")
);

-- The one row every append locks and moves on.
INSERT INTO "audit_head" ("id", "entries", "last_hash") VALUES (1, 0, repeat('0', 64));
