import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { ConfigError } from "../../../src/config/config-error";
import { Accounting, EndedRelease, accountPoll, initialState, pollSucceeded, Snapshot } from "../../../src/polling/state";
import { STATE_VERSION, checkStorageDir, decodeState, encodeState, loadStateFile, stateFileName } from "../../../src/polling/state-file";
import { StateStore } from "../../../src/polling/state-store";
import { shardOf } from "../../../src/polling/shard";
import { tempDir } from "../../helpers/exporter-process";

const key = { projectId: "p", workspaceId: "w", name: "analytics", region: "cn-north-4" };
const silent = pino({ level: "silent" });

function snapshot(recentReleases: EndedRelease[]): Snapshot {
  return {
    data: { counts: { pending_review: 0, succeeded: 1, failed: 1, releasing: 1 }, pending: [] },
    recentReleases,
    retainFromMs: 0,
    releasing: [{ id: "r@1", startMs: 500 }],
  };
}

/** A state that has counted one failure and one success after its baseline. */
function counted() {
  const first = pollSucceeded(initialState(key), snapshot([{ id: "old", outcome: "failed", deployMs: 1, applyMs: 0 }]), { startedMs: 10, endedMs: 11 });
  return pollSucceeded(
    first,
    snapshot([
      { id: "old", outcome: "failed", deployMs: 1, applyMs: 0 },
      { id: "a@b", outcome: "failed", deployMs: 120_000, applyMs: 60_000 },
      { id: "c", outcome: "succeeded", deployMs: 130_000, applyMs: 10_000 },
    ]),
    { startedMs: 20, endedMs: 21 },
  );
}

function accounting(s: Accounting): Accounting {
  return { failuresTotal: s.failuresTotal, successesTotal: s.successesTotal, reviewWait: s.reviewWait, tracker: s.tracker, previous: s.previous };
}

describe("the state file format", () => {
  it("reads back exactly the accounting it wrote", () => {
    const state = counted();
    const decoded = decodeState(encodeState([{ id: "p/w", accounting: accounting(state), lastSeenMs: 42 }], 1_000));
    expect(decoded).toEqual({ ok: true, stopped: false, workspaces: [{ id: "p/w", lastSeenMs: 42, accounting: accounting(state) }] });
  });

  it("says whether a clean stop wrote it", () => {
    const stopped = decodeState(encodeState([], 1_000, true));
    expect(stopped.ok && stopped.stopped).toBe(true);
    const periodic = decodeState(encodeState([], 1_000));
    expect(periodic.ok && periodic.stopped).toBe(false);
  });

  it("carries a format name and version", () => {
    const head = JSON.parse(encodeState([], 0));
    expect(head).toMatchObject({ format: "dataarts-exporter-state", version: STATE_VERSION, written_at: "1970-01-01T00:00:00.000Z" });
  });

  it.each([
    ["truncated", encodeState([{ id: "p/w", accounting: accounting(counted()), lastSeenMs: 1 }], 0).slice(0, 60), "not valid JSON (truncated or corrupt)"],
    ["binary garbage", "\u0000\u0001garbage", "not valid JSON (truncated or corrupt)"],
    ["another program's JSON", '{"groups":[]}', "not a dataarts-exporter state file"],
    ["a JSON array", "[]", "not a dataarts-exporter state file"],
    ["a newer version", '{"format":"dataarts-exporter-state","version":2,"workspaces":{}}', "format version 2 is newer than this exporter's (1)"],
    [
      "a counter that is not a count",
      encodeState([{ id: "p/w", accounting: { ...accounting(counted()), failuresTotal: -1 }, lastSeenMs: 1 }], 0),
      "unexpected content at workspaces.0.failures_total: Too small: expected number to be >=0",
    ],
  ])("names the problem of %s instead of throwing", (_what, text, problem) => {
    expect(decodeState(text)).toEqual({ ok: false, problem });
  });

  it.each([
    ["a fractional deploy time", 1_700_000_000_000.5],
    ["a deploy time far beyond Number's integers", 1e300],
    ["a zero deploy time", 0],
  ])("reads back a release the service gave %s, so one odd timestamp never costs the whole file at the next start", (_what, deployMs) => {
    const base = accounting(counted());
    const odd: Accounting = {
      ...base,
      tracker: { baselined: true, seen: new Map([[`failed:odd@${deployMs}`, deployMs]]) },
      previous: { startedMs: 20, releasing: [{ id: "r", startMs: deployMs }] },
    };
    expect(decodeState(encodeState([{ id: "p/w", accounting: odd, lastSeenMs: 42 }], 0))).toEqual({
      ok: true,
      stopped: false,
      workspaces: [{ id: "p/w", lastSeenMs: 42, accounting: odd }],
    });
  });

  it.each([
    ["buckets above the count", [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3], 2],
    ["buckets that decrease", [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2], 2],
  ])("refuses a review-wait histogram with %s, which would make an invalid exposition", (_what, buckets, count) => {
    const bad = { ...accounting(counted()), reviewWait: { buckets, sum: 10, count } };
    expect(decodeState(encodeState([{ id: "p/w", accounting: bad, lastSeenMs: 1 }], 0))).toEqual({
      ok: false,
      problem: "unexpected content at workspaces.0.review_wait: buckets are not cumulative up to the count",
    });
  });

  it.each([
    ["a counter beyond exact integers", { failures_total: 2 ** 60 }, "unexpected content at workspaces.0.failures_total: Too big: expected int to be <=9007199254740991"],
    ["a sum that overflowed to Infinity", { review_wait: "1e400" }, "unexpected content at workspaces.0.review_wait.sum: Invalid input: expected number, received Infinity"],
    ["a seen key whose deploy time is not a number", { seen: ["failed:x@abc"] }, "unexpected content at workspaces.0.seen.0: the deploy time after @ is not a number"],
    ["an id of the wrong type", { id: 7 }, "unexpected content at workspaces.0.id: Invalid input: expected string, received number"],
  ])("names %s instead of loading it", (_what, change, problem) => {
    const file = JSON.parse(encodeState([{ id: "p/w", accounting: accounting(counted()), lastSeenMs: 1 }], 0));
    const { review_wait: sum, ...fields } = change as Record<string, unknown>;
    Object.assign(file.workspaces[0], fields);
    let text = JSON.stringify(file);
    if (sum) text = text.replace(/"sum":[0-9.]+/, `"sum":${sum as string}`);
    expect(decodeState(text)).toEqual({ ok: false, problem });
  });

  it("names a file per shard so that replicas never share one", () => {
    expect(stateFileName({ ordinal: 0, total: 1 })).toBe("state.json");
    expect(stateFileName({ ordinal: 2, total: 3 })).toBe("state-shard-2.json");
  });
});

