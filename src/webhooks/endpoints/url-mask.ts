// Credentials in endpoint URLs (amqp://user:password@…, nats://token@…, https://user:password@…) are
// never shown in full: views mask them, and a URL written back with the mask keeps the stored one. Pure.

export const MASK = "****";

/** The URL as it is shown (API views, console): its password, or a NATS token, replaced by ****. */
export function maskUrl(url: string): string {
  const parsed = parse(url);
  if (!parsed) return url;
  if (parsed.password !== "") parsed.password = MASK;
  else if (parsed.username !== "" && parsed.protocol === "nats:") parsed.username = MASK;
  else return url;
  return parsed.toString();
}

/**
 * A URL given with the mask where its credential would be gets the stored credential back, when it
 * names the same scheme, user, host and port as the stored URL (otherwise anyone who may edit the
 * endpoint could send the stored password to a host of their own). Anything else is returned as given.
 */
export function unmaskUrl(given: string, stored: string): string {
  const g = parse(given);
  const s = parse(stored);
  if (!g || !s || g.protocol !== s.protocol || g.host !== s.host) return given;
  if (g.password === MASK && s.password !== "" && g.username === s.username) g.password = s.password;
  else if (g.username === MASK && g.password === "" && s.password === "" && s.protocol === "nats:")
    g.username = s.username;
  else return given;
  return g.toString();
}

/** Whether a URL carries the mask where its credential would be. */
export function carriesMask(url: string): boolean {
  const parsed = parse(url);
  return parsed !== undefined && (parsed.password === MASK || parsed.username === MASK);
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}
