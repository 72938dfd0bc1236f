import { spawnSync } from "node:child_process";
import bcrypt from "bcryptjs";
import { BasicAuth } from "../../../src/http/basic-auth";

// From `htpasswd -nbB -C 10 prometheus 's3cret pass'` (test/fixtures/web-config/users.yml).
const HASH = "$2y$10$rjjIpqcDSq2eqlX5TTr.fOqkR9QZrJGLuzRPC/OSByFZWAPR3Esre";
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** The real bcryptjs comparison, recording which hashes it was asked to check against. */
function recordingCompare() {
  const hashes: string[] = [];
  const compare = (password: string, hash: string) => {
    hashes.push(hash);
    return bcrypt.compare(password, hash);
  };
  return { hashes, compare };
}

const cost = (hash: string) => hash.split("$")[2];

describe("basic auth", () => {
  it("lets the right password in and keeps others out", async () => {
    const auth = new BasicAuth(new Map([["prometheus", HASH]]));
    expect(await auth.check(basic("prometheus", "s3cret pass"))).toBe("ok");
    expect(await auth.check(basic("prometheus", "s3cret pas"))).toBe("denied");
    expect(await auth.check(undefined)).toBe("denied");
    expect(await auth.check("Bearer abc")).toBe("denied");
    expect(await auth.check("Basic !!!")).toBe("denied");
  });

  it("does the same bcrypt work for an unknown user as for a wrong password", async () => {
    const r = recordingCompare();
    const auth = new BasicAuth(new Map([["prometheus", HASH]]), r.compare);
    expect(await auth.check(basic("nobody", "s3cret pass"))).toBe("denied");
    expect(await auth.check(basic("prometheus", "wrong"))).toBe("denied");
    expect(r.hashes).toHaveLength(2);
    expect(r.hashes[0]).not.toBe(HASH);
    expect(cost(r.hashes[0]!)).toBe(cost(HASH));
    expect(r.hashes[1]).toBe(HASH);
  });

  it("remembers a successful check so that the next scrape pays no bcrypt, and never remembers a failure", async () => {
    const r = recordingCompare();
    const auth = new BasicAuth(new Map([["prometheus", HASH]]), r.compare);
    for (let i = 0; i < 3; i++) expect(await auth.check(basic("prometheus", "s3cret pass"))).toBe("ok");
    for (let i = 0; i < 3; i++) expect(await auth.check(basic("prometheus", "nope"))).toBe("denied");
    expect(r.hashes).toHaveLength(1 + 3);
  });

  it("forgets remembered successes when the users change", async () => {
    const r = recordingCompare();
    const auth = new BasicAuth(new Map([["prometheus", HASH]]), r.compare);
    expect(await auth.check(basic("prometheus", "s3cret pass"))).toBe("ok");
    auth.setUsers(new Map());
    expect(auth.enabled).toBe(false);
    auth.setUsers(new Map([["alice", HASH]]));
    expect(await auth.check(basic("prometheus", "s3cret pass"))).toBe("denied");
  });

  it("checks one at a time and answers busy instead of queueing without bound", async () => {
    let running = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    const compare = () => {
      running += 1;
      most = Math.max(most, running);
      return new Promise<boolean>((resolve) => releases.push(() => ((running -= 1), resolve(false))));
    };
    const auth = new BasicAuth(new Map([["prometheus", HASH]]), compare);
    const checks = Array.from({ length: 40 }, () => auth.check(basic("prometheus", "x")));
    const busy = (await Promise.all(checks.slice(32))).filter((r) => r === "busy");
    expect(busy).toHaveLength(8);
    while (releases.length > 0 || running > 0) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(checks.slice(0, 32))).toEqual(Array(32).fill("denied"));
    expect(most).toBe(1);
  });
});

describe("basic auth against another bcrypt implementation", () => {
  it("accepts a hash htpasswd -B makes now, and only for its password", async () => {
    const r = spawnSync("htpasswd", ["-nbB", "-C", "4", "scraper", "p@ss:word with spaces"], { encoding: "utf8" });
    if (r.error) throw new Error(`htpasswd is not installed (.ci/run installs apache2-utils): ${r.error.message}`);
    const [user, hash] = r.stdout.trim().split(":") as [string, string];
    expect(hash).toMatch(/^\$2y\$04\$/);
    const auth = new BasicAuth(new Map([[user, hash]]));
    expect(await auth.check(basic("scraper", "p@ss:word with spaces"))).toBe("ok");
    expect(await auth.check(basic("scraper", "p@ss:word"))).toBe("denied");
  });
});
