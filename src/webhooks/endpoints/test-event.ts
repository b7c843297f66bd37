// "Send test event": one signed POST (or broker publish) to the endpoint, made from the api process and shown at once,
// never stored (no notification, no delivery row). Same signing and sending code as real deliveries.
import { randomBytes } from "node:crypto";
import {
  type SignedRequest,
  signRequest,
  TEST_EVENT_TYPE,
  type WebhookPayload,
} from "../delivery/payload.js";
import { createDestinations } from "../transports/destination.js";
import type { SendOutcome } from "../transports/publisher.js";
import type { DestinationPolicy } from "./address-rule.js";
import { type EndpointSecrets, signingSecrets } from "./secret.js";

export interface TestEventResult {
  sentAt: Date;
  messageId: string;
  outcome: SendOutcome;
}

function testPayload(now: Date): WebhookPayload {
  return {
    id: `msg_test_${randomBytes(12).toString("hex")}`,
    type: TEST_EVENT_TYPE,
    timestamp: now.getTime(),
    source: "payzero-notify-console",
    data: { test: true, note: "sent from the operator console; not a Payzero notification" },
    order: null,
  };
}

/** `endpoint` with its secrets and headers opened; `policy` as for deliveries (destination.ts). */
export async function sendTestEvent(
  endpoint: EndpointSecrets & { url: string; headers: Record<string, string> },
  timeoutMs: number,
  policy: DestinationPolicy,
): Promise<TestEventResult> {
  const sentAt = new Date();
  const payload = testPayload(sentAt);
  const request: SignedRequest = signRequest(signingSecrets(endpoint, sentAt), payload, sentAt);
  const message = {
    ...request,
    headers: { ...endpoint.headers, ...request.headers },
    type: TEST_EVENT_TYPE,
    defaultRoutingKey: TEST_EVENT_TYPE,
  };
  // A broker connection of its own, closed after: test events are rare, and the api process keeps none.
  const destinations = createDestinations(undefined, policy);
  try {
    const outcome = await destinations.send(endpoint.url, message, timeoutMs);
    return { sentAt, messageId: payload.id, outcome };
  } finally {
    await destinations.close();
  }
}
