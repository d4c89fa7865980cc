import type { SyncFailure } from '../../entities';
import { LogikalError, LogikalShutdownError } from '../logikal';
import type { Counters } from './run-store';
import type { SyncMode } from './types';

/** What a finished project run says to people. */
export function projectSummary(name: string, mode: SyncMode, failures: SyncFailure[], c: Counters, resumedSkipped: number): string {
  const resumed = resumedSkipped ? ` (resumed: ${resumedSkipped} parts list(s) already done by the interrupted run)` : '';
  if (!failures.length) {
    return mode === 'force'
      ? `Project "${name}" fully synced from Logikal${resumed}`
      : `Project "${name}" synced from Logikal (${c.partsListsSynced} changed parts list(s) downloaded)${resumed}`;
  }
  const what = failures
    .slice(0, 5)
    .map((f) => f.elevation)
    .join(', ');
  return (
    `Project "${name}" synced with ${failures.length} failure(s) (${what}${failures.length > 5 ? ', …' : ''}); ` +
    `${c.partsListsFailed} of ${c.partsListsSynced + c.partsListsUnchanged + c.partsListsFailed} parts lists failed`
  );
}

export function interruptedSummary(name: string, c: Counters): string {
  const done = c.partsListsSynced + c.partsListsUnchanged + c.partsListsFailed;
  return `Interrupted: the bridge shut down after ${done} of ${c.elevationsTotal || '?'} parts lists of "${name}"; the next sync of it resumes from there`;
}

/** A failure the same unit may get past on a fresh session: what the final pass of a run retries. */
export function worthAnotherPass(err: unknown): boolean {
  return err instanceof LogikalError && err.transient && !(err instanceof LogikalShutdownError);
}

/** The run was stopped by the shutdown, not failed by LogiKal. */
export function isShutdown(err: unknown): boolean {
  return err instanceof LogikalShutdownError;
}
