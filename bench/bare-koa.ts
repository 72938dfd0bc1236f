/**
 * The reference for /metrics throughput: a bare Koa app sending fixed bytes from memory.
 *   node .bench-dist/bench/bare-koa.js <text file> <gzip file>   (prints its port)
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import Koa from "koa";

const [textFile, gzipFile] = process.argv.slice(2);
const text = readFileSync(textFile!);
const gzip = readFileSync(gzipFile!);
const app = new Koa();
app.use((ctx) => {
  ctx.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  ctx.vary("Accept-Encoding");
  if (ctx.acceptsEncodings("gzip", "identity") === "gzip") {
    ctx.set("Content-Encoding", "gzip");
    ctx.body = gzip;
  } else {
    ctx.body = text;
  }
});
const server = app.listen(0, "127.0.0.1", () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
process.once("SIGTERM", () => server.close(() => process.exit(0)));
