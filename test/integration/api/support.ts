// What the /v1 order and notification tests share: a pipeline holding seven orders Q-0 … Q-6, each
// with a PAY_STATUS_NOTIFY (timestamp 1000 + i) and a DECLARE_STATUS_NOTIFY (2000 + i) applied.
import { applyNotification } from "../../../src/orders/apply.js";
import { noFanOut } from "../../../src/orders/notification.js";
import { orderBody } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";

export async function startSeededPipeline(): Promise<Pipeline> {
  const p = await startPipeline();
  try {
    await seed(p);
  } catch (err) {
    await p.close();
    throw err;
  }
  return p;
}

async function seed(p: Pipeline): Promise<void> {
  for (let i = 0; i < 7; i++) {
    const mchtOrderNo = `Q-${i}`;
    const payStatus = i % 2 === 0 ? "PAY_SUCCEED" : "PAY_FAILED";
    for (const [msgType, ts] of [
      ["PAY_STATUS_NOTIFY", 1000 + i],
      ["DECLARE_STATUS_NOTIFY", 2000 + i],
    ] as const) {
      // The two bodies differ (as two notifications of Payzero's do, each of its own moment): a body
      // byte-identical to one stored is a resend whatever its msgType says (docs/payzero.md, "Identity").
      const msgBody = orderBody({
        mchtOrderNo,
        payStatus,
        declareStatus: "DECLARING",
        paymentAmount: 100 + i,
        notifiedAs: msgType,
      });
      await applyNotification(
        p.db,
        { msgType, timestamp: BigInt(ts), msgBody, receivedAt: new Date(), source: "payzero-notify" },
        noFanOut,
      );
    }
  }
}
