import { MAX_PAGES, PageCollector, walkPages } from "../../../src/dataarts/page-walk";

describe("walking pages", () => {
  it("stops when a page brings nothing new", async () => {
    const found = new PageCollector<number>(String);
    const pages = [[1, 2], [2, 3], [3, 2], [4]];
    let i = 0;
    await walkPages(async () => found.add(pages[i++]!));
    expect(found.items()).toEqual([1, 2, 3]);
    expect(i).toBe(3);
  });

  it("never walks more than MAX_PAGES pages, whatever the caller allows", async () => {
    let calls = 0;
    await walkPages(async () => (calls++, true), MAX_PAGES * 10);
    expect(calls).toBe(MAX_PAGES);
  });

  it("keeps the first copy of an id and no more than the target", () => {
    const found = new PageCollector<{ id: string; v: number }>((x) => x.id, 2);
    found.add([{ id: "a", v: 1 }, { id: "a", v: 2 }, { id: "b", v: 3 }, { id: "c", v: 4 }]);
    expect(found.items()).toEqual([{ id: "a", v: 1 }, { id: "b", v: 3 }]);
    expect(found.full).toBe(true);
  });
});
