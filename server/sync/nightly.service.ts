import type { FiringOutcome, FiringSource, NightlyResult } from './nightly-types';

/**
 * The nightly: one run per firing of SYNC_CRON across every instance (claimed in nightly_firings by
 * its fire time), fanning out into child smart syncs that any instance works on.
 */
export class NightlyService {
  /** One firing of the schedule: exactly one instance creates its nightly run; skipped while the previous one runs. */
  fire(fireAt: Date, source: FiringSource): Promise<FiringOutcome> {
    return Promise.reject(new Error(`nightly firing not built yet (${fireAt.toISOString()}, ${source})`));
  }

  /** sync.run_nightly: a nightly now (or the one running), waited for up to waitSeconds. */
  runNow(waitSeconds: number, requestedBy: string): Promise<NightlyResult> {
    return Promise.reject(new Error(`not built yet (${waitSeconds}, ${requestedBy})`));
  }

  /** The latest firing recorded by any instance (catch-up compares it with the schedule). */
  lastFiring(): Promise<Date | null> {
    return Promise.resolve(null);
  }

  /** The latest nightly run, for sync.schedule. */
  lastNightly(): Promise<NightlyResult | null> {
    return Promise.resolve(null);
  }
}
