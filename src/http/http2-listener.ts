/** HTTP/2 over TLS (with HTTP/1.1 on the same port): the limits HTTP/1.1 gets from Node's defaults, made explicit. */
import { createSecureServer, Http2SecureServer, Http2ServerRequest, Http2ServerResponse, Http2Session, SecureServerOptions } from "node:http2";
import { IncomingMessage, ServerResponse, maxHeaderSize } from "node:http";
import type { Socket } from "node:net";

export type Handler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => unknown;

/** Go's http2 server allows 250; a scraper needs one. Node's own default is unlimited. */
const MAX_CONCURRENT_STREAMS = 100;
/** What we advertise in SETTINGS; a header list above it is reset by nghttp2 before any of our code runs. */
const ADVERTISED_HEADER_LIST_SIZE = 65_535;

const sessionsOf = new WeakMap<Http2SecureServer, Set<Http2Session>>();

/**
 * An HTTP/2 server that also speaks HTTP/1.1 (ALPN `h2`, `http/1.1`; no ALPN means HTTP/1.1),
 * as the toolkit serves with `http2: true`. HTTP/1.1 here would otherwise keep idle connections
 * forever (Node sets no keep-alive timeout on this server), and HTTP/2 sessions have no idle
 * timeout and no header size bound like HTTP/1.1's 431: both are set here.
 */
export function createHttp2Listener(options: SecureServerOptions, handler: Handler, idleTimeoutMs: number): Http2SecureServer {
  const server = createSecureServer(
    { ...options, allowHTTP1: true, settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS, maxHeaderListSize: ADVERTISED_HEADER_LIST_SIZE } },
    (req, res) => {
      if (req.httpVersionMajor === 2 && headerListSize(req.rawHeaders) > maxHeaderSize) {
        // Before any route or credential check, as HTTP/1.1's parser answers 431 before Koa sees the request.
        res.writeHead(431, { "content-type": "text/plain" });
        res.end("request header fields too large\n");
        return;
      }
      void handler(req, res);
    },
  );
  // Read by Node's HTTP/1.1 code for the connections that fall back to it.
  (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = idleTimeoutMs;
  const sessions = new Set<Http2Session>();
  sessionsOf.set(server, sessions);
  server.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    // No frame for this long: GOAWAY, letting streams in flight finish, as HTTP/1.1 drops an idle keep-alive connection.
    session.setTimeout(idleTimeoutMs, () => {
      session.close();
      // A stream the client keeps open would hold a closing session forever.
      setTimeout(() => session.destroy(), idleTimeoutMs).unref();
    });
  });
  return server;
}

/** HTTP/2's header list size (RFC 9113 6.5.2): each field's name and value plus 32 octets. */
function headerListSize(rawHeaders: string[]): number {
  let size = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) size += Buffer.byteLength(rawHeaders[i]!) + Buffer.byteLength(rawHeaders[i + 1]!) + 32;
  return size;
}

/**
 * Closes an HTTP/2 listener within about a second: GOAWAY to every session at once (streams in
 * flight finish), then whatever is still open after half a second is destroyed.
 */
export function closeHttp2Listener(server: Http2SecureServer, sockets: Iterable<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    const sessions = sessionsOf.get(server) ?? new Set<Http2Session>();
    for (const session of sessions) session.close();
    setTimeout(() => {
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
    }, 500).unref();
  });
}
