// The one way an operation says no (a manual retry, a backfill, an endpoint change, an order that does
// not exist, Payzero out of reach): a Refusal value, not an exception, because each door answers it its own way (the API's
// 4xx, the CLI's exit code, the console's notice). Failures of Postgres or the network are thrown.

/** Why an operation was not done, with the HTTP status that says so. */
export type Refusal = { code: 400 | 404 | 409 | 429 | 502 | 503 | 504; message: string };

export function isRefusal<T>(result: T | Refusal): result is Refusal {
  return typeof result === "object" && result !== null && "code" in result && "message" in result;
}
