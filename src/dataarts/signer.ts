/** SDK-HMAC-SHA256 request signing (Huawei Cloud APIG), pure and checked against known-answer vectors. */
import { createHash, createHmac } from "node:crypto";

/** Huawei Cloud API gateway request signing (SDK-HMAC-SHA256), as the official SDKs do it. */
const ALGORITHM = "SDK-HMAC-SHA256";

export interface SignableRequest {
  method: string;
  /** Path only, without query string, exactly as sent on the wire (segments are encoded again, as the official SDKs do). */
  path: string;
  query?: Record<string, string | number | Array<string | number>>;
  /** Headers to sign; names in any case. `X-Sdk-Date` must be among them. */
  headers: Record<string, string>;
  /** The exact body bytes sent. */
  body?: string | Buffer;
}

export interface AkSk {
  accessKey: string;
  secretKey: string;
}

/** `YYYYMMDDTHHMMSSZ` in UTC, the format of `X-Sdk-Date`. */
export function sdkDate(at: Date): string {
  // Cut from the ISO form by position (`YYYY-MM-DDTHH:MM:SS.sssZ`): called for every signed request.
  const iso = at.toISOString();
  return iso.length === 24
    ? iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 13) + iso.slice(14, 16) + iso.slice(17, 19) + "Z"
    : iso.replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** Parses an `X-Sdk-Date` value; undefined when it is not in the expected format. */
export function parseSdkDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const UNRESERVED = /[A-Za-z0-9\-_.~]/;
const ALL_UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;

/** RFC 3986 encoding that keeps only unreserved characters, upper-case hex. */
export function uriEncode(value: string): string {
  // Path segments and query values are nearly always plain: one test instead of one per character.
  if (ALL_UNRESERVED.test(value)) return value;
  let out = "";
  for (const ch of value) {
    if (UNRESERVED.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, "utf8")) out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

export function canonicalUri(path: string): string {
  const encoded = path
    .split("/")
    .map((segment) => uriEncode(segment))
    .join("/");
  return encoded.endsWith("/") ? encoded : encoded + "/";
}

export function canonicalQuery(query: SignableRequest["query"] = {}): string {
  const parts: string[] = [];
  for (const key of Object.keys(query).sort()) {
    const raw = query[key]!;
    const values = Array.isArray(raw) ? raw.map(String).sort() : [String(raw)];
    for (const v of values) parts.push(`${uriEncode(key)}=${uriEncode(v)}`);
  }
  return parts.join("&");
}

function lowerCaseHeaders(headers: Record<string, string>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) map.set(name.toLowerCase(), value.trim());
  return map;
}

function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

export interface Signature {
  signedHeaders: string;
  signature: string;
  authorization: string;
}

/**
 * Signs a request. Pure: the date comes from the request's own `X-Sdk-Date`
 * header, so callers inject the clock by choosing that header.
 */
export function sign(request: SignableRequest, credentials: AkSk): Signature {
  const headers = lowerCaseHeaders(request.headers);
  const date = headers.get("x-sdk-date");
  if (!date) throw new TypeError("X-Sdk-Date header is required to sign a request");
  const names = [...headers.keys()].sort();
  const signedHeaders = names.join(";");
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(request.path),
    canonicalQuery(request.query),
    names.map((n) => `${n}:${headers.get(n)}\n`).join(""),
    signedHeaders,
    sha256Hex(request.body ?? ""),
  ].join("\n");
  const stringToSign = [ALGORITHM, date, sha256Hex(canonicalRequest)].join("\n");
  const signature = createHmac("sha256", credentials.secretKey).update(stringToSign).digest("hex");
  return {
    signedHeaders,
    signature,
    authorization: `${ALGORITHM} Access=${credentials.accessKey}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

export interface ParsedAuthorization {
  accessKey: string;
  signedHeaders: string[];
  signature: string;
}

/** Reads an `Authorization: SDK-HMAC-SHA256 ...` header; undefined when malformed. */
export function parseAuthorization(value: string | undefined): ParsedAuthorization | undefined {
  if (!value) return undefined;
  const m = /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(value.trim());
  if (!m) return undefined;
  return { accessKey: m[1]!, signedHeaders: m[2]!.split(";"), signature: m[3]! };
}
