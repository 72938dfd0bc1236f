import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, probeExporter, tempDir } from "../helpers/exporter-process";

/**
 * A preload that, on SIGUSR2, leaves every other one of 300 000 old objects dead, runs a full
 * collection and reports the old generation's committed and used bytes: what a full collection
 * does with pages half free.
 */
const PROBE = `
process.on("SIGUSR2", () => {
  const v8 = require("v8");
  v8.setFlagsFromString("--expose-gc");
  const gc = require("vm").runInNewContext("gc");
  const objects = [];
  for (let i = 0; i < 300000; i++) objects.push({ i, text: "x" + i });
  gc();
  gc();
  for (let i = 0; i < objects.length; i += 2) objects[i] = null;
  gc();
  const old = v8.getHeapSpaceStatistics().find((s) => s.space_name === "old_space");
  // The kept half is read after the measurement, so it is still live when measured.
  require("fs").writeFileSync(process.env.PROBE_REPORT, JSON.stringify({ size: old.space_size, used: old.space_used_size, kept: objects.length }));
});
`;

interface OldSpace {
  size: number;
  used: number;
}

let dir: string;
let probe: string;

beforeAll(() => {
  dir = tempDir();
  probe = join(dir, "heap-probe.js");
  writeFileSync(probe, PROBE);
});

/** Bytes committed to the old generation beyond what its objects use, per byte used. */
const holes = (s: OldSpace) => (s.size - s.used) / s.used;

describe("the exporter compacts V8's old generation at every full collection", () => {
  it("leaves pages half free after a full collection in a plain node process, so the probe measures something", async () => {
    const report = join(dir, "plain-node.json");
    const child = spawn(process.execPath, ["--require", probe, "-e", "console.log('ready'); setInterval(() => {}, 1000)"], {
      env: { PATH: process.env.PATH ?? "", PROBE_REPORT: report },
    });
    try {
      // The preload has run once the script prints.
      await new Promise((ready) => child.stdout.once("data", ready));
      child.kill("SIGUSR2");
      const text = await eventually(async () => readFileSync(report, "utf8") || undefined, "the probe's report", 20_000);
      expect(holes(JSON.parse(text) as OldSpace)).toBeGreaterThan(0.5);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("hands those pages' objects over to fewer pages in the exporter", async () => {
    const report = await probeExporter(dir, ["--demo"], PROBE);
    expect(holes(JSON.parse(report) as OldSpace)).toBeLessThan(0.2);
  });
});
