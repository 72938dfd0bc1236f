import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { tempDir } from "../helpers/exporter-process";
import { createTempRoot, removeTempRoot, TEMP_ROOT } from "../setup/temp-root";

describe("the test run's temporary directory", () => {
  it("is where this worker's temporary files go", () => {
    const root = process.env[TEMP_ROOT];
    expect(basename(root ?? "")).toMatch(/^dataarts-exporter-tests-/);
    expect(tmpdir()).toBe(root);
    expect(tempDir().startsWith(`${root}/`)).toBe(true);
  });

  it("is removed with everything in it, and TMPDIR is given back", () => {
    const outer = mkdtempSync(join(tmpdir(), "outer-"));
    try {
      const env: Record<string, string | undefined> = { TMPDIR: outer, PATH: "/bin" };
      const root = createTempRoot(env);
      expect(env.TMPDIR).toBe(root);
      expect(root.startsWith(`${outer}/`)).toBe(true);
      mkdirSync(join(root, "left-by-a-test"));
      writeFileSync(join(root, "left-by-a-test", "server.key"), "private");
      removeTempRoot(env);
      expect(existsSync(root)).toBe(false);
      expect(env).toEqual({ TMPDIR: outer, PATH: "/bin" });
    } finally {
      rmSync(outer, { recursive: true, force: true });
    }
  });

  it("leaves TMPDIR unset when it was unset", () => {
    const env: Record<string, string | undefined> = {};
    const root = createTempRoot(env);
    removeTempRoot(env);
    expect(existsSync(root)).toBe(false);
    expect(env).toEqual({});
  });
});
