// Read by the Prisma CLI only (generate; migrate on machines that have the schema engine).
// The service itself connects through @prisma/adapter-pg (src/db/client.ts).
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/payzero_notify" },
});
