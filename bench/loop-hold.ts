/**
 * Preloaded into an exporter by `npm run bench -- fleet --loop-hold` (node -r): how long the event loop was held,
 * as the lateness of a 1 ms interval. Every second it writes the longest hold of that second to stderr.
 */
import { performance } from "node:perf_hooks";

let last = performance.now();
let longest = 0;
setInterval(() => {
  const now = performance.now();
  longest = Math.max(longest, now - last - 1);
  last = now;
}, 1).unref();
setInterval(() => {
  process.stderr.write(`bench-loop-hold-ms ${longest.toFixed(1)}\n`);
  longest = 0;
}, 1000).unref();
