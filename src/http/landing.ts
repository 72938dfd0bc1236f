/** The landing page: links, versions and a table of workspaces with their health. */
import { escapeLabelValue } from "../metrics/exposition";
import { WorkspaceState } from "../polling/state";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface LandingInfo {
  version: string;
  telemetryPath: string;
  nowMs: number;
  /** What --web.config.file turns on; shown so that an operator can see the face is protected. */
  web?: { tls: boolean; basicAuth: boolean; clientAuth: string };
}

function security(web: LandingInfo["web"]): string {
  const tls = web?.tls ? `TLS: on${web.clientAuth !== "NoClientCert" ? ` (client certificates: ${escapeHtml(web.clientAuth)})` : ""}` : "TLS: off";
  return `${tls} · basic auth: ${web?.basicAuth ? "on" : "off"}`;
}

/** A small page for humans: what this is, where the metrics are, and how each workspace is doing. No secrets. */
export function renderLandingPage(info: LandingInfo, states: WorkspaceState[]): string {
  const rows = states
    .map((s) => {
      const last = s.lastSuccessMs === undefined ? "never" : `${Math.round((info.nowMs - s.lastSuccessMs) / 1000)}s ago`;
      // Written as on the metrics' series, so a quote or backslash in a value reads the same in both.
      const labels = (s.key.labels ?? []).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(", ");
      const cells = [s.key.projectId, s.key.workspaceId, s.key.name, labels, s.up ? "up" : "down", last];
      return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`;
    })
    .join("\n");
  const path = escapeHtml(info.telemetryPath);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>DataArts Exporter</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em}</style>
</head><body>
<h1>DataArts Exporter</h1>
<p>Prometheus exporter for Huawei Cloud DataArts Studio release packages, version ${escapeHtml(info.version)}.</p>
<p>${security(info.web)}</p>
<p><a href="${path}">Metrics</a> · <a href="/-/healthy">Health</a> · <a href="/-/ready">Readiness</a></p>
<h2>Workspaces</h2>
<table><thead><tr><th>project_id</th><th>workspace_id</th><th>workspace</th><th>labels</th><th>state</th><th>last success</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="6">no workspaces</td></tr>'}
</tbody></table>
</body></html>
`;
}
