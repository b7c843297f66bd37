// Payzero's resend schedule (section 3.3): after the first send, again 1m, 5m, 10m, 1h and 6h later,
// until the receiver answers "OK". Offsets are counted from the first send, so Payzero gives up 6 h after it.

export const PAYZERO_RESEND_OFFSETS_MS: readonly number[] = [
  0, 60_000, 300_000, 600_000, 3_600_000, 21_600_000,
];

/** The schedule sped up (or slowed down): 0.001 turns 1 minute into 60 ms. */
export function scaleSchedule(offsets: readonly number[], scale: number): number[] {
  if (!(scale > 0) || !Number.isFinite(scale))
    throw new RangeError(`schedule scale must be > 0 (got ${scale})`);
  return offsets.map((ms) => Math.round(ms * scale));
}

/** How long to wait, at `elapsedMs` after the first send, before attempt `attempt` (0-based). */
export function delayBefore(offsets: readonly number[], attempt: number, elapsedMs: number): number {
  return Math.max(0, (offsets[attempt] ?? 0) - elapsedMs);
}
