/** The `--api.check` report as text for a person; pure. */
import { formatSkew } from "../dataarts/clock-skew";
import { ApiCheckReport, EndpointReport, Finding, ProjectReport, QueryReport, Result, WorkspaceReport } from "./report";

const MARK: Record<Result, string> = { pass: "ok", warn: "WARN", fail: "FAIL" };

function findingLines(findings: Finding[], indent: string): string[] {
  return findings.map((f) => `${indent}${f.severity === "fail" ? "FAIL" : "WARN"}  ${f.message}`);
}

function duration(seconds: number | null): string {
  return seconds === null ? "none" : formatSkew(seconds);
}

function endpointLines(e: EndpointReport): string[] {
  const lines = [`  endpoint ${e.url} (${e.role}): ${MARK[e.result]}`];
  if (e.proxy) lines.push(`    proxy      ${e.proxy.address} (from ${e.proxy.from})`);
  if (e.dns) lines.push(`    dns        ${e.dns.ms} ms: ${e.dns.addresses.join(", ")}`);
  if (e.connect) lines.push(`    connect    ${e.connect.ms} ms`);
  if (e.tunnel) lines.push(`    tunnel     CONNECT answered ${e.tunnel.status} in ${e.tunnel.ms} ms`);
  if (e.tls) {
    const t = e.tls;
    lines.push(`    tls        ${t.protocol} in ${t.ms} ms, ${t.trusted ? "trusted" : "NOT trusted"}`);
    lines.push(`    cert       subject ${t.subject}; issuer ${t.issuer}; expires ${t.valid_to} (${t.days_to_expiry} days)`);
  }
  if (e.clock) {
    const s = e.clock.skew_seconds;
    const side = Math.abs(s) < 1 ? "in step with ours" : `${formatSkew(s)} ${s > 0 ? "ahead of" : "behind"} ours`;
    lines.push(`    clock      the service's clock is ${side}${e.clock.flagged ? " (over 5 minutes: flagged)" : ""}`);
  }
  return [...lines, ...findingLines(e.findings, "    ")];
}

function queryLine(q: QueryReport): string {
  const filter = JSON.stringify(q.filter);
  const answer = q.error ?? `total ${q.total}, ${q.returned} returned`;
  const latency = q.latency_ms === null ? "" : ` ${q.latency_ms} ms`;
  return `    query      ${filter} -> ${q.status}${latency}, ${answer}${q.request_id ? `, request ${q.request_id}` : ""}`;
}

const READING: Record<WorkspaceReport["offset_reading"], string> = {
  page: "read as a page number (offset=1 is the second page)",
  offset: "read as a record offset (offset=N skips N packages)",
  unknown: "not determined (too few packages, or the check stopped early)",
};

function workspaceLines(w: WorkspaceReport): string[] {
  const lines = [`  workspace ${w.name} (${w.workspace_id}, ${w.source}): ${MARK[w.result]}`];
  lines.push(...w.queries.map(queryLine));
  lines.push(`    offset     ${READING[w.offset_reading]}`);
  if (w.would_publish) {
    const p = w.would_publish;
    const counts = Object.entries(p.counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    lines.push(`    publish    ${counts}; oldest pending ${duration(p.oldest_pending_age_seconds)}; longest running ${duration(p.longest_running_seconds)}; last failure ${p.last_failure_at ?? "none"}`);
  }
  lines.push(`    sample     ${w.sample_size} package(s) checked`);
  return [...lines, ...findingLines(w.findings, "    ")];
}

function projectLines(p: ProjectReport): string[] {
  const lines = [`Project ${p.project_id} (${p.region}): ${MARK[p.result]}`];
  for (const e of p.endpoints) lines.push(...endpointLines(e));
  const a = p.auth;
  const expiry = a.token_expires_at ? `, token expires ${a.token_expires_at}` : "";
  lines.push(`  auth ${a.type}${a.identity ? ` as ${a.identity}` : ""}: ${MARK[a.result]}${expiry}`, ...findingLines(a.findings, "    "));
  if (p.discovery) {
    const d = p.discovery;
    const names = d.workspaces.map((w) => `${w.name} (${w.id})`).join(", ");
    lines.push(`  discovery instance ${d.instance_id}: ${MARK[d.result]}, ${d.workspaces.length} workspace(s)${names ? `: ${names}` : ""}`);
    lines.push(...findingLines(d.findings, "    "));
  }
  if (p.other_shards > 0) lines.push(`  ${p.other_shards} workspace(s) belong to other shards and were not checked`);
  for (const w of p.workspaces) lines.push(...workspaceLines(w));
  return lines;
}

export function renderText(report: ApiCheckReport): string {
  const lines = [`dataarts-exporter ${report.exporter_version} API check of ${report.config_file} at ${report.started_at}`, ""];
  for (const p of report.projects) lines.push(...projectLines(p), "");
  const s = report.summary;
  lines.push(`Result: ${report.result === "fail" ? "FAIL" : "PASS"} (${s.passed} passed, ${s.warnings} with warnings, ${s.failed} failed) in ${report.duration_ms} ms`);
  return lines.join("\n") + "\n";
}
