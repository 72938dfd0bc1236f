/** Injected faults at work: taking one from a workspace's queue, and the answers it gives. */
import type { ReleasePackagePage } from "../dataarts/model";
import { sendError, sendRaw, waitForCloseOr, type SimContext } from "./http";
import type { WorkspaceData } from "./workspace-data";
import { OPTIONAL_PACKAGE_FIELDS, type Fault } from "./types";

/** Takes the fault that answers this request, counting down (and dropping) one with `times`. */
export function takeFault(ws: WorkspaceData): Fault | undefined {
  const fault = ws.faults[0];
  if (!fault) return undefined;
  if (fault.times !== undefined) {
    if (fault.times <= 1) ws.faults.shift();
    else ws.faults[0] = { ...fault, times: fault.times - 1 };
  }
  return fault;
}

const HTML_ERROR_PAGE = (status: number): string =>
  `<!DOCTYPE html>\n<html><head><title>${status} Error</title></head><body><center><h1>${status} Error</h1></center><hr><center>nginx</center></body></html>\n`;

const HTML_LOGIN_PAGE =
  `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Huawei Cloud</title></head>` +
  `<body><div id="app">Loading...</div><script src="/static/app.js"></script></body></html>\n`;

/**
 * Faults that answer on their own, without the real result. Returns true when the request is
 * answered (or abandoned); false when the real answer should follow (a slow fault after its delay,
 * or a fault that corrupts the real answer, see corruptAnswer).
 */
export async function answerFault(ctx: SimContext, fault: Fault): Promise<boolean> {
  switch (fault.kind) {
    case "server_error": {
      const status = fault.status ?? 500;
      if (fault.html) sendRaw(ctx, status, "text/html; charset=utf-8", HTML_ERROR_PAGE(status));
      else sendError(ctx, status, "DLF.0100", "Internal server error, please try again later.");
      return true;
    }
    case "throttle":
      if (fault.retryAfter !== undefined) ctx.set("Retry-After", fault.retryAfter);
      sendError(ctx, 429, "APIGW.0308", "The throttling threshold has been reached.");
      return true;
    case "slow":
      return (await waitForCloseOr(ctx.res, fault.delayMs)) === "closed";
    case "hang":
      await waitForCloseOr(ctx.res);
      return true;
    case "html":
      sendRaw(ctx, 200, "text/html; charset=utf-8", HTML_LOGIN_PAGE);
      return true;
    case "status": {
      const message = fault.errorMsg ?? `Simulated error ${fault.errorCode}.`;
      sendError(ctx, fault.status, fault.errorCode, fault.errorMsgBytes ? padTo(message, fault.errorMsgBytes) : message);
      return true;
    }
    case "malformed_json":
    case "wrong_shape":
    case "null_fields":
    case "truncated":
      return false;
  }
}

/** `text` repeated (and cut) to exactly `bytes` ASCII characters. */
function padTo(text: string, bytes: number): string {
  const unit = text.length > 0 ? text : "x";
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}

/**
 * Sends the headers of `body` with its full Content-Length, then only its first half, then
 * closes the connection: what a client sees when a proxy or the network drops a response midway.
 */
export function sendTruncated(ctx: SimContext, body: string): void {
  const bytes = Buffer.from(body);
  ctx.respond = false;
  const res = ctx.res;
  res.writeHead(200, { "Content-Type": "application/json;charset=UTF-8", "Content-Length": bytes.length, "X-Request-Id": String(ctx.response.get("X-Request-Id")) });
  res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
}

/** The real page's JSON, bent the way the fault says. */
export function corruptAnswer(fault: Fault, page: ReleasePackagePage): string | undefined {
  if (fault.kind === "null_fields") {
    const fields = fault.fields ?? OPTIONAL_PACKAGE_FIELDS;
    const data = page.data.map((p) => ({ ...p, ...Object.fromEntries(fields.map((f) => [f, null])) }));
    return JSON.stringify({ data, total: page.total });
  }
  if (fault.kind === "malformed_json") {
    const json = JSON.stringify(page);
    // Any proper prefix of a JSON object is invalid JSON.
    return json.slice(0, Math.max(1, Math.floor(json.length / 2)));
  }
  if (fault.kind !== "wrong_shape") return undefined;
  switch (fault.variant) {
    case "data_not_array":
      return JSON.stringify({ data: { items: page.data }, total: page.total });
    case "total_not_number":
      return JSON.stringify({ data: page.data, total: String(page.total) });
    case "timestamp_not_number": {
      const sample = page.data.length > 0 ? page.data : [{ package_id: "0", deploy_status: 1, apply_timestamp: 0, deploy_timestamp: 0 }];
      const data = sample.map((p) => ({ ...p, apply_timestamp: new Date(p.apply_timestamp).toISOString() }));
      return JSON.stringify({ data, total: Math.max(page.total, data.length) });
    }
    case "not_an_object":
      return JSON.stringify(page.data);
  }
}
