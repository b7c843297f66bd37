// What each `simulate` command does (the I/O side of options.ts).
import { readFile } from "node:fs/promises";
import { DECLARE_STATUS_NOTIFY } from "../payzero/envelope.js";
import { generateBatch, type SimMessage, sampleOrder } from "./batch.js";
import { type FakeApi, startFakeApi } from "./fake-api.js";
import type { ApiFlags, BatchFlags, Command, SendTarget } from "./options.js";
import { type NotifyTarget, type SimNotification, sendAll, sendWithResends } from "./payzero-sender.js";
import { PAYZERO_RESEND_OFFSETS_MS, scaleSchedule } from "./resend-schedule.js";

export type Print = (line: string) => void;

/** Runs a command; resolves to the fake API when the command leaves one serving. */
export async function runCommand(cmd: Command, print: Print): Promise<FakeApi | null> {
  if (cmd.command === "send") {
    const n = await notificationToSend(cmd.msgType, cmd.file, cmd.order);
    const result = await sendWithResends(n, notifyTarget(cmd.target, print, true));
    print(
      result.delivered ? `delivered after ${result.attempts} attempt(s)` : "not delivered: Payzero gives up",
    );
    return null;
  }
  if (cmd.command === "batch") {
    await runBatch(cmd.target, cmd.batch, null, print);
    return null;
  }
  const api = await serveApi(cmd.api, print);
  if (cmd.command === "demo") await runBatch(cmd.target, cmd.batch, api, print);
  print(`fake Payzero API serving on ${api.url} until Ctrl-C`);
  return api;
}

async function notificationToSend(msgType: string, file: string | null, order: Record<string, string>) {
  if (file === null)
    return { msgType, msgBody: JSON.stringify(sampleOrder(order.mchtOrderNo ?? "SIM-1", order, msgType)) };
  const json: unknown = JSON.parse(await readFile(file, "utf8"));
  if (json !== null && typeof json === "object" && "msgBody" in json && typeof json.msgBody === "string")
    return {
      msgType: "msgType" in json && typeof json.msgType === "string" ? json.msgType : msgType,
      msgBody: json.msgBody,
    };
  return { msgType, msgBody: JSON.stringify(json) };
}

function notifyTarget(t: SendTarget, print: Print, verbose: boolean): NotifyTarget {
  return {
    url: t.url,
    signToken: t.token,
    offsetsMs: scaleSchedule(PAYZERO_RESEND_OFFSETS_MS, t.scheduleScale),
    onAttempt: (a) => {
      if (verbose || !a.delivered)
        print(`${a.msgType} attempt ${a.attempt + 1}: ${a.status ?? "no answer"} ${a.answer.slice(0, 80)}`);
    },
  };
}

async function serveApi(flags: ApiFlags, print: Print): Promise<FakeApi> {
  const api = await startFakeApi({ ...flags, tokenTtlMs: flags.tokenTtlSeconds * 1000 });
  print(
    `fake Payzero API on ${api.url}: set PAYZERO_API_URL=${api.url} PAYZERO_APP_ID=${flags.appId} PAYZERO_APP_KEY=…`,
  );
  return api;
}

async function runBatch(
  target: SendTarget,
  flags: BatchFlags,
  api: FakeApi | null,
  print: Print,
): Promise<void> {
  const batch = generateBatch(flags);
  if (api) api.setOrders(batch.finalStates);
  else if (flags.apiUrl) await fillRemoteApi(flags.apiUrl, batch.finalStates);
  const byType = (declare: boolean) =>
    batch.messages.filter((m) => (m.msgType === DECLARE_STATUS_NOTIFY) === declare);
  const notify = notifyTarget(target, print, false);
  print(`${flags.orders} orders: sending ${batch.messages.length} notifications to ${target.url}`);
  const pays = await sendAll(byType(false).map(plain), notify, flags.concurrency);
  const declares = await sendAll(byType(true).map(plain), notify, flags.concurrency);
  print(`payments: ${pays.delivered} delivered, ${pays.undelivered} not`);
  print(`declarations: ${declares.delivered} delivered, ${declares.undelivered} not`);
  if (batch.lost.length > 0)
    print(`never sent (only the query API knows their declaration): ${batch.lost.join(", ")}`);
}

const plain = (m: SimMessage): SimNotification => ({ msgType: m.msgType, msgBody: m.msgBody });

async function fillRemoteApi(apiUrl: string, orders: unknown[]): Promise<void> {
  const res = await fetch(`${apiUrl.replace(/\/+$/, "")}/_sim/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(orders),
  });
  if (!res.ok) throw new Error(`the fake API at ${apiUrl} refused the orders: HTTP ${res.status}`);
}
