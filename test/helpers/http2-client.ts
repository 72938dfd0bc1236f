/** One request with Node's http2 client on a fresh session, answering the negotiated protocol and status, or the error. */
import { connect, constants } from "node:http2";
import { readFileSync } from "node:fs";

export interface Http2Options {
  ca?: string;
  cert?: string;
  key?: string;
  /** user:password */
  auth?: string;
  headers?: Record<string, string>;
}

export type Http2Answer =
  | { alpn: string | false | undefined; status: number; headers: Record<string, unknown>; body: string }
  | { alpn?: string | false; error: string; message: string; rstCode?: number };

export function http2Get(url: string, o: Http2Options = {}): Promise<Http2Answer> {
  return new Promise((resolve) => {
    const session = connect(url, { ca: o.ca && readFileSync(o.ca), cert: o.cert && readFileSync(o.cert), key: o.key && readFileSync(o.key) });
    let settled = false;
    const done = (a: Http2Answer) => {
      if (settled) return;
      settled = true;
      session.destroy();
      resolve(a);
    };
    session.on("error", (err: NodeJS.ErrnoException) => done({ alpn: session.alpnProtocol, error: err.code ?? "", message: err.message }));
    const { pathname, search } = new URL(url);
    const headers: Record<string, string> = { [constants.HTTP2_HEADER_PATH]: pathname + search, ...o.headers };
    if (o.auth) headers.authorization = `Basic ${Buffer.from(o.auth).toString("base64")}`;
    const stream = session.request(headers);
    let status = 0;
    let responseHeaders: Record<string, unknown> = {};
    let body = "";
    stream.setEncoding("utf8");
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      responseHeaders = h;
    });
    stream.on("data", (d: string) => (body += d));
    stream.on("end", () =>
      done(status ? { alpn: session.alpnProtocol, status, headers: responseHeaders, body } : { alpn: session.alpnProtocol, error: "ERR_HTTP2_NO_ANSWER", message: "connection closed without an answer" }),
    );
    stream.on("error", (err: NodeJS.ErrnoException) => done({ alpn: session.alpnProtocol, error: err.code ?? "", message: err.message, rstCode: stream.rstCode }));
    stream.on("close", () => done({ alpn: session.alpnProtocol, error: "ERR_HTTP2_STREAM_CLOSED", message: "stream closed without an answer", rstCode: stream.rstCode }));
    stream.end();
  });
}
