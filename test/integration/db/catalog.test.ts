// Drift check of what schema.test.ts cannot see through the client: the migrated database's catalog
// (column SQL types, nullability, defaults; primary keys, indexes with their columns, order and
// uniqueness; foreign keys with their columns, target and ON DELETE / ON UPDATE actions) against
// what Prisma Migrate would create from prisma/schema.prisma (test/support/catalog.ts).
import { readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffCatalog, expectedCatalog, readCatalog } from "../../support/catalog.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";

const schema = readFileSync(new URL("../../../prisma/schema.prisma", import.meta.url), "utf8");

let tdb: TestDatabase;
let client: pg.Client;
beforeAll(async () => {
  tdb = await createTestDatabase();
  client = new pg.Client({ connectionString: tdb.url });
  await client.connect();
});
afterAll(async () => {
  await client.end();
  await tdb.drop();
});

/** The catalog as `sql` leaves it, rolled back after (DDL is transactional in Postgres). */
async function catalogAfter(sql: string): Promise<string[]> {
  await client.query("BEGIN");
  try {
    await client.query(sql);
    return await readCatalog(client);
  } finally {
    await client.query("ROLLBACK");
  }
}

describe("the migrated catalog matches schema.prisma", () => {
  it("has the columns, keys, indexes and foreign keys Prisma Migrate would create, and no others", async () => {
    const expected = expectedCatalog(schema);
    expect(expected.filter((line) => line.startsWith("foreign key"))).toHaveLength(4);
    expect(diffCatalog(expected, await readCatalog(client))).toEqual({ missing: [], unexpected: [] });
  });

  it("notices a migration that drifted from the schema", async () => {
    const actual = await catalogAfter(`
      DROP INDEX orders_updated_at_idx;
      DROP INDEX deliveries_notification_id_endpoint_id_key;
      CREATE INDEX deliveries_notification_id_endpoint_id_key ON deliveries (notification_id, endpoint_id);
      ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_delivery_id_fkey,
        ADD CONSTRAINT delivery_attempts_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES deliveries (id)
        ON DELETE RESTRICT ON UPDATE CASCADE;
      ALTER TABLE notifications ALTER COLUMN received_at TYPE TIMESTAMP(3);
      ALTER TABLE deliveries ALTER COLUMN status DROP DEFAULT;
      ALTER TABLE webhook_endpoints ALTER COLUMN url DROP NOT NULL;
      ALTER TABLE orders ADD CONSTRAINT orders_amount_check CHECK (payment_amount >= 0);`);
    expect(diffCatalog(expectedCatalog(schema), actual)).toEqual({
      missing: [
        "column deliveries.status text NOT NULL DEFAULT 'pending'::text",
        "column notifications.received_at timestamp(3) with time zone NOT NULL",
        "column webhook_endpoints.url text NOT NULL",
        "foreign key delivery_attempts_delivery_id_fkey ON delivery_attempts (delivery_id) REFERENCES deliveries (id) ON DELETE CASCADE ON UPDATE CASCADE",
        "index orders_updated_at_idx ON orders USING btree (updated_at)",
        "unique index deliveries_notification_id_endpoint_id_key ON deliveries USING btree (notification_id, endpoint_id)",
      ],
      unexpected: [
        "column deliveries.status text NOT NULL",
        "column notifications.received_at timestamp(3) without time zone NOT NULL",
        "column webhook_endpoints.url text",
        "constraint orders_amount_check ON orders CHECK ((payment_amount >= 0))",
        "foreign key delivery_attempts_delivery_id_fkey ON delivery_attempts (delivery_id) REFERENCES deliveries (id) ON DELETE RESTRICT ON UPDATE CASCADE",
        "index deliveries_notification_id_endpoint_id_key ON deliveries USING btree (notification_id, endpoint_id)",
      ],
    });
  });

  it("notices a schema change that has no migration, and applies Prisma's default actions", async () => {
    const relation = "@relation(fields: [deliveryId], references: [id], onDelete: Cascade)";
    const changed = schema
      .replace("@@index([updatedAt])", "@@index([updatedAt(sort: Desc)])")
      .replace(relation, relation.replace(", onDelete: Cascade", ""))
      .replace("durationMs      Int ", "durationMs      BigInt ")
      .replace('@default("pending")', '@default("queued")');
    expect(diffCatalog(expectedCatalog(changed), await readCatalog(client))).toEqual({
      missing: [
        "column deliveries.status text NOT NULL DEFAULT 'queued'::text",
        "column delivery_attempts.duration_ms bigint NOT NULL",
        "foreign key delivery_attempts_delivery_id_fkey ON delivery_attempts (delivery_id) REFERENCES deliveries (id) ON DELETE RESTRICT ON UPDATE CASCADE",
        "index orders_updated_at_idx ON orders USING btree (updated_at DESC)",
      ],
      unexpected: [
        "column deliveries.status text NOT NULL DEFAULT 'pending'::text",
        "column delivery_attempts.duration_ms integer NOT NULL",
        "foreign key delivery_attempts_delivery_id_fkey ON delivery_attempts (delivery_id) REFERENCES deliveries (id) ON DELETE CASCADE ON UPDATE CASCADE",
        "index orders_updated_at_idx ON orders USING btree (updated_at)",
      ],
    });
  });
});
