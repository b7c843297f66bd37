// Role `all` (npm start, the image's default command): the receiver in this process and the workers in a child
// process of their own, so a burst of work never takes the event loop that answers Payzero.
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { setPriority } from "node:os";
import type { Logger } from "pino";
import type { MetricObjectWithValues, MetricValue } from "prom-client";
import { addMetricsSource, registry, workerProcessRestarts } from "./ops/metrics.js";
import type { Stoppable } from "./workers.js";

type Metrics = MetricObjectWithValues<MetricValue<string>>[];
type Message = { type: "metrics"; id: number } | { type: "metrics-reply"; id: number; metrics: Metrics };

const RESTART_DELAY_MS = 1000;
const WORKER_NICENESS = 10;
const METRICS_TIMEOUT_MS = 1000;

/** Starts `<this script> worker --child` and restarts it whenever it dies, until stopped. */
export function forkWorkers(log: Logger): Stoppable {
  let child: ChildProcess;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  const start = () => {
    // Its own process group: a Ctrl-C reaches this process only, which stops the child in turn.
    child = fork(process.argv[1]!, ["worker", "--child"], { stdio: "inherit", detached: true });
    // Under a burst the receiver gets the CPU first: answering Payzero is what cannot wait.
    try {
      if (child.pid) setPriority(child.pid, WORKER_NICENESS);
    } catch (err) {
      log.warn({ err }, "could not lower the worker process's priority");
    }
    child.on("exit", (code, signal) => {
      if (stopping) return;
      log.error({ code, signal }, "worker process exited; restarting it");
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
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

let nextId = 0;

/** The child's metrics over IPC; empty when it does not answer in time (restarting, say). */
function childMetrics(child: ChildProcess): Promise<Metrics> {
  if (!child.connected) return Promise.resolve([]);
  const id = ++nextId;
  return new Promise((resolve) => {
    const done = (metrics: Metrics) => {
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(metrics);
    };
    const onMessage = (m: Message) => {
      if (m.type === "metrics-reply" && m.id === id) done(m.metrics);
    };
    const timer = setTimeout(() => done([]), METRICS_TIMEOUT_MS);
    child.on("message", onMessage);
    child.send({ type: "metrics", id } satisfies Message, (err) => err && done([]));
  });
}

/**
 * In the child: answers the parent's metrics requests, and stops (as on SIGTERM) when the parent
 * is gone, so a killed service never leaves its workers running on their own.
 */
export function serveParent(): void {
  process.on("message", (m: Message) => {
    if (m.type !== "metrics") return;
    void registry.getMetricsAsJSON().then((metrics) => {
      if (process.connected) process.send?.({ type: "metrics-reply", id: m.id, metrics } satisfies Message);
    });
  });
  const orphaned = () => process.kill(process.pid, "SIGTERM");
  if (process.connected) process.once("disconnect", orphaned);
  else orphaned();
}
