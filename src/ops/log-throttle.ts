// Failures that repeat (Redis full or down, Postgres down, a broker down) are logged once whole, with
// their stack, then one summary line per interval says how often they came back, and one line says
// when they stopped: an outage is a handful of lines, not one per attempt (issue 28: 515 MB in 90 s).
import type { BaseLogger } from "pino";

type Log = Pick<BaseLogger, "info" | "warn" | "error">;

/** What the counter says at the end of an interval about one kind of failure. */
export type IntervalReport = { key: string; repeated: number } | { key: string; cleared: true };

interface Entry {
  /** Occurrences since the last report, the first (logged whole) not counted. */
  count: number;
  /** It occurred during the current interval. */
  active: boolean;
  /** It repeated at least once: its end is worth a line. */
  repeatedEver: boolean;
}

/**
 * The pure part: which occurrence to log whole and what to summarise. A kind is forgotten after a
 * whole interval without it; it then comes back as new (logged whole again).
 */
export class RepeatCounter {
  readonly #entries = new Map<string, Entry>();

  /** True for the first occurrence of its kind (log it whole); false: counted for the summary. */
  note(key: string): boolean {
    const entry = this.#entries.get(key);
    if (!entry) {
      this.#entries.set(key, { count: 0, active: true, repeatedEver: false });
      return true;
    }
    entry.count++;
    entry.active = true;
    entry.repeatedEver = true;
    return false;
  }

  /** Ends an interval: a count for each kind that repeated in it, "cleared" for each that stopped. */
  endInterval(): IntervalReport[] {
    const reports: IntervalReport[] = [];
    for (const [key, entry] of this.#entries) {
      if (!entry.active) {
        this.#entries.delete(key);
        if (entry.repeatedEver) reports.push({ key, cleared: true });
        continue;
      }
      if (entry.count > 0) reports.push({ key, repeated: entry.count });
      entry.count = 0;
      entry.active = false;
    }
    return reports;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * The kind of a failure: its log message and its error's name and message, digits left out (an id,
 * a count or a port in the message would make every occurrence a kind of its own).
 */
export function failureKind(msg: string, err: unknown): string {
  const e = err instanceof Error ? `${err.name}: ${err.message}` : err === undefined ? "" : String(err);
  return `${msg} | ${e.replace(/\d+/g, "#")}`;
}

type Level = "warn" | "error";

export interface ThrottledLog {
  /** Logs `fields` whole the first time this kind occurs, then counts it for the interval's summary. */
  warn: (fields: { err?: unknown } & Record<string, unknown>, msg: string) => void;
  error: (fields: { err?: unknown } & Record<string, unknown>, msg: string) => void;
  /** Writes what is still counted and stops the timer (on shutdown). */
  stop: () => void;
}

const LOG_SUMMARY_INTERVAL_MS = 60_000;

/** A ThrottledLog writing to `log`; one summary line per repeated kind each `intervalMs`. */
export function throttledLog(log: Log, intervalMs = LOG_SUMMARY_INTERVAL_MS): ThrottledLog {
  const counter = new RepeatCounter();
  const about = new Map<string, { level: Level; msg: string; error?: string }>();
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    for (const report of counter.endInterval()) {
      const what = about.get(report.key);
      if (!what) continue;
      if ("cleared" in report) {
        about.delete(report.key);
        log.info({ error: what.error }, `${what.msg}: cleared (none for ${intervalMs / 1000} s)`);
      } else
        log[what.level](
          { error: what.error, repeated: report.repeated, intervalSeconds: intervalMs / 1000 },
          `${what.msg} (repeated)`,
        );
    }
    for (const key of about.keys()) if (!counter.has(key)) about.delete(key);
    if (counter.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  const write = (level: Level) => (fields: { err?: unknown } & Record<string, unknown>, msg: string) => {
    const key = failureKind(msg, fields.err);
    if (!counter.note(key)) return;
    about.set(key, {
      level,
      msg,
      ...(fields.err !== undefined && {
        error: fields.err instanceof Error ? fields.err.message : String(fields.err),
      }),
    });
    log[level](fields, msg);
    timer ??= setInterval(flush, intervalMs).unref();
  };

  return {
    warn: write("warn"),
    error: write("error"),
    stop: () => {
      if (timer) clearInterval(timer);
      timer = undefined;
      flush();
    },
  };
}
