/** The HTTPS listener: certificates from the web config, client-certificate rules, handshake limits and rotation. */
import { createServer } from "node:https";
import type { Server as HttpsServer } from "node:https";
import type { Http2SecureServer } from "node:http2";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Logger } from "pino";
import { WebConfigSource } from "./web-config-source";
import { TlsMaterial, TlsSettings, clientCertOptions, secureContextOptions } from "./web-config";
import type { Handler } from "./http2-listener";

export interface HandshakeLimits {
  /** A client must finish its handshake within this; Node's default (120 s) lets a stalled client sit too long. */
  timeoutMs: number;
  /** Handshakes in progress at once; a new connection beyond this closes the oldest unfinished one. */
  maxPending: number;
  /** An established connection with nothing to do is closed after this (HTTP/1.1 keep-alive, HTTP/2 session); Node's HTTP/1.1 default. */
  idleTimeoutMs?: number;
}

export const DEFAULT_HANDSHAKE_LIMITS: HandshakeLimits = { timeoutMs: 10_000, maxPending: 128, idleTimeoutMs: 5_000 };

/** HTTPS with HTTP/1.1 only (`http2: false`), or HTTP/2 with HTTP/1.1 on the same port (the toolkit's default). */
export type TlsServer = HttpsServer | Http2SecureServer;

const socketsOf = new WeakMap<TlsServer, Set<Socket>>();

/**
 * An HTTPS server whose certificates and client rules follow the web config. Before each
 * new connection's handshake the config's files are checked for changes (certificate
 * rotation without restart). Unfinished handshakes are bounded and the oldest is dropped
 * first, so clients that never finish cannot keep a scraper out.
 */
export function createTlsServer(handler: Handler, source: WebConfigSource, limits: HandshakeLimits, logger: Logger): TlsServer {
  const material = source.current.tls!;
  const options = { ...secureContextOptions(material), ...clientCertOptions(material.settings), handshakeTimeout: limits.timeoutMs };
  const idleTimeoutMs = limits.idleTimeoutMs ?? DEFAULT_HANDSHAKE_LIMITS.idleTimeoutMs!;
  const server: TlsServer = source.current.http2
    ? http2Listener().createHttp2Listener(options, handler, idleTimeoutMs)
    : Object.assign(createServer({ ...options, ALPNProtocols: ["http/1.1"] }, handler as Parameters<typeof createServer>[1]), { keepAliveTimeout: idleTimeoutMs });
  let settings = material.settings;
  const apply = (m: TlsMaterial) => {
    settings = m.settings;
    server.setSecureContext(secureContextOptions(m));
    // Not part of the secure context: Node reads these from the server for each new connection.
    Object.assign(server, clientCertOptions(m.settings));
  };
  source.onChange((config) => config.tls && apply(config.tls));

  const pending = new Map<string, Socket>();
  const sockets = new Set<Socket>();
  socketsOf.set(server, sockets);
  const keyOf = (s: { remoteAddress?: string; remotePort?: number }) => `${s.remoteAddress}|${s.remotePort}`;
  // Prepended: runs before Node's own listener wraps the socket, so a rotated certificate serves this very connection.
  server.prependListener("connection", (socket: Socket) => {
    source.refresh();
    if (pending.size >= limits.maxPending) {
      const [oldestKey, oldest] = pending.entries().next().value!;
      pending.delete(oldestKey);
      oldest.destroy();
    }
    const key = keyOf(socket);
    pending.set(key, socket);
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      if (pending.get(key) === socket) pending.delete(key);
    });
  });
  server.prependListener("secureConnection", (socket: TLSSocket) => {
    pending.delete(keyOf(socket));
    const refusal = refuseClient(socket, settings);
    if (refusal) {
      logger.debug({ remote: socket.remoteAddress, reason: refusal }, "client certificate refused");
      socket.destroy();
    }
  });
  server.on("tlsClientError", (err: Error & { code?: string }, socket: TLSSocket) => {
    logger.debug({ remote: socket.remoteAddress, err: err.code ?? err.message }, "TLS handshake failed");
    if (err.code === "ERR_SSL_HTTP_REQUEST") answerPlainHttp(socket);
  });
  return server;
}

/** node:http2 is loaded only when a TLS listener serves HTTP/2: the exporter without it is about 0.5 MiB smaller resident. */
function http2Listener(): typeof import("./http2-listener") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("./http2-listener") as typeof import("./http2-listener");
}

/** Closes a listener made by createTlsServer, ending keep-alive and in-flight connections within about a second. */
export function closeTlsServer(server: TlsServer): Promise<void> {
  if (!("closeAllConnections" in server)) return http2Listener().closeHttp2Listener(server, socketsOf.get(server) ?? []);
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
      // Node's HTTP code does not know connections still in their handshake; they would hold close() until the handshake timeout.
      for (const socket of socketsOf.get(server) ?? []) socket.destroy();
    }, 500).unref();
  });
}

/** What Go's servers answer to plain HTTP on a TLS port, so that the mistake explains itself. */
const PLAIN_HTTP_ANSWER = "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

/**
 * Writes the answer on the raw TCP socket under the failed TLS one. Node keeps it as `_parent`,
 * which is not public API: without it the connection is only closed, as before.
 */
function answerPlainHttp(socket: TLSSocket): void {
  const raw = (socket as unknown as { _parent?: Socket })._parent;
  if (raw && raw.writable) raw.end(PLAIN_HTTP_ANSWER);
}

/**
 * The client-certificate rules Node's handshake cannot express: a certificate required but
 * not verified, one verified only when given, and the allowed SANs. Undefined when the client may go on.
 */
function refuseClient(socket: TLSSocket, s: TlsSettings): string | undefined {
  const cert = socket.getPeerCertificate();
  const given = !!cert && Object.keys(cert).length > 0;
  if (s.clientAuth === "RequireAnyClientCert" && !given) return "no client certificate";
  if (s.clientAuth === "VerifyClientCertIfGiven" && given && !socket.authorized) return `client certificate not verified: ${socket.authorizationError}`;
  if (s.clientAllowedSans.length > 0 && s.clientAuth !== "NoClientCert") {
    // Anyone can write any name into a certificate nobody vouches for.
    if (!given || !socket.authorized) return "client_allowed_sans needs a verified client certificate";
    const sans = (cert?.subjectaltname ?? "").split(", ").map((entry) => entry.slice(entry.indexOf(":") + 1));
    if (!s.clientAllowedSans.some((allowed) => sans.includes(allowed))) return "client certificate has none of client_allowed_sans";
  }
  return undefined;
}
