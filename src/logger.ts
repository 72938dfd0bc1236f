/** The logger: pino as JSON or pretty text at the chosen level. */
import pino, { Logger } from "pino";
import pretty from "pino-pretty";

export type LogFormat = "json" | "pretty";
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
  if (format === "pretty") return pino(options, pretty({ destination, colorize: false, sync: true }));
  return pino(options, destination);
}
