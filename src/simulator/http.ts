/** Koa plumbing shared by the simulator's routes: context type, raw body, error answers, waiting. */
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type Koa from "koa";

export interface SimState {
  /** The exact bytes received: signatures are computed over them, so nothing re-serializes the body. */
  rawBody: Buffer;
}

export type SimContext = Koa.ParameterizedContext<SimState>;

/** Bodies larger than this are refused instead of buffered. */
export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLarge extends Error {}

export function readRawBody(ctx: SimContext): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const req = ctx.req;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners("data");
        req.resume();
        reject(new BodyTooLarge(`request body over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Huawei-style request id: 32 hex digits. */
export function newRequestId(): string {
  return randomUUID().replace(/-/g, "");
}

export function sendError(ctx: SimContext, status: number, errorCode: string, errorMsg: string): void {
  ctx.status = status;
  ctx.body = { error_code: errorCode, error_msg: errorMsg };
}

/** Sends `text` with the given content type, which Koa would otherwise guess from the text. */
export function sendRaw(ctx: SimContext, status: number, contentType: string, text: string): void {
  ctx.status = status;
  ctx.type = contentType;
  ctx.body = text;
}

function closed(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded || res.socket?.destroyed === true;
}

/**
 * Resolves when the client goes away (or the server drops the connection on close), or after
 * `ms` when given. Lets slow and hung answers end promptly instead of pinning timers.
 */
export function waitForCloseOr(res: ServerResponse, ms?: number): Promise<"closed" | "elapsed"> {
  if (closed(res)) return Promise.resolve("closed");
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const onClose = (): void => {
      if (timer) clearTimeout(timer);
      resolve("closed");
    };
    res.once("close", onClose);
    if (ms !== undefined) {
      timer = setTimeout(() => {
        res.off("close", onClose);
        resolve("elapsed");
      }, ms);
    }
  });
}
