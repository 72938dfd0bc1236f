/** Reads a release-packages request body the way the service does, into a PackageQuery or a DLF.3051 reason. */
import { MAX_LIMIT, type OrderColumn, type SortDirection } from "../dataarts/model";
import type { PackageQuery, TimeRange } from "./package-query";

export type OffsetMode = "page" | "offset";

export type ParseResult = { ok: true; query: PackageQuery } | { ok: false; message: string };

const DEFAULT_LIMIT = 10;

class Invalid extends Error {}

/** The page's own example sends `""` (and null) for unset fields: those mean "absent". */
function isAbsent(v: unknown): boolean {
  return v === undefined || v === null || v === "";
}

function optString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (isAbsent(v)) return undefined;
  if (typeof v !== "string") throw new Invalid(`${key} must be a string`);
  return v;
}

/** An integer, or a string of digits: the service's JSON binding coerces those to Long. */
function toInteger(v: unknown, what: string): number {
  const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) throw new Invalid(`${what} must be an integer`);
  return n;
}

function optInteger(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  return isAbsent(v) ? undefined : toInteger(v, key);
}

function optArray(body: Record<string, unknown>, key: string): unknown[] | undefined {
  const v = body[key];
  if (isAbsent(v)) return undefined;
  if (!Array.isArray(v)) throw new Invalid(`${key} must be an array`);
  return v.length === 0 ? undefined : v;
}

function optNameSet(body: Record<string, unknown>, key: string): Set<string> | undefined {
  const arr = optArray(body, key);
  if (!arr) return undefined;
  if (!arr.every((x): x is string => typeof x === "string")) throw new Invalid(`${key} must be an array of strings`);
  return new Set(arr);
}

function range(body: Record<string, unknown>, prefix: "apply" | "deploy"): TimeRange {
  return { begin: optInteger(body, `${prefix}_begin_time`), end: optInteger(body, `${prefix}_end_time`) };
}

function direction(body: Record<string, unknown>): SortDirection {
  const v = optString(body, "sorted_direction")?.toLowerCase() ?? "desc";
  if (v !== "asc" && v !== "desc") throw new Invalid("sorted_direction must be asc or desc");
  return v;
}

function orderColumn(body: Record<string, unknown>): OrderColumn {
  const v = optString(body, "order_column") ?? "apply_timestamp";
  if (v !== "apply_timestamp" && v !== "deploy_timestamp") throw new Invalid("order_column must be apply_timestamp or deploy_timestamp");
  return v;
}

function limitOf(body: Record<string, unknown>): number {
  const limit = optInteger(body, "limit") ?? DEFAULT_LIMIT;
  if (limit > MAX_LIMIT) throw new Invalid(`limit must not exceed ${MAX_LIMIT}`);
  if (limit < 1) throw new Invalid("limit must be at least 1");
  return limit;
}

function decodeBody(raw: Buffer): Record<string, unknown> {
  const text = raw.toString("utf8");
  if (text.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Invalid("request body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Invalid("request body must be a JSON object");
  return body as Record<string, unknown>;
}

export function parseQuery(raw: Buffer, offsetMode: OffsetMode): ParseResult {
  try {
    const body = decodeBody(raw);
    const limit = limitOf(body);
    const offset = optInteger(body, "offset") ?? 0;
    if (offset < 0) throw new Invalid("offset must not be negative");
    const statuses = optArray(body, "deploy_status_filter")?.map((s) => toInteger(s, "deploy_status_filter item"));
    const query: PackageQuery = {
      keyWord: optString(body, "key_word"),
      applyUserName: optString(body, "apply_user_name"),
      deployUserName: optString(body, "deploy_user_name"),
      apply: range(body, "apply"),
      deploy: range(body, "deploy"),
      applyUsers: optNameSet(body, "apply_user_name_filter"),
      deployUsers: optNameSet(body, "deploy_user_name_filter"),
      statuses,
      order: orderColumn(body),
      direction: direction(body),
      limit,
      skip: offsetMode === "page" ? offset * limit : offset,
    };
    return { ok: true, query };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, message: err.message };
    throw err;
  }
}
