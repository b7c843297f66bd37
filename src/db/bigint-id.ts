// A row id as the doors take it: decimal text of a Postgres bigserial (deliveries, notifications), 1 to
// 2^63 − 1, so 19 digits at most. The one definition of the pattern (the /v1 schemas and cursors, the
// CLI's arguments, the console's URLs).

/** Largest Postgres bigint. */
const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** Decimal digits of a positive bigint, no leading zero; the range is checked by parseBigintId. */
export const BIGINT_ID_PATTERN = "^[1-9][0-9]{0,18}$";
const BIGINT_ID = new RegExp(BIGINT_ID_PATTERN);

/** The id the text names, or undefined when it names none (not decimal, or past the bigint range). */
export function parseBigintId(text: string): bigint | undefined {
  if (!BIGINT_ID.test(text)) return undefined;
  const id = BigInt(text);
  return id > MAX_BIGINT ? undefined : id;
}
