// Preloaded (`--import`) into a service under test: SIGWINCH to its process makes its worker thread die
// of an uncaught error, as a bug in the workers would. A thread gets no signals of its own.
import { BroadcastChannel, isMainThread } from "node:worker_threads";

const channel = new BroadcastChannel("test:crash-worker-thread");
channel.unref();
if (isMainThread) {
  process.on("SIGWINCH", () => channel.postMessage("crash"));
} else {
  channel.onmessage = () => {
    throw new Error("the worker thread crashed on purpose (test)");
  };
}
