/** The logger: pino as logfmt (the Prometheus ecosystem's default), JSON or pretty text at the chosen level. */
import pino, { Logger } from "pino";
import type PinoPretty from "pino-pretty";

export const LOG_FORMATS = ["logfmt", "json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Belt and braces: nothing we log carries a credential, and these paths are
 * censored anyway should one ever be passed by mistake.
 */
const REDACT = [
  "password",
  "secret_key",
  "secretKey",
  "security_token",
  "securityToken",
  "token",
  "signature",
  "authorization",
  "*.password",
  "*.secret_key",
  "*.secretKey",
  "*.security_token",
  "*.securityToken",
  "*.token",
  "*.signature",
  "*.authorization",
  "*.headers.authorization",
  '*.headers["x-auth-token"]',
];

export function createLogger(level: LogLevel, format: LogFormat, destination: NodeJS.WritableStream): Logger {
  const options = { level, base: undefined, redact: { paths: REDACT, censor: "<redacted>" } };
  if (format === "pretty") return pino(options, loadPretty()({ destination, colorize: false, sync: true }));
  if (format === "logfmt") return pino(options, logfmtStream(destination));
  return pino(options, destination);
}

/** pino-pretty (about 1.6 MB resident once loaded) is loaded only when the pretty format is chosen. */
function loadPretty(): typeof PinoPretty {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("pino-pretty") as { default: typeof PinoPretty }).default;
}

const LEVEL_NAMES: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

/** Turns pino's JSON lines into logfmt (`ts=... level=info msg="..." key=value`), as go-kit's logger writes them. */
export function logfmtStream(destination: NodeJS.WritableStream): { write(line: string): void } {
  return {
    write(line: string) {
      const { time, level, msg, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const fields: Array<[string, unknown]> = [
        ["ts", typeof time === "number" ? new Date(time).toISOString() : time],
        ["level", LEVEL_NAMES[level as number] ?? level],
        ["msg", msg],
        ...Object.entries(rest),
      ];
      destination.write(`${fields.map(([k, v]) => `${k}=${logfmtValue(v)}`).join(" ")}\n`);
    },
  };
}

function logfmtValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? "";
  return text === "" || /[\s="\\]/.test(text) ? JSON.stringify(text) : text;
}
