/** Serves /metrics from memory: each body (text and gzip) built at most once per second and per change, in slices. */
import { performance } from "node:perf_hooks";
import { Clock } from "../clock";
import { ExpositionFormat, toOpenMetrics } from "./exposition";
import { BlockStore } from "./gzip-blocks";
import { BodyPiece, Piece, isEmpty } from "./piece";
import { ProcessMetrics } from "./process-metrics";

/** The exposition format of a body: each has its own bodies, built when first asked for. */
export type Variant = ExpositionFormat;
export type Encoding = "identity" | "gzip";

/** Who else is scraping: `inFlight`, scrapes of /metrics being served, this one included; `client`, the connection asking (any object that is the same for one connection). */
export interface Load {
  inFlight?: number;
  client?: object;
}

/** A scrape from another connection this recently makes /metrics busy: a body lives a second, so the two scrapers share one. */
const RECENT_MS = 1_000;

/** The exposition at `nowMs` (a whole second), in text-format pieces; other formats are converted piece by piece. */
export type Render = (variant: Variant, nowMs: number) => Iterable<BodyPiece>;

/** The last lines of a body in `variant` (already in that format, e.g. OpenMetrics' `# EOF`), read when the body is built. */
export type Tail = (variant: Variant) => string;

export interface ScrapeCacheOptions {
  render: Render;
  clock: Clock;
  /** Process metrics to append; one is made when not given. */
  process?: Pick<ProcessMetrics, "render">;
  /** How long building may hold the event loop before it lets other work run. */
  sliceMs?: number;
}

/** Long enough for a slice to do real work, short enough that scrapes and polls barely notice. */
const SLICE_MS = 2;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * What one variant of /metrics is for one second and one version of the data: its ETag is
 * known at once, its bytes are built on the first request that needs them (gzip as one member,
 * compressed off the event loop) and then shared by every scrape that gets this body.
 */
export class Body {
  private blocks?: Promise<Piece[]>;
  private text?: Promise<Buffer>;
  private gzip?: Promise<Buffer>;
  private readonly done: Partial<Record<Encoding, Buffer>> = {};
  /** A newer body served this one in its stead: sending these bytes starts building that one. */
  private successor?: () => void;

  /** `<second>.<generation>`: which second and which version of the data. */
  readonly key: string;

  constructor(
    readonly variant: Variant,
    readonly second: number,
    /** The version of the data (ScrapeCache.invalidate counts them). */
    readonly generation: number,
    private readonly build: () => Promise<Piece[]>,
    private readonly onBuilt: (body: Body) => void = () => {},
  ) {
    this.key = `${second}.${generation}`;
  }

  /** Made after `other`: a later second, or the same second and later data. */
  newerThan(other: Body): boolean {
    return this.second > other.second || (this.second === other.second && this.generation > other.generation);
  }

  /** A strong validator for this body in this encoding; costs no build. */
  etag(encoding: Encoding): string {
    return `"${this.variant}-${this.key}${encoding === "gzip" ? "-gz" : ""}"`;
  }

  /** The bytes when built already, else undefined (HEAD uses it to send a length without building). */
  peek(encoding: Encoding): Buffer | undefined {
    return this.done[encoding];
  }

  /** Whether a build of these bytes has started. */
  started(encoding: Encoding): boolean {
    return (encoding === "gzip" ? this.gzip : this.text) !== undefined;
  }

  bytes(encoding: Encoding): Promise<Buffer> {
    const successor = this.successor;
    this.successor = undefined;
    successor?.();
    // Built once for both encodings; each encoding's bytes only when first asked for.
    const blocks = (this.blocks ??= this.build());
    if (encoding === "identity") return (this.text ??= this.keep("identity", blocks.then((b) => BlockStore.text(b))));
    return (this.gzip ??= this.keep("gzip", blocks.then((b) => BlockStore.gzip(b))));
  }

  /**
   * Serve this built body in place of a newer one, whose build (`start`) begins when these
   * bytes are sent: a HEAD or a conditional request answered from the ETag costs no build.
   */
  standIn(start: () => void): this {
    this.successor = start;
    return this;
  }

