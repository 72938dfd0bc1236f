/** The web config in force: loaded at start, re-read on reload and when its files change, the last good one kept. */
import { createHash } from "node:crypto";
import { WebConfig, WebConfigError, ReadFile, loadWebConfig } from "./web-config";

export type ReloadResult = { ok: true } | { ok: false; message: string };

/**
 * Holds the last good web config. `reload()` is the explicit path (SIGHUP, POST /-/reload);
 * `refresh()` runs on each new TLS connection, as the toolkit re-reads its config and
 * certificates per connection: it only reads the files' bytes, and parses them again
 * when they changed, so certificate rotation needs no restart and costs little.
 */
export class WebConfigSource {
  private config: WebConfig;
  private fingerprint: string;
  private failedFingerprint?: string;
  private listeners: Array<(config: WebConfig) => void> = [];
  private rejectedListeners: Array<(message: string) => void> = [];
  lastReloadSuccessful = true;
  lastReloadSuccessMs: number;

  /** Throws WebConfigError when the file cannot be used: the caller exits with status 2. */
  constructor(
    readonly path: string,
    private readonly readFile: ReadFile,
    private readonly now: () => number,
  ) {
    this.config = loadWebConfig(path, readFile);
    this.fingerprint = this.fingerprintOf(this.config.files);
    this.lastReloadSuccessMs = now();
  }

  get current(): WebConfig {
    return this.config;
  }

  onChange(listener: (config: WebConfig) => void): void {
    this.listeners.push(listener);
  }

  onRejected(listener: (message: string) => void): void {
    this.rejectedListeners.push(listener);
  }

  reload(): ReloadResult {
    try {
      const next = loadWebConfig(this.path, this.readFile);
      if (!!next.tls !== !!this.config.tls) throw new WebConfigError(`web config ${this.path}: turning TLS on or off needs a restart`);
      // The listener is HTTP/2-capable or not from its start, as in the toolkit.
      if (next.tls && next.http2 !== this.config.http2) throw new WebConfigError(`web config ${this.path}: turning http2 on or off needs a restart`);
      this.apply(next);
      return { ok: true };
    } catch (err) {
      const message = err instanceof WebConfigError ? err.message : `web config ${this.path}: ${(err as Error).message}`;
      this.lastReloadSuccessful = false;
      this.failedFingerprint = this.fingerprintOf(this.config.files);
      for (const listener of this.rejectedListeners) listener(message);
      return { ok: false, message };
    }
  }

  /** Re-reads only when a file changed; a bad change is reported once and the last good config stays. */
  refresh(): void {
    const now = this.fingerprintOf(this.config.files);
    if (now === this.fingerprint && this.failedFingerprint !== undefined) {
      // The files are back to the config in force: nothing is wrong any more.
      this.failedFingerprint = undefined;
      this.lastReloadSuccessful = true;
    }
    if (now === this.fingerprint || now === this.failedFingerprint) return;
    this.reload();
  }

  private apply(next: WebConfig): void {
    this.config = next;
    this.fingerprint = this.fingerprintOf(next.files);
    this.failedFingerprint = undefined;
    this.lastReloadSuccessful = true;
    this.lastReloadSuccessMs = this.now();
    for (const listener of this.listeners) listener(next);
  }

  /** A digest of the files' bytes; "unreadable" when one cannot be read (a change too). */
  private fingerprintOf(files: string[]): string {
    const hash = createHash("sha256");
    try {
      for (const file of files) hash.update(file).update("\0").update(this.readFile(file)).update("\0");
    } catch {
      return "unreadable";
    }
    return hash.digest("base64");
  }
}
