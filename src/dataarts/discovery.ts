/** Workspace discovery: every workspace of a DataArts instance, across pages. */
import { DataArtsClient } from "./client";
import { Workspace } from "./model";
import { PageCollector, walkPages } from "./page-walk";

const PAGE = 100;

/** Every workspace of a DataArts Studio instance (the listing's `offset` is a record offset). */
export async function discoverWorkspaces(client: DataArtsClient, instanceId: string): Promise<Workspace[]> {
  const found = new PageCollector<Workspace>((ws) => ws.id);
  let offset = 0;
  await walkPages(async () => {
    const page = await client.listWorkspaces(instanceId, offset, PAGE);
    offset += page.data.length;
    // A short page is not the end (the service may cap pages); `count`, or no progress, is.
    return found.add(page.data) && found.size < page.count;
  });
  return found.items();
}
