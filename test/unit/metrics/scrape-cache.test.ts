import { gunzipSync, crc32 } from "node:zlib";
import { ScrapeCache } from "../../../src/metrics/scrape-cache";
import { ProcessMetrics, lagStats } from "../../../src/metrics/process-metrics";
import { ageChunks, polledChunks } from "../../../src/metrics/families";
import { AccountingInfo, deliveryChunks } from "../../../src/metrics/delivery";
import { Piece, textOf } from "../../../src/metrics/piece";
import { WorkspaceText } from "../../../src/metrics/workspace-text";
import { familyChunks, toOpenMetrics } from "../../../src/metrics/exposition";
import { RESET_REASONS, WorkspaceState, initialState, pollSucceeded } from "../../../src/polling/state";
import { family } from "../../helpers/promtool";
import { FakeClock } from "../../helpers/fake-clock";

const START = Date.UTC(2026, 10, 29, 12, 0, 0, 250);

function polled(workspaceId: string, applyMs: number): WorkspaceState {
  return pollSucceeded(
    initialState({ projectId: "p1", workspaceId, name: workspaceId, region: "r" }),
    {
      data: { counts: { pending_review: 1, succeeded: 2, failed: 0, releasing: 0 }, oldestPendingApplyMs: applyMs, pending: [{ id: "pk1", name: "one", applicant: "ann", applyMs }] },
      recentReleases: [],
      retainFromMs: 0,
      releasing: [],
    },
    { startedMs: applyMs, endedMs: applyMs },
  );
}

const info = { version: "t", revision: "t", branch: "t", platform: "t", nodejsVersion: "v20", reloadSuccessful: true, lastReloadSuccessMs: 0, shard: { ordinal: 0, total: 1 } };

/** A cache over real families of `states`, counting how often the exposition is rendered. */
function setup(states: { current: WorkspaceState[] }) {
  const clock = new FakeClock(START);
  const renders: number[] = [];
  let processReads = 0;
  const cache = new ScrapeCache({
    clock,
    render: function* (_variant, nowMs) {
      renders.push(nowMs);
      yield* polledChunks(states.current, info);
      yield* ageChunks(states.current, nowMs);
    },
    process: { render: async () => `# TYPE test_process_reads gauge\ntest_process_reads ${++processReads}\n` },
  });
  return { clock, cache, renders };
}

const text = async (cache: ScrapeCache) => (await cache.bytes("text", "identity")).toString();