describe("loading a state file", () => {
  it("moves an unreadable file aside, never deleting it", () => {
    const dir = tempDir();
    const path = join(dir, "state.json");
    writeFileSync(path, "{ torn");
    const loaded = loadStateFile(path, Date.UTC(2026, 10, 29, 18, 30, 5));
    expect(loaded).toEqual({ kind: "unreadable", problem: "not valid JSON (truncated or corrupt)", movedTo: `${path}.unreadable-20261129T183005Z` });
    expect(existsSync(path)).toBe(false);
    expect(readFileSync(`${path}.unreadable-20261129T183005Z`, "utf8")).toBe("{ torn");
  });

  it("moves a FIFO in the file's place aside without reading it, which would wait forever", () => {
    const dir = tempDir();
    const path = join(dir, "state.json");
    execFileSync("mkfifo", [path]);
    const loaded = loadStateFile(path, Date.UTC(2026, 10, 29, 18, 30, 5));
    expect(loaded).toEqual({ kind: "unreadable", problem: "not a regular file", movedTo: `${path}.unreadable-20261129T183005Z` });
    expect(existsSync(path)).toBe(false);
  });

  it("treats a missing file as no state", () => {
    expect(loadStateFile(join(tempDir(), "state.json"), 0)).toEqual({ kind: "missing" });
  });
});

