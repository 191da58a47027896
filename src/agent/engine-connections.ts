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
