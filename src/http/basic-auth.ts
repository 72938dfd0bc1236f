/** HTTP basic auth against the web config's bcrypt users: equal time for unknown users, successful checks cached. */
import { createHash } from "node:crypto";
import bcrypt from "bcryptjs";

/** Successful checks remembered, so that a scrape does not pay bcrypt every time (exporter-toolkit #31/#32). */
const MAX_CACHED = 100;
/** Checks waiting for the bcrypt worker; beyond this a request is answered "busy" instead of queueing without bound. */
const MAX_WAITING = 32;
/** A well-formed hash of no known password: an unknown user costs the same bcrypt work as a known one. */
const DUMMY_SALT_AND_HASH = "QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

export type AuthResult = "ok" | "denied" | "busy";
export type Compare = (password: string, hash: string) => Promise<boolean>;

export class BasicAuth {
  private readonly cache = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private dummy: string;

  constructor(
    private users: ReadonlyMap<string, string>,
    private readonly compare: Compare = bcrypt.compare,
  ) {
    this.dummy = dummyHash(users);
  }

  get enabled(): boolean {
    return this.users.size > 0;
  }

  /** New users from a reloaded web config; remembered successes of removed or changed users are forgotten. */
  setUsers(users: ReadonlyMap<string, string>): void {
    this.users = users;
    this.dummy = dummyHash(users);
    this.cache.clear();
  }

  /** Checks an Authorization header. Wrong user and wrong password both run one bcrypt comparison. */
  async check(authorization: string | undefined): Promise<AuthResult> {
    const credentials = parseBasic(authorization);
    if (!credentials) return "denied";
    const known = this.users.get(credentials.user);
    const hash = known ?? this.dummy;
    const key = createHash("sha256").update(`${credentials.user}\0${hash}\0${credentials.password}`).digest("base64");
    if (known !== undefined && this.cache.has(key)) return "ok";
    if (this.waiting >= MAX_WAITING) return "busy";
    const matches = await this.serially(() => this.compare(credentials.password, hash));
    if (!matches || known === undefined) return "denied";
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.values().next().value!);
    this.cache.add(key);
    return "ok";
  }

  /** One bcrypt comparison at a time, as the toolkit does: it is CPU work that would otherwise starve scrapes. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    this.waiting += 1;
    const run = this.queue.then(work).finally(() => (this.waiting -= 1));
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** The costliest configured cost, so that an unknown user is never the fast path. */
function dummyHash(users: ReadonlyMap<string, string>): string {
  let cost = 10;
  for (const hash of users.values()) cost = Math.max(cost, Number(hash.split("$")[2]));
  return `$2y$${String(cost).padStart(2, "0")}$${DUMMY_SALT_AND_HASH}`;
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
