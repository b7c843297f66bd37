// Headers follow the host: an endpoint's stored headers (an Authorization, an API key) were given for
// one destination. A change of scheme, host or port would send them elsewhere (or over http://) by
// one PATCH and a test event, so the change drops them unless the same request sets them again, as
// url-mask.ts does for a URL's password. Pure.

import { urlDestination } from "./address-rule.js";

/** scheme://host:port of a URL, default ports made explicit (as a send connects); null for a URL that does not parse. */
function destinationOf(url: string): string | null {
  try {
    const u = new URL(url);
    const { host, port } = urlDestination(u);
    return `${u.protocol}//${host.toLowerCase()}:${port}`;
  } catch {
    return null;
  }
}

/** Whether a change of URL from `before` to `after` sends the endpoint somewhere else. */
export function changesDestination(before: string, after: string | undefined): boolean {
  if (after === undefined) return false;
  const was = destinationOf(before);
  return was === null || was !== destinationOf(after);
}

/**
 * The headers a change starts from: the stored ones, or none when the URL moves to another
 * destination (the request's own headers are applied on top either way). `dropped` names the stored
 * headers the change removes for that reason and does not set again.
 */
export function headersAfterMove<H extends Record<string, string>>(
  stored: H,
  before: string,
  after: string | undefined,
  setAgain: Record<string, string | null> | null | undefined,
): { base: Partial<H>; dropped: string[] } {
  if (!changesDestination(before, after)) return { base: stored, dropped: [] };
  const again = new Set(
    Object.entries(setAgain ?? {}).flatMap(([name, value]) => (value === null ? [] : [name])),
  );
  return { base: {}, dropped: Object.keys(stored).filter((name) => !again.has(name)) };
}
