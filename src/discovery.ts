import { DataArtsClient } from "./client";
import { Workspace } from "./model";

const PAGE = 100;

/** Every workspace of a DataArts Studio instance (the listing's `offset` is a record offset). */
export async function discoverWorkspaces(client: DataArtsClient, instanceId: string): Promise<Workspace[]> {
  const found = new Map<string, Workspace>();
  let pages = Infinity;
  for (let offset = 0, n = 0; n < pages; offset += PAGE, n++) {
    const page = await client.listWorkspaces(instanceId, offset, PAGE);
    for (const ws of page.data) found.set(ws.id, ws);
    if (page.data.length < PAGE || found.size >= page.count) break;
    // A count that keeps growing must not page forever.
    pages = Math.min(pages, Math.ceil(page.count / PAGE) + 1);
  }
  return [...found.values()];
}
