/**
 * Serialises work per key inside this process. Fetching into a mirror and updating its refs
 * from two tasks at once would otherwise race on git's ref locks ("cannot lock ref"). Several
 * worker processes sharing one data directory are not covered; see the runner README notes.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(work);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
