import { ConfigError } from "../../../src/config/config-error";
import { USAGE, parseFlags } from "../../../src/flags";

describe("the --api.check flags", () => {
  it("are off by default, with the text format", () => {
    expect(parseFlags([])).toMatchObject({ apiCheck: false, apiCheckFormat: "text" });
  });

  it("read --api.check and --api.check.format=json", () => {
    expect(parseFlags(["--api.check", "--api.check.format=json"])).toMatchObject({ apiCheck: true, apiCheckFormat: "json" });
  });

  it("refuse another format with a one-line reason", () => {
    expect(() => parseFlags(["--api.check.format=yaml"])).toThrow(ConfigError);
    expect(() => parseFlags(["--api.check.format=yaml"])).toThrow('--api.check.format: "yaml" is not text or json');
  });

  it("are in the usage text with their exit codes", () => {
    expect(USAGE).toContain("--api.check ");
    expect(USAGE).toContain("0 all passed, 1 something failed, 2 invalid configuration");
  });
});