describe("the scrape cache", () => {
  it("gives two scrapes in the same second the same bytes, text and gzip, from one build", async () => {
    const { clock, cache, renders } = setup({ current: [polled("w1", START - 60_000)] });
    const first = await cache.bytes("text", "identity");
    const firstGzip = await cache.bytes("text", "gzip");
    clock.advance(700); // still the same second
    expect(await cache.bytes("text", "identity")).toBe(first);
    expect(await cache.bytes("text", "gzip")).toBe(firstGzip);
    expect(renders).toHaveLength(1);
    expect(cache.builds).toBe(1);
    expect(gunzipSync(firstGzip).equals(first)).toBe(true);
  });

  it("gzips the whole body as one member: its trailer holds the CRC and length of all of it", async () => {
    const { cache } = setup({ current: [polled("w1", START - 60_000), polled("w2", START - 5_000)] });
    const body = await cache.bytes("text", "identity");
    const gz = await cache.bytes("text", "gzip");
    expect(gz.readUInt32LE(gz.length - 8)).toBe(crc32(body));
    expect(gz.readUInt32LE(gz.length - 4)).toBe(body.length);
  });

  it("builds again after a poll in the same second, with the poll's data", async () => {
    const states = { current: [polled("w1", START - 60_000)] };
    const { cache, renders } = setup(states);
    const before = await text(cache);
    states.current = [polled("w1", START - 30_000)];
    cache.invalidate();
    const after = await text(cache);
    expect(renders).toHaveLength(2);
    expect(after).not.toBe(before);
    expect(family(after, "dataarts_release_packages_pending_review_oldest_age_seconds")[0]!.value).toBe(29.75);
  });

  it("moves ages on from one second to the next, computed at the start of the second", async () => {
    const { clock, cache } = setup({ current: [polled("w1", START - 60_000)] });
    const age = async () => family(await text(cache), "dataarts_release_package_pending_review_age_seconds")[0]!.value;
    expect(await age()).toBe(59.75);
    clock.advance(750);
    expect(await age()).toBe(60.75);
    clock.advance(1_000);
    expect(await age()).toBe(61.75);
  });

  it("takes the process metrics once per second", async () => {
    const { clock, cache } = setup({ current: [polled("w1", START - 60_000)] });
    await text(cache);
    cache.invalidate();
    const sameSecond = await text(cache);
    expect(family(sameSecond, "test_process_reads")[0]!.value).toBe(1);
    clock.advance(1_000);
    expect(family(await text(cache), "test_process_reads")[0]!.value).toBe(2);
  });

  it("serves the last complete body while a newer one is being built, and never two builds at once", async () => {
    const states = { current: [polled("w1", START - 60_000)] };
    const { cache, renders } = setup(states);
    const old = await cache.bytes("text", "identity");
    cache.invalidate();
    const building = cache.bytes("text", "identity");
    expect(cache.body("text", "identity").peek("identity")).toBe(old);
    expect(await building).not.toBe(old);
    expect(renders).toHaveLength(2);
  });

  it("lets a scrape of a later second join the first build at the start, instead of queueing its own behind it", async () => {
    const states = { current: [polled("w1", START - 60_000)] };
    const { clock, cache, renders } = setup(states);
    const first = cache.bytes("text", "gzip");
    clock.advance(1_000);
    const joined = cache.bytes("text", "identity");
    expect(gunzipSync(await first).equals(await joined)).toBe(true);
    expect(renders).toEqual([Math.floor(START / 1000) * 1000]);
    // Built, the first body is a second old: a lone scrape now waits for this second's.
    const fresh = await text(cache);
    expect(renders).toHaveLength(2);
    expect(fresh).not.toBe((await joined).toString());
  });

  it("does not join a build older than a reload at the start", async () => {
    const states = { current: [polled("w1", START - 60_000)] };
    const { cache, renders } = setup(states);
    const first = cache.bytes("text", "gzip");
    cache.invalidate({ atOnce: true });
    const reloaded = cache.body("text", "gzip", { inFlight: 2 });
    expect(reloaded.generation).toBe(1);
    await Promise.all([first, reloaded.bytes("gzip")]);
    expect(renders).toHaveLength(2);
  });

  it("builds at most one body per second while other scrapes are in flight, and a lone scrape still sees every poll", async () => {
    const states = { current: [polled("w1", START - 60_000)] };
    const { clock, cache, renders } = setup(states);
    const first = await cache.bytes("text", "gzip");
    states.current = [polled("w1", START - 30_000)];
    cache.invalidate();
    expect(cache.body("text", "gzip", { inFlight: 2 }).peek("gzip")).toBe(first);
    expect(renders).toHaveLength(1);
    const lone = await cache.body("text", "gzip").bytes("gzip");
    expect(lone).not.toBe(first);
    cache.invalidate();
    expect(cache.body("text", "gzip", { inFlight: 2 }).peek("gzip")).toBe(lone);
    clock.advance(1_000);
    // Alone, a scrape of the next second waits for that second's body.
    const nextSecond = cache.body("text", "gzip");
    expect(nextSecond.peek("gzip")).toBeUndefined();
    expect(await nextSecond.bytes("gzip")).not.toBe(lone);
    expect(renders).toHaveLength(3);
  });

  it("never makes a scrape wait for a build while others are in flight: the first of a second gets the last body and starts the new one", async () => {
    const states = { current: [polled("w1", START - 60_000)] };
    const { clock, cache, renders } = setup(states);
    const first = await cache.bytes("text", "gzip");
    clock.advance(1_000);
    const standIn = cache.body("text", "gzip", { inFlight: 2 });
    expect(standIn.peek("gzip")).toBe(first);
    expect(renders).toHaveLength(1);
    expect(await standIn.bytes("gzip")).toBe(first);
    expect(renders).toHaveLength(2);
    expect(cache.body("text", "gzip", { inFlight: 2 }).peek("gzip")).toBe(first);
    await cache.backgroundBuild();
    const next = cache.body("text", "gzip", { inFlight: 2 }).peek("gzip");
    const age = (gz: Buffer) => family(gunzipSync(gz).toString(), "dataarts_release_package_pending_review_age_seconds")[0]!.value;
    expect(age(first)).toBe(59.75);
    expect(age(next!)).toBe(60.75);
    expect(renders).toHaveLength(2);
  });

  it("starts no build for a scrape that only reads the stand-in's ETag (HEAD, If-None-Match)", async () => {
    const states = { current: [polled("w1", START - 60_000)] };
    const { clock, cache } = setup(states);
    const first = await cache.bytes("text", "gzip");
    clock.advance(1_000);
    const standIn = cache.body("text", "gzip", { inFlight: 2 });
    expect(standIn.etag("gzip")).toBe(`"text-${Math.floor(START / 1000)}.0-gz"`);
    expect(standIn.peek("gzip")).toBe(first);
    await cache.backgroundBuild();
    expect(cache.builds).toBe(1);
    // The control: sending the stand-in's bytes does start one.
    await standIn.bytes("gzip");
    await cache.backgroundBuild();
    expect(cache.builds).toBe(2);
  });

  it("shows a reload or a change of workspaces to the very next scrape, however busy", async () => {
    const states = { current: [polled("w1", START - 60_000)] };
    const { clock, cache, renders } = setup(states);
    const first = await cache.bytes("text", "gzip");
    cache.invalidate({ atOnce: true });
    expect(cache.body("text", "gzip", { inFlight: 2 }).peek("gzip")).toBeUndefined();
    const reloaded = await cache.body("text", "gzip", { inFlight: 2 }).bytes("gzip");
    expect(reloaded).not.toBe(first);
    // Next second, a poll: the busy scrape gets the reloaded body, which shows the reload.
    clock.advance(1_000);
    cache.invalidate();
    const standIn = cache.body("text", "gzip", { inFlight: 2 });
    expect(standIn.peek("gzip")).toBe(reloaded);
    await standIn.bytes("gzip"); // starts this second's body
    // Then a reload while this second's body is being built: neither that one nor the last is served.
    cache.invalidate({ atOnce: true });
    const after = cache.body("text", "gzip", { inFlight: 2 });
    expect(after.peek("gzip")).toBeUndefined();
    expect(after.generation).toBe(3);
    expect(await after.bytes("gzip")).not.toBe(reloaded);
    expect(renders).toHaveLength(4);
    expect(cache.body("text", "gzip", { inFlight: 2 }).peek("gzip")).toBe(await after.bytes("gzip"));
  });

  it("starts at most one body per second while busy, even when polls land while it is being built", async () => {
    const states = { current: [polled("w1", START - 60_000)] };
    const { clock, cache, renders } = setup(states);
    const first = await cache.bytes("text", "gzip");
    clock.advance(1_000);
    await cache.body("text", "gzip", { inFlight: 2 }).bytes("gzip"); // starts this second's body
    cache.invalidate(); // a poll finishes while this second's body is being built
    expect(cache.body("text", "gzip", { inFlight: 2 }).peek("gzip")).toBe(first);
    cache.invalidate();
    expect(cache.body("text", "gzip", { inFlight: 2 }).peek("gzip")).toBe(first);
    await cache.backgroundBuild();
    const built = cache.body("text", "gzip", { inFlight: 2 }).peek("gzip");
    expect(built).not.toBe(first);
    expect(renders).toHaveLength(2);
    // Alone again, a scrape sees both polls at once.
    expect(await cache.body("text", "gzip").bytes("gzip")).not.toBe(built);
    expect(renders).toHaveLength(3);
  });

  it("gives a body's ETag without building it, different per encoding, new with the data", () => {
    const { cache } = setup({ current: [polled("w1", START - 60_000)] });
    const body = cache.body("text", "identity");
    const etag = body.etag("identity");
    expect(body.etag("gzip")).not.toBe(etag);
    expect(cache.body("text", "identity").etag("identity")).toBe(etag);
    cache.invalidate();
    expect(cache.body("text", "identity").etag("identity")).not.toBe(etag);
    expect(cache.builds).toBe(0);
  });

  it("builds OpenMetrics as the text body converted piece by piece, then the tail as given", async () => {
    const states = { current: [polled("w1", START - 60_000), polled("w2", START - 5_000)] };
    const { cache } = setup(states);
    const text = (await cache.bytes("text", "identity")).toString();
    const tail = () => "# EOF\n";
    expect((await cache.bytes("openmetrics", "identity", tail)).toString()).toBe(toOpenMetrics(text) + "# EOF\n");
    states.current = [states.current[0]!, polled("w2", START - 4_000)];
    cache.invalidate();
    const again = (await cache.bytes("text", "identity")).toString();
    expect(gunzipSync(await cache.bytes("openmetrics", "gzip", tail)).toString()).toBe(toOpenMetrics(again) + "# EOF\n");
  });

  it("serves both formats, plain and gzip, right from groups held only compressed since the last poll", async () => {
    const many = Array.from({ length: 250 }, (_, i) => polled(`w${i}`, START - i * 1000));
    const states = { current: many };
    const kept = new WorkspaceText();
    const accounting = { resets: Object.fromEntries(RESET_REASONS.map((r) => [r, 0])) as AccountingInfo["resets"] };
    const chunks = (nowMs: number, text?: WorkspaceText) => [
      ...polledChunks(states.current, info, text),
      ...deliveryChunks(states.current, accounting, text),
      ...ageChunks(states.current, nowMs, text),
    ];
    const fresh = (nowMs: number) => chunks(nowMs).map(textOf).join("");
    const clock = new FakeClock(START);
    const cache = new ScrapeCache({ clock, render: (_variant, nowMs) => chunks(nowMs, kept), process: { render: async () => "" } });
    const tail = () => "# EOF\n";
    expect(gunzipSync(await cache.bytes("text", "gzip")).toString()).toBe(fresh(START - 250));
    // The same states and second give back the groups just built: every one of them packed, and samples alone.
    const groups = chunks(START - 250, kept).filter((p): p is Piece => p instanceof Piece);
    expect(groups.length).toBeGreaterThanOrEqual(3 * 10);
    expect(groups.filter((p) => !p.packed)).toEqual([]);
    expect(groups.filter((p) => toOpenMetrics(p.text()) !== p.text())).toEqual([]);
    states.current = [...many.slice(0, 120), polled("w120", START), ...many.slice(121)];
    cache.invalidate();
    expect(gunzipSync(await cache.bytes("openmetrics", "gzip", tail)).toString()).toBe(toOpenMetrics(fresh(START - 250)) + "# EOF\n");
    expect((await cache.bytes("openmetrics", "identity", tail)).toString()).toBe(toOpenMetrics(fresh(START - 250)) + "# EOF\n");
    clock.advance(1000);
    expect((await cache.bytes("text", "identity")).toString()).toBe(fresh(START + 750));
  });

  it("lets other work run between the groups of one family, each group made as the build reaches it", async () => {
    const many = Array.from({ length: 300 }, (_, i) => polled(`w${i}`, START - i * 1000));
    const made: number[] = [];
    let between = 0;
    const cache = new ScrapeCache({
      clock: new FakeClock(START),
      sliceMs: 0,
      render: function* () {
        const text = new WorkspaceText();
        yield* familyChunks({ name: "x", help: "X.", type: "gauge", samples: [], chunks: text.groups("x", many, (s) => (made.push(between), `x{w="${s.key.workspaceId}"} 1\n`)) });
      },
      process: { render: async () => "" },
    });
    let running = true;
    const tick = () => {
      if (!running) return;
      between += 1;
      setImmediate(tick);
    };
    setImmediate(tick);
    await cache.bytes("text", "gzip");
    running = false;
    // Each group's 100 workspaces are made in one go, and other work ran before the next group.
    expect(new Set(made).size).toBe(3);
  });

  it("lets other work run between slices of a build", async () => {
    const clock = new FakeClock(START);
    let ranBetween = false;
    const cache = new ScrapeCache({
      clock,
      sliceMs: 0,
      render: function* () {
        setImmediate(() => (ranBetween = true));
        yield "a 1\n";
        yield "b 1\n";
        yield `between ${ranBetween ? 1 : 0}\n`;
      },
      process: { render: async () => "" },
    });
    expect((await cache.bytes("text", "identity")).toString()).toBe("a 1\nb 1\nbetween 1\n");
  });
});

