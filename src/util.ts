// Small helpers shared by the stages.

/** The promise's outcome, or a rejection with `timedOut()` after `ms` (the promise itself runs on). */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  timedOut: () => Error = () => new Error(`timed out after ${ms} ms`),
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
