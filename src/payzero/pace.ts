// The pace of one process's questions to Payzero: at most `ratePerSecond` a second (RECONCILE_RATE_PER_SECOND),
// each question given the next free slot. A caller that would wait longer than it can is refused instead.

/** How long to wait before asking (ms), or null when the next free slot is further than `maxWaitMs`. */
export type Pace = (maxWaitMs: number) => number | null;

export function pace(ratePerSecond: number, now: () => number = () => performance.now()): Pace {
  const gap = 1000 / ratePerSecond;
  let next = Number.NEGATIVE_INFINITY;
  return (maxWaitMs) => {
    const t = now();
    const start = Math.max(t, next);
    if (start - t > maxWaitMs) return null;
    next = start + gap;
    return start - t;
  };
}