describe("the process metrics", () => {
  it("never show NaN, even for two scrapes close together", async () => {
    const metrics = new ProcessMetrics();
    try {
      const first = await metrics.render();
      const second = await metrics.render();
      for (const out of [first, second]) {
        expect(out).not.toMatch(/\bNaN\b/);
        expect(family(out, "nodejs_eventloop_lag_mean_seconds")).toHaveLength(1);
      }
    } finally {
      metrics.stop();
    }
  });

  it("read no lag window that recorded nothing, and turn a non-finite value into 0", () => {
    const empty = { count: 0, min: 9223372036854776000, max: 0, mean: NaN, stddev: NaN, percentile: () => 0 };
    expect(lagStats(empty, 100)).toBeUndefined();
    const odd = { count: 1, min: 1e6, max: 3e6, mean: 2e6, stddev: NaN, percentile: (p: number) => p * 1e4 };
    expect(lagStats(odd, 0)).toEqual({ min: 0.001, max: 0.003, mean: 0.002, stddev: 0, p50: 0.0005, p90: 0.0009, p99: 0.00099 });
  });

  it("show how late the monitor's ticks came, not the time between them", () => {
    // Ticks every 100 ms: one came 1 ms early, the median on time, one 375 ms late (a blocked loop).
    const ms = 1e6;
    const ticks = { count: 10, min: 99 * ms, max: 475 * ms, mean: 150 * ms, stddev: 20 * ms, percentile: (p: number) => ({ 50: 100, 90: 160, 99: 400 })[p]! * ms };
    expect(lagStats(ticks, 100)).toEqual({ min: 0, max: 0.375, mean: 0.05, stddev: 0.02, p50: 0, p90: 0.06, p99: 0.3 });
  });
});
