import { DataArtsClient } from "../../../src/dataarts/client";
import { discoverWorkspaces } from "../../../src/dataarts/discovery";
import { WorkspacePage } from "../../../src/dataarts/model";
import { MAX_PAGES } from "../../../src/dataarts/page-walk";

/** A workspace listing that answers each call from `service`, counting calls. */
function listing(service: (offset: number, limit: number) => WorkspacePage) {
  let calls = 0;
  const client = { listWorkspaces: async (_instance: string, offset: number, limit: number) => (calls++, service(offset, limit)) };
  return { client: client as unknown as DataArtsClient, calls: () => calls };
}

const ws = (n: number) => ({ id: `ws-${n}`, name: `name-${n}` });

describe("workspace discovery against misbehaving listings", () => {
  it("reads past short pages until count is reached", async () => {
    const all = Array.from({ length: 250 }, (_, i) => ws(i));
    const { client } = listing((offset) => ({ data: all.slice(offset, offset + 30), count: all.length }));
    expect(await discoverWorkspaces(client, "inst")).toHaveLength(250);
  });

  it("stops when the listing ignores offset instead of asking for the same page for ever", async () => {
    const first = Array.from({ length: 100 }, (_, i) => ws(i));
    const { client, calls } = listing(() => ({ data: first, count: 5_000 }));
    expect(await discoverWorkspaces(client, "inst")).toHaveLength(100);
    expect(calls()).toBe(2);
  });

  it("stops after the shared page cap whatever count claims", async () => {
    let n = 0;
    const { client, calls } = listing((_offset, limit) => ({ data: Array.from({ length: limit }, () => ws(n++)), count: 1e12 }));
    await discoverWorkspaces(client, "inst");
    expect(calls()).toBe(MAX_PAGES);
  });
});
