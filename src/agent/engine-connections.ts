/**
 * The agent's open connections to its engine (the datastore modules' driver pools), closed when
 * the agent stops so that no handle outlives it and the engine sees each session end cleanly.
 */
const closers = new Set<() => Promise<void>>();

/** Registers a pool's close; returns the function that unregisters it (a pool closed on its own). */
export function closeOnStop(close: () => Promise<void>): () => void {
  closers.add(close);
  return () => closers.delete(close);
}

/** Closes every registered pool; a pool that fails to close is not the stop's concern. */
export async function closeEngineConnections(): Promise<void> {
  const all = [...closers];
  closers.clear();
  await Promise.allSettled(all.map((close) => close()));
}

/**
 * The open pools of one driver, one per server: opened on first use, registered to close when the
 * agent stops, and closed one by one when a server goes away.
 */
export class PoolCache<Pool> {
  private readonly pools = new Map<string, { pool: Pool; forget: () => void }>();

  constructor(private readonly end: (pool: Pool) => Promise<void>) {}

  /** The pool for `key`, opened with `open` the first time. */
  get(key: string, open: () => Pool): Pool {
    const known = this.pools.get(key);
    if (known) return known.pool;
    const pool = open();
    this.pools.set(key, { pool, forget: closeOnStop(() => this.close(key)) });
    return pool;
  }

  /** Closes the pool of `key`, if open: its sessions end cleanly. */
  async close(key: string): Promise<void> {
    const known = this.pools.get(key);
    if (!known) return;
    this.pools.delete(key);
    known.forget();
    await this.end(known.pool);
  }
}