  private keep(encoding: Encoding, bytes: Promise<Buffer>): Promise<Buffer> {
    return bytes.then((b) => {
      this.done[encoding] = b;
      this.onBuilt(this);
      return b;
    });
  }
}

/**
 * Serves /metrics from memory. A body is keyed by the second and by the data's generation
 * (a poll, reload or removal calls `invalidate`); within one key every scrape gets the
 * same bytes. Builds run one at a time; a scrape arriving while one runs gets the last
 * complete body (at most one build old) instead of waiting. So does a scrape that would start
 * a build while /metrics is busy (see `body`): under load no scrape waits for a build, and a
 * lone scraper still gets data of this second. At the start, with no body complete yet, a
 * scrape waits for the build running rather than queueing its own behind it. No body older
 * than a change made `atOnce` (a reload, workspaces added or removed) is served.
 */
export class ScrapeCache {
  /** Bodies built, for tests and the benchmark. */
  builds = 0;
  private generation = 0;
  /** The first generation every scrape must see at once (a reload or a change of workspaces made it). */
  private mustShow = 0;
  private readonly current = new Map<Variant, Body>();
  private readonly complete = new Map<Variant, Body>();
  /** The body whose build started last, until that build is done. */
  private readonly building = new Map<Variant, Body>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly process: Pick<ProcessMetrics, "render">;
  private readonly sliceMs: number;
  /** The pieces of the last build per format, with their compressed bytes once asked for. */
  private readonly stores = new Map<Variant, BlockStore>();
  /** The last OpenMetrics conversion of each piece, by place: an unchanged piece is not converted again. */
  private openMetrics: Array<{ piece: BodyPiece; converted: BodyPiece }> = [];
  /** Process metrics are read once per second, however many builds that second has. */
  private processRead?: { second: number; text: Promise<string> };
  /** The build a stand-in's scrape started last (see `standIn`). */
  private background: Promise<unknown> = Promise.resolve();
  /** The last scrape that said which connection it came from. */
  private lastScrape?: { client: object; ms: number };

  constructor(private readonly options: ScrapeCacheOptions) {
    this.process = options.process ?? new ProcessMetrics();
    this.sliceMs = options.sliceMs ?? SLICE_MS;
  }

  /**
   * The data changed: the next scrape gets a new body. `atOnce` (a reload, workspaces added or
   * removed): no scrape from then on gets an older body, however busy /metrics is; after a poll
   * a busy /metrics may serve the body before it for a second.
   */
  invalidate(options: { atOnce?: boolean } = {}): void {
    this.generation += 1;
    if (options.atOnce) this.mustShow = this.generation;
  }

  /**
   * The body a scrape of this variant and encoding is to get now. Cheap (no build): its
   * ETag answers a conditional request, and its bytes are built when first asked for.
   * Busy: other scrapes are in flight, or another connection scraped less than a second ago (a
   * body is handed to the kernel at once, so under 64 connections few are in flight at a time).
   */
  body(variant: Variant, encoding: Encoding, load: Load = {}, tail?: Tail): Body {
    const nowMs = this.options.clock.now();
    const busy = (load.inFlight ?? 1) > 1 || this.otherClientRecently(load.client, nowMs);
    const second = Math.floor(nowMs / 1000);
    let body = this.current.get(variant);
    // While other scrapes are being answered, polls since this second's body was started do
    // not start another: a busy /metrics gets at most one body per second (data at most a
    // second old), and a lone scraper still sees every poll at once. Starting one per poll
    // would make a scrape wait for each build.
    const keep = busy && body?.second === second && body.started(encoding) && this.mayServe(body);
    if (!body || (!keep && (body.second !== second || body.generation !== this.generation))) {
      const made: Body = new Body(variant, second, this.generation, () => this.startBuild(made, tail), (b) => this.keepComplete(b));
      body = made;
      this.current.set(variant, body);
    }
    if (body.peek(encoding)) return body;
    const last = this.complete.get(variant);
    // None complete yet (the start): join the build running rather than queue one behind it.
    if (!last?.peek(encoding) || !this.mayServe(last)) return this.runningBesides(body) ?? body;
    // Someone is building the current body already: serve the last one that is complete.
    if (body.started(encoding)) return last;
    // Busy: a scrape waiting for a build would wait while every other scrape is answered, up
    // to seconds at 64 connections; it gets the last body, and sending it starts the new one.
    return busy ? last.standIn(() => this.startIfCurrent(body, encoding)) : body;
  }