describe("the storage directory check", () => {
  it("creates a missing directory and leaves no probe behind", () => {
    const dir = join(tempDir(), "a", "b");
    checkStorageDir(dir);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("is a config error naming the directory and the reason when it cannot be written", () => {
    const file = join(tempDir(), "plain-file");
    writeFileSync(file, "");
    expect(() => checkStorageDir(join(file, "state"))).toThrow(ConfigError);
    expect(() => checkStorageDir(join(file, "state"))).toThrow(`--storage.path: cannot write to "${join(file, "state")}": ENOTDIR`);
  });
});

describe("the state store", () => {
  function store(dir: string, clock: { now: number }) {
    return new StateStore({ dir, shard: { ordinal: 0, total: 1 }, logger: silent, now: () => clock.now });
  }
  const HOUR = 3_600_000;

  it("resumes a workspace where the last run left it", () => {
    const dir = tempDir();
    const clock = { now: 1_000 };
    const live = new Map([["p/w", counted()]]);
    store(dir, clock).save(() => live, HOUR, 0, true);
    const resumed = store(dir, clock).start("p/w", key, 24 * HOUR);
    expect(accounting(resumed)).toEqual(accounting(counted()));
    expect(resumed.up).toBe(false);
  });

  it("writes at most once per poll round unless forced", () => {
    const dir = tempDir();
    const clock = { now: 0 };
    const s = store(dir, clock);
    let reads = 0;
    const live = () => (reads++, new Map([["p/w", counted()]]));
    s.save(live, HOUR, 60_000);
    clock.now = 59_999;
    s.save(live, HOUR, 60_000);
    clock.now = 60_000;
    s.save(live, HOUR, 60_000);
    s.save(live, HOUR, 60_000, true);
    expect(reads).toBe(3);
    expect(s.info()).toEqual({ lastWriteSuccessMs: 60_000, writeErrors: 0 });
  });

  it("drops at start a workspace that now belongs to another shard, so a move there and back never resumes an old window", () => {
    const dir = tempDir();
    const clock = { now: 1_000 };
    const shard = { ordinal: 0, total: 2 };
    const ids = ["w0", "w1", "w2", "w3", "w4", "w5"];
    const mine = ids.find((w) => shardOf("p", w, 2) === 0)!;
    const theirs = ids.find((w) => shardOf("p", w, 2) === 1)!;
    // As a run with another --total-shards left it: both workspaces in shard 0's file.
    new StateStore({ dir, shard, logger: silent, now: () => clock.now }).save(() => new Map([[`p/${mine}`, counted()], [`p/${theirs}`, counted()]]), HOUR, 0, true);
    const s = new StateStore({ dir, shard, logger: silent, now: () => clock.now });
    s.save(() => new Map(), HOUR, 0, true);
    expect(JSON.parse(readFileSync(join(dir, "state-shard-0.json"), "utf8")).workspaces.map((w: { id: string }) => w.id)).toEqual([`p/${mine}`]);
    expect(accounting(s.start(`p/${mine}`, key, 24 * HOUR))).toEqual(accounting(counted()));
    const moved = s.start(`p/${theirs}`, key, 24 * HOUR);
    expect({ failures: moved.failuresTotal, baselined: moved.tracker.baselined, reason: moved.resetReason }).toEqual({ failures: 0, baselined: false, reason: "no_state" });
  });

  it("holds restored counters back until the first poll when the file was not written by a clean stop, and not after one", () => {
    const dir = tempDir();
    const clock = { now: 1_000 };
    const live = new Map([["p/w", counted()]]);
    // A poll round's write, then a crash: what was shown since may be beyond the file.
    store(dir, clock).save(() => live, HOUR, 0, true);
    const afterCrash = store(dir, clock).start("p/w", key, 24 * HOUR);
    expect(afterCrash.countersHeld).toBe(true);
    expect(accounting(afterCrash)).toEqual(accounting(counted()));
    // The last write of a clean stop holds everything that was shown.
    store(dir, clock).save(() => live, HOUR, 0, true, true);
    expect(store(dir, clock).start("p/w", key, 24 * HOUR).countersHeld).toBeUndefined();
    // A workspace the file does not hold starts from 0 and a baseline: nothing to hold.
    store(dir, clock).save(() => live, HOUR, 0, true);
    expect(store(dir, clock).start("p/other", key, 24 * HOUR).countersHeld).toBeUndefined();
  });

  it("keeps a workspace that went away for stale_after, then prunes it", () => {
    const dir = tempDir();
    const clock = { now: 0 };
    store(dir, clock).save(() => new Map([["p/gone", counted()]]), HOUR, 0, true);
    const s = store(dir, clock);
    clock.now = HOUR - 1;
    s.save(() => new Map(), HOUR, 0, true);
    expect(JSON.parse(readFileSync(join(dir, "state.json"), "utf8")).workspaces.map((w: { id: string }) => w.id)).toEqual(["p/gone"]);
    clock.now = HOUR;
    s.save(() => new Map(), HOUR, 0, true);
    expect(JSON.parse(readFileSync(join(dir, "state.json"), "utf8")).workspaces).toEqual([]);
  });

  it("counts a failed write and keeps the previous file", () => {
    const dir = tempDir();
    const clock = { now: 5_000 };
    const s = store(dir, clock);
    s.save(() => new Map([["p/w", counted()]]), HOUR, 0, true);
    const before = readFileSync(join(dir, "state.json"), "utf8");
    mkdirSync(join(dir, "state.json.tmp")); // the temporary file cannot be created
    clock.now = 6_000;
    s.save(() => new Map([["p/w", initialState(key)]]), HOUR, 0, true);
    expect(s.info()).toEqual({ lastWriteSuccessMs: 5_000, writeErrors: 1 });
    expect(readFileSync(join(dir, "state.json"), "utf8")).toBe(before);
    rmSync(join(dir, "state.json.tmp"), { recursive: true });
  });

  it("starts workspaces missing from an unreadable file with the unreadable reason", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "state.json"), '{"format":"dataarts-exporter-state","version":9}');
    const account = accountPoll(store(dir, { now: 0 }).start("p/w", key, HOUR), snapshot([]), { startedMs: 0, endedMs: 1 });
    expect(account.baseline).toBe("unreadable");
  });
});
