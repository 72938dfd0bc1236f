/** What the simulator accepts as identity: IAM tokens it issued, a static token, and SDK-HMAC-SHA256 signatures. */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { parseAuthorization, parseSdkDate, sign } from "../dataarts/signer";

/** Fake credentials every scenario accepts. Safe to print: they only open the simulator. */
export const SIM_CREDENTIALS = {
  accessKey: "SIMULATORACCESSKEY01",
  secretKey: "simulator-secret-key-0000000000000000000",
  securityToken: "simulator-security-token",
  domain: "sim-domain",
  user: "sim-user",
  password: "sim-password",
  staticToken: "sim-static-token",
} as const;

/** The API gateway's tolerance for `X-Sdk-Date` drift. */
export const SIGNATURE_WINDOW_MS = 15 * 60 * 1000;

/** Issued tokens kept; older ones are forgotten (then answer "unknown", not "expired"). */
const MAX_TOKENS = 10_000;

export type AuthFailure = { code: "APIGW.0301" | "APIGW.0307"; message: string };

interface IssuedToken {
  projectId: string;
  expiresAt: number;
  revoked: boolean;
}

export class TokenRegistry {
  private readonly tokens = new Map<string, IssuedToken>();

  issue(projectId: string, expiresAt: number): string {
    const token = "MIIsim" + randomBytes(48).toString("base64url");
    this.tokens.set(token, { projectId, expiresAt, revoked: false });
    if (this.tokens.size > MAX_TOKENS) this.tokens.delete(this.tokens.keys().next().value!);
    return token;
  }

  expireAll(): void {
    for (const t of this.tokens.values()) t.revoked = true;
  }

  /** A token is good for the project it was scoped to; the static token for every project. */
  check(token: string, projectId: string, now: number): AuthFailure | undefined {
    if (safeEqual(token, SIM_CREDENTIALS.staticToken)) return undefined;
    const t = this.tokens.get(token);
    if (!t) return { code: "APIGW.0301", message: "Incorrect IAM authentication information: unknown token" };
    if (t.revoked || now >= t.expiresAt) return { code: "APIGW.0307", message: "The token expires." };
    if (t.projectId !== projectId) {
      return { code: "APIGW.0301", message: "Incorrect IAM authentication information: token is scoped to another project" };
    }
    return undefined;
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What signature verification needs from a request, exactly as received. */
export interface ReceivedRequest {
  method: string;
  /** Raw path, not decoded. */
  path: string;
  /** Raw query string, without `?`. */
  querystring: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  // A signed-header list is client input: never let it reach inherited properties.
  if (!Object.hasOwn(headers, name)) return undefined;
  const v = headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

/** Query parameters as the signer wants them; repeated keys become arrays. */
function queryParams(querystring: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(querystring)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function fail(message: string): AuthFailure {
  return { code: "APIGW.0301", message: `Incorrect IAM authentication information: ${message}` };
}

/** Checks the date window and the security token, then recomputes the signature over what was received. */
export function verifySignature(req: ReceivedRequest, now: number): AuthFailure | undefined {
  const auth = parseAuthorization(header(req.headers, "authorization"));
  if (!auth) return fail("malformed Authorization header");
  if (auth.accessKey !== SIM_CREDENTIALS.accessKey) return fail("unknown access key");
  if (!auth.signedHeaders.includes("x-sdk-date")) return fail("x-sdk-date must be signed");
  const date = parseSdkDate(header(req.headers, "x-sdk-date") ?? "");
  if (!date) return fail("missing or malformed X-Sdk-Date");
  if (Math.abs(now - date.getTime()) > SIGNATURE_WINDOW_MS) return fail("X-Sdk-Date is more than 15 minutes off");
  const securityToken = header(req.headers, "x-security-token");
  if (securityToken !== undefined && !safeEqual(securityToken, SIM_CREDENTIALS.securityToken)) return fail("invalid security token");
  const signed: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of auth.signedHeaders) {
    const value = header(req.headers, name);
    if (value === undefined) return fail(`signed header ${name} is missing`);
    signed[name] = value;
  }
  const expected = sign(
    { method: req.method, path: req.path, query: queryParams(req.querystring), headers: signed, body: req.body },
    SIM_CREDENTIALS,
  );
  return safeEqual(expected.signature, auth.signature) ? undefined : fail("signature does not match");
}

/** The DataArts routes' gate: a token when one is sent, else a signature, else nothing (rejected). */
export function authenticate(req: ReceivedRequest, projectId: string, tokens: TokenRegistry, now: number): AuthFailure | undefined {
  const token = header(req.headers, "x-auth-token");
  if (token !== undefined && token !== "") return tokens.check(token, projectId, now);
  if (header(req.headers, "authorization") !== undefined) return verifySignature(req, now);
  return fail("no X-Auth-Token or Authorization header");
}
