// Where the tests find Postgres and Redis; override for other machines.
export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379/0";

export function databaseUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
// The message brokers of the broker destination tests (RabbitMQ as guest/guest, NATS with JetStream).
export const RABBITMQ_HOST = process.env.TEST_RABBITMQ_HOST ?? "127.0.0.1:5672";
export const NATS_HOST = process.env.TEST_NATS_HOST ?? "127.0.0.1:4222";
