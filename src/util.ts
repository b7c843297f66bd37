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

/** The wait before try `n` (1, 2, 3 …) of something that keeps failing: firstMs, doubled each time, at most capMs. */
export function doublingDelay(n: number, firstMs: number, capMs: number): number {
  return Math.min(firstMs * 2 ** Math.max(0, n - 1), capMs);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface Repeating {
  /** Runs the task now, or joins the run in progress; the next one follows the interval after it. */
  runNow(): Promise<void>;
  isRunning(): boolean;
  /** No run after this; resolves once the run in progress (if any) has ended. */
  stop(): Promise<void>;
}

/**
 * Runs `task` after `firstDelayMs`, then `intervalMs` after each run ends (never two at once), until
 * stopped. A failed run goes to `onError` and the schedule goes on. The timer does not hold the
 * process open.
 */
export function repeat(
  task: () => Promise<void>,
  { intervalMs, firstDelayMs = 0 }: { intervalMs: number; firstDelayMs?: number },
  onError: (err: unknown) => void,
): Repeating {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  const schedule = (ms: number) => {
    timer = setTimeout(runNow, ms);
    timer.unref();
  };
  const runNow = (): Promise<void> => {
    if (running) return running;
    clearTimeout(timer);
    running = task()
      .catch(onError)
      .finally(() => {
        running = null;
        if (!stopped) schedule(intervalMs);
      });
    return running;
  };
  schedule(firstDelayMs);
  return {
    runNow,
    isRunning: () => running !== null,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
