/** The bounds every paged listing obeys: a page cap, and stopping when a page brings nothing new. */

/** 100 000 items at 100 a page: far beyond any real listing, and a bound on a service answering nonsense. */
export const MAX_PAGES = 1_000;

/** Items collected across pages by id, up to `target`; the first copy of an id wins. */
export class PageCollector<T> {
  private readonly found = new Map<string, T>();

  constructor(
    private readonly idOf: (item: T) => string,
    readonly target = Infinity,
  ) {}

  /** Adds a page; returns whether it brought anything new, so a service that ignores offset cannot loop us. */
  add(items: readonly T[]): boolean {
    const before = this.found.size;
    for (const item of items) {
      const id = this.idOf(item);
      if (!this.full && !this.found.has(id)) this.found.set(id, item);
    }
    return this.found.size > before;
  }

  get size(): number {
    return this.found.size;
  }

  get full(): boolean {
    return this.found.size >= this.target;
  }

  items(): T[] {
    return [...this.found.values()];
  }
}

/** Calls `next` (one page each) while it returns true, at most `maxPages` times and never more than MAX_PAGES. */
export async function walkPages(next: () => Promise<boolean>, maxPages = MAX_PAGES): Promise<void> {
  const cap = Math.min(maxPages, MAX_PAGES);
  for (let pages = 0; pages < cap; pages++) if (!(await next())) return;
}
