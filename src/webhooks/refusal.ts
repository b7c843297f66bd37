// The one way an operation on endpoints and deliveries says no (a manual retry, a backfill): a
// Refusal value, not an exception, because the caller answers it (the API's 4xx, the CLI's exit
// code, the console's notice). Failures of Postgres or the network are thrown, not refused.

/** Why an operation was not done, with the HTTP status that says so. */
export type Refusal = { code: 400 | 404 | 409; message: string };

export function isRefusal<T>(result: T | Refusal): result is Refusal {
  return typeof result === "object" && result !== null && "code" in result && "message" in result;
}
