// Keyset pages: a list asks for limit + 1 rows; the extra row only says that there is a next page,
// which starts after the last row kept.

/** The first `limit` rows, and the key of the last of them when more followed (else null). */
export function pageOf<T, K>(
  rows: readonly T[],
  limit: number,
  keyOf: (row: T) => K,
): { items: T[]; next: K | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last !== undefined ? keyOf(last) : null };
}
