import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'winston';
import type { RunStore } from './run-store';

/** The sync run the current async context works for: set by the executor around a run's work. */
export const runScope = new AsyncLocalStorage<number>();

export const currentRunId = (): number | null => runScope.getStore() ?? null;

/** A wait shorter than this is a login's normal turn, not worth a write or a word in sync.status. */
const SHOWN_AFTER_MS = 1_000;

/**
 * Which runs wait for a LogiKal licence: the session pool reports each login that waits for a seat
 * (the shared budget, or this process's cap); a run whose logins have waited over a second is
 * marked (`waiting_since`), and cleared once none of them waits any more.
 */
export class LicenceWaits {
  private readonly runs = new Map<number, { waiting: number; timer?: NodeJS.Timeout; shown: boolean }>();

  constructor(
    private readonly store: RunStore,
    private readonly log: Logger,
  ) {}

  /** The pool's listener: a login of the current run starts waiting; the returned function ends the wait. */
  readonly listener = (): (() => void) => {
    const runId = currentRunId();
    if (runId === null) return () => undefined;
    const w = this.runs.get(runId) ?? { waiting: 0, shown: false };
    this.runs.set(runId, w);
    if (w.waiting++ === 0 && !w.shown) {
      const since = new Date();
      w.timer = setTimeout(() => {
        w.timer = undefined;
        w.shown = true;
        this.write(runId, since);
      }, SHOWN_AFTER_MS);
      w.timer.unref();
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--w.waiting > 0) return;
      clearTimeout(w.timer);
      w.timer = undefined;
      this.runs.delete(runId);
      if (w.shown) this.write(runId, null);
    };
  };

  private write(runId: number, since: Date | null): void {
    this.store.setWaiting(runId, since).catch((err: unknown) => this.log.warn('could not record a licence wait', { runId, error: err }));
  }
}
