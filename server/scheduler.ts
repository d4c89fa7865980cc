import type { App } from './bootstrap';

/** Nightly resync; filled in with the sync engine. Returns a stop function. */
export function startScheduler(_app: App): () => void {
  return () => undefined;
}
