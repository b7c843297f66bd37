// Group commit: items submitted while a batch is running wait and go together in the next one, so
// under load many notifications share one transaction, and a lone one still goes at once.
// Hand-written: BullMQ's batches are a Pro feature, and what is needed here is a few lines.

export interface BatcherOptions {
  /** Most items per run. */
  maxSize: number;
  /** Most runs at once. */
  maxInFlight: number;
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (reason: unknown) => void;
}

/**
 * `run` takes a batch and returns one result per item, in order. A batch that fails is run again
 * one item at a time, in order, so one bad item fails alone and never holds back the others.
 */
export function createBatcher<I, O>(
  run: (items: I[]) => Promise<O[]>,
  opts: BatcherOptions,
): (item: I) => Promise<O> {
  const waiting: Array<Pending<I, O>> = [];
  let inFlight = 0;
  let scheduled = false;

  const runBatch = async (batch: Array<Pending<I, O>>) => {
    try {
      const results = await run(batch.map((p) => p.item));
      for (const [i, p] of batch.entries()) p.resolve(results[i]!);
    } catch (err) {
      if (batch.length === 1) batch[0]!.reject(err);
      // In order, one after another: each item must see the ones before it, as in the batch.
      else for (const p of batch) await runBatch([p]);
    }
  };

  const drain = () => {
    scheduled = false;
    while (inFlight < opts.maxInFlight && waiting.length > 0) {
      const batch = waiting.splice(0, opts.maxSize);
      inFlight++;
      void runBatch(batch).finally(() => {
        inFlight--;
        drain();
      });
    }
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      // Wait for the rest of this turn of the event loop: items arriving together go together.
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    });
}
