/** Workspace discovery: every workspace of a DataArts instance, across pages. */
import { DataArtsClient } from "./client";
import { Workspace } from "./model";

const PAGE = 100;
/** 100 000 workspaces: a bound on a listing that answers nonsense. */
const MAX_PAGES = 1_000;

/** Every workspace of a DataArts Studio instance (the listing's `offset` is a record offset). */
export async function discoverWorkspaces(client: DataArtsClient, instanceId: string): Promise<Workspace[]> {
  const found = new Map<string, Workspace>();
  let offset = 0;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await client.listWorkspaces(instanceId, offset, PAGE);
    const before = found.size;
    for (const ws of page.data) found.set(ws.id, ws);
    // A short page is not the end (the service may cap pages); `count`, or no progress, is.
    if (found.size >= page.count || found.size === before) break;
    offset += page.data.length;
  }
  return [...found.values()];
}