  /** The bytes of what `body` says a scrape gets now (building them if need be). */
  async bytes(variant: Variant, encoding: Encoding, tail?: Tail): Promise<Buffer> {
    return this.body(variant, encoding, {}, tail).bytes(encoding);
  }

  /** Whether `body` shows every change that must be seen at once. */
  private mayServe(body: Body): boolean {
    return body.generation >= this.mustShow;
  }

  /** Whether a connection other than `client` scraped within RECENT_MS; remembers this scrape. */
  private otherClientRecently(client: object | undefined, nowMs: number): boolean {
    if (client === undefined) return false;
    const last = this.lastScrape;
    this.lastScrape = { client, ms: nowMs };
    return last !== undefined && last.client !== client && nowMs - last.ms < RECENT_MS;
  }

  /** Queues `body`'s build, remembered as the one running until it is done. */
  private startBuild(body: Body, tail?: Tail): Promise<Piece[]> {
    this.building.set(body.variant, body);
    const built = this.serialized(() => this.build(body.variant, body.second * 1000, tail));
    const done = () => {
      if (this.building.get(body.variant) === body) this.building.delete(body.variant);
    };
    built.then(done, done);
    return built;
  }

  /** The body of `body`'s variant whose build started last and is not done, if it is not `body` and may be served. */
  private runningBesides(body: Body): Body | undefined {
    const running = this.building.get(body.variant);
    return running && running !== body && this.mayServe(running) ? running : undefined;
  }

  /** A body superseded (by a poll or the next second) before it was sent is not built. */
  private startIfCurrent(body: Body, encoding: Encoding): void {
    // The failure, if any, reaches the scrape that asks for these bytes next.
    if (this.current.get(body.variant) === body) this.background = body.bytes(encoding).catch(() => undefined);
  }

  /** Resolves once the build a stand-in's scrape started is done; for tests. */
  async backgroundBuild(): Promise<void> {
    await this.background;
  }

  private keepComplete(body: Body): void {
    const kept = this.complete.get(body.variant);
    // An older body finishing late must not replace a newer one.
    if (!kept || body.newerThan(kept)) this.complete.set(body.variant, body);
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Text-format pieces as OpenMetrics, each converted on its own (the conversion is line by line). */
  private converted(pieces: BodyPiece[]): BodyPiece[] {
    const next = pieces.map((piece, i) => {
      const before = this.openMetrics[i];
      return { piece, converted: before?.piece === piece ? before.converted : openMetricsOf(piece) };
    });
    this.openMetrics = next;
    return next.map((n) => n.converted);
  }

  private processMetrics(second: number): Promise<string> {
    if (this.processRead?.second !== second) this.processRead = { second, text: this.process.render() };
    return this.processRead.text;
  }

  /** Renders in slices: between slices the event loop serves scrapes and finishes polls. */
  private async build(variant: Variant, nowMs: number, tail?: Tail): Promise<Piece[]> {
    this.builds += 1;
    const pieces: BodyPiece[] = [];
    let sliceStart = performance.now();
    for (const piece of this.options.render(variant, nowMs)) {
      if (!isEmpty(piece)) pieces.push(piece);
      if (performance.now() - sliceStart >= this.sliceMs) {
        await yieldToLoop();
        sliceStart = performance.now();
      }
    }
    pieces.push(await this.processMetrics(nowMs / 1000));
    const converted = variant === "openmetrics" ? this.converted(pieces) : pieces;
    converted.push(tail?.(variant) ?? "");
    let store = this.stores.get(variant);
    if (!store) this.stores.set(variant, (store = new BlockStore()));
    return store.blocksFor(converted);
  }
}

/**
 * A kept piece is samples alone (WorkspaceLines), which read the same in both formats: it stays
 * that piece, shared by both formats' bodies, and is not read (nor inflated) to be converted.
 */
function openMetricsOf(piece: BodyPiece): BodyPiece {
  return typeof piece === "string" ? toOpenMetrics(piece) : piece;
}
