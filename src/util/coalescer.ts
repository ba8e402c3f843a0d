/**
 * Writes items together: one write at a time, and the items that arrive while it runs wait for the
 * next, which carries them all (up to `maxPerWrite`). Items added in one moment (one turn of the
 * event loop) share the first write. Each caller waits for the write that carried its items and
 * sees its failure. Under load a burst of callers costs a few writes instead of one each; alone, a
 * caller's items are written at once, as they would be without it.
 */
export class Coalescer<T> {
  private queued: { items: T[]; written: Promise<void> } | undefined;
  private writing: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxPerWrite: number,
  ) {}

  /** Resolves once every one of `items` is written; rejects with the first failed write's error. */
  add(items: readonly T[]): Promise<void> {
    const writes: Promise<void>[] = [];
    for (let i = 0; i < items.length;) {
      const queued = this.queued && this.queued.items.length < this.maxPerWrite ? this.queued : this.queue();
      const taken = items.slice(i, i + this.maxPerWrite - queued.items.length);
      queued.items.push(...taken);
      writes.push(queued.written);
      i += taken.length;
    }
    this.waiting += 1;
    const done = Promise.all(writes).then(() => undefined);
    // Counted down before the caller's own continuation runs (handlers run in the order attached).
    const settle = () => void (this.waiting -= 1);
    void done.then(settle, settle);
    return done;
  }

  /** No caller is waiting: nothing queued, nothing being written for anyone. */
  get idle(): boolean {
    return this.waiting === 0;
  }

  private queue(): { items: T[]; written: Promise<void> } {
    const items: T[] = [];
    const written = this.writing.then(() => {
      // From here on, new items go to the next write.
      if (this.queued?.items === items) this.queued = undefined;
      return this.write(items);
    });
    this.queued = { items, written };
    this.writing = written.catch(() => undefined);
    return this.queued;
  }
}
