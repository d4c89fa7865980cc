import { ACTIVE_STATES, type SyncRun, type SyncRunState } from '../../entities';

/** How long a run stays owned without a renewal: its owner renews every third of it. */
export const LEASE_MS = 30_000;

/** How long a queued run is left to the instance that queued it before any other may claim it. */
export const CLAIM_GRACE_MS = 2_000;

export const INTERRUPTED_MESSAGE = 'Interrupted: the bridge process running it stopped; the next sync of it resumes where it stopped';

const isActive = (state: SyncRunState): boolean => ACTIVE_STATES.includes(state);

/** A queued or running run whose owner stopped renewing it (or never had a lease) is dead. */
export function isDead(run: SyncRun, now = Date.now()): boolean {
  return isActive(run.state) && (!run.leaseExpiresAt || run.leaseExpiresAt.getTime() < now);
}

/**
 * A dead run that a live instance will take over under its own id: every dead run the reader
 * (this instance) does not own by name — queued ones are claimed by anyone, running ones by any
 * other instance. A dead run of the reader's own instance is ended by its restart instead.
 */
export function awaitsTakeover(run: SyncRun, reader: string | undefined, now = Date.now()): boolean {
  return reader !== undefined && isDead(run, now) && run.ownerInstance !== reader;
}

/** What a reader reports: a dead run is interrupted, unless another instance is to take it over. */
export function effectiveState(run: SyncRun, now = Date.now(), reader?: string): SyncRunState {
  return isDead(run, now) && !awaitsTakeover(run, reader, now) ? 'interrupted' : run.state;
}
