import { parseArgs, run, UsageError } from "../../src/simulator/cli";
import { SIM_CREDENTIALS } from "../../src/simulator";
import { send } from "./helpers";

describe("simulator CLI flags", () => {
  it("defaults to the demo scenario on 127.0.0.1:8080 with offset read as a page", () => {
    expect(parseArgs([])).toEqual({ port: 8080, host: "127.0.0.1", scenario: "demo", offsetMode: "page", tickMs: 5000, clockOffsetS: 0 });
  });

  it("reads --flag value and --flag=value forms", () => {
    expect(parseArgs(["--port", "0", "--scenario=small", "--offset-mode", "offset", "--host=::1", "--tick-ms", "250", "--token-ttl-ms", "60000"])).toEqual({
      port: 0, host: "::1", scenario: "small", offsetMode: "offset", tickMs: 250, tokenTtlMs: 60000, clockOffsetS: 0,
    });
  });

  it("reads a clock offset either side of the machine's clock, and TLS files as a pair", () => {
    expect(parseArgs(["--clock-offset-s=-1200"])).toMatchObject({ clockOffsetS: -1200 });
    expect(parseArgs(["--clock-offset-s", "90"])).toMatchObject({ clockOffsetS: 90 });
    expect(parseArgs(["--tls-cert", "c.pem", "--tls-key", "k.pem"])).toMatchObject({ tlsCert: "c.pem", tlsKey: "k.pem" });
  });

  it("answers --help", () => {
    expect(parseArgs(["--help"])).toBe("help");
  });

  it.each([
    [["--port", "http"], /--port must be an integer/],
    [["--port", "70000"], /--port must be an integer/],
    [["--port"], /--port needs a value/],
    [["--scenario", "huge"], /unknown scenario "huge"; valid: demo, small, empty/],
    [["--offset-mode", "cursor"], /--offset-mode must be page or offset/],
    [["--verbose", "1"], /unknown flag --verbose/],
    [["8080"], /unexpected argument "8080"/],
    [["--clock-offset-s", "ten"], /--clock-offset-s must be an integer/],
    [["--tls-cert", "c.pem"], /--tls-cert and --tls-key go together/],
  ])("refuses %j with a one-line reason", (argv, reason) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(reason);
    try {
      parseArgs(argv);
    } catch (err) {
      expect((err as Error).message).not.toContain("\n");
    }
  });
});

describe("simulator CLI run", () => {
  it("prints the URL, the fake credentials and the workspaces, serves, and stops", async () => {
    const lines: string[] = [];
    const stop = await run({ port: 0, host: "127.0.0.1", scenario: "small", offsetMode: "page", tickMs: 5000, clockOffsetS: 0 }, (l) => lines.push(l));
    const out = lines.join("\n");
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(url).toBeDefined();
    for (const secret of [SIM_CREDENTIALS.accessKey, SIM_CREDENTIALS.secretKey, SIM_CREDENTIALS.password, SIM_CREDENTIALS.staticToken]) expect(out).toContain(secret);
    expect(out).toMatch(/workspace [0-9a-f]{32} {2}Sales DW \(default\)/);
    expect((await send(url!, { path: "/-/sim/counts" })).status).toBe(200);
    await stop();
    await expect(send(url!, { path: "/-/sim/counts" })).rejects.toThrow(/ECONNREFUSED|ECONNRESET|socket hang up/);
  });
});
