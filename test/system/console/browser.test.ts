// The console in a real browser (Debian's chromium through playwright-core) against the real service:
// sign in, find an order of a simulated burst and read its timeline, retry its failed delivery and see
// it succeed, add an endpoint and rotate its secret, nothing from another origin, axe-core on every
// main page, readable on a phone, sign out. UPDATE_SCREENSHOTS=1 writes docs/console.md's screenshots.
import { mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateBatch } from "../../../src/simulator/batch.js";
import { signNotification } from "../../../src/simulator/payzero-sender.js";
import { startConsolePipeline } from "../../integration/console/support.js";
import { TEST_ADMIN_TOKEN, TEST_SIGN_TOKEN } from "../../support/config.js";
import type { Pipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];
const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? new URL("../../../docs/console/", import.meta.url).pathname
  : join(tmpdir(), "pzn-console-shots");
const AXE = readFileSync(new URL("../../../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");

let p: Pipeline;
let receiver: Receiver;
let browser: Browser;
let page: Page;
let origin = "";
let erpUp = false;
const foreign: string[] = [];
const ORDER = "BURST-000004";

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  p = await startConsolePipeline();
  receiver = await startReceiver();
  receiver.on("/erp", () =>
    erpUp ? { status: 200, body: '{"received":true}' } : { status: 503, body: "ERP is down for maintenance" },
  );
  const webhooks = p.startWebhooks();
  p.startWorker(webhooks.fanOut);
  origin = (await p.app.listen({ host: "127.0.0.1", port: 0 })).replace("localhost", "127.0.0.1");
  const created = await p.app.inject({
    method: "POST",
    url: "/v1/webhooks",
    headers: p.authorized,
    payload: { url: receiver.url("/erp"), description: "ERP" },
  });
  expect(created.statusCode).toBe(201);
  // A burst from the simulator, over real HTTP.
  const batch = generateBatch({ orders: 12, failRate: 0.2, prefix: "BURST-", seed: 14 });
  let timestamp = Date.now() - 60_000;
  await Promise.all(
    batch.messages.map(async (m) => {
      const res = await fetch(`${origin}/payzero/notify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(signNotification(TEST_SIGN_TOKEN, m, timestamp++)),
      });
      expect(await res.text()).toBe("OK");
    }),
  );
  await p.drained();
  const expected = batch.messages.length;
  for (;;) {
    if ((await p.db.delivery.count({ where: { status: "failed" } })) === expected) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith("data:")) foreign.push(url);
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await p?.close();
  await receiver?.close();
});

async function axeViolations(): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP (no script at all) is left as it is.
  await page.evaluate(AXE);
  const results = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: () => Promise<{ violations: Array<{ id: string; nodes: Array<{ target: unknown }> }> }> };
      }
    ).axe;
    return (await axe.run()).violations.map(
      (v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`,
    );
  });
  return results;
}

async function shoot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe("the console in a browser", { timeout: 60_000 }, () => {
  it("sends an unsigned visitor to the sign-in page and signs in from the keyboard", async () => {
    await page.goto(`${origin}/console/orders/${ORDER}`);
    await expect.poll(() => new URL(page.url()).pathname).toBe("/console/login");
    // Nothing of the order: only the way back to it after signing in (a hidden field).
    expect(await page.locator("body").textContent()).not.toContain(ORDER);
    expect(await page.locator("ol.timeline").count()).toBe(0);
    expect(await axeViolations()).toEqual([]);
    await shoot("sign-in");
    await page.getByLabel("Admin token").focus();
    await page.keyboard.type(TEST_ADMIN_TOKEN);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${origin}/console/orders/${ORDER}`);
  });

  it("shows the overview", async () => {
    await page.getByRole("link", { name: "Overview" }).click();
    await page.getByRole("heading", { name: "Notifications received" }).waitFor();
    expect(await page.getByText("always down").count()).toBe(0);
    expect(await page.locator("svg.chart").count()).toBeGreaterThan(0);
    expect(await axeViolations()).toEqual([]);
    await shoot("overview");
  });

  it("finds an order of the burst and reads its timeline", async () => {
    await page.getByRole("link", { name: "Orders", exact: true }).click();
    await page.getByLabel("Order number starts with").fill("BURST-00000");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("link", { name: ORDER }).click();
    await page.getByRole("heading", { name: "Timeline" }).waitFor();
    const timeline = page.locator("ol.timeline");
    expect(await timeline.locator("li.notification").count()).toBeGreaterThan(0);
    expect(await timeline.locator("li.state").count()).toBeGreaterThan(0);
    await expect.poll(() => timeline.textContent()).toContain("ERP is down for maintenance");
    expect(await timeline.textContent()).toContain("HTTP 503");
    // The payer is masked.
    expect(await page.content()).not.toContain("13800138000");
    expect(await axeViolations()).toEqual([]);
    await shoot("order");
  });

  it("retries the failed delivery and sees it succeed", async () => {
    erpUp = true;
    const retry = page.getByRole("button", { name: /^Retry delivery \d+$/ }).first();
    const label = (await retry.textContent()) ?? "";
    await retry.click();
    await page.getByRole("status").filter({ hasText: "Retry sent" }).waitFor();
    const delivery = page.locator("li.delivery", { hasText: label.replace("Retry delivery", "Delivery") });
    await expect
      .poll(async () => {
        await page.reload();
        return delivery.locator(".badge").first().textContent();
      })
      .toBe("succeeded");
    expect(await delivery.textContent()).toContain('{"received":true}');
    await shoot("order-retried");
  });

  it("lists the failed deliveries by endpoint", async () => {
    await page.getByRole("link", { name: "Deliveries" }).click();
    await page.getByRole("button", { name: /^Retry all \d+ failed deliveries of this endpoint$/ }).waitFor();
    expect(await axeViolations()).toEqual([]);
    await shoot("deliveries");
  });

  it("adds an endpoint and rotates its secret", async () => {
    await page.getByRole("link", { name: "Endpoints" }).click();
    await page.getByRole("link", { name: "Add an endpoint" }).click();
    await page.getByLabel("URL").fill(receiver.url("/customs"));
    await page.getByLabel("Description").fill("Customs desk");
    await page.getByLabel("DECLARE_STATUS_NOTIFY").check();
    expect(await axeViolations()).toEqual([]);
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await page.getByRole("heading", { name: "Endpoint Customs desk" }).waitFor();
    // Shown in the answer to the addition only.
    const first = await page.locator("#secret").textContent();
    expect(first).toMatch(/^whsec_/);
    await page.getByLabel(/Keep the old secret valid for/).fill("24");
    await page.getByRole("button", { name: "Rotate secret" }).click();
    await page.getByRole("status").filter({ hasText: "Secret rotated" }).waitFor();
    expect(await page.getByText("still signs deliveries until").count()).toBe(1);
    const second = await page.locator("#secret").textContent();
    expect(second).toMatch(/^whsec_/);
    expect(second).not.toBe(first);
    await page.getByRole("button", { name: "Send test event" }).click();
    // The page answering the test event is not the rotation's: the secret is not on it.
    expect(await page.locator("#secret").count()).toBe(0);
    await page.getByRole("status").filter({ hasText: "delivered" }).waitFor();
    expect(await axeViolations()).toEqual([]);
    await shoot("endpoint");
    await page.getByRole("link", { name: "Endpoints" }).click();
    expect(await axeViolations()).toEqual([]);
    await shoot("endpoints");
  });

  it("is readable on a phone", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${origin}/console/orders/${ORDER}`);
    // A string, evaluated in the page: the test's own types know no DOM.
    const overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot("order-phone");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("loaded nothing from another origin", () => {
    expect(foreign).toEqual([]);
  });

  it("signs out, and then shows nothing", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You are signed out.").waitFor();
    await page.goto(`${origin}/console/deliveries`);
    await expect.poll(() => new URL(page.url()).pathname).toBe("/console/login");
    expect(await page.getByLabel("Admin token").count()).toBe(1);
  });
});
