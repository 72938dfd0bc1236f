/** Pure checks of what the service answered: package fields, statuses, timestamps, filters, totals. */
import { DeployStatus } from "../dataarts/model";
import { Finding } from "./report";

const DOCUMENTED_STATUSES: ReadonlySet<number> = new Set(Object.values(DeployStatus));
/** 13-digit Unix milliseconds: from 2001-09-09 to 2286. */
const MIN_MS = 1e12;
const MAX_MS = 1e13;

type Raw = Record<string, unknown>;

/** Fields the exporter reads or shows, with the type it expects; `required` ones it cannot do without. */
const FIELDS: Array<{ name: string; type: "string" | "number" | "id"; required: boolean }> = [
  { name: "package_id", type: "id", required: true },
  { name: "package_name", type: "string", required: false },
  { name: "apply_timestamp", type: "number", required: true },
  { name: "apply_user_name", type: "string", required: false },
  { name: "deploy_status", type: "number", required: true },
  { name: "deploy_timestamp", type: "number", required: false },
  { name: "deploy_user_name", type: "string", required: false },
];

function typeOk(value: unknown, type: "string" | "number" | "id"): boolean {
  if (type === "id") return typeof value === "string" || typeof value === "number";
  return typeof value === type;
}

/**
 * Findings about sample packages: missing fields and wrong types (counted per field, so a
 * page of 100 makes one line each), `deploy_status` outside 1, 2, 3, 5, and timestamps
 * that are not 13-digit milliseconds.
 */
export function inspectPackages(packages: readonly Raw[]): Finding[] {
  const findings: Finding[] = [];
  const n = packages.length;
  for (const field of FIELDS) {
    const present = packages.filter((p) => p[field.name] !== undefined && p[field.name] !== null);
    const missing = n - present.length;
    if (missing > 0 && (field.required || missing === n)) {
      findings.push({ severity: field.required ? "fail" : "warn", message: `${missing} of ${n} sample package(s) lack ${field.name}` });
    }
    const wrong = present.filter((p) => !typeOk(p[field.name], field.type));
    if (wrong.length > 0) {
      const example = typeof wrong[0]![field.name];
      findings.push({
        severity: field.required ? "fail" : "warn",
        message: `${wrong.length} of ${n} sample package(s) have ${field.name} of type ${example}, expected ${field.type === "id" ? "string" : field.type}`,
      });
    }
  }
  const odd = new Map<string, number>();
  for (const p of packages) {
    const s = p.deploy_status;
    if (typeof s === "number" && !DOCUMENTED_STATUSES.has(s)) odd.set(String(s), (odd.get(String(s)) ?? 0) + 1);
  }
  for (const [status, count] of odd) {
    findings.push({
      severity: "warn",
      message: `deploy_status ${status} is outside the documented set (1, 2, 3, 5) in ${count} sample package(s); such packages are in none of the exporter's per-status counts`,
    });
  }
  for (const name of ["apply_timestamp", "deploy_timestamp"]) {
    const bad = packages.filter((p) => {
      const v = p[name];
      return typeof v === "number" && v !== 0 && (v < MIN_MS || v >= MAX_MS);
    });
    if (bad.length > 0) {
      findings.push({
        severity: "fail",
        message: `${bad.length} of ${n} sample package(s) have a ${name} that is not 13-digit Unix milliseconds (e.g. ${String(bad[0]![name])})`,
      });
    }
  }
  return findings;
}

/** A page answered for a `deploy_status_filter` must hold only those statuses, or the service ignores the filter. */
export function inspectFilter(filter: { deploy_status_filter?: number[] }, packages: readonly Raw[]): Finding[] {
  const wanted = filter.deploy_status_filter;
  if (!wanted) return [];
  const other = packages.filter((p) => !wanted.includes(p.deploy_status as number));
  if (other.length === 0) return [];
  return [
    {
      severity: "fail",
      message: `asked for deploy_status ${wanted.join(",")} but ${other.length} of ${packages.length} package(s) returned have another status (${String(other[0]!.deploy_status)}): the service does not apply deploy_status_filter as documented, so counts would be wrong`,
    },
  ];
}

/** The per-status totals against the unfiltered total: a gap means statuses outside the documented set, or filters read differently. */
export function inspectTotals(counts: Record<string, number>, unfilteredTotal: number | undefined): Finding[] {
  if (unfilteredTotal === undefined) return [];
  const sum = Object.values(counts).reduce((a, b) => a + b, 0);
  if (sum === unfilteredTotal) return [];
  if (sum < unfilteredTotal) {
    return [{ severity: "warn", message: `the per-status totals add up to ${sum} but the workspace holds ${unfilteredTotal} package(s): ${unfilteredTotal - sum} are in statuses the exporter does not count` }];
  }
  return [{ severity: "fail", message: `the per-status totals add up to ${sum}, more than the ${unfilteredTotal} package(s) the workspace holds: the service reads deploy_status_filter differently` }];
}
