// How a configuration problem is told: one shape, one formatter, one error class.

/** What is wrong with one setting. `got` is shown only for settings that hold no secret. */
export interface Problem {
  setting: string;
  /** Follows the setting's name: "is required", "must be <= 4499", "holds the example value …". */
  message: string;
  /** The value as given; never shown for a secret setting (see isSecret). */
  got?: string;
  /** Why the rule is what it is, where the rule alone would not say. */
  reason?: string;
}

/** "ENQUEUE_TIMEOUT_MS must be <= 4499 (got "5000"): Payzero waits 5 s for OK, …" */
function formatProblem(p: Problem, isSecret: (setting: string) => boolean): string {
  const got = p.got !== undefined && !isSecret(p.setting) ? ` (got ${JSON.stringify(p.got)})` : "";
  return `${p.setting} ${p.message}${got}${p.reason ? `: ${p.reason}` : ""}`;
}

/** Every problem found at once, each a line naming its setting; values of secrets are never in it. */
export class ConfigError extends Error {
  readonly problems: string[];

  /** isSecret: which settings' values must not be shown; by default none is shown. */
  constructor(problems: readonly Problem[], isSecret: (setting: string) => boolean = () => true) {
    const lines = problems.map((p) => formatProblem(p, isSecret));
    super(`invalid configuration:\n  - ${lines.join("\n  - ")}`);
    this.name = "ConfigError";
    this.problems = lines;
  }

  /** The problems on one line (the CLI's errors are one line each). */
  oneLine(): string {
    return `invalid configuration: ${this.problems.join("; ")}`;
  }
}
