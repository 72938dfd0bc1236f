import { Writable } from "node:stream";
import { createLogger } from "../../src/logger";

function capture() {
  let out = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { stream, text: () => out };
}

describe("logfmt logs", () => {
  it("write ts, level and msg first, then the fields, quoting only what needs it", () => {
    const c = capture();
    const logger = createLogger("debug", "logfmt", c.stream);
    logger.info({ address: "http://127.0.0.1:1", workspaces: 3, shard: { a: 1 }, empty: "", quote: 'say "hi"' }, "exporter started");
    const line = c.text().trim();
    expect(line).toMatch(/^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=info msg="exporter started" /);
    expect(line).toContain(" address=http://127.0.0.1:1 workspaces=3 ");
    expect(line).toContain(' shard="{\\"a\\":1}" empty="" quote="say \\"hi\\""');
  });

  it("keep the redaction of secrets", () => {
    const c = capture();
    createLogger("info", "logfmt", c.stream).info({ password: "hunter2", headers: { authorization: "Basic x" } }, "x");
    expect(c.text()).not.toContain("hunter2");
    expect(c.text()).not.toContain("Basic x");
  });

  it("stay one line per entry at debug level", () => {
    const c = capture();
    const logger = createLogger("info", "logfmt", c.stream);
    logger.debug("hidden");
    logger.warn({ reason: "two\nlines" }, "careful");
    expect(c.text().split("\n").filter(Boolean)).toEqual([expect.stringMatching(/level=warn msg=careful reason="two\\nlines"$/)]);
  });
});
