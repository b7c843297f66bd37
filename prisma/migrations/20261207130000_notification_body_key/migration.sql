-- A message's identity now derives from Payzero's sign (src/payzero/envelope.ts signedKey); the body
-- key finds a stored copy of the same body under another timestamp or sign (a resend stamped anew).
-- Rows stored before keep their content_key (and so their webhook-id); their body key is computed
-- here, so a resend arriving after the upgrade of a message stored before it is still a duplicate.
ALTER TABLE "notifications" ADD COLUMN "body_key" CHAR(64);

UPDATE "notifications" SET "body_key" = encode(sha256(convert_to("msg_body", 'UTF8')), 'hex')
 WHERE "msg_body" IS NOT NULL;

CREATE INDEX "notifications_body_key_idx" ON "notifications"("body_key");
