/** The HTTP transport on node:http and node:https: one keep-alive agent per endpoint, a deadline, a size cap. */
import * as http from "node:http";
import * as https from "node:https";
import type { Readable } from "node:stream";
import * as zlib from "node:zlib";
import { ApiError } from "./api-error";
import { MAX_RESPONSE_BYTES } from "./limits";
import type { Route, Routes } from "./route";
import { networkMessage, refusedByPlainProxy, refusedByProxy } from "./transport-errors";
import type { HttpResponse, Transport } from "./transport-contract";

export interface NodeTransportOptions {
  /** A project's proxy and TLS settings: each request takes its route's agent. Without them, one keep-alive agent per origin. */
  routes?: Routes;
}

/** One keep-alive agent per origin: the sockets to an endpoint are reused across workspaces and polls. */
function keepAliveAgents(): (url: URL) => http.Agent {
  const agents = new Map<string, http.Agent>();
  return (url) => {
    let agent = agents.get(url.origin);
    if (!agent) {
      agent = url.protocol === "https:" ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
      agents.set(url.origin, agent);
    }
    return agent;
  };
}

/**
 * Sends one request: resolves with any HTTP answer, rejects only with ApiError `timeout` (no
 * complete answer within the deadline), `network` (no answer) or `invalid_response` (larger than
 * MAX_RESPONSE_BYTES, or undecodable). No redirect is followed. A compressed answer (sent although
 * not asked for) is decompressed.
 */
export function nodeTransport(options: NodeTransportOptions = {}): Transport {
  const agentFor = keepAliveAgents();
  return (request) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const url = new URL(request.url);
      let route: Route | undefined;
      try {
        route = options.routes?.for(url);
      } catch (err) {
        return reject(new ApiError("network", (err as Error).message));
      }
      const send = url.protocol === "https:" ? https.request : http.request;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let req: http.ClientRequest | undefined;
      const fail = (err: ApiError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req?.destroy();
        reject(err);
      };
      const onResponse = (res: http.IncomingMessage) => {
        try {
          refusedByProxy(route, req, res.statusCode ?? 0, res.headers["proxy-authenticate"] !== undefined);
          refusedByPlainProxy(route, url, res.statusCode ?? 0, res.headers["x-request-id"] !== undefined);
        } catch (err) {
          return fail(err as ApiError);
        }
        const chunks: Buffer[] = [];
        let size = 0;
        const body = decoded(res, (err) => fail(new ApiError("invalid_response", `response body cannot be decoded: ${err.message}`)));
        body.on("data", (chunk: Buffer) => {
          size += chunk.length;
          // A gateway answering garbage must not be able to exhaust memory.
          if (size > MAX_RESPONSE_BYTES) return fail(new ApiError("invalid_response", `response larger than ${MAX_RESPONSE_BYTES} bytes`));
          chunks.push(chunk);
        });
        body.on("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: flattenHeaders(res.headers), body: Buffer.concat(chunks).toString("utf8") });
        });
        const cut = () => fail(new ApiError("network", "request failed: the connection closed before the whole response arrived"));
        res.on("aborted", cut);
        res.on("error", cut);
      };
      const networkError = (err: NodeJS.ErrnoException) => fail(new ApiError("network", networkMessage(url, route, err.code ?? err.message)));
      // A deadline for the whole exchange, body included.
      timer = setTimeout(() => fail(new ApiError("timeout", `no answer within ${request.timeoutMs}ms`)), request.timeoutMs);
      try {
        req = send(url, { method: request.method, headers: request.headers, agent: route?.agent ?? agentFor(url) }, onResponse);
      } catch (err) {
        // A header value node:http refuses (a control character, say): nothing was sent.
        return networkError(err as NodeJS.ErrnoException);
      }
      req.on("error", networkError);
      req.end(request.body);
    });
}

function decoded(res: http.IncomingMessage, onError: (err: Error) => void): Readable {
  const encoding = String(res.headers["content-encoding"] ?? "").trim().toLowerCase();
  const decoder =
    encoding === "gzip" || encoding === "x-gzip"
      ? zlib.createGunzip()
      : encoding === "deflate"
        ? zlib.createInflate()
        : encoding === "br"
          ? zlib.createBrotliDecompress()
          : undefined;
  if (!decoder) return res;
  decoder.on("error", onError);
  return res.pipe(decoder);
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
