// Role `all` (npm start, the image's default command): the receiver in this process's main thread and the
// workers on an event loop of their own, so a burst of work never takes the event loop that answers Payzero.
// WORKER_MODE=thread (the default) runs them in a worker thread: one Node runtime instead of two, about half
// the memory. WORKER_MODE=process forks them into a child process (`worker --child`). Either way they are
// restarted when they die, and their metrics show on this process's /metrics.
import { type ChildProcess, fork } from "node:child_process";
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { MetricObjectWithValues, MetricValue } from "prom-client";
import { addMetricsSource, registry, workerProcessRestarts } from "./ops/metrics.js";
import type { Stoppable } from "./workers.js";

type Metrics = MetricObjectWithValues<MetricValue<string>>[];
type Message =
  | { type: "metrics"; id: number }
  | { type: "metrics-reply"; id: number; metrics: Metrics }
  | { type: "stop" };

export type WorkerMode = "thread" | "process";

const RESTART_DELAY_MS = 1000;
const WORKER_NICENESS = 10;
const METRICS_TIMEOUT_MS = 1000;
/**
 * The worker thread's heap (MB). V8 sizes a heap by the machine's memory, not by what lives in it: left
 * alone, each isolate takes a young generation of up to 3 × 64 MB and lets its old generation grow to
 * several times what is live before collecting it. The workers' live data (the jobs they hold, WORKER_CONCURRENCY
 * × at most 64 messages) stays well under the old-generation cap; reaching it ends the thread only, which
 * is then restarted like any dead worker, and its jobs run again (WORKER_LOCK_MS).
 */
const WORKER_HEAP = {
  maxYoungGenerationSizeMb: 12,
  maxOldGenerationSizeMb: 128,
};

/** What the supervisor needs of a running worker child, thread or process. */
interface Child {
  /** Resolves once it has exited, however. */
  exited: Promise<{ code: number | null; signal?: string | null }>;
  alive: () => boolean;
  send: (m: Message) => boolean;
  onMessage: (listener: (m: Message) => void) => () => void;
  stop: () => void;
}

/** Starts `<this script> worker --child` as a thread or a process and restarts it whenever it dies, until stopped. */
export function superviseWorkers(log: Logger, mode: WorkerMode, script = process.argv[1]!): Stoppable {
  let child: Child;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  const start = () => {
    child = mode === "thread" ? startThread(script, log) : startProcess(script, log);
    void child.exited.then(({ code, signal }) => {
      if (stopping) return;
      log.error({ code, signal }, `worker ${mode} exited; restarting it`);
      workerProcessRestarts.inc();
      restartTimer = setTimeout(start, RESTART_DELAY_MS);
    });
  };
  start();
  const removeSource = addMetricsSource(() => childMetrics(child));
  return {
    stop: async () => {
      stopping = true;
      clearTimeout(restartTimer);
      removeSource();
      if (!child.alive()) return;
      child.stop();
      await child.exited;
    },
  };
}

function startThread(script: string, log: Logger): Child {
  // Its stdout and stderr go straight to the process's (pino writes to fd 1 itself, so logging never
  // passes through the receiver's event loop).
  const worker = new Worker(script, { argv: ["worker", "--child"], resourceLimits: WORKER_HEAP });
  let running = true;
  const exited = new Promise<{ code: number }>((resolve) =>
    worker.once("exit", (code) => {
      running = false;
      resolve({ code });
    }),
  );
  // An error that ends the thread (out of its heap, say; "exit" follows): without a listener it would end the process.
  worker.on("error", (err) => log.error({ err }, "worker thread failed"));
  return {
    exited,
    alive: () => running,
    send: (m) => {
      worker.postMessage(m);
      return true;
    },
    onMessage: (listener) => {
      worker.on("message", listener);
      return () => worker.off("message", listener);
    },
    // As SIGTERM does to a process: it stops taking jobs, finishes those it holds, then exits.
    stop: () => worker.postMessage({ type: "stop" } satisfies Message),
  };
}

function startProcess(script: string, log: Logger): Child {
  // Its own process group: a Ctrl-C reaches this process only, which stops the child in turn.
  const proc: ChildProcess = fork(script, ["worker", "--child"], { stdio: "inherit", detached: true });
  // Under a burst the receiver gets the CPU first: answering Payzero is what cannot wait.
  try {
    if (proc.pid) setPriority(proc.pid, WORKER_NICENESS);
  } catch (err) {
    log.warn({ err }, "could not lower the worker process's priority");
  }
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    proc.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    exited,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    send: (m) => proc.connected && proc.send(m),
    onMessage: (listener) => {
      proc.on("message", listener);
      return () => proc.off("message", listener);
    },
    stop: () => proc.kill("SIGTERM"),
  };
}

let nextId = 0;

/** The child's metrics; empty when it does not answer in time (restarting, say). */
function childMetrics(child: Child): Promise<Metrics> {
  if (!child.alive()) return Promise.resolve([]);
  const id = ++nextId;
  return new Promise((resolve) => {
    const done = (metrics: Metrics) => {
      clearTimeout(timer);
      off();
      resolve(metrics);
    };
    const off = child.onMessage((m) => {
      if (m.type === "metrics-reply" && m.id === id) done(m.metrics);
    });
    const timer = setTimeout(() => done([]), METRICS_TIMEOUT_MS);
    try {
      if (!child.send({ type: "metrics", id })) done([]);
    } catch {
      done([]);
    }
  });
}

/**
 * In the child: answers the parent's metrics requests and its request to stop. A child process also
 * stops (as on SIGTERM) when the parent is gone, so a killed service never leaves its workers running
 * on their own; a thread cannot outlive its process.
 */
export function serveParent(): void {
  const answer = (m: Message, reply: (r: Message) => void) => {
    if (m.type === "stop") stopThisThread();
    if (m.type !== "metrics") return;
    void registry.getMetricsAsJSON().then((metrics) => reply({ type: "metrics-reply", id: m.id, metrics }));
  };
  if (!isMainThread) {
    lowerThisThreadsPriority();
    parentPort?.on("message", (m: Message) => answer(m, (r) => parentPort?.postMessage(r)));
    return;
  }
  process.on("message", (m: Message) =>
    answer(m, (r) => {
      if (process.connected) process.send?.(r);
    }),
  );
  const orphaned = () => process.kill(process.pid, "SIGTERM");
  if (process.connected) process.once("disconnect", orphaned);
  else orphaned();
}

/** A thread gets no signals: its own SIGTERM listeners (the graceful stop) run as a signal would run them. */
function stopThisThread(): void {
  if (process.listenerCount("SIGTERM") > 0) process.emit("SIGTERM", "SIGTERM");
  else process.exit(0);
}

/** Linux gives each thread its own niceness: this thread's, as WORKER_NICENESS does to a process. */
function lowerThisThreadsPriority(): void {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (tid > 0) setPriority(tid, WORKER_NICENESS);
  } catch {
    // Not Linux: the thread keeps the process's priority.
  }
}
